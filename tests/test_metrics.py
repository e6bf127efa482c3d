"""Traffic from CloudWatch: moto for the round trip, Stubber for exact requests and errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from powertune.collectors.metrics import (
    MetricsError,
    function_name_and_region,
    function_traffic,
    monthly_invocations,
    scale_to_month,
)
from powertune.errors import InputError

REGION = "us-east-1"


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.client("cloudwatch", region_name=REGION)


def put_invocations(client: Any, function: str, points: list[tuple[datetime, float]]) -> None:
    client.put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "Invocations",
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
                "Timestamp": when,
                "Value": value,
                "Unit": "Count",
            }
            for when, value in points
        ],
    )


def test_sum_over_the_window_scaled_to_a_30_day_month(cloudwatch: Any) -> None:
    now = datetime.now(timezone.utc)
    hour = now.replace(minute=0, second=0, microsecond=0)
    # Seven days of traffic inside a 7-day window: 1,000 + 2,000 + ... + 7,000 = 28,000.
    put_invocations(
        cloudwatch,
        "orders",
        [(hour - timedelta(days=d, hours=2), 1000.0 * (d + 1)) for d in range(7)],
    )
    # Another function's traffic must not count.
    put_invocations(cloudwatch, "other", [(hour - timedelta(hours=3), 5_000_000.0)])

    got = monthly_invocations("orders", days=7, cloudwatch_client=cloudwatch, now=now)

    assert got == 120_000  # 28,000 × 30 / 7


def test_traffic_older_than_the_window_is_left_out(cloudwatch: Any) -> None:
    now = datetime.now(timezone.utc)
    put_invocations(
        cloudwatch,
        "orders",
        [(now - timedelta(days=1, hours=1), 700.0), (now - timedelta(days=10), 99_999.0)],
    )

    assert monthly_invocations("orders", days=7, cloudwatch_client=cloudwatch, now=now) == 3000


def test_no_datapoints_is_unknown_not_zero(cloudwatch: Any) -> None:
    put_invocations(cloudwatch, "other", [(datetime.now(timezone.utc) - timedelta(hours=2), 5.0)])

    assert monthly_invocations("orders", days=14, cloudwatch_client=cloudwatch) is None


def test_client_built_from_session_region_and_endpoint(cloudwatch: Any) -> None:
    now = datetime.now(timezone.utc)
    put_invocations(cloudwatch, "orders", [(now - timedelta(hours=2), 14.0)])
    session = boto3.session.Session(region_name=REGION)

    by_session = monthly_invocations("orders", days=14, boto3_session=session, now=now)
    # A qualified ARN counts the whole function and brings its region.
    by_arn = monthly_invocations(
        "arn:aws:lambda:us-east-1:123456789012:function:orders:live", days=14, now=now
    )

    assert by_session == by_arn == 30


def test_region_comes_from_the_arn_not_the_default(cloudwatch: Any) -> None:
    now = datetime.now(timezone.utc)
    put_invocations(cloudwatch, "orders", [(now - timedelta(hours=2), 14.0)])
    eu = boto3.client("cloudwatch", region_name="eu-west-1")
    put_invocations(eu, "orders", [(now - timedelta(hours=2), 28.0)])

    got = monthly_invocations(
        "arn:aws:lambda:eu-west-1:123456789012:function:orders", days=14, now=now
    )

    assert got == 60


def stubbed_client() -> tuple[Any, Stubber]:
    client = boto3.client(
        "cloudwatch",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return client, Stubber(client)


def query() -> list[dict[str, Any]]:
    return [
        {
            "Id": "invocations",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Lambda",
                    "MetricName": "Invocations",
                    "Dimensions": [{"Name": "FunctionName", "Value": "orders"}],
                },
                "Period": 86400,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
    ]


def test_exact_request_window_and_pagination() -> None:
    client, stub = stubbed_client()
    now = datetime(2026, 11, 27, 10, 41, 43, tzinfo=timezone.utc)
    end = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
    start = end - timedelta(days=14)
    expected: dict[str, Any] = {
        "MetricDataQueries": query(),
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampAscending",
    }
    stub.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {"Id": "invocations", "Values": [100.0, 250.5], "StatusCode": "PartialData"}
            ],
            "NextToken": "page-2",
        },
        expected,
    )
    stub.add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": "invocations", "Values": [349.5], "StatusCode": "Complete"}]},
        {**expected, "NextToken": "page-2"},
    )
    with stub:
        got = monthly_invocations("orders", days=14, cloudwatch_client=client, now=now)
    stub.assert_no_pending_responses()

    assert got == 1500  # 700 × 30 / 14


def test_empty_values_on_every_page_is_unknown() -> None:
    client, stub = stubbed_client()
    stub.add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": "invocations", "Values": [], "StatusCode": "Complete"}]},
    )
    with stub:
        assert monthly_invocations("orders", cloudwatch_client=client) is None


def test_a_day_of_zero_invocations_is_zero_not_unknown() -> None:
    client, stub = stubbed_client()
    stub.add_response(
        "get_metric_data",
        {"MetricDataResults": [{"Id": "invocations", "Values": [0.0], "StatusCode": "Complete"}]},
    )
    with stub:
        assert monthly_invocations("orders", days=1, cloudwatch_client=client) == 0


def test_access_denied_is_a_tool_error_with_one_line() -> None:
    client, stub = stubbed_client()
    stub.add_client_error(
        "get_metric_data",
        service_error_code="AccessDenied",
        service_message="not authorized to perform cloudwatch:GetMetricData",
        http_status_code=403,
    )
    with stub, pytest.raises(MetricsError) as caught:
        monthly_invocations("orders", cloudwatch_client=client)
    assert caught.value.exit_code == 3
    assert "AccessDenied" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("days", [0, -1, 456, 1.5, True])
def test_days_out_of_range_is_input_error(days: Any) -> None:
    client, _ = stubbed_client()
    with pytest.raises(InputError, match="--days"):
        monthly_invocations("orders", days=days, cloudwatch_client=client)


@pytest.mark.parametrize(
    "function",
    ["", "orders:live", "arn:aws:s3:::bucket", "arn:aws:lambda:us-east-1:1:layer:x"],
)
def test_bad_function_names_are_input_errors(function: str) -> None:
    with pytest.raises(InputError):
        function_name_and_region(function)


def test_scale_rounds_half_up() -> None:
    assert scale_to_month(1.0, 60) == 1  # 0.5 → 1
    assert scale_to_month(7.0, 14) == 15  # 15.0
    assert scale_to_month(1.0, 90) == 0  # 0.333 → 0


def put_metric(
    client: Any,
    namespace: str,
    metric: str,
    dimension: tuple[str, str],
    when: datetime,
    value: float,
) -> None:
    client.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": dimension[0], "Value": dimension[1]}],
                "Timestamp": when,
                "Value": value,
            }
        ],
    )


def test_traffic_reads_invocations_concurrency_and_log_bytes(cloudwatch: Any) -> None:
    now = datetime.now(timezone.utc)
    put_invocations(
        cloudwatch,
        "orders",
        [(now - timedelta(hours=2), 4000.0), (now - timedelta(days=2), 6000.0)],
    )
    for when, peak in ((now - timedelta(hours=3), 12.0), (now - timedelta(days=3), 31.0)):
        put_metric(
            cloudwatch, "AWS/Lambda", "ConcurrentExecutions", ("FunctionName", "orders"), when, peak
        )
    put_metric(
        cloudwatch,
        "AWS/Logs",
        "IncomingBytes",
        ("LogGroupName", "/aws/lambda/orders"),
        now - timedelta(hours=2),
        5_000_000.0,
    )

    got = function_traffic("orders", days=10, cloudwatch_client=cloudwatch, now=now)

    assert got.monthly_invocations == 30_000  # 10,000 × 30 / 10
    assert got.peak_concurrency == 31.0
    assert got.log_bytes_per_invocation == 500.0  # 5 MB ÷ 10,000 invocations
    assert got.to_json()["peak_concurrency"] == 31.0


def test_traffic_with_a_custom_log_group_and_no_logs_or_concurrency(cloudwatch: Any) -> None:
    now = datetime.now(timezone.utc)
    put_invocations(cloudwatch, "orders", [(now - timedelta(hours=2), 100.0)])
    put_metric(
        cloudwatch,
        "AWS/Logs",
        "IncomingBytes",
        ("LogGroupName", "/shared/app-logs"),
        now - timedelta(hours=2),
        2500.0,
    )

    default_group = function_traffic("orders", days=1, cloudwatch_client=cloudwatch, now=now)
    custom_group = function_traffic(
        "orders", days=1, log_group="/shared/app-logs", cloudwatch_client=cloudwatch, now=now
    )

    assert default_group.log_bytes_per_invocation is None
    assert default_group.peak_concurrency is None
    assert custom_group.log_bytes_per_invocation == 25.0
    assert custom_group.monthly_invocations == 3000


def test_traffic_request_has_the_three_queries() -> None:
    client, stub = stubbed_client()
    now = datetime(2026, 11, 27, 10, 41, tzinfo=timezone.utc)
    end = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
    queries = [
        *query(),
        {
            "Id": "concurrency",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Lambda",
                    "MetricName": "ConcurrentExecutions",
                    "Dimensions": [{"Name": "FunctionName", "Value": "orders"}],
                },
                "Period": 86400,
                "Stat": "Maximum",
            },
            "ReturnData": True,
        },
        {
            "Id": "log_bytes",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Logs",
                    "MetricName": "IncomingBytes",
                    "Dimensions": [{"Name": "LogGroupName", "Value": "/aws/lambda/orders"}],
                },
                "Period": 86400,
                "Stat": "Sum",
            },
            "ReturnData": True,
        },
    ]
    stub.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {"Id": "invocations", "Values": [0.0, 0.0]},
                {"Id": "concurrency", "Values": [0.0]},
                {"Id": "log_bytes", "Values": [0.0]},
            ]
        },
        {
            "MetricDataQueries": queries,
            "StartTime": end - timedelta(days=3),
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        },
    )
    with stub:
        got = function_traffic("orders", days=3, cloudwatch_client=client, now=now)
    # Zero invocations is a known zero; bytes per invocation is then undefined, not 0.
    assert got.monthly_invocations == 0
    assert got.peak_concurrency == 0.0
    assert got.log_bytes_per_invocation is None
