"""aws-lambda-power-tuning in and out: the input's every key mapped or named in one note,
dryRun honoured, flags winning over the file; the visualisation URL round trip."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from test_tune_baseline import replay_csv
from typer.testing import CliRunner

from cli import app
from powertune.outputs.power_tuning import POWER_TUNING_UI, power_tuning_url
from powertune.results import load_result
from powertune.tune import plan as p
from powertune.tune.targets.replay import decode_power_tuning_costs, decode_power_tuning_url

runner = CliRunner()


def _input(tmp_path: Path, **extra: object) -> Path:
    path = tmp_path / "input.json"
    data = {
        "lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:fn",
        "powerValues": [128, 256, 512],
        "num": 20,
        "strategy": "speed",
        "balancedWeight": 0.2,
        "parallelInvocation": True,
        **extra,
    }
    path.write_text(json.dumps(data))
    return path


def _plan(path: Path, **flags: object) -> p.RunPlan:
    return p.resolve_plan(p.TuneFlags(from_power_tuning=str(path), **flags))  # type: ignore[arg-type]


def test_every_unmapped_key_is_named_in_one_note(tmp_path: Path) -> None:
    path = _input(
        tmp_path,
        autoOptimize=True,
        autoOptimizeAlias="live",
        disablePayloadLogs=True,
        includeOutputResults=True,
        numberOfRuns=3,
    )
    plan = _plan(path)
    assert len(plan.notes) == 1
    note = plan.notes[0]
    for key in ("autoOptimize", "autoOptimizeAlias", "disablePayloadLogs",
                "includeOutputResults", "numberOfRuns"):  # fmt: skip
        assert key in note
    assert "unknown keys, ignored: numberOfRuns" in note
    assert not _plan(_input(tmp_path)).notes  # a plain input: nothing to say


def test_flags_win_over_the_file(tmp_path: Path) -> None:
    path = _input(tmp_path)
    from_file = _plan(path)
    assert (from_file.invocations, from_file.strategy.name, from_file.search) == (
        20,
        "speed",
        "grid",
    )
    assert from_file.strategy.balanced_weight == 0.2
    flagged = _plan(
        path, invocations=7, strategy="cost", balanced_weight=0.9, concurrency=3,
        search_kind="adaptive", payload='{"x": 1}',
    )  # fmt: skip
    assert (flagged.invocations, flagged.strategy.name, flagged.search) == (7, "cost", "adaptive")
    assert flagged.strategy.balanced_weight == 0.9 and flagged.concurrency == 3
    assert flagged.payloads.items == (b'{"x": 1}',)


def test_dry_run_in_the_input_changes_nothing(tmp_path: Path) -> None:
    # a deployed function's input with dryRun: the plan says so before any AWS call is made
    assert _plan(_input(tmp_path, dryRun=True)).dry_run is True
    assert _plan(_input(tmp_path)).dry_run is False


def test_dry_run_input_via_the_cli_prints_the_plan(tmp_path: Path) -> None:
    from powertune.local import LocalLambda

    handler = tmp_path / "h.py"
    handler.write_text("def handler(event, context):\n    return 1\n")
    with LocalLambda(cpu="model") as server:
        server.add_function("fn", str(handler) + ":h.handler")
        path = _input(tmp_path, dryRun=True, lambdaARN="fn")
        res = runner.invoke(
            app,
            ["tune", "--from-power-tuning", str(path), "--endpoint-url", server.endpoint_url,
             "--region", "us-east-1"],
            env={"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"},
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        assert "nothing was changed" in res.output and "plan for fn" in res.output
        client = boto3.client(
            "lambda", endpoint_url=server.endpoint_url, region_name="us-east-1",
            aws_access_key_id="x", aws_secret_access_key="x",
        )  # fmt: skip
        assert client.list_aliases(FunctionName="fn")["Aliases"] == []
        assert client.list_versions_by_function(FunctionName="fn")["Versions"][-1]["Version"] in (
            "$LATEST",
        )


def test_power_tuning_url_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    csv = replay_csv(tmp_path / "fn.csv", 1.0)
    res = runner.invoke(
        app,
        ["tune", "orders", "--replay", str(csv), "--search", "grid", "--memory", "256,1024,3008",
         "--invocations", "5", "--json", str(out), "-q", "--power-tuning-url"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    fn = load_result(out).functions[0]
    url = power_tuning_url(fn)
    assert url.startswith(POWER_TUNING_UI + "#")
    assert f"orders {url}" in res.output
    rows = decode_power_tuning_url(url)
    measured = [m for m in fn.measurements if m.measured]
    assert [r.memory_mb for r in rows] == [256, 1024, 3008]
    for row, m in zip(rows, sorted(fn.measurements, key=lambda m: m.memory_mb), strict=True):
        assert m.duration_ms is not None
        assert row.duration_ms == pytest.approx(m.duration_ms.mean, rel=1e-6)  # float32
    costs = decode_power_tuning_costs(url)
    by_size = {m.memory_mb: float(m.cost_per_invocation_usd or 0) for m in fn.measurements}
    assert costs == pytest.approx([by_size[r.memory_mb] for r in rows], rel=1e-6)
    assert len(measured) == 3
    report = runner.invoke(app, ["report", str(out), "--power-tuning-url"])
    assert report.exit_code == 0 and report.output.strip() == f"orders {url}"


def test_power_tuning_input_end_to_end_payload_text_and_allowed_exceptions(tmp_path: Path) -> None:
    """Issue 28, through the CLI on the local runtime: a payload given as JSON text reaches the
    handler as that JSON (not a string of it), and allowedExceptions keeps a size whose every
    invocation raises an allowed error measured and priced (as aws-lambda-power-tuning counts
    it), where before it failed the size."""
    from powertune.local import LocalLambda

    handler = Path(__file__).parent / "functions" / "flaky"
    env = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    with LocalLambda(cpu="model") as server:
        server.add_function("flaky", str(handler))
        common = ["--endpoint-url", server.endpoint_url, "--region", "us-east-1", "-q"]
        text = _input(
            tmp_path, lambdaARN="flaky", powerValues=[128, 256], num=3, payload='{"fail": false}'
        )
        out = tmp_path / "text.json"
        res = runner.invoke(
            app, ["tune", "--from-power-tuning", str(text), "--json", str(out), *common], env=env
        )
        assert res.exit_code == 0, res.output
        fn = load_result(out).functions[0]
        assert all(s.ok and s.error_type is None for m in fn.measurements for s in m.samples)
        allowed = tmp_path / "allowed.json"
        allowed.write_text(
            json.dumps(
                {"lambdaARN": "flaky", "powerValues": [128, 256], "num": 3, "payload": {},
                 "allowedExceptions": ["DownstreamTimeout"]}
            )
        )  # fmt: skip
        out = tmp_path / "allowed-out.json"
        res = runner.invoke(
            app, ["tune", "--from-power-tuning", str(allowed), "--json", str(out), *common],
            env=env,
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        fn = load_result(out).functions[0]
        assert [m.status for m in fn.measurements] == ["measured", "measured"]
        samples = [s for m in fn.measurements for s in m.samples]
        assert samples and all(s.error_type == "DownstreamTimeout" and s.allowed for s in samples)
        assert fn.recommendation is not None
