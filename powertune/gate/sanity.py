"""What the gate checks before it compares: that a result means something, not only that it
matches the schema. A forged or broken result (negative or NaN costs, an impossible memory size,
no functions, no recommendation, a recommendation its own measurements contradict) is an
InvalidResult (exit 3) naming the field, never a pass.
"""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from typing import Any

from powertune.results.errors import InvalidResult
from powertune.results.model import FunctionResult, Result

# Fields that may legitimately be negative: fitted parameters, information criteria, savings.
_SIGNED = frozenset({"params", "value", "saving_usd", "change"})
# Free-form sections (estimates of other platforms): only finiteness is checked there.
_FREE_FORM = frozenset({"arm64", "fargate", "logs", "alternatives"})
MAX_MEMORY_MB = 10_240
# How far a recommendation's own figures may stray from the measurement at its size (a model fit
# smooths noise; a factor of two is no longer smoothing).
_AGREEMENT = 2.0


def check_result(result: Result, role: str) -> None:
    """Raise InvalidResult if ``result`` (the ``role``: baseline or current) cannot be gated."""
    _walk(result, role, signed=False)
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


def _walk(node: Any, role: str, *, signed: bool, path: str = "$", free: bool = False) -> None:
    """Every number finite; non-negative outside the signed fields; memory sizes positive."""
    if isinstance(node, bool) or node is None or isinstance(node, str):
        return
    if isinstance(node, float | Decimal | int):
        if isinstance(node, float) and not math.isfinite(node):
            raise _fail(role, path, f"{node} is not a finite number")
        if isinstance(node, Decimal) and not node.is_finite():
            raise _fail(role, path, f"{node} is not a finite amount")
        if not signed and not free and node < 0:
            raise _fail(role, path, f"negative value {node}")
        name = path.rsplit(".", 1)[-1]
        if name.endswith("memory_mb") and not free and not 0 < node <= MAX_MEMORY_MB:
            raise _fail(role, path, f"memory size {node} MB is outside 1..{MAX_MEMORY_MB}")
        return
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            _walk(
                getattr(node, f.name),
                role,
                signed=signed or f.name in _SIGNED,
                path=f"{path}.{f.name}",
                free=free or f.name in _FREE_FORM,
            )
    elif isinstance(node, dict):
        for key, value in node.items():
            _walk(value, role, signed=signed, path=f"{path}.{key}", free=free)
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            _walk(value, role, signed=signed, path=f"{path}[{index}]", free=free)


def _check_function(fn: FunctionResult, role: str, path: str) -> None:
    rec = fn.recommendation
    where = f"{path}.recommendation"
    if rec is None:
        raise _fail(role, where, f"{fn.name} has no recommendation: nothing to gate")
    if rec.cost_per_invocation_usd is None:
        raise _fail(role, f"{where}.cost_per_invocation_usd", "null: the gate needs the cost")
    if rec.duration_ms_p95 is None:
        raise _fail(role, f"{where}.duration_ms_p95", "null: the gate needs the p95")
    for index, m in enumerate(fn.measurements):
        mpath = f"{path}.measurements[{index}]"
        if m.errors > m.invocations:
            raise _fail(role, f"{mpath}.errors", f"{m.errors} errors in {m.invocations} calls")
        d = m.duration_ms
        if d is not None and not d.p50 <= d.p95 * (1 + 1e-9) + 1e-9:
            raise _fail(role, f"{mpath}.duration_ms", f"p50 {d.p50} above p95 {d.p95}")
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
