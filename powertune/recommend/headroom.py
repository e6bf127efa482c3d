"""Memory headroom: a size too close to the peak memory used risks out-of-memory errors."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from powertune.errors import InputError

# Keep at least 20% above the highest Max Memory Used seen: garbage collectors and payload
# variation push past what a short tuning run observed.
HEADROOM = Decimal("1.2")


def min_safe_memory_mb(peak_max_memory_used_mb: float) -> int:
    """The smallest size with the wanted headroom over the observed peak (whole MB, ≥ 128)."""
    # Decimal so that 1.2 × 100 is exactly 120, not 120.00000000000001 (which would ask for 121).
    needed = Decimal(str(peak_max_memory_used_mb)) * HEADROOM
    return max(int(needed.to_integral_value(rounding=ROUND_CEILING)), 128)


def headroom_warning(recommended_mb: int, peak_max_memory_used_mb: float | None) -> str | None:
    """A one-line warning when ``recommended_mb`` < 1.2 × the peak Max Memory Used, else None.

    No peak known (no REPORT carried Max Memory Used) means nothing to warn about.
    """
    if peak_max_memory_used_mb is None:
        return None
    if recommended_mb <= 0 or peak_max_memory_used_mb < 0:
        raise InputError(
            f"memory sizes must be positive (recommended {recommended_mb} MB, "
            f"peak {peak_max_memory_used_mb} MB)"
        )
    safe = min_safe_memory_mb(peak_max_memory_used_mb)
    if recommended_mb >= safe:
        return None
    peak = f"{peak_max_memory_used_mb:g}"
    return (
        f"{recommended_mb} MB leaves less than 20% headroom over the peak Max Memory Used "
        f"({peak} MB); use at least {safe} MB to avoid out-of-memory errors"
    )
