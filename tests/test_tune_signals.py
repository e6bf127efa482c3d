"""Fault injection at every phase of a run: SIGINT, SIGTERM, SIGHUP and SIGKILL (then `cleanup`),
sent to a real `powertune tune` process tuning a function of the embedded runtime over boto3.

Each phase is reached deterministically: POWERTUNE_FAULT_PAUSE makes the run create a flag file
and wait at that phase (powertune/tune/targets/faults.py). Afterwards the function's configuration,
tags, aliases and versions must be exactly as found, and the run's own exit quick.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from powertune.local import LocalLambda
from powertune.tune.targets.aws import cleanup
from powertune.tune.targets.journal import TAG_KEY

ROOT = Path(__file__).resolve().parents[1]
HANDLER = Path(__file__).parent / "functions" / "touch_then_wait"
PHASES = ["configure", "publish", "invoke", "restore"]
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


@pytest.fixture
def server() -> Iterator[LocalLambda]:
    with LocalLambda(cpu="model", update_seconds=0.05) as running:
        running.add_function(
            "fn",
            str(HANDLER),
            MemorySize=1024,
            Timeout=30,
            Environment={"Variables": {"KEEP": "me"}},
        )
        lam = _client(running.endpoint_url)
        lam.publish_version(FunctionName="fn", Description="release 1")
        lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
        yield running


def _client(url: str) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="l",
        aws_secret_access_key="l",
    )


def _state(url: str) -> dict[str, Any]:
    lam = _client(url)
    config = lam.get_function_configuration(FunctionName="fn")
    return {
        "memory": config["MemorySize"],
        "timeout": config["Timeout"],
        "env": config["Environment"]["Variables"],
        "aliases": sorted(a["Name"] for a in lam.list_aliases(FunctionName="fn")["Aliases"]),
        "versions": [
            v["Version"] for v in lam.list_versions_by_function(FunctionName="fn")["Versions"]
        ],
        "journal": TAG_KEY in lam.list_tags(Resource=config["FunctionArn"])["Tags"],
    }


AS_FOUND = {
    "memory": 1024,
    "timeout": 30,
    "env": {"KEEP": "me"},
    "aliases": ["live"],
    "versions": ["$LATEST", "1"],
    "journal": False,
}


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "COLUMNS": "200",
        **extra,
    }


def _tune(url: str, env: dict[str, str], payload: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "cli", "tune", "fn", "--endpoint-url", url),
            *("--search", "grid", "--memory", "128,256", "--invocations", "2"),
            *("--concurrency", "2", "--payload", payload, "--cold-starts", *extra),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a SIGHUP/SIGINT for it alone, not for pytest
    )


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode} first: {proc.communicate()[1]}")
        assert time.monotonic() < deadline, "the phase was never reached"
        time.sleep(0.02)


def _cleanup(url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "cleanup", "fn", "--endpoint-url", url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["INT", "TERM", "KILL"]
)
def test_a_signal_at_each_phase_leaves_the_function_as_found(
    server: LocalLambda, tmp_path: Path, phase: str, signum: signal.Signals
) -> None:
    flag = tmp_path / "paused"
    env = _env(tmp_path, POWERTUNE_FAULT_PAUSE=f"{phase}={flag}")
    url = server.endpoint_url
    proc = _tune(url, env, '{"wait_s": 0}')
    _wait_for(flag, proc)
    if phase != "restore":
        assert _state(url) != AS_FOUND  # really mid-run: something was changed or journaled
    proc.send_signal(signum)
    time.sleep(0.2)
    flag.unlink()  # the paused step lands (as an AWS call in flight would)
    stderr = proc.communicate(timeout=60)[1]
    assert "Traceback" not in stderr
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        if phase != "restore":
            assert _state(url) != AS_FOUND
        if phase == "configure":  # `powertune cleanup` itself, where it matters most
            done = _cleanup(url, env)
            assert done.returncode == 0, done.stderr
            assert "memory 128 -> 1024 MB" in done.stdout
        else:  # the same function in this process (a CLI start-up costs seconds on a busy CI)
            assert not cleanup(_client(url), "fn").empty
    else:
        assert proc.returncode == EXIT[signum], stderr
    assert _state(url) == AS_FOUND
    assert not list((Path(env["POWERTUNE_STATE_DIR"]) / "journal").glob("*.json"))


@pytest.mark.slow
def test_sighup_while_invoking_restores(server: LocalLambda, tmp_path: Path) -> None:
    flag = tmp_path / "paused"
    env = _env(tmp_path, POWERTUNE_FAULT_PAUSE=f"invoke={flag}")
    proc = _tune(server.endpoint_url, env, '{"wait_s": 0}')
    _wait_for(flag, proc)
    proc.send_signal(signal.SIGHUP)
    stderr = proc.communicate(timeout=60)[1]
    assert proc.returncode == 129, stderr
    assert _state(server.endpoint_url) == AS_FOUND


@pytest.mark.slow
def test_a_stop_does_not_wait_for_invocations_in_flight(
    server: LocalLambda, tmp_path: Path
) -> None:
    touched = tmp_path / "invoked"
    proc = _tune(server.endpoint_url, _env(tmp_path), f'{{"touch": "{touched}", "wait_s": 25}}')
    deadline = time.monotonic() + 60
    while not touched.exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    stopped = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    stderr = proc.communicate(timeout=60)[1]
    took = time.monotonic() - stopped
    assert proc.returncode == 143, stderr
    assert took < 8, f"exit took {took:.1f} s with a 25 s invocation in flight"
    assert "still running abandoned" in stderr and "results discarded" in stderr
    assert _state(server.endpoint_url) == AS_FOUND
