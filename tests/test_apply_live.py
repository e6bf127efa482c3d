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
    tag = tags(client, "tuned")[TAG]
    revision = client.get_function_configuration(FunctionName="tuned")["RevisionId"]
    assert tag.startswith("v=2 memory=512 applied=1024 at=") and f"rev={revision}" in tag
    assert "acct=123456789012 region=us-east-1" in tag
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
    assert result.exit_code == 4, result.output  # not applied
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


# --- ownership: every target checked first, records that prove their change (issue 27) -----
def _records(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in (tmp_path / ".powertune" / "applied").glob("*.json")]


def test_one_bad_target_of_three_changes_nothing(
    server: LocalLambda, client: Any, tmp_path: Path
) -> None:
    create(client, "trio-a", tmp_path, 512)
    create(client, "trio-c", tmp_path, 512)
    fns = [cpu_bound(n, 512, 1024) for n in ("trio-a", "trio-b", "trio-c")]  # trio-b: deleted
    make_result(fns, tmp_path / "r.json")
    result = run(server, tmp_path / "r.json", "--write")
    assert result.exit_code == 3, result.output
    assert "trio-b" in result.stderr and "nothing was changed" in result.stderr
    assert "Traceback" not in result.output
    assert memory(client, "trio-a") == 512 and memory(client, "trio-c") == 512
    assert TAG not in tags(client, "trio-a") and not _records(tmp_path)


@pytest.mark.parametrize("size", [64, 127, 10241, 20000])
def test_a_size_lambda_refuses_is_an_error_and_nothing_changes(
    server: LocalLambda, client: Any, tmp_path: Path, size: int
) -> None:
    name = f"sized-{size}"
    create(client, name, tmp_path, 512)
    create(client, f"{name}-ok", tmp_path, 512)
    bad = Fn(name, 512, size, {512: 100.0, size: 90.0}, ARN.format(name))
    make_result([cpu_bound(f"{name}-ok", 512, 1024), bad], tmp_path / "r.json")
    result = run(server, tmp_path / "r.json", "--write")
    assert result.exit_code == 3, result.output
    # refused on reading the result (a size outside 1..10240) or on checking it (128..10240)
    last = result.stderr.splitlines()[-1]
    assert last.startswith("powertune: error:") and f"{size} MB is outside" in last
    assert memory(client, f"{name}-ok") == 512 and memory(client, name) == 512


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:lambda:eu-west-1:123456789012:function:{}",  # another region
        "arn:aws:lambda:us-east-1:999999999999:function:{}",  # another account
        "arn:aws:lambda:ap-south-1:999999999999:function:{}:live",  # both, qualified
    ],
)
def test_a_result_for_another_account_or_region_leaves_the_local_namesake(
    server: LocalLambda, client: Any, tmp_path: Path, arn: str
) -> None:
    name = "namesake"
    if name not in {f["FunctionName"] for f in client.list_functions()["Functions"]}:
        create(client, name, tmp_path, 512)
    fn = cpu_bound(name, 512, 1024)
    fn.arn = arn.format(name)
    fn.region = fn.arn.split(":")[3]
    make_result([fn], tmp_path / "r.json")
    result = run(server, tmp_path / "r.json", "--write", "--region", "us-east-1")
    assert result.exit_code == 3, result.output
    assert "this account and region hold" in result.stderr
    assert memory(client, name) == 512 and TAG not in tags(client, name)


def test_a_function_twice_in_the_result_is_refused_before_anything(
    server: LocalLambda, client: Any, tmp_path: Path
) -> None:
    create(client, "twice", tmp_path, 512)
    by_arn = cpu_bound("twice", 512, 1024)
    by_name = cpu_bound("twice", 512, 2048)
    by_name.arn = None  # the same function, once by ARN and once by name
    make_result([by_arn, by_name], tmp_path / "r.json")
    result = run(server, tmp_path / "r.json", "--write")
    assert result.exit_code == 3, result.output
    assert "the same function is in the result more than once" in result.stderr
    assert memory(client, "twice") == 512


def test_a_hand_written_tag_is_not_a_rollback_record(
    server: LocalLambda, client: Any, tmp_path: Path
) -> None:
    create(client, "handtag", tmp_path, 512)
    make_result([cpu_bound("handtag", 512, 1024)], tmp_path / "r.json")
    for forged in ("memory=10240 applied=512", "v=2 memory=10240 applied=512 at=x op=y"):
        client.tag_resource(Resource=ARN.format("handtag"), Tags={TAG: forged})
        result = run(server, tmp_path / "r.json", "--rollback", "--write")
        assert result.exit_code == 4, result.output
        assert "was not written by this powertune" in result.stderr
        assert memory(client, "handtag") == 512


def test_a_deleted_and_recreated_function_is_not_rolled_back(
    server: LocalLambda, client: Any, tmp_path: Path
) -> None:
    create(client, "reborn", tmp_path, 512)
    make_result([cpu_bound("reborn", 512, 1024)], tmp_path / "r.json")
    assert run(server, tmp_path / "r.json", "--write").exit_code == 0
    old_tag = tags(client, "reborn")[TAG]
    client.delete_function(FunctionName="reborn")
    create(client, "reborn", tmp_path, 1024)  # other code: the same name, the applied size
    result = run(server, tmp_path / "r.json", "--rollback", "--write")  # the local record
    assert result.exit_code == 4, result.output
    assert "deleted and re-created" in result.stderr and "Traceback" not in result.output
    assert memory(client, "reborn") == 1024
    for record in (tmp_path / ".powertune" / "applied").glob("*.json"):
        record.unlink()  # another machine: the tag alone, as if the new function carried it
    client.tag_resource(Resource=ARN.format("reborn"), Tags={TAG: old_tag})
    result = run(server, tmp_path / "r.json", "--rollback", "--write")
    assert result.exit_code == 4, result.output
    assert "deleted and re-created" in result.stderr
    assert memory(client, "reborn") == 1024


def test_concurrent_applies_leave_the_winner_its_record(
    server: LocalLambda, client: Any, tmp_path: Path
) -> None:
    import threading

    from powertune.apply.errors import NotApplied
    from powertune.apply.live import LiveApplier
    from powertune.apply.targets import targets_from_result
    from powertune.results.jsonio import load_result

    create(client, "raced", tmp_path, 512)
    make_result([cpu_bound("raced", 512, 1024)], tmp_path / "r.json")
    target = targets_from_result(load_result(tmp_path / "r.json"))[0][0]
    wait = {"Delay": 0.1, "MaxAttempts": 100}
    # Two machines: each its own record directory; both checked the function before either wrote.
    appliers = [LiveApplier(client, tmp_path / f"m{i}", wait=wait) for i in range(2)]
    steps = [a.plan(target) for a in appliers]
    assert all(s.action == "update" for s in steps)
    outcomes: list[Any] = [None, None]
    barrier = threading.Barrier(2)

    def go(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = appliers[i].apply(steps[i])
        except NotApplied as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [o for o in outcomes if not isinstance(o, Exception)]
    lost = [o for o in outcomes if isinstance(o, NotApplied)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert memory(client, "raced") == 1024
    assert f"op={won[0].op}" in tags(client, "raced")[TAG]  # the winner's tag stands
    loser = appliers[outcomes.index(lost[0])]
    assert not list(loser.store.directory.glob("*.json"))  # the loser kept nothing of its own
    winner = appliers[outcomes.index(won[0])]
    back, record = winner.plan_rollback(target)
    assert back.action == "update" and record is not None and record.op == won[0].op
    winner.rollback(back, record)
    assert memory(client, "raced") == 512 and TAG not in tags(client, "raced")


def test_an_apply_holding_the_lock_refuses_the_second(
    server: LocalLambda, client: Any, tmp_path: Path
) -> None:
    from powertune.apply.record import RecordStore

    create(client, "locked", tmp_path, 512)
    make_result([cpu_bound("locked", 512, 1024)], tmp_path / "r.json")
    with RecordStore(tmp_path / ".powertune" / "applied").lock(ARN.format("locked")):
        result = run(server, tmp_path / "r.json", "--write")
    assert result.exit_code == 4, result.output
    assert "another powertune apply is changing it now" in result.stderr
    assert memory(client, "locked") == 512 and TAG not in tags(client, "locked")
    assert run(server, tmp_path / "r.json", "--write").exit_code == 0  # once it is free


def test_a_stop_before_the_update_leaves_nothing_that_blocks(
    server: LocalLambda, client: Any, tmp_path: Path
) -> None:
    create(client, "stopped", tmp_path, 512)
    make_result([cpu_bound("stopped", 512, 1024)], tmp_path / "r.json")
    records = tmp_path / ".powertune" / "applied"
    from powertune.apply.live import LiveApplier
    from powertune.apply.targets import targets_from_result
    from powertune.results.jsonio import load_result

    target = targets_from_result(load_result(tmp_path / "r.json"))[0][0]
    applier = LiveApplier(client, records, wait={"Delay": 0.1, "MaxAttempts": 100})

    def killed(**_: Any) -> None:
        raise KeyboardInterrupt("SIGTERM")  # as the stop handler raises it

    event = "before-call.lambda.UpdateFunctionConfiguration"
    client.meta.events.register(event, killed)
    try:
        with pytest.raises(KeyboardInterrupt):
            applier.apply(applier.plan(target))
    finally:
        client.meta.events.unregister(event, killed)
    assert memory(client, "stopped") == 512 and TAG not in tags(client, "stopped")
    assert [r["state"] for r in _records(tmp_path)] == ["pending"]
    preview = run(server, tmp_path / "r.json", "--rollback")  # a dry run removes nothing
    assert preview.exit_code == 0 and "would remove" in preview.stderr, preview.output
    assert [r["state"] for r in _records(tmp_path)] == ["pending"]
    back = run(server, tmp_path / "r.json", "--rollback", "--write")
    assert back.exit_code == 0, back.output  # the never-applied record is recognised, removed
    assert "never happened" in back.stderr and not _records(tmp_path)
    assert run(server, tmp_path / "r.json", "--write").exit_code == 0
    assert memory(client, "stopped") == 1024
    assert run(server, tmp_path / "r.json", "--rollback", "--write").exit_code == 0
    assert memory(client, "stopped") == 512


def test_sigterm_during_the_update_waits_for_the_record(
    server: LocalLambda, client: Any, tmp_path: Path
) -> None:
    import os
    import signal

    create(client, "termed", tmp_path, 512)
    make_result([cpu_bound("termed", 512, 1024)], tmp_path / "r.json")
    from powertune.apply.live import LiveApplier
    from powertune.apply.targets import targets_from_result
    from powertune.results.jsonio import load_result

    target = targets_from_result(load_result(tmp_path / "r.json"))[0][0]
    records = tmp_path / ".powertune" / "applied"
    applier = LiveApplier(client, records, wait={"Delay": 0.1, "MaxAttempts": 100})

    def term(**_: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while Lambda is answering the update

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt("SIGTERM")

    event = "after-call.lambda.UpdateFunctionConfiguration"
    client.meta.events.register(event, term)
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with pytest.raises(KeyboardInterrupt):
            applier.apply(applier.plan(target))
    finally:
        signal.signal(signal.SIGTERM, previous)
        client.meta.events.unregister(event, term)
    (record,) = _records(tmp_path)
    assert record["state"] == "applied"  # written before the signal was let through
    assert TAG not in tags(client, "termed")  # stopped before the tag: the file is enough
    client.get_waiter("function_updated_v2").wait(
        FunctionName="termed", WaiterConfig={"Delay": 0.1, "MaxAttempts": 50}
    )
    back = run(server, tmp_path / "r.json", "--rollback", "--write")
    assert back.exit_code == 0, back.output
    assert memory(client, "termed") == 512 and not _records(tmp_path)


def test_moto_a_result_for_another_account_changes_nothing_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto answers GetFunctionConfiguration for another account's ARN with the local function
    # of that name, as the probe found: the identity check is what refuses it.
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
        lam.create_function(
            FunctionName="orders",
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="app.handler",
            Code={"ZipFile": buffer.getvalue()},
            MemorySize=1024,
        )
        foreign = "arn:aws:lambda:us-east-1:999999999999:function:orders"
        fn = Fn("orders", 1024, 2048, {1024: 400.0, 2048: 200.0}, foreign)
        make_result([fn], tmp_path / "r.json")
        targets, _ = targets_from_result(load_result(tmp_path / "r.json"))
        applier = LiveApplier(lam, tmp_path / "records", wait={"Delay": 0.1, "MaxAttempts": 20})
        step = applier.plan(targets[0])
        assert step.action == "error" and "999999999999" in step.message
        back, record = applier.plan_rollback(targets[0])
        assert back.action == "error" and record is None
        assert lam.get_function_configuration(FunctionName="orders")["MemorySize"] == 1024
        assert not (tmp_path / "records").exists()


def test_a_rare_aws_error_on_the_update_is_exit_3_and_leaves_no_record(tmp_path: Path) -> None:
    from botocore.stub import Stubber

    from powertune.apply.errors import ApplyError
    from powertune.apply.live import LiveApplier
    from powertune.apply.targets import targets_from_result
    from powertune.results.jsonio import load_result

    arn = ARN.format("stubbed")
    make_result([cpu_bound("stubbed", 512, 1024)], tmp_path / "r.json")
    target = targets_from_result(load_result(tmp_path / "r.json"))[0][0]
    lam = boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    config = {
        "FunctionName": "stubbed",
        "FunctionArn": arn,
        "MemorySize": 512,
        "RevisionId": "r1",
        "CodeSha256": "c1",
        "State": "Active",
        "LastUpdateStatus": "Successful",
    }
    applier = LiveApplier(lam, tmp_path / "records", wait={"Delay": 1, "MaxAttempts": 2})
    with Stubber(lam) as stub:
        for _ in range(2):  # plan, then the check under the lock: a wait and a read each
            stub.add_response("get_function", {"Configuration": config})
            stub.add_response("get_function_configuration", config)
        stub.add_client_error(
            "update_function_configuration",
            service_error_code="ServiceException",
            service_message="internal",
            http_status_code=500,
        )
        step = applier.plan(target)
        assert step.action == "update"
        with pytest.raises(ApplyError) as failed:
            applier.apply(step)
    assert "ServiceException" in str(failed.value) and failed.value.exit_code == 3
    assert not list((tmp_path / "records").glob("*.json"))


@pytest.mark.parametrize("text", ["[default\nregion=us-east-1\n", "[profile x]\n  = y\n=\n"])
def test_a_malformed_aws_config_is_one_line_exit_2(
    server: LocalLambda, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    (tmp_path / "config").write_text(text)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    make_result([cpu_bound("orders", 512, 1024)], tmp_path / "r.json")
    result = run(server, tmp_path / "r.json", "--write")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "the AWS configuration" in lines[0]
