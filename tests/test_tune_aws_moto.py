"""The AWS target against moto: versions, aliases, restore and cleanup through real boto3 calls."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from powertune.tune.targets.aws import (
    COLD_START_VARIABLE,
    AwsLambdaTarget,
    cleanup,
    find_leftovers,
)
from powertune.tune.targets.interface import TargetError, Throttled
from powertune.tune.targets.journal import TAG_KEY


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture
def lam(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
        client = boto3.client("lambda", region_name="us-east-1")
        client.create_function(
            FunctionName="orders",
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="app.handler",
            Code={"ZipFile": _zip()},
            MemorySize=1024,
            Timeout=30,
            Environment={"Variables": {"TABLE": "orders"}},
        )
        client.publish_version(FunctionName="orders", Description="release 1")
        client.create_alias(FunctionName="orders", Name="live", FunctionVersion="1")
        yield client


def _state(client: Any) -> tuple[int, dict, list[str], list[str]]:
    config = client.get_function_configuration(FunctionName="orders")
    aliases = sorted(a["Name"] for a in client.list_aliases(FunctionName="orders")["Aliases"])
    versions = [
        v["Version"] for v in client.list_versions_by_function(FunctionName="orders")["Versions"]
    ]
    return config["MemorySize"], config["Environment"]["Variables"], aliases, versions


def test_prepare_publishes_a_version_and_alias_per_size_and_restore_undoes_it(lam: Any) -> None:
    before = _state(lam)
    target = AwsLambdaTarget("orders", boto3_client=lam)
    info = target.describe()
    assert (info.memory_mb, info.timeout_s, info.architecture) == (1024, 30, "x86_64")
    target.prepare(256)
    target.prepare(512)
    aliases = {a["Name"]: a for a in lam.list_aliases(FunctionName="orders")["Aliases"]}
    assert {"powertune-256", "powertune-512", "live"} == set(aliases)
    assert aliases["live"]["FunctionVersion"] == "1"  # the live alias is never touched
    v256 = lam.get_function_configuration(
        FunctionName="orders", Qualifier=aliases["powertune-256"]["FunctionVersion"]
    )
    assert v256["MemorySize"] == 256
    assert "original-memory=1024" in aliases["powertune-512"]["Description"]
    target.restore()
    assert _state(lam) == before
    target.restore()  # idempotent
    assert _state(lam) == before


def test_force_cold_uses_a_fresh_version_and_restore_removes_the_variable(lam: Any) -> None:
    target = AwsLambdaTarget("orders", boto3_client=lam)
    target.prepare(512)
    first = lam.get_alias(FunctionName="orders", Name="powertune-512")["FunctionVersion"]
    target.force_cold(512)
    second = lam.get_alias(FunctionName="orders", Name="powertune-512")["FunctionVersion"]
    assert second != first
    env = lam.get_function_configuration(FunctionName="orders", Qualifier=second)["Environment"]
    assert env["Variables"][COLD_START_VARIABLE] == "1"
    assert env["Variables"]["TABLE"] == "orders"
    target.restore()
    memory, variables, aliases, versions = _state(lam)
    assert (memory, variables, aliases, versions) == (
        1024,
        {"TABLE": "orders"},
        ["live"],
        ["$LATEST", "1"],
    )


def test_an_interrupted_run_is_found_and_cleaned_up(lam: Any) -> None:
    target = AwsLambdaTarget("orders", boto3_client=lam)
    target.prepare(128)
    target.force_cold(256)
    # The process dies here: no restore. Another process finds what it left.
    found = find_leftovers(lam, "orders")
    assert sorted(found.aliases) == ["powertune-128", "powertune-256"]
    assert len(found.versions) == 2
    assert (found.memory_mb, found.original_memory_mb, found.cold_start_variable) == (
        256,
        1024,
        True,
    )
    assert not found.empty
    cleanup(lam, "orders")
    assert _state(lam) == (1024, {"TABLE": "orders"}, ["live"], ["$LATEST", "1"])
    assert find_leftovers(lam, "orders").empty


def test_a_qualified_arn_tunes_its_function(lam: Any) -> None:
    target = AwsLambdaTarget(
        "arn:aws:lambda:us-east-1:123456789012:function:orders:live", boto3_client=lam
    )
    assert target.describe().name == "orders"


def test_missing_function_is_a_target_error(lam: Any) -> None:
    with pytest.raises(TargetError, match="ResourceNotFoundException"):
        AwsLambdaTarget("nope", boto3_client=lam).describe()


ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"


def _stubbed() -> tuple[AwsLambdaTarget, Stubber]:
    client = boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    target = AwsLambdaTarget("fn", boto3_client=client)
    stub = Stubber(client)
    stub.add_response(
        "get_function_configuration",
        {
            "FunctionName": "fn",
            "MemorySize": 128,
            "FunctionArn": ARN,
            "LastUpdateStatus": "Successful",
        },
        {"FunctionName": "fn"},
    )
    stub.add_response("list_tags", {"Tags": {}}, {"Resource": ARN})
    return target, stub


def _journal_tagged(stub: Stubber) -> None:
    stub.add_response("tag_resource", {}, {"Resource": ARN, "Tags": {TAG_KEY: ANY}})


def test_invoke_throttling_is_raised_as_throttled_with_exact_request() -> None:
    target, stub = _stubbed()
    target._aliases[128] = "powertune-128"
    stub.add_client_error(
        "invoke",
        service_error_code="TooManyRequestsException",
        http_status_code=429,
        expected_params={
            "FunctionName": "fn",
            "Qualifier": "powertune-128",
            "InvocationType": "RequestResponse",
            "LogType": "Tail",
            "Payload": b"{}",
        },
    )
    with stub, pytest.raises(Throttled):
        target.invoke(128, b"{}")


def test_update_conflicts_are_retried_until_the_update_lands() -> None:
    target, stub = _stubbed()
    _journal_tagged(stub)
    stub.add_client_error(
        "update_function_configuration",
        service_error_code="ResourceConflictException",
        http_status_code=409,
    )
    stub.add_response(
        "update_function_configuration",
        {"FunctionName": "fn", "MemorySize": 256, "LastUpdateStatus": "InProgress"},
        {"FunctionName": "fn", "MemorySize": 256},
    )
    stub.add_response(
        "get_function_configuration",
        {"FunctionName": "fn", "MemorySize": 256, "LastUpdateStatus": "InProgress"},
    )
    stub.add_response(
        "get_function_configuration",
        {"FunctionName": "fn", "MemorySize": 256, "LastUpdateStatus": "Successful"},
    )
    with stub:
        target.describe()
        target._update(256, {})
    stub.assert_no_pending_responses()


def test_a_version_not_created_by_the_run_is_never_deleted() -> None:
    target, stub = _stubbed()
    # PublishVersion on an unchanged configuration answers with an existing version.
    stub.add_response("publish_version", {"Version": "7", "Description": "release 7"})
    with stub:
        target.describe()
        assert target._publish(128) == "7"
    assert target._versions == []


def test_a_memory_size_over_the_account_quota_is_size_rejected() -> None:
    from powertune.tune.targets.interface import SizeRejected

    target, stub = _stubbed()
    _journal_tagged(stub)
    stub.add_client_error(
        "update_function_configuration",
        service_error_code="InvalidParameterValueException",
        service_message="'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to 3008",
        http_status_code=400,
        expected_params={"FunctionName": "fn", "MemorySize": 4096},
    )
    with stub, pytest.raises(SizeRejected, match="4096 MB rejected"):
        target.describe()
        target.prepare(4096)
