"""Does concurrency change what the local runtime measures? Prints both figures the issue asks:
p50 per size at --concurrency 1 and 10 (within 15% of each other), and the share of cold starts.

Runs the README's grid through the CLI, alternating concurrency 1 and 10 so both see the same
host, ``--pairs`` times (default 3):

    powertune tune --local examples/functions/cpu_bound --search grid --memory 512,1024 \\
        --invocations 8 --concurrency C --json out.json

and prints, per run, the p50 of each size, the cold starts among the measured invocations, the
queue waits, and the host's load, steal and CPUs kept busy by other processes (from the result's
``run.local``): on a shared host these say how far apart two runs may be for reasons of its own.
The verdict compares the p50s of all pairs' warm invocations pooled per concurrency: one pair
can sit in a slow stretch of the host's and the other not, which alternating cancels out.

    python benchmarks/local_concurrency.py [--pairs 3] [--memory 512,1024] [--invocations 8]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def tune(concurrency: int, memory: str, invocations: int, cpu: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        command = [
            sys.executable,
            "-m",
            "cli",
            "tune",
            "--local",
            str(ROOT / "examples/functions/cpu_bound"),
            "--search",
            "grid",
            "--memory",
            memory,
            "--invocations",
            str(invocations),
            "--concurrency",
            str(concurrency),
            "--cpu",
            cpu,
            "--json",
            str(out),
            "--quiet",
        ]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise SystemExit(f"tune failed ({done.returncode}): {done.stderr.strip()}")
        return json.loads(out.read_text())


def summary(doc: dict[str, Any]) -> tuple[dict[int, float], int, int, dict[str, Any]]:
    measurements = doc["functions"][0]["measurements"]
    p50 = {m["memory_mb"]: m["duration_ms"]["p50"] for m in measurements if m["duration_ms"]}
    cold = sum(m["cold_starts"] for m in measurements)
    total = sum(m["invocations"] for m in measurements)
    return p50, cold, total, doc["run"].get("local") or {}


def warm(doc: dict[str, Any]) -> dict[int, list[float]]:
    """The warm durations measured at each size."""
    return {
        m["memory_mb"]: [
            s["duration_ms"] for s in m["samples"] if s["status"] == "success" and not s["cold"]
        ]
        for m in doc["functions"][0]["measurements"]
    }


def _host(local: dict[str, Any]) -> str:
    steal = local.get("steal")
    return (
        f"load {local.get('load_average')}, steal {'?' if steal is None else f'{steal:.1%}'}, "
        f"others busy {local.get('other_load_cpus')} of {local.get('available_cpus')} CPUs"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--memory", default="512,1024")
    parser.add_argument("--invocations", type=int, default=8)
    parser.add_argument("--cpu", default="auto")
    args = parser.parse_args()
    pooled: dict[int, dict[int, list[float]]] = {1: {}, 10: {}}
    colds = {1: [0, 0], 10: [0, 0]}
    for pair in range(1, args.pairs + 1):
        docs = {c: tune(c, args.memory, args.invocations, args.cpu) for c in (1, 10)}
        runs = {c: summary(doc) for c, doc in docs.items()}
        for c, doc in docs.items():
            for m, durations in warm(doc).items():
                pooled[c].setdefault(m, []).extend(durations)
            colds[c][0] += runs[c][1]
            colds[c][1] += runs[c][2]
        print(f"\n== pair {pair}")
        for c, (p50, cold, total, local) in runs.items():
            sizes = ", ".join(f"{m} MB {v:.0f} ms" for m, v in sorted(p50.items()))
            print(
                f"concurrency {c:2d}: p50 {sizes}; cold {cold}/{total}; queued "
                f"{local.get('queued')} (max wait {local.get('queue_wait_ms_max')} ms, peak share "
                f"{local.get('peak_share')}); {_host(local)}"
            )
        one, ten = runs[1][0], runs[10][0]
        worst = max(abs(ten[m] / one[m] - 1) for m in one)
        cold_share = runs[10][1] / max(runs[10][2], 1)
        print(
            f"p50 at 10 vs 1: {', '.join(f'{m} MB {ten[m] / one[m] - 1:+.1%}' for m in sorted(one))}"
            f" (worst {worst:.1%}); cold at 10: {cold_share:.0%}"
        )
    # The verdict pools the pairs: a host whose speed moves by a fifth over tens of seconds (seen
    # on this VM) can set one pair apart by itself, and alternating is what cancels it.
    p50 = {c: {m: statistics.median(v) for m, v in pooled[c].items()} for c in pooled}
    deltas = {m: p50[10][m] / p50[1][m] - 1 for m in sorted(p50[1])}
    cold_share = colds[10][0] / max(colds[10][1], 1)
    print(
        f"\nall {args.pairs} pairs pooled: p50 at 10 vs 1: "
        + ", ".join(f"{m} MB {d:+.1%}" for m, d in deltas.items())
        + f" (target within 15%); cold at 10: {cold_share:.0%} (target at most 25%)"
    )
    ok = max(abs(d) for d in deltas.values()) <= 0.15 and cold_share <= 0.25
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
