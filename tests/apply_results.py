"""Results for the apply tests: functions with chosen names, sizes and measured durations.

Durations are deterministic (seeded log-normal noise around a chosen mean per size). Costs use
the us-east-1 x86_64 rates ($0.0000166667 per GB-s, $0.20 per million requests): fixture data,
not the tuner's pricing code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np

from powertune.results import (
    FunctionResult,
    Pricing,
    Recommendation,
    Result,
    Run,
    Tuning,
    write_result,
)
from powertune.results.stats import measurement_from_samples
from powertune.types import Sample

GB_S = Decimal("0.0000166667")
REQUEST = Decimal("0.0000002")


@dataclass
class Fn:
    name: str
    original_mb: int
    recommended_mb: int
    mean_ms: dict[int, float] = field(default_factory=dict)  # size -> mean duration
    arn: str | None = None
    region: str = "us-east-1"
    architecture: str = "x86_64"


def _cost(memory_mb: int, billed: list[int]) -> Decimal:
    mean_billed = Decimal(sum(billed)) / Decimal(len(billed))
    gb_s = Decimal(memory_mb) / Decimal(1024) * mean_billed / Decimal(1000)
    return (gb_s * GB_S + REQUEST).quantize(Decimal("0.000000000001"))


def function_result(fn: Fn, seed: int = 7, n: int = 30) -> FunctionResult:
    rng = np.random.default_rng(seed)
    means = fn.mean_ms or {fn.original_mb: 100.0, fn.recommended_mb: 100.0}
    measurements = []
    for size, mean in sorted(means.items()):
        durations = mean * np.exp(rng.normal(0.0, 0.05, n))
        samples = [
            Sample(memory_mb=size, duration_ms=float(d), billed_ms=math.ceil(float(d)))
            for d in durations
        ]
        cost = _cost(size, [s.billed_ms or 0 for s in samples])
        measurements.append(measurement_from_samples(size, samples, cost_per_invocation=cost))
    rec_m = next(m for m in measurements if m.memory_mb == fn.recommended_mb)
    assert rec_m.duration_ms is not None
    rec = Recommendation(
        strategy="cost",
        memory_mb=fn.recommended_mb,
        source="measured",
        cost_per_invocation_usd=rec_m.cost_per_invocation_usd,
        duration_ms_p50=rec_m.duration_ms.p50,
        duration_ms_p95=rec_m.duration_ms.p95,
    )
    return FunctionResult(
        name=fn.name,
        arn=fn.arn,
        region=fn.region,
        architecture=fn.architecture,
        original_memory_mb=fn.original_mb,
        measurements=tuple(measurements),
        recommendation=rec,
    )


def make_result(functions: list[Fn], path: Path | None = None) -> Result:
    result = Result(
        tool_version="0.1.0",
        generated_at="2026-12-01T12:00:00Z",
        pricing=Pricing(catalog_version="2026-11-01", region="us-east-1"),
        run=Run(
            target="aws",
            search="adaptive",
            strategy="cost",
            tolerance=0.01,
            confidence=0.95,
            stop_reason="recommendation within 1% of the optimum",
        ),
        functions=tuple(function_result(f, seed=i) for i, f in enumerate(functions)),
        tuning=Tuning(invocations=60, billed_gb_s=1.0, spend_usd=Decimal("0.01"), wall_s=3.0),
    )
    if path is not None:
        write_result(result, path)
    return result
