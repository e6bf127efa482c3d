"""Summary statistics the tuner uses to turn Samples into a Measurement.

Durations summarise the successful invocations only (an error's duration says little about the
code path we are sizing); errors and cold starts are counted over all of them.

A size's mean duration and mean billed duration are the run's trimmed means (``trim`` of the
fastest and of the slowest left out, as aws-lambda-power-tuning's ``discardTopBottom``): the
figure the table, the JSON and the power-tuning URL report is the one the grid decides and
prices on (``powertune.models.fit.trimmed_mean``, the same function, on the same samples).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal

import numpy as np
from scipy import stats as _st

from powertune.models.fit import trimmed_mean
from powertune.results.model import (
    BilledStats,
    DurationStats,
    InitStats,
    Interval,
    Measurement,
    MoneyInterval,
    SampleRecord,
)
from powertune.types import Sample


def as_records(samples: Iterable[Sample | SampleRecord]) -> tuple[SampleRecord, ...]:
    """Target Samples (or records already) as the result's SampleRecords."""
    return tuple(s if isinstance(s, SampleRecord) else SampleRecord.from_sample(s) for s in samples)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation, as numpy computes it."""
    return float(np.percentile(np.asarray(values, dtype=float), q))


def mean_ci95(values: Sequence[float]) -> Interval | None:
    """Student-t 95% interval of the mean, floored at 0 (durations and prices are never
    negative); None with fewer than two values."""
    n = len(values)
    if n < 2:
        return None
    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean())
    sem = float(arr.std(ddof=1)) / math.sqrt(n)
    half = float(_st.t.ppf(0.975, n - 1)) * sem
    return (max(mean - half, 0.0), mean + half)


def kept(values: Sequence[float], trim: float) -> list[float]:
    """The values a ``trim`` trimmed mean averages: sorted, floor(n·trim) dropped at each end."""
    ordered = sorted(float(v) for v in values)
    cut = int(np.floor(len(ordered) * trim))
    return ordered[cut : len(ordered) - cut]


def duration_stats(values: Sequence[float], trim: float = 0.0) -> DurationStats | None:
    """Percentiles of all ``values``; the mean (and its interval) of those a ``trim`` trimmed
    mean keeps."""
    if not values:
        return None
    arr = np.asarray(values, dtype=float)
    p50, p90, p95, p99 = (float(v) for v in np.percentile(arr, [50, 90, 95, 99]))
    return DurationStats(
        mean=float(trimmed_mean(arr, trim)),
        p50=p50,
        p90=p90,
        p95=p95,
        p99=p99,
        ci95=mean_ci95(kept(values, trim)),
        trim=trim if trim > 0 else None,
    )


def billed_stats(values: Sequence[float], trim: float = 0.0) -> BilledStats | None:
    if not values:
        return None
    arr = np.asarray(values, dtype=float)
    p50, p95 = (float(v) for v in np.percentile(arr, [50, 95]))
    return BilledStats(mean=float(trimmed_mean(arr, trim)), p50=p50, p95=p95)


def init_stats(values: Sequence[float]) -> InitStats | None:
    if not values:
        return None
    return InitStats(mean=float(np.mean(values)), max=float(np.max(values)))


def measurement_from_samples(
    memory_mb: int,
    samples: Iterable[Sample | SampleRecord],
    *,
    cost_per_invocation: Decimal | None = None,
    cost_ci95: MoneyInterval | None = None,
    keep_samples: bool = True,
    trim: float = 0.0,
) -> Measurement:
    """A measured Measurement summarising ``samples`` (target Samples or SampleRecords) at
    ``memory_mb``; ``trim`` is the run's (its means are trimmed means). Money is priced by
    ``pricing/`` and passed in; this only summarises timings."""
    records = as_records(samples)
    ok = [r for r in records if r.ok]
    # Timings of the warm invocations, as the cost and the recommendation are (a cold start's
    # duration, slower by its cold caches, is counted in cold_starts and priced by its share).
    warm = [r for r in ok if not r.cold] or ok
    max_mem = [r.max_memory_mb for r in records if r.max_memory_mb is not None]
    return Measurement(
        memory_mb=memory_mb,
        status="measured",
        invocations=len(records),
        errors=len(records) - len(ok),
        cold_starts=sum(1 for r in records if r.cold),
        duration_ms=duration_stats([r.duration_ms for r in warm], trim),
        billed_ms=billed_stats([r.billed_ms for r in ok if r.billed_ms is not None], trim),
        init_ms=init_stats([r.init_ms for r in records if r.init_ms is not None]),
        max_memory_used_mb=max(max_mem) if max_mem else None,
        cost_per_invocation_usd=cost_per_invocation,
        cost_ci95_usd=cost_ci95,
        samples=records if keep_samples else (),
    )


def skipped_measurement(
    memory_mb: int,
    reason: str,
    samples: Iterable[Sample | SampleRecord] = (),
    *,
    keep_samples: bool = True,
) -> Measurement:
    """A size that was not measured, and why (out of memory, timeout, error rate, throttled)."""
    records = as_records(samples)
    return Measurement(
        memory_mb=memory_mb,
        status="skipped",
        skip_reason=reason,
        invocations=len(records),
        errors=sum(1 for r in records if not r.ok),
        cold_starts=sum(1 for r in records if r.cold),
        samples=records if keep_samples else (),
    )
