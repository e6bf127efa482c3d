"""Warm invoke overhead of the local runtime: a no-op handler, round trip through boto3 on loopback.

Target: p50 <= 5 ms. Prints p50/p90/p99 of the client-side round trip and of the REPORT Duration.

    python benchmarks/local_invoke_overhead.py [--count 500] [--cpu model|cgroup|auto] [--memory 1769]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import boto3

from powertune.local import LocalLambda

ROOT = Path(__file__).resolve().parents[1]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--cpu", default="auto")
    parser.add_argument("--memory", type=int, default=1769)
    parser.add_argument("--log-type", default="None", choices=["None", "Tail"])
    args = parser.parse_args()
    functions = {"noop": str(ROOT / "examples/functions/noop")}
    with LocalLambda(cpu=args.cpu, functions=functions, update_seconds=0.01) as server:
        session = boto3.Session(
            aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
        )
        client = session.client("lambda", endpoint_url=server.endpoint_url)
        client.update_function_configuration(FunctionName="noop", MemorySize=args.memory)
        client.get_waiter("function_updated_v2").wait(
            FunctionName="noop", WaiterConfig={"Delay": 0.05}
        )
        for _ in range(20):  # cold start, connection pool, botocore caches
            client.invoke(FunctionName="noop", Payload=b"{}")
        rounds = []
        for _ in range(args.count):
            started = time.perf_counter()
            response = client.invoke(FunctionName="noop", Payload=b"{}", LogType=args.log_type)
            response["Payload"].read()
            rounds.append((time.perf_counter() - started) * 1000)
        p50 = statistics.median(rounds)
        print(
            f"cpu mode {server.cpu_mode}, {args.memory} MB, {args.count} warm invokes, "
            f"LogType={args.log_type}"
        )
        print(
            f"round trip ms: p50 {p50:.2f}  p90 {_percentile(rounds, 0.9):.2f}  "
            f"p99 {_percentile(rounds, 0.99):.2f}  min {min(rounds):.2f}"
        )
        print(f"target p50 <= 5 ms: {'PASS' if p50 <= 5 else 'FAIL'}")
        return 0 if p50 <= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
