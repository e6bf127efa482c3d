"""A function's real traffic from CloudWatch metrics (AWS/Lambda, GetMetricData).

The recommendation prices a month of the function's own traffic: the Invocations Sum over the
last ``days`` days, scaled to a 30-day month. No datapoints means unknown (None), never 0.
"""

from __future__ import annotations

import math
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


def invocations_query(function_name: str) -> dict[str, Any]:
    """One GetMetricData query: daily Sums of AWS/Lambda Invocations for the function."""
    return {
        "Id": "invocations",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/Lambda",
                "MetricName": "Invocations",
                "Dimensions": [{"Name": "FunctionName", "Value": function_name}],
            },
            "Period": _DAY_S,
            "Stat": "Sum",
        },
        "ReturnData": True,
    }


def sum_invocations(
    function_name: str,
    *,
    start: datetime,
    end: datetime,
    client: Any,
) -> float | None:
    """Sum of Invocations between ``start`` and ``end``; None when CloudWatch has no datapoint."""
    request: dict[str, Any] = {
        "MetricDataQueries": [invocations_query(function_name)],
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampAscending",
    }
    total = 0.0
    seen = False
    try:
        while True:
            response = client.get_metric_data(**request)
            for result in response.get("MetricDataResults", []):
                values = result.get("Values", [])
                if values:
                    seen = True
                    total += sum(float(v) for v in values)
            token = response.get("NextToken")
            if not token:
                break
            request["NextToken"] = token
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise MetricsError(
            f"CloudWatch GetMetricData failed for {function_name}: "
            f"{error.get('Code', 'error')}: {error.get('Message', exc)}"
        ) from exc
    except BotoCoreError as exc:
        raise MetricsError(f"CloudWatch GetMetricData failed for {function_name}: {exc}") from exc
    return total if seen else None


def scale_to_month(total: float, days: int) -> int:
    """Scale ``total`` observed over ``days`` days to a 30-day month, rounded half up."""
    monthly = Decimal(repr(total)) * DAYS_PER_MONTH / days
    return int(monthly.quantize(Decimal(1), rounding=ROUND_HALF_UP))


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

    ``function_name`` is a name or an ARN (a qualified ARN counts the whole function). The window
    ends at the last full hour before ``now`` (so a half-filled hour does not drag the rate down)
    and covers ``days`` × 24 hours. Returns None when CloudWatch holds no datapoint for it: a
    function that was never invoked and one whose metrics we cannot see look the same there.
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InputError(f"--days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
    name, arn_region = function_name_and_region(function_name)
    client = cloudwatch_client or make_cloudwatch_client(
        region=region or arn_region,
        boto3_session=boto3_session,
        boto_config=boto_config,
        endpoint_url=endpoint_url,
    )
    end = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    end = end.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    total = sum_invocations(name, start=start, end=end, client=client)
    if total is None or math.isnan(total):
        return None
    return scale_to_month(total, days)
