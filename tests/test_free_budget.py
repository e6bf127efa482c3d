"""The free target's budget is wall time, not invocations: the search interleaves the tied sizes
every round and stops on the time budget or a choice that held; the flag is checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from cli import app
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
