"""powertune.gate.student_t.t_quantile (the gate's and apply's Student's t, without scipy) gives
scipy.special.stdtrit's value."""

from __future__ import annotations

import math
import random

import pytest
from scipy.special import stdtrit

from powertune.gate.student_t import t_quantile, upper_tail

DFS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.3, 10.7, 19.0, 30.0, 57.5, 100.0, 333.3, 1000.0)
PS = (0.6, 0.75, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9995, 0.9999)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


@pytest.mark.parametrize("df", DFS)
def test_the_quantile_is_scipys_on_a_grid(df: float) -> None:
    for p in PS:
        assert _rel(t_quantile(df, p), float(stdtrit(df, p))) <= 1e-11, p
        assert _rel(t_quantile(df, 1.0 - p), float(stdtrit(df, 1.0 - p))) <= 1e-11, p


@pytest.mark.parametrize(("top", "bound"), [(1000.0, 1e-11), (1e4, 1e-10), (1e6, 1e-8)])
def test_the_quantile_is_scipys_at_random_df_and_p(top: float, bound: float) -> None:
    rng = random.Random(29)
    worst = 0.0
    for _ in range(1500):
        df = 10 ** rng.uniform(0.0, math.log10(top))
        p = rng.uniform(0.6, 0.9999)
        worst = max(worst, _rel(t_quantile(df, p), float(stdtrit(df, p))))
    assert worst <= bound


def test_the_gates_confidences_at_small_samples() -> None:
    # Welch's df for 2..60 invocations a side; confidences a gate is configured with
    for df in [1.0 + k / 7.0 for k in range(0, 7 * 60)]:
        for confidence in (0.8, 0.9, 0.95, 0.99):
            p = 0.5 + confidence / 2.0
            assert _rel(t_quantile(df, p), float(stdtrit(df, p))) <= 1e-11, (df, confidence)


def test_the_tail_and_edges() -> None:
    assert t_quantile(7.0, 0.5) == 0.0
    assert upper_tail(0.0, 3.0) == pytest.approx(0.5, abs=1e-15)
    assert t_quantile(1.0, 0.975) == pytest.approx(math.tan(math.pi * 0.475), rel=1e-12)  # Cauchy
    for bad in ((0.0, 0.9), (-1.0, 0.9), (5.0, 0.0), (5.0, 1.0), (math.nan, 0.9), (5.0, math.nan)):
        with pytest.raises(ValueError):
            t_quantile(*bad)
