"""JSON for the recommendation's dataclasses: money as decimal strings, unknown as null."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def money(value: Decimal | None) -> str | None:
    """A Decimal as a plain decimal string (never exponent notation); None stays None."""
    if value is None:
        return None
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    return format(value, "f")


def plain(value: Any) -> Any:
    """Any dataclass / mapping / sequence of plain values as JSON-ready values."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "to_json"):
        return value.to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    raise TypeError(f"cannot turn {type(value).__name__} into JSON")
