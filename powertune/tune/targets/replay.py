"""Replay recorded measurements as a Target (``powertune tune --replay FILE.csv|URL``).

Sources:
- A CSV with a header. Required columns ``memory_mb`` and ``duration_ms``; optional ``billed_ms``
  (kept for the record, re-derived under today's rules), ``max_memory_mb``, ``init_ms``,
  ``is_cold``. When some size has more than one row, rows are single invocations; when every size
  has exactly one row, rows are per-size averages.
- An aws-lambda-power-tuning result URL: the hash holds three base64 blocks separated by ``;`` —
  memory sizes (little-endian uint16), average durations (float32), average costs (float32).

What an invocation returns:
- Mean warm duration between measured sizes: linear interpolation of the per-size means.
- Per-invocation sources: a warm duration drawn from the nearest measured size's warm rows,
  scaled by (interpolated mean ÷ that size's mean), so a measured size replays its own data.
- Per-size sources (the documented noise model): the interpolated mean times a mean-preserving
  lognormal factor ``exp(σZ − σ²/2)`` with σ = ``noise_cv`` (default 0.05).
- Cold starts: the first invocation after each ``prepare`` (and after ``force_cold``) is cold
  when the source has cold data: a cold row of the nearest size with cold rows (its duration
  scaled like a warm one, its INIT as recorded) or, for per-size sources, the interpolated
  ``init_ms``. Sources without cold data replay warm invocations only.
- Billed duration: rounded up to 1 ms, INIT included on cold starts (billed since Aug 2025).
- Outside the measured range ``prepare`` refuses with ``InputError`` unless ``extrapolate``; then
  the mean comes from a model fitted to the per-size means (flat from the nearest end if no fit).
"""

from __future__ import annotations

import base64
import binascii
import csv
import math
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from powertune.errors import InputError
from powertune.tune.targets.interface import Target
from powertune.types import FunctionInfo, Sample

DEFAULT_NOISE_CV = 0.05
REQUIRED = ("memory_mb", "duration_ms")
ALIASES = {"avg_duration_ms": "duration_ms", "max_memory_used_mb": "max_memory_mb"}
_TRUE = {"1", "true", "yes", "y", "t", "cold"}
_FALSE = {"0", "false", "no", "n", "f", "warm", ""}


@dataclass(frozen=True)
class ReplayRow:
    memory_mb: int
    duration_ms: float
    init_ms: float | None = None
    is_cold: bool = False
    max_memory_mb: int | None = None
    billed_ms: float | None = None


def decode_power_tuning_url(url: str) -> list[ReplayRow]:
    """Rows (size, average duration) from an aws-lambda-power-tuning visualisation URL."""
    _, sep, fragment = url.partition("#")
    parts = fragment.split(";")
    if not sep or len(parts) != 3:
        raise InputError(
            f"not an aws-lambda-power-tuning result URL (want #sizes;durations;costs): {url}"
        )
    try:
        raw = [base64.b64decode(p + "=" * (-len(p) % 4), validate=True) for p in parts]
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"power-tuning URL hash is not valid base64: {exc}") from None
    sizes_b, durations_b, costs_b = raw
    if len(sizes_b) % 2 or len(durations_b) % 4 or len(costs_b) % 4:
        raise InputError("power-tuning URL hash has blocks of the wrong length")
    sizes = struct.unpack(f"<{len(sizes_b) // 2}H", sizes_b)
    durations = struct.unpack(f"<{len(durations_b) // 4}f", durations_b)
    if len(sizes) != len(durations) or not sizes:
        raise InputError("power-tuning URL hash has different numbers of sizes and durations")
    return [ReplayRow(int(m), float(d)) for m, d in zip(sizes, durations, strict=True)]


def decode_power_tuning_costs(url: str) -> list[float]:
    """The average cost per invocation block of a power-tuning URL (float32, as published)."""
    costs = url.partition("#")[2].split(";")[2]
    raw = base64.b64decode(costs + "=" * (-len(costs) % 4))
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def _num(value: str | None, column: str, line: int) -> float | None:
    if value is None or value.strip() == "":
        return None
    try:
        x = float(value)
    except ValueError:
        raise InputError(f"line {line}: {column} is not a number: {value!r}") from None
    if not math.isfinite(x) or x < 0:
        raise InputError(f"line {line}: {column} must be a finite number >= 0, not {value!r}")
    return x


def read_replay_csv(path: Path) -> list[ReplayRow]:
    """Parse a replay CSV (see the module docstring); bad input raises ``InputError``."""
    try:
        return _read_replay_csv(path)
    except InputError as exc:
        if str(exc).startswith("line "):  # name the file too
            raise InputError(f"{path}: {exc}") from None
        raise
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text (a replay CSV was expected)") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV ({exc})") from None


def _read_replay_csv(path: Path) -> list[ReplayRow]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        # The decoded power-tuning CSVs name the duration column avg_duration_ms.
        header = [ALIASES.get(h, h) if ALIASES.get(h) not in header else h for h in header]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InputError(f"{path}: replay CSV needs columns {', '.join(missing)}")
        reader.fieldnames = header
        rows: list[ReplayRow] = []
        for line, rec in enumerate(reader, start=2):
            memory = _num(rec.get("memory_mb"), "memory_mb", line)
            duration = _num(rec.get("duration_ms"), "duration_ms", line)
            if memory is None or duration is None:
                raise InputError(f"line {line}: memory_mb and duration_ms are required")
            if duration <= 0:  # a REPORT's Duration is never 0; a curve through 0 has no shape
                raise InputError(f"line {line}: duration_ms must be above 0, not {duration:g}")
            if memory != int(memory) or not 128 <= memory <= 10240:
                raise InputError(f"line {line}: memory_mb must be an integer in 128-10240")
            cold_text = (rec.get("is_cold") or "").strip().lower()
            if cold_text not in _TRUE | _FALSE:
                raise InputError(f"line {line}: is_cold must be true or false, not {cold_text!r}")
            init = _num(rec.get("init_ms"), "init_ms", line)
            is_cold = cold_text in _TRUE if "is_cold" in header else bool(init)
            max_mem = _num(rec.get("max_memory_mb"), "max_memory_mb", line)
            rows.append(
                ReplayRow(
                    memory_mb=int(memory),
                    duration_ms=duration,
                    init_ms=init,
                    is_cold=is_cold,
                    max_memory_mb=int(max_mem) if max_mem is not None else None,
                    billed_ms=_num(rec.get("billed_ms"), "billed_ms", line),
                )
            )
    if not rows:
        raise InputError(f"{path}: replay CSV has no rows")
    return rows


def billed_ms(duration_ms: float, init_ms: float | None) -> int:
    """Billed duration under today's rules (1 ms rounding, INIT billed), via ``pricing``."""
    from pricing.cost import billed_ms_for

    return billed_ms_for(duration_ms, init_ms)


class ReplayTarget(Target):
    """A Target that answers from recorded measurements instead of a live function."""

    def __init__(
        self,
        source: str | Path,
        *,
        extrapolate: bool = False,
        seed: int = 0,
        architecture: str = "x86_64",
        region: str = "us-east-1",
        noise_cv: float = DEFAULT_NOISE_CV,
        name: str | None = None,
    ) -> None:
        self.provenance = {}
        self.source = source
        self.function_name = name  # `tune NAME --replay FILE`: the function the file measured
        self.extrapolate = extrapolate
        self.seed = seed
        self.architecture = architecture
        self.region = region
        self.noise_cv = noise_cv
        self._lock = threading.Lock()
        # One random stream per size and kind (warm, cold): concurrent invocations finish in
        # any order, but each size's draws are then the same from one run to the next.
        self._rngs: dict[tuple[int, int], np.random.Generator] = {}
        self._pending_cold: set[int] = set()
        self._prepared: set[int] = set()
        self._count = 0
        text = str(source)
        if text.startswith(("http://", "https://")):
            rows, kind = decode_power_tuning_url(text), "power-tuning-url"
        else:
            rows, kind = read_replay_csv(Path(source)), "csv"
        self._load(rows)
        per = "per-size" if self.per_size else "per-invocation"
        noise = (
            f"lognormal, mean-preserving, cv={noise_cv}"
            if self.per_size
            else "empirical: nearest measured size, scaled to the interpolated mean"
        )
        self.provenance = {
            "kind": "replay",
            "source": text,
            "format": kind if kind != "csv" else f"csv-{per}",
            "rows": len(rows),
            "sizes": [int(s) for s in self.sizes],
            "noise_model": noise,
            "cold_starts": "first invocation after prepare" if self.has_cold else "none in source",
            "interpolation": "linear in memory between measured means",
            "extrapolate": extrapolate,
            "seed": seed,
        }

    def _load(self, rows: list[ReplayRow]) -> None:
        by_size: dict[int, list[ReplayRow]] = {}
        for r in rows:
            by_size.setdefault(r.memory_mb, []).append(r)
        self.sizes = np.array(sorted(by_size), dtype=float)
        self.per_size = all(len(v) == 1 for v in by_size.values())
        self._warm: dict[int, np.ndarray] = {}
        self._cold: dict[int, list[tuple[float, float]]] = {}
        self._init: dict[int, float] = {}
        self._max_mem: dict[int, int | None] = {}
        for m, rs in by_size.items():
            if self.per_size:
                self._warm[m] = np.array([rs[0].duration_ms])
                if rs[0].init_ms:
                    self._init[m] = rs[0].init_ms
            else:
                warm = [r.duration_ms for r in rs if not r.is_cold]
                cold = [(r.duration_ms, r.init_ms or 0.0) for r in rs if r.is_cold]
                self._warm[m] = np.array(warm or [d for d, _ in cold])
                if cold:
                    self._cold[m] = cold
            mems = [r.max_memory_mb for r in rs if r.max_memory_mb is not None]
            self._max_mem[m] = int(np.median(mems)) if mems else None
        self.means = np.array([float(np.mean(self._warm[int(m)])) for m in self.sizes])
        self.has_cold = bool(self._cold or self._init)
        self._fit: Any = None

    @property
    def memory_range(self) -> tuple[int, int]:
        """The smallest and largest measured sizes (MB)."""
        return int(self.sizes[0]), int(self.sizes[-1])

    @property
    def recorded_sizes(self) -> tuple[int, ...]:
        """The sizes the recording has data for."""
        return tuple(int(s) for s in self.sizes)

    def mean_duration(self, memory_mb: float | np.ndarray) -> np.ndarray:
        """The replayed mean warm duration (ms): the curve every sample is drawn around."""
        m = np.asarray(memory_mb, dtype=float)
        inside = np.interp(m, self.sizes, self.means)
        lo, hi = self.memory_range
        outside = (m < lo) | (m > hi)
        if not np.any(outside) or not self.extrapolate:
            return inside
        return np.where(outside, self._extrapolated(m), inside)

    def _extrapolated(self, m: np.ndarray) -> np.ndarray:
        if self._fit is None:
            from powertune.models.fit import fit_curve

            self._fit = fit_curve(
                {int(s): list(self._warm[int(s)]) for s in self.sizes},
                seed=self.seed,
                n_boot=8,
                saturated=False,  # extrapolation needs a shape, not the data's own means
            )
        if getattr(self._fit, "ok", False):
            return np.maximum(self._fit.mean(m), 0.01)
        return np.interp(m, self.sizes, self.means)  # flat beyond the ends

    def _nearest(self, memory_mb: int, pool: dict[int, Any]) -> int:
        keys = np.array(sorted(pool))
        return int(keys[int(np.argmin(np.abs(keys - memory_mb)))])

    def describe(self) -> FunctionInfo:
        name = Path(str(self.source).split("#")[0]).name or "power-tuning-url"
        return FunctionInfo(
            name=self.function_name or f"replay:{name}",
            arn=None,
            region=self.region,
            architecture=self.architecture,
            memory_mb=self.memory_range[0],
        )

    def prepare(self, memory_mb: int) -> None:
        lo, hi = self.memory_range
        if not 128 <= memory_mb <= 10240:
            raise InputError(f"memory must be within 128-10240 MB, not {memory_mb}")
        if not self.extrapolate and not lo <= memory_mb <= hi:
            raise InputError(
                f"{memory_mb} MB is outside the replayed range {lo}-{hi} MB (use --extrapolate)"
            )
        with self._lock:
            self._prepared.add(memory_mb)
            self._pending_cold.add(memory_mb)  # a new configuration starts a new environment

    def force_cold(self, memory_mb: int) -> None:
        with self._lock:
            self._pending_cold.add(memory_mb)

    def _stream(self, memory_mb: int, cold: bool) -> np.random.Generator:
        """The random stream of ``memory_mb``'s warm or cold invocations (caller holds the lock)."""
        key = (memory_mb, int(cold))
        if key not in self._rngs:
            self._rngs[key] = np.random.default_rng([self.seed, memory_mb, int(cold)])
        return self._rngs[key]

    def invoke(self, memory_mb: int, payload: bytes = b"", payload_index: int = 0) -> Sample:
        if memory_mb not in self._prepared:
            self.prepare(memory_mb)
        mean = float(self.mean_duration(memory_mb))
        with self._lock:
            cold = self.has_cold and memory_mb in self._pending_cold
            self._pending_cold.discard(memory_mb)
            self._count += 1
            count = self._count
            init: float | None = None
            if self.per_size:
                sigma = self.noise_cv
                duration = mean * float(
                    np.exp(sigma * self._stream(memory_mb, cold).standard_normal() - sigma**2 / 2)
                )
                if cold:
                    inits = np.array([self._init.get(int(s), np.nan) for s in self.sizes])
                    ok = ~np.isnan(inits)
                    init = float(np.interp(memory_mb, self.sizes[ok], inits[ok]))
            else:
                near = self._nearest(memory_mb, self._warm)
                scale = mean / float(np.mean(self._warm[near]))
                if cold:
                    near_c = self._nearest(memory_mb, self._cold)
                    c_scale = mean / float(np.mean(self._warm[near_c]))
                    d, init = self._cold[near_c][
                        int(self._stream(memory_mb, True).integers(len(self._cold[near_c])))
                    ]
                    duration = d * c_scale
                else:
                    pool = self._warm[near]
                    duration = (
                        float(pool[int(self._stream(memory_mb, False).integers(len(pool)))]) * scale
                    )
        duration = max(round(duration, 2), 0.01)
        near_m = self._nearest(memory_mb, self._max_mem)
        return Sample(
            memory_mb=memory_mb,
            duration_ms=duration,
            billed_ms=billed_ms(duration, init),
            init_ms=round(init, 2) if init is not None else None,
            max_memory_mb=self._max_mem[near_m],
            request_id=f"replay-{count:06d}",
            payload_index=payload_index,
        )

    def restore(self) -> None:
        """Nothing to put back: a replay changes nothing."""
