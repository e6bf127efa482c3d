"""Fit mean duration against memory, choose a form by AIC, and bootstrap the uncertainty.

How it works, in order:
1. Per size, a 10% trimmed mean of the durations (the location the forms are fitted to) and its
   standard error from a pooled coefficient of variation: noise on Lambda scales with the
   duration, and pooling keeps sizes with two samples from looking falsely precise.
2. Every form with no more parameters than measured sizes is fitted with
   ``scipy.optimize.least_squares`` on standardised residuals with a soft-L1 loss (a whole size
   disturbed by a noisy neighbour or a cold start pulls less than under plain least squares).
3. The form with the lowest AIC wins; with a known-variance Gaussian likelihood of the per-size
   means that is ``chi² + 2k``. (AICc's small-sample term, counted in invocations, punished the
   three-parameter forms so hard on a first round of three sizes that a two-parameter form which
   cannot bend the right way won; counted in sizes it is undefined until five.) From three sizes
   on, the saturated model (the per-size means themselves, interpolated on log-log axes:
   ``forms.interpolating_form``) competes too, with ``chi² = 0`` and ``k`` = the number of
   sizes: it wins, or shares the draws, only when every form misfits by more than the noise
   explains (a measured dip or kink no form can bend to).
4. A bootstrap (resample each size's invocations, refit) gives draws of the mean curve. Each draw
   refits one form picked with its Akaike weight (model averaging), so the draws also carry the
   doubt about the shape: a rigid form that happens to win narrowly cannot make the decision look
   certain. A form that misfits (chi²/dof > 1) has its draws widened by sqrt(chi²/dof), the usual
   over-dispersion correction. The point prediction is the best form's.
5. Single-invocation percentiles (p50, p95, p99) are the mean times pooled quantiles of the
   per-invocation ratios to their size's mean (lognormal when fewer than 20 ratios are pooled).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from powertune.models.forms import DURATION_PARAMS, FORMS, Form, interpolating_form

DEFAULT_CV = 0.10  # relative noise assumed before the samples say otherwise
PRIOR_DOF = 3.0  # how many degrees of freedom that assumption is worth
MIN_CV = 0.005  # Lambda reports durations to 0.01 ms; below 0.5% the noise estimate is luck
QUANTILES = (0.50, 0.95, 0.99)
MIN_WEIGHT = 0.02  # forms with a smaller Akaike weight get no bootstrap draws
_Z = {0.50: 0.0, 0.95: 1.6448536269514722, 0.99: 2.3263478740408408}


@dataclass(frozen=True)
class FitFailure:
    """The curve could not be fitted; the caller falls back to the measured sizes."""

    reason: str
    ok: bool = field(default=False, init=False)


@dataclass(frozen=True)
class Prediction:
    """Predicted durations (ms) at ``memory_mb``; every ``lo``/``hi`` is a 95% interval.

    ``mean`` is the expected duration of one warm invocation; ``p50``/``p95``/``p99`` are
    percentiles of a single invocation's duration.
    """

    memory_mb: np.ndarray
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    p50: np.ndarray
    p50_lo: np.ndarray
    p50_hi: np.ndarray
    p95: np.ndarray
    p95_lo: np.ndarray
    p95_hi: np.ndarray
    p99: np.ndarray
    p99_lo: np.ndarray
    p99_hi: np.ndarray

    def percentile(self, pct: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(point, lo, hi) of the 50th, 95th or 99th percentile."""
        if pct == 50:
            return self.p50, self.p50_lo, self.p50_hi
        if pct == 95:
            return self.p95, self.p95_lo, self.p95_hi
        if pct == 99:
            return self.p99, self.p99_lo, self.p99_hi
        raise ValueError(f"percentile must be 50, 95 or 99, not {pct}")


@dataclass(frozen=True, eq=False)
class _Member:
    """One form's share of the bootstrap draws (normalised parameters)."""

    form: Form
    theta: np.ndarray
    inflate: float  # sqrt(chi²/dof) when the form misfits, else 1
    boot: np.ndarray  # (n, k)
    weight: float  # Akaike weight


@dataclass(frozen=True, eq=False)
class Fit:
    """A fitted duration curve. ``params`` are in ms (rates per GB, exponents unitless)."""

    name: str
    params: dict[str, float]
    criterion: dict[str, Any]
    sizes: tuple[int, ...]
    n_samples: int
    form: Form = field(repr=False)
    _theta: np.ndarray = field(repr=False)  # normalised parameters
    _members: tuple[_Member, ...] = field(repr=False)  # forms sharing the bootstrap draws
    _scale: float = field(repr=False)  # ms per normalised unit
    _ratio: dict[float, float] = field(repr=False)
    _ratio_boot: dict[float, np.ndarray] = field(repr=False)
    ok: bool = field(default=True, init=False)

    def mean(self, memory_mb: np.ndarray | Sequence[float]) -> np.ndarray:
        """Point prediction of the mean duration (ms)."""
        return self.form(np.asarray(memory_mb, dtype=float), self._theta) * self._scale

    def draws(self, memory_mb: np.ndarray | Sequence[float]) -> np.ndarray:
        """Bootstrap draws of the mean duration curve, shape (B, len(memory_mb)), in ms."""
        m = np.asarray(memory_mb, dtype=float)
        parts = []
        for member in self._members:
            point = member.form(m, member.theta) * self._scale
            raw = member.form(m, member.boot) * self._scale
            parts.append(np.maximum(point + member.inflate * (raw - point), 0.0))
        return np.concatenate(parts, axis=0)

    def predict(self, memory_mb: np.ndarray | Sequence[float]) -> Prediction:
        m = np.asarray(memory_mb, dtype=float)
        point = self.mean(m)
        d = self.draws(m)
        lo, hi = np.percentile(d, [2.5, 97.5], axis=0)
        out: dict[str, np.ndarray] = {}
        for q in QUANTILES:
            tag = f"p{round(q * 100)}"
            qd = d * self._ratio_boot[q][:, None]
            out[tag] = point * self._ratio[q]
            out[f"{tag}_lo"], out[f"{tag}_hi"] = np.percentile(qd, [2.5, 97.5], axis=0)
        return Prediction(memory_mb=m, mean=point, lo=lo, hi=hi, **out)


def trimmed_mean(x: np.ndarray, trim: float, axis: int = -1) -> np.ndarray:
    """Mean after dropping ``trim`` of the values at each end (floor of n·trim per end)."""
    xs = np.sort(np.asarray(x, dtype=float), axis=axis)
    n = xs.shape[axis]
    cut = int(np.floor(n * trim))
    sl = [slice(None)] * xs.ndim
    sl[axis] = slice(cut, n - cut)
    return np.mean(xs[tuple(sl)], axis=axis)


def _pooled_log_sigma(groups: list[np.ndarray]) -> tuple[float, int]:
    """Pooled sd of log(duration) within sizes, and its degrees of freedom."""
    ss, dof = 0.0, 0
    for x in groups:
        if len(x) >= 2:
            lx = np.log(np.maximum(x, 1e-3))
            ss += float(np.sum((lx - lx.mean()) ** 2))
            dof += len(x) - 1
    # Shrink towards DEFAULT_CV with PRIOR_DOF pseudo-degrees of freedom: two samples at one
    # size say little about the noise, and an estimate that comes out small by luck would make
    # the search stop early.
    sigma = float(np.sqrt((ss + PRIOR_DOF * DEFAULT_CV**2) / (dof + PRIOR_DOF)))
    return max(sigma, MIN_CV), dof


def _refit(
    form: Form, sizes: np.ndarray, rows: np.ndarray, se: np.ndarray, theta: np.ndarray
) -> np.ndarray:
    """Refit ``form`` to each bootstrap row, starting from its full-data estimate."""
    lower, upper = np.array(form.lower), np.array(form.upper)
    x0 = np.clip(theta, lower + 1e-9, upper - 1e-9)
    out = np.empty((len(rows), form.k))
    for b, yb in enumerate(rows):
        res = least_squares(
            lambda th, yb=yb: (form(sizes, th) - yb) / se,
            x0,
            bounds=(form.lower, form.upper),
            loss="soft_l1",
            f_scale=2.0,
            max_nfev=40,  # draws need percent accuracy, not the last digit: keep refits cheap
            ftol=1e-6,
            xtol=1e-6,
            gtol=1e-6,
        )
        out[b] = res.x
    return out


def _solve(form: Form, m: np.ndarray, y: np.ndarray, se: np.ndarray, x0s: list[np.ndarray]):
    best = None
    for x0 in x0s:
        x0 = np.clip(x0, np.array(form.lower) + 1e-9, np.array(form.upper) - 1e-9)
        res = least_squares(
            lambda th: (form(m, th) - y) / se,
            x0,
            bounds=(form.lower, form.upper),
            loss="soft_l1",
            f_scale=2.0,
            max_nfev=200,
        )
        if best is None or res.cost < best.cost:
            best = res
    return best


def fit_curve(
    samples: Mapping[int, Sequence[float]],
    *,
    seed: int = 0,
    forms: Sequence[str] | None = None,
    n_boot: int = 64,
    trim: float = 0.10,
    saturated: bool | None = None,
    between: Mapping[int, float] | None = None,
) -> Fit | FitFailure:
    """Fit warm durations (ms) per memory size; the best form by AIC, with bootstrap draws.

    ``samples`` maps memory (MB) to the durations measured there (cold starts excluded by the
    caller). ``forms`` restricts the candidates (default: all of ``FORMS``); ``saturated`` adds
    the interpolating model of the per-size means (``interpolating_form``) from three sizes on,
    which wins only when every form misfits beyond the noise (default: when ``forms`` is not
    given). ``between`` maps a size to the relative standard deviation its mean carries beyond
    its samples' own spread (the host's speed in the rounds it was measured in: its samples
    share those rounds, so resampling them alone misses it); each draw moves that size's mean
    by that much. Returns a
    ``FitFailure`` (never raises) when there are fewer than two sizes or no form converges.
    """
    groups = {int(k): np.asarray([float(v) for v in vs], dtype=float) for k, vs in samples.items()}
    # Sorted: the bootstrap resamples by index, so the draws depend on the samples alone, not
    # on the order concurrent invocations happened to finish in (the same seed, the same fit).
    groups = {k: np.sort(v[np.isfinite(v) & (v > 0)]) for k, v in groups.items()}
    groups = {k: v for k, v in groups.items() if len(v)}
    if len(groups) < 2:
        return FitFailure("need measurements at two or more memory sizes")
    sizes = np.array(sorted(groups), dtype=float)
    xs = [groups[int(s)] for s in sizes]
    n = np.array([len(x) for x in xs], dtype=float)
    loc = np.array([trimmed_mean(x, trim) for x in xs])
    scale = float(np.max(loc))
    y = loc / scale
    sigma, sigma_dof = _pooled_log_sigma(xs)
    se = np.maximum(y * sigma / np.sqrt(n), 1e-6)
    n_total = int(n.sum())

    candidates: dict[str, tuple[Form, np.ndarray, float, float]] = {}
    names = list(forms) if forms is not None else list(FORMS)
    for name in names:
        form = FORMS[name]
        if form.k > len(sizes):
            continue
        try:
            res = _solve(form, sizes, y, se, form.initial(sizes, y))
        except (ValueError, FloatingPointError):
            continue
        if res is None or not np.all(np.isfinite(res.x)):
            continue
        chi2 = float(np.sum(((form(sizes, res.x) - y) / se) ** 2))
        candidates[name] = (form, res.x, chi2, chi2 + 2 * form.k)
    if not candidates:
        return FitFailure("no model form converged on these measurements")
    if (forms is None if saturated is None else saturated) and len(sizes) >= 3:
        exact = interpolating_form(sizes)
        candidates[exact.name] = (exact, y.copy(), 0.0, 2.0 * exact.k)

    name = min(candidates, key=lambda c: candidates[c][3])
    form, theta, chi2, aic = candidates[name]
    weights = {c: float(np.exp(-(v[3] - aic) / 2)) for c, v in candidates.items()}
    total = sum(weights.values())
    weights = {c: w for c, w in weights.items() if w / total >= MIN_WEIGHT}
    total = sum(weights.values())
    weights = {c: w / total for c, w in weights.items()}

    rng = np.random.default_rng(seed)
    boot_y = np.empty((n_boot, len(sizes)))
    for i, x in enumerate(xs):
        if len(x) >= 3:
            idx = rng.integers(0, len(x), size=(n_boot, len(x)))
            boot_y[:, i] = trimmed_mean(x[idx], trim, axis=1) / scale
        else:
            boot_y[:, i] = y[i] + se[i] * rng.standard_normal(n_boot)
    if between:
        spread = np.array([float(between.get(int(m), 0.0)) for m in sizes])
        if np.any(spread > 0):
            boot_y *= np.exp(rng.standard_normal(boot_y.shape) * spread)
    # Model averaging: each draw refits one form, picked with its Akaike weight, so the draws
    # carry the doubt about the shape as well as the noise.
    names = sorted(weights, key=lambda c: -weights[c])
    picks = rng.choice(len(names), size=n_boot, p=[weights[c] for c in names])
    members = []
    for j, cname in enumerate(names):
        rows = boot_y[picks == j]
        if not len(rows):
            continue
        cform, ctheta, cchi2, _ = candidates[cname]
        dof = len(sizes) - cform.k
        cinflate = float(np.sqrt(max(1.0, cchi2 / dof))) if dof > 0 else 1.0
        # The saturated model's refit of a resampled set of means is those means.
        boot = rows.copy() if cname == "interpolated" else _refit(cform, sizes, rows, se, ctheta)
        members.append(_Member(cform, ctheta, cinflate, boot, weights[cname]))

    ratio, ratio_boot = _ratio_quantiles(xs, loc, sigma, sigma_dof, n_boot, rng)

    params = {}
    in_ms = DURATION_PARAMS.get(name, tuple(range(form.k)))  # interpolated: all are means
    for i, pname in enumerate(form.params):
        params[pname] = float(theta[i] * scale) if i in in_ms else float(theta[i])
    criterion = {
        "name": "AIC",
        "value": aic,
        "chi2": chi2,
        "candidates": {c: v[3] for c, v in candidates.items()},
        "weights": {m.form.name: m.weight for m in members},
        "overdispersion": float(np.sqrt(max(1.0, chi2 / (len(sizes) - form.k))))
        if len(sizes) > form.k
        else 1.0,
    }
    return Fit(
        name=name,
        params=params,
        criterion=criterion,
        sizes=tuple(int(s) for s in sizes),
        n_samples=n_total,
        form=form,
        _theta=theta,
        _members=tuple(members),
        _scale=scale,
        _ratio=ratio,
        _ratio_boot=ratio_boot,
    )


def _ratio_quantiles(
    xs: list[np.ndarray],
    loc: np.ndarray,
    sigma: float,
    sigma_dof: int,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[dict[float, float], dict[float, np.ndarray]]:
    """Quantiles of duration ÷ its size's mean, pooled over sizes, with bootstrap draws."""
    pooled = np.concatenate([x / loc[i] for i, x in enumerate(xs) if len(x) >= 2] or [np.ones(0)])
    ratio: dict[float, float] = {}
    boot: dict[float, np.ndarray] = {}
    if len(pooled) >= 20:
        idx = rng.integers(0, len(pooled), size=(n_boot, len(pooled)))
        resampled = pooled[idx]
        for q in QUANTILES:
            ratio[q] = float(np.quantile(pooled, q))
            boot[q] = np.quantile(resampled, q, axis=1)
        return ratio, boot
    dof = max(sigma_dof, 1)
    sig_b = (
        sigma * np.sqrt(rng.chisquare(dof, n_boot) / dof) if sigma_dof else np.full(n_boot, sigma)
    )
    for q in QUANTILES:
        ratio[q] = float(np.exp(-(sigma**2) / 2 + _Z[q] * sigma))
        boot[q] = np.exp(-(sig_b**2) / 2 + _Z[q] * sig_b)
    return ratio, boot
