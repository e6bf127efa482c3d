"""Nightly report (EventBridge schedule): one location's day of sales, by dish and by hour.

Memory-hungry: it loads the day's order lines into memory at once (as a query export would
land), about 2.4 M lines x 6 columns of 8 bytes, then sorts and groups them. Below ~512 MB it
runs out of memory; above that, more memory mostly buys CPU for the sort.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

LINES = int(os.environ.get("ORDER_LINES", "2400000"))


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    location = int(event.get("location", 1))
    rng = np.random.default_rng(location)
    dish = rng.integers(0, 1200, LINES)
    hour = rng.integers(0, 24, LINES)
    quantity = rng.integers(1, 4, LINES)
    price = rng.uniform(3, 25, LINES)
    revenue = quantity * price
    customer = rng.integers(0, 200_000, LINES)
    order = np.lexsort((hour, dish))  # sort by dish, then hour
    by_dish = np.bincount(dish[order], weights=revenue[order], minlength=1200)
    by_hour = np.bincount(hour, weights=revenue, minlength=24)
    customers = np.unique(customer).size
    top = np.argsort(by_dish)[-5:][::-1]
    return {
        "location": location,
        "revenue": round(float(revenue.sum()), 2),
        "customers": int(customers),
        "top_dishes": [int(d) for d in top],
        "busiest_hour": int(np.argmax(by_hour)),
    }
