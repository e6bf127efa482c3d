"""Percentiles of millions of values in constant memory: exact while few, then a log histogram.

A ``QuantileSketch`` keeps the values themselves up to ``EXACT_LIMIT`` (so a small export gives
the exact nearest-rank percentile, as sorting would); past that it folds them into a mergeable
log-bucketed histogram (the DDSketch idea, vectorised with numpy): a value x > 0 falls in bucket
``ceil(log(x) / log(GAMMA))`` and is read back as the bucket's centre ``2 * GAMMA**i / (GAMMA+1)``.
Every percentile it then reports is within ``RELATIVE_ERROR`` (0.5 %) of the true nearest-rank
value; values below ``MIN_VALUE`` (0.001 ms or MB) read back as 0. Its memory is bounded by the
number of buckets between the smallest and the largest value seen (about 2,300 for 0.001 .. 1e7),
whatever the number of values.
"""

from __future__ import annotations

import math

import numpy as np

GAMMA = 1.01
RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1)  # 0.004975...: the bound on every percentile
EXACT_LIMIT = 20_000  # values kept as they are before the sketch switches to buckets
MIN_VALUE = 1e-3
_LOG_GAMMA = math.log(GAMMA)


class QuantileSketch:
    """Count, sum, min, max and nearest-rank percentiles of non-negative values. An ``integer``
    sketch (of whole values: billed ms, MB) reads its percentiles back as ints."""

    def __init__(self, *, integer: bool = False) -> None:
        self.integer = integer
        self.count = 0
        self.total = 0.0
        self.min: float | None = None
        self.max: float | None = None
        self._exact: list[np.ndarray] | None = []
        self._exact_count = 0
        self._zeros = 0
        self._offset = 0  # bucket index of _buckets[0]
        self._buckets = np.zeros(0, dtype=np.int64)

    @property
    def exact(self) -> bool:
        """Whether percentiles are exact (the values are still kept)."""
        return self._exact is not None

    def add(self, values: np.ndarray) -> None:
        """Add values (NaN: absent, skipped)."""
        values = np.asarray(values, dtype=np.float64)
        values = values[~np.isnan(values)]
        if not len(values):
            return
        self.count += len(values)
        self.total += float(values.sum())
        low, high = float(values.min()), float(values.max())
        self.min = low if self.min is None else min(self.min, low)
        self.max = high if self.max is None else max(self.max, high)
        if self._exact is not None:
            self._exact.append(values.copy())
            self._exact_count += len(values)
            if self._exact_count <= EXACT_LIMIT:
                return
            values = np.concatenate(self._exact)
            self._exact = None
        self._bucket(values)

    def merge(self, other: QuantileSketch) -> None:
        """Fold ``other`` in (the result is what adding its values here would give)."""
        if other._exact is not None:
            for part in other._exact:
                self.add(part)
            return
        if self._exact is not None:
            kept = np.concatenate(self._exact) if self._exact else np.zeros(0)
            self._exact = None
            self._bucket(kept)
        self.count += other.count
        self.total += other.total
        for bound in (other.min, other.max):
            if bound is not None:
                self.min = bound if self.min is None else min(self.min, bound)
                self.max = bound if self.max is None else max(self.max, bound)
        self._zeros += other._zeros
        self._add_buckets(other._offset, other._buckets)

    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def largest(self) -> float | None:
        """The largest value (exact)."""
        return None if self.max is None else self._out(self.max)

    def percentile(self, pct: float) -> float | None:
        """The nearest-rank percentile (exact while ``exact``; else within RELATIVE_ERROR)."""
        if not self.count:
            return None
        rank = max(1, math.ceil(pct / 100.0 * self.count))
        if self._exact is not None:
            ordered = np.sort(np.concatenate(self._exact))
            return self._out(float(ordered[rank - 1]))
        if rank <= self._zeros:
            return self._out(0.0)
        cumulative = np.cumsum(self._buckets)
        i = int(np.searchsorted(cumulative, rank - self._zeros))
        value = 2.0 * GAMMA ** (self._offset + i) / (GAMMA + 1.0)
        # The extremes are known exactly: never read back outside them.
        return self._out(min(max(value, self.min or 0.0), self.max or value))

    def _out(self, value: float) -> float:
        return round(value) if self.integer else value

    def _bucket(self, values: np.ndarray) -> None:
        small = values < MIN_VALUE
        self._zeros += int(np.count_nonzero(small))
        index = np.ceil(np.log(values[~small]) / _LOG_GAMMA).astype(np.int64)
        if not len(index):
            return
        low = int(index.min())
        self._add_buckets(low, np.bincount(index - low))

    def _add_buckets(self, offset: int, counts: np.ndarray) -> None:
        if not len(counts):
            return
        if not len(self._buckets):
            self._offset, self._buckets = offset, counts.astype(np.int64)
            return
        low = min(self._offset, offset)
        high = max(self._offset + len(self._buckets), offset + len(counts))
        merged = np.zeros(high - low, dtype=np.int64)
        merged[self._offset - low : self._offset - low + len(self._buckets)] += self._buckets
        merged[offset - low : offset - low + len(counts)] += counts
        self._offset, self._buckets = low, merged
