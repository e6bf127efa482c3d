"""The search interface: from what was measured so far, what to measure next (or stop), and
once stopped, what it decides (``Search.decide``): nothing needs to ask which search it holds."""

from __future__ import annotations

import abc
from dataclasses import dataclass

from powertune.tune.decide.decision import DecideContext, Decision, measured_decision
from powertune.types import Batch, Observations


@dataclass(frozen=True)
class Outline:
    """What a search plans before anything is measured (``--dry-run``): in words, and the most
    invocations it may make at each size it knows it will measure (warm-ups included)."""

    description: str
    counts: dict[int, int]


class Search(abc.ABC):
    """Proposes batches until it is done. The tuner enforces spend and invocation budgets."""

    name: str = "search"

    @abc.abstractmethod
    def next(self, observations: Observations) -> list[Batch]:
        """The next batches to run (run in parallel); an empty list means stop."""

    def stop_reason(self) -> str | None:
        """Why the search stopped, once ``next`` returned nothing."""
        return None

    def outline(self, warmup: int) -> Outline:
        """The plan before anything is measured, with ``warmup`` discarded calls per size (a
        search that cannot say in advance names itself and prices nothing)."""
        return Outline(f"{self.name} search", {})

    def decide(self, observations: Observations, context: DecideContext) -> Decision | None:
        """The fit, the curve the choice and its dollars are priced on, and the choice; None
        when nothing usable was measured. By default, as the reference tool does: the strategy
        chooses among the measured sizes, from their own samples."""
        return measured_decision(observations, context)
