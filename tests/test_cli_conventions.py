"""Conventions every command keeps: help text on every option, -h, completion, readable help at
80 columns, the same exit code for the same error, AWS_REGION honoured like the AWS CLI v2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from test_tune_baseline import replay_csv
from typer.testing import CliRunner

from cli import app
from powertune import awsenv
from powertune.results import load_result
from powertune.tune.targets.aws import AwsLambdaTarget

runner = CliRunner()


def _commands() -> Iterator[tuple[str, Any]]:
    """(path, command) for the root and every sub-command (typer vendors its own click)."""
    root = typer.main.get_command(app)

    def walk(cmd: Any, path: str) -> Iterator[tuple[str, Any]]:
        yield path, cmd
        # list_commands/get_command: the root builds its commands on first use
        for name in cmd.list_commands(None) if hasattr(cmd, "list_commands") else []:
            yield from walk(cmd.get_command(None, name), f"{path} {name}".strip())

    yield from walk(root, "")


def _is_option(param: Any) -> bool:
    return bool(param.param_type_name == "option")


COMMANDS = [path for path, _ in _commands() if path]


def test_every_option_of_every_command_has_help_text() -> None:
    missing = [
        f"{path or 'powertune'} {param.opts[0]}"
        for path, cmd in _commands()
        for param in cmd.params
        if _is_option(param) and not (param.help or "").strip()
    ]
    assert not missing, f"options without help text: {missing}"
    assert len(COMMANDS) >= 10  # the walk really reached the sub-commands


@pytest.mark.parametrize("path", COMMANDS)
def test_dash_h_is_help_and_option_names_fit_80_columns(path: str) -> None:
    res = runner.invoke(app, [*path.split(), "-h"], env={"COLUMNS": "80"}, terminal_width=80)
    assert res.exit_code == 0, res.output
    assert "Usage:" in res.output
    assert all(len(line) <= 80 for line in res.output.splitlines()), res.output
    cmd = dict(_commands())[path]
    for param in cmd.params:
        if _is_option(param) and not param.hidden:
            for opt in param.opts:
                assert opt in res.output, f"{path}: {opt} not shown whole at 80 columns"


def test_shell_completion_is_offered() -> None:
    res = runner.invoke(app, ["--help"])
    assert "--install-completion" in res.output and "--show-completion" in res.output


# --- AWS conventions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "flag", "expected"),
    [
        ({"AWS_REGION": "eu-west-1"}, None, "eu-west-1"),
        ({"AWS_DEFAULT_REGION": "ap-south-1"}, None, "ap-south-1"),
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "ap-south-1"}, None, "eu-west-1"),
        ({"AWS_REGION": "eu-west-1"}, "us-west-2", "us-west-2"),
    ],
)
def test_region_order_is_the_aws_cli_v2s(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], flag: str | None, expected: str
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    assert awsenv.session(None, flag).region_name == expected
    target = AwsLambdaTarget("orders", region=flag)
    assert target.client.meta.region_name == expected
    assert target.logs.meta.region_name == expected


def test_a_profile_region_comes_last(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile team]\nregion = sa-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    assert awsenv.session("team").region_name == "sa-east-1"
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert awsenv.session("team").region_name == "eu-west-1"


@pytest.mark.parametrize(
    "args",
    [
        ["tune", "orders", "--dry-run"],
        ["cleanup", "orders"],
        ["analyze"],
    ],
)
def test_an_unknown_profile_is_exit_2_in_every_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str]
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    res = runner.invoke(app, [*args, "--profile", "nope", "--region", "us-east-1"])
    assert res.exit_code == 2, res.output
    assert "unknown AWS profile 'nope'" in res.output and "Traceback" not in res.output


def test_endpoint_url_is_lambdas_only() -> None:
    target = AwsLambdaTarget(
        "orders",
        region="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        logs_endpoint_url="http://127.0.0.1:8",
    )
    assert target.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert target.logs.meta.endpoint_url == "http://127.0.0.1:8"
    alone = AwsLambdaTarget("orders", region="us-east-1", endpoint_url="http://127.0.0.1:9")
    assert alone.logs.meta.endpoint_url == "https://logs.us-east-1.amazonaws.com"


def test_tune_name_with_replay_names_the_function(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    sample = replay_csv(tmp_path / "fn.csv", 1.0)
    res = runner.invoke(
        app,
        [
            "tune",
            "orders",
            "--replay",
            str(sample),
            "--search",
            "grid",
            "--memory",
            "256,1024",
            "--invocations",
            "5",
            "--json",
            str(out),
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    result = load_result(out)
    assert result.functions[0].name == "orders"
    assert res.output == ""  # -q with --json FILE: nothing but errors


# --- one output convention: --format + --output FILE|- ------------------------------------


def test_every_result_command_takes_output_and_format(tmp_path: Path) -> None:
    csv = replay_csv(tmp_path / "fn.csv", 1.0)
    grid = ["--search", "grid", "--memory", "256,1024", "--invocations", "5", "-q"]
    md = tmp_path / "r.md"
    res = runner.invoke(app, ["tune", "orders", "--replay", str(csv), *grid, "-f", "markdown",
                              "-o", str(md), "--json", str(tmp_path / "r.json")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert res.output == "" and md.read_text().startswith("<!-- powertune-report -->")
    assert load_result(tmp_path / "r.json").functions[0].name == "orders"  # --json still works
    js = tmp_path / "r2.json"
    assert runner.invoke(app, ["report", str(tmp_path / "r.json"), "-f", "json",
                               "-o", str(js)]).exit_code == 0  # fmt: skip
    assert load_result(js).functions[0].name == "orders"
    est = tmp_path / "est.json"
    res = runner.invoke(app, ["pricing", "estimate", "--memory", "1024", "--duration-ms", "100",
                              "--invocations", "1000000", "-f", "json", "-o", str(est)])  # fmt: skip
    assert res.exit_code == 0 and res.output == ""
    assert json.loads(est.read_text())["free_tier"] is False  # the same default as tune
    log = tmp_path / "log.txt"
    log.write_text(
        "REPORT RequestId: 1 Duration: 10.00 ms Billed Duration: 10 ms Memory Size: 128 MB "
        "Max Memory Used: 50 MB\n"
    )
    parsed = tmp_path / "records.jsonl"
    res = runner.invoke(app, ["logs", "parse", str(log), "--format", "jsonl", "-o", str(parsed)])
    assert res.exit_code == 0, res.output
    assert json.loads(parsed.read_text().splitlines()[0])["billed_ms"] == 10


def test_a_failed_command_leaves_no_output_file(tmp_path: Path) -> None:
    out = tmp_path / "est.json"
    res = runner.invoke(app, ["pricing", "estimate", "--memory", "1024", "--duration-ms", "x",
                              "--invocations", "1", "-o", str(out)])  # fmt: skip
    assert res.exit_code == 2 and not out.exists()
