"""Readers never trust their input file, and every output path is checked (issue 27): one test
per class of failure.

- a log file truncated while read (logrotate's copytruncate) ends early with a note, no SIGBUS;
- a line longer than the bound is skipped and counted, with blocks bounded whatever the line;
- UTF-16/UTF-32 exports are read like UTF-8; archives and binary content are refused;
- a FIFO or a device is refused where a whole file is read (catalog, payload, config);
- catalog numbers are bounded (digits, magnitude, tiers, task-size ranges);
- output paths: a folder that is a file or missing, a directory: exit 2; a full device, on a file
  or on standard output: exit 3; each one line, no traceback;
- hostile Price List / Savings Plans answers and an unknown profile: one PricingError.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from cli import app
from powertune.errors import InputError
from powertune.files import OutputPathError, WriteFailed, write_atomic
from powertune.logs import ParseStats
from powertune.logs import inputs as log_inputs
from powertune.logs.jsonl import metric_lines
from powertune.logs.stream import read_chunks
from powertune.tune.config import ConfigError, load_config
from powertune.tune.plan import parse_payload
from pricing.catalog import Catalog, default_catalog_path, load_catalog
from pricing.cost import monthly_lambda_cost
from pricing.errors import PricingError, PricingInputError
from pricing.readfile import FileRefused
from pricing.refresh import refresh_catalog

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "logs" / "sample.log"
REPORT = (
    "REPORT RequestId: 3f1e8f7a-1111-2222-3333-{:012d}\tDuration: 12.34 ms\t"
    "Billed Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 50 MB\t\n"
)


def reports(n: int, start: int = 0) -> str:
    return "".join(REPORT.format(i) for i in range(start, start + n))


def parsed(path: Path) -> tuple[list[str], ParseStats]:
    stats = ParseStats()
    rows = [
        line for c in read_chunks([path], stats, by_function=False) for line in metric_lines(c.scan)
    ]
    return rows, stats


# -- logs: files that change or lie while read -----------------------------------------------
def test_a_log_file_truncated_while_read_ends_early_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_inputs, "BLOCK_BYTES", 4096)
    path = tmp_path / "app.log"
    path.write_text(reports(2000))
    size = path.stat().st_size
    stats = ParseStats()
    chunks = read_chunks([path], stats, by_function=False)
    first = next(chunks)
    os.truncate(path, 0)  # logrotate's copytruncate, mid-read
    rest = list(chunks)
    seen = len(first.scan.reports()) + sum(len(c.scan.reports()) for c in rest)
    assert 0 < seen < 2000
    assert stats.records["report"] == seen
    durations = {d for c in [first, *rest] for d in c.scan.reports().duration_ms.tolist()}
    assert durations == {12.34}  # no line cut by the truncation read as a record
    assert any("shrank while read" in note for note in stats.notes)
    assert f"of {size} bytes" in stats.summary()


def test_overlong_lines_are_skipped_and_counted_in_bounded_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_inputs, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(log_inputs, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "app.log"
    # a long line inside a block, one across blocks, and one at the end without a newline
    path.write_text(
        reports(3)
        + "x" * 1500
        + "\n"
        + reports(3, 3)
        + "y" * 50_000
        + "\n"
        + reports(3, 6)
        + "z" * 9000
    )
    sizes: list[int] = []
    with path.open("rb") as stream:
        for unit in log_inputs.read_units(stream, str(path)):
            assert isinstance(unit, log_inputs.Lines)
            sizes.append(len(unit.data))
    assert max(sizes) <= 4096 + 1000 + 1
    rows, stats = parsed(path)
    assert [json.loads(r)["request_id"][-2:] for r in rows] == [f"{i:02d}" for i in range(9)]
    assert stats.overlong == 3 and stats.lines == 12
    assert "3 overlong lines skipped" in stats.summary()


def test_an_overlong_json_value_is_one_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_inputs, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(log_inputs, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "events.json"
    path.write_text('{"events": [{"message": "' + "m" * 100_000 + '"}]}')
    with pytest.raises(InputError, match="longer than"):
        parsed(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_utf16_and_utf32_exports_read_as_utf8_does(tmp_path: Path, encoding: str) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    plain = tmp_path / "plain.log"
    plain.write_text(text, encoding="utf-8")
    other = tmp_path / "other.log"
    other.write_text(text, encoding=encoding)
    expected, expected_stats = parsed(plain)
    got, stats = parsed(other)
    assert got == expected and len(got) == 32
    assert stats.summary() == expected_stats.summary()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04" + b"\0" * 100, "zip archive"),
        (b"BZh91AY&SY" + b"\1" * 100, "bzip2"),
        (b"\x7fELF\x02\x01\x01\0\0\0" + b"\0" * 100, "binary data"),
    ],
)
def test_archives_and_binary_content_are_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "export.log"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        parsed(path)


# -- whole files: regular files only, bounded ----------------------------------------------------
@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    yield path


def test_a_fifo_or_a_device_is_refused_where_a_whole_file_is_read(
    tmp_path: Path, fifo: Path
) -> None:
    for special, kind in ((fifo, "FIFO"), (Path("/dev/zero"), "character device")):
        with pytest.raises(FileRefused, match=kind) as caught:
            load_catalog(special)
        assert caught.value.exit_code == 2
        with pytest.raises(InputError, match=kind):
            parse_payload(f"@{special}")
        with pytest.raises(ConfigError, match=kind):
            load_config(special)
    config = tmp_path / "powertune.toml"
    config.write_text('payload-file = "/dev/zero"\n')
    payload_file = load_config(config).defaults.payload_file
    assert payload_file == "/dev/zero"
    with pytest.raises(InputError, match="character device"):
        parse_payload(f"@{payload_file}")


def test_a_utf16_catalog_reads_and_a_latin1_one_is_refused(tmp_path: Path) -> None:
    text = default_catalog_path().read_text(encoding="utf-8")
    utf16 = tmp_path / "utf16.json"
    utf16.write_text(text, encoding="utf-16")
    assert load_catalog(utf16).version == load_catalog().version
    latin = tmp_path / "latin.json"
    latin.write_bytes(text.replace('"USD"', '"USD\xe9"', 1).encode("latin-1"))
    with pytest.raises(FileRefused, match="not text in UTF-8"):
        load_catalog(latin)


def _catalog() -> dict[str, Any]:
    return json.loads(default_catalog_path().read_text(encoding="utf-8"))


def _duration(data: dict[str, Any]) -> dict[str, Any]:
    return data["lambda"]["regions"]["us-east-1"]["x86_64"]["duration"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _duration(d)["tiers"][0].update(usd="1" * 41), "does not match"),
        (lambda d: _duration(d)["tiers"][0].update(usd="0." + "1" * 41), "does not match"),
        (lambda d: _duration(d)["tiers"][0].update(usd="20000000"), "above 1000000"),
        (
            lambda d: _duration(d).update(
                tiers=[{"from": str(i), "to": str(i + 1), "usd": "0.1"} for i in range(50_000)]
                + [{"from": "50000", "to": None, "usd": "0.1"}]
            ),
            "50001 tiers",
        ),
        (
            lambda d: d["fargate"]["task_sizes"].append(
                {"vcpu": "1", "memory_gb": {"min": "1", "max": "2", "step": "0"}}
            ),
            "step: must be above 0",
        ),
        (
            lambda d: d["fargate"]["task_sizes"].append(
                {"vcpu": "1", "memory_gb": {"min": "1", "max": "900000", "step": "0.001"}}
            ),
            "task sizes in all",
        ),
        (lambda d: d["fargate"]["minimum_seconds"].update(linux=10**40), "is greater than"),
    ],
)
def test_catalog_numbers_are_bounded(change: Any, message: str) -> None:
    data = _catalog()
    change(data)
    with pytest.raises(PricingError, match=message):
        Catalog(data)


def test_the_largest_catalog_figures_still_price_without_a_decimal_error() -> None:
    data = _catalog()
    _duration(data)["tiers"] = [{"from": "0", "to": None, "usd": "999999.999999999999999"}]
    data["lambda"]["regions"]["us-east-1"]["x86_64"]["requests"]["tiers"] = [
        {"from": "0", "to": "999999999999999.999999999999999", "usd": "0.000000000000001"},
        {"from": "999999999999999.999999999999999", "to": None, "usd": "1000000"},
    ]
    cat = Catalog(data)
    cost = monthly_lambda_cost(
        cat,
        region="us-east-1",
        arch="x86_64",
        memory_mb=10240,
        billed_ms_avg=Decimal(900_000),
        invocations=10**12,
    )
    assert cost.total_usd > 0 and cost.to_json()["total_usd"]
    assert cost.rounded_total == cost.total_usd.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# -- output paths --------------------------------------------------------------------------------
def _cli(args: list[str]) -> Any:
    outcome = CliRunner().invoke(app, args)
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.output
    assert "Traceback" not in outcome.output
    return outcome


def test_bad_output_paths_are_exit_2_and_full_devices_exit_3(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("keep")
    cases = {
        str(afile / "x"): (2, "is a file, not a directory"),
        str(tmp_path / "missing" / "x"): (2, "no such directory"),
        str(tmp_path): (2, "it is a directory"),
        "/dev/full": (3, "No space left on device"),
    }
    for output, (code, message) in cases.items():
        outcome = _cli(["logs", "parse", str(SAMPLE), "-o", output])
        assert outcome.exit_code == code, (output, outcome.output)
        errors = [line for line in outcome.output.splitlines() if "error" in line]
        assert len(errors) == 1 and errors[0].startswith("powertune: error: cannot write")
        assert message in errors[0]
    assert afile.read_text() == "keep"
    assert _cli(["logs", "parse", str(SAMPLE), "-o", "/dev/null"]).exit_code == 0
    out = tmp_path / "rows.jsonl"
    assert _cli(["logs", "parse", str(SAMPLE), "-o", str(out)]).exit_code == 0
    assert len(out.read_text().splitlines()) == 32
    assert {p.name for p in tmp_path.iterdir()} == {"afile", "rows.jsonl"}  # no temporary file


def test_write_atomic_tells_a_bad_path_from_a_failed_write(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(OutputPathError) as caught:
        write_atomic(tmp_path / "afile" / "x.json", "{}")
    assert caught.value.exit_code == 2
    with pytest.raises(WriteFailed) as failed:
        write_atomic("/dev/full", "{}")
    assert failed.value.exit_code == 3
    write_atomic("/dev/null", "{}")  # a device is written in place, not renamed over
    assert Path("/dev/null").is_char_device()


def test_a_full_standard_output_is_one_line_and_exit_3() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "cli", "logs", "parse", str(SAMPLE)],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            # as a shell runs it: standard output buffered (CI's environment sets it unbuffered)
            env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
        )
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == ["powertune: error: cannot write standard output: No space left on device"]


# -- pricing refresh: hostile answers ------------------------------------------------------------
def _clients() -> tuple[Any, Any]:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return session.client("pricing", region_name="us-east-1"), session.client(
        "savingsplans", region_name="us-east-1"
    )


LAMBDA_ENTRY: dict[str, Any] = {
    "product": {
        "attributes": {"regionCode": "us-east-1", "group": "AWS-Lambda-Duration"},
        "sku": "AAA1",
    },
    "terms": {
        "OnDemand": {
            "AAA1.T": {
                "effectiveDate": "2026-11-01T00:00:00Z",
                "priceDimensions": {
                    "AAA1.T.1": {
                        "beginRange": "0",
                        "endRange": "Inf",
                        "pricePerUnit": {"USD": "0.0000166667"},
                    }
                },
            }
        }
    },
}


def _hostile(path: list[str | int], value: Any) -> str:
    entry = copy.deepcopy(LAMBDA_ENTRY)
    node: Any = entry
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(entry)


DIM = ["terms", "OnDemand", "AAA1.T", "priceDimensions", "AAA1.T.1"]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("5", "a PriceList item is int"),
        ('"text"', "a PriceList item is str"),
        (_hostile(["terms", "OnDemand"], [1, 2]), "OnDemand is list"),
        (_hostile(["terms", "OnDemand", "AAA1.T"], "x"), "an OnDemand term is str"),
        (_hostile([*DIM, "pricePerUnit", "USD"], "twelve cents"), "non-numeric USD price"),
        (_hostile([*DIM, "pricePerUnit", "USD"], "1E+999999"), "invalid USD price"),
        (_hostile([*DIM, "pricePerUnit", "USD"], "NaN"), "invalid USD price"),
        (_hostile([*DIM, "pricePerUnit", "USD"], ["0.1"]), "non-numeric USD price"),
        (_hostile([*DIM, "pricePerUnit", "USD"], "1e-40"), "more than 15 decimals"),
        (_hostile([*DIM, "beginRange"], "-5"), "invalid beginRange"),
        (_hostile([*DIM, "pricePerUnit"], 7), "pricePerUnit is int"),
        (_hostile(["product", "attributes"], []), "product.attributes is list"),
    ],
)
def test_hostile_price_list_items_are_one_pricing_error(item: str, message: str) -> None:
    pricing, sp = _clients()
    with Stubber(pricing) as stub:
        stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [item]})
        with pytest.raises(PricingError, match=message):
            refresh_catalog(
                load_catalog(),
                regions=["us-east-1"],
                pricing_client=pricing,
                savingsplans_client=sp,
            )


def test_a_repeating_next_token_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    pricing, sp = _clients()
    with Stubber(pricing) as stub:
        for _ in range(2):
            stub.add_response(
                "get_products",
                {"FormatVersion": "aws_v1", "PriceList": [], "NextToken": "same"},
            )
        with pytest.raises(PricingError, match="same NextToken twice"):
            refresh_catalog(
                load_catalog(),
                regions=["us-east-1"],
                pricing_client=pricing,
                savingsplans_client=sp,
            )


def test_a_savings_plan_without_a_duration_is_one_pricing_error() -> None:
    pricing, sp = _clients()
    offering = {
        "savingsPlanOffering": {"paymentOption": "No Upfront", "currency": "USD"},
        "rate": "0.0000147",
        "productType": "Lambda",
        "usageType": "Lambda-GB-Second",
        "properties": [{"name": "region", "value": "us-east-1"}],
    }
    with Stubber(pricing) as pstub, Stubber(sp) as sstub:
        pstub.add_response(
            "get_products", {"FormatVersion": "aws_v1", "PriceList": [json.dumps(LAMBDA_ENTRY)]}
        )
        for _service in ("AmazonECS", "AmazonCloudWatch"):
            pstub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": []})
        sstub.add_response("describe_savings_plans_offering_rates", {"searchResults": [offering]})
        with pytest.raises(PricingError, match="without a valid durationSeconds"):
            refresh_catalog(
                load_catalog(),
                regions=["us-east-1"],
                pricing_client=pricing,
                savingsplans_client=sp,
            )


def test_an_unknown_profile_is_one_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config").write_text("[default]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_PROFILE", "nope")
    with pytest.raises(PricingInputError, match="unknown AWS profile 'nope'") as caught:
        refresh_catalog(load_catalog(), regions=["us-east-1"])
    assert caught.value.exit_code == 2
