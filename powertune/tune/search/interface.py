"""The search interface: from what was measured so far, what to measure next (or stop)."""

from __future__ import annotations

import abc

from powertune.types import Batch, Observations


class Search(abc.ABC):
    """Proposes batches until it is done. The tuner enforces spend and invocation budgets."""

    name: str = "search"

    @abc.abstractmethod
    def next(self, observations: Observations) -> list[Batch]:
        """The next batches to run (run in parallel); an empty list means stop."""

    def stop_reason(self) -> str | None:
        """Why the search stopped, once ``next`` returned nothing."""
        return None
