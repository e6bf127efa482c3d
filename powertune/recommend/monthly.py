"""Dollars per month at the function's traffic: the current size against the recommended one.

All money comes from ``pricing.cost.monthly_lambda_cost``: duration tiers, the request fee,
ephemeral storage, the free tier (off unless asked) and a Compute Savings Plan (on what it
covers). Duration tiers count this function's GB-s alone; in a real account they count every
function of the architecture in the region, so a large account can pay slightly less.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from powertune.errors import InputError
from powertune.results.codec import to_plain
from powertune.results.model import LambdaMonth, PricedItem
from pricing.catalog import Catalog
from pricing.cost import LineItem, money_str, monthly_lambda_cost

_HUNDRED = Decimal(100)
_CENT_PCT = Decimal("0.01")


@dataclass(frozen=True)
class LambdaMonthly:
    """One memory size priced for a month: the pricing line items and their total."""

    memory_mb: int
    billed_ms_avg: Decimal
    total_usd: Decimal | None
    items: tuple[LineItem, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. rates the catalog marks "verify"

    def record(self) -> LambdaMonth:
        """As the result carries it."""
        return LambdaMonth(
            memory_mb=self.memory_mb,
            billed_ms_avg=self.billed_ms_avg,
            total_usd=self.total_usd,
            items=priced_items(self.items),
            notes=self.notes,
        )

    def to_json(self) -> dict[str, Any]:
        return to_plain(self.record())


@dataclass(frozen=True)
class MonthlyComparison:
    """Current against recommended for the same month of traffic; None where traffic is unknown."""

    region: str
    arch: str
    monthly_invocations: int | None
    free_tier: bool
    savings_plan: str | None
    current: LambdaMonthly
    recommended: LambdaMonthly
    saving_usd: Decimal | None
    saving_pct: Decimal | None  # of the current cost, two decimals; None when current is 0

    @property
    def current_usd(self) -> Decimal | None:
        return self.current.total_usd

    @property
    def recommended_usd(self) -> Decimal | None:
        return self.recommended.total_usd

    def to_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "architecture": self.arch,
            "monthly_invocations": self.monthly_invocations,
            "free_tier": self.free_tier,
            "savings_plan": self.savings_plan,
            "current_usd": to_plain(self.current_usd),
            "recommended_usd": to_plain(self.recommended_usd),
            "saving_usd": to_plain(self.saving_usd),
            "saving_pct": to_plain(self.saving_pct),
            "current": self.current.to_json(),
            "recommended": self.recommended.to_json(),
        }


def priced_items(items: tuple[LineItem, ...]) -> tuple[PricedItem, ...]:
    """pricing's line items as the result carries them: figures as pricing states them (no
    trailing zeros, at most 30 places: ``pricing.cost.money_str``)."""
    return tuple(
        PricedItem(
            name=i.name,
            quantity=_stated(i.quantity),
            unit=i.unit,
            rate=_stated(i.rate),
            usd=_stated(i.usd),
            note=i.note,
        )
        for i in items
    )


def _stated(value: Decimal) -> Decimal:
    return Decimal(money_str(value))


def check_invocations(monthly_invocations: int | None) -> None:
    if monthly_invocations is None:
        return
    if isinstance(monthly_invocations, bool) or not isinstance(monthly_invocations, int):
        raise InputError(f"monthly invocations must be a whole number, got {monthly_invocations!r}")
    if monthly_invocations < 0:
        raise InputError(f"monthly invocations cannot be negative, got {monthly_invocations}")


def check_billed_ms(billed_ms: Decimal, what: str) -> Decimal:
    value = Decimal(billed_ms)
    if not value.is_finite() or value < 0:
        raise InputError(f"{what} billed duration must be a non-negative number, got {billed_ms}")
    return value


def price_size(
    catalog: Catalog,
    *,
    region: str,
    arch: str,
    memory_mb: int,
    billed_ms: Decimal,
    monthly_invocations: int | None,
    free_tier: bool,
    savings_plan: str | None,
    ephemeral_mb: int,
) -> LambdaMonthly:
    """One size for a month; total None when the traffic is unknown."""
    if monthly_invocations is None:
        return LambdaMonthly(memory_mb=memory_mb, billed_ms_avg=billed_ms, total_usd=None)
    estimate = monthly_lambda_cost(
        catalog,
        region=region,
        arch=arch,
        memory_mb=memory_mb,
        billed_ms_avg=billed_ms,
        invocations=monthly_invocations,
        ephemeral_mb=ephemeral_mb,
        free_tier=free_tier,
        savings_plan=savings_plan,
    )
    return LambdaMonthly(
        memory_mb=memory_mb,
        billed_ms_avg=billed_ms,
        total_usd=estimate.total_usd,
        items=tuple(estimate.items),
        notes=tuple(estimate.notes),
    )


def saving(current: Decimal | None, other: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    """(saving in USD, saving as a percentage of ``current``); None where it cannot be known."""
    if current is None or other is None:
        return None, None
    saved = current - other
    if current == 0:
        return saved, None
    return saved, (saved / current * _HUNDRED).quantize(_CENT_PCT)


def monthly_comparison(
    catalog: Catalog,
    *,
    region: str,
    arch: str,
    current_memory_mb: int,
    current_billed_ms: Decimal,
    recommended_memory_mb: int,
    recommended_billed_ms: Decimal,
    monthly_invocations: int | None,
    free_tier: bool = False,
    savings_plan: str | None = None,
    ephemeral_mb: int = 512,
) -> MonthlyComparison:
    """Price a month of ``monthly_invocations`` at the current and at the recommended size.

    ``*_billed_ms`` is the mean billed duration per invocation at that size (cold starts and
    INIT billing included by the caller). ``monthly_invocations=None`` (traffic unknown) gives
    null money rather than a made-up figure.
    """
    check_invocations(monthly_invocations)
    common: dict[str, Any] = {
        "region": region,
        "arch": arch,
        "monthly_invocations": monthly_invocations,
        "free_tier": free_tier,
        "savings_plan": savings_plan,
        "ephemeral_mb": ephemeral_mb,
    }
    current = price_size(
        catalog,
        memory_mb=current_memory_mb,
        billed_ms=check_billed_ms(current_billed_ms, "current"),
        **common,
    )
    recommended = price_size(
        catalog,
        memory_mb=recommended_memory_mb,
        billed_ms=check_billed_ms(recommended_billed_ms, "recommended"),
        **common,
    )
    saving_usd, saving_pct = saving(current.total_usd, recommended.total_usd)
    return MonthlyComparison(
        region=region,
        arch=arch,
        monthly_invocations=monthly_invocations,
        free_tier=free_tier,
        savings_plan=savings_plan,
        current=current,
        recommended=recommended,
        saving_usd=saving_usd,
        saving_pct=saving_pct,
    )
