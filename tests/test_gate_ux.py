"""The gate as a user runs it: one line on a pass, a JSON verdict in the result's schema family,
the monthly $ change first, the first-run path, README's exit codes, no dead endpoint hints."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
from test_gate import build_result
from test_tune_baseline import GRID, replay_csv
from typer.testing import CliRunner

from cli import app
from powertune.gate.compare import compare, regenerate_command
from powertune.gate.verdict_json import VERDICT_SCHEMA_FILE, build_verdict_schema
from powertune.outputs import render_gate_markdown
from powertune.results import write_result
from powertune.results.model import Run

runner = CliRunner()


def _files(tmp_path: Path, seed_base: int = 11, seed_cur: int = 12, **kw: object) -> list[str]:
    b, c = tmp_path / "base.json", tmp_path / "cur.json"
    write_result(build_result(seed_base), b)
    write_result(build_result(seed_cur, **kw), c)
    return ["gate", "--baseline", str(b), "--current", str(c)]


def test_a_clean_pass_is_one_line_with_the_monthly_change_first(tmp_path: Path) -> None:
    res = runner.invoke(app, _files(tmp_path))
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, res.output
    assert lines[0].startswith("powertune gate: PASS · ")
    # the traffic is known in both results: dollars a month lead, before the counts
    assert "/month · 1 function: 1 passed" in lines[0]


def test_quiet_pass_prints_nothing_and_verbose_prints_the_table(tmp_path: Path) -> None:
    args = _files(tmp_path)
    assert runner.invoke(app, [*args, "-q"]).output == ""
    verbose = runner.invoke(app, [*args, "-v"]).output
    assert "measured (95%)" in verbose and "cost" in verbose and "p95" in verbose


def test_a_failure_prints_the_whole_table(tmp_path: Path) -> None:
    res = runner.invoke(app, _files(tmp_path, slowdown=1.2))
    assert res.exit_code == 1
    assert "measured (95%)" in res.output and "fail: orders: cost per invocation" in res.output


def test_json_verdict_validates_and_carries_money_as_strings(tmp_path: Path) -> None:
    out = tmp_path / "verdict.json"
    res = runner.invoke(app, [*_files(tmp_path, slowdown=1.2), "--json", str(out)])
    assert res.exit_code == 1
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, json.loads(VERDICT_SCHEMA_FILE.read_text()))
    assert doc["kind"] == "powertune-gate-verdict" and doc["schema_version"] == "1"
    assert doc["status"] == "fail" and doc["exit_code"] == 1
    fn = doc["functions"][0]
    assert isinstance(doc["monthly_change_usd"], str)
    assert Decimal(doc["monthly_change_usd"]) == Decimal(fn["current_monthly_usd"]) - Decimal(
        fn["baseline_monthly_usd"]
    )
    assert Decimal(doc["monthly_change_usd"]) > 0  # 20% slower costs more
    assert {c["name"] for c in fn["checks"]} == {"cost", "p95"}


def test_json_verdict_to_stdout(tmp_path: Path) -> None:
    res = runner.invoke(app, [*_files(tmp_path), "--json", "-"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["status"] == "pass"  # the one line went to stderr
    assert "powertune gate: PASS" in res.stderr


def test_committed_verdict_schema_is_generated() -> None:
    generated = json.dumps(build_verdict_schema(), indent=2, ensure_ascii=False) + "\n"
    assert VERDICT_SCHEMA_FILE.read_text() == generated, (
        "run python -m powertune.gate.verdict_json > powertune/gate/verdict-schema-v1.json"
    )


def test_missing_baseline_is_exit_2_with_the_first_run_hint(tmp_path: Path) -> None:
    args = _files(tmp_path)
    (tmp_path / "base.json").unlink()
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and res.output.startswith("powertune: error: ")
    assert "--baseline-optional" in res.output and "powertune tune" in res.output


def test_first_run_passes_with_a_note_and_writes_every_file(tmp_path: Path) -> None:
    args = _files(tmp_path)
    (tmp_path / "base.json").unlink()
    md, js = tmp_path / "gate.md", tmp_path / "v.json"
    res = runner.invoke(
        app, [*args, "--baseline-optional", "--markdown", str(md), "--json", str(js)]
    )
    assert res.exit_code == 0, res.output
    assert "no baseline yet (first run)" in res.output
    assert "note: no baseline at" in res.output
    doc = json.loads(js.read_text())
    assert doc["baseline_found"] is False and doc["status"] == "pass"
    assert doc["functions"][0]["presence"] == "new"
    assert "first run" in md.read_text() and md.read_text().startswith("<!-- powertune-gate -->")


def test_tune_baseline_optional_on_a_replay(tmp_path: Path) -> None:
    replay = replay_csv(tmp_path / "fn.csv", 1.0)
    base = tmp_path / "none.json"
    args = ["tune", "--replay", str(replay), *GRID, "--baseline", str(base)]
    missing = runner.invoke(app, args)
    assert missing.exit_code == 2 and "--baseline-optional" in missing.output
    verdict = tmp_path / "v.json"
    res = runner.invoke(app, [*args, "--baseline-optional", "--gate-json", str(verdict)])
    assert res.exit_code == 0, res.output
    assert "powertune gate" not in res.output  # --quiet: a pass prints nothing
    assert json.loads(verdict.read_text())["baseline_found"] is False


def test_regenerate_hint_never_names_a_loopback_endpoint() -> None:
    cur = build_result(1)
    for url in ("http://127.0.0.1:49152", "http://localhost:9001", "http://[::1]:80"):
        local = dataclasses.replace(
            cur, run=Run(target="local", search="grid", strategy="cost", endpoint_url=url)
        )
        command = regenerate_command(local, "base.json")
        assert url not in command and "--endpoint-url" not in command
        assert "--local" in command
    remote = dataclasses.replace(
        cur,
        run=Run(
            target="aws",
            search="grid",
            strategy="cost",
            endpoint_url="https://lambda.example.internal",
        ),
    )
    assert "--endpoint-url https://lambda.example.internal" in regenerate_command(remote, "b")


def test_markdown_leads_with_the_monthly_change() -> None:
    verdict = compare(build_result(3), build_result(4, slowdown=1.3))
    md = render_gate_markdown(verdict)
    delta = verdict.monthly_change_usd
    assert delta is not None and delta > 0
    assert f"**+${delta:,.2f}/month**" in md


def test_missing_current_or_report_file_is_exit_2(tmp_path: Path) -> None:
    args = _files(tmp_path)
    (tmp_path / "cur.json").unlink()
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "no such file" in res.output
    res = runner.invoke(app, ["report", str(tmp_path / "cur.json")])
    assert res.exit_code == 2 and "no such file" in res.output
