"""The reference tool's search: measure exactly the given sizes, ``invocations`` times each."""

from __future__ import annotations

from collections.abc import Sequence

from powertune.errors import InputError
from powertune.tune.search.interface import Outline, Search
from powertune.types import Batch, Observations

MAX_ROUNDS = 3  # top up sizes whose invocations went missing, then give up


class GridSearch(Search):
    """Measure every size in ``sizes`` ``invocations`` times (cold starts included), then stop.

    Sizes the tuner marked as skipped (``observations.skipped``) are not retried.
    """

    name = "grid"

    def __init__(self, sizes: Sequence[int], invocations: int) -> None:
        if not sizes:
            raise InputError("the grid search needs at least one memory size")
        bad = [m for m in sizes if int(m) != m or not 128 <= m <= 10240]
        if bad:
            raise InputError(f"memory sizes must be integers in 128-10240 MB, not {bad}")
        if invocations < 1:
            raise InputError(f"invocations per size must be at least 1, not {invocations}")
        self.sizes = sorted({int(m) for m in sizes})
        self.invocations = int(invocations)
        self._rounds = 0
        self._reason: str | None = None

    def next(self, observations: Observations) -> list[Batch]:
        batches = []
        for m in self.sizes:
            if m in observations.skipped:
                continue
            missing = self.invocations - len(observations.samples.get(m, []))
            if missing > 0:
                batches.append(Batch(m, missing))
        if not batches:
            self._reason = "grid complete"
            return []
        if self._rounds >= MAX_ROUNDS:
            self._reason = "grid incomplete: invocations kept failing"
            return []
        self._rounds += 1
        return batches

    def stop_reason(self) -> str | None:
        return self._reason

    def outline(self, warmup: int) -> Outline:
        return Outline(
            f"grid search: {len(self.sizes)} sizes x {self.invocations} invocations",
            {m: self.invocations + warmup for m in self.sizes},
        )
