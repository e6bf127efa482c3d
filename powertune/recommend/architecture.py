"""x86_64 against arm64 (Graviton) for the same month of traffic.

``arm64_estimate`` assumes the function runs as fast on arm64 as it did on x86_64: only the price
per GB-s changes. Real code can be faster or slower there (native dependencies, SIMD, JIT), so
the result is marked as an estimate. ``arm64_compare`` prices the durations measured on an arm64
twin of the function instead, and is exact up to the measurement.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from powertune.recommend.monthly import (
    LambdaMonthly,
    check_billed_ms,
    check_invocations,
    price_size,
    saving,
)
from powertune.results.codec import to_plain
from powertune.results.model import Arm64Comparison
from pricing.catalog import Catalog

ESTIMATE_BASIS = (
    "estimate: the x86_64 durations priced at arm64 rates; arm64 may run faster or slower, "
    "tune --variant arch=arm64 measures it on a temporary twin"
)
COMPARE_BASIS = "measured: each architecture priced at the durations measured on it"


@dataclass(frozen=True)
class ArchitectureComparison:
    """A month on x86_64 against a month on arm64; saving is what moving to arm64 saves."""

    estimate: bool
    basis: str
    region: str
    monthly_invocations: int | None
    x86_64: LambdaMonthly
    arm64: LambdaMonthly
    saving_usd: Decimal | None  # x86_64 − arm64: positive when arm64 is cheaper
    saving_pct: Decimal | None  # of the x86_64 cost
    arm64_function: str | None = None

    def record(self) -> Arm64Comparison:
        """As the result carries it."""
        return Arm64Comparison(
            estimate=self.estimate,
            basis=self.basis,
            region=self.region,
            monthly_invocations=self.monthly_invocations,
            x86_64_usd=self.x86_64.total_usd,
            arm64_usd=self.arm64.total_usd,
            saving_usd=self.saving_usd,
            saving_pct=self.saving_pct,
            arm64_function=self.arm64_function,
            x86_64=self.x86_64.record(),
            arm64=self.arm64.record(),
        )

    def to_json(self) -> dict[str, Any]:
        return to_plain(self.record())


def arm64_compare(
    catalog: Catalog,
    *,
    region: str,
    x86_memory_mb: int,
    x86_billed_ms: Decimal,
    arm64_memory_mb: int,
    arm64_billed_ms: Decimal,
    monthly_invocations: int | None,
    free_tier: bool = False,
    savings_plan: str | None = None,
    ephemeral_mb: int = 512,
    arm64_function: str | None = None,
) -> ArchitectureComparison:
    """The exact comparison: each architecture at its own (measured or recommended) size and
    mean billed duration. ``arm64_function`` names the twin that was measured (for the record)."""
    return _compare(
        catalog,
        estimate=False,
        region=region,
        x86=(x86_memory_mb, check_billed_ms(x86_billed_ms, "x86_64")),
        arm=(arm64_memory_mb, check_billed_ms(arm64_billed_ms, "arm64")),
        monthly_invocations=monthly_invocations,
        free_tier=free_tier,
        savings_plan=savings_plan,
        ephemeral_mb=ephemeral_mb,
        arm64_function=arm64_function,
    )


def arm64_estimate(
    catalog: Catalog,
    *,
    region: str,
    memory_mb: int,
    billed_ms: Decimal,
    monthly_invocations: int | None,
    free_tier: bool = False,
    savings_plan: str | None = None,
    ephemeral_mb: int = 512,
) -> ArchitectureComparison:
    """For an x86_64 function: the same size and the same durations priced on arm64 (an
    estimate, see the module docstring)."""
    billed = check_billed_ms(billed_ms, "x86_64")
    return _compare(
        catalog,
        estimate=True,
        region=region,
        x86=(memory_mb, billed),
        arm=(memory_mb, billed),
        monthly_invocations=monthly_invocations,
        free_tier=free_tier,
        savings_plan=savings_plan,
        ephemeral_mb=ephemeral_mb,
        arm64_function=None,
    )


def _compare(
    catalog: Catalog,
    *,
    estimate: bool,
    region: str,
    x86: tuple[int, Decimal],
    arm: tuple[int, Decimal],
    monthly_invocations: int | None,
    free_tier: bool,
    savings_plan: str | None,
    ephemeral_mb: int,
    arm64_function: str | None,
) -> ArchitectureComparison:
    check_invocations(monthly_invocations)
    common: dict[str, Any] = {
        "region": region,
        "monthly_invocations": monthly_invocations,
        "free_tier": free_tier,
        "savings_plan": savings_plan,
        "ephemeral_mb": ephemeral_mb,
    }
    on_x86 = price_size(catalog, arch="x86_64", memory_mb=x86[0], billed_ms=x86[1], **common)
    on_arm = price_size(catalog, arch="arm64", memory_mb=arm[0], billed_ms=arm[1], **common)
    saving_usd, saving_pct = saving(on_x86.total_usd, on_arm.total_usd)
    return ArchitectureComparison(
        estimate=estimate,
        basis=ESTIMATE_BASIS if estimate else COMPARE_BASIS,
        region=region,
        monthly_invocations=monthly_invocations,
        x86_64=on_x86,
        arm64=on_arm,
        saving_usd=saving_usd,
        saving_pct=saving_pct,
        arm64_function=arm64_function,
    )
