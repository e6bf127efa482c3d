"""The target interface: prepare a memory size, invoke it, put everything back.

A tuning run talks to exactly one Target. ``prepare`` calls are made one at a time (AWS allows one
configuration update at a time); ``invoke`` is called from many threads at once.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

from powertune.errors import PowertuneError
from powertune.types import FunctionInfo, Sample


class TargetError(PowertuneError):
    """The target failed in a way the run cannot continue from (exit code 3)."""


class SizeRejected(TargetError):
    """Lambda refused this memory size for this function (an account quota, for instance): the
    size is skipped, the run goes on."""


class Throttled(TargetError):
    """The invocation was throttled (TooManyRequestsException / 429): retry, never a sample."""


@dataclass
class Target(abc.ABC):
    """Where invocations go. Use as a context manager: leaving it always restores the function."""

    provenance: dict[str, Any] = field(default_factory=dict, init=False)

    @abc.abstractmethod
    def describe(self) -> FunctionInfo:
        """The function as found, before anything was changed."""

    @abc.abstractmethod
    def prepare(self, memory_mb: int) -> None:
        """Make ``memory_mb`` invocable. Called sequentially, once per size (again for a fresh
        environment when ``fresh`` cold starts are wanted)."""

    @abc.abstractmethod
    def invoke(self, memory_mb: int, payload: bytes, payload_index: int = 0) -> Sample:
        """Invoke the prepared ``memory_mb`` once and return its REPORT as a Sample.

        Raises Throttled when throttled, TargetError when the target itself fails. A function
        error is not an exception: it comes back as a Sample with status/error_type set.
        """

    @property
    def recorded_sizes(self) -> tuple[int, ...] | None:
        """The sizes a recording holds data for (a replay: between them it only interpolates);
        None for a live function, which answers at any size."""
        return None

    @property
    def memory_range(self) -> tuple[int, int] | None:
        """The smallest and largest size the target answers for without extrapolating; None
        when any size Lambda allows (128-10240 MB) is a real measurement."""
        return None

    def force_cold(self, memory_mb: int) -> None:
        """Make the next invocation of ``memory_mb`` a cold start (default: not supported)."""
        raise TargetError(f"{type(self).__name__} cannot force cold starts")

    @abc.abstractmethod
    def restore(self) -> None:
        """Put the function back as it was found and delete what the run created. Idempotent."""

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()
