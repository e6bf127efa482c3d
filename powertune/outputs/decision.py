"""The decision whole, as lines every rendering shows: the recommendation, the other
strategies' choices (speed, balanced, SLO) and the knee, arm64, Fargate, Lambda Managed
Instances, logs, cold starts and the Savings Plan, and what could not be priced.

Money reads in $/month when the result knows the traffic and per 1M invocations otherwise
(what people compare; $0.000015 per invocation is not). The terminal table, the markdown and
the HTML page all render ``decision_lines``, so they say the same thing; new topics go here as
their own small function, appended in ``decision_lines``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from powertune.outputs import fmt
from powertune.results.model import FunctionResult, Recommendation, VariantResult, VariantSide


@dataclass(frozen=True)
class DecisionLine:
    """One topic of the decision: ``topic`` is a short label, ``text`` the sentence."""

    topic: str
    text: str
    emphasis: bool = False  # a saving worth reading first (for example arm64's)


def per_million(value: Decimal | None) -> str:
    """A cost per invocation shown per 1M invocations: ``$2.083 per 1M`` (the tables' figure)."""
    if value is None:
        return fmt.UNKNOWN
    return f"{fmt.per_million(value)} per 1M"


def decision_lines(fn: FunctionResult) -> list[DecisionLine]:
    rec = fn.recommendation
    if rec is None:
        return [line for v in fn.variants for line in variant_lines(v)]
    out = [_recommended(fn, rec)]
    out += _alternatives(rec)
    arm64 = _arm64_variant(rec, fn.variants)
    if arm64 is not None:
        out.append(arm64)
    for part in (_arm64, _savings_plan, _fargate, _managed, _logs, _cold_starts):
        line = part(rec)
        if line is not None:
            out.append(line)
    unpriced = (rec.unavailable or {}).items()
    out += [DecisionLine(name, f"not priced: {why}") for name, why in unpriced]
    out += [line for v in fn.variants for line in variant_lines(v)]
    return out


def variant_lines(v: VariantResult) -> list[DecisionLine]:
    """A variant measured on a twin beside the function (``tune --variant``): its choice against
    the function's, both from the side-by-side measurement; or the failure that is the finding."""
    topic = f"variant {v.variant}"
    out = []
    mine, theirs = v.variant_side, v.function_side
    if v.status == "stopped":
        out.append(DecisionLine(topic, f"{v.failure} (twin {v.twin})"))
    elif v.status == "fails" or mine is None:
        out.append(DecisionLine(topic, f"{v.failure} on twin {v.twin}: not a candidate"))
    else:
        unit = "$/month" if v.change_basis == "month" else "$/invocation"
        text = f"at {mine.memory_mb} MB: {_changes(v.change_pct, v.p95_change_pct, unit)}"
        if theirs is not None:
            text += f"measured {mine.invocations} vs {theirs.invocations} invocations"
            if theirs.memory_mb != mine.memory_mb:
                text += f" (against the function at {theirs.memory_mb} MB)"
            if v.same_size is not None:
                same = _changes(v.same_size_change_pct, v.same_size_p95_change_pct, unit)
                text += f"; at the same {v.same_size.memory_mb} MB: {same.rstrip(', ')}"
            text += (
                f"; twin {_side(mine)}; the function at {theirs.memory_mb} MB, measured beside "
                f"it, {_side(theirs)}; over {v.rounds} interleaved rounds"
            )
        else:
            text += f"measured {mine.invocations} invocations; twin {_side(mine)}"
        cheaper = v.change_pct is not None and v.change_pct < 0
        out.append(DecisionLine(topic, text, emphasis=cheaper))
        if v.failure:
            out.append(DecisionLine(topic, v.failure))
    out += [DecisionLine(topic, f"note: {n}") for n in v.notes]
    return out


def _changes(cost: Decimal | None, p95: float | None, unit: str) -> str:
    """``-23% $/month, p95 +4%, `` (what is known of the two)."""
    out = f"{_signed(float(cost))} {unit}, " if cost is not None else ""
    return out + (f"p95 {_signed(p95)}, " if p95 is not None else "")


def _signed(pct: float) -> str:
    """``+4%``, ``-23%``; ``±0%`` for what rounds to nothing (not ``-0%``)."""
    return "±0%" if round(pct) == 0 else f"{pct:+.0f}%"


def _side(side: VariantSide) -> str:
    """``$4.12/month, $4.118 per 1M ($4.09–4.15), p95 303 ms (298–310)``."""
    parts = []
    if side.monthly_usd is not None:
        parts.append(f"{fmt.usd(side.monthly_usd)}/month")
    cost = per_million(side.cost_per_invocation_usd)
    if side.cost_interval_usd is not None:
        cost += f" ({fmt.per_million_interval(side.cost_interval_usd)})"
    parts.append(cost)
    p95 = f"p95 {fmt.ms(side.duration_ms_p95)} ms"
    if side.duration_p95_interval is not None:
        p95 += f" ({fmt.interval_ms(side.duration_p95_interval)})"
    parts.append(p95)
    return ", ".join(parts)


def _recommended(fn: FunctionResult, rec: Recommendation) -> DecisionLine:
    mo = rec.monthly
    text = (
        f"{rec.memory_mb} MB ({rec.strategy} strategy, {rec.source}), p95 "
        f"{fmt.ms(rec.duration_ms_p95)} ms, {per_million(rec.cost_per_invocation_usd)}"
    )
    if mo is not None and mo.recommended_usd is not None:
        text += (
            f"; {fmt.usd(mo.recommended_usd)}/month at {mo.invocations:,} invocations "
            f"({mo.invocations_source}), now {fmt.usd(mo.current_usd)}/month at "
            f"{fn.original_memory_mb} MB, saving {fmt.usd(mo.saving_usd)}/month"
        )
    else:
        text += "; $/month needs the traffic (--monthly-invocations N)"
    return DecisionLine("recommended", text, emphasis=True)


def _alternatives(rec: Recommendation) -> list[DecisionLine]:
    out = []
    base = rec.cost_per_invocation_usd
    for name, alt in sorted((rec.alternatives or {}).items()):
        if name == rec.strategy:
            continue
        if alt.memory_mb == rec.memory_mb:
            out.append(DecisionLine(name, f"the same choice, {alt.memory_mb} MB"))
            continue
        diff = ""
        if base is not None and alt.cost_per_invocation_usd is not None:
            delta = (alt.cost_per_invocation_usd - base).scaleb(6)
            diff = f" ({fmt.usd(delta, signed=True)} per 1M against the recommendation)"
        month = rec.monthly.recommended_usd if rec.monthly is not None else None
        if alt.monthly_usd is not None and month is not None:
            diff = (
                f" ({fmt.usd(alt.monthly_usd)}/month, "
                f"{fmt.usd(alt.monthly_usd - month, signed=True)}/month against the recommendation)"
            )
        out.append(
            DecisionLine(
                name,
                f"{alt.memory_mb} MB, p95 {fmt.ms(alt.duration_ms_p95)} ms, "
                f"{per_million(alt.cost_per_invocation_usd)}{diff}",
            )
        )
    if rec.knee_mb:
        out.append(
            DecisionLine("knee", f"{rec.knee_mb} MB: above it more memory buys little speed")
        )
    return out


def _arm64_variant(rec: Recommendation, variants: tuple[VariantResult, ...]) -> DecisionLine | None:
    """Where a variant measured arm64 (the build left the estimate out and named its twin), the
    arm64 line points at it: its figures are the variant's line, not a second arm64 month."""
    a = rec.arm64
    if a is None or a.estimate is not False or a.arm64_usd is not None:
        return None
    v = next((v for v in variants if a.arm64_function and v.twin == a.arm64_function), None)
    if v is None:
        return None
    return DecisionLine("arm64", f"measured on twin {v.twin}: see variant {v.variant}")


def _arm64(rec: Recommendation) -> DecisionLine | None:
    a = rec.arm64
    if a is None or (a.arm64_usd is None and a.saving_usd is None):
        return None
    basis = "estimate" if a.estimate else f"measured on {a.arm64_function or 'a twin'}"
    if a.saving_usd is None:
        return DecisionLine("arm64", f"{fmt.usd(a.arm64_usd)}/month ({basis})")
    cheaper = a.saving_usd > 0
    verb = "saves" if cheaper else "costs"
    pct = f" ({abs(a.saving_pct):.0f}%)" if a.saving_pct is not None else ""
    text = (
        f"{verb} {fmt.usd(abs(a.saving_usd))}/month{pct}: {fmt.usd(a.arm64_usd)} against "
        f"{fmt.usd(a.x86_64_usd)} on x86_64 ({a.basis or basis})"
    )
    return DecisionLine("arm64", text, emphasis=cheaper)


def _fargate(rec: Recommendation) -> DecisionLine | None:
    f = rec.fargate
    if f is None or f.monthly_usd is None:
        return None
    text = (
        f"{fmt.usd(f.monthly_usd)}/month for {f.tasks} task(s) of {f.task_vcpu} vCPU / "
        f"{f.task_memory_gb} GB against {fmt.usd(f.lambda_monthly_usd)} on Lambda; "
        f"cheaper: {f.cheaper or fmt.UNKNOWN}"
    )
    if f.break_even_invocations:
        text += f"; break-even at {f.break_even_invocations:,} invocations/month"
    if f.savings_plan:
        text += f"; Savings Plan {f.savings_plan}"
    return DecisionLine("Fargate", text)


def _managed(rec: Recommendation) -> DecisionLine | None:
    m = rec.managed_instances
    if m is None or m.monthly_usd is None:
        return None
    text = (
        f"{fmt.usd(m.monthly_usd)}/month on {m.instances} x {m.instance_type} against "
        f"{fmt.usd(m.lambda_monthly_usd)} on Lambda; cheapest: {m.cheapest or fmt.UNKNOWN}"
    )
    if m.break_even_invocations:
        text += f"; they beat Lambda above {m.break_even_invocations:,} invocations/month"
    return DecisionLine("Managed Instances", text)


def _logs(rec: Recommendation) -> DecisionLine | None:
    lg = rec.logs
    if lg is None or lg.current_usd is None:
        return None
    text = f"{fmt.usd(lg.current_usd)}/month of CloudWatch Logs"
    if lg.retention_saving_usd:
        text += f"; a retention limit saves {fmt.usd(lg.retention_saving_usd)}/month"
    if lg.infrequent_access_saving_usd:
        text += f"; Infrequent Access saves {fmt.usd(lg.infrequent_access_saving_usd)}/month"
    return DecisionLine("logs", text)


def _cold_starts(rec: Recommendation) -> DecisionLine | None:
    c = rec.cold_starts
    if c is None:
        return None
    parts = []
    if c.init_share is not None:
        parts.append(f"INIT is {c.init_share * 100:.1f}% of the bill")
    if c.init_monthly_usd is not None:
        parts.append(f"{fmt.usd(c.init_monthly_usd)}/month")
    if c.p99_with_cold_ms is not None:
        parts.append(f"p99 {fmt.ms(c.p99_with_cold_ms)} ms with cold starts")
    snap, pc = c.snapstart, c.provisioned_concurrency
    if snap is not None and snap.saving_usd is not None:
        parts.append(f"SnapStart {_saves(snap.saving_usd)}")
    if pc is not None and pc.saving_usd is not None:
        parts.append(f"Provisioned Concurrency {_saves(pc.saving_usd)}")
    return DecisionLine("cold starts", "; ".join(parts)) if parts else None


def _saves(saving: Decimal) -> str:
    """``saves $1.20/month`` or ``costs $0.40/month more`` (a negative saving)."""
    if saving >= 0:
        return f"saves {fmt.usd(saving)}/month"
    return f"costs {fmt.usd(-saving)}/month more"


def _savings_plan(rec: Recommendation) -> DecisionLine | None:
    """The Compute Savings Plan the month was priced under (its duration item says which)."""
    month = rec.arm64.x86_64 if rec.arm64 is not None else None
    for item in month.items if month is not None else ():
        if item.name.startswith("duration (") and item.name.endswith(")"):
            plan = item.name[len("duration (") : -1]
            rate = f" at ${item.rate}/GB-s" if item.rate is not None else ""
            return DecisionLine(
                "Savings Plan",
                f"{plan} applied to duration{rate}: {fmt.usd(item.usd)}/month of duration",
            )
    return None
