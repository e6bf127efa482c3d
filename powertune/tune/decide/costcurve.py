"""Cost per invocation at every memory size, with its interval (billing-aware).

Expected cost of one invocation at ``m`` MB, priced through ``pricing.cost``:

    duration_price(GB-s) × m/1024 × E[billed ms]/1000 + request_price  (+ storage above 512 MB)

with ``E[billed ms] = mean duration + 0.5`` on a model curve (rounding a continuous duration up to
the next 1 ms adds half a millisecond on average; a measured size bills what its own REPORTs
billed, so a measured curve and the measurements' rows are one figure) plus, on the
``cold_share`` of invocations that start cold, the INIT duration at that size (billed since Aug
2025): the mean INIT measured at each size (warm-ups' included), interpolated on log memory
between measured sizes and held flat beyond them (``init_curve``).
Inside the search the two unit prices are converted to float once (speed; the float figures
leave out ephemeral storage above 512 MB); the figures a result carries are Decimal, computed
by ``pricing.pricer.Pricer`` (``CostCurve.decimal_cost``, storage included).

On a model curve, measured sizes move towards their own sample means by how badly the model
fits elsewhere (``_measured_shift``): a smooth form that misses a kink defers to the data there.

With a ``Fit`` the curve covers a memory grid (default: every 64 MB across the measured range
plus the measured sizes) and carries bootstrap draws of the cost; without one (``None`` or a
``FitFailure``) it covers the measured sizes only, from their (trimmed) sample means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from powertune.errors import PowertuneError
from powertune.models.fit import Fit, FitFailure, trimmed_mean
from powertune.types import Observations, Sample
from pricing.pricer import Pricer
from pricing.vectorized import UnitPrices


class NothingToPrice(PowertuneError):
    """Every invocation failed: there is no duration to price (exit code 3)."""


ROUNDING_MS = 0.5  # mean extra billed ms from rounding up to 1 ms
LATTICE_MB = 64


@dataclass(frozen=True, eq=False)
class CostCurve:
    """Expected duration (ms) and cost (USD, float) per invocation at each size of ``memory_mb``.

    ``*_lo``/``*_hi`` are 95% intervals. ``cost_draws`` (model curves only) holds bootstrap draws
    of the cost, shape (B, len(memory_mb)), for decision rules that need the joint uncertainty.
    """

    memory_mb: np.ndarray
    cost: np.ndarray
    cost_lo: np.ndarray
    cost_hi: np.ndarray
    mean: np.ndarray
    mean_lo: np.ndarray
    mean_hi: np.ndarray
    quantiles: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]  # pct -> (point, lo, hi)
    source: str  # "model" | "measured"
    measured: tuple[int, ...]
    region: str
    arch: str
    cold_share: float
    init_ms: np.ndarray  # INIT duration (ms) at each size, billed on ``cold_share`` of calls
    prices: UnitPrices
    catalog: Any = field(repr=False)
    ephemeral_mb: int = 512
    cost_draws: np.ndarray | None = field(default=None, repr=False)
    fit_name: str | None = None
    # Billed ms above the mean duration at each size (rounding up to 1 ms): ``ROUNDING_MS`` on a
    # model curve; on a measured curve what the sizes' own REPORTs billed above their durations.
    rounding_ms: np.ndarray | None = field(default=None, repr=False)

    def rounding(self, i: int) -> float:
        return ROUNDING_MS if self.rounding_ms is None else float(self.rounding_ms[i])

    def index(self, memory_mb: int) -> int:
        hits = np.nonzero(self.memory_mb == memory_mb)[0]
        if not len(hits):
            raise KeyError(f"{memory_mb} MB is not on this cost curve")
        return int(hits[0])

    def expected_billed_ms(self, memory_mb: int) -> float:
        i = self.index(memory_mb)
        return float(self.mean[i]) + self.rounding(i) + self.cold_share * float(self.init_ms[i])

    def decimal_cost(self, memory_mb: int) -> tuple[Decimal, Decimal, Decimal]:
        """(expected, lo, hi) USD per invocation at ``memory_mb``, priced by ``pricing.cost``."""
        i = self.index(memory_mb)
        extra = self.rounding(i) + self.cold_share * float(self.init_ms[i])
        pricer = Pricer(self.catalog, self.region, self.arch, self.ephemeral_mb)
        out = []
        for d in (self.mean[i], self.mean_lo[i], self.mean_hi[i]):
            billed = Decimal(repr(round(max(float(d), 0.0) + extra, 3)))
            out.append(pricer.invocation(int(memory_mb), billed))
        return out[0], out[1], out[2]


def priced_samples(samples: list[Sample]) -> list[Sample]:
    """The samples a size is timed and priced from: its successful warm invocations, or its
    successful cold ones when it has nothing else (better than nothing)."""
    ok = [s for s in samples if s.ok]
    return [s for s in ok if not s.cold] or ok


def warm_durations(observations: Observations) -> dict[int, list[float]]:
    """Successful warm durations per measured size (``priced_samples``)."""
    out = {
        m: [s.duration_ms for s in priced_samples(observations.samples[m])]
        for m in observations.measured_sizes()
    }
    return {m: v for m, v in out.items() if v}


def warm_billed(observations: Observations) -> dict[int, list[float]]:
    """The billed ms of the samples ``warm_durations`` keeps, aligned with them (a warm
    invocation bills its duration rounded up to 1 ms; a cold one, kept only when a size has
    nothing else, is billed here without its INIT, which ``cold_share`` prices apart)."""
    out = {
        m: [
            float(s.billed_ms)
            if s.billed_ms is not None and not s.cold
            else float(math.ceil(s.duration_ms))
            for s in priced_samples(observations.samples[m])
        ]
        for m in observations.measured_sizes()
    }
    return {m: v for m, v in out.items() if v}


def init_by_size(observations: Observations) -> dict[int, float]:
    """Mean INIT duration (ms) of the successful cold starts at each size that had one, the
    warm-ups' included (their durations are left out, their INIT is a measurement)."""
    out: dict[int, float] = {}
    for m in observations.measured_sizes():
        # INIT, or a SnapStart restore's Billed Restore Duration (``Sample.startup_billed_ms``)
        startups = [s.startup_billed_ms for s in observations.samples[m] if s.ok and s.cold]
        inits = [float(v) for v in startups if v]
        inits += observations.warmup_inits.get(m, [])
        if inits:
            out[m] = float(np.mean(inits))
    return out


def init_curve(by_size: dict[int, float], memory_mb: np.ndarray) -> np.ndarray:
    """INIT (ms) at each of ``memory_mb``: interpolated on log memory between the sizes of
    ``by_size``, flat beyond them; zeros when no cold start was seen."""
    m = np.asarray(memory_mb, dtype=float)
    if not by_size:
        return np.zeros(len(m))
    sizes = np.array(sorted(by_size), dtype=float)
    values = np.array([by_size[int(k)] for k in sizes])
    return np.interp(np.log(m), np.log(sizes), values)


def default_grid(lo: int, hi: int, extra: tuple[int, ...] = ()) -> np.ndarray:
    """Every ``LATTICE_MB`` multiple in [lo, hi], the ends, and ``extra`` sizes."""
    lattice = np.arange(-(-lo // LATTICE_MB) * LATTICE_MB, hi + 1, LATTICE_MB)
    return np.unique(np.concatenate([lattice, [lo, hi], extra]).astype(int))


def cost_curve(
    fit_or_none: Fit | FitFailure | None,
    observations: Observations,
    *,
    catalog: Any,
    region: str,
    arch: str,
    memory_grid: np.ndarray | list[int] | None = None,
    cold_share: float = 0.0,
    init_ms: float | None = None,
    trim: float = 0.1,
    ephemeral_mb: int = 512,
    prices: UnitPrices | None = None,
    seed: int = 0,
) -> CostCurve:
    """The expected cost per invocation (and its 95% interval) at each size.

    ``cold_share`` is the fraction of invocations that start cold; ``init_ms`` their INIT
    duration (default: measured per size, ``init_curve``). ``trim`` applies to the measured
    fallback's sample means (the reference tool uses 0.2).
    """
    if not 0.0 <= cold_share <= 1.0:
        raise ValueError("cold_share must be within [0, 1]")
    prices = prices or UnitPrices.of(catalog, region, arch)
    by_size = init_by_size(observations)
    warm = warm_durations(observations)
    measured = tuple(sorted(warm))

    def inits(m: np.ndarray) -> np.ndarray:
        return np.full(len(m), float(init_ms)) if init_ms is not None else init_curve(by_size, m)

    common = dict(
        source="model",
        measured=measured,
        region=region,
        arch=arch,
        cold_share=cold_share,
        prices=prices,
        catalog=catalog,
        ephemeral_mb=ephemeral_mb,
    )
    if isinstance(fit_or_none, Fit):
        if memory_grid is None:
            memory_grid = default_grid(min(measured), max(measured), measured)
        m = np.asarray(memory_grid, dtype=int)
        init = inits(m)
        extra = ROUNDING_MS + cold_share * init
        pred = fit_or_none.predict(m)
        shift, shift_sd = _measured_shift(fit_or_none, warm, m, trim)
        mean = np.maximum(pred.mean + shift, 0.0)
        raw = fit_or_none.draws(m)
        # The shift rests on a few samples per size: its draws carry that doubt, or one noisy
        # size would look certainly cheaper than its neighbours in every draw.
        noise = np.random.default_rng(seed + 7919).standard_normal(raw.shape) * shift_sd
        draws = np.maximum(raw + shift + noise, 0.0)
        cost_draws = prices.invocation_usd(m, draws + extra)
        lo, hi = np.percentile(cost_draws, [2.5, 97.5], axis=0)
        return CostCurve(
            memory_mb=m,
            cost=prices.invocation_usd(m, mean + extra),
            cost_lo=lo,
            cost_hi=hi,
            mean=mean,
            mean_lo=np.maximum(pred.lo + shift, 0.0),
            mean_hi=np.maximum(pred.hi + shift, 0.0),
            quantiles={pct: pred.percentile(pct) for pct in (50, 95, 99)},
            cost_draws=cost_draws,
            fit_name=fit_or_none.name,
            init_ms=init,
            **common,
        )
    if not measured:
        raise NothingToPrice("no successful invocations to price")
    init = inits(np.array(measured, dtype=int))
    billed = warm_billed(observations)
    return _measured_curve(warm, billed, trim, prices, init, cold_share, seed, common)


def _measured_shift(
    fit: Fit, warm: dict[int, list[float]], grid: np.ndarray, trim: float
) -> tuple[np.ndarray, np.ndarray]:
    """How far to move the model's mean towards the measurements, at measured sizes only, and
    the standard deviation of that move (ms).

    Empirical Bayes: the model's misfit across sizes (relative residual variance beyond the
    sampling noise, ``tau²``) says how much a size's own samples are worth against the curve;
    each measured size moves by ``w = tau² / (tau² + se²)`` of its residual, with the posterior
    spread ``sqrt(w·se²)`` of the size's own mean. A model that fits leaves the curve smooth;
    one that misfits (a kink, a dip) defers to what was measured, as far as it was measured.
    """
    sizes = [m for m in warm if len(warm[m]) >= 2]
    shift = np.zeros(len(grid))
    spread = np.zeros(len(grid))
    if len(sizes) < 3:
        return shift, spread
    loc = np.array([float(trimmed_mean(np.asarray(warm[m]), trim)) for m in sizes])
    pred = fit.mean(np.array(sizes, dtype=float))
    rel = loc / np.maximum(pred, 1e-9) - 1.0
    cvs = [np.std(warm[m], ddof=1) / np.mean(warm[m]) for m in sizes]
    n = np.array([len(warm[m]) for m in sizes], dtype=float)
    se2 = float(np.mean(np.square(cvs))) / n
    tau2 = max(0.0, float(np.mean(rel**2 - se2)))
    if tau2 == 0.0:
        return shift, spread
    w = tau2 / (tau2 + se2)
    for m, r, wi, s2, p in zip(sizes, rel, w, se2, pred, strict=True):
        hits = np.nonzero(grid == m)[0]
        if len(hits):
            shift[hits[0]] = wi * r * p
            spread[hits[0]] = float(np.sqrt(wi * s2)) * p
    return shift, spread


def _measured_curve(
    warm: dict[int, list[float]],
    billed: dict[int, list[float]],
    trim: float,
    prices: UnitPrices,
    init: np.ndarray,
    cold_share: float,
    seed: int,
    common: dict[str, Any],
) -> CostCurve:
    """Per measured size: trimmed sample mean, bootstrap intervals, empirical percentiles; the
    billed ms above the mean duration is the size's own (trimmed) billed mean's."""
    rng = np.random.default_rng(seed)
    m = np.array(sorted(warm), dtype=int)
    rounding = np.array(
        [
            max(
                float(trimmed_mean(np.asarray(billed[int(k)]), trim))
                - float(trimmed_mean(np.asarray(warm[int(k)]), trim)),
                0.0,
            )
            for k in m
        ]
    )
    extra = rounding + cold_share * init
    stats: dict[str, list[float]] = {k: [] for k in ("mean", "lo", "hi")}
    qs: dict[int, list[list[float]]] = {pct: [[], [], []] for pct in (50, 95, 99)}
    for size in m:
        x = np.asarray(warm[int(size)], dtype=float)
        boot = x[rng.integers(0, len(x), size=(200, len(x)))]
        means = trimmed_mean(boot, trim, axis=1)
        stats["mean"].append(float(trimmed_mean(x, trim)))
        stats["lo"].append(float(np.percentile(means, 2.5)))
        stats["hi"].append(float(np.percentile(means, 97.5)))
        for pct in qs:
            bq = np.percentile(boot, pct, axis=1)
            qs[pct][0].append(float(np.percentile(x, pct)))
            qs[pct][1].append(float(np.percentile(bq, 2.5)))
            qs[pct][2].append(float(np.percentile(bq, 97.5)))
    mean, lo, hi = (np.array(stats[k]) for k in ("mean", "lo", "hi"))
    common = {**common, "source": "measured"}
    return CostCurve(
        memory_mb=m,
        cost=prices.invocation_usd(m, mean + extra),
        cost_lo=prices.invocation_usd(m, lo + extra),
        cost_hi=prices.invocation_usd(m, hi + extra),
        mean=mean,
        mean_lo=lo,
        mean_hi=hi,
        quantiles={pct: tuple(np.array(v) for v in qs[pct]) for pct in qs},  # type: ignore[misc]
        init_ms=init,
        rounding_ms=rounding,
        **common,
    )
