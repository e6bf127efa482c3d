"""Platform log records written exactly as Lambda writes them (Text and JSON log formats).

Text: ``REPORT RequestId: <id>\\tDuration: 12.34 ms\\tBilled Duration: 13 ms\\tMemory Size: 128
MB\\tMax Memory Used: 18 MB\\tInit Duration: 841.60 ms\\t`` with ``Status: timeout`` or ``Status:
error\\tError Type: Runtime.OutOfMemory`` when the environment ended. JSON: ``platform.report``
with metrics in ``record.metrics``; optional fields are absent, never zero.
Billed Duration is ``ceil(duration + init)`` in whole ms (INIT is billed since August 2025),
computed from the printed two-decimal values so the record is self-consistent.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_CEILING, Decimal

RUNTIME_VERSION = f"python:{sys.version_info.major}.{sys.version_info.minor}.local"


@dataclass(frozen=True)
class Report:
    """The figures of one invocation's REPORT record."""

    request_id: str
    duration_ms: float
    memory_mb: int
    max_memory_mb: int
    init_ms: float | None = None
    status: str = "success"  # "success" | "error" | "timeout"
    error_type: str | None = None

    @property
    def duration_text(self) -> str:
        return f"{self.duration_ms:.2f}"

    @property
    def init_text(self) -> str | None:
        return None if self.init_ms is None else f"{self.init_ms:.2f}"

    @property
    def billed_ms(self) -> int:
        total = Decimal(self.duration_text)
        if self.init_text is not None:
            total += Decimal(self.init_text)
        return max(int(total.to_integral_value(rounding=ROUND_CEILING)), 1)


def iso_time(epoch_ms: int) -> str:
    stamp = datetime.fromtimestamp(epoch_ms / 1000, timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def report_text(report: Report) -> str:
    parts = [
        f"REPORT RequestId: {report.request_id}",
        f"Duration: {report.duration_text} ms",
        f"Billed Duration: {report.billed_ms} ms",
        f"Memory Size: {report.memory_mb} MB",
        f"Max Memory Used: {report.max_memory_mb} MB",
    ]
    if report.init_text is not None:
        parts.append(f"Init Duration: {report.init_text} ms")
    if report.status != "success":
        parts.append(f"Status: {report.status}")
        if report.error_type:
            parts.append(f"Error Type: {report.error_type}")
    return "\t".join(parts) + "\t\n"


def report_json(report: Report, epoch_ms: int) -> str:
    metrics: dict[str, float | int] = {
        "durationMs": float(report.duration_text),
        "billedDurationMs": report.billed_ms,
        "memorySizeMB": report.memory_mb,
        "maxMemoryUsedMB": report.max_memory_mb,
    }
    if report.init_text is not None:
        metrics["initDurationMs"] = float(report.init_text)
    record: dict[str, object] = {
        "requestId": report.request_id,
        "metrics": metrics,
        "status": report.status,
    }
    if report.error_type:
        record["errorType"] = report.error_type
    return _json_line(epoch_ms, "platform.report", record)


def start_record(request_id: str, version: str, log_format: str, epoch_ms: int) -> str:
    if log_format == "JSON":
        return _json_line(epoch_ms, "platform.start", {"requestId": request_id, "version": version})
    return f"START RequestId: {request_id} Version: {version}\n"


def end_record(request_id: str, log_format: str, epoch_ms: int, status: str) -> str | None:
    if log_format == "JSON":
        return _json_line(
            epoch_ms, "platform.runtimeDone", {"requestId": request_id, "status": status}
        )
    return f"END RequestId: {request_id}\n"


def init_start_record(version: str, log_format: str, epoch_ms: int, cpu_mode: str) -> str:
    """INIT_START, naming the runtime and (our addition, after Lambda's fields) the CPU mode."""
    if log_format == "JSON":
        return _json_line(
            epoch_ms,
            "platform.initStart",
            {
                "initializationType": "on-demand",
                "phase": "init",
                "runtimeVersion": RUNTIME_VERSION,
                "functionVersion": version,
                "powertuneCpuMode": cpu_mode,
            },
        )
    return (
        f"INIT_START Runtime Version: {RUNTIME_VERSION}\t"
        f"Runtime Version ARN: powertune-local\tCPU Mode: {cpu_mode}\n"
    )


def _json_line(epoch_ms: int, kind: str, record: dict[str, object]) -> str:
    return (
        json.dumps(
            {"time": iso_time(epoch_ms), "type": kind, "record": record}, separators=(",", ":")
        )
        + "\n"
    )
