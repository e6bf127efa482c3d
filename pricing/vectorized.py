"""Float (numpy) prices for searches that weigh thousands of candidate sizes per round.

These are estimates for choosing; every figure a result carries is priced again, exactly, by
``pricing.cost`` in Decimal. Prices are the catalog's first-tier on-demand unit prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from pricing.catalog import Catalog
from pricing.cost import MB_PER_GB, MS_PER_SECOND, duration_price, request_price


@dataclass(frozen=True)
class UnitPrices:
    """First-tier unit prices of one region and architecture: per GB-s and per request."""

    per_gb_s: Decimal
    per_request: Decimal

    @classmethod
    def of(cls, catalog: Catalog, region: str, arch: str) -> UnitPrices:
        return cls(duration_price(catalog, region, arch), request_price(catalog, region, arch))

    def invocation_usd(self, memory_mb: np.ndarray, billed_ms: np.ndarray) -> np.ndarray:
        """Estimated USD of one invocation at each (memory, billed ms): duration + request."""
        gb_s = (
            np.asarray(memory_mb, dtype=float)
            / float(MB_PER_GB)
            * np.asarray(billed_ms, dtype=float)
            / float(MS_PER_SECOND)
        )
        return gb_s * float(self.per_gb_s) + float(self.per_request)
