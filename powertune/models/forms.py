"""Parametric forms of mean duration versus memory.

Each form maps memory (MB) and a parameter vector to a mean duration, in units chosen by the
caller (the fitter normalises durations so parameters stay near 1). All functions broadcast:
``params`` may be one vector ``(k,)`` or a stack ``(B, k)`` of bootstrap draws, giving ``(M,)`` or
``(B, M)``.

The CPU forms follow how Lambda allocates CPU (``powertune.models.cpu_share``): a part that does
not scale (waiting on I/O), a single-threaded compute part that scales with the CPU share up to one
vCPU, and optionally a parallel part that keeps scaling with the share up to the visible cores.
The exponential-decay form is the one Parrotfish (SoCC 2023) fits; the power form generalises the
CPU form for super-linear effects (memory pressure and garbage collection at small sizes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from powertune.models.cpu_share import MB_PER_VCPU, speedup


@lru_cache(maxsize=4096)
def _speedup_cached(memory_mb: float, threads: float) -> float:
    return speedup(memory_mb, threads)


def single_thread_speedup(memory_mb: np.ndarray) -> np.ndarray:
    """CPU speedup of one busy thread (vCPU share, capped at one vCPU)."""
    return np.minimum(np.asarray(memory_mb, dtype=float) / MB_PER_VCPU, 1.0)


def parallel_speedup(memory_mb: np.ndarray) -> np.ndarray:
    """CPU speedup of code that keeps every visible core busy (capped by share and cores)."""
    m = np.asarray(memory_mb, dtype=float)
    flat = [_speedup_cached(float(x), 6.0) for x in m.ravel()]
    return np.asarray(flat, dtype=float).reshape(m.shape)


def _p(params: np.ndarray, i: int) -> np.ndarray:
    """Column ``i`` of the parameters, shaped to broadcast against memory."""
    p = np.asarray(params, dtype=float)
    return p[..., i : i + 1] if p.ndim == 2 else p[i]


def _cpu(m: np.ndarray, params: np.ndarray) -> np.ndarray:
    return _p(params, 0) + _p(params, 1) / single_thread_speedup(m)


def _cpu_parallel(m: np.ndarray, params: np.ndarray) -> np.ndarray:
    single = _p(params, 1) / single_thread_speedup(m)
    return _p(params, 0) + single + _p(params, 2) / parallel_speedup(m)


def _exp_decay(m: np.ndarray, params: np.ndarray) -> np.ndarray:
    gb = np.asarray(m, dtype=float) / 1024.0
    return _p(params, 0) * np.exp(-_p(params, 1) * gb) + _p(params, 2)


def _power(m: np.ndarray, params: np.ndarray) -> np.ndarray:
    rel = np.asarray(m, dtype=float) / MB_PER_VCPU
    return _p(params, 0) + _p(params, 1) * rel ** (-_p(params, 2))


@dataclass(frozen=True)
class Form:
    """A named model form: ``f(memory_mb, params)``, parameter names and bounds."""

    name: str
    params: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]

    @property
    def k(self) -> int:
        return len(self.params)

    def __call__(self, memory_mb: np.ndarray, params: np.ndarray) -> np.ndarray:
        return self.f(np.asarray(memory_mb, dtype=float), np.asarray(params, dtype=float))

    def initial(self, memory_mb: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """A few starting points for the optimiser (normalised durations ``y``)."""
        lo, hi = float(np.min(y)), float(np.max(y))
        spread = max(hi - lo, 1e-3)
        if self.name == "cpu":
            return [np.array([lo * 0.5, spread / 10.0])]
        if self.name == "cpu_parallel":
            return [np.array([lo * 0.5, spread / 20.0, spread / 20.0])]
        if self.name == "exp":
            return [np.array([spread * 2.0, b, lo * 0.9]) for b in (1.0, 5.0)]
        return [np.array([lo * 0.5, spread / 10.0, p]) for p in (1.0, 2.0)]


INF = np.inf
FORMS: dict[str, Form] = {
    "cpu": Form("cpu", ("fixed", "compute"), (0.0, 0.0), (INF, INF), _cpu),
    "cpu_parallel": Form(
        "cpu_parallel",
        ("fixed", "compute", "parallel"),
        (0.0, 0.0, 0.0),
        (INF, INF, INF),
        _cpu_parallel,
    ),
    "exp": Form(
        "exp", ("amplitude", "rate_per_gb", "floor"), (0.0, 0.05, 0.0), (INF, 50.0, INF), _exp_decay
    ),
    "power": Form(
        "power", ("fixed", "scale", "exponent"), (0.0, 0.0, 0.2), (INF, INF, 3.0), _power
    ),
}

# Parameters that carry duration units (scaled back from normalised units after fitting).
DURATION_PARAMS: dict[str, tuple[int, ...]] = {
    "cpu": (0, 1),
    "cpu_parallel": (0, 1, 2),
    "exp": (0, 2),
    "power": (0, 1),
}


def interpolating_form(sizes: np.ndarray) -> Form:
    """The saturated model: one mean per measured size, straight lines between them on log-log
    axes (a power law between neighbours, the shape of CPU-bound scaling), flat beyond the ends.

    It fits the per-size means exactly, so its AIC (``2 × sizes``) beats a parametric form only
    when that form's misfit is larger than the noise explains: a lack-of-fit test that keeps the
    decision from resting on a shape the measurements contradict.
    """
    log_sizes = np.log(np.asarray(sizes, dtype=float))

    def f(m: np.ndarray, params: np.ndarray) -> np.ndarray:
        x = np.clip(np.log(np.asarray(m, dtype=float)), log_sizes[0], log_sizes[-1])
        hi = np.clip(np.searchsorted(log_sizes, x, side="right"), 1, len(log_sizes) - 1)
        lo = hi - 1
        w = (x - log_sizes[lo]) / (log_sizes[hi] - log_sizes[lo])
        logp = np.log(np.maximum(np.asarray(params, dtype=float), 1e-12))
        return np.exp(logp[..., lo] * (1.0 - w) + logp[..., hi] * w)

    names = tuple(f"mean_{int(m)}mb" for m in sizes)
    k = len(names)
    return Form("interpolated", names, (0.0,) * k, (INF,) * k, f)
