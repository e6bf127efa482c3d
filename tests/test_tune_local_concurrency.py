"""`tune --local` fits its concurrency to the runtime and says what the runtime saw."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from powertune.local.capacity import available_cpus
from powertune.results import validate_json

ROOT = Path(__file__).resolve().parents[1]
NOOP = ROOT / "examples" / "functions" / "noop"


def _tune(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = tmp_path / "out.json"
    args = [
        *("tune", "--local", str(NOOP), "--search", "grid", "--memory", "128,256"),
        *("--invocations", "4", "--cpu", "model", "--json", str(out), "--quiet", *extra),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    validate_json(doc)
    return done, doc


def test_default_concurrency_is_the_runtimes_and_the_result_says_so(tmp_path: Path) -> None:
    done, doc = _tune(tmp_path)
    assert "warning: --concurrency" not in done.stderr  # no concurrency warning when fitted
    local = doc["run"]["local"]
    cpus = available_cpus().count
    assert local["available_cpus"] == cpus
    assert local["lanes"] == max(1, int(cpus))
    assert local["peak_share"] <= cpus
    # Each size is one version: at most `lanes` environments each, so at most that many cold.
    measurements = doc["functions"][0]["measurements"]
    assert local["cold_starts"] <= 2 * local["lanes"]
    assert sum(m["cold_starts"] for m in measurements) <= local["cold_starts"]
    assert local["queue_wait_ms_max"] >= 0 and local["queued"] >= 0


def test_concurrency_above_the_runtimes_gets_one_warning(tmp_path: Path) -> None:
    done, doc = _tune(tmp_path, "--concurrency", "40")
    assert done.stderr.count("warning: --concurrency 40 is more than the local runtime") == 1
    lanes = doc["run"]["local"]["lanes"]
    assert f"({lanes} on" in done.stderr
    # The extra invocations waited in the runtime's queue instead of starting cold.
    assert doc["run"]["local"]["cold_starts"] <= 2 * lanes


def test_a_function_behind_a_local_endpoint_is_fitted_too(tmp_path: Path) -> None:
    from powertune.local import LocalLambda

    out = tmp_path / "out.json"
    with LocalLambda(cpu="model", cpus=1.0) as server:
        server.add_function("fn", str(NOOP), MemorySize=256)
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        args = [
            *("tune", "fn", "--endpoint-url", server.endpoint_url, "--region", "us-east-1"),
            *("--search", "grid", "--memory", "128,3008", "--invocations", "3"),
            *("--concurrency", "5"),
            *("--json", str(out), "--quiet"),
        ]
        done = subprocess.run(
            [sys.executable, "-m", "cli", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
            env=env,
        )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("warning: --concurrency 5 is more than") == 1
    assert "(1 on 1 CPUs)" in done.stderr
    doc = json.loads(out.read_text())
    validate_json(doc)
    assert doc["run"]["target"] == "aws" and doc["run"]["cpu_mode"] == "model"
    assert doc["run"]["local"]["available_cpus"] == 1.0
    assert doc["run"]["local"]["lanes"] == 1 and doc["run"]["local"]["cold_starts"] >= 1
    # 3,008 MB is 1.7 vCPUs: more than the runtime's 1 CPU, and the run says so.
    assert doc["run"]["local"]["over_host"] >= 3
    assert "ran short of Lambda's CPU" in done.stderr
