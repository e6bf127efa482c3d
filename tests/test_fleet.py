"""Fleet runs against the embedded runtime over boto3: many functions in one run, failures
isolated and restored, shards that join back into the whole, resume, and the budgets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from cli import app
from powertune.errors import InputError
from powertune.local import LocalLambda
from powertune.results import load_result
from powertune.tune.fleet import FleetOptions, SpendPool, journal_path, read_limits, tune_fleet
from powertune.tune.fleet_select import (
    Selection,
    in_shard,
    parse_shard,
    select,
    stack_functions,
    top_of_analysis,
)
from powertune.tune.plan import TuneFlags, resolve_plan

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "functions" / "noop"
FAST = ["--search", "grid", "--memory", "256,512", "--invocations", "2", "--warmup", "0"]
FAST += ["--monthly-invocations", "1000"]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalLambda]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "lambda_function.py").write_text(
        "def lambda_handler(event, context):\n    raise RuntimeError('always fails')\n"
    )
    with LocalLambda(cpu="model", concurrency=32) as srv:
        for i in range(6):
            srv.add_function(f"fleet-{i}", str(EXAMPLE), MemorySize=1024, Timeout=10)
        srv.add_function("fleet-broken", str(broken), MemorySize=768, Timeout=10)
        srv.add_function("other", str(EXAMPLE), MemorySize=1024, Timeout=10)
        yield srv


def _client(srv: LocalLambda) -> Any:
    return boto3.client("lambda", endpoint_url=srv.endpoint_url, region_name="us-east-1")


def _tune(srv: LocalLambda, *args: str) -> Any:
    return CliRunner().invoke(app, ["tune", *args, "--endpoint-url", srv.endpoint_url, *FAST])


def test_prefix_tunes_every_function_and_a_failing_one_is_reported_and_restored(
    server: LocalLambda, tmp_path: Path
) -> None:
    out = tmp_path / "fleet.json"
    res = _tune(server, "--prefix", "fleet-", "--concurrency", "4", "--json", str(out))
    assert res.exit_code == 3, res.output  # the result is written, and the failure is loud
    assert "1 of 7 functions failed (fleet-broken)" in res.output
    result = load_result(out)
    assert sorted(f.name for f in result.functions) == [f"fleet-{i}" for i in range(6)]
    assert all(f.recommendation is not None for f in result.functions)
    assert result.failed is not None and [f.name for f in result.failed] == ["fleet-broken"]
    assert result.failed[0].restored and "could be measured" in result.failed[0].reason
    lam = _client(server)
    memories = {f["FunctionName"]: f["MemorySize"] for f in lam.list_functions()["Functions"]}
    assert memories == {
        **{f"fleet-{i}": 1024 for i in range(6)},
        "fleet-broken": 768,
        "other": 1024,
    }
    assert "[7/7]" in res.output and "fleet-broken: failed" in res.output
    # the table: the summary comes first, then the functions
    assert res.output.index("Monthly cost") < res.output.index("fleet-0 · x86_64")
    assert not journal_path("x").parent.exists() or not list(journal_path("x").parent.iterdir())


def test_shards_join_back_into_the_unsharded_set(server: LocalLambda, tmp_path: Path) -> None:
    parts = []
    for k in (1, 2, 3):
        out = tmp_path / f"part{k}.json"
        res = _tune(server, "fleet-0", "fleet-1", "fleet-2", "fleet-3", "fleet-4", "fleet-5",
                    "--shard", f"{k}/3", "--json", str(out))  # fmt: skip
        if res.exit_code == 2 and "holds none of the 6" in res.output:
            continue  # an empty shard is a usage error, not a part
        assert res.exit_code == 0, res.output
        parts.append(str(out))
    merged = CliRunner().invoke(app, ["merge", *parts])
    assert merged.exit_code == 0, merged.output
    names = sorted(f["name"] for f in json.loads(merged.stdout)["functions"])
    assert names == [f"fleet-{i}" for i in range(6)]
    again = CliRunner().invoke(app, ["merge", parts[0], parts[0]])
    assert again.exit_code == 2 and "is given twice" in again.output
    ids = {json.loads(Path(p).read_text())["run_id"] for p in parts}
    assert len(ids) == 1  # every shard computed the same run id on its own
    assert json.loads(merged.stdout)["run_id"] in ids and "shard" not in json.loads(merged.stdout)
    if len(parts) > 1:  # a shard left out is refused, naming it
        short = CliRunner().invoke(app, ["merge", *parts[1:]])
        assert short.exit_code == 2 and "missing" in short.output, short.output
        k = json.loads(Path(parts[0]).read_text())["shard"]["index"]
        assert f"shard(s) {k}/3" in short.output


def test_merge_refuses_parts_of_different_runs(server: LocalLambda, tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert _tune(server, "fleet-0", "--json", str(a)).exit_code == 0
    assert _tune(server, "fleet-1", "--strategy", "speed", "--json", str(b)).exit_code == 0
    res = CliRunner().invoke(app, ["merge", str(a), str(b)])
    assert res.exit_code == 2 and "strategy" in res.output and "not parts of one run" in res.output
    # the same settings, another run: each single run has its own id
    c = tmp_path / "c.json"
    assert _tune(server, "fleet-1", "--json", str(c)).exit_code == 0
    assert json.loads(a.read_text())["run_id"] != json.loads(c.read_text())["run_id"]
    res = CliRunner().invoke(app, ["merge", str(a), str(c)])
    assert res.exit_code == 2 and "not parts of one run" in res.output and "of run" in res.output


def test_resume_keeps_the_finished_functions(server: LocalLambda, tmp_path: Path) -> None:
    flags = TuneFlags(
        endpoint_url=server.endpoint_url,
        search_kind="grid",
        memory="256,512",
        invocations=2,
        warmup=0,
        monthly_invocations=1000,
    )

    def plan_for(name: str) -> Any:
        return resolve_plan(TuneFlags(**{**flags.__dict__, "function": name}))

    journal = tmp_path / "fleet.jsonl"
    first = tune_fleet(["fleet-0"], plan_for, FleetOptions(concurrency=2, journal=journal))
    assert journal.read_text().count("\n") == 1
    resumed = tune_fleet(
        ["fleet-0", "fleet-1"],
        plan_for,
        FleetOptions(concurrency=2, journal=journal, resume=True),
    )
    kept = resumed.function("fleet-0")
    assert kept == first.function("fleet-0")  # not measured again: the same samples
    assert resumed.function("fleet-1") is not None and resumed.function("fleet-1").recommendation


def test_limits_take_a_share_of_unreserved_and_reserved_concurrency() -> None:
    lam = boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(lam) as stub:
        stub.add_response(
            "get_account_settings",
            {"AccountLimit": {"UnreservedConcurrentExecutions": 20}, "AccountUsage": {}},
        )
        stub.add_response(
            "get_function_concurrency", {"ReservedConcurrentExecutions": 8}, {"FunctionName": "a"}
        )
        stub.add_response(
            "get_function_concurrency", {"ReservedConcurrentExecutions": 2}, {"FunctionName": "b"}
        )
        stub.add_response("get_function_concurrency", {}, {"FunctionName": "c"})
        limits = read_limits(lam, ["a", "b", "c"], requested=50)
    assert limits.total == 5  # a quarter of 20
    assert limits.per_function == {"a": 2, "b": 0, "c": None}
    assert "capped at 5" in limits.notes[0]


def test_a_function_with_no_room_in_its_reservation_is_not_invoked(server: LocalLambda) -> None:
    import threading

    from powertune.tune.fleet import _tune_one
    from powertune.tune.run import Hooks

    plan = resolve_plan(TuneFlags(function="fleet-0", endpoint_url=server.endpoint_url))
    out = _tune_one("fleet-0", plan, 4, 0, None, threading.Event(), Hooks())
    assert out.failure is not None and "reserved concurrency" in out.failure.reason


def test_spend_pool_never_lends_more_than_the_limit() -> None:
    pool = SpendPool(__import__("decimal").Decimal("1.00"))
    a = pool.lend(4)
    b = pool.lend(3)
    assert a is not None and b is not None and a + b <= 1
    pool.settle(a, a / 2)
    c = pool.lend(2)
    assert c is not None and a / 2 + b + c <= 1


def test_selection_by_tag_and_stack_and_analysis(server: LocalLambda, tmp_path: Path) -> None:
    lam = _client(server)
    arn = lam.get_function_configuration(FunctionName="fleet-3")["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"team": "pay"})
    assert select(Selection(tags=(("team", "pay"),)), lam) == ["fleet-3"]
    assert select(Selection(prefix="fleet-", tags=(("team", "pay"),)), lam) == ["fleet-3"]
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    with Stubber(cfn) as stub:
        summary = {
            "LastUpdatedTimestamp": "2026-01-01T00:00:00Z",
            "ResourceStatus": "CREATE_COMPLETE",
        }
        stub.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [
                    {
                        "LogicalResourceId": "Fn",
                        "PhysicalResourceId": "fleet-1",
                        "ResourceType": "AWS::Lambda::Function",
                        **summary,
                    },
                    {
                        "LogicalResourceId": "Role",
                        "PhysicalResourceId": "role-1",
                        "ResourceType": "AWS::IAM::Role",
                        **summary,
                    },
                ],
                "NextToken": "t",
            },
            {"StackName": "shop"},
        )
        stub.add_response("list_stack_resources", {"StackResourceSummaries": []},
                          {"StackName": "shop", "NextToken": "t"})  # fmt: skip
        assert stack_functions(cfn, "shop") == ["fleet-1"]
    analysis = tmp_path / "analysis.json"
    analysis.write_text(
        json.dumps(
            {
                "functions": [
                    {"name": "cheap", "current_monthly_usd": "1.00"},
                    {"name": "dear", "current_monthly_usd": "500.00"},
                    {"name": "waste", "current_monthly_usd": "50.00"},
                    {"name": "unknown", "current_monthly_usd": None},
                ],
                "findings": [{"function": "waste", "monthly_usd": "40.00"}],
            }
        )
    )
    assert top_of_analysis(str(analysis), 2) == ["waste", "dear"]


def test_shards_are_stable_and_cover_every_name() -> None:
    names = [f"fn-{i}" for i in range(200)]
    shards = [in_shard(names, (k, 7)) for k in range(1, 8)]
    assert sorted(n for s in shards for n in s) == sorted(names)
    assert all(len(s) > 10 for s in shards)  # spread, not one shard
    assert in_shard(names, (3, 7)) == shards[2]
    for bad in ("0/3", "4/3", "a/b", "3"):
        with pytest.raises(InputError):
            parse_shard(bad)


def test_fleet_usage_errors_are_one_line(server: LocalLambda, tmp_path: Path) -> None:
    res = _tune(server, "--prefix", "nothing-matches-")
    assert res.exit_code == 2 and "no function matches" in res.output
    res = _tune(server, "--prefix", "fleet-", "--tag", "novalue")
    assert res.exit_code == 2 and "KEY=VALUE" in res.output
    example = Path(__file__).parent / "golden" / "result-example.json"
    res = CliRunner().invoke(app, ["merge", str(example), str(tmp_path / "missing.json")])
    assert res.exit_code == 3 and "missing.json" in res.output and "Traceback" not in res.output


def test_a_fleet_with_an_unknown_profile_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # It was botocore's ProfileNotFound traceback: the fleet built its own session.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    result = CliRunner().invoke(
        app, ["tune", "orders", "billing", "--profile", "nosuch", "--region", "us-east-1"]
    )
    assert result.exit_code == 2, result.output
    assert "unknown AWS profile 'nosuch'" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- one function, one identity; shards of one run (issue 27) ----------------------------------
ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


def test_a_function_named_by_name_arn_and_alias_is_selected_once(server: LocalLambda) -> None:
    lam = _client(server)
    forms = ["fleet-2", ACCOUNT_ARN.format("fleet-2"), ACCOUNT_ARN.format("fleet-2") + ":live",
             "fleet-2:live", "123456789012:function:fleet-2", "fleet-3"]  # fmt: skip
    notes: list[str] = []
    chosen = select(Selection(names=tuple(forms)), lam, note=notes.append)
    assert len(chosen) == 2 and sum("fleet-2" in c for c in chosen) == 1
    assert len(notes) == 4 and all("tuned once" in n for n in notes)
    # another region's or account's function of the same name is another function
    other = ["fleet-2", "arn:aws:lambda:eu-west-1:123456789012:function:fleet-2",
             "arn:aws:lambda:us-east-1:999999999999:function:fleet-2"]  # fmt: skip
    assert len(select(Selection(names=tuple(other)), lam)) == 3


def test_name_and_arn_of_one_function_are_tuned_once(server: LocalLambda, tmp_path: Path) -> None:
    out = tmp_path / "fleet.json"
    res = _tune(server, "fleet-4", ACCOUNT_ARN.format("fleet-4"), "--json", str(out))
    assert res.exit_code == 0, res.output
    result = load_result(out)
    assert [f.name for f in result.functions] == ["fleet-4"]
    # one run's measurements: 2 invocations at each of the two sizes, never two runs mixed
    assert [m.invocations for m in result.functions[0].measurements] == [2, 2]
    assert "is the same function as" in " ".join(res.output.split())


def _part(tmp_path: Path, name: str, run_id: str | None, shard: tuple[int, int, int] | None,
          keep: int) -> str:  # fmt: skip
    data = json.loads((Path(__file__).parent / "golden" / "result-example.json").read_text())
    data["functions"] = [data["functions"][keep]]
    if run_id is not None:
        data["run_id"] = run_id
    if shard is not None:
        data["shard"] = {"index": shard[0], "count": shard[1], "selected": shard[2]}
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        (("run-1", (1, 2, 2)), ("run-2", (2, 2, 2)), "not parts of one run"),  # two runs
        (("run-1", (1, 2, 2)), ("run-1", (1, 2, 2)), "shard 1/2 is given twice"),
        (("run-1", (1, 2, 2)), ("run-1", (2, 3, 2)), "not parts of one run"),  # other N
        (("run-1", (1, 2, 2)), ("run-1", None), "is not a shard"),
        (("run-1", (1, 3, 3)), ("run-1", (2, 3, 3)), "shard(s) 3/3 missing"),
        (("run-1", (1, 2, 5)), ("run-1", (2, 2, 5)), "their run selected 5"),
    ],
)
def test_merge_refuses_parts_that_are_not_one_runs_shards(
    tmp_path: Path, a: tuple[Any, Any], b: tuple[Any, Any], message: str
) -> None:
    parts = [_part(tmp_path, "a.json", *a, keep=0), _part(tmp_path, "b.json", *b, keep=1)]
    res = CliRunner().invoke(app, ["merge", *parts])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert res.output.count("powertune: error:") == 1


def test_merge_of_files_without_run_ids_says_it_cannot_check(tmp_path: Path) -> None:
    old = [_part(tmp_path, f"{k}.json", None, None, keep=k) for k in (0, 1)]
    res = CliRunner().invoke(app, ["merge", *old])
    assert res.exit_code == 0, res.output
    assert "no run id" in res.stderr and "cannot check" in res.stderr
    assert len(json.loads(res.stdout)["functions"]) == 2
    whole = [_part(tmp_path, f"s{k}.json", "run-9", (k + 1, 2, 2), keep=k) for k in (0, 1)]
    res = CliRunner().invoke(app, ["merge", *whole])
    assert res.exit_code == 0 and json.loads(res.stdout)["run_id"] == "run-9", res.output
    assert not res.stderr


def test_shards_with_different_run_ids_are_refused(server: LocalLambda, tmp_path: Path) -> None:
    parts = []
    for k, run_id in ((1, "ci-101"), (2, "ci-102")):
        out = tmp_path / f"part{k}.json"
        res = _tune(server, "fleet-0", "fleet-1", "fleet-2", "fleet-3", "fleet-4", "fleet-5",
                    "--shard", f"{k}/2", "--run-id", run_id, "--json", str(out))  # fmt: skip
        assert res.exit_code == 0, res.output
        parts.append(str(out))
        assert json.loads(out.read_text())["shard"] == {"index": k, "count": 2, "selected": 6}
    res = CliRunner().invoke(app, ["merge", *parts])
    assert res.exit_code == 2 and "not parts of one run" in res.output, res.output
    bad = _tune(server, "fleet-0", "fleet-1", "--run-id", "no spaces")
    assert bad.exit_code == 2 and "--run-id" in bad.output
