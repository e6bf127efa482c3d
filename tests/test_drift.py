"""Host drift between rounds is told from the curve, and only when it is real."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from powertune.models.drift import drift_adjusted, round_factors
from powertune.tune.plan import parse_payload
from powertune.tune.search.adaptive import AdaptiveSearch
from powertune.tune.targets.replay import ReplayTarget
from powertune.tune.tuner import Tuner, TuneSettings
from powertune.types import Observations, Sample
from pricing.catalog import load_catalog

CAT = load_catalog()
# Round -> the sizes measured in it; every round shares a size with another (one block).
DESIGN = {1: [128, 640, 3008], 2: [640, 1024], 3: [1024, 256], 4: [256, 640, 1408], 5: [1408, 128]}
SPEED = {1: 1.0, 2: 1.3, 3: 0.85, 4: 1.15, 5: 0.95}  # how slow the host ran in each round


def observed(speed: dict[int, float], seed: int = 0, cv: float = 0.03) -> Observations:
    rng = np.random.default_rng(seed)
    obs = Observations()
    for r, sizes in DESIGN.items():
        obs.current_round = r
        for m in sizes:
            for _ in range(3):
                d = 200_000.0 / min(m, 1769) * speed[r] * float(np.exp(cv * rng.standard_normal()))
                obs.add(Sample(m, d, int(np.ceil(d))))
    return obs


def size_means(obs: Observations) -> dict[int, float]:
    return {m: float(np.mean([s.duration_ms for s in ss])) for m, ss in obs.samples.items()}


def test_the_round_factors_are_recovered_and_the_curve_is_put_back() -> None:
    obs = observed(SPEED)
    factors = round_factors(obs)
    assert set(factors) == set(DESIGN)
    centre = float(np.exp(np.mean(np.log(list(SPEED.values())))))
    for r, f in factors.items():
        assert abs(f / (SPEED[r] / centre) - 1) < 0.05, (r, f)
    steady, used = drift_adjusted(obs)
    assert used == factors
    truth = {m: 200_000.0 / min(m, 1769) * centre for m in obs.samples}
    raw_err = max(abs(v / truth[m] - 1) for m, v in size_means(obs).items())
    fixed_err = max(abs(v / truth[m] - 1) for m, v in size_means(steady).items())
    assert raw_err > 0.08 and fixed_err < 0.03, (raw_err, fixed_err)
    assert obs.samples[640][0].duration_ms != steady.samples[640][0].duration_ms  # a copy


def test_a_steady_host_is_left_as_measured() -> None:
    flat = dict.fromkeys(SPEED, 1.0)
    for seed in range(5):
        obs = observed(flat, seed=seed)
        assert round_factors(obs) == {}, seed
        steady, used = drift_adjusted(obs)
        assert steady is obs and used == {}


def test_a_round_linked_to_no_other_is_not_guessed() -> None:
    obs = observed(SPEED)
    obs.current_round = 9
    for _ in range(3):
        obs.add(Sample(2048, 50.0, 50))  # a size measured only in a round of its own
    factors = round_factors(obs)
    assert 9 not in factors and set(factors) == set(DESIGN)
    steady, _ = drift_adjusted(obs)
    assert [s.duration_ms for s in steady.samples[2048]] == [50.0] * 3


def test_the_tuner_tags_each_sample_with_its_round(tmp_path: Path) -> None:
    path = tmp_path / "cpu.csv"
    sizes = np.arange(128, 3009, 64)
    rows = "\n".join(f"{m},{200_000 / min(m, 1769):.3f}" for m in sizes)
    path.write_text("memory_mb,duration_ms\n" + rows + "\n")
    search = AdaptiveSearch(128, 3008, catalog=CAT, seed=0)
    target = ReplayTarget(path, seed=0, noise_cv=0.03)
    outcome = Tuner(target, search, parse_payload(None), TuneSettings(), catalog=CAT).run()
    obs = outcome.observations
    assert obs.current_round >= 3
    for m, samples in obs.samples.items():
        rounds = obs.rounds[m]
        assert len(rounds) == len(samples) and rounds == sorted(rounds), m
        assert all(1 <= r <= obs.current_round for r in rounds)
    assert search.drift == {}  # a replay's host does not drift


def test_a_drifting_host_widens_each_sizes_draws_by_its_rounds() -> None:
    """A size's mean also carries the host's speed in the rounds it was measured in: the fewer
    its rounds, the wider its draws; a steady host adds nothing."""
    from powertune.models.drift import round_spread
    from powertune.models.fit import fit_curve

    obs = observed(SPEED)
    _, factors = drift_adjusted(obs)
    spread = round_spread(obs, factors)
    sd = float(np.std(np.log(list(factors.values())), ddof=1))
    assert spread[640] == sd / np.sqrt(3) and spread[3008] == sd  # 640 MB: 3 rounds; 3008: 1
    warm = {m: [s.duration_ms for s in ss] for m, ss in obs.samples.items()}
    narrow = fit_curve(warm, seed=1)
    wide = fit_curve(warm, seed=1, between=spread)
    assert not isinstance(narrow, type(None)) and narrow.ok and wide.ok
    width = {}
    for name, fit in (("narrow", narrow), ("wide", wide)):
        d = fit.draws([3008])[:, 0]
        width[name] = float(np.percentile(d, 97.5) / np.percentile(d, 2.5))
    assert width["wide"] > width["narrow"] * 1.05
    assert round_spread(observed({r: 1.0 for r in SPEED}), {}) == {}
