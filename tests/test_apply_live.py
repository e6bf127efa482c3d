"""`powertune apply --function` against the embedded runtime, through boto3 over loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from apply_results import Fn, make_result
from botocore.config import Config
from typer.testing import CliRunner

from cli import app
from powertune.apply.live import TAG
from powertune.local import LocalLambda, package_function

PROBE = "def handler(event, context):\n    return int(context.memory_limit_in_mb)\n"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalLambda]:
    with LocalLambda(cpu="model", update_seconds=0.3) as running:
        yield running


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def client(server: LocalLambda) -> Iterator[Any]:
    made = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client("lambda", endpoint_url=server.endpoint_url, config=Config(retries={"max_attempts": 1}))
    yield made
    made.close()


def create(client: Any, name: str, tmp_path: Path, memory: int) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    client.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role="arn:aws:iam::123456789012:role/test",
        Handler="probe.handler",
        Code={"ZipFile": package_function(tmp_path)},
        MemorySize=memory,
    )


def memory(client: Any, name: str) -> int:
    return int(client.get_function_configuration(FunctionName=name)["MemorySize"])


def tags(client: Any, name: str) -> dict[str, str]:
    return dict(client.list_tags(Resource=ARN.format(name))["Tags"])


def run(server: LocalLambda, *args: str | Path) -> Any:
    return CliRunner().invoke(
        app, ["apply", *map(str, args), "--function", "--endpoint-url", server.endpoint_url]
    )


def cpu_bound(name: str, orig: int, rec: int) -> Fn:
    return Fn(
        name, orig, rec, {orig: 800.0 * 1024 / orig, rec: 800.0 * 1024 / rec}, ARN.format(name)
    )


def test_dry_run_write_again_and_rollback(server: LocalLambda, client: Any, tmp_path: Path) -> None:
    create(client, "tuned", tmp_path, 512)
    make_result([cpu_bound("tuned", 512, 1024)], tmp_path / "r.json")

    dry = run(server, tmp_path / "r.json")
    assert dry.exit_code == 0, dry.output
    assert memory(client, "tuned") == 512 and TAG not in tags(client, "tuned")
    assert "would change" in dry.stderr and "gate: pass" in dry.stderr

    applied = run(server, tmp_path / "r.json", "--write")
    assert applied.exit_code == 0, applied.output
    assert memory(client, "tuned") == 1024
    assert tags(client, "tuned")[TAG].startswith("memory=512 applied=1024 at=")
    records = list((tmp_path / ".powertune" / "applied").glob("*.json"))
    assert len(records) == 1
    assert json.loads(records[0].read_text())["previous_mb"] == 512
    # The function answers with its new size.
    out = client.invoke(FunctionName="tuned")["Payload"].read()
    assert json.loads(out) == 1024

    again = run(server, tmp_path / "r.json", "--write")
    assert again.exit_code == 0, again.output
    assert "unchanged" in again.stderr and "already 1024 MB" in again.stderr

    preview = run(server, tmp_path / "r.json", "--rollback")
    assert preview.exit_code == 0 and memory(client, "tuned") == 1024
    assert "would roll back" in preview.stderr

    back = run(server, tmp_path / "r.json", "--rollback", "--write")
    assert back.exit_code == 0, back.output
    assert memory(client, "tuned") == 512
    assert TAG not in tags(client, "tuned")
    assert not list((tmp_path / ".powertune" / "applied").glob("*.json"))


def test_rollback_from_the_tag_alone(server: LocalLambda, client: Any, tmp_path: Path) -> None:
    create(client, "elsewhere", tmp_path, 256)
    make_result([cpu_bound("elsewhere", 256, 512)], tmp_path / "r.json")
    assert run(server, tmp_path / "r.json", "--write").exit_code == 0
    for record in (tmp_path / ".powertune" / "applied").glob("*.json"):
        record.unlink()  # another machine: only the tag is left
    back = run(server, tmp_path / "r.json", "--rollback", "--write")
    assert back.exit_code == 0, back.output
    assert memory(client, "elsewhere") == 256 and TAG not in tags(client, "elsewhere")


def test_refuses_a_function_changed_since_the_measurement(
    server: LocalLambda, client: Any, tmp_path: Path
) -> None:
    create(client, "drifted", tmp_path, 512)
    make_result([cpu_bound("drifted", 512, 1024)], tmp_path / "r.json")
    client.update_function_configuration(FunctionName="drifted", MemorySize=2048)
    client.get_waiter("function_updated_v2").wait(
        FunctionName="drifted", WaiterConfig={"Delay": 0.1, "MaxAttempts": 50}
    )
    result = run(server, tmp_path / "r.json", "--write")
    assert result.exit_code == 3, result.output
    assert "memory is 2048 MB now" in result.stderr
    assert "Traceback" not in result.output
    assert memory(client, "drifted") == 2048 and TAG not in tags(client, "drifted")


def test_refuses_when_the_code_changed(server: LocalLambda, client: Any, tmp_path: Path) -> None:
    create(client, "recoded", tmp_path, 512)
    make_result([cpu_bound("recoded", 512, 1024)], tmp_path / "r.json")
    raw = json.loads((tmp_path / "r.json").read_text())
    raw["functions"][0]["code_sha256"] = "not-the-deployed-code="  # what a newer result records
    (tmp_path / "raw.json").write_text(json.dumps(raw))
    # The schema of this version does not know the field yet: the refusal reads it raw.
    from powertune.apply.live import LiveApplier
    from powertune.apply.targets import targets_from_result
    from powertune.results.jsonio import load_result

    targets, _ = targets_from_result(load_result(tmp_path / "r.json"))
    step = LiveApplier(client, tmp_path).plan(targets[0], raw["functions"][0])
    assert step.action == "refuse" and "code changed" in step.message
    assert memory(client, "recoded") == 512


def test_a_gate_refusal_leaves_the_function_alone_unless_forced(
    server: LocalLambda, client: Any, tmp_path: Path
) -> None:
    create(client, "pricier", tmp_path, 512)
    flat = Fn("pricier", 512, 1024, {512: 120.0, 1024: 121.0}, ARN.format("pricier"))
    make_result([flat], tmp_path / "r.json")
    refused = run(server, tmp_path / "r.json", "--write")
    assert refused.exit_code == 0, refused.output
    assert "gate would refuse" in refused.stderr and memory(client, "pricier") == 512
    forced = run(server, tmp_path / "r.json", "--write", "--force")
    assert forced.exit_code == 0, forced.output
    assert memory(client, "pricier") == 1024


def test_an_unknown_function_is_one_line_exit_3(server: LocalLambda, tmp_path: Path) -> None:
    make_result([cpu_bound("ghost", 512, 1024)], tmp_path / "r.json")
    result = run(server, tmp_path / "r.json", "--write")
    assert result.exit_code == 3, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ResourceNotFoundException" in lines[0]


def test_an_unknown_profile_is_a_usage_error_exit_2(
    server: LocalLambda, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It was exit 3, "cannot make a Lambda client": apply built its own session.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    make_result([cpu_bound("orders", 512, 1024)], tmp_path / "r.json")
    result = run(server, tmp_path / "r.json", "--profile", "nosuch")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown AWS profile 'nosuch'" in lines[0]


# --- the same against moto (a second Lambda implementation, real ARNs and tag rules) -----
def test_apply_and_rollback_against_moto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import zipfile

    from moto import mock_aws

    from powertune.apply.live import LiveApplier
    from powertune.apply.targets import targets_from_result
    from powertune.results.jsonio import load_result

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    with mock_aws():
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
        lam = boto3.client("lambda", region_name="us-east-1")
        made = lam.create_function(
            FunctionName="orders",
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="app.handler",
            Code={"ZipFile": buffer.getvalue()},
            MemorySize=1024,
        )
        fn = Fn("orders", 1024, 2048, {1024: 400.0, 2048: 200.0}, made["FunctionArn"])
        make_result([fn], tmp_path / "r.json")
        targets, _ = targets_from_result(load_result(tmp_path / "r.json"))
        applier = LiveApplier(lam, tmp_path / "records", wait={"Delay": 0.1, "MaxAttempts": 20})
        step = applier.plan(targets[0])
        assert step.action == "update", step.message
        record = applier.apply(step)
        assert lam.get_function_configuration(FunctionName="orders")["MemorySize"] == 2048
        assert lam.list_tags(Resource=made["FunctionArn"])["Tags"][TAG] == record.tag_value()
        back, found = applier.plan_rollback(targets[0])
        assert back.action == "update" and found is not None and found.previous_mb == 1024
        applier.rollback(back, found)
        assert lam.get_function_configuration(FunctionName="orders")["MemorySize"] == 1024
        assert TAG not in lam.list_tags(Resource=made["FunctionArn"])["Tags"]


def test_a_qualified_arn_in_the_result_updates_the_function(
    server: LocalLambda, client: Any, tmp_path: Path
) -> None:
    create(client, "aliased", tmp_path, 512)
    fn = cpu_bound("aliased", 512, 1024)
    fn.arn = ARN.format("aliased") + ":live"
    make_result([fn], tmp_path / "r.json")
    result = run(server, tmp_path / "r.json", "--write")
    assert result.exit_code == 0, result.output
    assert memory(client, "aliased") == 1024


def test_the_local_runtime_keeps_tags_like_lambda(
    server: LocalLambda, client: Any, tmp_path: Path
) -> None:
    from botocore.exceptions import ClientError

    (tmp_path / "probe.py").write_text(PROBE)
    client.create_function(
        FunctionName="tagged",
        Runtime="python3.11",
        Role="arn:aws:iam::123456789012:role/test",
        Handler="probe.handler",
        Code={"ZipFile": package_function(tmp_path)},
        Tags={"team": "images"},
    )
    assert tags(client, "tagged") == {"team": "images"}
    client.tag_resource(Resource=ARN.format("tagged"), Tags={"a": "1", "b": "2"})
    client.untag_resource(Resource=ARN.format("tagged"), TagKeys=["a", "team"])
    assert tags(client, "tagged") == {"b": "2"}
    assert client.get_function(FunctionName="tagged")["Tags"] == {"b": "2"}
    with pytest.raises(ClientError) as missing:
        client.list_tags(Resource=ARN.format("nobody"))
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
