"""The hand-off types of a tuning run: what a target reports (FunctionInfo, Sample), what a
search asks for (Batch) and what it reads back (Observations).

A leaf: it imports nothing from powertune, so every stage (targets, search, tuner, decide, build,
results, the CLI's progress) can share these without depending on one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FunctionInfo:
    """What the tuner needs to know about the function as it was found."""

    name: str
    arn: str | None
    region: str
    architecture: str  # "x86_64" | "arm64"
    memory_mb: int
    timeout_s: int | None = None
    runtime: str | None = None
    package_type: str | None = None  # "Zip" | "Image"
    log_format: str = "Text"  # "Text" | "JSON"
    ephemeral_mb: int = 512


@dataclass(frozen=True)
class Sample:
    """One measured invocation, read from its REPORT record."""

    memory_mb: int
    duration_ms: float
    billed_ms: int | None
    init_ms: float | None = None
    max_memory_mb: int | None = None
    status: str = "success"  # "success" | "error" | "timeout"
    error_type: str | None = None
    request_id: str | None = None
    payload_index: int = 0
    log_bytes: int | None = None  # bytes the invocation logged, when known
    # SnapStart: a restored environment's Restore Duration and Billed Restore Duration (the
    # latter is part of ``billed_ms``: Billed Duration = ceil(Duration + Billed Restore))
    restore_ms: float | None = None
    billed_restore_ms: int | None = None
    # an error the run was told to accept (--allowed-errors, allowedExceptions): timed and
    # priced as an outcome of the code being sized, as aws-lambda-power-tuning counts it
    allowed: bool = False

    @property
    def cold(self) -> bool:
        return self.init_ms is not None or self.restore_ms is not None

    @property
    def startup_billed_ms(self) -> float | None:
        """What starting its environment added to the bill: INIT's duration (billed since Aug
        2025), or a SnapStart restore's Billed Restore Duration (not its Restore Duration)."""
        if self.init_ms is not None:
            return self.init_ms
        if self.billed_restore_ms is not None:
            return float(self.billed_restore_ms)
        return None

    @property
    def ok(self) -> bool:
        return (self.status == "success" and self.error_type is None) or self.allowed


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
    # The round each sample was measured in (aligned with ``samples``): the tuner advances
    # ``current_round`` once per round of batches, so host drift between rounds can be told
    # from the curve (``powertune.models.drift``).
    current_round: int = 0
    rounds: dict[int, list[int]] = field(default_factory=dict)
    # INIT ms of the warm-ups that started cold, per size: left out of the durations, but an
    # INIT measured all the same (what a cold-start share prices).
    warmup_inits: dict[int, list[float]] = field(default_factory=dict)

    def add(self, sample: Sample) -> None:
        self.samples.setdefault(sample.memory_mb, []).append(sample)
        self.rounds.setdefault(sample.memory_mb, []).append(self.current_round)
        self.invocations += 1

    def measured_sizes(self) -> list[int]:
        return sorted(m for m in self.samples if m not in self.skipped)
