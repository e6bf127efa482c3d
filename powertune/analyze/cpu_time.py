"""How much of a function's duration would shrink with more CPU, from Lambda Insights.

Lambda Insights writes one ``"event_type": "performance"`` event per invocation to the
``/aws/lambda-insights`` log group, with ``duration`` and ``cpu_total_time`` (user + system, ms)
and ``total_memory`` (MB). CPU time over duration is the CPU the invocation used; divided by
the CPU share its memory gives (``models.cpu_share``) it is the share of the duration spent
computing, which scales with CPU, while the rest (I/O waits) does not. That replaces the guessed
``FIXED_FRACTION`` of ``analyze.findings`` with a measured one, with an interval: the mean over
the invocations, its 95% confidence band, widened by the model's own margin.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from powertune.models.cpu_share import scale_duration, speedup

# The CPU-share model is a model: a measured fraction is trusted to about this, absolute.
MODEL_MARGIN = 0.05
Z95 = 1.96
MIN_EVENTS = 5  # fewer invocations than this: no prediction, the guess stays


@dataclass(frozen=True)
class InsightsEvent:
    function: str
    memory_mb: int
    duration_ms: float
    cpu_ms: float


def insights_event(message: str) -> InsightsEvent | None:
    """The Lambda Insights performance event in a log message, if it is one."""
    start = message.find("{")
    if start < 0 or '"performance"' not in message or "cpu_total_time" not in message:
        return None
    try:
        data = json.loads(message[start:])
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("event_type") != "performance":
        return None
    name, memory = data.get("function_name"), data.get("total_memory")
    duration, cpu = data.get("duration"), data.get("cpu_total_time")
    numbers = (memory, duration, cpu)
    if not isinstance(name, str) or not all(isinstance(v, int | float) for v in numbers):
        return None
    assert isinstance(memory, int | float) and isinstance(duration, int | float)
    assert isinstance(cpu, int | float)
    if not (memory > 0 and duration > 0 and cpu >= 0) or not math.isfinite(duration + cpu):
        return None
    return InsightsEvent(name, int(memory), float(duration), float(cpu))


@dataclass(frozen=True)
class CpuProfile:
    """A function's measured CPU-bound share of its duration, at one memory size."""

    memory_mb: int
    invocations: int
    fraction: float  # of the duration that scales with CPU
    low: float
    high: float
    threads: float  # CPU time over duration above 1: more than one busy thread

    def predict_ms(self, duration_ms: float, to_mb: int) -> tuple[float, float, float]:
        """The duration at ``to_mb``: (estimate, low, high)."""

        def at(fraction: float) -> float:
            return scale_duration(
                duration_ms,
                self.memory_mb,
                to_mb,
                fixed_fraction=1.0 - fraction,
                threads=self.threads,
            )

        ends = sorted((at(self.low), at(self.high)))
        return at(self.fraction), ends[0], ends[1]

    def basis(self) -> str:
        return (
            f"Lambda Insights: {self.fraction:.0%} of the duration is CPU "
            f"({self.low:.0%}-{self.high:.0%}) over {self.invocations} invocations "
            f"at {self.memory_mb} MB; CPU-share model"
        )


def profile(events: Iterable[InsightsEvent], memory_mb: int) -> CpuProfile | None:
    """The CPU profile of the events at ``memory_mb`` (None: too few to say)."""
    at_size = [e for e in events if e.memory_mb == memory_mb]
    if len(at_size) < MIN_EVENTS:
        return None
    used = [e.cpu_ms / e.duration_ms for e in at_size]
    threads = max(1.0, sum(used) / len(used))
    share = speedup(memory_mb, threads)
    fractions = [min(1.0, u / share) for u in used]
    n = len(fractions)
    mean = sum(fractions) / n
    sd = math.sqrt(sum((f - mean) ** 2 for f in fractions) / (n - 1)) if n > 1 else 0.0
    half = Z95 * sd / math.sqrt(n) + MODEL_MARGIN
    return CpuProfile(
        memory_mb=memory_mb,
        invocations=n,
        fraction=mean,
        low=max(0.0, mean - half),
        high=min(1.0, mean + half),
        threads=threads,
    )


_NEEDLE = b"cpu_total_time"


def read_insights_events(
    paths: Sequence[str | Path], function: str | None = None
) -> dict[str, list[InsightsEvent]]:
    """Lambda Insights performance events in exported files, by function (``function``: all of
    them under that name). A streamed pass of its own: only lines holding ``cpu_total_time`` are
    decoded, so an export without Insights costs one byte search per block."""
    from powertune.logs.inputs import Lines, discover, open_binary, read_units

    found: dict[str, list[InsightsEvent]] = {}

    def take(message: str) -> None:
        event = insights_event(message)
        if event is not None:
            found.setdefault(function or event.function, []).append(event)

    for log in discover(list(paths)):
        if log.path == "-":
            continue  # standard input was read once already, by the REPORT pass
        stream, raw = open_binary(log)
        try:
            for unit in read_units(stream, log.path):
                if isinstance(unit, Lines):
                    data = bytes(unit.data)
                    if _NEEDLE not in data:
                        continue
                    for line in data.splitlines():
                        if _NEEDLE in line:
                            take(line.decode("utf-8", "replace"))
                else:
                    for _, message in unit.messages:
                        if "cpu_total_time" in message:
                            take(message)
        finally:
            if stream is not raw:
                stream.close()
            raw.close()
    return found
