"""``powertune logs parse``'s JSON lines, written straight from the bulk parser's columns.

A REPORT the fast path read has every field but the restore ones and an error type, and an id
of [0-9A-Za-z-] only, so its line is a fixed template; it is exactly
``json.dumps(record.to_json())`` (a test checks), without building a Report per row. Records
the general parser read are dumped as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from powertune.logs.bulk import BufferScan, ReportTable
from powertune.logs.records import InitReport, Report, RestoreReport

_STATUS = {None: "null", "success": '"success"', "error": '"error"', "timeout": '"timeout"'}
_STATUS["failure"] = '"failure"'


def fast_lines(table: ReportTable, lo: int, hi: int) -> list[str]:
    """Rows ``lo:hi`` of a fast-path table as JSON lines (no trailing newline)."""
    out = []
    for rid, duration, billed, memory, used, init, status in zip(
        table.request_id[lo:hi].tolist(),
        table.duration_ms[lo:hi].tolist(),
        table.billed_ms[lo:hi].tolist(),
        table.memory_mb[lo:hi].tolist(),
        table.max_memory_mb[lo:hi].tolist(),
        table.init_ms[lo:hi].tolist(),
        table.status[lo:hi].tolist(),
        strict=True,
    ):
        out.append(
            f'{{"kind": "report", "request_id": "{rid.decode()}", "duration_ms": {duration!r}, '
            f'"billed_ms": {billed}, "memory_mb": {memory}, "max_memory_mb": {used}, '
            f'"init_ms": {"null" if init != init else repr(init)}, "restore_ms": null, '
            f'"billed_restore_ms": null, "status": {_STATUS[status]}, "error_type": null}}'
        )
    return out


def metric_lines(scan: BufferScan) -> Iterator[str]:
    """The REPORT, INIT_REPORT and RESTORE_REPORT records of a scan, in log order."""
    taken = 0
    for before, record in scan.slow:
        if not isinstance(record, Report | InitReport | RestoreReport):
            continue
        if before > taken:
            yield from fast_lines(scan.table, taken, before)
            taken = before
        yield json.dumps(record.to_json())
    if taken < len(scan.table):
        yield from fast_lines(scan.table, taken, len(scan.table))
