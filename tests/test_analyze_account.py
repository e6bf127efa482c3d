"""A whole account end to end: moto for Lambda and CloudWatch, Stubber for CloudWatch Logs.

moto's Logs Insights cannot run `stats ... by @log`, so the logs client is stubbed with the exact
DescribeLogGroups / StartQuery / GetQueryResults exchanges.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from powertune.analyze.account import AccountAnalyzer
from powertune.analyze.report import to_json, validate
from powertune.collectors.account.insights import TEXT_QUERY
from powertune.errors import InputError
from pricing.catalog import load_catalog

REGION = "us-east-1"
NOW = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def _functions() -> None:
    role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]
    client = boto3.client("lambda", region_name=REGION)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("h.py", "def h(e, c):\n    return 1\n")
    for name, memory, arch in (
        ("big", 2048, "x86_64"),
        ("tight", 256, "arm64"),
        ("new", 128, "arm64"),
    ):
        client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role["Arn"],
            Handler="h.h",
            Code={"ZipFile": buf.getvalue()},
            MemorySize=memory,
            Architectures=[arch],
            Timeout=10,
        )


def _metrics() -> None:
    cw = boto3.client("cloudwatch", region_name=REGION)
    for name, invocations in (("big", 1_400_000.0), ("tight", 140_000.0)):
        cw.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {
                    "MetricName": "Invocations",
                    "Dimensions": [{"Name": "FunctionName", "Value": name}],
                    "Value": invocations,
                    "Timestamp": NOW - timedelta(hours=3),
                }
            ],
        )


def _row(group: str, **fields: str) -> list[dict[str, str]]:
    return [{"field": "@log", "value": f"123456789012:{group}"}] + [
        {"field": k, "value": v} for k, v in fields.items()
    ]


def _logs_stubbed(stub: Stubber) -> None:
    stub.add_response(
        "describe_log_groups",
        {
            "logGroups": [
                {"logGroupName": "/aws/lambda/big", "storedBytes": 10**9},
                {"logGroupName": "/aws/lambda/tight", "retentionInDays": 14},
            ]
        },
        {"logGroupNamePrefix": "/aws/lambda/"},
    )
    stub.add_response(
        "start_query",
        {"queryId": "q1"},
        {
            "logGroupNames": ["/aws/lambda/big", "/aws/lambda/tight"],
            "startTime": int((NOW - timedelta(days=14)).timestamp()),
            "endTime": int(NOW.timestamp()),
            "queryString": TEXT_QUERY,
        },
    )
    stub.add_response("get_query_results", {"status": "Running", "results": []}, {"queryId": ANY})
    stub.add_response(
        "get_query_results",
        {
            "status": "Complete",
            "statistics": {"bytesScanned": 2.5e9},
            "results": [
                _row(
                    "/aws/lambda/big",
                    reports="1400000",
                    duration_avg="120.4",
                    billed_avg="121",
                    max_memory_max="190000000",
                    max_memory_p99="150000000",
                    memory_size="2048000000",
                ),
                _row(
                    "/aws/lambda/tight",
                    reports="140000",
                    duration_avg="40",
                    billed_avg="41",
                    max_memory_max="256000000",
                    memory_size="256000000",
                    out_of_memory="12",
                ),
            ],
        },
        {"queryId": "q1"},
    )


def test_account_analysis_end_to_end(aws: None) -> None:
    _functions()
    _metrics()
    logs = boto3.client("logs", region_name=REGION)
    with Stubber(logs) as stub:
        _logs_stubbed(stub)
        analyzer = AccountAnalyzer(
            region=REGION,
            logs_client=logs,
            insights_options={"sleep": lambda s: None, "poll_initial_s": 0.0},
        )
        analysis = analyzer.analyze(load_catalog(), days=14, now=NOW)
        stub.assert_no_pending_responses()
    kinds = {(f.function, f.kind) for f in analysis.findings}
    assert ("big", "over-provisioned") in kinds
    assert ("tight", "under-provisioned") in kinds
    assert ("big", "arm64") in kinds and ("tight", "arm64") not in kinds
    big = next(f for f in analysis.findings if f.kind == "over-provisioned")
    assert big.details["suggested_mb"] == 228  # 1.2 × 190 MB
    assert big.command == (
        "powertune tune big --region us-east-1 --memory 228..2048 --monthly-invocations 3000000"
    )
    facts = {f.config.name: f for f in analysis.functions}
    assert facts["big"].monthly_invocations == 3_000_000
    assert facts["new"].usage is None  # no log group: never ran, nothing invented
    assert analysis.current_monthly_usd["new"] is None
    assert analysis.insights == {
        "queries": 1,
        "bytes_scanned": 2.5e9,
        "start_retries": 0,
        "log_groups": 2,
    }
    validate(to_json(analysis))


def test_days_out_of_range_is_input(aws: None) -> None:
    with pytest.raises(InputError, match="--days"):
        AccountAnalyzer(region=REGION).analyze(load_catalog(), days=0)


def test_constructor_takes_session_and_endpoint() -> None:
    session = boto3.session.Session(
        aws_access_key_id="k", aws_secret_access_key="s", region_name="eu-west-1"
    )
    analyzer = AccountAnalyzer(
        boto3_session=session,
        endpoint_url="http://127.0.0.1:1",
        monitoring_endpoint_url="http://127.0.0.1:2",
    )
    for client in (analyzer.lambda_client, analyzer.logs_client, analyzer.cloudwatch_client):
        assert client.meta.region_name == "eu-west-1"
    # --endpoint-url is Lambda's; CloudWatch and Logs have their own (as in tune)
    assert analyzer.lambda_client.meta.endpoint_url == "http://127.0.0.1:1"
    assert analyzer.logs_client.meta.endpoint_url == "http://127.0.0.1:2"
    assert analyzer.cloudwatch_client.meta.endpoint_url == "http://127.0.0.1:2"
    assert analyzer.runner.max_concurrent == 10
