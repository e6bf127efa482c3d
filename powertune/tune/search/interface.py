"""The search interface: from what was measured so far, what to measure next (or stop)."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

from powertune.tune.targets.interface import Sample


@dataclass(frozen=True)
class Batch:
    """Measure ``count`` more invocations at ``memory_mb``."""

    memory_mb: int
    count: int


@dataclass
class Observations:
    """Everything measured so far: samples per size, and sizes that were skipped (with why)."""

    samples: dict[int, list[Sample]] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)
    spend_usd: float = 0.0
    invocations: int = 0

    def add(self, sample: Sample) -> None:
        self.samples.setdefault(sample.memory_mb, []).append(sample)
        self.invocations += 1

    def measured_sizes(self) -> list[int]:
        return sorted(m for m in self.samples if m not in self.skipped)


class Search(abc.ABC):
    """Proposes batches until it is done. The tuner enforces spend and invocation budgets."""

    name: str = "search"

    @abc.abstractmethod
    def next(self, observations: Observations) -> list[Batch]:
        """The next batches to run (run in parallel); an empty list means stop."""

    def stop_reason(self) -> str | None:
        """Why the search stopped, once ``next`` returned nothing."""
        return None
