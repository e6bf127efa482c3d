"""REPORT statistics per log group from CloudWatch Logs Insights, aggregated on AWS's side.

One StartQuery covers at most 50 log groups (the API's limit) and groups its statistics by
``@log``, so an account of thousands of functions is a few dozen queries. At most
``max_concurrent`` queries run at once (the account quota is 30, dashboards included); a
LimitExceededException from StartQuery puts the batch back and lowers the ceiling to what is
running. Results are polled with a growing delay. A query that fails, is cancelled or times out
yields what it had (``partial``) and an error, never an exception for the whole run.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from powertune.collectors.account.usage import Usage
from powertune.errors import PowertuneError

MAX_LOG_GROUPS_PER_QUERY = 50
ACCOUNT_CONCURRENT_QUERIES = 30
DEFAULT_CONCURRENT_QUERIES = 10
TERMINAL = frozenset({"Complete", "Failed", "Cancelled", "Timeout", "Unknown"})
_RETRY_START = frozenset({"LimitExceededException", "ThrottlingException", "ServiceUnavailable"})

_STATS = """
| stats count({duration}) as reports,
  pct({duration}, 50) as duration_p50, pct({duration}, 95) as duration_p95,
  pct({duration}, 99) as duration_p99, avg({duration}) as duration_avg,
  pct({billed}, 50) as billed_p50, pct({billed}, 95) as billed_p95,
  pct({billed}, 99) as billed_p99, avg({billed}) as billed_avg,
  pct({used}, 99) as max_memory_p99, max({used}) as max_memory_max,
  max({size}) as memory_size,
  count({init}) as cold_starts, avg({init}) as init_avg, pct({init}, 99) as init_p99,
  sum(strcontains({timeout_src}, "{timeout_text}")) as timeouts,
  sum(strcontains({oom_src}, "OutOfMemory")) as out_of_memory
  by @log, {size}
""".strip()

# Text REPORT records: Insights discovers @duration etc. itself; memory fields come in bytes
# (Lambda's MB × 1000 × 1000, as AWS's own sample queries divide them).
TEXT_QUERY = 'filter @type = "REPORT" or @message like /Task timed out after/\n' + _STATS.format(
    duration="@duration",
    billed="@billedDuration",
    used="@maxMemoryUsed",
    size="@memorySize",
    init="@initDuration",
    timeout_src="@message",
    timeout_text="Task timed out after",
    oom_src="@message",
)
TEXT_MEMORY_UNIT = 1_000_000.0

# JSON log format: the platform.report record's fields are discovered from the JSON, in MB.
JSON_QUERY = 'filter type = "platform.report"\n' + _STATS.format(
    duration="record.metrics.durationMs",
    billed="record.metrics.billedDurationMs",
    used="record.metrics.maxMemoryUsedMB",
    size="record.metrics.memorySizeMB",
    init="record.metrics.initDurationMs",
    timeout_src="record.status",
    timeout_text="timeout",
    oom_src="record.errorType",
)
JSON_MEMORY_UNIT = 1.0


class InsightsError(PowertuneError):
    """Logs Insights refused the query itself (exit code 3)."""


@dataclass
class BatchResult:
    """One query over up to 50 log groups: its final status, rows and cost driver."""

    log_groups: tuple[str, ...]
    status: str = "NotStarted"
    rows: list[dict[str, str]] = field(default_factory=list)
    bytes_scanned: float | None = None
    error: str | None = None
    query_id: str | None = None

    @property
    def partial(self) -> bool:
        return self.status != "Complete"


@dataclass
class _Running:
    batch: BatchResult
    poll_at: float
    delay: float


def batches(log_groups: Sequence[str], size: int = MAX_LOG_GROUPS_PER_QUERY) -> list[list[str]]:
    """Split log groups into query-sized batches (duplicates dropped, order kept)."""
    if not 1 <= size <= MAX_LOG_GROUPS_PER_QUERY:
        raise ValueError(f"batch size must be 1..{MAX_LOG_GROUPS_PER_QUERY}")
    unique = list(dict.fromkeys(log_groups))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class InsightsRunner:
    """Runs one query over many log groups in bounded, polled, retried batches."""

    def __init__(
        self,
        logs_client: Any,
        *,
        max_concurrent: int = DEFAULT_CONCURRENT_QUERIES,
        batch_size: int = MAX_LOG_GROUPS_PER_QUERY,
        poll_initial_s: float = 1.0,
        poll_max_s: float = 10.0,
        start_retry_s: float = 2.0,
        deadline_s: float = 900.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        if not 1 <= max_concurrent <= ACCOUNT_CONCURRENT_QUERIES:
            raise ValueError(f"max_concurrent must be 1..{ACCOUNT_CONCURRENT_QUERIES}")
        self.client = logs_client
        self.max_concurrent = max_concurrent
        self.batch_size = batch_size
        self.poll_initial_s = poll_initial_s
        self.poll_max_s = poll_max_s
        self.start_retry_s = start_retry_s
        self.deadline_s = deadline_s
        self.sleep = sleep
        self.clock = clock
        self.on_progress = on_progress
        self.start_retries = 0  # LimitExceeded / throttled StartQuery calls, for the report

    def run(
        self, query: str, log_groups: Sequence[str], start: datetime, end: datetime
    ) -> list[BatchResult]:
        """Run ``query`` over ``log_groups`` between ``start`` and ``end``; one result a batch."""
        results = [BatchResult(tuple(b)) for b in batches(log_groups, self.batch_size)]
        pending = deque(results)
        running: dict[str, _Running] = {}
        ceiling = self.max_concurrent
        start_after = self.clock()
        retry_delay = self.start_retry_s
        deadline = self.clock() + self.deadline_s
        done = 0
        while pending or running:
            now = self.clock()
            if now >= deadline:
                self._give_up(pending, running)
                break
            while pending and len(running) < ceiling and now >= start_after:
                batch = pending[0]
                try:
                    query_id = self.client.start_query(
                        logGroupNames=list(batch.log_groups),
                        startTime=int(start.timestamp()),
                        endTime=int(end.timestamp()),
                        queryString=query,
                    )["queryId"]
                except ClientError as exc:
                    code = _error_code(exc)
                    if code in _RETRY_START:
                        # Too many queries in the account: wait for some to finish.
                        self.start_retries += 1
                        ceiling = max(1, len(running)) if running else ceiling
                        start_after = now + retry_delay
                        retry_delay = min(retry_delay * 2, 60.0)
                        break
                    if code == "MalformedQueryException":
                        raise InsightsError(f"Logs Insights rejected the query: {exc}") from exc
                    pending.popleft()
                    batch.status = "Failed"
                    batch.error = f"StartQuery: {code}: {exc.response['Error'].get('Message')}"
                    done += 1
                    continue
                except BotoCoreError as exc:
                    raise InsightsError(f"Logs Insights StartQuery failed: {exc}") from exc
                pending.popleft()
                batch.query_id = query_id
                batch.status = "Scheduled"
                retry_delay = self.start_retry_s
                running[query_id] = _Running(batch, now + self.poll_initial_s, self.poll_initial_s)
            for query_id, entry in list(running.items()):
                if entry.poll_at > now:
                    continue
                if self._poll(query_id, entry):
                    del running[query_id]
                    done += 1
                    # Others' queries (dashboards) finish too: creep back up after a cut.
                    ceiling = min(self.max_concurrent, ceiling + 1)
                    if self.on_progress:
                        self.on_progress(f"Logs Insights: {done}/{len(results)} queries done")
                else:
                    entry.delay = min(entry.delay * 1.5, self.poll_max_s)
                    entry.poll_at = now + entry.delay
            if not (pending or running):
                break
            wake = [e.poll_at for e in running.values()]
            if pending and len(running) < ceiling:
                wake.append(start_after)
            self.sleep(max(0.0, min(wake, default=now) - self.clock()))
        return results

    def _poll(self, query_id: str, entry: _Running) -> bool:
        """Read the query's results; True once it reached a final status."""
        try:
            response = self.client.get_query_results(queryId=query_id)
        except ClientError as exc:
            if _error_code(exc) in _RETRY_START:
                return False
            entry.batch.status = "Failed"
            entry.batch.error = f"GetQueryResults: {_error_code(exc)}"
            return True
        except BotoCoreError as exc:
            raise InsightsError(f"Logs Insights GetQueryResults failed: {exc}") from exc
        status = response.get("status", "Unknown")
        entry.batch.status = status
        # A running query already returns what it has found so far: keep it in case we stop.
        entry.batch.rows = [
            {cell["field"]: cell.get("value", "") for cell in row}
            for row in response.get("results", [])
        ]
        scanned = (response.get("statistics") or {}).get("bytesScanned")
        entry.batch.bytes_scanned = float(scanned) if scanned is not None else None
        if status not in TERMINAL:
            return False
        if status != "Complete":
            entry.batch.error = f"query {status.lower()}: results are partial"
        return True

    def _give_up(self, pending: deque[BatchResult], running: dict[str, _Running]) -> None:
        """The run's deadline passed: stop what runs (keeping what it found), skip the rest."""
        for query_id, entry in running.items():
            # It may have just finished; the results read below say so.
            with contextlib.suppress(ClientError, BotoCoreError):
                self.client.stop_query(queryId=query_id)
            finished = self._poll(query_id, entry)
            if not finished:
                entry.batch.status = "Timeout"
            if entry.batch.status != "Complete":
                entry.batch.error = "deadline reached: results are partial"
        for batch in pending:
            batch.status = "NotStarted"
            batch.error = "deadline reached before the query could start"


def _num(row: dict[str, str], key: str) -> float | None:
    value = row.get(key)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def log_group_of(row: dict[str, str]) -> str:
    """``@log`` is ``account-id:log-group-name``; the name may itself hold colons."""
    value = row.get("@log", "")
    account, sep, name = value.partition(":")
    return name if sep and account.isdigit() else value


def usage_from_row(row: dict[str, str], memory_unit: float, *, partial: bool = False) -> Usage:
    """One ``stats ... by @log`` row as a Usage (memory converted to MB)."""

    def mb(key: str) -> float | None:
        value = _num(row, key)
        return None if value is None else value / memory_unit

    size = mb("memory_size")
    return Usage(
        reports=int(_num(row, "reports") or 0),
        duration_p50_ms=_num(row, "duration_p50"),
        duration_p95_ms=_num(row, "duration_p95"),
        duration_p99_ms=_num(row, "duration_p99"),
        duration_avg_ms=_num(row, "duration_avg"),
        billed_p50_ms=_num(row, "billed_p50"),
        billed_p95_ms=_num(row, "billed_p95"),
        billed_p99_ms=_num(row, "billed_p99"),
        billed_avg_ms=_num(row, "billed_avg"),
        max_memory_p99_mb=mb("max_memory_p99"),
        max_memory_max_mb=mb("max_memory_max"),
        memory_size_mb=round(size) if size is not None else None,
        cold_starts=int(_num(row, "cold_starts") or 0),
        init_avg_ms=_num(row, "init_avg"),
        init_p99_ms=_num(row, "init_p99"),
        timeouts=int(_num(row, "timeouts") or 0),
        out_of_memory=int(_num(row, "out_of_memory") or 0),
        partial=partial,
    )


@dataclass
class InsightsOutcome:
    """Usage rows per log group (one per memory size seen), what went wrong, what was scanned."""

    rows: dict[str, list[Usage]]
    errors: list[str]
    bytes_scanned: float
    queries: int
    start_retries: int

    def usage_for(self, log_group: str, memory_mb: int | None = None) -> Usage | None:
        """The statistics at ``memory_mb`` (the configured size), else at the size seen most.

        Invocations at other sizes (before a memory change in the window) are counted in
        ``other_size_reports`` only. Rows without a size ("Task timed out" lines) add their
        timeouts. None when the group was not queried.
        """
        rows = self.rows.get(log_group)
        if rows is None:
            return None
        sized = [u for u in rows if u.memory_size_mb is not None and u.reports]
        main = next((u for u in sized if u.memory_size_mb == memory_mb), None)
        if main is None:
            main = max(sized, key=lambda u: u.reports) if sized else Usage(reports=0)
        loose = [u for u in rows if u.memory_size_mb is None]
        return replace(
            main,
            timeouts=main.timeouts + sum(u.timeouts for u in loose),
            out_of_memory=main.out_of_memory + sum(u.out_of_memory for u in loose),
            other_size_reports=sum(u.reports for u in sized if u is not main),
            partial=any(u.partial for u in rows),
        )


def gather_usage(
    runner: InsightsRunner,
    log_groups_by_format: Mapping[str, Sequence[str]],
    start: datetime,
    end: datetime,
) -> InsightsOutcome:
    """Run the text and JSON queries over their log groups and read the rows as Usage."""
    rows: dict[str, list[Usage]] = {}
    errors: list[str] = []
    scanned = 0.0
    queries = 0
    for log_format, groups in log_groups_by_format.items():
        if not groups:
            continue
        if log_format.upper() == "JSON":
            query, unit = JSON_QUERY, JSON_MEMORY_UNIT
        else:
            query, unit = TEXT_QUERY, TEXT_MEMORY_UNIT
        for batch in runner.run(query, groups, start, end):
            queries += 1
            scanned += batch.bytes_scanned or 0.0
            if batch.error:
                errors.append(f"{len(batch.log_groups)} log groups: {batch.error}")
            for group in batch.log_groups:
                rows[group] = []  # queried: no row at all means no REPORT record
            for row in batch.rows:
                if "@log" not in row:
                    continue  # not a `stats ... by @log` row: nothing to attribute
                usage = usage_from_row(row, unit, partial=batch.partial)
                rows.setdefault(log_group_of(row), []).append(usage)
            if batch.partial:
                # Groups without a row in a partial batch are unknown, not idle.
                for group in batch.log_groups:
                    if not rows[group]:
                        rows[group].append(Usage(reports=0, partial=True))
    return InsightsOutcome(rows, errors, scanned, queries, runner.start_retries)
