"""The free target's budget is wall time, not invocations: the search interleaves the tied sizes
every round and stops on the time budget or a choice that held; the flag is checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from cli import app
from powertune.tune.decide.strategies import TIE_SPEED_TOLERANCE
from powertune.tune.search.adaptive import AdaptiveSearch
from powertune.tune.targets.replay import ReplayTarget
from powertune.types import Observations
from pricing.catalog import load_catalog

CAT = load_catalog()


def _flat(tmp: Path) -> Path:
    sizes = np.arange(128, 3009)
    duration = 1.0 + 200.0 * 1769 / np.minimum(sizes, 1769)
    path = tmp / "flat.csv"
    rows = "\n".join(f"{m},{d:.4f}" for m, d in zip(sizes, duration, strict=True))
    path.write_text("memory_mb,duration_ms\n" + rows + "\n")
    return path


def _run(search: AdaptiveSearch, target: ReplayTarget, rounds: int) -> tuple[Observations, list]:
    obs, plans = Observations(), []
    for _ in range(rounds):
        batches = search.next(obs)
        if not batches:
            break
        plans.append(batches)
        obs.current_round += 1
        for b in batches:
            target.prepare(b.memory_mb)
            for _ in range(b.count):
                obs.add(target.invoke(b.memory_mb, b"{}"))
    return obs, plans


def test_a_time_budget_lifts_the_invocation_cap_and_interleaves_the_tied_sizes(
    tmp_path: Path,
) -> None:
    target = ReplayTarget(_flat(tmp_path), seed=1, noise_cv=0.08)
    free = AdaptiveSearch(128, 3008, catalog=CAT, seed=1, time_budget_s=3600)
    obs, plans = _run(free, target, 30)
    assert obs.invocations > 40  # the paid default (40) does not bind a free target
    assert free.curve is not None and free.choice is not None
    tied = {int(m) for m in free.tied(free.curve)}
    last = {b.memory_mb for b in plans[-1]}
    measured_tied = {m for m in obs.measured_sizes() if m in tied}
    assert len(measured_tied & last) >= 2  # the tied sizes are measured again each round


def test_a_spent_time_budget_stops_the_search_and_says_so(tmp_path: Path) -> None:
    target = ReplayTarget(_flat(tmp_path), seed=1, noise_cv=0.08)
    free = AdaptiveSearch(128, 3008, catalog=CAT, seed=1, time_budget_s=1e-9)
    _run(free, target, 30)
    assert (free.stop_reason() or "").startswith("time budget reached")


def test_the_time_budget_flag_is_checked() -> None:
    res = CliRunner().invoke(app, ["tune", "--local", ".", "--time-budget", "0"])
    assert res.exit_code == 2 and "--time-budget" in res.output


def test_the_free_search_measures_the_speed_edge_every_round_tied_or_not(tmp_path: Path) -> None:
    """A size left out of the tie on an unlucky handful of samples must be measured again, or
    its exclusion is never tested: every round of a free run measures where more memory stops
    buying speed (one vCPU, 1769 MB, on this curve)."""
    # cost rises with memory here (a 60 ms part that does not scale): 1769 MB is not tied
    sizes = np.arange(128, 3009)
    duration = 60.0 + 200.0 * 1769 / np.minimum(sizes, 1769)
    path = tmp_path / "rising.csv"
    rows = "\n".join(f"{m},{d:.4f}" for m, d in zip(sizes, duration, strict=True))
    path.write_text("memory_mb,duration_ms\n" + rows + "\n")
    target = ReplayTarget(path, seed=3, noise_cv=0.08)
    free = AdaptiveSearch(128, 3008, catalog=CAT, seed=3, time_budget_s=3600)
    _, plans = _run(free, target, 12)
    assert free.choice is not None and 1769 not in free.choice.tied_mb
    later = plans[3:]
    assert later and all(
        any(abs(b.memory_mb - 1769) <= 0.03 * 1769 for b in batches) for batches in later
    )


def test_a_free_tie_goes_to_the_fastest_tied_size(tmp_path: Path) -> None:
    """Free invocations measured until the answer held: the tie goes to the fastest size the
    run cannot tell from the cheapest, with no further bound on its point estimate, and the
    reason states the cost that may be given up as an interval."""
    target = ReplayTarget(_flat(tmp_path), seed=4, noise_cv=0.08)
    free = AdaptiveSearch(128, 3008, catalog=CAT, seed=4, time_budget_s=3600)
    _run(free, target, 14)
    assert free.curve is not None and free.choice is not None
    choice, curve = free.choice, free.curve
    assert choice.claim_bands is None
    tied = list(choice.tied_mb)
    fastest = min(curve.mean[curve.index(m)] for m in tied)
    assert curve.mean[curve.index(choice.memory_mb)] <= fastest * (1 + TIE_SPEED_TOLERANCE)
    if choice.memory_mb != choice.cheapest_mb:
        assert choice.reason and "(95%:" in choice.reason


def test_a_paid_tie_is_bounded_by_its_point_estimate(tmp_path: Path) -> None:
    target = ReplayTarget(_flat(tmp_path), seed=4, noise_cv=0.08)
    paid = AdaptiveSearch(128, 3008, catalog=CAT, seed=4)
    _run(paid, target, 14)
    assert paid.choice is not None and paid.choice.claim_bands is not None
