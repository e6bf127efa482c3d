"""`powertune pricing ...`: JSON shape, tables, one-line errors with exit codes, and `refresh`
end to end against a loopback server speaking the Price List and Savings Plans protocols."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_pricing_refresh import ECS_PAGE, LAMBDA_PAGE_1, LAMBDA_PAGE_2, LOGS_PAGE, offering_rate
from typer.testing import CliRunner

from powertune_cli.pricing import app
from pricing.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]
D = Decimal


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def one_error_line(result: Any, code: int) -> str:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("powertune: error: ")
    assert "Traceback" not in result.output
    return str(lines[0])


def test_estimate_json_reproduces_the_mobile_backend_example() -> None:
    result = run(
        "estimate",
        "--memory",
        "1536",
        "--duration-ms",
        "120",
        "--invocations",
        "3000000",
        "--free-tier",  # AWS's example applies it (off by default, as in tune)
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total_usd"] == "2.733338"  # exact; rounded to $2.73 only in the table
    assert data["catalog_version"] == "2026-09-01"
    assert data["free_tier"] is True
    assert [i["name"] for i in data["items"]] == ["requests", "duration"]
    assert data["items"][1] == {
        "name": "duration",
        "quantity": "140000",
        "unit": "GB-s",
        "rate": "0.0000166667",
        "usd": "2.333338",
        "note": "after 400,000 free GB-s",
    }


def test_estimate_table_rounds_to_the_cent_and_no_free_tier_changes_the_bill() -> None:
    default = run("estimate", "--memory", "1536", "--duration-ms", "120", "--invocations", "3e6")
    assert default.exit_code == 0 and "no free tier" in default.stdout  # off, as in tune
    table = run(
        "estimate", "--memory", "1536", "--duration-ms", "120", "--invocations", "3e6",
        "--free-tier",
    )  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "$2.73" in table.stdout and "free tier applied" in table.stdout
    paid = run(
        "estimate",
        "--memory=1536",
        "--duration-ms=120",
        "--invocations=3000000",
        "--no-free-tier",
        "--arch=arm64",
        "--ephemeral-mb=1024",
        "--savings-plan=compute-3yr-all-upfront",
        "--log-gb=2",
        "--log-retention-months=1",
        "--format=json",
    )
    assert paid.exit_code == 0, paid.output
    data = json.loads(paid.stdout)
    names = [i["name"] for i in data["items"]]
    assert names == [
        "requests",
        "duration (compute-3yr-all-upfront)",
        "ephemeral storage",
        "log ingestion (vended, standard)",
        "log storage",
    ]
    assert data["items"][1]["rate"] == "0.0000111"
    assert D(data["total_usd"]) == sum(D(i["usd"]) for i in data["items"])


def test_fargate_json_reproduces_fargate_example_1() -> None:
    result = run(
        "fargate",
        "--vcpu=1",
        "--memory-gb=2",
        "--hours=5",
        "--runs=30",
        "--tasks=5",
        "--ephemeral-gb=30",
        "--format=json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert D(data["total_usd"]).quantize(D("0.01")) == D("1.26")
    assert {i["name"]: i["usd"] for i in data["items"]} == {
        "vCPU": "1.012",
        "memory": "0.22225",
        "ephemeral storage": "0.02775",
    }
    assert "$1.26" in run("fargate", "--vcpu=1", "--memory-gb=2", "--hours=5", "--runs=30",
                          "--tasks=5", "--ephemeral-gb=30").stdout  # fmt: skip


def test_show_json_has_tiers_sources_and_null_for_unknown() -> None:
    result = run("show", "--region", "us-east-2", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    x86 = data["lambda"]["us-east-2"]["x86_64"]
    assert [t["to"] for t in x86["duration"]["tiers"]] == ["6000000000", "15000000000", None]
    arm = data["lambda"]["us-east-2"]["arm64"]
    assert x86["provisioned_concurrency"]["tiers"][0]["usd"] == "0.0000041667"
    assert arm["provisioned_concurrency"] is None  # unknown is null, never 0
    reason = data["unknown"]["us-east-2"]["arm64"]["provisioned_concurrency"]
    assert reason.startswith("Lambda provisioned concurrency price for arm64 unknown in us-east-2")
    assert "lambda-pricing-page" in data["sources"]
    assert "compute-1yr-no-upfront" in data["savings_plans"]
    assert set(data["fargate"]["us-east-2"]) == {"linux/x86_64", "spot/linux/x86_64"}
    assert data["logs"]["us-east-2"]["standard_ingest"]["tiers"][0]["usd"] == "0.5"
    assert run("show", "--region", "ap-southeast-5", "--format", "json").exit_code == 0
    southeast5 = json.loads(run("show", "--region", "ap-southeast-5", "--format", "json").stdout)
    assert southeast5["fargate"] == {}  # no Fargate rates known there
    everything = json.loads(run("show", "--format", "json").stdout)
    assert everything["fargate"]["us-east-1"]["linux/arm64"]["vcpu_hour"]["tiers"][0]["usd"] == (
        "0.03238"
    )
    assert "eu-west-1" in everything["fargate"] and "us-east-1" in everything["logs"]
    table = run("show")
    assert table.exit_code == 0 and "me-central-1" in table.stdout and "unknown" in table.stdout


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["estimate", "--memory=1024", "--duration-ms=1", "--invocations=1", "--region=mars-1"],
         2, "unknown region 'mars-1' in pricing catalog 2026-09-01; known: af-south-1"),
        (["estimate", "--memory=1024", "--duration-ms=1", "--invocations=1", "--arch=riscv"],
         2, "unknown architecture 'riscv'; known: x86_64, arm64"),
        (["estimate", "--memory=1024", "--duration-ms=1", "--invocations=1",
          "--savings-plan=gold"], 2, "unknown savings plan 'gold'; known: compute-1yr-all-upfront"),
        (["estimate", "--memory=1024", "--duration-ms=abc", "--invocations=1"],
         2, "--duration-ms must be a number, got 'abc'"),
        (["fargate", "--vcpu=1", "--memory-gb=9", "--hours=1"],
         2, "valid memory for 1 vCPU: 2, 3, 4, 5, 6, 7, 8 GB"),
        (["fargate", "--vcpu=1", "--memory-gb=2", "--hours=1", "--os=plan9"],
         2, "unknown operating system 'plan9'; known: linux, windows"),
        (["show", "--region=xx-1"], 2, "unknown region 'xx-1'"),
        (["show", "--catalog=/nonexistent/catalog.json"], 2, "no such file"),
        (["refresh", "--pricing-region=eu-west-1"], 2, "answers only in us-east-1"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_on_stderr(args: list[str], code: int, fragment: str) -> None:
    assert fragment in one_error_line(run(*args), code)


def test_invalid_catalog_file_is_a_tool_error(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.json"
    bad.write_text('{"format": "powertune-pricing-catalog/1"}', "utf-8")
    line = one_error_line(run("show", f"--catalog={bad}"), 3)
    assert f"invalid pricing catalog {bad}" in line


def test_the_mounted_command_exits_2_with_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "cli.py", "pricing", "estimate", "--memory", "1024", "--duration-ms",
         "10", "--invocations", "5", "--region", "nowhere-1"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "unknown region 'nowhere-1'" in proc.stderr


# -- refresh end to end -----------------------------------------------------------------------
class _AwsStandIn(BaseHTTPRequestHandler):
    """Answers GetProducts (JSON 1.1) and DescribeSavingsPlansOfferingRates (REST JSON)."""

    requests: list[tuple[str, dict[str, Any]]] = []  # noqa: RUF012 - shared by design

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        target = self.headers.get("X-Amz-Target", self.path)
        self.requests.append((target, body))
        if target.endswith("GetProducts"):
            pages = {
                "AWSLambda": LAMBDA_PAGE_1 + LAMBDA_PAGE_2,
                "AmazonECS": ECS_PAGE,
                "AmazonCloudWatch": LOGS_PAGE,
            }
            out: dict[str, Any] = {
                "FormatVersion": "aws_v1",
                "PriceList": pages[body["ServiceCode"]],
            }
        else:
            out = {
                "searchResults": [
                    offering_rate("0.0000147", "Lambda-GB-Second", "Lambda", "No Upfront", 1),
                    offering_rate("0.0000117", "Lambda-GB-Second-ARM", "Lambda", "No Upfront", 1),
                ]
            }
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def aws_stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    _AwsStandIn.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AwsStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_refresh_writes_a_catalog_that_estimate_can_use(aws_stand_in: str, tmp_path: Path) -> None:
    out = tmp_path / "refreshed.json"
    result = run(
        "refresh",
        "--region=us-east-1",
        f"--output={out}",
        f"--endpoint-url={aws_stand_in}",
        f"--savingsplans-endpoint-url={aws_stand_in}",
    )
    assert result.exit_code == 0, result.output
    assert "wrote pricing catalog" in result.stderr
    services = [b.get("ServiceCode") for t, b in _AwsStandIn.requests if "GetProducts" in t]
    assert services == ["AWSLambda", "AmazonECS", "AmazonCloudWatch"]
    estimate = run(
        "estimate",
        "--memory=1024",
        "--duration-ms=1000",
        "--invocations=1000",
        "--no-free-tier",
        f"--catalog={out}",
        "--format=json",
    )
    assert estimate.exit_code == 0, estimate.output
    data = json.loads(estimate.stdout)
    assert data["catalog_version"] == json.loads(out.read_text("utf-8"))["version"]
    assert {i["name"]: i["rate"] for i in data["items"]}["duration"] == "0.0000166668"


def test_failed_refresh_leaves_no_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    out = tmp_path / "refreshed.json"
    result = run(
        "refresh",
        f"--output={out}",
        "--endpoint-url=http://127.0.0.1:9",  # discard port: connection refused
        "--savingsplans-endpoint-url=http://127.0.0.1:9",
    )
    assert "pricing refresh failed" in one_error_line(result, 3)
    assert not out.exists()


def test_show_for_a_region_with_logs_rates_only_says_lambda_is_unknown_there() -> None:
    raw = load_catalog().to_json()
    logs_only = sorted(set(raw["logs"]["regions"]) - set(load_catalog().regions()))
    assert logs_only  # regions whose CloudWatch rates are sourced but Lambda's are not
    region = logs_only[0]
    table = run("show", "--region", region)
    assert table.exit_code == 0, table.output
    assert "unknown in" in table.stdout  # every Lambda cell, wrapped by the table
    assert f"Lambda prices are unknown in {region}" in " ".join(table.stdout.split())
    data = json.loads(run("show", "--region", region, "--format", "json").stdout)
    assert data["lambda"][region]["x86_64"]["duration"] is None  # null, never 0
    assert data["unknown"][region]["x86_64"]["duration"].startswith(
        f"Lambda prices unknown in {region}"
    )
    assert data["logs"][region]["standard_ingest"]["tiers"][0]["usd"]
    nowhere = run("show", "--region", "xx-nowhere-1")
    assert nowhere.exit_code == 2 and "unknown region 'xx-nowhere-1'" in nowhere.stderr
