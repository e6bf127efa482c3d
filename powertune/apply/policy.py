"""Would the gate accept the move from the measured configuration to the recommendation?

The gate (powertune.gate) fails a run whose cost or p95 rose beyond its thresholds *and* whose
measurements confirm the rise. Applying a recommendation is such a move: from the function's
original size (its measurement in the result is the baseline) to the recommended size. A move the
gate would fail is not applied unless forced; an increase the measurements cannot confirm is a
warning, as in the gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np

# The gate's own interval estimators, so apply and gate judge evidence the same way.
from powertune.gate.compare import Thresholds, p95_evidence, welch_evidence
from powertune.results.model import FunctionResult, Measurement, Result

Status = Literal["pass", "warn", "fail"]

# Fields a newer result may carry with the reason a size won inside the cost tie band.
_TIE_BAND_KEYS = ("tie_band_reason", "tie_band", "band_reason", "choice_reason")


@dataclass(frozen=True)
class Verdict:
    status: Status
    checks: tuple[str, ...]
    confidence: str
    tie_band: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status != "fail"

    def summary(self) -> str:
        parts = [f"gate: {self.status}", f"confidence: {self.confidence}"]
        if self.tie_band:
            parts.append(f"tie band: {self.tie_band}")
        failed = [c for c in self.checks if c.startswith("fail")]
        parts.extend(failed or [c for c in self.checks if c.startswith("warn")])
        return "; ".join(parts)


def judge(
    fn: FunctionResult, result: Result, th: Thresholds, raw_rec: dict[str, Any] | None = None
) -> Verdict:
    rec = fn.recommendation
    assert rec is not None
    confidence = describe_confidence(fn, result)
    tie = tie_band_reason(rec, raw_rec or {})
    if rec.memory_mb == fn.original_memory_mb:
        return Verdict("pass", ("pass: the recommendation is the measured size",), confidence, tie)
    base = fn.measurement(fn.original_memory_mb)
    cur = fn.measurement(rec.memory_mb)
    checks: list[tuple[Status, str]] = []

    base_cost = _cost_at(fn, fn.original_memory_mb)
    cur_cost = rec.cost_per_invocation_usd
    cost_ev = None
    if _usable(base) and _usable(cur):
        assert base is not None and cur is not None
        cost_ev = welch_evidence(rec.memory_mb, _gb_s(base), _gb_s(cur), th.confidence)
    checks.append(_check("cost", base_cost, cur_cost, th.max_cost_increase, cost_ev))

    base_p95 = _p95_at(fn, fn.original_memory_mb)
    cur_p95 = _p95_at(fn, rec.memory_mb) or rec.duration_ms_p95
    p95_ev = None
    if _usable(base) and _usable(cur):
        assert base is not None and cur is not None
        rng = np.random.default_rng(th.seed)
        p95_ev = p95_evidence(rec.memory_mb, _durations(base), _durations(cur), th, rng)
    checks.append(_check("p95", base_p95, cur_p95, th.max_p95_increase, p95_ev))

    worst: Status = "pass"
    for status, _ in checks:
        if status == "fail" or (status == "warn" and worst == "pass"):
            worst = status
    return Verdict(worst, tuple(f"{s}: {m}" for s, m in checks), confidence, tie)


def describe_confidence(fn: FunctionResult, result: Result) -> str:
    """The result's own claim: tolerance and confidence of the stopping rule, or the grid."""
    rec = fn.recommendation
    run = result.run
    basis = f"{rec.source}" if rec else "none"
    measured = fn.measurement(rec.memory_mb) if rec else None
    n = measured.invocations if measured and measured.measured else 0
    # the function's own evidence: a fleet's Run carries the first function's stop reason only
    short = next((w for w in (rec.warnings if rec else ()) if w.startswith("too little")), None)
    if short is not None:
        claim = short.split(":", 1)[0]
    elif run.tolerance is not None and run.confidence is not None:
        claim = f"within {run.tolerance * 100:g}% at {run.confidence * 100:g}%"
    else:
        claim = f"{run.search} search"
    own_run = len(result.functions) == 1 and short is None
    reason = f" ({run.stop_reason})" if run.stop_reason and own_run else ""
    return f"{claim}{reason}, {basis} basis, {n} invocations at {rec.memory_mb if rec else '?'} MB"


def tie_band_reason(rec: Any, raw_rec: dict[str, Any]) -> str | None:
    """The tie-band reason if the result carries one (dataclass field or raw JSON), else None."""
    for key in _TIE_BAND_KEYS:
        value = getattr(rec, key, None)
        if value is None:
            value = raw_rec.get(key)
        if isinstance(value, dict):
            value = value.get("reason") or value.get("message")
        elif value is not None and not isinstance(value, str):
            value = getattr(value, "reason", None) or getattr(value, "message", None)
        if isinstance(value, str) and value.strip():
            return value.strip()
    # A writer that reports the band only among the recommendation's warnings.
    for warning in getattr(rec, "warnings", ()) or raw_rec.get("warnings") or ():
        if isinstance(warning, str) and "tie band" in warning.lower():
            return warning.strip()
    return None


def _usable(m: Measurement | None) -> bool:
    return m is not None and m.measured and len(_durations(m)) >= 2


def _durations(m: Measurement) -> list[float]:
    return [s.duration_ms for s in m.samples if s.ok]


def _gb_s(m: Measurement) -> list[float]:
    """Per-invocation billed GB-seconds: what the compute cost of each invocation scales with."""
    return [
        (s.billed_ms if s.billed_ms is not None else s.duration_ms) * m.memory_mb / 1024_000.0
        for s in m.samples
        if s.ok
    ]


def _cost_at(fn: FunctionResult, size: int) -> Decimal | None:
    m = fn.measurement(size)
    if m is not None and m.measured and m.cost_per_invocation_usd is not None:
        return m.cost_per_invocation_usd
    if fn.model is not None and fn.model.status == "fitted":
        point = next((p for p in fn.model.curve if p.memory_mb == size), None)
        if point is not None:
            return point.cost_per_invocation_usd
    return None


def _p95_at(fn: FunctionResult, size: int) -> float | None:
    m = fn.measurement(size)
    if m is not None and m.measured and m.duration_ms is not None:
        return m.duration_ms.p95
    if fn.model is not None and fn.model.status == "fitted":
        point = next((p for p in fn.model.curve if p.memory_mb == size), None)
        if point is not None:
            return point.duration_p95
    return None


def _check(
    name: str,
    base: Decimal | float | None,
    cur: Decimal | float | None,
    threshold: float,
    evidence: Any,
) -> tuple[Status, str]:
    if base is None or cur is None or float(base) <= 0:
        return "warn", f"{name} at the original size unknown: not compared"
    change = float(cur) / float(base) - 1.0
    shown = f"{name} {change * 100:+.1f}% against the original size"
    measure = "billed GB-s per invocation" if name == "cost" else "duration"
    if change <= threshold:
        return "pass", f"{shown}, within {threshold * 100:g}%"
    if evidence is None:
        return "warn", f"{shown} exceeds {threshold * 100:g}%, unconfirmed by measurements"
    lo, hi = evidence.interval
    if lo > 0 and evidence.change > threshold:
        return "fail", (
            f"{shown} exceeds {threshold * 100:g}%, confirmed by the measurements ({measure} "
            f"{evidence.change * 100:+.1f}%, 95% interval {lo * 100:+.1f}% to {hi * 100:+.1f}%)"
        )
    return "warn", f"{shown} exceeds {threshold * 100:g}%, but the measurements do not confirm it"
