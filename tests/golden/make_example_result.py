"""Regenerate tests/golden/result-example.json (run from the repo root; deterministic).

Two functions, so the reports show each case:
- ``compression`` (SeBS 311, real warm invocations from sebs_311_warm_sample.csv: the first 30
  warm, successful invocations per size of /work/shared/data/curves/sebs/sebs_311_invocations.csv,
  SeBS artifact DOI 10.5281/zenodo.5209001, AWS us-east-1, Nov 2020), with a fitted
  ``a + b/memory`` curve and its 95% band, a recommendation from the model and monthly dollars;
- ``orders-api`` (synthetic: log-normal noise around a known curve), whose fit failed and whose
  128 MB size was skipped (out of memory), so the recommendation comes from measured sizes.

Costs use the us-east-1 x86_64 rates (AWS Lambda pricing page): $0.0000166667 per GB-s and
$0.20 per million requests. This is fixture data, not the tuner's pricing code.
"""

from __future__ import annotations

import csv
import math
from decimal import Decimal
from pathlib import Path

import numpy as np

from powertune.results import (
    Alternative,
    Arm64Comparison,
    Criterion,
    CurvePoint,
    FunctionResult,
    Model,
    Monthly,
    Pricing,
    Recommendation,
    Result,
    Run,
    Tuning,
    write_result,
)
from powertune.results.stats import measurement_from_samples, skipped_measurement
from powertune.types import Sample

HERE = Path(__file__).parent
GB_S = Decimal("0.0000166667")
REQUEST = Decimal("0.0000002")
Q = Decimal("1E-12")


def price(memory_mb: float, billed_ms: float) -> Decimal:
    return (REQUEST + GB_S * Decimal(memory_mb) / 1024 * Decimal(billed_ms) / 1000).quantize(Q)


def cost_of(memory_mb: int, samples: list[Sample]) -> tuple[Decimal, tuple[Decimal, Decimal]]:
    billed = np.array([s.billed_ms for s in samples], dtype=float)
    half = 1.96 * billed.std(ddof=1) / math.sqrt(len(billed))
    mean = float(billed.mean())
    return price(memory_mb, mean), (price(memory_mb, mean - half), price(memory_mb, mean + half))


def compression() -> FunctionResult:
    by_size: dict[int, list[Sample]] = {}
    with open(HERE / "sebs_311_warm_sample.csv") as f:
        for row in csv.DictReader(f):
            mb = int(row["memory_mb"])
            by_size.setdefault(mb, []).append(
                Sample(
                    memory_mb=mb,
                    duration_ms=float(row["provider_duration_ms"]),
                    billed_ms=int(row["billed_ms"]),
                    max_memory_mb=int(float(row["max_memory_used_mb"])),
                    request_id=row["request_id"],
                )
            )
    measurements = []
    for mb, samples in sorted(by_size.items()):
        cost, ci = cost_of(mb, samples)
        measurements.append(
            measurement_from_samples(mb, samples, cost_per_invocation=cost, cost_ci95=ci)
        )
    # least squares on duration = a + b / memory, with the usual prediction-of-mean band
    xs = np.array([1.0 / s.memory_mb for ss in by_size.values() for s in ss])
    ys = np.array([s.duration_ms for ss in by_size.values() for s in ss])
    design = np.column_stack([np.ones_like(xs), xs])
    coef, res, *_ = np.linalg.lstsq(design, ys, rcond=None)
    sigma2 = float(res[0]) / (len(ys) - 2)
    cov = sigma2 * np.linalg.inv(design.T @ design)
    # p95 as the mean times the typical measured p95/mean ratio (the spread grows with the mean)
    p95_ratio = float(np.median([m.duration_ms.p95 / m.duration_ms.mean for m in measurements]))  # type: ignore[union-attr]
    curve = []
    for mb in range(256, 3009, 64):
        v = np.array([1.0, 1.0 / mb])
        mean = float(v @ coef)
        half = 1.96 * math.sqrt(float(v @ cov @ v))
        p95 = mean * p95_ratio
        curve.append(
            CurvePoint(
                memory_mb=mb,
                duration_ms=round(mean, 3),
                duration_lo=round(mean - half, 3),
                duration_hi=round(mean + half, 3),
                duration_p95=round(p95, 3),
                duration_p95_hi=round((mean + half) * p95_ratio, 3),
                cost_per_invocation_usd=price(mb, mean),
                cost_lo_usd=price(mb, mean - half),
                cost_hi_usd=price(mb, mean + half),
            )
        )
    best = min(curve, key=lambda p: p.cost_per_invocation_usd or Decimal(1))
    fastest = min(curve, key=lambda p: p.duration_ms)
    invocations = 2_000_000
    now = next(m for m in measurements if m.memory_mb == 1024)
    assert now.cost_per_invocation_usd and best.cost_per_invocation_usd
    now_usd = (now.cost_per_invocation_usd * invocations).quantize(Decimal("0.01"))
    rec_usd = (best.cost_per_invocation_usd * invocations).quantize(Decimal("0.01"))
    return FunctionResult(
        name="compression",
        arn="arn:aws:lambda:us-east-1:123456789012:function:compression",
        region="us-east-1",
        architecture="x86_64",
        original_memory_mb=1024,
        payload_sha256="9f2b" * 16,
        measurements=tuple(measurements),
        model=Model(
            status="fitted",
            name="cpu_share",
            params={"fixed_ms": round(float(coef[0]), 3), "compute_ms_mb": round(float(coef[1]))},
            criterion=Criterion(name="aicc", value=2143.7),
            curve=tuple(curve),
        ),
        recommendation=Recommendation(
            strategy="cost",
            memory_mb=best.memory_mb,
            source="model",
            cost_per_invocation_usd=best.cost_per_invocation_usd,
            cost_interval_usd=(best.cost_lo_usd, best.cost_hi_usd),  # type: ignore[arg-type]
            duration_ms_p50=best.duration_ms,
            duration_ms_p95=best.duration_p95,
            duration_p95_interval=(best.duration_p95 or 0.0, best.duration_p95_hi or 0.0),
            knee_mb=1536,
            warnings=("headroom: 256 MB is under 1.2 × the peak Max Memory Used (178 MB)",),
            monthly=Monthly(
                invocations=invocations,
                invocations_source="cloudwatch",
                current_usd=now_usd,
                recommended_usd=rec_usd,
                saving_usd=now_usd - rec_usd,
            ),
            alternatives={
                "speed": Alternative(
                    memory_mb=fastest.memory_mb,
                    cost_per_invocation_usd=fastest.cost_per_invocation_usd,
                    duration_ms_p95=fastest.duration_p95,
                ),
            },
            arm64=Arm64Comparison(estimate=True, arm64_usd=Decimal("41.80")),
        ),
    )


def orders_api() -> FunctionResult:
    rng = np.random.default_rng(42)
    measurements = [skipped_measurement(128, "out of memory (Runtime.OutOfMemory) in 3 of 3")]
    for mb in (256, 512, 1024, 2048):
        base = 18.0 + 160.0 * 1769.0 / min(mb, 1769)
        samples = [
            Sample(
                memory_mb=mb,
                duration_ms=round(float(d), 2),
                billed_ms=math.ceil(d),
                max_memory_mb=141,
                request_id=f"req-{mb}-{i:02d}",
                init_ms=310.5 if i == 0 else None,
            )
            for i, d in enumerate(base * rng.lognormal(0.0, 0.09, 20))
        ]
        samples.append(
            Sample(
                memory_mb=mb,
                duration_ms=12.0,
                billed_ms=12,
                status="error",
                error_type="ValidationError",
                request_id=f"req-{mb}-err",
            )
        )
        cost, ci = cost_of(mb, [s for s in samples if s.ok])
        measurements.append(
            measurement_from_samples(mb, samples, cost_per_invocation=cost, cost_ci95=ci)
        )
    measured = [m for m in measurements if m.measured]
    best = min(measured, key=lambda m: m.cost_per_invocation_usd or Decimal(1))
    assert best.duration_ms is not None
    return FunctionResult(
        name="orders-api",
        region="us-east-1",
        architecture="arm64",
        original_memory_mb=512,
        measurements=tuple(measurements),
        model=Model(status="failed", failure_reason="too few sizes with timings (4 < 5)"),
        recommendation=Recommendation(
            strategy="cost",
            memory_mb=best.memory_mb,
            source="measured",
            cost_per_invocation_usd=best.cost_per_invocation_usd,
            duration_ms_p50=best.duration_ms.p50,
            duration_ms_p95=best.duration_ms.p95,
        ),
    )


def example_result() -> Result:
    return Result(
        tool_version="0.1.0",
        generated_at="2026-11-27T09:30:00Z",
        pricing=Pricing(catalog_version="2026-09-01", region="us-east-1"),
        run=Run(
            target="replay",
            search="adaptive",
            strategy="cost",
            tolerance=0.01,
            confidence=0.95,
            stop_reason="recommendation within 1% of the optimum",
            payload_sha256="9f2b" * 16,
        ),
        functions=(compression(), orders_api()),
        tuning=Tuning(
            invocations=264, billed_gb_s=3115.2, spend_usd=Decimal("0.05198"), wall_s=41.3
        ),
    )


if __name__ == "__main__":
    write_result(example_result(), HERE / "result-example.json")
