"""A handler's own processes are inside its environment (issue 27): the function's memory limit
covers them (a memory cgroup, else the process tree polled), and they end with the environment
on every exit path: server stop (what ``tune --local`` does on leaving), ``local serve`` on a
signal, the server killed outright, and a failed start leaves no cgroup or folder behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from powertune.local import LocalLambda, cpu, sandbox

BIN = Path(sys.executable).parent
HANDLERS = '''
import subprocess
import sys

DAEMON = """
import os, sys, time
if os.fork():
    os._exit(0)
os.setsid()  # out of the worker's process group, and an orphan: out of its tree
print(os.getpid(), flush=True)
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # let the caller's read of stdout end
time.sleep(300)
"""


def spawn(event, context):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    daemon = subprocess.run(
        [sys.executable, "-c", DAEMON], stdout=subprocess.PIPE, text=True, timeout=30
    )
    return {"child": child.pid, "daemon": int(daemon.stdout.split()[0])}


def hog(event, context):
    grab = "x = b'1' * (600 * 1024 * 1024); import time; time.sleep(5)"
    done = subprocess.run([sys.executable, "-c", grab])
    return {"code": done.returncode}
'''


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("processes")
    (path / "h.py").write_text(HANDLERS)
    return path


def _client(endpoint: str) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, read_timeout=120),
    )


def _alive(pid: int) -> bool:
    """Running or sleeping (a zombie waiting for its reaper has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _gone(pids: list[int], within_s: float = 10.0) -> bool:
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def _spawned(endpoint: str) -> list[int]:
    answer = _client(endpoint).invoke(FunctionName="spawn", Payload=b"{}")
    body = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, body
    pids = [body["child"], body["daemon"]]
    assert all(_alive(p) for p in pids)
    return pids


def _leftovers(pid: int) -> list[Path]:
    """Cgroups and code folders named after the runtime of process ``pid``."""
    bases = [h.base for h in cpu._find_hierarchies()] + [
        h.base for h in sandbox._memory_hierarchies()
    ]
    found = [p for base in bases for p in base.glob(f"powertune-local-{pid}-*")]
    return found + list(Path("/tmp").glob(f"powertune-local-{pid}-*"))


# --- memory: every process of the environment counts ----------------------------------------
@pytest.fixture(params=["cgroup", "polled"])
def memory_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "polled":  # a host without a writable memory cgroup
        monkeypatch.setattr(sandbox, "_memory_hierarchies", lambda: [])
    return str(request.param)


def test_a_child_over_the_functions_memory_is_stopped(code: Path, memory_mode: str) -> None:
    with LocalLambda(cpu="model") as server:
        if memory_mode == "cgroup" and "memory cgroup" not in server.memory_reason:
            pytest.fail(f"no memory cgroup on this host: {server.memory_reason}")
        server.add_function("hog", f"{code}:h.hog", MemorySize=128, Timeout=60)
        started = time.monotonic()
        answer = _client(server.endpoint_url).invoke(FunctionName="hog", Payload=b"{}")
        body = json.loads(answer["Payload"].read())
        assert answer.get("FunctionError") == "Unhandled", body
        assert body["errorType"] == "Runtime.OutOfMemory", body
        assert time.monotonic() - started < 30  # stopped, not left to sleep out its 5 s twice
        assert server.invoker.environment_count() == 0  # the environment ended with it


# --- ending: the handler's processes end with the runtime -----------------------------------
def test_stop_ends_the_handlers_processes(code: Path) -> None:
    with LocalLambda(cpu="model") as server:
        server.add_function("spawn", f"{code}:h.spawn", MemorySize=512, Timeout=30)
        pids = _spawned(server.endpoint_url)
    assert _gone(pids), [p for p in pids if _alive(p)]


def _serve(code: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    return subprocess.Popen(
        [
            str(BIN / "powertune"),
            "local",
            "serve",
            "--cpu",
            "model",
            "--function",
            f"spawn={code}:h.spawn",
            *args,
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def _endpoint(server: subprocess.Popen[str]) -> str:
    assert server.stderr is not None
    seen: list[str] = []
    while True:
        line = server.stderr.readline()
        assert line, "".join(seen)
        seen.append(line)
        if "listening on " in line:
            return line.rsplit(" ", 1)[1].strip()


@pytest.fixture
def served(code: Path) -> Iterator[subprocess.Popen[str]]:
    server = _serve(code, "--port", "0")
    try:
        yield server
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stderr is not None:
            server.stderr.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_serve_on_a_signal_ends_them_and_its_cgroups(
    served: subprocess.Popen[str], signum: int
) -> None:
    pids = _spawned(_endpoint(served))
    served.send_signal(signum)
    assert served.wait(timeout=30) == 0
    assert served.stderr is not None
    assert "Traceback" not in served.stderr.read()
    assert _gone(pids), [p for p in pids if _alive(p)]
    assert _leftovers(served.pid) == []


def test_serve_killed_outright_does_not_leave_them_running(served: subprocess.Popen[str]) -> None:
    pids = _spawned(_endpoint(served))
    served.kill()  # no handler runs: the workers notice their server is gone
    served.wait()
    assert _gone(pids, within_s=15), [p for p in pids if _alive(p)]


# --- a failed start leaves nothing behind ---------------------------------------------------
def test_a_failed_start_leaves_no_cgroup_or_folder(code: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = _serve(code, "--port", str(port))
        _, stderr = server.communicate(timeout=60)
        assert server.returncode == 3, stderr
        assert stderr.strip().startswith("powertune: error: cannot listen on"), stderr
        assert len(stderr.strip().splitlines()) == 1, stderr
        assert _leftovers(server.pid) == []
        runtime = LocalLambda(cpu="auto", port=port)
        with pytest.raises(OSError):
            runtime.__enter__()
    assert _leftovers(os.getpid()) == []


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "0", "-1", "1e9"])
def test_bad_cpus_is_one_line_and_exit_2(value: str) -> None:
    from typer.testing import CliRunner

    from cli import app

    outcome = CliRunner().invoke(app, ["local", "serve", "--port", "0", "--cpus", value])
    assert outcome.exit_code == 2, (value, outcome.stderr, outcome.exception)
    assert len(outcome.stderr.strip().splitlines()) == 1, outcome.stderr
    assert outcome.stderr.startswith("powertune: error: ") and "--cpus" in outcome.stderr


TUNED = """
import subprocess
import sys


def handler(event, context):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    with open(event["pids"], "a") as pids:
        pids.write(f"{child.pid}\\n")
    return {"child": child.pid}
"""


def test_tune_local_ends_the_handlers_processes(tmp_path: Path) -> None:
    (tmp_path / "spawner.py").write_text(TUNED)
    pid_file = tmp_path / "pids"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "tune",
            "--local",
            str(tmp_path / "spawner.py"),
            "--search",
            "grid",
            "--memory",
            "512",
            "--invocations",
            "2",
            "--cpu",
            "model",
            "--payload",
            json.dumps({"pids": str(pid_file)}),
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    pids = [int(line) for line in pid_file.read_text().split()]
    assert len(pids) >= 2
    assert _gone(pids), [p for p in pids if _alive(p)]
