"""Window totals from CloudWatch metrics, many functions per GetMetricData call.

GetMetricData takes up to 500 queries a call; each function needs four AWS/Lambda metrics and its
log group's AWS/Logs IncomingBytes, so one call covers 100 functions. One period spans the whole
window, so every query returns at most one datapoint (far under the 100,800-datapoint cap).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from powertune.collectors.account.inventory import FunctionConfig
from powertune.collectors.account.usage import Metrics
from powertune.collectors.metrics import MetricsError, fetch_metric_values, metric_query

MAX_QUERIES_PER_CALL = 500

# (field of Metrics, metric name, statistic) in AWS/Lambda; the log group metric comes last.
_LAMBDA_METRICS = (
    ("invocations", "Invocations", "Sum"),
    ("errors", "Errors", "Sum"),
    ("throttles", "Throttles", "Sum"),
    ("concurrency_max", "ConcurrentExecutions", "Maximum"),
)
QUERIES_PER_FUNCTION = len(_LAMBDA_METRICS) + 1

__all__ = ["MetricsError", "gather_metrics", "window_period"]


def window_period(start: datetime, end: datetime) -> int:
    """One period covering the window, rounded up to a whole hour (valid at any data age)."""
    seconds = int((end - start).total_seconds())
    return max(3600, -(-seconds // 3600) * 3600)


def _queries(index: int, function: FunctionConfig, period: int) -> list[dict[str, Any]]:
    lambda_dim = ("FunctionName", function.name)
    queries = [
        metric_query(
            f"f{index}_{field}",
            namespace="AWS/Lambda",
            metric=name,
            dimension=lambda_dim,
            stat=stat,
            period=period,
        )
        for field, name, stat in _LAMBDA_METRICS
    ]
    queries.append(
        metric_query(
            f"f{index}_log_incoming_bytes",
            namespace="AWS/Logs",
            metric="IncomingBytes",
            dimension=("LogGroupName", function.log_group),
            stat="Sum",
            period=period,
        )
    )
    return queries


def gather_metrics(
    cloudwatch_client: Any,
    functions: Sequence[FunctionConfig],
    start: datetime,
    end: datetime,
    *,
    on_progress: Callable[[str], None] | None = None,
) -> dict[str, Metrics]:
    """Metric totals over [start, end) per function name; absent datapoints stay None."""
    period = window_period(start, end)
    per_call = MAX_QUERIES_PER_CALL // QUERIES_PER_FUNCTION
    values: dict[str, dict[str, float]] = {f.name: {} for f in functions}
    maximums = {"concurrency_max"}
    for offset in range(0, len(functions), per_call):
        chunk = functions[offset : offset + per_call]
        queries = [q for i, f in enumerate(chunk) for q in _queries(offset + i, f, period)]
        found = fetch_metric_values(
            queries, start=start, end=end, client=cloudwatch_client, what="the account's functions"
        )
        for query_id, points in found.items():
            if not points:
                continue
            index, _, field = query_id[1:].partition("_")
            seen = values[functions[int(index)].name]
            if field in maximums:
                seen[field] = max([*points, seen.get(field, points[0])])
            else:
                seen[field] = seen.get(field, 0.0) + sum(points)
        if on_progress:
            on_progress(f"metrics: {min(offset + per_call, len(functions))}/{len(functions)}")
    return {name: Metrics(**fields) for name, fields in values.items()}
