"""Does CPU follow memory on the local runtime? Prints one table per CPU mode.

A single-threaded CPU-bound handler (examples/functions/cpu_bound) and a two-thread one
(examples/functions/multi_thread) are deployed once per memory size, and invoked warm through
boto3 in rounds: every round invokes every size once, so a change in the host's load hits all
sizes alike instead of biasing the ones measured while it lasted. The median REPORT Duration is
compared with Lambda's rule: duration proportional to 1 / vCPU share (memory / 1,769 MB) up to
one vCPU, then flat for one thread, while two threads keep speeding up.

The host's load average, the hypervisor's steal and the CPUs other processes kept busy are
printed with each table: on a shared host they, not the runtime, set how close the figures get.

    python benchmarks/local_cpu_scaling.py [--modes cgroup,model] [--rounds 7] [--limit 60000]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import statistics
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from powertune.local import LocalLambda
from powertune.models.cpu_share import speedup

ROOT = Path(__file__).resolve().parents[1]
SINGLE_SIZES = (128, 256, 512, 1024, 1769, 3008, 3538)
THREAD_SIZES = (1769, 3538)
DURATION = re.compile(r"\tDuration: (\d+\.\d+) ms")


def _duration_ms(response: dict) -> float:
    tail = base64.b64decode(response["LogResult"]).decode()
    found = DURATION.search(tail.splitlines()[-1])
    assert found, tail
    return float(found.group(1))


def _invoke(client: Any, name: str, payload: bytes) -> float:
    response = client.invoke(FunctionName=name, Payload=payload, LogType="Tail")
    assert "FunctionError" not in response, response["Payload"].read()
    response["Payload"].read()
    return _duration_ms(response)


def _load() -> str:
    return (
        " ".join(Path("/proc/loadavg").read_text().split()[:3])
        if os.path.exists("/proc/loadavg")
        else "?"
    )


def run(mode: str, rounds: int, limit: int, thread_rounds: int) -> bool:
    with LocalLambda(cpu=mode, update_seconds=0.01) as server:
        functions: list[tuple[str, int, bytes]] = []
        for memory in SINGLE_SIZES:
            name = f"single-{memory}"
            server.add_function(
                name, str(ROOT / "examples/functions/cpu_bound"), MemorySize=memory, Timeout=300
            )
            functions.append((name, memory, json.dumps({"limit": limit}).encode()))
        for memory in THREAD_SIZES:
            name = f"threads-{memory}"
            server.add_function(
                name, str(ROOT / "examples/functions/multi_thread"), MemorySize=memory, Timeout=300
            )
            payload = {"threads": 2, "rounds": thread_rounds}
            functions.append((name, memory, json.dumps(payload).encode()))
        session = boto3.Session(
            aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
        )
        client = session.client(
            "lambda", endpoint_url=server.endpoint_url, config=Config(read_timeout=300)
        )
        print(f"\n== cpu mode: {server.cpu_mode} ({server.cpu_reason})")
        print(f"   {server.host_cpus.count:g} CPUs ({server.host_cpus.source}); load {_load()}")
        for name, _memory, payload in functions:
            _invoke(client, name, payload)  # the cold start, not measured
        samples: dict[str, list[float]] = {name: [] for name, _, _ in functions}
        for _ in range(rounds):
            for name, _memory, payload in functions:
                samples[name].append(_invoke(client, name, payload))
        info = server.runtime_info()
        single = {m: statistics.median(samples[f"single-{m}"]) for m in SINGLE_SIZES}
        threads = {m: statistics.median(samples[f"threads-{m}"]) for m in THREAD_SIZES}
        # Proportionality: duration x share should be one constant up to 1,769 MB; take the
        # median over those sizes as that constant rather than trusting any single point.
        reference = statistics.median(single[m] * speedup(m) for m in SINGLE_SIZES if m <= 1769)
        print(f"{'MB':>6} {'single ms':>10} {'expected':>9} {'dev':>7}   {'2 threads ms':>12}")
        worst = 0.0
        for memory, measured in single.items():
            expected = reference / speedup(memory)
            deviation = measured / expected - 1
            if memory <= 1769:
                worst = max(worst, abs(deviation))
            extra = f"{threads[memory]:12.1f}" if memory in threads else ""
            print(f"{memory:6d} {measured:10.1f} {expected:9.1f} {deviation:+7.1%}   {extra}")
        ratio = single[256] / single[1024]
        ratio_dev = ratio / (speedup(1024) / speedup(256)) - 1
        flat = single[3538] / single[1769]
        gain = threads[1769] / threads[3538]
        print(f"worst deviation 128-1769 MB: {worst:.1%} (target within 10%)")
        print(f"256/1024 MB duration ratio: {ratio:.2f} (Lambda: 4.00, {ratio_dev:+.1%})")
        print(f"single thread 3538/1769 MB duration ratio: {flat:.2f} (target about 1: flat)")
        print(
            f"two threads 1769/3538 MB speedup: {gain:.2f} (target about 2, host has "
            f"{server.host_cpus.count:g} CPUs)"
        )
        print(
            f"host while measuring: load {_load()}, steal {_pct(info.steal)}, other processes "
            f"kept {info.other_load_cpus} CPUs busy on average"
        )
        return worst <= 0.10 and 0.9 <= flat <= 1.1 and gain >= 1.3


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{value:.1%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--modes", default="cgroup,model")
    parser.add_argument("--rounds", type=int, default=7, help="invocations per size")
    parser.add_argument("--limit", type=int, default=60000, help="cpu_bound event limit")
    parser.add_argument("--thread-rounds", type=int, default=150, help="multi_thread rounds")
    args = parser.parse_args()
    results = {
        mode: run(mode, args.rounds, args.limit, args.thread_rounds)
        for mode in args.modes.split(",")
    }
    print("\n" + ", ".join(f"{m}: {'PASS' if ok else 'FAIL'}" for m, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
