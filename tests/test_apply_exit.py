"""`powertune apply` exit codes a CI job can act on: 0 all applied (or already there), 4 some
recommendation not applied, --check 1 when the files differ (nothing written); one line each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apply_results import Fn, make_result
from typer.testing import CliRunner

from cli import app

MAIN = """resource "aws_lambda_function" "api" {
  function_name = "orders-api"
  role          = "arn:aws:iam::123456789012:role/api"
  handler       = "app.handler"
  memory_size   = 1024
}

resource "aws_lambda_function" "worker" {
  count         = 2
  function_name = "worker-${count.index}"
  role          = "arn:aws:iam::123456789012:role/api"
  memory_size   = 512
}
"""


def flat(name: str, orig: int, rec: int) -> Fn:
    return Fn(name, orig, rec, {orig: 120.0, rec: 121.0})


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(app, ["apply", *map(str, args)])


def setup(tmp_path: Path, fns: list[Fn]) -> tuple[Path, Path]:
    main = tmp_path / "main.tf"
    main.write_text(MAIN)
    make_result(fns, tmp_path / "r.json")
    return main, tmp_path / "r.json"


def test_all_applied_is_0_then_already_there_is_0(tmp_path: Path) -> None:
    main, result = setup(tmp_path, [flat("orders-api", 1024, 512)])
    first = run(result, "-t", main, "--write")
    assert first.exit_code == 0, first.output
    assert "memory_size   = 512\n}\n\nresource" in main.read_text()
    again = run(result, "-t", main, "--write")
    assert again.exit_code == 0, again.output
    assert "already 512 MB" in again.stderr


def test_not_applied_is_4_and_each_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    main, result = setup(
        tmp_path,
        [flat("orders-api", 1024, 512), flat("worker-0", 512, 256), flat("nowhere", 512, 256)],
    )
    out = run(result, "-t", main, "--write")
    assert out.exit_code == 4, out.output
    assert "memory_size   = 512\n}\n\nresource" in main.read_text()  # the rest still applied
    lines = out.stderr.splitlines()
    changed = [x for x in lines if x.startswith("changed: ")]
    by_hand = [x for x in lines if x.startswith("by hand: ")]
    unmatched = [x for x in lines if x.startswith("unmatched: ")]
    assert len(changed) == 1 and f"{main}:5: aws_lambda_function.api" in changed[0]
    assert "1024 MB -> 512 MB" in changed[0] and "gate: pass" in changed[0]
    assert len(by_hand) == 1 and f"{main}:12: aws_lambda_function.worker (worker-0)" in by_hand[0]
    assert "worker-1" in by_hand[0]
    assert unmatched == ["unmatched: nowhere: not found in the templates (settle with --map)"]
    assert lines[-1] == "not applied: 2 recommendation(s), see above (exit 4)"


def test_a_gate_refusal_is_not_applied_too(tmp_path: Path) -> None:
    main, result = setup(tmp_path, [flat("orders-api", 1024, 2048)])  # cost +~100%
    out = run(result, "-t", main, "--write")
    assert out.exit_code == 4, out.output
    assert main.read_text() == MAIN
    (refused,) = [x for x in out.stderr.splitlines() if x.startswith("refused: ")]
    assert f"{main}:1: aws_lambda_function.api (orders-api)" in refused
    assert "gate would refuse it" in refused


def test_check_exits_1_on_drift_and_writes_nothing_then_0(tmp_path: Path) -> None:
    main, result = setup(tmp_path, [flat("orders-api", 1024, 512)])
    drift = run(result, "-t", main, "--check")
    assert drift.exit_code == 1, drift.output
    assert main.read_text() == MAIN
    assert "+  memory_size   = 512" in drift.stdout
    assert f"differs: {main}:5: aws_lambda_function.api: 1024 MB -> 512 MB" in drift.stderr
    assert "check: 1 setting(s) differ" in drift.stderr
    run(result, "-t", main, "--write")
    clean = run(result, "-t", main, "--check")
    assert clean.exit_code == 0, clean.output
    assert clean.stdout == "" and "check: up to date" in clean.stderr


def test_check_with_nothing_to_compare_is_4(tmp_path: Path) -> None:
    main, result = setup(tmp_path, [flat("nowhere", 1024, 512)])
    out = run(result, "-t", main, "--check")
    assert out.exit_code == 4, out.output


def test_check_and_write_together_is_a_usage_error(tmp_path: Path) -> None:
    main, result = setup(tmp_path, [flat("orders-api", 1024, 512)])
    out = run(result, "-t", main, "--check", "--write")
    assert out.exit_code == 2
    assert out.stderr.strip().splitlines() == [
        "powertune: error: --check writes nothing: give --check or --write, not both"
    ]
    assert main.read_text() == MAIN


def test_tfvars_names_the_environment(tmp_path: Path) -> None:
    (tmp_path / "envs").mkdir()
    (tmp_path / "main.tf").write_text(
        'variable "memory" {\n  type = number\n}\n\n'
        'resource "aws_lambda_function" "api" {\n  function_name = "orders-api"\n'
        '  role          = "arn"\n  memory_size   = var.memory\n}\n'
    )
    dev, prod = tmp_path / "envs" / "dev.tfvars", tmp_path / "envs" / "prod.tfvars"
    dev.write_text("memory = 1024\n")
    prod.write_text("memory = 2048\n")
    make_result([flat("orders-api", 1024, 512)], tmp_path / "r.json")
    ambiguous = run(tmp_path / "r.json", "-t", tmp_path, "--write")
    assert ambiguous.exit_code == 4, ambiguous.output
    assert "--tfvars FILE" in ambiguous.stderr
    assert dev.read_text() == "memory = 1024\n" and prod.read_text() == "memory = 2048\n"
    chosen = run(tmp_path / "r.json", "-t", tmp_path / "main.tf", "--tfvars", dev, "--write")
    assert chosen.exit_code == 0, chosen.output
    assert dev.read_text() == "memory = 512\n" and prod.read_text() == "memory = 2048\n"


SAM = """Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    MemorySize: 1024
Resources:
  Alone:
    Type: AWS::Serverless::Function
    IgnoreGlobals: '*'
    Properties:
      FunctionName: alone
      Handler: app.handler
"""


def test_ignore_globals_is_noted_as_the_default_not_globals(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(SAM)
    make_result([Fn("alone", 128, 256, {128: 800.0, 256: 400.0})], tmp_path / "r.json")
    out = run(tmp_path / "r.json", "-t", template, "--write")
    assert out.exit_code == 0, out.output
    assert template.read_text() == SAM.replace(
        "      Handler: app.handler\n", "      Handler: app.handler\n      MemorySize: 256\n"
    )
    assert "inherited -> 256 MB (IgnoreGlobals: the default 128 MB, not Globals" in out.stderr
    assert "Globals 1024" not in out.stderr and "Globals.Function" not in out.stderr
