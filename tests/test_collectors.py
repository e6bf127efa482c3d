"""The REPORT parser against every real record we have, every documented variant, and tails."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from powertune.logs import (
    RECORD_KEYS,
    End,
    InitReport,
    Malformed,
    ParseStats,
    Report,
    RestoreReport,
    Start,
    decode_log_result,
    iter_log_text,
    iter_records,
    parse_record,
)

DATA = Path(__file__).parent / "data"
LINES = [json.loads(line) for line in (DATA / "report-lines.jsonl").read_text().splitlines()]
IGNORED_KINDS = {"xray", "function_log", "runtime_error"}


@pytest.mark.parametrize("case", LINES, ids=[f"line{i + 1}" for i in range(len(LINES))])
def test_every_real_line_parses_to_the_hand_checked_values(case: dict) -> None:
    expected = case["expected"]
    record = parse_record(case["text"])
    kind = expected["kind"]
    if kind in IGNORED_KINDS:
        assert record is None
        return
    assert record is not None
    if kind in ("start", "end"):
        assert record.kind == kind
        return
    assert (
        record.kind
        == {
            "report_text": "report",
            "report_json": "report",
            "restore_report_json": "restore_report",
            "restore_report": "restore_report",
            "init_report": "init_report",
        }[kind]
    )
    got = record.to_json()
    assert list(got) == list(RECORD_KEYS)
    for key, value in expected.items():
        if key != "kind":
            assert got[key] == value, key


def test_real_lines_cover_the_variants_the_issue_names() -> None:
    texts = [case["text"] for case in LINES]
    assert any("\t" not in t and "  " in t and t.startswith("REPORT") for t in texts)  # spaces
    assert any(re.search(r"Init Duration: [\d.]+ ms\s+Duration:", t) for t in texts)  # order
    assert any("XRAY" in t and t.startswith("REPORT") for t in texts)
    assert any('"platform.report"' in t and "billedDurationMs" not in t for t in texts)


def _report(text: str) -> Report:
    record = parse_record(text)
    assert isinstance(record, Report)
    return record


def test_duration_is_never_read_from_the_other_duration_fields() -> None:
    # Every field order; "Duration" last, after all four longer names that end in "Duration".
    r = _report(
        "REPORT RequestId: abc Billed Restore Duration: 75 ms Restore Duration: 474.16 ms "
        "Init Duration: 9.5 ms Billed Duration: 500 ms Memory Size: 1024 MB "
        "Max Memory Used: 21 MB Duration: 469.40 ms"
    )
    assert (r.duration_ms, r.billed_ms, r.init_ms) == (469.40, 500, 9.5)
    assert (r.restore_ms, r.billed_restore_ms, r.memory_mb, r.max_memory_mb) == (
        474.16,
        75,
        1024,
        21,
    )


def test_an_unknown_field_ending_in_duration_is_ignored_not_misread() -> None:
    r = _report(
        "REPORT RequestId: abc\tExtension Overhead Duration: 999.00 ms\tDuration: 1.50 ms\t"
        "Billed Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\t"
    )
    assert r.duration_ms == 1.5
    assert r.billed_ms == 2


@pytest.mark.parametrize(
    "prefix",
    [
        "2023-05-31T12:00:00.123Z ",
        "2023-05-31T12:00:00.123000+00:00 2023/05/31/[$LATEST]0c1d2f3e4a5b6c7d8e9f ",  # aws logs tail
        "2021/08/03/[$LATEST]0c1d2f3e4a5b6c7d8e9f 2021-08-03T12:00:00.123000 ",  # sam logs
        "2021/08/03/[3]0c1d2f3e 2021-08-03T12:00:00.123000\t",
        "1700000000123\t",
        "   ",
    ],
)
def test_timestamp_and_stream_prefixes(prefix: str) -> None:
    r = _report(
        prefix + "REPORT RequestId: 1f2e\tDuration: 3.21 ms\tBilled Duration: 4 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 40 MB\tInit Duration: 100.00 ms\t"
    )
    assert (r.request_id, r.duration_ms, r.billed_ms, r.init_ms) == ("1f2e", 3.21, 4, 100.0)


def test_a_function_log_that_mentions_report_is_not_a_report() -> None:
    line = (
        "2023-05-31T12:00:00.123Z\t9f8e\tINFO\tREPORT RequestId: x\tDuration: 1.00 ms\t"
        "Billed Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 1 MB"
    )
    assert parse_record(line) is None


def test_missing_request_id_and_status_fields() -> None:
    r = _report(
        "REPORT Duration: 3003.16 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\t"
        "Max Memory Used: 48 MB\tStatus: timeout\t"
    )
    assert r.request_id is None
    assert r.status == "timeout"
    assert r.error_type is None
    oom = _report(
        "REPORT RequestId: a\tDuration: 50.00 ms\tBilled Duration: 50 ms\tMemory Size: 128 MB\t"
        "Max Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory\t"
    )
    assert (oom.status, oom.error_type) == ("error", "Runtime.OutOfMemory")


def test_text_status_is_null_when_absent_not_defaulted() -> None:
    r = _report("REPORT RequestId: a\tDuration: 1.0 ms\tBilled Duration: 1 ms\t")
    assert r.status is None
    assert r.to_json()["status"] is None


def test_escaped_newline_in_a_one_record_per_line_file_is_one_record() -> None:
    text = (
        "REPORT RequestId: 814b\\tDuration: 1711.87 ms\\tBilled Duration: 1800 ms\\t"
        "Memory Size: 128 MB\\tMax Memory Used: 98 MB\\t\\nXRAY TraceId: 1-5d83\\t"
        "SegmentId: 3125\\tSampled: true"
    )
    stats = ParseStats()
    records = list(iter_records([text], stats))
    assert len(records) == 1
    assert isinstance(records[0], Report)
    assert (records[0].duration_ms, records[0].max_memory_mb) == (1711.87, 98)


def test_init_and_restore_reports_text_and_json() -> None:
    init = parse_record("INIT_REPORT Init Duration: 10003.89 ms\tPhase: init\tStatus: timeout")
    assert isinstance(init, InitReport)
    assert (init.init_ms, init.phase, init.status, init.duration_ms) == (
        10003.89,
        "init",
        "timeout",
        None,
    )
    assert init.to_json()["kind"] == "init_report"
    restore = parse_record(
        "RESTORE_REPORT Restore Duration: 456.78 ms\tStatus: error\tError Type: X"
    )
    assert isinstance(restore, RestoreReport)
    assert (restore.restore_ms, restore.error_type) == (456.78, "X")
    jinit = parse_record(
        '{"time":"2024-01-01T00:00:00.000Z","type":"platform.initReport","record":'
        '{"initializationType":"on-demand","phase":"init","status":"success",'
        '"metrics":{"durationMs":125.33}}}'
    )
    assert isinstance(jinit, InitReport)
    assert (jinit.init_ms, jinit.initialization_type, jinit.status) == (
        125.33,
        "on-demand",
        "success",
    )


def test_start_end_and_other_platform_records() -> None:
    assert parse_record("START RequestId: abc Version: 7") == Start(request_id="abc", version="7")
    assert parse_record("END RequestId: abc") == End(request_id="abc")
    assert (
        parse_record("INIT_START Runtime Version: python:3.12.v30\tRuntime Version ARN: x") is None
    )
    assert parse_record("EXTENSION\tName: foo\tState: Ready\tEvents: [INVOKE,SHUTDOWN]") is None
    assert parse_record('{"time":"t","type":"platform.initStart","record":{}}') is None
    end = parse_record(
        '{"time":"t","type":"platform.runtimeDone","record":{"requestId":"r","status":"success"}}'
    )
    assert end == End(request_id="r", status="success")


def test_json_optional_metrics_are_absent_not_zero() -> None:
    r = _report(
        '{"time":"t","type":"platform.report","record":{"requestId":"r","metrics":'
        '{"durationMs":2.5,"billedDurationMs":3,"memorySizeMB":128,"maxMemoryUsedMB":40},'
        '"status":"success"}}'
    )
    assert r.init_ms is None and r.restore_ms is None and r.billed_restore_ms is None
    assert r.error_type is None
    assert r.log_format == "json"


@pytest.mark.parametrize(
    "text",
    [
        "REPORT RequestId: a\tBilled Duration: 3 ms",  # no Duration
        "REPORT RequestId: a\tDuration: fast ms\tBilled Duration: 3 ms",
        "REPORT RequestId: a\tDuration: 1.0 ms\tBilled Duration: 3.5 ms",  # billed is whole
        "REPORT RequestId: a\tDuration: 1.0 MB",  # wrong unit
        "REPORT RequestId: a\tDuration: 1.0 ms\tDuration: 2.0 ms",  # repeated
        '{"type":"platform.report","record":{"metrics":{"durationMs":"1"}}}',
        '{"type":"platform.report","record":{"metrics":{"durationMs":-1}}}',
        '{"type":"platform.report","record":{"metrics":{"billedDurationMs":2}}}',
        '{"type":"platform.report","record":{"metrics":{"durationMs":1,"memorySizeMB":true}}}',
        '{"type":"platform.report","record":{"metrics":{"durationMs":1',
        '{"type":"platform.report","record":[]}',
    ],
)
def test_malformed_platform_records_raise_malformed_and_are_counted(text: str) -> None:
    with pytest.raises(Malformed):
        parse_record(text)
    stats = ParseStats()
    assert list(iter_records([text, "END RequestId: a"], stats)) == [End(request_id="a")]
    assert stats.malformed == 1
    assert stats.examples[0][0] == 1


def test_structured_function_logs_and_broken_json_from_functions_are_ignored() -> None:
    assert (
        parse_record(
            '{"timestamp":"t","level":"INFO","message":"REPORT RequestId: x Duration: 1 ms"}'
        )
        is None
    )
    assert parse_record('{"level": "INFO", "message": "half') is None
    assert parse_record("[1, 2, 3]") is None


def _tail(text: str) -> str:
    return base64.b64encode(text.encode()[-4096:]).decode()


def test_log_result_tail_text_and_json() -> None:
    noisy = "".join(f"2024-01-01T00:00:00.000Z\tr1\tINFO\tline {i} é\n" for i in range(400))
    log = (
        "START RequestId: r1 Version: 3\n"
        + noisy
        + "END RequestId: r1\n"
        + "REPORT RequestId: r1\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\t"
        "Max Memory Used: 60 MB\t\n"
    )
    assert len(log.encode()) > 4096  # START was pushed out of the tail
    records = decode_log_result(_tail(log))
    assert records[-1] == Report(
        request_id="r1", duration_ms=12.34, billed_ms=13, memory_mb=512, max_memory_mb=60
    )
    assert not any(isinstance(r, Start) for r in records)
    json_log = (
        '{"time":"t","type":"platform.start","record":{"requestId":"r2","version":"$LATEST"}}\n'
        '{"time":"t","type":"platform.report","record":{"requestId":"r2","metrics":{"durationMs":'
        '1.5,"billedDurationMs":2,"memorySizeMB":128,"maxMemoryUsedMB":30,"initDurationMs":80.2}'
        ',"status":"success"}}\n'
    )
    last = decode_log_result(_tail(json_log))[-1]
    assert isinstance(last, Report)
    assert (last.init_ms, last.status) == (80.2, "success")
    assert decode_log_result(None) == []
    assert decode_log_result("not base64!!") == []


def test_filter_log_events_and_get_log_events_json() -> None:
    report = "REPORT RequestId: r\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 2 MB\t\n"
    filtered = json.dumps(
        {
            "events": [
                {
                    "logStreamName": "2024/01/01/[$LATEST]ab",
                    "timestamp": 1,
                    "message": "START RequestId: r Version: $LATEST\n",
                    "ingestionTime": 2,
                    "eventId": "1",
                },
                {
                    "logStreamName": "2024/01/01/[$LATEST]ab",
                    "timestamp": 1,
                    "message": report,
                    "ingestionTime": 2,
                    "eventId": "2",
                },
            ],
            "searchedLogStreams": [],
        },
        indent=4,
    )
    got = list(iter_log_text(filtered))
    assert got[1] == ("2024/01/01/[$LATEST]ab", report)
    pages = json.dumps(
        {
            "events": [{"timestamp": 1, "message": report, "ingestionTime": 2}],
            "nextForwardToken": "f",
        }
    )
    reports = [
        r
        for r in iter_records(m for _, m in iter_log_text(pages + "\n" + pages))
        if isinstance(r, Report)
    ]
    assert len(reports) == 2
    jsonl = json.dumps(
        {"timestamp": 1, "message": report, "ingestionTime": 2, "logStreamName": "s"}
    )
    assert list(iter_log_text(jsonl)) == [("s", report)]
