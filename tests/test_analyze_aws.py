"""Listing, configuration, metrics and log groups against moto (real boto3 clients)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from powertune.collectors.account.inventory import (
    FunctionConfig,
    InventoryError,
    list_functions,
    parse_tag_filters,
)
from powertune.collectors.account.loggroups import describe_log_groups
from powertune.collectors.account.metrics import MAX_QUERIES_PER_CALL, gather_metrics, window_period
from powertune.errors import InputError

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("h.py", "def h(event, context):\n    return 1\n")
    return buf.getvalue()


def _create(names: list[str], **kw: Any) -> None:
    role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]
    client = boto3.client("lambda", region_name=REGION)
    code = _zip()
    for name in names:
        client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role["Arn"],
            Handler="h.h",
            Code={"ZipFile": code},
            **kw.get(name, {}),
        )


def test_lists_every_page_filters_prefix_and_reads_configuration(aws: None) -> None:
    names = [f"api-{i:03d}" for i in range(60)] + ["batch-1"]
    _create(names, **{"api-007": {"MemorySize": 2048, "Architectures": ["arm64"], "Timeout": 30}})
    client = boto3.client("lambda", region_name=REGION)
    assert len(list_functions(client)) == 61
    api = list_functions(client, prefix="api-")
    assert [f.name for f in api][:2] == ["api-000", "api-001"] and len(api) == 60
    big = next(f for f in api if f.name == "api-007")
    assert (big.memory_mb, big.architecture, big.timeout_s) == (2048, "arm64", 30)
    assert big.log_group == "/aws/lambda/api-007" and big.log_format == "Text"
    assert big.region == REGION


def test_list_functions_follows_next_marker_pages() -> None:
    # moto answers ListFunctions in one page, so the Marker chain is checked with Stubber.
    client = boto3.client(
        "lambda", region_name=REGION, aws_access_key_id="k", aws_secret_access_key="s"
    )
    page1 = [{"FunctionName": f"p1-{i}", "MemorySize": 256} for i in range(50)]
    with Stubber(client) as stub:
        stub.add_response(
            "list_functions", {"Functions": page1, "NextMarker": "m1"}, {"MaxItems": 50}
        )
        stub.add_response(
            "list_functions",
            {"Functions": [{"FunctionName": "p2-0", "MemorySize": 128}]},
            {"MaxItems": 50, "Marker": "m1"},
        )
        progress: list[str] = []
        found = list_functions(client, on_progress=progress.append)
        stub.assert_no_pending_responses()
    assert len(found) == 51 and progress == ["listed 50 functions", "listed 51 functions"]
    assert found[-1].name == "p2-0" and found[-1].memory_mb == 128


def test_named_functions_and_a_missing_name(aws: None) -> None:
    _create(["a", "b"])
    client = boto3.client("lambda", region_name=REGION)
    assert [f.name for f in list_functions(client, names=["b"])] == ["b"]
    with pytest.raises(InputError, match="no such function: nope"):
        list_functions(client, names=["nope"])


def test_tag_filter_keeps_functions_with_every_pair(aws: None) -> None:
    _create(
        ["a", "b", "c"],
        a={"Tags": {"team": "api", "env": "prod"}},
        b={"Tags": {"team": "api", "env": "dev"}},
    )
    client = boto3.client("lambda", region_name=REGION)
    wanted = parse_tag_filters(["team=api", "env=prod"])
    assert [f.name for f in list_functions(client, tags=wanted)] == ["a"]
    with pytest.raises(InputError, match="KEY=VALUE"):
        parse_tag_filters(["team"])


def test_access_denied_is_a_tool_error() -> None:
    client = boto3.client(
        "lambda", region_name=REGION, aws_access_key_id="k", aws_secret_access_key="s"
    )
    with Stubber(client) as stub:
        stub.add_client_error("list_functions", "AccessDeniedException", "not allowed")
        with pytest.raises(InventoryError, match="AccessDeniedException"):
            list_functions(client)


def test_custom_log_group_and_json_format_come_from_logging_config() -> None:
    config = {
        "FunctionName": "f",
        "FunctionArn": "arn:aws:lambda:eu-west-1:1:function:f",
        "MemorySize": 512,
        "LoggingConfig": {"LogFormat": "JSON", "LogGroup": "/shared/app"},
        "EphemeralStorage": {"Size": 1024},
    }
    function = FunctionConfig.from_api(config, "eu-west-1")
    assert function.log_group == "/shared/app" and function.log_format == "JSON"
    assert function.ephemeral_mb == 1024 and function.architecture == "x86_64"


def _put(cw: Any, namespace: str, metric: str, dim: tuple[str, str], values: list[float]) -> None:
    now = datetime.now(timezone.utc)
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": dim[0], "Value": dim[1]}],
                "Value": v,
                "Timestamp": now - timedelta(hours=i + 1),
            }
            for i, v in enumerate(values)
        ],
    )


def test_metrics_for_many_functions_in_batched_calls(aws: None) -> None:
    cw = boto3.client("cloudwatch", region_name=REGION)
    functions = [
        FunctionConfig(
            f"f{i}", f"arn:f{i}", REGION, 128, "x86_64", 3, None, "Zip", "Text", f"/aws/lambda/f{i}"
        )
        for i in range(250)
    ]
    _put(cw, "AWS/Lambda", "Invocations", ("FunctionName", "f0"), [100, 50])
    _put(cw, "AWS/Lambda", "ConcurrentExecutions", ("FunctionName", "f0"), [3, 7, 5])
    _put(cw, "AWS/Lambda", "Errors", ("FunctionName", "f249"), [2])
    _put(cw, "AWS/Logs", "IncomingBytes", ("LogGroupName", "/aws/lambda/f249"), [1e6, 2e6])
    calls: list[int] = []
    cw.meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData",
        lambda params, **_: calls.append(len(params["MetricDataQueries"])),
    )
    end = datetime.now(timezone.utc)
    metrics = gather_metrics(cw, functions, end - timedelta(days=14), end)
    assert calls == [500, 500, 250]  # 100 functions (5 queries each) a call
    assert max(calls) <= MAX_QUERIES_PER_CALL
    assert metrics["f0"].invocations == 150
    assert metrics["f0"].concurrency_max == 7
    assert metrics["f0"].errors is None  # no datapoint: unknown, not zero
    assert metrics["f249"].errors == 2
    assert metrics["f249"].log_incoming_bytes == 3e6


def test_window_period_is_whole_hours() -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert window_period(start, start + timedelta(days=14)) == 14 * 86400
    assert window_period(start, start + timedelta(minutes=90)) == 7200


def test_log_groups_retention_and_missing_groups(aws: None) -> None:
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName="/aws/lambda/kept")
    logs.put_retention_policy(logGroupName="/aws/lambda/kept", retentionInDays=30)
    logs.create_log_group(logGroupName="/aws/lambda/forever")
    logs.create_log_group(logGroupName="/shared/app")
    logs.create_log_group(logGroupName="/aws/lambda/unrelated")
    found = describe_log_groups(
        logs, ["/aws/lambda/kept", "/aws/lambda/forever", "/aws/lambda/never-ran", "/shared/app"]
    )
    assert set(found) == {"/aws/lambda/kept", "/aws/lambda/forever", "/shared/app"}
    assert found["/aws/lambda/kept"].retention_days == 30
    assert found["/aws/lambda/forever"].retention_days is None  # Never expire
