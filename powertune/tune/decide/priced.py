"""The one priced curve of a function: every size an output shows, with its figures.

The decision's curve (``Decision.curve``: the model, or the measured sizes' own samples) prices
each size once here: $/invocation with its 95% interval, p50 and p95 (with the p95's interval),
whether the size is tied with the cheapest, and, where a size looks cheaper *and* faster than
the recommendation (on the decision's figures, or on its own samples' figures that the tables
show beside them), why it was not chosen. The recommendation, the alternatives, every table,
the chart's points and the JSON read these figures; no output prices a size on its own.
"""

from __future__ import annotations

from decimal import Decimal

from powertune.results.model import Measurement, PricedSize
from powertune.tune.decide.costcurve import CostCurve
from powertune.tune.decide.decision import Decision
from powertune.tune.decide.strategies import (
    SPEED_TOLERANCE,
    TIE_SPEED_TOLERANCE,
    Choice,
    as_fast_as,
)


def priced_curve(
    decision: Decision,
    current_mb: int | None,
    others: dict[str, Choice],
    measurements: tuple[Measurement, ...],
) -> tuple[PricedSize, ...]:
    """The measured sizes, the choice, the other strategies' choices, the cheapest and the
    current size, each priced from the decision's curve (the current size from the model when
    the decision's curve lacks it), smallest first, with the notes described above."""
    curve, choice = decision.curve, decision.choice
    on_curve = {int(m) for m in curve.memory_mb}
    wanted = {m for m in curve.measured if m in on_curve}
    wanted |= {choice.memory_mb, *(o.memory_mb for o in others.values())}
    if choice.cheapest_mb is not None:
        wanted.add(choice.cheapest_mb)
    shown = decision.display
    if current_mb is not None and (
        current_mb in on_curve or (shown is not None and current_mb in shown.memory_mb)
    ):
        wanted.add(current_mb)
    tied = set(choice.tied_mb)
    rows = []
    for m in sorted(wanted):
        source = curve if m in on_curve else shown
        assert source is not None
        rows.append(_priced(source, m, tied=(m in tied) if tied else None))
    rec = next(r for r in rows if r.memory_mb == choice.memory_mb)
    by_size = {x.memory_mb: x for x in measurements}
    return tuple(_with_note(r, rec, decision, by_size.get(r.memory_mb), on_curve) for r in rows)


def _priced(curve: CostCurve, memory_mb: int, *, tied: bool | None) -> PricedSize:
    i = curve.index(memory_mb)
    cost, lo, hi = curve.decimal_cost(memory_mb)
    p95 = curve.quantiles[95]
    return PricedSize(
        memory_mb=memory_mb,
        basis=curve.source,  # type: ignore[arg-type]
        measured=memory_mb in curve.measured,
        cost_per_invocation_usd=cost,
        cost_interval_usd=(lo, hi),
        duration_ms_p50=round(float(curve.quantiles[50][0][i]), 3),
        duration_ms_p95=round(float(p95[0][i]), 3),
        duration_p95_interval=(round(float(p95[1][i]), 3), round(float(p95[2][i]), 3)),
        tied=tied,
    )


def _with_note(
    row: PricedSize,
    rec: PricedSize,
    decision: Decision,
    measured: Measurement | None,
    on_curve: set[int],
) -> PricedSize:
    """``row`` with a note when it looks cheaper and faster than the recommendation."""
    if row.memory_mb == rec.memory_mb:
        return row
    notes = []
    if _beats(row.cost_per_invocation_usd, row.duration_ms_p50, rec):
        notes.append(_why_not(row, rec, decision, on_curve))
    own = _own_figures(measured)
    if row.basis == "model" and own is not None and _beats(own[0], own[1], rec):
        cost, p50, n = own
        notes.append(
            f"its own {n} samples price it at {_per_million(cost)} (p50 {p50:.1f} ms), but the "
            f"decision rests on the model, which prices it at "
            f"{_per_million(row.cost_per_invocation_usd)}: a few samples at one size move by "
            "more than the tie band"
        )
    if not notes:
        return row
    return PricedSize(**{**row.__dict__, "note": "not chosen: " + "; ".join(notes)})


def _per_million(cost: Decimal) -> str:
    return f"${cost.scaleb(6):.2f} per 1M"


def _beats(cost: Decimal, p50: float, rec: PricedSize) -> bool:
    return cost < rec.cost_per_invocation_usd and p50 < rec.duration_ms_p50


def _own_figures(m: Measurement | None) -> tuple[Decimal, float, int] | None:
    if m is None or m.cost_per_invocation_usd is None or m.duration_ms is None:
        return None
    return m.cost_per_invocation_usd, m.duration_ms.p50, len(m.samples) or m.invocations


def _fastest(choice: Choice, curve: CostCurve) -> int:
    """The fastest of the choice's tied sizes on ``curve``."""
    sizes = {int(x) for x in curve.memory_mb}
    on = [m for m in choice.tied_mb if m in sizes]
    return min(on, key=lambda m: float(curve.mean[curve.index(m)])) if on else choice.memory_mb


def _why_not(row: PricedSize, rec: PricedSize, decision: Decision, on_curve: set[int]) -> str:
    """Why the strategy's rule did not take a size its own figures show cheaper and faster."""
    choice, curve = decision.choice, decision.curve
    if row.memory_mb not in on_curve:
        return "it is not on the curve the decision was made on (priced from the model only)"
    if row.memory_mb < choice.floor_mb:
        return (
            f"it is below {choice.floor_mb} MB, the smallest size measured above one that ran "
            "out of memory: the function may not fit in it"
        )
    i, j = curve.index(row.memory_mb), curve.index(choice.memory_mb)
    mean, chosen_mean = float(curve.mean[i]), float(curve.mean[j])
    if choice.strategy == "slo" and choice.slo_ms is not None:
        pct = float(curve.quantiles[choice.percentile][0][i])
        if pct > choice.slo_ms:
            return f"its p{choice.percentile} {pct:.1f} ms is above the {choice.slo_ms:g} ms SLO"
    if choice.tied_mb and row.memory_mb not in choice.tied_mb:
        return (
            f"the run's draws put it more than {choice.tie_band:.0%} above the cheapest at its "
            "confidence (outside the tie band)"
        )
    if choice.tied_mb and mean < chosen_mean * (1.0 - SPEED_TOLERANCE):
        cheapest = float(curve.cost.min())
        extra = float(curve.cost[i]) / cheapest - 1.0
        if choice.claim_bands is not None and extra > choice.claim_bands * choice.tie_band:
            return (
                f"tied with the cheapest (the run cannot rule it out), but priced {extra:+.1%} "
                f"above it, beyond the {choice.claim_bands * choice.tie_band:.0%} the tie may go "
                "to; more evidence can make it the choice"
            )
        edge = _fastest(choice, curve)
        limit = as_fast_as(curve, curve.index(edge), choice.claim_bands)
        if mean <= limit:
            within = f"within {TIE_SPEED_TOLERANCE:.0%} of its mean" + (
                " or inside its 95% interval" if choice.claim_bands is None else ""
            )
            return (
                f"tied with the cheapest and as fast as the fastest tied size ({edge} MB: "
                f"{within}, up to {limit:.1f} ms), as {choice.memory_mb} MB is: the tie goes to "
                "the cheapest of those on the decision's figures"
            )
    if choice.strategy == "speed":
        fastest = float(curve.mean.min())
        return (
            f"speed takes the smallest size within {SPEED_TOLERANCE:.0%} of the fastest mean "
            f"duration ({fastest:.1f} ms); its mean is {mean:.1f} ms"
        )
    if mean >= chosen_mean * (1.0 - SPEED_TOLERANCE):
        return (
            f"its mean duration ({mean:.1f} ms) is not faster than {choice.memory_mb} MB's "
            f"({chosen_mean:.1f} ms), and the {choice.strategy} rule weighs the mean, not the p50"
        )
    return f"the {choice.strategy} rule weighs cost and mean duration differently"
