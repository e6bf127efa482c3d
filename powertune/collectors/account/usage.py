"""What a function did over the window: REPORT statistics and CloudWatch metrics.

The same ``Usage`` comes from Logs Insights (aggregated on AWS's side) or from exported log files
(aggregated here). Unknown is None, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Usage:
    """REPORT-record statistics for one function over the window."""

    reports: int
    duration_p50_ms: float | None = None
    duration_p95_ms: float | None = None
    duration_p99_ms: float | None = None
    duration_avg_ms: float | None = None
    billed_p50_ms: float | None = None
    billed_p95_ms: float | None = None
    billed_p99_ms: float | None = None
    billed_avg_ms: float | None = None
    max_memory_p99_mb: float | None = None
    max_memory_max_mb: float | None = None
    memory_size_mb: int | None = None  # the largest size seen in the records
    cold_starts: int = 0
    init_avg_ms: float | None = None
    init_p99_ms: float | None = None
    latency_p99_ms: float | None = None  # p99 of duration + Init Duration (cold starts included)
    timeouts: int = 0
    out_of_memory: int = 0
    other_size_reports: int = 0  # REPORTs at another memory size (before a change), left out
    partial: bool = False  # the query stopped early: the counts are a lower bound
    shared_log_group: bool = False  # other functions write to the same log group


@dataclass(frozen=True)
class Metrics:
    """CloudWatch metric totals over the window (None when CloudWatch had no datapoint)."""

    invocations: float | None = None
    errors: float | None = None
    throttles: float | None = None
    concurrency_max: float | None = None
    log_incoming_bytes: float | None = None


@dataclass(frozen=True)
class LogGroupInfo:
    """A log group's retention and stored bytes from DescribeLogGroups."""

    name: str
    retention_days: int | None  # None: "Never expire"
    stored_bytes: int | None = None
    log_class: str | None = None


@dataclass
class RecordSink:
    """Collects REPORT-record values of one function to summarise them as a ``Usage``."""

    durations: list[float] = field(default_factory=list)
    billed: list[float] = field(default_factory=list)
    max_memory: list[float] = field(default_factory=list)
    memory_sizes: list[int] = field(default_factory=list)
    inits: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # duration + INIT, per record
    timeouts: int = 0
    out_of_memory: int = 0
    first_ms: int | None = None
    last_ms: int | None = None

    def add_report(
        self,
        *,
        duration_ms: float | None,
        billed_ms: float | None,
        memory_mb: int | None,
        max_memory_mb: float | None,
        init_ms: float | None,
        status: str | None,
        error_type: str | None,
    ) -> None:
        if duration_ms is not None:
            self.durations.append(duration_ms)
            self.latencies.append(duration_ms + (init_ms or 0.0))
        if billed_ms is not None:
            self.billed.append(billed_ms)
        if memory_mb is not None:
            self.memory_sizes.append(memory_mb)
        if max_memory_mb is not None:
            self.max_memory.append(max_memory_mb)
        if init_ms is not None:
            self.inits.append(init_ms)
        if status == "timeout":
            self.timeouts += 1
        if error_type and "OutOfMemory" in error_type:
            self.out_of_memory += 1

    def add_timestamp(self, epoch_ms: int) -> None:
        self.first_ms = epoch_ms if self.first_ms is None else min(self.first_ms, epoch_ms)
        self.last_ms = epoch_ms if self.last_ms is None else max(self.last_ms, epoch_ms)

    @property
    def reports(self) -> int:
        return max(len(self.durations), len(self.billed))

    def usage(self) -> Usage:
        return Usage(
            reports=self.reports,
            duration_p50_ms=percentile(self.durations, 50),
            duration_p95_ms=percentile(self.durations, 95),
            duration_p99_ms=percentile(self.durations, 99),
            duration_avg_ms=mean(self.durations),
            billed_p50_ms=percentile(self.billed, 50),
            billed_p95_ms=percentile(self.billed, 95),
            billed_p99_ms=percentile(self.billed, 99),
            billed_avg_ms=mean(self.billed),
            max_memory_p99_mb=percentile(self.max_memory, 99),
            max_memory_max_mb=max(self.max_memory) if self.max_memory else None,
            memory_size_mb=max(self.memory_sizes) if self.memory_sizes else None,
            cold_starts=len(self.inits),
            init_avg_ms=mean(self.inits),
            init_p99_ms=percentile(self.inits, 99),
            latency_p99_ms=percentile(self.latencies, 99),
            timeouts=self.timeouts,
            out_of_memory=self.out_of_memory,
        )


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: Iterable[float], pct: float) -> float | None:
    """Nearest-rank percentile (what Logs Insights' ``pct`` approximates); None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]
