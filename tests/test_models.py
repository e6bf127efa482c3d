"""Duration models: known parameters recovered from synthetic curves, choice, intervals, failure."""

from __future__ import annotations

import numpy as np
import pytest

from powertune.models.fit import Fit, FitFailure, fit_curve
from powertune.models.forms import FORMS

SIZES = [128, 256, 512, 1024, 1536, 2048, 3008, 4096, 6144, 8192, 10240]


def synthetic(
    form: str, params: list[float], *, cv: float = 0.03, n: int = 12, seed: int = 1
) -> dict[int, list[float]]:
    """Lognormal noise (mean-preserving) around FORMS[form] at every size of SIZES."""
    rng = np.random.default_rng(seed)
    mean = FORMS[form](np.array(SIZES, dtype=float), np.array(params))
    out = {}
    for m, mu in zip(SIZES, mean, strict=True):
        out[m] = list(mu * np.exp(cv * rng.standard_normal(n) - cv**2 / 2))
    return out


@pytest.mark.parametrize(
    ("form", "params", "rel"),
    [
        ("cpu", [40.0, 25.0], 0.10),
        ("cpu_parallel", [30.0, 10.0, 60.0], 0.15),
        ("exp", [900.0, 2.0, 80.0], 0.10),
        ("power", [50.0, 120.0, 1.4], 0.10),
    ],
)
def test_each_form_recovers_known_parameters(form: str, params: list[float], rel: float) -> None:
    fit = fit_curve(synthetic(form, params), forms=[form], seed=3)
    assert isinstance(fit, Fit)
    assert fit.name == form
    got = list(fit.params.values())
    assert got == pytest.approx(params, rel=rel)


def test_aic_prefers_the_simple_form_on_cpu_shaped_data() -> None:
    fit = fit_curve(synthetic("cpu", [40.0, 25.0], cv=0.02, n=20))
    assert isinstance(fit, Fit)
    assert fit.criterion["name"] == "AIC"
    assert fit.name in ("cpu", "cpu_parallel")  # parallel part fitted to ~0 is the same curve
    cands = fit.criterion["candidates"]
    assert cands["cpu"] < cands["exp"]


def test_intervals_cover_the_truth_and_are_ordered() -> None:
    params = [40.0, 25.0]
    fit = fit_curve(synthetic("cpu", params, cv=0.05, n=8))
    assert isinstance(fit, Fit)
    m = np.array([128, 700, 1769, 5000, 10240])
    truth = FORMS["cpu"](m, np.array(params))
    p = fit.predict(m)
    assert np.all(p.lo <= p.mean) and np.all(p.mean <= p.hi)
    assert np.all(p.lo <= truth * 1.01) and np.all(truth * 0.99 <= p.hi)
    # p95 of one invocation sits above the mean by about 1.645 sigma of the 5% noise.
    assert p.p95 == pytest.approx(truth * np.exp(1.645 * 0.05 - 0.05**2 / 2), rel=0.04)
    assert np.all(p.p95_lo <= p.p95) and np.all(p.p95 <= p.p95_hi)
    assert np.all(p.p50 < p.p95) and np.all(p.p95 < p.p99)


def test_draws_have_the_bootstrap_shape_and_spread_more_with_fewer_samples() -> None:
    few = fit_curve({128: [900, 1000], 1024: [140, 150], 3008: [70]}, n_boot=40)
    many = fit_curve(synthetic("cpu", [40.0, 25.0], n=30), n_boot=40)
    assert isinstance(few, Fit) and isinstance(many, Fit)
    m = np.array([256, 2048])
    assert few.draws(m).shape == (40, 2)
    rel_few = np.std(few.draws(m), axis=0) / few.mean(m)
    rel_many = np.std(many.draws(m), axis=0) / many.mean(m)
    assert np.all(rel_many < rel_few)


def test_outliers_pull_the_robust_fit_less_than_the_mean_would() -> None:
    data = synthetic("cpu", [40.0, 25.0], cv=0.02, n=12)
    data[512] = [x * 3 for x in data[512]]  # a whole size disturbed (noisy neighbour)
    fit = fit_curve(data, forms=["cpu"])
    assert isinstance(fit, Fit)
    assert fit.params["compute"] == pytest.approx(25.0, rel=0.15)


def test_failure_is_an_outcome_not_an_exception() -> None:
    one = fit_curve({512: [100.0, 101.0]})
    assert isinstance(one, FitFailure) and not one.ok
    assert "two or more" in one.reason
    empty = fit_curve({512: [], 1024: [float("nan")]})
    assert isinstance(empty, FitFailure)


def test_same_seed_same_fit() -> None:
    data = synthetic("exp", [900.0, 2.0, 80.0])
    a, b = fit_curve(data, seed=7), fit_curve(data, seed=7)
    assert isinstance(a, Fit) and isinstance(b, Fit)
    m = np.array([300, 900])
    assert np.array_equal(a.draws(m), b.draws(m))


def test_the_saturated_model_loses_when_a_form_explains_the_data() -> None:
    for seed in (1, 2, 3):
        fit = fit_curve(synthetic("cpu", [40.0, 25.0], seed=seed))
        assert isinstance(fit, Fit)
        assert fit.name != "interpolated", (seed, fit.criterion["candidates"])
        assert fit.criterion["candidates"]["interpolated"] == 2.0 * len(SIZES)


def test_the_saturated_model_wins_on_a_dip_no_form_can_bend_to() -> None:
    data = synthetic("cpu", [40.0, 25.0], cv=0.02)
    data[1024] = [x * 0.6 for x in data[1024]]  # 40% faster at one size, every invocation
    fit = fit_curve(data)
    assert isinstance(fit, Fit) and fit.name == "interpolated"
    measured = np.mean(data[1024])
    assert fit.mean([1024])[0] == pytest.approx(measured, rel=0.01)
    assert fit.params["mean_1024mb"] == pytest.approx(measured, rel=0.01)
    # Between measured sizes: a straight line on log-log axes; beyond them: flat.
    a, b = fit.mean([512])[0], fit.mean([1024])[0]
    assert fit.mean([724])[0] == pytest.approx(np.sqrt(a * b), rel=0.01)
    assert fit.mean([64])[0] == pytest.approx(fit.mean([128])[0])
    lo, hi = np.percentile(fit.draws([1024])[:, 0], [2.5, 97.5])
    assert lo < measured < hi
    # Restricting the forms leaves it out unless asked for.
    assert fit_curve(data, forms=["cpu"]).name == "cpu"  # type: ignore[union-attr]
    assert fit_curve(data, forms=["cpu"], saturated=True).name == "interpolated"  # type: ignore[union-attr]
