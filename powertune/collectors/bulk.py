"""Columnar parsing of many REPORT records at once (log exports of millions of lines).

The common shapes Lambda writes today — a tab-separated text REPORT and a compact JSON
``platform.report`` — are read by one anchored regex each; anything else (other separators, field
orders, prefixes, escaped newlines, other record kinds, malformed lines) goes through the general
parser in ``parse.py``, so the result is the same as parsing every line with ``parse_record``.
Fields become numpy columns, with NaN / -1 / None where a record does not carry a field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from powertune.collectors.parse import ParseStats, try_parse_record
from powertune.collectors.records import Report

_NUM = r"(\d+(?:\.\d+)?)"
# Both shapes capture: request id, duration, billed, memory, max memory, init, status, error type.
_FAST_TEXT = re.compile(
    r"REPORT RequestId: ([0-9A-Za-z-]+)\tDuration: " + _NUM + r" ms\tBilled Duration: (\d+) ms"
    r"\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB\t(?:Init Duration: " + _NUM + r" ms\t)?"
    r"(?:Status: ([a-z]+)\t(?:Error Type: ([\w.]+)\t)?)?"
).fullmatch
_FAST_JSON = re.compile(
    r'\{"time":"[0-9TZ:.+-]*","type":"platform\.report","record":\{"requestId":"([0-9A-Za-z-]+)",'
    r'"metrics":\{"durationMs":' + _NUM + r',"billedDurationMs":(\d+),"memorySizeMB":(\d+),'
    r'"maxMemoryUsedMB":(\d+)(?:,"initDurationMs":' + _NUM + r")?\}"
    r'(?:,"status":"([a-z]+)"(?:,"errorType":"([\w.]+)")?)?\}\}'
).fullmatch

_Row = tuple[str | None, ...]


@dataclass(frozen=True)
class ReportTable:
    """REPORT records as columns, in log order. Absent: NaN (floats), -1 (ints), None (strings)."""

    request_id: list[str | None]
    duration_ms: np.ndarray
    billed_ms: np.ndarray
    memory_mb: np.ndarray
    max_memory_mb: np.ndarray
    init_ms: np.ndarray
    status: list[str | None]
    error_type: list[str | None]

    def __len__(self) -> int:
        return len(self.request_id)

    def to_reports(self) -> list[Report]:
        """The rows as Report records (slow; for tests and small tables)."""
        out = []
        for i in range(len(self)):
            out.append(
                Report(
                    request_id=self.request_id[i],
                    duration_ms=float(self.duration_ms[i]),
                    billed_ms=_int_or_none(self.billed_ms[i]),
                    memory_mb=_int_or_none(self.memory_mb[i]),
                    max_memory_mb=_int_or_none(self.max_memory_mb[i]),
                    init_ms=None if np.isnan(self.init_ms[i]) else float(self.init_ms[i]),
                    status=self.status[i],
                    error_type=self.error_type[i],
                )
            )
        return out


def parse_reports(lines: Iterable[str], stats: ParseStats | None = None) -> ReportTable:
    """Parse lines into a ReportTable; other record kinds are counted in ``stats`` only.

    REPORT records with SnapStart restore fields are kept by the general parser's rules, but this
    table has no restore columns: use ``iter_records`` when restores matter.
    """
    stats = stats if stats is not None else ParseStats()
    rows: list[_Row] = []
    append = rows.append
    fast_text, fast_json = _FAST_TEXT, _FAST_JSON
    line_no = 0
    fast = 0
    for line_no, line in enumerate(lines, start=1):
        match = fast_text(line) if line[:1] == "R" else fast_json(line)
        if match is not None:
            append(match.groups())
            fast += 1
            continue
        record = try_parse_record(line, stats, line_no)
        if isinstance(record, Report):
            append(_row(record))
    stats.lines += line_no
    stats.records["report"] += fast
    return _columns(rows)


def _row(r: Report) -> _Row:
    return (
        r.request_id,
        repr(r.duration_ms),
        None if r.billed_ms is None else str(r.billed_ms),
        None if r.memory_mb is None else str(r.memory_mb),
        None if r.max_memory_mb is None else str(r.max_memory_mb),
        None if r.init_ms is None else repr(r.init_ms),
        r.status,
        r.error_type,
    )


def _columns(rows: list[_Row]) -> ReportTable:
    if not rows:
        empty_f, empty_i = np.empty(0, dtype=np.float64), np.empty(0, dtype=np.int64)
        return ReportTable([], empty_f, empty_i, empty_i, empty_i, empty_f, [], [])
    rid, dur, billed, mem, maxmem, init, status, err = zip(*rows, strict=True)
    return ReportTable(
        request_id=list(rid),
        duration_ms=np.array(dur, dtype=np.float64),
        billed_ms=_ints(billed),
        memory_mb=_ints(mem),
        max_memory_mb=_ints(maxmem),
        init_ms=_floats(init),
        status=list(status),
        error_type=list(err),
    )


def _floats(col: tuple[str | None, ...]) -> np.ndarray:
    if None in col:
        return np.array(["nan" if v is None else v for v in col], dtype=np.float64)
    return np.array(col, dtype=np.float64)


def _ints(col: tuple[str | None, ...]) -> np.ndarray:
    if None in col:
        return np.array(["-1" if v is None else v for v in col], dtype=np.int64)
    return np.array(col, dtype=np.int64)


def _int_or_none(value: np.integer) -> int | None:
    return None if value < 0 else int(value)
