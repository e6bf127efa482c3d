"""The run journal: the original configuration is recorded (as a tag on the function and on this
machine) before the first change, and `cleanup` restores from it, from any machine."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from powertune.tune.targets.aws import COLD_START_VARIABLE, AwsLambdaTarget, cleanup
from powertune.tune.targets.interface import TargetError
from powertune.tune.targets.journal import TAG_KEY, TAG_VALUE_MAX, Journal, read_local

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture
def lam(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
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
        yield client


class _Died(BaseException):
    """The process dying at that point: nothing after it runs, not even restore."""


@contextlib.contextmanager
def _dies_after(client: Any, operation: str) -> Iterator[None]:
    """The process dies right after ``operation`` succeeds; then the hook is gone again."""

    def hook(**_kwargs: Any) -> None:
        raise _Died(operation)

    event = f"after-call.lambda.{operation}"
    client.meta.events.register(event, hook, unique_id="die")
    try:
        with pytest.raises(_Died):
            yield
    finally:
        client.meta.events.unregister(event, unique_id="die")


def _tags(client: Any) -> dict[str, str]:
    return dict(client.list_tags(Resource=ARN)["Tags"])


def test_the_journal_is_written_before_the_first_configuration_update(
    lam: Any, _state_dir: Path
) -> None:
    seen: list[tuple[str, bool, bool]] = []

    def record(model: Any, **_kwargs: Any) -> None:
        tagged = TAG_KEY in _tags(lam) if model.name != "ListTags" else False
        seen.append((model.name, tagged, bool(read_local(ARN))))

    target = AwsLambdaTarget("orders", boto3_client=lam)
    target.describe()
    lam.meta.events.register("before-call.lambda.UpdateFunctionConfiguration", record)
    target.prepare(256)
    assert seen[0] == ("UpdateFunctionConfiguration", True, True)
    journal = Journal.from_tag(_tags(lam)[TAG_KEY], ARN)
    assert journal is not None
    assert (journal.run_id, journal.memory_mb, journal.timeout_s) == (target.run_id, 1024, 30)
    assert journal.cold_variable_absent
    local = json.loads(next((_state_dir / "journal").glob("*.json")).read_text())
    assert local["memory_mb"] == 1024 and local["run_id"] == target.run_id
    assert (next((_state_dir / "journal").glob("*.json")).stat().st_mode & 0o777) == 0o600
    target.restore()
    assert TAG_KEY not in _tags(lam)
    assert read_local(ARN) == []
    assert lam.get_function_configuration(FunctionName="orders")["MemorySize"] == 1024


def test_death_right_after_the_first_update_is_undone_by_cleanup_from_another_machine(
    lam: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = AwsLambdaTarget("orders", boto3_client=lam)
    with _dies_after(lam, "UpdateFunctionConfiguration"):
        target.prepare(128)  # no version was published: its description cannot tell
    assert lam.get_function_configuration(FunctionName="orders")["MemorySize"] == 128
    monkeypatch.setenv("POWERTUNE_STATE_DIR", str(tmp_path / "elsewhere"))
    found = cleanup(lam, "orders")
    assert (found.journal_run, found.original_memory_mb) == (target.run_id, 1024)
    config = lam.get_function_configuration(FunctionName="orders")
    assert config["MemorySize"] == 1024
    assert config["Environment"]["Variables"] == {"TABLE": "orders"}
    assert TAG_KEY not in _tags(lam)
    assert cleanup(lam, "orders").empty


def test_a_run_refuses_to_start_over_an_unfinished_runs_journal(lam: Any) -> None:
    first = AwsLambdaTarget("orders", boto3_client=lam)
    with _dies_after(lam, "UpdateFunctionConfiguration"):
        first.prepare(128)
    second = AwsLambdaTarget("orders", boto3_client=lam)
    with pytest.raises(
        TargetError, match=f"unfinished run \\({first.run_id}, original memory 1024"
    ):
        second.describe()
    second.restore()  # nothing was read, nothing is touched: the journal stays for cleanup
    assert TAG_KEY in _tags(lam)
    cleanup(lam, "orders")
    assert AwsLambdaTarget("orders", boto3_client=lam).describe().memory_mb == 1024


def test_a_cold_start_variable_the_function_already_had_gets_its_value_back(lam: Any) -> None:
    lam.update_function_configuration(
        FunctionName="orders", Environment={"Variables": {"TABLE": "t", COLD_START_VARIABLE: "x"}}
    )
    target = AwsLambdaTarget("orders", boto3_client=lam)
    with _dies_after(lam, "PublishVersion"):
        target.force_cold(256)
    assert (
        lam.get_function_configuration(FunctionName="orders")["Environment"]["Variables"][
            COLD_START_VARIABLE
        ]
        == "1"
    )
    cleanup(lam, "orders")  # this machine's copy knows the original value
    config = lam.get_function_configuration(FunctionName="orders")
    assert config["Environment"]["Variables"] == {"TABLE": "t", COLD_START_VARIABLE: "x"}
    assert config["MemorySize"] == 1024


def test_a_stale_local_copy_whose_tag_is_gone_is_dropped_not_applied(lam: Any) -> None:
    target = AwsLambdaTarget("orders", boto3_client=lam)
    with _dies_after(lam, "UpdateFunctionConfiguration"):
        target.prepare(128)
    # Restored from another machine (tag removed), then resized on purpose by its owner.
    lam.untag_resource(Resource=ARN, TagKeys=[TAG_KEY])
    lam.update_function_configuration(FunctionName="orders", MemorySize=2048)
    assert read_local(ARN)
    found = cleanup(lam, "orders")
    assert found.journal_run is None
    assert lam.get_function_configuration(FunctionName="orders")["MemorySize"] == 2048
    assert read_local(ARN) == []


def test_the_tag_value_fits_lambdas_limits() -> None:
    journal = Journal(
        run_id="f" * 12,
        function_arn=ARN,
        memory_mb=10240,
        timeout_s=900,
        ephemeral_mb=10240,
        architecture="x86_64",
        environment_sha256="a" * 64,
        started_unix=4_000_000_000,
    )
    value = journal.tag_value()
    assert len(value) <= TAG_VALUE_MAX
    assert Journal.from_tag(value, ARN) == journal.__class__(
        **{**journal.__dict__, "environment_sha256": "a" * 16}
    )
    assert Journal.from_tag("garbage", ARN) is None
    assert Journal.from_tag("run=x mem=-5", ARN) is None
