"""Window totals from CloudWatch metrics, many functions per GetMetricData call.

GetMetricData takes up to 500 queries a call; each function needs four AWS/Lambda metrics and its
log group's AWS/Logs IncomingBytes, so one call covers 100 functions. One period spans the whole
window, so every query returns at most one datapoint (far under the 100,800-datapoint cap).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from powertune.analyze.inventory import FunctionConfig
from powertune.analyze.usage import Metrics
from powertune.errors import PowertuneError

MAX_QUERIES_PER_CALL = 500

# (field of Metrics, namespace, metric name, statistic); the log group metric comes last.
_LAMBDA_METRICS = (
    ("invocations", "Invocations", "Sum"),
    ("errors", "Errors", "Sum"),
    ("throttles", "Throttles", "Sum"),
    ("concurrency_max", "ConcurrentExecutions", "Maximum"),
)
QUERIES_PER_FUNCTION = len(_LAMBDA_METRICS) + 1


class MetricsError(PowertuneError):
    """CloudWatch GetMetricData failed (exit code 3)."""


def window_period(start: datetime, end: datetime) -> int:
    """One period covering the window, rounded up to a whole hour (valid at any data age)."""
    seconds = int((end - start).total_seconds())
    return max(3600, -(-seconds // 3600) * 3600)


def _queries(index: int, function: FunctionConfig, period: int) -> list[dict[str, Any]]:
    queries = []
    for field, name, stat in _LAMBDA_METRICS:
        queries.append(
            {
                "Id": f"f{index}_{field}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/Lambda",
                        "MetricName": name,
                        "Dimensions": [{"Name": "FunctionName", "Value": function.name}],
                    },
                    "Period": period,
                    "Stat": stat,
                },
                "ReturnData": True,
            }
        )
    queries.append(
        {
            "Id": f"f{index}_log_incoming_bytes",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Logs",
                    "MetricName": "IncomingBytes",
                    "Dimensions": [{"Name": "LogGroupName", "Value": function.log_group}],
                },
                "Period": period,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
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
        request: dict[str, Any] = {
            "MetricDataQueries": queries,
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        try:
            while True:
                response = cloudwatch_client.get_metric_data(**request)
                for result in response.get("MetricDataResults", []):
                    index, _, field = result["Id"][1:].partition("_")
                    points = [float(v) for v in result.get("Values", [])]
                    if not points:
                        continue
                    name = functions[int(index)].name
                    seen = values[name]
                    if field in maximums:
                        seen[field] = max([*points, seen.get(field, points[0])])
                    else:
                        seen[field] = seen.get(field, 0.0) + sum(points)
                token = response.get("NextToken")
                if not token:
                    break
                request["NextToken"] = token
        except ClientError as exc:
            err = exc.response.get("Error", {})
            raise MetricsError(
                f"CloudWatch GetMetricData failed: {err.get('Code')}: {err.get('Message')}"
            ) from exc
        except BotoCoreError as exc:
            raise MetricsError(f"CloudWatch GetMetricData failed: {exc}") from exc
        if on_progress:
            on_progress(f"metrics: {min(offset + per_call, len(functions))}/{len(functions)}")
    return {name: Metrics(**fields) for name, fields in values.items()}
