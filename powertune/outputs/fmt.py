"""Number formatting shared by the renderings: unknown shows as an em dash, never as 0."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from powertune.results.model import Recommendation, Result

if TYPE_CHECKING:  # the gate's types only; its numeric code is not needed to render
    from powertune.gate.compare import Evidence, Verdict

UNKNOWN = "—"


def usd_per_invocation(value: Decimal | None) -> str:
    """Four significant digits: ``$0.000002083``."""
    if value is None:
        return UNKNOWN
    if value == 0:
        return "$0"
    digits = max(0, 3 - value.adjusted())
    return f"${value:,.{digits}f}"


def usd(value: Decimal | float | None, *, signed: bool = False) -> str:
    """Dollars with cents: ``$1,234.56`` (``+$1.20`` when signed)."""
    if value is None:
        return UNKNOWN
    v = Decimal(str(value)) if isinstance(value, float) else value
    sign = ("+" if v >= 0 else "-") if signed else ("-" if v < 0 else "")
    return f"{sign}${abs(v):,.2f}"


def ms(value: float | None) -> str:
    if value is None:
        return UNKNOWN
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def pct(value: float | None) -> str:
    return UNKNOWN if value is None else f"{value * 100:+.1f}%"


def interval_ms(iv: tuple[float, float] | None) -> str:
    return UNKNOWN if iv is None else f"{ms(iv[0])}–{ms(iv[1])}"


def saving_pct(rec: Recommendation | None) -> str:
    if rec is None or rec.monthly is None:
        return UNKNOWN
    cur, saving = rec.monthly.current_usd, rec.monthly.saving_usd
    if cur is None or saving is None or cur == 0:
        return UNKNOWN
    return fraction_pct(saving / cur)


def fraction_pct(value: Decimal | None) -> str:
    """0.35 as "35%" (unknown as the unknown mark)."""
    return UNKNOWN if value is None else f"{float(value) * 100:.0f}%"


def per_million(value: Decimal | None) -> str:
    """A cost per invocation per 1M invocations, four significant digits: ``$2.935``."""
    return UNKNOWN if value is None else usd_per_invocation(value.scaleb(6))


def per_million_interval(iv: tuple[Decimal, Decimal] | None) -> str:
    """``$2.901–3.012`` (per 1M invocations)."""
    if iv is None:
        return UNKNOWN
    return f"{per_million(iv[0])}–{per_million(iv[1])[1:]}"


def evidence_cell(ev: Evidence | None) -> str:
    """The raw measurements' change at the common size: ``+19.8% [+15.9, +25.1] @256 MB``."""
    if ev is None:
        return UNKNOWN
    lo, hi = (f"{v * 100:+.1f}" for v in ev.interval)
    return f"{pct(ev.change)} [{lo}, {hi}] @{ev.memory_mb} MB"


def gate_change(check: str, value: float | None) -> str:
    """A gate check's change in its unit: dollars for monthly, percent otherwise."""
    return usd(value, signed=True) if check == "monthly" else pct(value)


def gate_value(check: str, value: float | None) -> str:
    """A gate check's baseline/current figure in its unit."""
    if value is None:
        return UNKNOWN
    if check == "p95":
        return f"{ms(value)} ms"
    if check == "monthly":
        return usd(value)
    return usd_per_invocation(Decimal(repr(value)))


def basis_words(basis: str) -> str:
    """ "measured" / "model" (and what follows them) as words: "the measured sizes", "the model"."""
    head, sep, rest = basis.partition(";")
    words = {"measured": "the measured sizes", "model": "the model"}.get(head, f"the {head}")
    return words + sep + rest


def recommendation_notes(rec: Recommendation | None) -> list[str]:
    """Why this size (the tie band), what its dollars rest on, and the INIT share priced in."""
    if rec is None:
        return []
    notes = [rec.reason] if rec.reason else []
    if rec.basis:
        notes.append(f"$/invocation and $/month from {basis_words(rec.basis)}")
    if rec.cold_share:
        notes.append(f"{rec.cold_share:.0%} of invocations priced as cold starts (INIT billed)")
    return notes


def gate_headline(verdict: Verdict) -> str:
    """The gate in one line, the monthly $ change first when traffic is known (as infracost
    leads with it): ``powertune gate: PASS · +$1.20/month · 2 functions: 2 passed``."""
    parts = [f"powertune gate: {verdict.status.upper()}"]
    delta = verdict.monthly_change_usd
    if delta is not None:
        parts.append(f"{usd(delta, signed=True)}/month")
    words = {"pass": "passed", "warn": "warned", "fail": "failed"}
    counts = {w: sum(1 for f in verdict.functions if f.status == s) for s, w in words.items()}
    n = len(verdict.functions)
    tally = ", ".join(f"{c} {w}" for w, c in counts.items() if c)
    parts.append(f"{n} function{'s' if n != 1 else ''}" + (f": {tally}" if tally else ""))
    if not verdict.baseline_found:
        parts.append("no baseline yet (first run)")
    return " · ".join(parts)


def stopped(result: Result) -> str:
    """Why the search stopped (" · stopped: time budget reached (60 s)"), for a one-function
    run: a fleet's functions each stopped for their own reason, which its run does not hold."""
    reason = result.run.stop_reason
    if not reason or len(result.functions) != 1:
        return ""
    return f" · stopped: {reason}"
