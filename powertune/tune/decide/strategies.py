"""Pick a memory size from a cost curve: ``cost``, ``speed``, ``balanced`` or ``slo``.

- ``cost``: the lowest expected cost per invocation.
- ``speed``: the smallest size whose mean duration is within ``SPEED_TOLERANCE`` (1%) of the
  fastest on the curve (past it, more memory buys no measurable speed, only cost).
- ``balanced``: minimises ``w·cost' + (1−w)·duration'`` with both min-max normalised to [0, 1]
  over the curve (as aws-lambda-power-tuning does), ``w = balanced_weight``.
- ``slo``: the cheapest size whose predicted ``percentile`` (95 or 99) duration stays under
  ``max_p95_ms``. When no size meets it, that is an outcome (``slo_met=False``, the size with the
  lowest percentile duration), not an error.

Every choice reports the knee: the smallest size whose mean duration is within ``KNEE_SHARE``
(10%) of the fastest on the curve, past which more memory buys little speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from powertune.errors import InputError
from powertune.tune.decide.costcurve import CostCurve
from powertune.tune.plan import DEFAULT_BALANCED_WEIGHT, DEFAULT_PERCENTILE

STRATEGIES = ("cost", "speed", "balanced", "slo")
SPEED_TOLERANCE = 0.01
KNEE_SHARE = 0.10


class UnknownStrategy(InputError):
    """A strategy name that is not one of ``STRATEGIES`` (exit code 2)."""


class BadStrategyOption(InputError):
    """A strategy option out of range, such as a balanced weight outside [0, 1] (exit code 2)."""


@dataclass(frozen=True)
class Choice:
    """The chosen size with its predicted duration and cost (95% intervals)."""

    strategy: str
    memory_mb: int
    cost_per_invocation: Decimal
    cost_lo: Decimal
    cost_hi: Decimal
    duration_mean: float
    duration_mean_lo: float
    duration_mean_hi: float
    duration_p50: float
    duration_p50_lo: float
    duration_p50_hi: float
    duration_p95: float
    duration_p95_lo: float
    duration_p95_hi: float
    knee_mb: int
    source: str  # "model" | "measured"
    measured: bool  # whether this exact size was measured
    slo_met: bool | None = None  # for ``slo`` only
    slo_ms: float | None = None
    percentile: int = DEFAULT_PERCENTILE
    duration_pct: float | None = None  # the ``percentile`` duration the SLO was judged on


def knee(curve: CostCurve) -> int:
    """The smallest size whose mean duration is within 10% of the fastest on the curve."""
    best = float(np.min(curve.mean))
    within = np.nonzero(curve.mean <= best * (1.0 + KNEE_SHARE))[0]
    return int(curve.memory_mb[within[0]])


def _norm(x: np.ndarray) -> np.ndarray:
    span = float(np.max(x) - np.min(x))
    return (x - np.min(x)) / span if span > 0 else np.zeros_like(x)


def choose(
    strategy: str,
    curve: CostCurve,
    *,
    balanced_weight: float = DEFAULT_BALANCED_WEIGHT,
    max_p95_ms: float | None = None,
    percentile: int = DEFAULT_PERCENTILE,
) -> Choice:
    """The size ``strategy`` picks on ``curve`` (see the module docstring)."""
    if strategy not in STRATEGIES:
        raise UnknownStrategy(
            f"unknown strategy {strategy!r} (choose from {', '.join(STRATEGIES)})"
        )
    if not 0.0 <= balanced_weight <= 1.0:
        raise BadStrategyOption(f"balanced weight must be within 0-1, not {balanced_weight}")
    if percentile not in (95, 99):
        raise BadStrategyOption(f"percentile must be 95 or 99, not {percentile}")
    slo_met: bool | None = None
    pct_point = curve.quantiles[percentile][0]
    if strategy == "cost":
        i = int(np.argmin(curve.cost))
    elif strategy == "speed":
        fast = float(np.min(curve.mean))
        i = int(np.nonzero(curve.mean <= fast * (1.0 + SPEED_TOLERANCE))[0][0])
    elif strategy == "balanced":
        score = balanced_weight * _norm(curve.cost) + (1 - balanced_weight) * _norm(curve.mean)
        i = int(np.argmin(score))
    else:
        if max_p95_ms is None or not max_p95_ms > 0:
            raise BadStrategyOption("the slo strategy needs a positive --max-p95-ms")
        ok = np.nonzero(pct_point <= max_p95_ms)[0]
        slo_met = bool(len(ok))
        i = int(ok[np.argmin(curve.cost[ok])]) if slo_met else int(np.argmin(pct_point))
    m = int(curve.memory_mb[i])
    cost, cost_lo, cost_hi = curve.decimal_cost(m)
    p50, p50_lo, p50_hi = (float(a[i]) for a in curve.quantiles[50])
    p95, p95_lo, p95_hi = (float(a[i]) for a in curve.quantiles[95])
    return Choice(
        strategy=strategy,
        memory_mb=m,
        cost_per_invocation=cost,
        cost_lo=cost_lo,
        cost_hi=cost_hi,
        duration_mean=float(curve.mean[i]),
        duration_mean_lo=float(curve.mean_lo[i]),
        duration_mean_hi=float(curve.mean_hi[i]),
        duration_p50=p50,
        duration_p50_lo=p50_lo,
        duration_p50_hi=p50_hi,
        duration_p95=p95,
        duration_p95_lo=p95_lo,
        duration_p95_hi=p95_hi,
        knee_mb=knee(curve),
        source=curve.source,
        measured=m in curve.measured,
        slo_met=slo_met,
        slo_ms=max_p95_ms if strategy == "slo" else None,
        percentile=percentile,
        duration_pct=float(pct_point[i]),
    )
