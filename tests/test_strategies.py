"""Cost curves priced through the pricing API, and the four strategies picking from them."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from powertune.errors import InputError
from powertune.models.fit import fit_curve
from powertune.tune.decide.costcurve import cost_curve
from powertune.tune.decide.strategies import BadStrategyOption, UnknownStrategy, choose, knee
from powertune.types import Observations, Sample
from pricing.catalog import load_catalog
from pricing.cost import duration_price, invocation_cost, request_price
from pricing.vectorized import UnitPrices

CAT = load_catalog()
REGION, ARCH = "us-east-1", "x86_64"


def observations(
    means: dict[int, float], n: int = 6, cv: float = 0.02, seed: int = 0
) -> Observations:
    rng = np.random.default_rng(seed)
    obs = Observations()
    for m, mu in means.items():
        obs.add(Sample(m, duration_ms=mu * 3, billed_ms=None, init_ms=300.0))  # a cold start
        for d in mu * np.exp(cv * rng.standard_normal(n) - cv**2 / 2):
            obs.add(Sample(m, duration_ms=float(d), billed_ms=None))
    return obs


# Duration falls faster than memory grows up to 1024 MB, then barely: cost bottoms at 1024.
MEANS = {128: 4000.0, 256: 1900.0, 512: 800.0, 1024: 315.0, 1536: 300.0, 3008: 290.0}


def measured_curve(**kw: object):
    return cost_curve(None, observations(MEANS), catalog=CAT, region=REGION, arch=ARCH, **kw)


def test_measured_curve_matches_invocation_cost_of_the_pricing_package() -> None:
    obs = observations(MEANS)
    curve = cost_curve(None, obs, catalog=CAT, region=REGION, arch=ARCH, trim=0.0)
    assert curve.source == "measured" and list(curve.memory_mb) == sorted(MEANS)
    for m in MEANS:
        warm = [s.duration_ms for s in obs.samples[m] if not s.cold]
        # a measured size prices what it billed: each warm duration rounded up to 1 ms
        billed = Decimal(repr(round(float(np.mean(np.ceil(warm))), 3)))
        expected = invocation_cost(CAT, region=REGION, arch=ARCH, memory_mb=m, billed_ms=billed)
        got, lo, hi = curve.decimal_cost(m)
        assert got == expected
        assert lo <= got <= hi
        # the Decimal figure bills to 0.001 ms: up to 0.0005 ms off the float one
        billed_ms = curve.expected_billed_ms(m)
        assert float(got) == pytest.approx(float(curve.cost[curve.index(m)]), rel=6e-4 / billed_ms)


def test_unit_prices_come_from_the_catalog_and_include_the_request_fee() -> None:
    prices = UnitPrices.of(CAT, REGION, ARCH)
    assert prices.per_gb_s == duration_price(CAT, REGION, ARCH)
    assert prices.per_request == request_price(CAT, REGION, ARCH)
    # 1024 MB for 1000 ms is one GB-s.
    one = prices.invocation_usd(np.array([1024]), np.array([1000.0]))[0]
    assert one == pytest.approx(float(prices.per_gb_s + prices.per_request))


def test_cold_share_prices_init_billing() -> None:
    warm = measured_curve(cold_share=0.0)
    cold = measured_curve(cold_share=0.1, init_ms=300.0)
    extra = cold.cost - warm.cost
    per_ms = float(duration_price(CAT, REGION, ARCH)) * warm.memory_mb / 1024 / 1000
    assert extra == pytest.approx(per_ms * 0.1 * 300.0, rel=1e-6)
    # Without init_ms the observed cold starts' INIT is used (300 ms here).
    assert measured_curve(cold_share=0.1).init_ms == pytest.approx(300.0)


def test_arm64_prices_the_same_durations_lower() -> None:
    x86 = measured_curve()
    arm = cost_curve(None, observations(MEANS), catalog=CAT, region=REGION, arch="arm64")
    assert np.all(arm.cost < x86.cost)


def test_model_curve_has_draws_and_ordered_intervals() -> None:
    obs = observations(MEANS)
    warm = {m: [s.duration_ms for s in ss if not s.cold] for m, ss in obs.samples.items()}
    fit = fit_curve(warm)
    curve = cost_curve(fit, obs, catalog=CAT, region=REGION, arch=ARCH)
    assert curve.source == "model" and curve.fit_name == fit.name
    assert curve.memory_mb[0] == 128 and curve.memory_mb[-1] == 3008
    assert curve.cost_draws is not None and curve.cost_draws.shape[1] == len(curve.memory_mb)
    assert np.all(curve.cost_lo <= curve.cost * 1.0001) and np.all(
        curve.cost <= curve.cost_hi * 1.0001
    )


def test_cost_strategy_picks_the_cheapest_size() -> None:
    curve = measured_curve()
    c = choose("cost", curve)
    assert c.memory_mb == int(curve.memory_mb[np.argmin(curve.cost)]) == 1024
    assert c.source == "measured" and c.measured
    assert c.cost_lo <= c.cost_per_invocation <= c.cost_hi
    assert c.duration_p50 <= c.duration_p95
    assert isinstance(c.cost_per_invocation, Decimal)


def test_speed_strategy_picks_the_smallest_size_within_one_percent_of_the_fastest() -> None:
    curve = measured_curve()
    c = choose("speed", curve)
    fastest = float(np.min(curve.mean))
    assert c.duration_mean <= fastest * 1.01
    smaller = curve.memory_mb < c.memory_mb
    assert np.all(curve.mean[smaller] > fastest * 1.01)


def test_balanced_weight_moves_between_cost_and_speed() -> None:
    curve = measured_curve()
    assert (
        choose("balanced", curve, balanced_weight=1.0).memory_mb == choose("cost", curve).memory_mb
    )
    assert choose("balanced", curve, balanced_weight=0.0).memory_mb == int(
        curve.memory_mb[np.argmin(curve.mean)]
    )
    with pytest.raises(BadStrategyOption):
        choose("balanced", curve, balanced_weight=1.5)


def test_slo_strategy_picks_the_cheapest_size_meeting_the_percentile() -> None:
    curve = measured_curve()
    p95 = curve.quantiles[95][0]
    c = choose("slo", curve, max_p95_ms=1000.0)
    assert c.slo_met and c.duration_pct is not None and c.duration_pct <= 1000.0
    ok = p95 <= 1000.0
    assert c.memory_mb == int(curve.memory_mb[ok][np.argmin(curve.cost[ok])])
    tight = choose("slo", curve, max_p95_ms=400.0)
    assert tight.slo_met and tight.memory_mb >= 1024
    p99 = choose("slo", curve, max_p95_ms=1000.0, percentile=99)
    assert p99.percentile == 99 and p99.memory_mb >= c.memory_mb


def test_impossible_slo_is_an_outcome_not_an_error() -> None:
    c = choose("slo", measured_curve(), max_p95_ms=1.0)
    assert c.slo_met is False
    assert c.memory_mb in (1536, 3008)  # the size closest to meeting it


def test_bad_strategy_input_is_a_typed_input_error() -> None:
    curve = measured_curve()
    with pytest.raises(UnknownStrategy, match="unknown strategy 'cheap'") as err:
        choose("cheap", curve)
    assert isinstance(err.value, InputError) and err.value.exit_code == 2
    with pytest.raises(InputError, match="max-p95-ms"):
        choose("slo", curve)
    with pytest.raises(InputError):
        choose("slo", curve, max_p95_ms=500.0, percentile=90)


def test_knee_is_where_more_memory_stops_buying_speed() -> None:
    curve = measured_curve()
    assert knee(curve) == 1024  # 315 ms is within 10% of the fastest (290 ms); 512 MB is not
    assert choose("cost", curve).knee_mb == 1024


def test_model_curve_defers_to_measurements_where_the_model_misfits() -> None:
    # A dip at 512 MB that no smooth form follows: 512 MB was measured well, so the curve
    # moves most of the way to what was measured there.
    means = {128: 4000.0, 256: 2000.0, 512: 700.0, 1024: 500.0, 2048: 250.0, 3008: 245.0}
    obs = observations(means, n=12, cv=0.02)
    warm = {m: [s.duration_ms for s in ss if not s.cold] for m, ss in obs.samples.items()}
    fit = fit_curve(warm, forms=["cpu"])
    curve = cost_curve(fit, obs, catalog=CAT, region=REGION, arch=ARCH)
    at = curve.index(512)
    model_only = float(fit.mean([512])[0])
    measured = float(np.mean(warm[512]))
    assert abs(curve.mean[at] - measured) < 0.25 * abs(model_only - measured)
    # Between measured sizes the curve is the model's.
    assert curve.mean[curve.index(576)] == pytest.approx(float(fit.mean([576])[0]))


def test_pricing_nothing_is_a_typed_tool_error() -> None:
    from powertune.errors import PowertuneError
    from powertune.tune.decide.costcurve import NothingToPrice

    obs = Observations()
    obs.add(Sample(128, 3.0, 3, status="error", error_type="Runtime.Crash"))
    with pytest.raises(NothingToPrice) as err:
        cost_curve(None, obs, catalog=CAT, region=REGION, arch=ARCH)
    assert isinstance(err.value, PowertuneError) and err.value.exit_code == 3


def test_a_free_tie_takes_the_cheapest_size_whose_speed_it_cannot_tell_from_the_fastest() -> None:
    """On a run with no bound on the tie (a free target), a tied size inside the fastest tied
    size's 95% interval of mean duration is as fast as it: the cheapest of those wins, not a
    fast edge a few percent quicker on the run's noise. Cost-flat CPU-bound curves where one
    vCPU (1769 MB) measured 4.5% slow, four invocations a size."""
    from powertune.tune.decide.strategies import (
        CLAIM_BANDS,
        TIE_SPEED_TOLERANCE,
        as_fast_as,
    )

    sizes = [128, 256, 512, 1024, 1536, 1769, 1856, 2048]
    means = {m: 1.0 + 200.0 * 1769 / min(m, 1769) for m in sizes}
    means[1769] *= 1.045
    widened = 0
    for seed in range(16):
        obs = observations(means, n=4, cv=0.05, seed=seed)
        warm = {m: [s.duration_ms for s in ss if not s.cold] for m, ss in obs.samples.items()}
        curve = cost_curve(
            fit_curve(warm, seed=seed),
            obs,
            catalog=CAT,
            region=REGION,
            arch=ARCH,
            memory_grid=np.array(sizes),
        )
        free = choose("cost", curve, claim_bands=None)
        tied = [curve.index(m) for m in free.tied_mb]
        fastest = min(tied, key=lambda j: float(curve.mean[j]))
        limit = as_fast_as(curve, fastest, None)
        assert limit >= float(curve.mean_hi[fastest]) - 1e-9
        c = curve.index(free.memory_mb)
        assert float(curve.mean[c]) <= limit  # as fast as the fastest tied size
        as_fast = [j for j in tied if float(curve.mean[j]) <= limit]
        cheapest = min(float(curve.cost[j]) for j in as_fast)
        assert float(curve.cost[c]) <= cheapest * (1 + free.tie_band / 2) + 1e-15
        if float(curve.mean[c]) > float(curve.mean[fastest]) * (1 + TIE_SPEED_TOLERANCE):
            widened += 1  # the interval, not the 3% tolerance, made it as fast
            # a paid run's tolerance is the 3% alone: with a cost bound that binds nothing, so
            # that only the speed rule differs, the same curve's paid tie is faster
            paid = choose("cost", curve, claim_bands=1e6)
            assert as_fast_as(curve, fastest, CLAIM_BANDS) < limit
            assert float(curve.mean[curve.index(paid.memory_mb)]) < float(curve.mean[c])
    assert widened >= 1
