"""Typed Lambda platform log records.

Optional metrics are None when the record does not carry them (never 0): a warm start has no init
duration, a non-SnapStart function no restore fields, and a text REPORT no status unless it ended
badly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

# The keys ``powertune logs parse`` writes, in order, for every metric-bearing record.
RECORD_KEYS = (
    "kind",
    "request_id",
    "duration_ms",
    "billed_ms",
    "memory_mb",
    "max_memory_mb",
    "init_ms",
    "restore_ms",
    "billed_restore_ms",
    "status",
    "error_type",
)


@dataclass(frozen=True, slots=True)
class _Metrics:
    kind: ClassVar[str] = ""
    request_id: str | None = None
    duration_ms: float | None = None
    billed_ms: int | None = None
    memory_mb: int | None = None
    max_memory_mb: int | None = None
    init_ms: float | None = None
    restore_ms: float | None = None
    billed_restore_ms: int | None = None
    status: str | None = None
    error_type: str | None = None
    log_format: str = "text"  # "text" | "json": how the record was written

    def to_json(self) -> dict[str, Any]:
        """The record with exactly RECORD_KEYS (what `powertune logs parse` prints)."""
        return {
            "kind": self.kind,
            "request_id": self.request_id,
            "duration_ms": self.duration_ms,
            "billed_ms": self.billed_ms,
            "memory_mb": self.memory_mb,
            "max_memory_mb": self.max_memory_mb,
            "init_ms": self.init_ms,
            "restore_ms": self.restore_ms,
            "billed_restore_ms": self.billed_restore_ms,
            "status": self.status,
            "error_type": self.error_type,
        }


@dataclass(frozen=True, slots=True)
class Report(_Metrics):
    """REPORT / platform.report: one invocation's duration, billing and memory."""

    kind: ClassVar[str] = "report"

    @property
    def cold(self) -> bool:
        return self.init_ms is not None or self.restore_ms is not None


@dataclass(frozen=True, slots=True)
class InitReport(_Metrics):
    """INIT_REPORT / platform.initReport: the init phase (its duration is ``init_ms``)."""

    kind: ClassVar[str] = "init_report"
    phase: str | None = None  # "init" | "invoke" (a re-init after a crash)
    initialization_type: str | None = None  # "on-demand" | "provisioned-concurrency" | "snap-start"


@dataclass(frozen=True, slots=True)
class RestoreReport(_Metrics):
    """RESTORE_REPORT / platform.restoreReport: a SnapStart restore (duration is ``restore_ms``)."""

    kind: ClassVar[str] = "restore_report"


@dataclass(frozen=True, slots=True)
class Start:
    """START / platform.start."""

    request_id: str | None
    version: str | None = None
    kind: ClassVar[str] = "start"


@dataclass(frozen=True, slots=True)
class End:
    """END / platform.runtimeDone."""

    request_id: str | None
    status: str | None = None
    kind: ClassVar[str] = "end"


MetricRecord = Report | InitReport | RestoreReport
Record = Report | InitReport | RestoreReport | Start | End
