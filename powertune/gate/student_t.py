"""Student's t quantile for any (real) degrees of freedom, in plain Python.

The gate's Welch interval needs one quantile per check; scipy.special.stdtrit would give it but
takes longer to import than the whole of typer (a gate or an apply paid that on every run).
Here: the upper tail of t is half a regularized incomplete beta function (continued fraction,
Numerical Recipes' modified Lentz), solved for t by Newton's method on log(tail) against log(t),
kept inside a bracket. tests/test_student_t.py holds it to scipy.special.stdtrit for p 0.6 to
0.9999: within 1e-11 relative up to df 1000 (a Welch df beyond that needs thousands of
invocations a side), 1e-8 up to df 10^6 (log-gamma of a large df loses digits).
"""

from __future__ import annotations

import math

_EPS = 1e-16
_TINY = 1e-300


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (converges fast for x < (a + 1) / (a + b + 2))."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPS:
            break
    return h


def _beta_inc(a: float, b: float, x: float, y: float) -> float:
    """The regularized incomplete beta function I_x(a, b), given x and y = 1 - x (each
    computed without cancellation by the caller)."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, y) / b


def upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0."""
    t2 = t * t
    return 0.5 * _beta_inc(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2))


def _density(t: float, df: float) -> float:
    log_norm = math.lgamma((df + 1.0) / 2.0) - math.lgamma(df / 2.0) - 0.5 * math.log(df * math.pi)
    return math.exp(log_norm - (df + 1.0) / 2.0 * math.log1p(t * t / df))


def t_quantile(df: float, p: float) -> float:
    """The t with P(T <= t) = p for Student's t with ``df`` degrees of freedom (df > 0,
    0 < p < 1): what ``scipy.special.stdtrit(df, p)`` returns."""
    if not (df > 0.0 and 0.0 < p < 1.0):
        raise ValueError(f"t quantile needs df > 0 and 0 < p < 1 (df {df!r}, p {p!r})")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(df, 1.0 - p)
    target = math.log(1.0 - p)
    # bracket log(t): the tail falls as t grows
    lo, hi = -30.0, 0.0
    while math.log(upper_tail(math.exp(hi), df)) > target:
        lo, hi = hi, hi + 2.0
        if hi > 700.0:
            return math.inf
    u = hi - 1.0 if hi > 0.0 else -1.0
    for _ in range(200):
        t = math.exp(u)
        tail = upper_tail(t, df)
        value = math.log(tail) - target
        if value > 0.0:
            lo = max(lo, u)
        else:
            hi = min(hi, u)
        slope = -_density(t, df) * t / tail  # d log(tail) / d log(t)
        step = value / slope if slope < 0.0 else 0.0
        new = u - step
        if not (lo < new < hi) or step == 0.0:
            new = (lo + hi) / 2.0
        if abs(new - u) < 1e-15 * max(1.0, abs(u)):
            u = new
            break
        u = new
    return math.exp(u)
