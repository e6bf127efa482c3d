"""Does CPU follow memory on the local runtime? Prints one table per CPU mode.

For each memory size, a single-threaded CPU-bound handler (examples/functions/cpu_bound) and a
two-thread one (examples/functions/multi_thread) are invoked warm through boto3, and the median
REPORT Duration is compared with Lambda's rule: duration proportional to 1 / vCPU share
(memory / 1,769 MB) up to one vCPU, then flat for one thread, while two threads keep speeding up.

    python benchmarks/local_cpu_scaling.py [--modes cgroup,model] [--repeats 5] [--limit 60000]
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import statistics
import sys
from pathlib import Path

import boto3
from botocore.config import Config

from powertune.local import LocalLambda
from powertune.models.cpu_share import speedup

ROOT = Path(__file__).resolve().parents[1]
SINGLE_SIZES = (128, 256, 512, 1024, 1769, 3008, 3538)
DURATION = re.compile(r"\tDuration: (\d+\.\d+) ms")


def _duration_ms(response: dict) -> float:
    tail = base64.b64decode(response["LogResult"]).decode()
    found = DURATION.search(tail.splitlines()[-1])
    assert found, tail
    return float(found.group(1))


def _measure(client: object, name: str, memory: int, payload: dict, repeats: int) -> float:
    client.update_function_configuration(FunctionName=name, MemorySize=memory, Timeout=300)  # type: ignore[attr-defined]
    client.get_waiter("function_updated_v2").wait(  # type: ignore[attr-defined]
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 100}
    )
    body = json.dumps(payload).encode()
    client.invoke(FunctionName=name, Payload=body)  # type: ignore[attr-defined]  # cold start
    samples = []
    for _ in range(repeats):
        response = client.invoke(FunctionName=name, Payload=body, LogType="Tail")  # type: ignore[attr-defined]
        assert "FunctionError" not in response, response["Payload"].read()
        samples.append(_duration_ms(response))
    return statistics.median(samples)


def run(mode: str, repeats: int, limit: int, rounds: int) -> bool:
    functions = {
        "single": str(ROOT / "examples/functions/cpu_bound"),
        "threads": str(ROOT / "examples/functions/multi_thread"),
    }
    with LocalLambda(cpu=mode, functions=functions, update_seconds=0.01) as server:
        session = boto3.Session(
            aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
        )
        client = session.client(
            "lambda", endpoint_url=server.endpoint_url, config=Config(read_timeout=300)
        )
        print(f"\n== cpu mode: {server.cpu_mode} ({server.cpu_reason})")
        print(f"{'MB':>6} {'single ms':>10} {'expected':>9} {'dev':>7}   {'2 threads ms':>12}")
        single = {m: _measure(client, "single", m, {"limit": limit}, repeats) for m in SINGLE_SIZES}
        threads = {
            m: _measure(client, "threads", m, {"threads": 2, "rounds": rounds}, repeats)
            for m in (1769, 3538)
        }
        # Proportionality: duration x share should be one constant up to 1,769 MB; take the
        # median of the five as that constant rather than trusting any single point.
        reference = statistics.median(single[m] * speedup(m) for m in SINGLE_SIZES if m <= 1769)
        worst = 0.0
        for memory, measured in single.items():
            expected = reference / speedup(memory)
            deviation = measured / expected - 1
            if memory <= 1769:
                worst = max(worst, abs(deviation))
            extra = f"{threads[memory]:12.1f}" if memory in threads else ""
            print(f"{memory:6d} {measured:10.1f} {expected:9.1f} {deviation:+7.1%}   {extra}")
        flat = single[3538] / (reference / speedup(1769))
        gain = threads[1769] / threads[3538]
        print(f"worst deviation 128-1769 MB: {worst:.1%} (target within 15%)")
        print(f"single thread 3538/1769 MB duration ratio: {flat:.2f} (target about 1: flat)")
        print(
            f"two threads 1769/3538 MB speedup: {gain:.2f} (target about 2, host has "
            f"{__import__('os').cpu_count()} cores)"
        )
        return worst <= 0.15 and 0.85 <= flat <= 1.15 and gain >= 1.3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modes", default="cgroup,model")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--limit", type=int, default=60000, help="cpu_bound event limit")
    parser.add_argument("--rounds", type=int, default=150, help="multi_thread rounds per thread")
    args = parser.parse_args()
    results = {
        mode: run(mode, args.repeats, args.limit, args.rounds) for mode in args.modes.split(",")
    }
    print("\n" + ", ".join(f"{m}: {'PASS' if ok else 'FAIL'}" for m, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
