"""Logs Insights runner against botocore Stubber: exact StartQuery / GetQueryResults shapes."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from powertune.collectors.account.insights import (
    JSON_QUERY,
    TEXT_QUERY,
    InsightsError,
    InsightsRunner,
    batches,
    gather_usage,
    log_group_of,
)
from powertune.collectors.account.usage import Usage

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
END = datetime(2026, 11, 15, tzinfo=timezone.utc)


class FakeClock:
    """Time that only moves when the runner sleeps, so polling is exact and instant."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _logs() -> Any:
    return boto3.client(
        "logs", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )


def _runner(client: Any, clock: FakeClock, **kw: Any) -> InsightsRunner:
    return InsightsRunner(client, sleep=clock.sleep, clock=clock, **kw)


def _row(group: str, **fields: str) -> list[dict[str, str]]:
    fields.setdefault("memory_size", "128000000")  # every REPORT row carries its size
    cells = [{"field": "@log", "value": f"123456789012:{group}"}]
    cells += [{"field": k, "value": v} for k, v in fields.items()]
    return cells


def _start(stub: Stubber, groups: list[str], query_id: str, query: str = TEXT_QUERY) -> None:
    stub.add_response(
        "start_query",
        {"queryId": query_id},
        {
            "logGroupNames": groups,
            "startTime": int(START.timestamp()),
            "endTime": int(END.timestamp()),
            "queryString": query,
        },
    )


def _results(
    stub: Stubber, query_id: str, status: str, rows: list[Any] | None = None, scanned: float = 0
) -> None:
    stub.add_response(
        "get_query_results",
        {
            "status": status,
            "results": rows or [],
            "statistics": {"recordsMatched": 1.0, "recordsScanned": 2.0, "bytesScanned": scanned},
        },
        {"queryId": query_id},
    )


def test_batches_respect_the_50_group_limit_and_drop_duplicates() -> None:
    groups = [f"/aws/lambda/f{i}" for i in range(120)] + ["/aws/lambda/f0"]
    sizes = [len(b) for b in batches(groups)]
    assert sizes == [50, 50, 20]
    with pytest.raises(ValueError):
        batches(groups, 51)


def test_running_then_complete_reads_rows_in_megabytes() -> None:
    client, clock = _logs(), FakeClock()
    with Stubber(client) as stub:
        _start(stub, ["/aws/lambda/a", "/aws/lambda/b"], "q1")
        _results(stub, "q1", "Running")
        _results(stub, "q1", "Running")
        full = _row(
            "/aws/lambda/a",
            reports="1000",
            duration_p50="12.5",
            duration_p99="80.1",
            billed_avg="20.2",
            max_memory_p99="70000000",
            max_memory_max="73000000",
            memory_size="1024000000",
            cold_starts="7",
            init_avg="300.5",
            timeouts="2",
            out_of_memory="0",
        )
        _results(stub, "q1", "Complete", [full], scanned=5e9)
        runner = _runner(client, clock, poll_initial_s=1.0)
        outcome = gather_usage(runner, {"Text": ["/aws/lambda/a", "/aws/lambda/b"]}, START, END)
        stub.assert_no_pending_responses()
    usage = outcome.usage_for("/aws/lambda/a")
    assert usage.reports == 1000
    assert usage.max_memory_p99_mb == 70.0
    assert usage.max_memory_max_mb == 73.0
    assert usage.memory_size_mb == 1024
    assert usage.cold_starts == 7 and usage.timeouts == 2
    assert usage.duration_p95_ms is None  # absent field stays unknown
    assert not usage.partial
    assert outcome.usage_for("/aws/lambda/b") == Usage(reports=0)  # queried, no REPORT rows
    assert outcome.bytes_scanned == 5e9 and outcome.errors == []
    # Polls back off: 1 s, then 1.5 s, then 2.25 s.
    assert clock.sleeps == [1.0, 1.5, 2.25]


def test_json_log_format_uses_the_platform_report_query_in_mb() -> None:
    client, clock = _logs(), FakeClock()
    with Stubber(client) as stub:
        _start(stub, ["/aws/lambda/j"], "qj", JSON_QUERY)
        _results(
            stub,
            "qj",
            "Complete",
            [_row("/aws/lambda/j", reports="3", max_memory_max="88", memory_size="1024")],
        )
        outcome = gather_usage(_runner(client, clock), {"JSON": ["/aws/lambda/j"]}, START, END)
    assert outcome.usage_for("/aws/lambda/j").max_memory_max_mb == 88.0


def test_start_query_limit_exceeded_is_retried_after_a_wait() -> None:
    client, clock = _logs(), FakeClock()
    with Stubber(client) as stub:
        stub.add_client_error(
            "start_query", "LimitExceededException", "too many concurrent queries"
        )
        _start(stub, ["/aws/lambda/a"], "q1")
        _results(stub, "q1", "Complete", [_row("/aws/lambda/a", reports="5")])
        runner = _runner(client, clock, start_retry_s=2.0, poll_initial_s=1.0)
        outcome = gather_usage(runner, {"Text": ["/aws/lambda/a"]}, START, END)
        stub.assert_no_pending_responses()
    assert outcome.start_retries == 1
    assert outcome.usage_for("/aws/lambda/a").reports == 5
    assert clock.sleeps[0] == 2.0  # waited before starting again


def test_no_more_than_max_concurrent_queries_run_at_once() -> None:
    # Stubber is strict about order: a third StartQuery before a poll would fail the test.
    client, clock = _logs(), FakeClock()
    groups = [f"/aws/lambda/f{i}" for i in range(5)]
    with Stubber(client) as stub:
        _start(stub, groups[0:2], "q1")
        _start(stub, groups[2:4], "q2")
        _results(stub, "q1", "Complete", [_row(groups[0], reports="1")])
        _results(stub, "q2", "Complete", [_row(groups[2], reports="2")])
        _start(stub, groups[4:5], "q3")
        _results(stub, "q3", "Complete", [_row(groups[4], reports="3")])
        runner = _runner(client, clock, max_concurrent=2, batch_size=2)
        outcome = gather_usage(runner, {"Text": groups}, START, END)
        stub.assert_no_pending_responses()
    assert outcome.queries == 3
    assert [outcome.usage_for(g).reports for g in groups] == [1, 0, 2, 0, 3]


@pytest.mark.parametrize("status", ["Failed", "Cancelled", "Timeout"])
def test_unfinished_queries_keep_partial_rows_and_report_an_error(status: str) -> None:
    client, clock = _logs(), FakeClock()
    with Stubber(client) as stub:
        _start(stub, ["/aws/lambda/a", "/aws/lambda/b"], "q1")
        _results(stub, "q1", status, [_row("/aws/lambda/a", reports="40")])
        outcome = gather_usage(
            _runner(client, clock), {"Text": ["/aws/lambda/a", "/aws/lambda/b"]}, START, END
        )
    assert outcome.usage_for("/aws/lambda/a").reports == 40
    assert outcome.usage_for("/aws/lambda/a").partial
    assert (
        outcome.usage_for("/aws/lambda/b").partial
        and outcome.usage_for("/aws/lambda/b").reports == 0
    )
    assert len(outcome.errors) == 1 and status.lower() in outcome.errors[0]


def test_missing_log_group_fails_only_its_batch() -> None:
    client, clock = _logs(), FakeClock()
    with Stubber(client) as stub:
        stub.add_client_error("start_query", "ResourceNotFoundException", "Log group gone")
        _start(stub, ["/aws/lambda/c"], "q2")
        _results(stub, "q2", "Complete", [_row("/aws/lambda/c", reports="9")])
        runner = _runner(client, clock, batch_size=1)
        outcome = gather_usage(runner, {"Text": ["/aws/lambda/gone", "/aws/lambda/c"]}, START, END)
    assert outcome.usage_for("/aws/lambda/c").reports == 9
    assert "ResourceNotFoundException" in outcome.errors[0]


def test_deadline_stops_running_queries_and_keeps_what_they_found() -> None:
    client, clock = _logs(), FakeClock()
    with Stubber(client) as stub:
        _start(stub, ["/aws/lambda/a"], "q1")
        _results(stub, "q1", "Running", [_row("/aws/lambda/a", reports="10")])
        stub.add_response("stop_query", {"success": True}, {"queryId": "q1"})
        _results(stub, "q1", "Running", [_row("/aws/lambda/a", reports="11")])
        runner = _runner(client, clock, deadline_s=1.5, poll_initial_s=1.0)
        results = runner.run(TEXT_QUERY, ["/aws/lambda/a"], START, END)
        stub.assert_no_pending_responses()
    assert results[0].status == "Timeout"
    assert results[0].rows[0]["reports"] == "11"
    assert "deadline" in (results[0].error or "")


def test_malformed_query_is_a_tool_error() -> None:
    client, clock = _logs(), FakeClock()
    with Stubber(client) as stub:
        stub.add_client_error("start_query", "MalformedQueryException", "unexpected token")
        with pytest.raises(InsightsError, match="rejected the query"):
            _runner(client, clock).run("stats nonsense(", ["/aws/lambda/a"], START, END)


def test_log_column_keeps_colons_in_group_names() -> None:
    assert log_group_of({"@log": "123456789012:/custom/a:b"}) == "/custom/a:b"
    assert log_group_of({"@log": "/aws/lambda/x"}) == "/aws/lambda/x"


def test_limit_exceeded_lowers_the_ceiling_then_it_recovers() -> None:
    client, clock = _logs(), FakeClock()
    groups = [f"/aws/lambda/f{i}" for i in range(3)]
    with Stubber(client) as stub:
        _start(stub, groups[0:1], "q1")
        stub.add_client_error("start_query", "LimitExceededException", "30 queries running")
        _results(stub, "q1", "Complete", [_row(groups[0], reports="1")])  # t=1: ceiling back to 2
        _start(stub, groups[1:2], "q2")  # t=2: the retry wait is over, two may run again
        _start(stub, groups[2:3], "q3")
        _results(stub, "q2", "Complete", [_row(groups[1], reports="2")])
        _results(stub, "q3", "Complete", [_row(groups[2], reports="3")])
        runner = _runner(client, clock, max_concurrent=2, batch_size=1, start_retry_s=2.0)
        outcome = gather_usage(runner, {"Text": groups}, START, END)
        stub.assert_no_pending_responses()
    assert outcome.start_retries == 1
    assert [outcome.usage_for(g).reports for g in groups] == [1, 2, 3]
    assert clock.now == 3.0  # q1 polled at 1 s, q2/q3 started at 2 s and polled at 3 s


def test_rows_per_memory_size_pick_the_configured_one() -> None:
    # A function resized from 2048 to 1024 MB inside the window, plus "Task timed out" lines
    # (which carry no size, so they form their own row).
    client, clock = _logs(), FakeClock()
    group = "/aws/lambda/resized"
    rows = [
        _row(group, reports="900", memory_size="2048000000", billed_avg="50"),
        _row(group, reports="100", memory_size="1024000000", billed_avg="80", timeouts="0"),
        _row(group, reports="0", memory_size="", timeouts="4"),
    ]
    with Stubber(client) as stub:
        _start(stub, [group], "q1")
        _results(stub, "q1", "Complete", rows)
        outcome = gather_usage(_runner(client, clock), {"Text": [group]}, START, END)
    now = outcome.usage_for(group, 1024)
    assert now is not None
    assert (now.reports, now.billed_avg_ms, now.memory_size_mb) == (100, 80.0, 1024)
    assert now.other_size_reports == 900 and now.timeouts == 4
    # Configured size never seen: the busiest size stands in, and says which it is.
    other = outcome.usage_for(group, 512)
    assert other is not None and other.memory_size_mb == 2048 and other.other_size_reports == 100
    assert outcome.usage_for("/aws/lambda/never-queried") is None
