"""The order a fleet's functions are shown in: the most dollars a month at stake first."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from powertune.results.model import FunctionResult, Result


def at_stake(fn: FunctionResult) -> Decimal | None:
    """The monthly saving the recommendation offers (None: unknown traffic or no choice)."""
    rec = fn.recommendation
    return rec.monthly.saving_usd if rec and rec.monthly else None


def worst_first(result: Result) -> list[FunctionResult]:
    """Functions with the most $/month at stake first; unknown money after, by name."""

    def key(fn: FunctionResult) -> tuple[int, Decimal, str]:
        stake = at_stake(fn)
        return (stake is None, -(stake or Decimal(0)), fn.name)

    return sorted(result.functions, key=key)


@dataclass(frozen=True)
class FleetTotal:
    """A fleet's $/month now and recommended, summed over the functions whose traffic and
    prices are known; ``unknown`` names the rest (left out of the sums, never counted as 0)."""

    current_usd: Decimal
    recommended_usd: Decimal
    saving_usd: Decimal
    counted: tuple[str, ...]
    unknown: tuple[str, ...]

    @property
    def saving_fraction(self) -> Decimal | None:
        return self.saving_usd / self.current_usd if self.current_usd else None


def fleet_total(result: Result) -> FleetTotal | None:
    """The total of a fleet's monthly figures (None when no function's are known)."""
    current = recommended = Decimal(0)
    counted: list[str] = []
    unknown: list[str] = []
    for fn in worst_first(result):
        rec = fn.recommendation
        mo = rec.monthly if rec else None
        if mo is None or mo.current_usd is None or mo.recommended_usd is None:
            unknown.append(fn.name)
            continue
        current += mo.current_usd
        recommended += mo.recommended_usd
        counted.append(fn.name)
    if not counted:
        return None
    return FleetTotal(current, recommended, current - recommended, tuple(counted), tuple(unknown))
