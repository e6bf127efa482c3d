"""Filter patterns and paging of the local runtime's CloudWatch Logs."""

from __future__ import annotations

import pytest

from powertune.local.errors import ApiError
from powertune.local.logstore import LogStore, compile_pattern


def test_text_patterns_terms_phrases_alternatives_and_exclusions() -> None:
    assert compile_pattern("")("anything")
    assert compile_pattern("REPORT")("REPORT RequestId: a\tDuration: 1 ms")
    assert not compile_pattern("REPORT")("START RequestId: a")
    phrase = compile_pattern('"RequestId: abc" Duration')
    assert phrase("REPORT RequestId: abc\tDuration: 1 ms")
    assert not phrase("REPORT RequestId: abd\tDuration: 1 ms")
    either = compile_pattern("?ERROR ?WARN")
    assert either("[ERROR] x") and either("[WARN] y") and not either("[INFO] z")
    assert not compile_pattern("REPORT -timeout")("REPORT ... Status: timeout")


def test_json_patterns() -> None:
    report = '{"type":"platform.report","record":{"requestId":"r1","metrics":{"durationMs":1.5}}}'
    assert compile_pattern('{ $.type = "platform.report" }')(report)
    both = compile_pattern('{ $.type = "platform.report" && $.record.requestId = "r1" }')
    assert both(report) and not both(report.replace("r1", "r2"))
    assert compile_pattern("{ $.record.metrics.durationMs = 1.5 }")(report)
    assert compile_pattern('{ $.type != "platform.start" }')(report)
    assert compile_pattern('{ $.type = "x" || $.record.requestId = "r1" }')(report)
    assert not compile_pattern('{ $.type = "platform.report" }')("REPORT RequestId: r1")
    with pytest.raises(ApiError):
        compile_pattern("{ not a pattern }")


def test_get_log_events_pages_forward_and_backward() -> None:
    store = LogStore()
    store.append("/aws/lambda/f", "s", [(1000 + i, f"line {i}\n") for i in range(5)])
    first = store.handle(
        "GetLogEvents",
        {"logGroupName": "/aws/lambda/f", "logStreamName": "s", "startFromHead": True, "limit": 2},
    )
    assert [e["message"] for e in first["events"]] == ["line 0\n", "line 1\n"]
    second = store.handle(
        "GetLogEvents",
        {
            "logGroupName": "/aws/lambda/f",
            "logStreamName": "s",
            "nextToken": first["nextForwardToken"],
        },
    )
    assert [e["message"] for e in second["events"]] == ["line 2\n", "line 3\n", "line 4\n"]
    newest = store.handle(
        "GetLogEvents", {"logGroupName": "/aws/lambda/f", "logStreamName": "s", "limit": 2}
    )
    assert [e["message"] for e in newest["events"]] == ["line 3\n", "line 4\n"]
    windowed = store.handle(
        "FilterLogEvents", {"logGroupName": "/aws/lambda/f", "startTime": 1001, "endTime": 1003}
    )
    assert [e["timestamp"] for e in windowed["events"]] == [1001, 1002, 1003]
    with pytest.raises(ApiError) as missing:
        store.handle("GetLogEvents", {"logGroupName": "/aws/lambda/f", "logStreamName": "t"})
    assert missing.value.code == "ResourceNotFoundException"
