"""AWS's Provisioned Concurrency, SnapStart and Managed Instances examples, through the CLI.

The same worked examples as tests/test_pricing_examples.py (Lambda pricing page, US East N.
Virginia), priced by `powertune pricing estimate` / `pricing managed-instances --format json`:
the JSON total is exact, and rounds to the page's figure to the cent.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from powertune_cli.pricing import app

D = Decimal


def priced(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    assert all(isinstance(i["usd"], str) for i in data["items"])  # money as decimal strings
    return data


def cents(text: str) -> Decimal:
    return D(text).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def item(data: dict[str, Any], name: str) -> Decimal:
    return sum((D(i["usd"]) for i in data["items"] if i["name"] == name), D(0))


def test_pc_example_1_mobile_launch() -> None:
    data = priced(
        "estimate", "--memory=1536", "--duration-ms=120", "--invocations=3000000",
        "--provisioned-concurrency=100", "--provisioned-hours=8",
        "--provisioned-invocations=500000", "--provisioned-duration-ms=100", "--free-tier",
    )  # fmt: skip
    assert cents(str(item(data, "provisioned concurrency"))) == D("18.00")
    assert cents(str(item(data, "duration (provisioned)"))) == D("0.73")
    assert cents(str(item(data, "duration"))) == D("0.83")
    requests = item(data, "requests") + item(data, "requests (provisioned)")
    assert cents(str(requests)) == D("0.40")
    assert cents(data["total_usd"]) == D("19.96")
    assert data["provisioned_concurrency"] == 100
    assert any("Example 1" in note for note in data["notes"])  # the free-tier reading is said


def test_pc_example_2_cyber_monday_all_invocations_on_pc() -> None:
    data = priced(
        "estimate", "--memory=4096", "--duration-ms=280", "--invocations=2000000",
        "--provisioned-concurrency=7", "--provisioned-hours=24", "--no-free-tier",
    )  # fmt: skip
    assert cents(str(item(data, "provisioned concurrency"))) == D("10.08")
    assert cents(str(item(data, "duration (provisioned)"))) == D("21.78")
    assert cents(str(item(data, "requests (provisioned)"))) == D("0.40")
    assert item(data, "duration") == 0  # nothing left on demand
    assert cents(data["total_usd"]) == D("32.26")


def test_snapstart_example_streaming_telemetry() -> None:
    data = priced(
        "estimate", "--memory=1024", "--duration-ms=2000", "--invocations=7440000",
        "--no-free-tier", "--snapstart", "--snapstart-active-hours=744", "--restore-rate=0.01",
    )  # fmt: skip
    assert cents(str(item(data, "snapstart cache"))) == D("4.03")
    assert cents(str(item(data, "snapstart restore"))) == D("10.40")
    assert D(next(i["quantity"] for i in data["items"] if i["name"] == "snapstart restore")) == (
        D(74_400)
    )
    assert cents(data["total_usd"]) == D("263.92")


def test_snapstart_on_java_is_not_charged_and_unsupported_runtimes_are_refused() -> None:
    args = ["estimate", "--memory=1024", "--duration-ms=2000", "--invocations=7440000",
            "--no-free-tier", "--snapstart", "--snapstart-active-hours=744",
            "--restore-rate=0.01"]  # fmt: skip
    java = priced(*args, "--runtime=java21")
    assert cents(java["total_usd"]) == D("249.49")  # the on-demand example, nothing added
    assert any("not charged on java21" in n for n in java["notes"])
    python = priced(*args, "--runtime=python3.12")
    assert cents(python["total_usd"]) == D("263.92")
    refused = CliRunner().invoke(app, [*args, "--runtime=nodejs20.x"])
    assert refused.exit_code == 2 and "does not support runtime 'nodejs20.x'" in refused.stderr


def test_managed_instances_example_high_throughput_api() -> None:
    base = ["managed-instances", "--instance-type=m7g.xlarge", "--instance-hours=2000",
            "--requests=100000000"]  # fmt: skip
    data = priced(*base, "--discounted-hourly-usd=0.0457")
    assert cents(str(item(data, "requests"))) == D("20.00")
    assert cents(str(item(data, "EC2 m7g.xlarge (discounted rate)"))) == D("91.40")
    assert cents(str(item(data, "management fee"))) == D("48.96")
    assert cents(data["total_usd"]) == D("160.36")
    exact = priced(*base, "--discount-pct=72")
    assert exact["total_usd"] == "160.352"  # 72% off exactly: the page rounds the rate first


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["estimate", "--memory=1024", "--duration-ms=1", "--invocations=1",
          "--provisioned-hours=3"], "need --provisioned-concurrency N"),
        (["estimate", "--memory=1024", "--duration-ms=1", "--invocations=1",
          "--provisioned-concurrency=2"], "needs --provisioned-hours H"),
        (["estimate", "--memory=1024", "--duration-ms=1", "--invocations=10",
          "--provisioned-concurrency=2", "--provisioned-hours=1",
          "--provisioned-invocations=11"], "exceed the month's invocations"),
        (["estimate", "--memory=1024", "--duration-ms=1", "--invocations=1", "--snapstart"],
         "--snapstart needs --snapstart-active-hours"),
        (["estimate", "--memory=1024", "--duration-ms=1", "--invocations=1",
          "--restore-rate=0.1"], "need --snapstart"),
        (["estimate", "--memory=1024", "--duration-ms=1", "--invocations=1", "--snapstart",
          "--snapstart-active-hours=1", "--restore-rate=2"], "share of invocations (0-1)"),
        (["estimate", "--memory=1024", "--duration-ms=1", "--invocations=1", "--region=eu-west-1",
          "--snapstart", "--snapstart-active-hours=1", "--restore-rate=0.1"],
         "snapstart cache price for x86_64 unknown in eu-west-1"),
        (["estimate", "--memory=1024", "--duration-ms=1", "--invocations=1", "--arch=arm64",
          "--region=eu-west-1", "--provisioned-concurrency=1", "--provisioned-hours=1"],
         "provisioned concurrency price for arm64 unknown in eu-west-1"),
        (["managed-instances", "--instance-type=m7g.xlarge", "--instance-hours=1",
          "--requests=1", "--region=eu-west-1"], "EC2 price for m7g.xlarge unknown in eu-west-1"),
        (["managed-instances", "--instance-type=m7g.xlarge", "--instance-hours=1",
          "--requests=1", "--discount-pct=101"], "discount percentage must be 0-100"),
        (["managed-instances", "--instance-type=m7g.xlarge", "--instance-hours=1",
          "--requests=1", "--discount-pct=10", "--discounted-hourly-usd=0.1"], "not both"),
        (["managed-instances", "--instance-type=m7g.xlarge", "--instance-hours=-1",
          "--requests=1"], "--instance-hours must be a number >= 0"),
        (["estimate", "--memory=1024", "--duration-ms=1", "--invocations=1", "--snapstart",
          "--snapstart-active-hours=1", "--restore-rate=lots"], "--restore-rate must be a number"),
        (["show", "--coverage", "--region=xx-nowhere-1"], "no prices at all for region"),
        (["show", "--format=markdown"], "--format markdown needs --coverage"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2(args: list[str], fragment: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_an_instance_type_the_catalog_lacks_is_priced_from_its_given_rate() -> None:
    data = priced(
        "managed-instances", "--instance-type=r7g.xlarge", "--instance-hours=100",
        "--requests=0", "--ec2-hourly-usd=0.2142",
    )  # fmt: skip
    assert D(data["total_usd"]) == D("0.2142") * 100 * D("1.15")
    assert any("not from the catalog" in n for n in data["notes"])


def test_coverage_says_known_verify_or_unknown_per_region() -> None:
    result = CliRunner().invoke(app, ["show", "--coverage", "--format", "json"])
    assert result.exit_code == 0, result.output
    cells = json.loads(result.stdout)["cells"]
    by = {(c["region"], c["kind"]): c for c in cells}
    assert by[("us-east-1", "lambda x86_64 snapstart_cache")]["status"] == "known"
    gone = by[("eu-west-1", "lambda x86_64 snapstart_cache")]
    assert gone["status"] == "unknown" and gone["source"] is None
    assert "unknown in eu-west-1" in gone["reason"]
    assert by[("eu-west-1", "lambda x86_64 provisioned_concurrency")]["status"] == "known"
    assert all(c["reason"] is None for c in cells if c["status"] != "unknown")
    assert all("unknown in " + c["region"] in c["reason"] for c in cells if c["reason"])
    table = CliRunner().invoke(app, ["show", "--coverage"])
    assert table.exit_code == 0 and "eu-west-1" in table.stdout
    markdown = CliRunner().invoke(app, ["show", "--coverage", "--format", "markdown"])
    assert markdown.stdout.startswith("| rate kind |") and "| yes |" in markdown.stdout
