"""Log exports read in bounded chunks through the bulk parser, with progress through a callback.

``read_chunks`` walks the inputs (see ``inputs.py`` for the layouts), scans each block of lines
or batch of events with the bulk engine, and yields one ``LogChunk`` per piece, tagged with the
function it belongs to. Memory stays bounded by the block size, whatever the export's size.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from powertune.logs.bulk import BufferScan, Engine, scan_buffer, scan_messages
from powertune.logs.inputs import (
    Events,
    LogFile,
    discover,
    file_position,
    open_binary,
    read_units,
    total_size,
)
from powertune.logs.parse import ParseStats

PROGRESS_EVERY_S = 0.25


@dataclass(frozen=True)
class ReadProgress:
    """How far a read has got. ``bytes_total`` is None when unknown (standard input)."""

    bytes_read: int
    bytes_total: int | None
    lines: int
    records: int
    elapsed_s: float
    done: bool = False

    @property
    def bytes_per_s(self) -> float:
        return self.bytes_read / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def records_per_s(self) -> float:
        return self.records / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the rate so far (None when the total or the rate is unknown)."""
        if self.bytes_total is None or not self.bytes_read or self.elapsed_s <= 0:
            return None
        return max(self.bytes_total - self.bytes_read, 0) / self.bytes_per_s


ProgressCallback = Callable[[ReadProgress], None]


@dataclass(frozen=True)
class LogChunk:
    """One scanned piece of an export: its function and what the bulk parser read in it."""

    function: str
    scan: BufferScan
    source: str | None = None  # the log group (or stream) its events name, if they name one


def function_of(source: str | None, fallback: str, function: str | None) -> str:
    """Which function a record belongs to: ``function`` when given; else a ``/aws/lambda/NAME``
    log group names NAME, any other log group is its own name; else ``fallback`` (the file's)."""
    if function:
        return function
    if source and source.startswith("/aws/lambda/"):
        return source.removeprefix("/aws/lambda/")
    if source and source.startswith("/"):
        return source
    return fallback


def read_chunks(
    paths: Sequence[str | Path],
    stats: ParseStats,
    *,
    function: str | None = None,
    by_function: bool = True,
    on_progress: ProgressCallback | None = None,
    engine: Engine | None = None,
) -> Iterator[LogChunk]:
    """The chunks of every input, in order. With ``by_function`` the events of a batch are
    split by function (for aggregates); without it they stay in log order in one chunk."""
    files = discover(list(paths))
    meter = _Meter(files, stats, on_progress)
    for log in files:
        fallback = function or log.function or ("stdin" if log.path == "-" else Path(log.path).stem)
        stream, raw = open_binary(log)
        line = 1
        try:
            for unit in read_units(stream, log.path):
                stats.lines += unit.overlong
                stats.overlong += unit.overlong
                if isinstance(unit, Events):
                    groups: dict[str, list[str]] = defaultdict(list)
                    sources: dict[str, str | None] = {}
                    for source, message in unit.messages:
                        key = function_of(source, fallback, function) if by_function else fallback
                        groups[key].append(message)
                        sources.setdefault(key, source)
                    for name, messages in groups.items():
                        found = scan_messages(
                            messages, stats, engine=engine, first_line=unit.first_line
                        )
                        yield LogChunk(name, found, sources[name])
                else:
                    line += unit.overlong
                    if _cut_by_shrinking(unit.data, log, raw):
                        stats.notes.append(
                            f"{log.path}: its last line, cut when the file shrank, skipped"
                        )
                        continue
                    found = scan_buffer(unit.data, stats, engine=engine, first_line=line)
                    line += found.lines
                    yield LogChunk(fallback, found)
                meter.tick(raw)
            _note_shrunk(log, raw, stats)
        finally:
            if stream is not raw:
                stream.close()
            if log.path != "-":
                raw.close()
        meter.file_done(log)
    meter.finish()


def _cut_by_shrinking(data: bytes | memoryview, log: LogFile, raw: object) -> bool:
    """Whether ``data`` is a last line without its newline in a file now smaller than it was:
    most likely cut by the truncation (a REPORT cut in "Duration: 12.3" would read 12.3 ms)."""
    if not len(data) or data[-1] in (10, b"\n") or log.size is None:
        return False
    try:
        return os.fstat(raw.fileno()).st_size < log.size  # type: ignore[attr-defined]
    except (OSError, ValueError, AttributeError):
        return False


def _note_shrunk(log: LogFile, raw: object, stats: ParseStats) -> None:
    """A file that ended before its size at the start (truncated or rotated while read, as
    logrotate's copytruncate does) is read up to where it ended; the summary says so."""
    end = file_position(raw)  # type: ignore[arg-type]
    if log.size is not None and end is not None and end < log.size:
        stats.notes.append(
            f"{log.path}: shrank while read ({end} of {log.size} bytes; truncated or rotated?)"
        )


class _Meter:
    """Turns positions in the raw files into ReadProgress calls, a few per second at most."""

    def __init__(
        self, files: list[LogFile], stats: ParseStats, callback: ProgressCallback | None
    ) -> None:
        self.callback = callback
        self.stats = stats
        self.total = total_size(files)
        self.done_bytes = 0
        self.current = 0
        self.start = time.monotonic()
        self.last = 0.0

    def _report(self, done: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not done and now - self.last < PROGRESS_EVERY_S:
            return
        self.last = now
        self.callback(
            ReadProgress(
                bytes_read=self.done_bytes + self.current,
                bytes_total=self.total,
                lines=self.stats.lines,
                records=sum(self.stats.records.values()),
                elapsed_s=now - self.start,
                done=done,
            )
        )

    def tick(self, raw: object) -> None:
        position = file_position(raw)  # type: ignore[arg-type]
        if position is not None:
            self.current = position
        self._report()

    def file_done(self, log: LogFile) -> None:
        self.done_bytes += log.size if log.size is not None else self.current
        self.current = 0

    def finish(self) -> None:
        self._report(done=True)
