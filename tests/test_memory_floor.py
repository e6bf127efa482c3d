"""No recommendation below the smallest size measured above one that ran out of memory: the
model prices those sizes from larger ones, and the function may not fit in them (the gate
refuses a result that recommends one, as a CI walkthrough run showed)."""

from __future__ import annotations

import numpy as np
import pytest

from powertune.tune.decide.strategies import STRATEGIES, choose, memory_floor
from powertune.tune.search.adaptive import AdaptiveSearch
from powertune.types import Observations, Sample
from pricing.catalog import load_catalog

CAT = load_catalog()
MEASURED = (448, 640, 896, 1088, 1408, 3008)


def _observations() -> Observations:
    """128 and 192 MB ran out of memory; nothing was measured until 448 MB. The duration falls
    as 1/memory up to one vCPU, so cost rises with memory and the model's cheapest is below
    448 MB."""
    rng = np.random.default_rng(0)
    obs = Observations()
    obs.skipped.update({128: "out of memory", 192: "out of memory"})
    for m in MEASURED:
        for _ in range(3):
            d = (40.0 + 100.0 * 1769 / min(m, 1769)) * float(np.exp(0.03 * rng.standard_normal()))
            obs.add(Sample(m, d, int(np.ceil(d))))
    return obs


def test_the_floor_is_the_smallest_size_measured_above_the_largest_out_of_memory_one() -> None:
    assert memory_floor({}, [128, 256]) == 0
    assert memory_floor({128: "timeout"}, [256]) == 0
    assert memory_floor({128: "out of memory", 192: "out of memory"}, [130, 448, 640]) == 448
    assert memory_floor({512: "out of memory"}, [256]) == 513


@pytest.mark.parametrize("paid", [True, False])
def test_no_size_between_an_out_of_memory_one_and_the_smallest_measured_is_recommended(
    paid: bool,
) -> None:
    search = AdaptiveSearch(128, 3008, catalog=CAT, seed=0, time_budget_s=None if paid else 3600)
    choice = search.finalize(_observations())
    assert choice.memory_mb >= 448
    assert choice.floor_mb == 448
    # The curve still prices the smaller sizes (a current size there keeps its "now" figure),
    # and the model does find one of them cheapest: only the choice is held to the floor.
    curve = search.curve
    assert curve is not None and int(curve.memory_mb.min()) < 448
    assert int(curve.memory_mb[np.argmin(curve.cost)]) < 448


def test_every_strategy_keeps_to_the_floor() -> None:
    search = AdaptiveSearch(128, 3008, catalog=CAT, seed=0)
    search.finalize(_observations())
    curve = search.curve
    assert curve is not None
    for strategy in STRATEGIES:
        # an SLO no size meets: the fastest size, still above the floor
        for slo in (500.0, 1.0):
            choice = choose(strategy, curve, max_p95_ms=slo, floor_mb=448)
            assert choice.memory_mb >= 448, (strategy, slo)
    unfloored = choose("balanced", curve, balanced_weight=1.0)
    assert unfloored.memory_mb < 448  # the floor is what keeps the others above it
