"""The order a fleet's functions are shown in: the most dollars a month at stake first."""

from __future__ import annotations

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
