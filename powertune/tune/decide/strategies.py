"""Pick a memory size from a cost curve: ``cost``, ``speed``, ``balanced`` or ``slo``.

- ``cost``: the sizes the run cannot tell from the cheapest are tied with it, and the tie goes
  to the fastest of them (the cheapest size as fast as the fastest tied size: within
  ``TIE_SPEED_TOLERANCE``, 3%, of its mean, and on a free run also inside its mean's 95%
  interval; a speed the run cannot tell apart is not worth a step up in memory). On a
  model curve (bootstrap draws of the cost) a size is tied unless the draws put it more than
  ``tie_band`` (default 1%) above each draw's cheapest in at least ``confidence`` (95%) of them:
  only a confident exclusion leaves a size out, so a cost difference the evidence cannot
  resolve never costs a 10x slower function. The tie goes to the fastest tied size whose point
  estimate is within ``CLAIM_BANDS`` bands of the cheapest: a faster tied size priced beyond
  that is named, with why, not taken on a guess. On a measured
  curve (no draws) the band is the point estimates within ``tie_band`` of the cheapest.
  ``tie_band=0`` is the strictly cheapest size (aws-lambda-power-tuning's ``cost``).
  ``Choice.reason`` says why, with the cost that may be given up as a 95% interval over the
  draws ("the run cannot tell the cost of 128 to 1769 MB apart; 1769 MB is 14x faster for
  +0.8% (95%: +0.0% to +2.1%)").
- ``speed``: the smallest size whose mean duration is within ``SPEED_TOLERANCE`` (1%) of the
  fastest on the curve (past it, more memory buys no measurable speed, only cost).
- ``balanced``: aws-lambda-power-tuning's score, minimised: ``w·cost/maxCost +
  (1−w)·duration/maxDuration`` (max over the curve), ``w = balanced_weight``; ties go to the
  smaller size, as its stable sort over ascending sizes does.
- ``slo``: the cheapest size whose predicted ``percentile`` (95 or 99) duration stays under
  ``max_p95_ms``, with the same tie band as ``cost`` among the sizes that meet it. When no size
  meets it, that is an outcome (``slo_met=False``, the size with the lowest percentile
  duration), not an error.

With ``scoring="power-tuning"`` (the default under ``--from-power-tuning``) ``cost``, ``speed`` and
``balanced`` score the sizes exactly as aws-lambda-power-tuning's analyzer does
(``power_tuning_index``): its cost per size is memory × the mean billed duration rounded up to
1 ms (no request fee, no INIT share), ``speed`` is strictly the fastest, ties go its way. The
choice is then priced as every other (powertune's figures); only which size wins changes.

Every choice reports the knee: the smallest size whose mean duration is within ``KNEE_SHARE``
(10%) of the fastest on the curve, past which more memory buys little speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from powertune.errors import InputError
from powertune.tune.decide.costcurve import CostCurve
from powertune.tune.plan import (
    DEFAULT_BALANCED_WEIGHT,
    DEFAULT_CONFIDENCE,
    DEFAULT_PERCENTILE,
    SCORING_POWER_TUNING,
    SCORING_POWERTUNE,
    SCORINGS,
)

STRATEGIES = ("cost", "speed", "balanced", "slo")
SPEED_TOLERANCE = 0.01
# The tie goes to the cheapest tied size within this of the fastest tied one: a percent or two
# of speed is the noise of one run (a vCPU's quota, the host), not worth a step up in memory.
TIE_SPEED_TOLERANCE = 0.03
DEFAULT_TIE_BAND = 0.01  # the run's default tolerance
BALANCED_FORMULA = "w*cost/maxCost + (1-w)*duration/maxDuration"
KNEE_SHARE = 0.10
DRAW_WIDENING = 1.5  # the draws' spread, widened for the exclusion test (band_calibration.py)
CLAIM_BANDS = 2.0  # a choice's cost given up is bounded by this many tie bands (band + doubt)


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
    tie_band: float = 0.0  # ``cost``/``slo``: the band the choice was made within
    cheapest_mb: int | None = None  # ``cost``/``slo``: the strictly cheapest size
    reason: str | None = None  # why not the strictly cheapest (the tie band), in words
    tied_mb: tuple[int, ...] = ()  # ``cost``/``slo``: the sizes tied with the cheapest
    given_up: tuple[float, float] | None = None  # cost above the cheapest, 95% over the draws
    claim_bands: float | None = CLAIM_BANDS  # the bound ``bounded`` put on the tie (None: none)
    floor_mb: int = 0  # no size below this was a candidate (``memory_floor``)


def speed_index(curve: CostCurve, pool: np.ndarray | None = None) -> int:
    """Index of the smallest size (of ``pool``; all by default) whose mean duration is within
    ``SPEED_TOLERANCE`` of the fastest (past it, more memory buys no measurable speed)."""
    pool = np.arange(len(curve.memory_mb)) if pool is None else pool
    fast = float(np.min(curve.mean[pool]))
    return int(pool[np.nonzero(curve.mean[pool] <= fast * (1.0 + SPEED_TOLERANCE))[0][0]])


def memory_floor(skipped: dict[int, str], measured: list[int]) -> int:
    """The smallest size a choice may be: above the largest size that ran out of memory, the
    smallest size measured. Between the two the function may not fit and nothing says it does,
    so a model priced from larger sizes would recommend it blind. 0 without such a failure."""
    oom = [m for m, why in skipped.items() if why.startswith("out of memory")]
    if not oom:
        return 0
    above = [m for m in measured if m > max(oom)]
    return min(above) if above else max(oom) + 1


def candidates(curve: CostCurve, floor_mb: int = 0) -> np.ndarray:
    """Indices of the sizes of ``curve`` a strategy may choose: those at or above ``floor_mb``
    (all of them when none is)."""
    pool = np.nonzero(curve.memory_mb >= floor_mb)[0]
    return pool if len(pool) else np.arange(len(curve.memory_mb))


def knee(curve: CostCurve) -> int:
    """The smallest size whose mean duration is within 10% of the fastest on the curve."""
    best = float(np.min(curve.mean))
    within = np.nonzero(curve.mean <= best * (1.0 + KNEE_SHARE))[0]
    return int(curve.memory_mb[within[0]])


def balanced_score(cost: np.ndarray, duration: np.ndarray, weight: float) -> np.ndarray:
    """aws-lambda-power-tuning's balanced value (lower is better), along the last axis."""
    max_cost = np.max(cost, axis=-1, keepdims=True)
    max_duration = np.max(duration, axis=-1, keepdims=True)
    return weight * cost / np.where(max_cost > 0, max_cost, 1.0) + (1 - weight) * duration / (
        np.where(max_duration > 0, max_duration, 1.0)
    )


def power_tuning_figures(curve: CostCurve) -> tuple[np.ndarray, np.ndarray]:
    """(cost, duration) per size as aws-lambda-power-tuning's executor computes them: cost is
    proportional to memory × its mean billed ms rounded up (``computePrice``: no request fee;
    the constant per-MB price cancels out of every comparison), duration the mean duration.
    Under cold starts (every invocation cold, its onlyColdStarts) both include INIT, as its
    averages do; otherwise INIT is left out, as its warm runs leave it."""
    billed = np.array([float(curve.mean[i]) + curve.rounding(i) for i in range(len(curve.mean))])
    duration = np.asarray(curve.mean, dtype=float)
    if curve.cold_share >= 1.0:
        billed = billed + curve.init_ms
        duration = duration + curve.init_ms
    # round first: a trimmed mean of whole billed ms comes back as 13.000000000000002
    cost = curve.memory_mb.astype(float) * np.ceil(np.round(billed, 6))
    return cost, duration


def power_tuning_index(strategy: str, curve: CostCurve, weight: float) -> int:
    """The size aws-lambda-power-tuning's analyzer picks on ``curve``: ``cost`` the cheapest
    (ties: the faster), ``speed`` the fastest (ties: the cheaper), ``balanced`` the lowest
    ``BALANCED_FORMULA`` (ties: the smaller size, its sort being stable)."""
    cost, duration = power_tuning_figures(curve)
    return power_tuning_pick(strategy, cost, duration, weight)


def power_tuning_pick(strategy: str, cost: np.ndarray, duration: np.ndarray, weight: float) -> int:
    """Its analyzer's pick among sizes given in ascending order, from its average cost and
    duration per size (``findCheapest``, ``findFastest``, ``findBalanced``)."""
    cost, duration = np.asarray(cost, dtype=float), np.asarray(duration, dtype=float)
    if strategy == "cost":
        return int(np.lexsort((duration, cost))[0])
    if strategy == "speed":
        return int(np.lexsort((cost, duration))[0])
    return int(np.argmin(balanced_score(cost, duration, weight)))


def tied_with_cheapest(
    curve: CostCurve, pool: np.ndarray, band: float, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[int, np.ndarray]:
    """(cheapest, tied) indices among ``pool``: the point estimate's cheapest, and the sizes the
    run cannot tell from it. With draws, a size is left out only when it is more than ``band``
    above the cheapest in the same draw in at least ``confidence`` of the draws; without,
    the point estimates within ``band`` of the cheapest."""
    cheapest = int(pool[np.argmin(curve.cost[pool])])
    if band <= 0:
        return cheapest, np.array([cheapest])
    if curve.cost_draws is None:
        return cheapest, pool[curve.cost[pool] <= curve.cost[cheapest] * (1.0 + band)]
    # The draws' spread around the point estimate, widened: they miss the doubt about the form
    # and the host's drift (band_calibration.py: 6% of exclusions were wrong on cost-flat curves
    # at their own width).
    # Each size against the cheapest in the same draw (a paired comparison): against each
    # draw's own minimum, independent noise at many sizes would make every size look dearer.
    raw = curve.cost_draws[:, pool]
    c = curve.cost[pool] + DRAW_WIDENING * (raw - raw.mean(axis=0))
    ref = c[:, [int(np.argmin(curve.cost[pool]))]]
    inside = np.mean(c / ref - 1.0 <= band, axis=0)
    keep = pool[inside > 1.0 - confidence]
    return cheapest, np.union1d(keep, [cheapest]).astype(int)


def fastest_within_band(
    curve: CostCurve,
    pool: np.ndarray,
    band: float,
    confidence: float = DEFAULT_CONFIDENCE,
    claim_bands: float | None = CLAIM_BANDS,
) -> tuple[int, int, np.ndarray]:
    """(chosen, cheapest, tied) indices: the sizes of ``pool`` tied with its cheapest
    (``tied_with_cheapest``), and of those whose extra cost the run can bound (``bounded``) the
    cheapest one as fast as their fastest (``as_fast_as``; costs within half the band of that
    count as equal, and the faster of them wins)."""
    cheapest, tied = tied_with_cheapest(curve, pool, band, confidence)
    eligible = bounded(curve, tied, pool, band, claim_bands)
    fastest = int(eligible[np.argmin(curve.mean[eligible])])
    near = eligible[curve.mean[eligible] <= as_fast_as(curve, fastest, claim_bands)]
    # Of those, the cheapest, where "cheaper" means by more than half the band: two sizes a
    # hair apart in cost go to the faster one.
    low = float(np.min(curve.cost[near]))
    cheap = near[curve.cost[near] <= low * (1.0 + band / 2)]
    # ... but not past the measured sizes: there the model extrapolates its speed
    if curve.measured:
        m = curve.memory_mb[cheap]
        cheap = cheap[(m >= min(curve.measured)) & (m <= max(curve.measured))]
    if not len(cheap):
        return int(near[np.argmin(curve.cost[near])]), cheapest, tied
    return int(cheap[np.argmin(curve.mean[cheap])]), cheapest, tied


def as_fast_as(curve: CostCurve, fastest: int, claim_bands: float | None = CLAIM_BANDS) -> float:
    """The mean duration (ms) up to which a tied size counts as fast as the fastest tied one
    (index ``fastest``): within ``TIE_SPEED_TOLERANCE`` of its mean; on a run with no bound
    on the tie (``claim_bands=None``, a free target that measured until the answer held) also
    within its mean's 95% interval. A speed such a run cannot tell from the fastest's is not
    worth more memory, so the cheaper size wins (a fast edge measured 3.5% quicker on one run's
    noise took the tie). A paid run's interval at the fast edge is as wide as a few invocations
    make it, and its tie is already bounded by the point estimate (``bounded``)."""
    mean = float(curve.mean[fastest])
    limit = mean * (1.0 + TIE_SPEED_TOLERANCE)
    return limit if claim_bands is not None else max(limit, float(curve.mean_hi[fastest]))


def bounded(
    curve: CostCurve,
    tied: np.ndarray,
    pool: np.ndarray,
    band: float,
    claim_bands: float | None = CLAIM_BANDS,
) -> np.ndarray:
    """The tied sizes the tie may go to: those whose point estimate is within ``claim_bands``
    bands of the cheapest (the band, plus as much again for the noise in the point estimate).
    A tied size beyond that is one the draws cannot rule out but the figures do not support:
    more evidence can make it the choice, a guess should not. Without draws, or with no bound
    (``None``: a free target that measured until the answer held), every tied size."""
    if curve.cost_draws is None or band <= 0 or claim_bands is None:
        return tied
    cheapest = float(curve.cost[pool].min())
    ok = tied[curve.cost[tied] <= cheapest * (1.0 + claim_bands * band)]
    return np.union1d(ok, [tied[np.argmin(curve.cost[tied])]]).astype(int)


def given_up(curve: CostCurve, chosen: int, pool: np.ndarray) -> tuple[float, float] | None:
    """The cost the choice may give up against the cheapest of ``pool``: 95% of the draws'
    (chosen / that draw's cheapest - 1); None on a curve without draws."""
    if curve.cost_draws is None:
        return None
    c = curve.cost_draws[:, pool]
    loss = curve.cost_draws[:, chosen] / c.min(axis=1) - 1.0
    lo, hi = np.percentile(loss, [2.5, 97.5])
    return float(max(lo, 0.0)), float(max(hi, 0.0))


def tie_reason(
    curve: CostCurve,
    chosen: int,
    cheapest: int,
    tied: np.ndarray,
    interval: tuple[float, float] | None = None,
    claim_bands: float | None = CLAIM_BANDS,
) -> str | None:
    """ "the run cannot tell the cost of 128 to 1769 MB apart; 1769 MB is 14x faster for +0.8%
    (95%: +0.0% to +2.1%)" (None if no tie)."""
    if chosen == cheapest:
        return None
    m = curve.memory_mb
    speedup = float(curve.mean[cheapest]) / max(float(curve.mean[chosen]), 1e-9)
    times = f"{speedup:.0f}x" if speedup >= 10 else f"{speedup:.1f}x"
    extra = float(curve.cost[chosen]) / float(curve.cost[cheapest]) - 1.0
    lo, hi = int(np.min(m[tied])), int(np.max(m[tied]))
    where = (
        f"the run cannot tell the cost of {lo} to {hi} MB apart"
        if curve.cost_draws is not None
        else f"cost is flat from {lo} to {hi} MB"
    )
    doubt = f" (95%: {interval[0]:+.1%} to {interval[1]:+.1%})" if interval is not None else ""
    fastest = int(m[tied][np.argmin(curve.mean[tied])])
    which = (
        f"; {int(m[chosen])} MB is the fastest of them priced within {claim_bands:g} tie bands "
        "of the cheapest"
        if claim_bands is not None
        and abs(fastest - int(m[chosen])) > 0.03 * fastest
        and float(curve.mean[tied].min()) < float(curve.mean[chosen]) * (1 - TIE_SPEED_TOLERANCE)
        else ""
    )
    return f"{where}{which}; {int(m[chosen])} MB is {times} faster for {extra:+.1%}{doubt}"


def choose(
    strategy: str,
    curve: CostCurve,
    *,
    balanced_weight: float = DEFAULT_BALANCED_WEIGHT,
    max_p95_ms: float | None = None,
    percentile: int = DEFAULT_PERCENTILE,
    tie_band: float = DEFAULT_TIE_BAND,
    scoring: str = SCORING_POWERTUNE,
    confidence: float = DEFAULT_CONFIDENCE,
    claim_bands: float | None = CLAIM_BANDS,
    floor_mb: int = 0,
) -> Choice:
    """The size ``strategy`` picks on ``curve`` (see the module docstring), never one below
    ``floor_mb`` (``memory_floor``: sizes the function may not fit in)."""
    if strategy not in STRATEGIES:
        raise UnknownStrategy(
            f"unknown strategy {strategy!r} (choose from {', '.join(STRATEGIES)})"
        )
    if not 0.0 <= balanced_weight <= 1.0:
        raise BadStrategyOption(f"balanced weight must be within 0-1, not {balanced_weight}")
    if percentile not in (95, 99):
        raise BadStrategyOption(f"percentile must be 95 or 99, not {percentile}")
    if not 0.0 <= tie_band < 1.0:
        raise BadStrategyOption(f"the tie band must be within 0-1, not {tie_band}")
    if scoring not in SCORINGS:
        raise BadStrategyOption(f"scoring must be one of {', '.join(SCORINGS)}, not {scoring!r}")
    if scoring == SCORING_POWER_TUNING and strategy != "slo":
        i = power_tuning_index(strategy, curve, balanced_weight)
        return choice_at(strategy, curve, i, percentile=percentile)
    allowed = candidates(curve, floor_mb)
    slo_met: bool | None = None
    pct_point = curve.quantiles[percentile][0]
    cheapest: int | None = None
    reason: str | None = None
    tied: np.ndarray = np.array([], dtype=int)
    interval: tuple[float, float] | None = None
    if strategy == "cost":
        i, cheapest, tied = fastest_within_band(curve, allowed, tie_band, confidence, claim_bands)
        interval = given_up(curve, i, allowed)
        reason = tie_reason(curve, i, cheapest, tied, interval, claim_bands)
    elif strategy == "speed":
        i = speed_index(curve, allowed)
    elif strategy == "balanced":
        score = balanced_score(curve.cost[allowed], curve.mean[allowed], balanced_weight)
        i = int(allowed[np.argmin(score)])
    else:
        if max_p95_ms is None or not max_p95_ms > 0:
            raise BadStrategyOption("the slo strategy needs a positive --max-p95-ms")
        ok = allowed[pct_point[allowed] <= max_p95_ms]
        slo_met = bool(len(ok))
        if slo_met:
            i, cheapest, tied = fastest_within_band(curve, ok, tie_band, confidence, claim_bands)
            interval = given_up(curve, i, ok)
            reason = tie_reason(curve, i, cheapest, tied, interval, claim_bands)
        else:
            i = int(allowed[np.argmin(pct_point[allowed])])
    return choice_at(
        strategy,
        curve,
        i,
        slo_met=slo_met,
        max_p95_ms=max_p95_ms,
        percentile=percentile,
        tie_band=tie_band if cheapest is not None else 0.0,
        cheapest=cheapest,
        reason=reason,
        tied=tuple(int(curve.memory_mb[j]) for j in tied),
        given_up=interval if cheapest is not None and i != cheapest else None,
        claim_bands=claim_bands,
        floor_mb=floor_mb,
    )


def choice_at(
    strategy: str,
    curve: CostCurve,
    i: int,
    *,
    slo_met: bool | None = None,
    max_p95_ms: float | None = None,
    percentile: int = 95,
    tie_band: float = 0.0,
    cheapest: int | None = None,
    reason: str | None = None,
    tied: tuple[int, ...] = (),
    given_up: tuple[float, float] | None = None,
    claim_bands: float | None = CLAIM_BANDS,
    floor_mb: int = 0,
) -> Choice:
    """The Choice of the size at index ``i`` of ``curve``, priced and described."""
    pct_point = curve.quantiles[percentile][0]
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
        tie_band=tie_band,
        cheapest_mb=int(curve.memory_mb[cheapest]) if cheapest is not None else None,
        reason=reason,
        tied_mb=tied,
        given_up=given_up,
        claim_bands=claim_bands,
        floor_mb=floor_mb,
    )
