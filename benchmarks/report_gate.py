"""How long reading, rendering and gating a large result take.

A typical result (1 function × 10 sizes × 50 invocations) and a large one (20 functions × 10 sizes
× 200 invocations: 40,000 samples, each with a fitted curve of 160 points). Prints the best of
three runs per operation, in seconds, and file sizes. jsonschema validation dominates reading and
writing: about 0.1 ms per stored invocation.

    python benchmarks/report_gate.py
"""

from __future__ import annotations

import math
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

from powertune.gate.compare import compare
from powertune.outputs import render_markdown
from powertune.outputs.html import render_html
from powertune.results import (
    CurvePoint,
    FunctionResult,
    Model,
    Pricing,
    Recommendation,
    Result,
    Run,
    Tuning,
    dumps_result,
    load_result,
)
from powertune.results.stats import measurement_from_samples
from powertune.types import Sample
from powertune_cli.table import render_table

SIZES = (128, 256, 512, 768, 1024, 1536, 2048, 3008, 5120, 10240)


def big_result(seed: int, functions: int = 20, per_size: int = 200) -> Result:
    rng = np.random.default_rng(seed)
    fns = []
    for f in range(functions):
        ms = []
        for mb in SIZES:
            base = 20 + 300 * 1769 / min(mb, 1769)
            durations = base * rng.lognormal(0, 0.1, per_size)
            samples = [
                Sample(memory_mb=mb, duration_ms=float(d), billed_ms=math.ceil(d), max_memory_mb=90)
                for d in durations
            ]
            cost = Decimal("0.0000166667") * mb / 1024 * Decimal(float(durations.mean())) / 1000
            ms.append(measurement_from_samples(mb, samples, cost_per_invocation=cost))
        curve = tuple(
            CurvePoint(memory_mb=mb, duration_ms=20 + 300 * 1769 / min(mb, 1769))
            for mb in range(128, 10241, 64)
        )
        best = ms[3]
        assert best.duration_ms is not None
        fns.append(
            FunctionResult(
                name=f"fn-{f:02d}",
                region="us-east-1",
                architecture="x86_64",
                original_memory_mb=1024,
                measurements=tuple(ms),
                model=Model(status="fitted", name="cpu_share", curve=curve),
                recommendation=Recommendation(
                    strategy="cost",
                    memory_mb=best.memory_mb,
                    source="measured",
                    cost_per_invocation_usd=best.cost_per_invocation_usd,
                    duration_ms_p50=best.duration_ms.p50,
                    duration_ms_p95=best.duration_ms.p95,
                ),
            )
        )
    return Result(
        tool_version="0.1.0",
        generated_at="2026-11-27T10:00:00Z",
        pricing=Pricing(catalog_version="2026-09-01", region="us-east-1"),
        run=Run(target="replay", search="grid", strategy="cost"),
        functions=tuple(fns),
        tuning=Tuning(
            invocations=functions * len(SIZES) * per_size,
            billed_gb_s=1.0,
            spend_usd=None,
            wall_s=1.0,
        ),
    )


def timed(label: str, fn, repeat: int = 3):  # type: ignore[no-untyped-def]
    best = math.inf
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<38} {best:8.3f} s")
    return out


def main() -> None:
    typical = big_result(3, functions=1, per_size=50)
    print("typical result: 1 function x 10 sizes x 50 invocations = 500 samples")
    timed("to JSON (encode + validate)", lambda: dumps_result(typical))
    timed("render_html", lambda: render_html(typical))
    a, b = big_result(1), big_result(2)
    print("result: 20 functions x 10 sizes x 200 invocations = 40,000 samples")
    text = timed("to JSON (encode + validate)", lambda: dumps_result(a))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.json"
        path.write_text(text)
        print(f"{'JSON size':<38} {len(text) / 1e6:8.2f} MB")
        timed("load_result (parse + validate)", lambda: load_result(path))
    timed("render_table", lambda: render_table(a))
    timed("render_markdown", lambda: render_markdown(a))
    page = timed("render_html", lambda: render_html(a))
    print(f"{'HTML size':<38} {len(page) / 1e6:8.2f} MB")
    timed("gate compare (20 functions)", lambda: compare(a, b))


if __name__ == "__main__":
    main()
