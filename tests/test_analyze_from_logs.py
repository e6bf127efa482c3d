"""`--from-logs` on real platform records (tests/data/analyze, derived from report-lines.jsonl)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from powertune.analyze.from_logs import analyze_files, function_of
from powertune.analyze.report import to_json, validate
from powertune.errors import InputError
from pricing.catalog import load_catalog

DATA = Path(__file__).parent / "data"
LINES = DATA / "analyze" / "lines.log"
EXPORT = DATA / "analyze" / "orders-filter-log-events.json"


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog()


def _expected(source: str | None = None) -> list[dict[str, Any]]:
    """The hand-checked parses of the REPORT records at 128 MB (the most common size)."""
    rows = [json.loads(line) for line in (DATA / "report-lines.jsonl").read_text().splitlines()]
    return [
        r["expected"]
        for r in rows
        if r["expected"]["kind"] in ("report_text", "report_json")
        and r["expected"]["memory_mb"] == 128
        and (source is None or r["source"] == source)
    ]


def _nearest_rank(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def test_plain_lines_grouped_under_one_function(catalog: Any) -> None:
    analysis = analyze_files([LINES], catalog, function="demo", days=1)
    assert [f.config.name for f in analysis.functions] == ["demo"]
    facts = analysis.functions[0]
    expected = _expected()
    usage = facts.usage
    assert usage is not None
    assert facts.config.memory_mb == 128
    assert usage.reports == len(expected) == 20
    assert usage.max_memory_max_mb == max(e["max_memory_mb"] for e in expected)
    billed = [e["billed_ms"] for e in expected]
    assert usage.billed_p99_ms == _nearest_rank(billed, 99)
    assert usage.billed_avg_ms == pytest.approx(sum(billed) / len(billed))
    assert usage.cold_starts == sum(1 for e in expected if e["init_ms"] is not None)
    assert usage.timeouts == sum(1 for e in expected if e["status"] == "timeout")
    # The 10 records at 192–1024 MB and the one without a size are left out, and said so.
    assert any("11 REPORT records at another size than 128 MB" in e for e in analysis.errors)
    # 20 reports a day is 600 a month.
    assert facts.monthly_invocations == 600
    validate(to_json(analysis))


def test_filter_log_events_json_is_grouped_by_file_name(catalog: Any) -> None:
    analysis = analyze_files([EXPORT], catalog, days=7, arch="arm64")
    (facts,) = analysis.functions
    assert facts.config.name == "orders-filter-log-events"
    assert facts.config.architecture == "arm64"
    assert facts.usage is not None and facts.usage.reports == len(_expected("A"))
    assert analysis.source == "logs" and analysis.insights is None


def test_findings_from_real_lines_are_priced_and_ranked(catalog: Any) -> None:
    analysis = analyze_files([LINES, EXPORT], catalog, function="api", days=1)
    usd = [f.monthly_usd for f in analysis.findings if f.monthly_usd is not None]
    assert usd == sorted(usd, reverse=True)
    # x86_64 by default: the arm64 estimate is among the findings, priced.
    kinds = {f.kind for f in analysis.findings}
    assert "arm64" in kinds
    doc = to_json(analysis)
    validate(doc)
    assert all(isinstance(f["monthly_usd"], str | None) for f in doc["findings"])


def test_log_group_names_the_function() -> None:
    assert function_of("/aws/lambda/orders", "x.json", None) == "orders"
    assert function_of("/custom/group", "x.json", None) == "/custom/group"
    assert function_of("2026/11/01/[$LATEST]abc", "dir/pay.json", None) == "pay"
    assert function_of("/aws/lambda/orders", "x.json", "forced") == "forced"


def test_bad_input_is_an_input_error(catalog: Any, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such log file"):
        analyze_files([tmp_path / "missing.log"], catalog)
    empty = tmp_path / "empty.log"
    empty.write_text("START RequestId: x Version: $LATEST\nhello\n")
    with pytest.raises(InputError, match="no REPORT records"):
        analyze_files([empty], catalog)
    with pytest.raises(InputError, match="--arch"):
        analyze_files([LINES], catalog, arch="sparc")
