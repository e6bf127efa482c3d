"""The scanners skip what cannot be a platform record, and read prefixed records, exactly.

Whatever the mix of lines (timestamp and log-stream prefixes, START / END / INIT_START, function
logs that mention record keywords, JSON with escapes, blanks and Unicode blanks in front), each
engine's scan gives the records and the ParseStats the general parser gives line by line.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_collectors_bulk import _guarded_views, json_line, needs_compiled, text_line

from powertune.logs import ParseStats, Report, iter_records
from powertune.logs.bulk import (
    ENGINES,
    LINE_END,
    LINE_IGNORED,
    LINE_REPORT,
    LINE_START,
    Engine,
    line_kinds,
    parse_messages,
    scan_buffer,
)

RID = "4f3a2b1c-0d9e-4f8a-b7c6-5d4e3f2a1b0c"
PREFIXES = [
    "",
    "2026-03-01T12:00:00.123Z ",
    "2026-03-01T12:00:00.123456+00:00\t",
    "2026-03-01T12:00:00+0530  ",
    "2026-03-01 12:00:00 ",
    "2026-03-01T12:00:00.1234567890Z ",  # a fraction longer than the fast path takes
    "2026-03-01T12:00:00Z\t\t\t\t\t\t\t\t\t",  # more blanks than it takes
    "2026/03/01/[$LATEST]0123456789abcdef ",  # a log stream (sam logs, aws logs tail)
    "2026-03-01T12:00:00.123000+00:00 2026/03/01/[$LATEST]0123456789abcdef ",
    "/aws/lambda/orders ",
    "1772366400000 ",
    "١٧٧٢٣٦٦٤٠٠٠٠٠ ",  # thirteen Arabic-Indic digits: \\d in the general parser
    "2026-03-01T12:00:00Z 1772366400000 2026-03-01 12:00:00 ",
    " ",
    "\t",
    "\u00a0",  # a Unicode blank: strip() removes it
    "\x0b",
    "x ",
]
BODIES = [
    text_line(rid=RID),
    text_line(rid=RID, tail="Init Duration: 841.60 ms\t"),
    text_line(rid=RID, tail="Status: timeout\t"),
    text_line(rid=RID, tail="Status: error\tError Type: Runtime.OutOfMemory\t"),
    json_line(rid=RID),
    json_line(rid=RID, init=',"initDurationMs":120.5', status=',"status":"success"'),
    f"START RequestId: {RID} Version: $LATEST",
    f"START RequestId: {RID} Version: 12",
    f"START RequestId: {RID} Version: Ab:",
    f"START RequestId: {RID}",
    f"END RequestId: {RID}",
    "END RequestId: ",
    "INIT_START Runtime Version: python:3.12.v18\tRuntime Version ARN: arn:aws:lambda:x",
    "RESTORE_START Runtime Version: java:21.v7",
    "INIT_REPORT Init Duration: 243.38 ms\tPhase: init\tStatus: error\tError Type: Runtime.Unknown",
    "RESTORE_REPORT Restore Duration: 474.16 ms\tBilled Restore Duration: 475 ms",
    "REPORT RequestId: a\tDuration: x ms",
    "REPORT",
    "XRAY TraceId: 1-5e1b4151-5ac6c58f5d4e3c2b1a0f9e8d\tSegmentId: 6a9b\tSampled: true",
    f"{RID}\tINFO\tprocessed order 7 with BACKEND STARTED at END of REPORT",
    f"{RID}\tTask timed out after 3.00 seconds",
    '{"timestamp":"2026-03-01T12:00:00Z","level":"INFO","message":"cache hit"}',
    '{"level":"INFO","message":"a \\u0052EPORT escape"}',
    '{"timestamp":1,"message":"REPORT RequestId: e\\tDuration: 2.00 ms\\t","logStreamName":"s"}',
    '{"timestamp":1,"message":"\\tEND RequestId: e","ingestionTime":2}',
    '{"time":"2026-03-01T12:00:00Z","type":"platform.start","record":{"requestId":"e"}}',
    '{"time":"2026-03-01T12:00:00Z","type":"platform.report","record":{"requestId":"e","metrics":{"durationMs":4.5}}}',
    '{"type":"platform.report", broken',
    "",
    "plain text",
]
SUFFIXES = ["", "", "", " ", "\t", "\r"]


def line() -> st.SearchStrategy[str]:
    return st.builds(
        lambda p, b, s: p + b + s,
        st.sampled_from(PREFIXES),
        st.sampled_from(BODIES),
        st.sampled_from(SUFFIXES),
    )


def _check(lines: list[str], engine: Engine) -> None:
    data = "\n".join(lines).encode()
    want_stats, got_stats = ParseStats(), ParseStats()
    want = [r for r in iter_records(data.decode().split("\n") if data else [], want_stats)]
    found = scan_buffer(data, got_stats, engine=engine)
    assert found.reports().to_reports() == [r for r in want if isinstance(r, Report)]
    assert got_stats == want_stats
    assert found.lines == want_stats.lines
    assert found.timeouts == sum("Task timed out after" in x for x in data.decode().split("\n"))


@pytest.mark.parametrize("engine", ENGINES)
@given(st.lists(line(), max_size=25))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_scans_read_what_the_general_parser_reads(engine: Engine, lines: list[str]) -> None:
    _check(lines, engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_every_prefix_with_every_body(engine: Engine) -> None:
    lines = [p + b + s for p in PREFIXES for b in BODIES for s in ("", "\t", "\r")]
    _check(lines, engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_prefixed_records_take_the_fast_path_and_plain_lines_are_skipped(engine: Engine) -> None:
    lines = [
        "2026-03-01T12:00:00.123Z " + text_line(rid=RID),
        "2026-03-01T12:00:00.123456+00:00\t" + json_line(rid=RID),
        "2026-03-01T12:00:00.123Z START RequestId: " + RID + " Version: $LATEST",
        "2026-03-01T12:00:00.123Z END RequestId: " + RID,
        "2026-03-01T12:00:00.123Z INIT_START Runtime Version: python:3.12.v18",
        f"2026-03-01T12:00:00.123Z\t{RID}\tINFO\tprocessed",
        '{"level":"INFO","message":"cache hit"}',
        "2026/03/01/[$LATEST]0123 " + text_line(rid=RID),  # the general parser reads it
    ]
    kinds = line_kinds("\n".join(lines).encode(), engine=engine).tolist()
    assert kinds[:7] == [LINE_REPORT, LINE_REPORT, LINE_START, LINE_END] + [LINE_IGNORED] * 3
    assert kinds[7] == 0  # LINE_SLOW
    _check(lines, engine)


@needs_compiled
@given(st.lists(line(), max_size=25))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_engines_take_the_same_lines_down_the_fast_path(lines: list[str]) -> None:
    data = "\n".join(lines).encode()
    c, vectorised = line_kinds(data, engine="c"), line_kinds(data, engine="numpy")
    for kind in (LINE_REPORT, LINE_START, LINE_END):
        assert ((c == kind) == (vectorised == kind)).all()


@pytest.mark.parametrize("engine", ENGINES)
@given(st.lists(line(), max_size=25))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_messages_read_what_the_general_parser_reads(engine: Engine, lines: list[str]) -> None:
    messages = [x + "\n" if i % 2 else x for i, x in enumerate(lines)]
    want_stats, got_stats = ParseStats(), ParseStats()
    assert parse_messages(messages, got_stats, engine=engine) == list(
        iter_records(messages, want_stats)
    )
    assert got_stats == want_stats


GUARD_LINES = [
    "2026-03-01T12:00:00.123456+00:00 " + text_line(rid=RID, tail="Init Duration: 8.5 ms\t"),
    "2026-03-01T12:00:00Z " + json_line(rid=RID, status=',"status":"error"'),
    "2026-03-01T12:00:00+05:30\tSTART RequestId: " + RID + " Version: $LATEST",
    "2026-03-01 12:00:00 END RequestId: " + RID,
    "2026-03-01T12:00:00Z 1772366400000 2026/03/01/[$LATEST]ab REPORT",
    '{"level":"INFO","message":"x \\u0052 \\tREPORT platform.x"}',
    "\u00a0INIT_REPORT Init Duration: 1 ms",
    "Task timed out after 3.00 seconds",
]


@needs_compiled
@pytest.mark.skipif(sys.platform != "linux", reason="guard pages through libc's mprotect")
def test_the_skipping_scanner_reads_nothing_outside_the_buffer() -> None:
    for text in GUARD_LINES:
        data = text.encode()
        for cut in range(len(data) + 1):
            want = line_kinds(data[:cut], engine="c").tolist()
            for view in _guarded_views(data[:cut]):
                assert line_kinds(view, engine="c").tolist() == want  # type: ignore[arg-type]
                stats = ParseStats()
                scan_buffer(view, stats, engine="c")  # type: ignore[arg-type]
                assert stats.lines == (1 if cut else 0)


def test_empty_and_missing_request_ids_stay_apart() -> None:
    lines = [
        '{"time":"2026-03-01T12:00:00Z","type":"platform.report","record":{"requestId":"","metrics":{"durationMs":1.5}}}',
        '{"time":"2026-03-01T12:00:00Z","type":"platform.report","record":{"metrics":{"durationMs":2.5}}}',
        text_line(rid=RID),
    ]
    for engine in ENGINES:
        table = scan_buffer("\n".join(lines).encode(), engine=engine).reports()
        assert table.has_request_id.tolist() == [True, False, True]
        assert [r.request_id for r in table.to_reports()] == ["", None, RID]
        assert table.request_id.tolist()[:2] == [b"", b""]


def test_managed_instances_records_with_only_some_fields_are_read() -> None:
    # Managed Instances write JSON records that may carry only durationMs.
    lines = [
        '{"time":"2026-03-01T12:00:00Z","type":"platform.report","record":{"requestId":"m1","metrics":{"durationMs":4.25},"status":"success"}}',
        '{"time":"2026-03-01T12:00:01Z","type":"platform.report","record":{"requestId":"m2","metrics":{"durationMs":3.0,"maxMemoryUsedMB":90}}}',
        '{"time":"2026-03-01T12:00:00Z","type":"platform.initReport","record":{"initializationType":"lambda-managed-instances","phase":"init","metrics":{"durationMs":812.5}}}',
    ]
    for engine in ENGINES:
        found = scan_buffer("\n".join(lines).encode(), engine=engine)
        table = found.reports()
        assert table.duration_ms.tolist() == [4.25, 3.0]
        assert table.memory_mb.tolist() == [-1, -1] and table.billed_ms.tolist() == [-1, -1]
        assert table.max_memory_mb.tolist() == [-1, 90]
        init = [r for _, r in found.slow if r.kind == "init_report"]
        assert [r.init_ms for r in init] == [812.5]  # type: ignore[union-attr]
        assert np.isnan(table.init_ms).all()
