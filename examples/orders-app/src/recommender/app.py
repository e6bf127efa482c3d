"""Recommendation scorer: rank a location's menu for a customer ("you may also like").

Scores every dish against the customer's taste vector and a dish-dish similarity matrix with
numpy (BLAS runs the matrix products on several threads), then keeps the top ten. CPU-bound and
multi-threaded: it keeps getting faster past one vCPU.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

DISHES = int(os.environ.get("DISHES", "1200"))
FACTORS = 256
_rng = np.random.default_rng(42)
# Loaded once per environment (INIT), as a model file read from the package would be.
DISH_VECTORS = _rng.normal(size=(DISHES, FACTORS)).astype(np.float32)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    customer = int(event.get("customer", 1))
    rng = np.random.default_rng(customer)
    history = rng.integers(0, DISHES, size=20)
    taste = DISH_VECTORS[history].mean(axis=0)
    similarity = DISH_VECTORS @ DISH_VECTORS.T  # dish x dish, the costly part
    co_ordered = similarity[history].sum(axis=0)
    scores = DISH_VECTORS @ taste + 0.1 * co_ordered
    scores[history] = -np.inf  # not what they already order
    top = np.argsort(scores)[-10:][::-1]
    return {"customer": customer, "dishes": [int(d) for d in top]}
