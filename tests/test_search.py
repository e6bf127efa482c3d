"""Grid and adaptive searches driven against replayed curves (a tiny serial tuner loop)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from powertune.errors import InputError
from powertune.models.forms import FORMS
from powertune.tune.decide.strategies import UnknownStrategy
from powertune.tune.search.adaptive import AdaptiveSearch, lattice_step
from powertune.tune.search.grid import GridSearch
from powertune.tune.search.interface import Search
from powertune.tune.targets.replay import ReplayTarget
from powertune.types import Observations, Sample
from pricing.catalog import load_catalog

CAT = load_catalog()
CURVES = Path(__file__).parent / "data" / "curves"


def run(search: Search, target: ReplayTarget, price_usd: float = 0.0) -> Observations:
    obs = Observations()
    prepared: set[int] = set()
    for _ in range(100):
        batches = search.next(obs)
        if not batches:
            return obs
        for b in batches:
            assert isinstance(b.memory_mb, int) and b.count >= 1
            if b.memory_mb not in prepared:
                target.prepare(b.memory_mb)
                prepared.add(b.memory_mb)
            for _ in range(b.count):
                s = target.invoke(b.memory_mb)
                obs.add(s)
                obs.spend_usd += price_usd * s.memory_mb * (s.billed_ms or 0)
    raise AssertionError("search never stopped")


def curve_csv(tmp_path: Path, form: str, params: list[float], sizes: list[int]) -> Path:
    mean = FORMS[form](np.array(sizes, dtype=float), np.array(params))
    rows = [f"{m},{d:.3f}" for m, d in zip(sizes, mean, strict=True)]
    path = tmp_path / f"{form}.csv"
    path.write_text("memory_mb,duration_ms\n" + "\n".join(rows) + "\n")
    return path


def test_grid_measures_exactly_the_given_sizes_then_stops() -> None:
    grid = GridSearch([1024, 128, 512], invocations=4)
    obs = Observations()
    first = grid.next(obs)
    assert [(b.memory_mb, b.count) for b in first] == [(128, 4), (512, 4), (1024, 4)]
    for b in first:
        for _ in range(b.count):
            obs.add(Sample(b.memory_mb, 100.0, 100))
    assert grid.next(obs) == []
    assert grid.stop_reason() == "grid complete"


def test_grid_skips_refused_sizes_and_validates_input() -> None:
    grid = GridSearch([128, 256], invocations=2)
    obs = Observations(skipped={256: "refused"})
    assert [b.memory_mb for b in grid.next(obs)] == [128]
    with pytest.raises(InputError):
        GridSearch([64], invocations=2)
    with pytest.raises(InputError):
        GridSearch([128], invocations=0)


def test_adaptive_converges_on_a_cpu_curve_with_a_fixed_part(tmp_path: Path) -> None:
    # 60 ms waiting on I/O + 30 ms of compute at 1 vCPU: the cheapest size is the smallest.
    sizes = [128, 256, 512, 1024, 1536, 2048, 3008]
    target = ReplayTarget(curve_csv(tmp_path, "cpu", [60.0, 30.0], sizes), seed=1)
    search = AdaptiveSearch(128, 3008, catalog=CAT, seed=1)
    obs = run(search, target)
    assert search.stop_reason() is not None and search.stop_reason().startswith("converged")
    assert search.choice is not None and search.choice.memory_mb <= 192
    assert search.curve is not None and search.curve.source == "model"
    assert search.fit is not None and search.fit.ok
    assert obs.invocations <= 20  # the grid would spend 6 x 10
    assert all(128 <= m <= 3008 for m in obs.samples)
    assert 3008 in obs.samples and len(obs.samples[3008]) <= 2  # the dear end is only probed


def test_adaptive_finds_an_interior_optimum(tmp_path: Path) -> None:
    # Memory pressure at small sizes (exponential decay) over a 400 ms floor: cost bottoms
    # near 1.5 GB, well inside the range.
    sizes = list(range(128, 3009, 64))
    path = curve_csv(tmp_path, "exp", [9000.0, 3.0, 400.0], sizes)
    m = np.arange(128, 3009)
    for seed in (2, 3):
        target = ReplayTarget(path, seed=seed)
        search = AdaptiveSearch(128, 3008, catalog=CAT, seed=seed)
        obs = run(search, target)
        assert search.choice is not None
        true_cost = m * target.mean_duration(m)
        regret = true_cost[search.choice.memory_mb - 128] / true_cost.min() - 1
        assert regret < 0.02, (seed, search.choice.memory_mb)
        # bracketing the choice for an honest claim costs a few: within the paid default
        # budget (40), where the grid would spend 6 x 10
        assert obs.invocations <= 40


def test_stopping_rule_needs_a_size_beyond_the_parameters(tmp_path: Path) -> None:
    sizes = [128, 512, 3008]
    target = ReplayTarget(curve_csv(tmp_path, "cpu", [60.0, 30.0], sizes), seed=0)
    search = AdaptiveSearch(128, 3008, catalog=CAT, seed=0)
    obs = Observations()
    first = search.next(obs)
    assert len(first) == 3 and first[0].memory_mb == 128 and first[-1].memory_mb == 3008
    for b in first:
        target.prepare(b.memory_mb)
        for _ in range(b.count):
            obs.add(target.invoke(b.memory_mb))
    # Three sizes fit any three-parameter form exactly: no stop yet, a gap gets measured.
    second = search.next(obs)
    assert second and search.stop_reason() is None
    assert any(b.memory_mb not in obs.samples for b in second)


def test_invocation_budget_is_respected(tmp_path: Path) -> None:
    src = (
        CURVES
        / "power-tuning"
        / "unfaasener_ImageProcessingBenchmark_sample_4_ImageProcessingResize_First_Run.csv"
    )
    target = ReplayTarget(src, seed=3)
    search = AdaptiveSearch(128, 1024, catalog=CAT, seed=3, max_invocations=9)
    obs = run(search, target)
    assert obs.invocations <= 9
    assert search.choice is not None


def test_spend_budget_is_respected(tmp_path: Path) -> None:
    sizes = [128, 256, 512, 1024, 2048, 3008]
    target = ReplayTarget(curve_csv(tmp_path, "cpu", [60.0, 30.0], sizes), seed=4)
    price = float(CAT and 0.0000166667) / 1024 / 1000  # USD per MB-ms, only for the test's meter
    search = AdaptiveSearch(128, 3008, catalog=CAT, seed=4, max_spend_usd=2e-5)
    obs = run(search, target, price_usd=price)
    # The first round is fixed; after it the search plans within what is left.
    assert obs.spend_usd <= 2e-5 + 3 * price * 3008 * 200


def test_other_strategies_and_bad_options(tmp_path: Path) -> None:
    sizes = [128, 256, 512, 1024, 1536, 2048, 3008]
    path = curve_csv(tmp_path, "cpu", [60.0, 30.0], sizes)
    speed = AdaptiveSearch(128, 3008, catalog=CAT, seed=5, strategy="speed")
    run(speed, ReplayTarget(path, seed=5))
    assert speed.choice is not None and speed.choice.strategy == "speed"
    assert speed.choice.memory_mb >= 1536  # single-threaded: no speed past one vCPU (1769 MB)
    slo = AdaptiveSearch(128, 3008, catalog=CAT, seed=5, strategy="slo", max_p95_ms=150.0)
    run(slo, ReplayTarget(path, seed=5))
    assert slo.choice is not None and slo.choice.slo_met
    assert slo.choice.duration_p95 <= 150.0
    with pytest.raises(UnknownStrategy):
        AdaptiveSearch(catalog=CAT, strategy="fastest")
    with pytest.raises(InputError):
        AdaptiveSearch(4096, 1024, catalog=CAT)
    with pytest.raises(InputError):
        AdaptiveSearch(catalog=CAT, strategy="slo")


def test_lattice_is_64_mb_on_wide_ranges_and_finer_on_narrow_ones() -> None:
    assert lattice_step(128, 10240) == 64
    assert lattice_step(128, 192) == 4
    search = AdaptiveSearch(176, 185, catalog=CAT)
    assert search.initial[0] == 176 and search.initial[-1] == 185
    assert all(176 <= m <= 185 for m in search.grid)


def test_adaptive_stops_cleanly_when_every_invocation_failed() -> None:
    search = AdaptiveSearch(128, 1024, catalog=CAT)
    obs = Observations()
    for b in search.next(obs):
        for _ in range(b.count):
            obs.add(Sample(b.memory_mb, 3.0, 3, status="error", error_type="Runtime.Crash"))
    assert search.next(obs) == []
    assert search.stop_reason() == "no successful invocations to fit or price"
    assert search.choice is None


def test_finalize_gives_a_choice_when_the_tuner_cut_the_run_short(tmp_path: Path) -> None:
    sizes = [128, 256, 512, 1024]
    target = ReplayTarget(curve_csv(tmp_path, "cpu", [60.0, 30.0], sizes), seed=6)
    search = AdaptiveSearch(128, 1024, catalog=CAT, seed=6)
    obs = Observations()
    for b in search.next(obs):
        target.prepare(b.memory_mb)
        for _ in range(b.count):
            obs.add(target.invoke(b.memory_mb))
    choice = search.finalize(obs)  # the tuner's budget ran out after the first round
    assert choice is search.choice and 128 <= choice.memory_mb <= 1024
    assert search.fit is not None and search.curve is not None


def test_adaptive_never_proposes_a_size_the_tuner_skipped(tmp_path: Path) -> None:
    sizes = [128, 256, 512, 1024, 2048, 3008]
    target = ReplayTarget(curve_csv(tmp_path, "cpu", [60.0, 30.0], sizes), seed=7)
    search = AdaptiveSearch(128, 3008, catalog=CAT, seed=7)
    obs = Observations(skipped={128: "configuration refused", 192: "configuration refused"})
    for _ in range(30):
        batches = search.next(obs)
        if not batches:
            break
        assert all(b.memory_mb not in obs.skipped for b in batches)
        for b in batches:
            target.prepare(b.memory_mb)
            for _ in range(b.count):
                obs.add(target.invoke(b.memory_mb))
    assert search.choice is not None and search.choice.memory_mb not in obs.skipped


def test_adaptive_over_candidate_sizes_measures_only_those(tmp_path: Path) -> None:
    # Recorded means with a dip at 512 MB (1.9x faster than a smooth curve would put it): the
    # cost optimum of the interpolated curve is that recorded size.
    path = tmp_path / "dip.csv"
    path.write_text(
        "memory_mb,duration_ms\n256,704.2\n512,287.6\n1024,159.1\n1536,111.4\n1800,102.3\n"
    )
    sizes = [256, 512, 1024, 1536, 1800]
    target = ReplayTarget(path, seed=4)
    search = AdaptiveSearch(256, 1800, catalog=CAT, seed=4, lattice=sizes)
    obs = run(search, target)
    assert set(obs.samples) <= set(sizes)
    assert search.choice is not None and search.choice.memory_mb == 512
    with pytest.raises(InputError):
        AdaptiveSearch(256, 1800, catalog=CAT, lattice=[128, 2048])


def test_confirm_tops_up_the_chosen_and_the_given_sizes_then_refits() -> None:
    target = ReplayTarget(CURVES / "sebs" / "sebs_311.csv", seed=1)
    plain = AdaptiveSearch(256, 3008, catalog=CAT, seed=1)
    plain_obs = run(plain, target)
    target = ReplayTarget(CURVES / "sebs" / "sebs_311.csv", seed=1)
    search = AdaptiveSearch(256, 3008, catalog=CAT, seed=1, confirm=20, confirm_sizes=[1024, 128])
    obs = run(search, target)
    assert search.choice is not None and plain.choice is not None
    warm = {m: sum(1 for s in ss if s.ok and not s.cold) for m, ss in obs.samples.items()}
    assert warm[plain.choice.memory_mb] >= 20 and warm[1024] >= 20
    assert 128 not in obs.samples  # outside the range: ignored
    assert search.confirmed and set(search.confirmed) == {plain.choice.memory_mb, 1024}
    assert obs.invocations == plain_obs.invocations + sum(search.confirmed.values())
    reason = search.stop_reason()
    assert reason is not None and "then confirmed" in reason
    assert search.fit is not None and search.fit.n_samples > plain.fit.n_samples  # refitted
    with pytest.raises(InputError):
        AdaptiveSearch(256, 3008, catalog=CAT, confirm=-1)


def test_whole_vcpus_are_candidate_sizes_unless_a_list_was_given() -> None:
    # One thread stops speeding up at 1769 MB: a cost-flat curve's band ends there, not at
    # 1728 or 1792 (the 64 MB lattice's neighbours).
    wide = AdaptiveSearch(128, 10240, catalog=CAT)
    assert {1769, 3538, 5307, 7076, 8845} <= {int(m) for m in wide.grid}
    assert 1769 not in AdaptiveSearch(128, 1536, catalog=CAT).grid
    listed = AdaptiveSearch(128, 3008, catalog=CAT, lattice=[128, 1024, 3008])
    assert list(listed.grid) == [128, 1024, 3008]
