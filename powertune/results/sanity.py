"""What a result must mean, beyond matching the schema: every number finite, nothing negative but
the signed fields, memory sizes within Lambda's range, no more errors than invocations, no p50
above its p95. Every read of a result file checks it (jsonio), and so does every rendering of a
result held in memory, so an impossible value is an InvalidResult (exit 3) naming the field,
never a traceback deep in a chart. The gate adds what a comparison needs on top (gate.sanity).
"""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from typing import Any

from powertune.results.errors import InvalidResult
from powertune.results.model import Result

# Fields that may legitimately be negative: fitted parameters, information criteria, savings.
_SIGNED = frozenset(
    {
        "params",
        "value",
        "saving_usd",
        "change",
        "monthly_change_usd",
        "change_pct",
        "p95_change_pct",
    }
)
# Free-form sections (estimates of other platforms): only finiteness is checked there.
_FREE_FORM = frozenset({"arm64", "fargate", "logs", "alternatives"})
MAX_MEMORY_MB = 10_240


def check_values(result: Result, source: str | None = None) -> None:
    """Raise InvalidResult naming the first impossible field of ``result``."""
    found = _walk(result, signed=False, free=False, name="")
    if found is not None:
        path, message = found
        raise InvalidResult(message, source=source, json_path="$" + "".join(reversed(path)))
    for index, fn in enumerate(result.functions):
        for m_index, m in enumerate(fn.measurements):
            where = f"$.functions[{index}].measurements[{m_index}]"
            if m.errors > m.invocations:
                raise InvalidResult(
                    f"{m.errors} errors in {m.invocations} calls",
                    source=source,
                    json_path=f"{where}.errors",
                )
            d = m.duration_ms
            if d is not None and not d.p50 <= d.p95 * (1 + 1e-9) + 1e-9:
                raise InvalidResult(
                    f"p50 {d.p50} above p95 {d.p95}",
                    source=source,
                    json_path=f"{where}.duration_ms",
                )


def _walk(node: Any, *, signed: bool, free: bool, name: str) -> tuple[list[str], str] | None:
    """The first bad number under ``node``: its path (innermost part first) and what is wrong.
    The path is built only on the way back from a failure: a result holds ~10^5 numbers."""
    if isinstance(node, bool) or node is None or isinstance(node, str):
        return None
    if isinstance(node, float | Decimal | int):
        if isinstance(node, float) and not math.isfinite(node):
            return [], f"{node} is not a finite number"
        if isinstance(node, Decimal) and not node.is_finite():
            return [], f"{node} is not a finite amount"
        if not signed and not free and node < 0:
            return [], f"negative value {node}"
        if name.endswith("memory_mb") and not free and not 0 < node <= MAX_MEMORY_MB:
            return [], f"memory size {node} MB is outside 1..{MAX_MEMORY_MB}"
        return None
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            found = _walk(
                getattr(node, f.name),
                signed=signed or f.name in _SIGNED,
                free=free or f.name in _FREE_FORM,
                name=f.name,
            )
            if found is not None:
                found[0].append(f".{f.name}")
                return found
    elif isinstance(node, dict):
        for key, value in node.items():
            found = _walk(value, signed=signed, free=free, name=str(key))
            if found is not None:
                found[0].append(f".{key}")
                return found
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            found = _walk(value, signed=signed, free=free, name=name)
            if found is not None:
                found[0].append(f"[{index}]")
                return found
    return None
