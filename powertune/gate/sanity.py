"""What the gate checks before it compares: that a result means something (results.sanity, as
every reading and rendering checks), and what a comparison needs on top: functions, a
recommendation with a cost and a p95 that its own measurements do not contradict. A forged or
broken result is an InvalidResult (exit 3) naming the field, never a pass.
"""

from __future__ import annotations

from decimal import Decimal

from powertune.results.errors import InvalidResult
from powertune.results.model import FunctionResult, Result
from powertune.results.sanity import check_values

# How far a recommendation's own figures may stray from the measurement at its size (a model fit
# smooths noise; a factor of two is no longer smoothing).
_AGREEMENT = 2.0


def check_result(result: Result, role: str) -> None:
    """Raise InvalidResult if ``result`` (the ``role``: baseline or current) cannot be gated."""
    check_values(result, role)
    if not result.functions:
        raise InvalidResult("no functions: nothing to gate", source=role, json_path="$.functions")
    check_unique_names(result, role)
    for index, fn in enumerate(result.functions):
        _check_function(fn, role, f"$.functions[{index}]")


def check_unique_names(result: Result, role: str) -> None:
    """The gate matches functions by name: a name twice (even in two regions) is ambiguous."""
    twice = result.duplicate_names()
    if twice:
        names = ", ".join(twice[:5]) + (f" and {len(twice) - 5} more" if len(twice) > 5 else "")
        raise InvalidResult(
            f"function names appear more than once ({names}): the gate matches functions by "
            "name; tune each function once",
            source=role,
            json_path="$.functions",
        )


def _fail(role: str, path: str, message: str) -> InvalidResult:
    return InvalidResult(message, source=role, json_path=path)


def _check_function(fn: FunctionResult, role: str, path: str) -> None:
    rec = fn.recommendation
    where = f"{path}.recommendation"
    if rec is None:
        raise _fail(role, where, f"{fn.name} has no recommendation: nothing to gate")
    if rec.cost_per_invocation_usd is None:
        raise _fail(role, f"{where}.cost_per_invocation_usd", "null: the gate needs the cost")
    if rec.duration_ms_p95 is None:
        raise _fail(role, f"{where}.duration_ms_p95", "null: the gate needs the p95")
    at = fn.measurement(rec.memory_mb)
    if at is not None and at.status == "skipped":
        raise _fail(
            role,
            f"{where}.memory_mb",
            f"{rec.memory_mb} MB is recommended but its measurement was skipped "
            f"({at.skip_reason or 'no reason'})",
        )
    measured = [m for m in fn.measurements if m.status == "measured"]
    if not measured:
        raise _fail(role, f"{path}.measurements", f"{fn.name}: no size was measured")
    low, high = min(m.memory_mb for m in measured), max(m.memory_mb for m in measured)
    if not low <= rec.memory_mb <= high:
        raise _fail(
            role,
            f"{where}.memory_mb",
            f"{rec.memory_mb} MB is outside the measured sizes ({low}-{high} MB)",
        )
    if at is None or at.invocations < 2:
        return
    pairs: list[tuple[str, float | Decimal | None, float | Decimal | None]] = [
        ("cost_per_invocation_usd", rec.cost_per_invocation_usd, at.cost_per_invocation_usd),
        ("duration_ms_p95", rec.duration_ms_p95, at.duration_ms.p95 if at.duration_ms else None),
    ]
    for name, claimed, seen in pairs:
        if seen is None or claimed is None:
            continue
        claimed_f, seen_f = float(claimed), float(seen)
        if seen_f > 0 and not seen_f / _AGREEMENT <= claimed_f <= seen_f * _AGREEMENT:
            raise _fail(
                role,
                f"{where}.{name}",
                f"{claimed} contradicts the measurement at {rec.memory_mb} MB ({seen})",
            )
