"""The `powertune analyze` command: --from-logs end to end, the AWS path on moto, bad input."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from cli import app
from powertune.analyze.report import validate

DATA = Path(__file__).parent / "data" / "analyze"
runner = CliRunner()


def test_from_logs_writes_table_json_and_html(tmp_path: Path) -> None:
    out_json, out_html = tmp_path / "a.json", tmp_path / "a.html"
    result = runner.invoke(
        app,
        [
            "analyze",
            "--from-logs",
            str(DATA / "lines.log"),
            str(DATA / "orders-filter-log-events.json"),
            "--function",
            "api",
            "--days",
            "1",
            "--json",
            str(out_json),
            "--html",
            str(out_html),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Findings by dollars at stake" in result.stdout
    assert "arm64" in result.stdout and "1 functions" in result.stdout
    document = json.loads(out_json.read_text())
    validate(document)
    assert document["source"] == "logs" and document["functions"][0]["name"] == "api"
    assert out_html.read_text().startswith("<!doctype html>")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from-logs"], "needs log files"),
        (["--from-logs", "nope.log"], "no such log file"),
        (["--from-logs", str(DATA / "lines.log"), "--days", "0"], "--days"),
        (["--from-logs", str(DATA / "lines.log"), "--prefix", "a"], "--prefix and --tag"),
        (["--tag", "novalue", "--region", "us-east-1"], "KEY=VALUE"),
        (["--max-queries", "31"], "--max-queries"),
        (["--function", "x", "--region", "us-east-1"], "--function only applies"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["analyze", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.output


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def test_aws_path_lists_gathers_and_reports(aws: None, tmp_path: Path) -> None:
    role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("h.py", "def h(e, c):\n    return 1\n")
    lam = boto3.client("lambda", region_name="us-east-1")
    for name in ("svc-a", "svc-b", "other"):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="h.h",
            Code={"ZipFile": buf.getvalue()},
            MemorySize=512,
        )
    boto3.client("logs", region_name="us-east-1").create_log_group(logGroupName="/aws/lambda/svc-a")
    out, page = tmp_path / "a.json", tmp_path / "a.html"
    result = runner.invoke(
        app,
        [
            *("analyze", "--region", "us-east-1", "--prefix", "svc-", "--days", "7"),
            *("--json", str(out), "--html", str(page)),
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    validate(document)
    assert [f["name"] for f in document["functions"]] == ["svc-a", "svc-b"]
    by_name = {f["name"]: f for f in document["functions"]}
    # svc-a has a log group: it was queried (moto's Insights returns no `by @log` rows).
    assert by_name["svc-a"]["usage"]["reports"] == 0
    assert by_name["svc-b"]["usage"] is None  # never ran: no log group, no numbers
    assert by_name["svc-a"]["log_retention_days"] is None
    assert document["insights"]["queries"] == 1 and document["window"]["days"] == 7
    assert "svc-b" in page.read_text()


def test_unknown_profile_is_input_error() -> None:
    result = runner.invoke(app, ["analyze", "--profile", "no-such-profile-xyz"])
    assert result.exit_code == 2
    assert "no-such-profile-xyz" in result.stderr
