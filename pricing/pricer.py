"""One function's prices: its catalog, region, architecture and ephemeral storage, set once.

Everything that prices a size of a function (the tuner's spend, the dry run, a measurement, a
point of the cost curve) asks a Pricer, so the four facts that decide a price travel together.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pricing.catalog import Catalog
from pricing.cost import INCLUDED_EPHEMERAL_MB, invocation_cost
from pricing.vectorized import UnitPrices


@dataclass(frozen=True)
class Pricer:
    """Prices invocations of one function (first-tier on-demand rates, in Decimal)."""

    catalog: Catalog
    region: str
    arch: str
    ephemeral_mb: int = INCLUDED_EPHEMERAL_MB

    def invocation(self, memory_mb: int, billed_ms: int | Decimal) -> Decimal:
        """One invocation at ``memory_mb`` billed ``billed_ms``: duration, extra ephemeral
        storage and the request fee."""
        return invocation_cost(
            self.catalog,
            region=self.region,
            arch=self.arch,
            memory_mb=memory_mb,
            billed_ms=billed_ms,
            ephemeral_mb=self.ephemeral_mb,
        )

    def unit_prices(self) -> UnitPrices:
        """The float unit prices a search weighs candidates with (storage left out)."""
        return UnitPrices.of(self.catalog, self.region, self.arch)
