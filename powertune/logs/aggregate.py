"""Per-function REPORT statistics folded chunk by chunk: counts, sums and percentile sketches.

What ``analyze --from-logs`` needs of an export, in memory that does not grow with it: for each
function and each memory size its records carry, the number of REPORTs, duration / billed /
max-memory / init sketches (``sketch.py``: exact while small, 0.5 % after), timeouts and
out-of-memory errors; per function, the log formats seen and the "Task timed out" lines.

Records without a Memory Size (Lambda Managed Instances write only some of the fields) are kept
under the size ``None``, not dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from powertune.logs.bulk import Engine, ReportTable
from powertune.logs.parse import ParseStats
from powertune.logs.sketch import QuantileSketch
from powertune.logs.stream import ProgressCallback, read_chunks


@dataclass
class SizeStats:
    """The REPORTs of one function at one memory size."""

    reports: int = 0
    duration: QuantileSketch = field(default_factory=QuantileSketch)
    billed: QuantileSketch = field(default_factory=lambda: QuantileSketch(integer=True))
    max_memory: QuantileSketch = field(default_factory=lambda: QuantileSketch(integer=True))
    init: QuantileSketch = field(default_factory=QuantileSketch)
    latency: QuantileSketch = field(default_factory=QuantileSketch)  # duration + INIT (cold)
    timeouts: int = 0  # Status: timeout
    out_of_memory: int = 0  # Error Type: Runtime.OutOfMemory
    longest_timeout_ms: float | None = None  # the longest duration of a timed-out invocation


@dataclass
class FunctionStats:
    """One function's REPORTs by memory size (None: records without a size)."""

    name: str
    source: str | None = None  # the log group its records came from, when the export says
    sizes: dict[int | None, SizeStats] = field(default_factory=dict)
    formats: Counter[str] = field(default_factory=Counter)  # "text" | "json"
    timeout_lines: int = 0  # lines saying "Task timed out after" (old records say only that)

    @property
    def reports(self) -> int:
        return sum(s.reports for s in self.sizes.values())

    def main_size(self) -> int | None:
        """The memory size most REPORTs carry (None when none carries one)."""
        sized = [(s.reports, mb) for mb, s in self.sizes.items() if mb is not None]
        return max(sized)[1] if sized else None

    def add(self, table: ReportTable) -> None:
        if not len(table):
            return
        json_rows = int(np.count_nonzero(table.json_format))
        self.formats["json"] += json_rows
        self.formats["text"] += len(table) - json_rows
        memory = table.memory_mb
        has_errors = bool(table.error_type.any())  # only records the general parser read
        for mb in np.unique(memory).tolist():
            rows = memory == mb
            size = self.sizes.setdefault(None if mb < 0 else int(mb), SizeStats())
            size.reports += int(np.count_nonzero(rows))
            size.duration.add(table.duration_ms[rows])
            size.billed.add(_ints(table.billed_ms[rows]))
            size.max_memory.add(_ints(table.max_memory_mb[rows]))
            size.init.add(table.init_ms[rows])
            init = table.init_ms[rows]
            size.latency.add(table.duration_ms[rows] + np.where(np.isnan(init), 0.0, init))
            timed_out = rows & (table.status == "timeout")
            if timed_out.any():
                size.timeouts += int(np.count_nonzero(timed_out))
                longest = float(table.duration_ms[timed_out].max())
                size.longest_timeout_ms = max(size.longest_timeout_ms or 0.0, longest)
            if has_errors:
                errors = [e for e in table.error_type[rows].tolist() if e]
                size.out_of_memory += sum(1 for e in errors if "OutOfMemory" in e)


def _ints(values: np.ndarray) -> np.ndarray:
    """An int column as floats for a sketch, -1 (absent) as NaN."""
    out = values.astype(np.float64)
    out[values < 0] = np.nan
    return out


@dataclass
class LogSummary:
    """What an export holds, per function, and what the parse saw."""

    functions: dict[str, FunctionStats]
    stats: ParseStats


def summarize(
    paths: Sequence[str | Path],
    *,
    function: str | None = None,
    on_progress: ProgressCallback | None = None,
    engine: Engine | None = None,
) -> LogSummary:
    """Read every input in chunks and fold its REPORTs into per-function statistics."""
    stats = ParseStats()
    functions: dict[str, FunctionStats] = {}
    for chunk in read_chunks(
        paths, stats, function=function, on_progress=on_progress, engine=engine
    ):
        group = functions.get(chunk.function)
        if group is None:
            group = functions[chunk.function] = FunctionStats(chunk.function, chunk.source)
        group.timeout_lines += chunk.scan.timeouts
        group.add(chunk.scan.reports())
    return LogSummary(functions, stats)
