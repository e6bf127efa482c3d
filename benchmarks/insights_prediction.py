"""How well `analyze` predicts durations at other sizes from Lambda Insights CPU time.

    python benchmarks/insights_prediction.py [--quick]

For each example function: run its handler here (wall and CPU time per invocation), turn that
into what a 1,024 MB Lambda would log (the REPORT line and the Lambda Insights performance
event with ``cpu_total_time``; the duration by the embedded runtime's own CPU model), run
`analyze --from-logs` on that export, then tune the same function on the embedded runtime (CPU
mode ``model``) at 256, 512, 1,024 (the observed size: how far the export itself is from the runtime) and
2,048 MB and print the predicted mean duration, its interval,
the measured mean, and the error. The embedded runtime models Lambda's CPU share with the same
formula analyze predicts with, so this checks the inference from logs end to end (CPU share
from events, intervals, noise of a loaded machine), not the CPU-share model against AWS.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from powertune.analyze.from_logs import analyze_files  # noqa: E402
from powertune.local import LocalLambda  # noqa: E402
from powertune.local.cpu import model_duration_s  # noqa: E402
from powertune.tune.plan import TuneFlags, resolve_plan  # noqa: E402
from powertune.tune.run import tune  # noqa: E402
from pricing.catalog import load_catalog  # noqa: E402

OBSERVED_MB = 1024
SIZES = (256, 512, 1024, 2048)  # 1024: the observed size itself, the export's own error
MIXED = """
import time

def lambda_handler(event, context):
    total = 0
    for i in range(int(event.get("n", 300000))):
        total += i * i % 7
    time.sleep(event.get("wait_ms", 60) / 1000)
    return {"total": total}
"""


def _handler(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{path.parent.name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def _export(name: str, code: Path, event: dict[str, Any], count: int, out: Path) -> None:
    handler = _handler(code / "lambda_function.py")
    handler(event, None)  # warm
    lines = []
    for i in range(count):
        wall, cpu = time.perf_counter(), time.process_time()
        handler(event, None)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        ms = model_duration_s(wall, cpu, OBSERVED_MB) * 1000
        lines.append(
            f"REPORT RequestId: {i:08d}-0000-4000-8000-000000000000\tDuration: {ms:.2f} ms\t"
            f"Billed Duration: {int(ms) + 1} ms\tMemory Size: {OBSERVED_MB} MB\t"
            "Max Memory Used: 60 MB\t"
        )
        perf = {
            "event_type": "performance",
            "function_name": name,
            "request_id": f"{i:08d}-0000-4000-8000-000000000000",
            "duration": round(ms, 2),
            "cpu_total_time": round(cpu * 1000),
            "total_memory": OBSERVED_MB,
            "used_memory_max": 60,
        }
        lines.append("2026-12-01T00:00:00.000Z " + json.dumps(perf))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer invocations")
    args = parser.parse_args()
    count = 6 if args.quick else 15
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    work = Path(tempfile.mkdtemp(prefix="powertune-insights-"))
    (work / "mixed").mkdir()
    (work / "mixed" / "lambda_function.py").write_text(MIXED)
    examples = ROOT / "examples" / "functions"
    cases = {
        "cpu_bound": (examples / "cpu_bound", {"limit": 30000}),
        "io_wait": (examples / "io_wait", {"wait_ms": 80, "calls": 1}),
        "multi_thread": (examples / "multi_thread", {"threads": 2, "rounds": 10}),
        "mixed": (work / "mixed", {"n": 200000, "wait_ms": 60}),
    }
    catalog = load_catalog(None)
    print(f"observed at {OBSERVED_MB} MB, {count} invocations; load={os.getloadavg()[0]:.1f}")
    print(f"{'function':>13} {'MB':>5} {'predicted ms':>13} {'interval':>17} {'tuned ms':>9} err")
    errors: list[float] = []
    shapes: list[float] = []
    with LocalLambda(cpu="model", concurrency=4) as srv:
        for name, (code, event) in cases.items():
            export = work / f"{name}.log"
            _export(name, code, event, count, export)
            analysis = analyze_files([export], catalog, days=14)
            facts = analysis.functions[0]
            assert facts.cpu is not None, f"{name}: no CPU profile"
            observed = facts.usage.duration_avg_ms if facts.usage else None
            srv.add_function(name, str(code), MemorySize=OBSERVED_MB, Timeout=60)
            plan = resolve_plan(
                TuneFlags(
                    function=name,
                    endpoint_url=srv.endpoint_url,
                    search_kind="grid",
                    memory=",".join(map(str, SIZES)),
                    invocations=count,
                    payload=json.dumps(event),
                    concurrency=2,
                    monthly_invocations=1000,
                )
            )
            result = tune(plan)
            fn = result.functions[0]
            base = fn.measurement(OBSERVED_MB)
            assert base is not None and base.duration_ms is not None
            for m in fn.measured():
                assert m.duration_ms is not None and observed is not None
                mid, low, high = facts.cpu.predict_ms(observed, m.memory_mb)
                err = (mid - m.duration_ms.mean) / m.duration_ms.mean
                # The shape: duration at this size over the duration at the observed size,
                # predicted from the export vs measured on the runtime (the baseline's own
                # error, the 1,024 MB row, left out).
                shape = (mid / observed) / (m.duration_ms.mean / base.duration_ms.mean) - 1
                if m.memory_mb != OBSERVED_MB:
                    errors.append(abs(err))
                    shapes.append(abs(shape))
                inside = "in" if low <= m.duration_ms.mean <= high else "out"
                print(
                    f"{name:>13} {m.memory_mb:>5} {mid:13.1f} {low:8.1f}-{high:8.1f} "
                    f"{m.duration_ms.mean:9.1f} {err:+5.0%} ({inside:>3})  shape {shape:+.0%}"
                )
    errors.sort()
    shapes.sort()
    print(
        f"other sizes: median |error| {errors[len(errors) // 2]:.0%} (max {errors[-1]:.0%}); "
        f"shape median |error| {shapes[len(shapes) // 2]:.0%} (max {shapes[-1]:.0%}) "
        f"over {len(errors)} (function, size) pairs"
    )


if __name__ == "__main__":
    main()
