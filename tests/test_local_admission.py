"""Admission by CPU share, warm reuse, unbilled queueing and reserved concurrency on the local
runtime, seen from a real boto3 client (the handler reports when it ran; REPORT records say what
was billed)."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from local_runtime import lambda_client

from powertune.local import LocalLambda
from powertune.local.capacity import available_cpus, cgroup_quota_cpus
from powertune.local.server import RUNTIME_PATH
from powertune.models.cpu_share import vcpu_share

SPAN = f"{Path(__file__).parent / 'functions' / 'span' / 'span.py'}:span.handler"
REPORT = re.compile(r"REPORT RequestId: \S+\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms")


def _client(server: LocalLambda) -> Any:
    return lambda_client(
        server, Config(read_timeout=120, max_pool_connections=32, retries={"total_max_attempts": 1})
    )


def _invoke(client: Any, name: str, event: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    response = client.invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
    body = json.loads(response["Payload"].read())
    tail = base64.b64decode(response["LogResult"]).decode()
    found = REPORT.search(tail)
    assert found, tail
    return {
        **body,
        "duration_ms": float(found.group(1)),
        "billed_ms": int(found.group(2)),
        "cold": "Init Duration" in tail,
        "client_ms": (time.monotonic() - started) * 1000,
        "queue_ms": float(response["ResponseMetadata"]["HTTPHeaders"]["x-powertune-queue-ms"]),
    }


def _peak_share(spans: list[dict[str, Any]]) -> float:
    """The largest sum of CPU shares of invocations running at the same instant."""
    events = sorted(
        [(s["start"], vcpu_share(s["memory"])) for s in spans]
        + [(s["end"], -vcpu_share(s["memory"])) for s in spans],
        key=lambda e: (e[0], e[1]),  # an end before a start at the same instant
    )
    running = peak = 0.0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


@pytest.fixture
def server() -> Iterator[LocalLambda]:
    # cpus set explicitly: the same admission on every host; model mode needs no cgroup.
    with LocalLambda(cpu="model", cpus=1.0, environments_per_version=8) as running:
        for memory in (512, 1024, 1769):
            running.add_function(f"m{memory}", SPAN, MemorySize=memory, Timeout=30)
        yield running


def test_running_shares_never_exceed_the_cpus(server: LocalLambda) -> None:
    client = _client(server)
    jobs = [(f"m{m}", {"wait_ms": 250}) for m in (512, 1024, 1769, 512, 1024, 512) * 2]
    with ThreadPoolExecutor(len(jobs)) as pool:
        spans = list(pool.map(lambda job: _invoke(client, *job), jobs))
    peak = _peak_share(spans)
    # Seen from the handlers' own clocks: never more than 1 CPU's worth at once, yet the
    # runtime did run small shares side by side (0.29 + 0.58 fit, 1.0 runs alone).
    assert peak <= 1.0 + 1e-6, peak
    assert peak >= vcpu_share(512) + vcpu_share(1024) - 1e-6, peak
    info = server.runtime_info()
    assert info.peak_share <= 1.0 + 1e-9
    assert info.queued > 0 and info.queue_wait_ms_total > 0
    assert info.invocations == len(jobs)


def test_queue_time_is_neither_duration_nor_billed(server: LocalLambda) -> None:
    client = _client(server)
    # Three 1,769 MB invocations (a whole CPU each) on 1 CPU: they run one after another.
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: _invoke(client, "m1769", {"wait_ms": 400}), range(3)))
    last = max(results, key=lambda r: r["queue_ms"])
    assert last["queue_ms"] >= 600, results  # waited for (at least most of) two others
    assert last["client_ms"] >= last["queue_ms"] + 350
    for result in results:
        assert 380 <= result["duration_ms"] < 600, results
        assert result["billed_ms"] < 600 + 1000 * result["cold"], results


def test_concurrent_invocations_reuse_warm_environments() -> None:
    with LocalLambda(cpu="model", cpus=2.0, functions={"span": SPAN}) as server:
        assert server.lanes == 2
        client = _client(server)
        with ThreadPoolExecutor(10) as pool:
            results = list(pool.map(lambda _: _invoke(client, "span", {"wait_ms": 150}), range(10)))
        cold = sum(r["cold"] for r in results)
        assert cold == 2, results  # two environments, each cold once, then warm
        assert len({r["pid"] for r in results}) == 2
        assert server.invoker.environment_count() == 2
        # A new version gets its own environments; the old ones stay warm for it.
        client.update_function_configuration(FunctionName="span", MemorySize=256)
        client.get_waiter("function_updated_v2").wait(
            FunctionName="span", WaiterConfig={"Delay": 0.05, "MaxAttempts": 100}
        )
        after = _invoke(client, "span", {"wait_ms": 10})
        assert after["cold"] and after["pid"] not in {r["pid"] for r in results}


def test_reserved_concurrency_throttles_beyond_it() -> None:
    with LocalLambda(cpu="model", cpus=2.0, functions={"span": SPAN}) as server:
        client = _client(server)
        put = client.put_function_concurrency(FunctionName="span", ReservedConcurrentExecutions=1)
        assert put["ReservedConcurrentExecutions"] == 1
        got = client.get_function_concurrency(FunctionName="span")
        assert got["ReservedConcurrentExecutions"] == 1
        assert client.get_function(FunctionName="span")["Concurrency"] == {
            "ReservedConcurrentExecutions": 1
        }
        slow = threading.Thread(target=_invoke, args=(client, "span", {"wait_ms": 1500}))
        slow.start()
        deadline = time.monotonic() + 10
        while server.invoker.scheduler.running_share() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(ClientError) as throttled:
            client.invoke(FunctionName="span", Payload=b"{}")
        slow.join()
        error = throttled.value.response
        assert error["Error"]["Code"] == "TooManyRequestsException"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
        assert server.runtime_info().throttles == 1
        # Reserved 0: the function is throttled outright; deleting the setting lifts it.
        client.put_function_concurrency(FunctionName="span", ReservedConcurrentExecutions=0)
        with pytest.raises(ClientError, match="TooManyRequestsException"):
            client.invoke(FunctionName="span", Payload=b"{}")
        client.delete_function_concurrency(FunctionName="span")
        assert "ReservedConcurrentExecutions" not in client.get_function_concurrency(
            FunctionName="span"
        )
        assert client.invoke(FunctionName="span", Payload=b"{}")["StatusCode"] == 200
        with pytest.raises(ClientError, match="InvalidParameterValueException"):
            client.put_function_concurrency(FunctionName="span", ReservedConcurrentExecutions=5000)
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            client.put_function_concurrency(FunctionName="nope", ReservedConcurrentExecutions=1)


def test_runtime_endpoint_reports_cpus_and_contention(server: LocalLambda) -> None:
    _invoke(_client(server), "m512", {"wait_ms": 1})
    with urllib.request.urlopen(server.endpoint_url + RUNTIME_PATH, timeout=10) as response:
        info = json.loads(response.read())
    assert info["cpu_mode"] == "model"
    assert info["available_cpus"] == 1.0 and info["lanes"] == 8
    assert info["invocations"] == 1 and info["cold_starts"] == 1
    assert info["steal"] is None or 0 <= info["steal"] <= 1
    assert "set to 1.0 CPUs" in info["cpu_source"]


def test_a_share_above_the_host_runs_alone() -> None:
    with LocalLambda(cpu="model", cpus=1.0, environments_per_version=4) as server:
        server.add_function("big", SPAN, MemorySize=3008, Timeout=30)
        server.add_function("small", SPAN, MemorySize=128, Timeout=30)
        client = _client(server)
        jobs = [("big", {"wait_ms": 200})] * 2 + [("small", {"wait_ms": 200})] * 2
        with ThreadPoolExecutor(4) as pool:
            spans = list(pool.map(lambda job: _invoke(client, *job), jobs))
        bigs = sorted((s for s in spans if s["memory"] == 3008), key=lambda s: s["start"])
        for big in bigs:
            overlapping = [
                s
                for s in spans
                if s is not big and s["start"] < big["end"] and s["end"] > big["start"]
            ]
            assert not overlapping, spans
        assert server.runtime_info().over_host == 2


def test_available_cpus_follow_affinity_and_the_tightest_quota(tmp_path: Path) -> None:
    import os

    found = available_cpus()
    assert 0 < found.count <= len(os.sched_getaffinity(0))
    # A container's view: cgroup v2 at /sys/fs/cgroup with a quota of 1.5 CPUs on our own
    # group, and a tighter 1.25 on its parent.
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    fs = tmp_path / "cg"
    (fs / "parent" / "me").mkdir(parents=True)
    (proc / "self" / "cgroup").write_text("0::/parent/me\n")
    (proc / "self" / "mounts").write_text(f"cgroup2 {fs} cgroup2 rw,nosuid 0 0\n")
    (fs / "cpu.max").write_text("max 100000\n")
    (fs / "parent" / "cpu.max").write_text("125000 100000\n")
    (fs / "parent" / "me" / "cpu.max").write_text("150000 100000\n")
    quota = cgroup_quota_cpus(proc)
    assert quota is not None and quota[0] == 1.25 and "parent" in quota[1]
    (fs / "parent" / "cpu.max").write_text("max 100000\n")
    assert cgroup_quota_cpus(proc)[0] == 1.5  # type: ignore[index]
    # cgroup v1: cpu.cfs_quota_us -1 is no limit.
    v1 = tmp_path / "v1"
    (v1 / "docker").mkdir(parents=True)
    (proc / "self" / "cgroup").write_text("4:cpu,cpuacct:/docker\n")
    (proc / "self" / "mounts").write_text(f"cgroup {v1} cgroup rw,cpu,cpuacct 0 0\n")
    for group, quota_us in ((v1, "-1"), (v1 / "docker", "50000")):
        (group / "cpu.cfs_quota_us").write_text(quota_us)
        (group / "cpu.cfs_period_us").write_text("100000")
    assert cgroup_quota_cpus(proc)[0] == 0.5  # type: ignore[index]
    assert available_cpus(proc).count == min(0.5, found.count)
