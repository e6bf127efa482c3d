"""A function's real traffic from CloudWatch metrics (AWS/Lambda, GetMetricData).

The recommendation prices a month of the function's own traffic: the Invocations Sum over the
last ``days`` days, scaled to a 30-day month. No datapoints means unknown (None), never 0.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from powertune.errors import InputError, PowertuneError

DAYS_PER_MONTH = 30
# CloudWatch keeps 1-hour datapoints for 455 days (15 months); older ones are gone.
MAX_DAYS = 455
_DAY_S = 86_400


class MetricsError(PowertuneError):
    """CloudWatch could not be read (exit code 3)."""


def function_name_and_region(function: str) -> tuple[str, str | None]:
    """Split a function name or (qualified) ARN into the bare name and the ARN's region.

    Lambda publishes its metrics under the bare name (dimension ``FunctionName``), whatever
    version or alias was invoked.
    """
    if function.startswith("arn:"):
        parts = function.split(":")
        # arn:partition:lambda:region:account:function:name[:qualifier]
        if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function" or not parts[6]:
            raise InputError(f"not a Lambda function ARN: {function}")
        return parts[6], parts[3] or None
    if not function or ":" in function:
        raise InputError(f"not a Lambda function name: {function!r}")
    return function, None


def make_cloudwatch_client(
    *,
    region: str | None = None,
    boto3_session: boto3.session.Session | None = None,
    boto_config: Config | None = None,
    endpoint_url: str | None = None,
) -> Any:
    """A CloudWatch client from a session (or the default one) with the given overrides."""
    session = boto3_session or boto3.session.Session(region_name=region)
    return session.client(
        "cloudwatch", region_name=region, endpoint_url=endpoint_url, config=boto_config
    )


def metric_query(
    query_id: str,
    *,
    namespace: str,
    metric: str,
    dimension: tuple[str, str],
    stat: str,
    period: int = _DAY_S,
) -> dict[str, Any]:
    """One GetMetricData query of ``stat`` values (daily unless ``period`` says otherwise) of a
    metric with one dimension."""
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": dimension[0], "Value": dimension[1]}],
            },
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": True,
    }


def invocations_query(function_name: str) -> dict[str, Any]:
    """Daily Sums of AWS/Lambda Invocations for the function."""
    return metric_query(
        "invocations",
        namespace="AWS/Lambda",
        metric="Invocations",
        dimension=("FunctionName", function_name),
        stat="Sum",
    )


def fetch_metric_values(
    queries: list[dict[str, Any]],
    *,
    start: datetime,
    end: datetime,
    client: Any,
    what: str,
) -> dict[str, list[float]]:
    """Every value of every query between ``start`` and ``end``, all pages, keyed by query id.

    A query without any datapoint maps to an empty list (unknown), which is not a zero.
    """
    request: dict[str, Any] = {
        "MetricDataQueries": queries,
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampAscending",
    }
    values: dict[str, list[float]] = {q["Id"]: [] for q in queries}
    try:
        while True:
            response = client.get_metric_data(**request)
            for result in response.get("MetricDataResults", []):
                finite = [float(v) for v in result.get("Values", []) if math.isfinite(float(v))]
                values.setdefault(result["Id"], []).extend(finite)
            token = response.get("NextToken")
            if not token:
                break
            request["NextToken"] = token
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise MetricsError(
            f"CloudWatch GetMetricData failed for {what}: "
            f"{error.get('Code', 'error')}: {error.get('Message', exc)}"
        ) from exc
    except BotoCoreError as exc:
        raise MetricsError(f"CloudWatch GetMetricData failed for {what}: {exc}") from exc
    return values


def sum_invocations(
    function_name: str,
    *,
    start: datetime,
    end: datetime,
    client: Any,
) -> float | None:
    """Sum of Invocations between ``start`` and ``end``; None when CloudWatch has no datapoint."""
    values = fetch_metric_values(
        [invocations_query(function_name)], start=start, end=end, client=client, what=function_name
    )["invocations"]
    return sum(values) if values else None


def scale_to_month(total: float, days: int) -> int:
    """Scale ``total`` observed over ``days`` days to a 30-day month, rounded half up."""
    monthly = Decimal(repr(total)) * DAYS_PER_MONTH / days
    return int(monthly.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_days(days: int) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InputError(f"--days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")


def window(days: int, now: datetime | None) -> tuple[datetime, datetime]:
    """``days`` × 24 h ending at the last full hour (a half-filled hour would drag rates down)."""
    end = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    end = end.replace(minute=0, second=0, microsecond=0)
    return end - timedelta(days=days), end


def monthly_invocations(
    function_name: str,
    *,
    days: int = 14,
    cloudwatch_client: Any | None = None,
    boto3_session: boto3.session.Session | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    boto_config: Config | None = None,
    now: datetime | None = None,
) -> int | None:
    """Invocations per 30-day month, from the last ``days`` days of CloudWatch metrics.

    ``function_name`` is a name or an ARN (a qualified ARN counts the whole function; its region
    is used when ``region`` is not given). Returns None when CloudWatch holds no datapoint: a
    function never invoked and one whose metrics we cannot see look the same there.
    """
    check_days(days)
    name, arn_region = function_name_and_region(function_name)
    client = cloudwatch_client or make_cloudwatch_client(
        region=region or arn_region,
        boto3_session=boto3_session,
        boto_config=boto_config,
        endpoint_url=endpoint_url,
    )
    start, end = window(days, now)
    total = sum_invocations(name, start=start, end=end, client=client)
    return None if total is None else scale_to_month(total, days)


@dataclass(frozen=True)
class Traffic:
    """What CloudWatch says about a function's last ``days`` days; None where it has no data."""

    function_name: str
    days: int
    monthly_invocations: int | None
    peak_concurrency: float | None  # highest ConcurrentExecutions (per-minute Maximum)
    log_bytes_per_invocation: float | None  # the log group's IncomingBytes ÷ Invocations

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def function_traffic(
    function_name: str,
    *,
    days: int = 14,
    log_group: str | None = None,
    cloudwatch_client: Any | None = None,
    boto3_session: boto3.session.Session | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    boto_config: Config | None = None,
    now: datetime | None = None,
) -> Traffic:
    """Monthly invocations, peak concurrency and logged bytes per invocation, in one request.

    ``log_group`` defaults to ``/aws/lambda/<name>`` (pass the function's LoggingConfig.LogGroup
    when it logs elsewhere). IncomingBytes are the uncompressed bytes CloudWatch Logs ingested,
    which is what ingestion is billed on.
    """
    check_days(days)
    name, arn_region = function_name_and_region(function_name)
    client = cloudwatch_client or make_cloudwatch_client(
        region=region or arn_region,
        boto3_session=boto3_session,
        boto_config=boto_config,
        endpoint_url=endpoint_url,
    )
    queries = [
        invocations_query(name),
        metric_query(
            "concurrency",
            namespace="AWS/Lambda",
            metric="ConcurrentExecutions",
            dimension=("FunctionName", name),
            stat="Maximum",
        ),
        metric_query(
            "log_bytes",
            namespace="AWS/Logs",
            metric="IncomingBytes",
            dimension=("LogGroupName", log_group or f"/aws/lambda/{name}"),
            stat="Sum",
        ),
    ]
    start, end = window(days, now)
    values = fetch_metric_values(queries, start=start, end=end, client=client, what=name)
    invocations = sum(values["invocations"]) if values["invocations"] else None
    log_bytes = sum(values["log_bytes"]) if values["log_bytes"] else None
    per_invocation = log_bytes / invocations if log_bytes is not None and invocations else None
    return Traffic(
        function_name=name,
        days=days,
        monthly_invocations=None if invocations is None else scale_to_month(invocations, days),
        peak_concurrency=max(values["concurrency"]) if values["concurrency"] else None,
        log_bytes_per_invocation=per_invocation,
    )
