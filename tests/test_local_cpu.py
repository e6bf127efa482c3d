"""CPU follows memory on the local runtime (loose relations: the host is shared and noisy; the
±15% proportionality is measured by benchmarks/local_cpu_scaling.py)."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from powertune.errors import InputError
from powertune.local import LocalLambda
from powertune.local.cpu import (
    PERIOD_US,
    CpuControl,
    cgroup_duration_s,
    model_duration_s,
    quota_us,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "functions"
DURATION = re.compile(r"\tDuration: (\d+\.\d+) ms")


def _invoke(client: object, **kwargs: object) -> dict:
    """Invoke and read the payload at once (an unread payload keeps its connection open)."""
    response = client.invoke(**kwargs)  # type: ignore[attr-defined]
    response["Body"] = response["Payload"].read()
    return response


def _cgroup_possible() -> bool:
    control = CpuControl("auto")
    try:
        return control.mode == "cgroup"
    finally:
        control.close()


def _warm_duration(client: object, memory: int, payload: bytes, name: str = "cpu") -> float:
    client.update_function_configuration(FunctionName=name, MemorySize=memory, Timeout=60)  # type: ignore[attr-defined]
    client.get_waiter("function_updated_v2").wait(  # type: ignore[attr-defined]
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 100}
    )
    _invoke(client, FunctionName=name, Payload=payload)  # cold start
    durations = []
    for _ in range(4):  # the fastest of four: another test process may share the 2 cores
        response = _invoke(client, FunctionName=name, Payload=payload, LogType="Tail")
        tail = base64.b64decode(response["LogResult"]).decode()
        durations.append(float(DURATION.search(tail.splitlines()[-1]).group(1)))  # type: ignore[union-attr]
    return min(durations)


def _client(server: LocalLambda) -> object:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return session.client(
        "lambda", endpoint_url=server.endpoint_url, config=Config(read_timeout=120)
    )


@pytest.mark.parametrize("mode", ["model", "cgroup"])
def test_cpu_bound_handler_is_much_slower_at_128_than_at_1769(mode: str) -> None:
    if mode == "cgroup" and not _cgroup_possible():
        # Not a skip: where no cgroup is writable, asking for one must fail clearly instead.
        with pytest.raises(InputError, match="cgroup"):
            LocalLambda(cpu="cgroup")
        return
    payload = json.dumps({"limit": 25000}).encode()
    with LocalLambda(cpu=mode, functions={"cpu": str(EXAMPLES / "cpu_bound")}) as server:
        assert server.cpu_mode == mode
        client = _client(server)
        full = _warm_duration(client, 1769, payload)
        small = _warm_duration(client, 128, payload)
        client.close()  # type: ignore[attr-defined]
    # Lambda's rule says 13.8x; a loaded shared host blurs it, so assert a loose relation.
    assert small > 4 * full, (small, full)


def test_model_mode_above_1769_only_threads_speed_up() -> None:
    import os

    functions = {
        "cpu": str(EXAMPLES / "cpu_bound"),
        "threads": str(EXAMPLES / "multi_thread"),
    }
    with LocalLambda(cpu="model", functions=functions, update_seconds=0.01) as server:
        client = _client(server)
        # Another pytest worker may hold a core for part of a measurement: measure up to three
        # times and keep the ratio nearest 1 (a real slope would show in every try).
        flat = []
        for _ in range(3):
            single = [_warm_duration(client, m, b'{"limit": 25000}') for m in (1769, 3538)]
            flat.append(single[1] / single[0])
            if 0.7 < flat[-1] < 1.4:
                break
        flat_ratio = min(flat, key=lambda r: abs(r - 1))
        # Two threads only run in parallel while nothing else holds a core (under pytest -n 2
        # another test often does): measure up to three times and keep the best ratio.
        ratios = []
        for _ in range(3):
            threaded = [
                _warm_duration(client, m, b'{"threads": 2, "rounds": 60}', name="threads")
                for m in (1769, 3538)
            ]
            ratios.append(threaded[1] / threaded[0])
            if ratios[-1] < 0.8:
                break
        client.close()  # type: ignore[attr-defined]
    assert 0.7 < flat_ratio < 1.4, flat  # one thread: flat above one vCPU
    if (os.cpu_count() or 1) >= 2:
        assert min(ratios) < 0.8, ratios  # two threads: still faster above one vCPU


def test_model_mode_formula() -> None:
    # Single-threaded CPU-bound: 13.8x at 128 MB, 1x at 1769 MB and above.
    assert model_duration_s(0.1, 0.1, 128) == pytest.approx(0.1 * 1769 / 128)
    assert model_duration_s(0.1, 0.1, 1769) == pytest.approx(0.1)
    assert model_duration_s(0.1, 0.1, 3538) == pytest.approx(0.1)
    # Waiting on I/O does not stretch.
    assert model_duration_s(0.5, 0.0, 128) == pytest.approx(0.5)
    # Host contention (run-queue delay) is taken out.
    assert model_duration_s(0.3, 0.1, 1769, wait_s=0.2) == pytest.approx(0.1)


def test_model_mode_two_busy_threads_keep_speeding_up_above_1769() -> None:
    import os

    if (os.cpu_count() or 1) < 2:
        # Not a skip: on one core the model can only ever see one thread's worth of work.
        assert model_duration_s(0.1, 0.2, 3538) == pytest.approx(model_duration_s(0.1, 0.2, 1769))
        return
    # 0.2 s of CPU in 0.1 s of wall: two threads busy.
    at_1769 = model_duration_s(0.1, 0.2, 1769)
    at_3538 = model_duration_s(0.1, 0.2, 3538)
    assert at_1769 == pytest.approx(0.2)
    assert at_3538 == pytest.approx(0.1)


def test_stale_cgroups_of_dead_servers_are_removed() -> None:
    if not _cgroup_possible():
        return  # nothing to leave behind where no cgroup can be made (asserted above)
    control = CpuControl("cgroup")
    root = control._root
    assert root is not None
    stale = root.parent / "powertune-local-999999999-1"  # no such pid
    (stale / "env-1").mkdir(parents=True)
    control.close()
    again = CpuControl("cgroup")
    again.close()
    assert not stale.exists() and not root.exists()


def test_cgroup_quota_follows_the_share() -> None:
    assert quota_us(1769) == PERIOD_US
    assert quota_us(128) == round(PERIOD_US * 128 / 1769)
    assert quota_us(10240) == round(PERIOD_US * 10240 / 1769)
    with pytest.raises(InputError):
        CpuControl("turbo")


def test_cgroup_duration_is_never_faster_than_the_share_allows() -> None:
    # The formula: wall time, floored at CPU time / share.
    assert cgroup_duration_s(0.05, 0.05, 1024) == pytest.approx(0.05 * 1769 / 1024)
    assert cgroup_duration_s(0.5, 0.01, 128) == pytest.approx(0.5)  # waiting: wall as it was
    if not _cgroup_possible():
        return  # asserted above: cgroup mode refuses clearly where it cannot work
    # Real invocations, each after an idle pause (a full period's budget waiting): 60 ms of CPU
    # at 1024 MB is at least 104 ms, as on Lambda.
    span = str(Path(__file__).parent / "functions" / "span" / "span.py") + ":span.handler"
    with LocalLambda(cpu="cgroup", functions={"span": span}) as server:
        client = _client(server)
        client.update_function_configuration(FunctionName="span", MemorySize=1024)  # type: ignore[attr-defined]
        client.get_waiter("function_updated_v2").wait(  # type: ignore[attr-defined]
            FunctionName="span", WaiterConfig={"Delay": 0.05, "MaxAttempts": 100}
        )
        durations = []
        for _ in range(3):
            response = _invoke(
                client, FunctionName="span", Payload=b'{"spin_ms": 60}', LogType="Tail"
            )
            tail = base64.b64decode(response["LogResult"]).decode()
            durations.append(float(DURATION.search(tail.splitlines()[-1]).group(1)))  # type: ignore[union-attr]
        client.close()  # type: ignore[attr-defined]
    assert all(d >= 60 * 1769 / 1024 - 0.5 for d in durations), durations


def test_cgroup_mode_places_a_vcpu_or_less_on_one_cpu() -> None:
    # A quota spread over two CPUs loses part of each period (admission's module doc); an
    # environment of one vCPU or less runs on one CPU in cgroup mode, a larger one on all.
    handler = f"{Path(__file__).parent / 'functions' / 'affinity' / 'affinity.py'}:affinity.handler"
    mode = "cgroup" if _cgroup_possible() else "model"
    every = sorted(os.sched_getaffinity(0))
    with LocalLambda(cpu=mode) as server:
        client = _client(server)
        seen = {}
        for memory in (512, 1769, 3008):
            server.add_function(f"aff-{memory}", handler, MemorySize=memory)
            for _ in range(2):  # cold, then warm: both placed
                body = _invoke(client, FunctionName=f"aff-{memory}")["Body"]
                seen.setdefault(memory, []).append(json.loads(body)["cpus"])
    for memory, runs in seen.items():
        for cpus in runs:
            if mode == "cgroup" and memory <= 1769:
                assert len(cpus) == 1 and cpus[0] in every, (memory, cpus)
            else:  # model mode measures CPU time, and a share above one vCPU spans CPUs
                assert cpus == every, (mode, memory, cpus)
