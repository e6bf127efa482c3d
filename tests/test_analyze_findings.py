"""Findings from gathered facts, priced by the shipped catalog; JSON schema and HTML output."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from powertune.analyze.findings import (
    SAVINGS_PLAN,
    Finding,
    FunctionFacts,
    find_all,
    rank,
)
from powertune.analyze.report import Analysis, ReportError, to_html, to_json, validate, write_json
from powertune.collectors.account.inventory import FunctionConfig
from powertune.collectors.account.usage import LogGroupInfo, Metrics, Usage
from pricing.catalog import load_catalog
from pricing.cost import monthly_lambda_cost

REGION = "us-east-1"


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog()


def _config(name: str = "fn", memory: int = 1024, arch: str = "arm64", **kw: Any) -> FunctionConfig:
    return FunctionConfig(
        name=name,
        arn=f"arn:aws:lambda:{REGION}:123456789012:function:{name}",
        region=REGION,
        memory_mb=memory,
        architecture=arch,
        timeout_s=kw.pop("timeout_s", 10),
        runtime="python3.12",
        package_type="Zip",
        log_format="Text",
        log_group=f"/aws/lambda/{name}",
        **kw,
    )


def _facts(
    config: FunctionConfig,
    *,
    invocations: float | None = 1_400_000,  # over 14 days: 3,000,000 a month
    billed: float = 200.0,
    peak: float = 100.0,
    **usage: Any,
) -> FunctionFacts:
    return FunctionFacts(
        config=config,
        usage=Usage(
            reports=1000,
            duration_avg_ms=billed - 0.5,
            billed_avg_ms=billed,
            max_memory_max_mb=peak,
            max_memory_p99_mb=peak,
            **usage,
        ),
        metrics=Metrics(invocations=invocations),
        window_days=14.0,
    )


def _kinds(findings: list[Finding], function: str = "fn") -> dict[str, Finding]:
    return {f.kind: f for f in findings if f.function == function}


def _month(catalog: Any, memory: int, billed: str, invocations: int, arch: str = "arm64") -> Any:
    return monthly_lambda_cost(
        catalog,
        region=REGION,
        arch=arch,
        memory_mb=memory,
        billed_ms_avg=Decimal(billed),
        invocations=invocations,
    ).total_usd


def test_over_provisioned_prices_the_smaller_size_with_the_cpu_share_model(catalog: Any) -> None:
    facts = _facts(_config(memory=1024), peak=100.0)
    finding = _kinds(find_all([facts], catalog))["over-provisioned"]
    assert finding.estimate
    assert finding.details["suggested_mb"] == 128  # 1.2 × 100 MB, at least 128
    assert finding.command == (
        "powertune tune fn --region us-east-1 --memory 128..1024 --monthly-invocations 3000000"
    )
    # All-I/O bound: the same duration at 128 MB. All-CPU bound: 8× slower, the same GB-s.
    all_io = _month(catalog, 1024, "200", 3_000_000) - _month(catalog, 128, "200", 3_000_000)
    assert Decimal(finding.details["saving_if_all_io_usd"]) == all_io
    assert Decimal(finding.details["saving_if_all_cpu_usd"]) == 0
    assert finding.monthly_usd is not None and 0 < finding.monthly_usd < all_io


def test_no_shrink_when_peak_memory_needs_most_of_the_size(catalog: Any) -> None:
    facts = _facts(_config(memory=1024), peak=700.0)  # 840 MB safe > 80% of 1024
    assert "over-provisioned" not in _kinds(find_all([facts], catalog))


def test_out_of_memory_ends_are_under_provisioned_and_priced(catalog: Any) -> None:
    facts = _facts(_config(memory=512), peak=512.0, out_of_memory=14)
    finding = _kinds(find_all([facts], catalog))["under-provisioned"]
    # 14 in 14 days: 30 a month, each billed the average duration at 512 MB.
    assert finding.monthly_usd == _month(catalog, 512, "200.000", 30)
    assert finding.details["suggested_mb"] == 615  # ceil(1.2 × 512)
    assert "over-provisioned" not in _kinds(find_all([facts], catalog))


def test_timeouts_cost_the_full_timeout_each(catalog: Any) -> None:
    facts = _facts(_config(memory=256, timeout_s=30), peak=200.0, timeouts=7)
    finding = _kinds(find_all([facts], catalog))["timeouts"]
    assert finding.monthly_usd == _month(catalog, 256, "30000", 15)


def test_arm64_candidate_only_for_x86(catalog: Any) -> None:
    x86 = _facts(_config(name="x", memory=512, arch="x86_64"), peak=400.0)
    arm = _facts(_config(name="a", memory=512, arch="arm64"), peak=400.0)
    found = find_all([x86, arm], catalog)
    finding = _kinds(found, "x")["arm64"]
    expected = _month(catalog, 512, "200.000", 3_000_000, "x86_64") - _month(
        catalog, 512, "200.000", 3_000_000, "arm64"
    )
    assert finding.monthly_usd == expected and finding.estimate
    assert "arm64" not in _kinds(found, "a")


def test_never_expiring_logs_and_infrequent_access(catalog: Any) -> None:
    config = _config(memory=512)
    facts = FunctionFacts(
        config=config,
        usage=Usage(reports=10, billed_avg_ms=100.0, max_memory_max_mb=400.0),
        metrics=Metrics(invocations=1_400_000, log_incoming_bytes=1_400_000 * 2048.0),
        log_group=LogGroupInfo(config.log_group, retention_days=None),
        window_days=14.0,
    )
    kinds = _kinds(find_all([facts], catalog))
    assert kinds["log-retention"].monthly_usd and kinds["log-retention"].monthly_usd > 0
    assert "put-retention-policy" in (kinds["log-retention"].command or "")
    assert kinds["log-class"].monthly_usd and kinds["log-class"].monthly_usd > 0


def test_savings_plan_is_one_account_level_finding(catalog: Any) -> None:
    facts = [_facts(_config(name=n, memory=512), peak=400.0) for n in ("a", "b")]
    plan = _kinds(find_all(facts, catalog), "*")["savings-plan"]
    assert plan.details == {"plan": SAVINGS_PLAN, "functions": 2}
    assert plan.monthly_usd is not None and plan.monthly_usd > 0


def test_unknown_traffic_is_null_money_ranked_last(catalog: Any) -> None:
    unknown = FunctionFacts(
        config=_config(name="quiet", memory=2048, arch="x86_64"),
        usage=Usage(reports=0, partial=True, max_memory_max_mb=50.0, billed_avg_ms=10.0),
        window_days=14.0,
    )
    busy = _facts(_config(name="busy", memory=1024, arch="x86_64"), peak=100.0)
    found = find_all([unknown, busy], catalog)
    assert found[0].monthly_usd is not None
    quiet = [f for f in found if f.function == "quiet"]
    assert quiet and all(f.monthly_usd is None for f in quiet)
    assert found[-1].monthly_usd is None


def test_rank_orders_by_dollars() -> None:
    found = rank(
        [
            Finding("a", "arm64", Decimal("1"), "", True),
            Finding("b", "timeouts", None, "", False),
            Finding("c", "fargate", Decimal("9.5"), "", True),
        ]
    )
    assert [f.function for f in found] == ["c", "a", "b"]


def _analysis(catalog: Any) -> Analysis:
    facts = [
        _facts(_config(name="big", memory=3008, arch="x86_64"), peak=180.0, cold_starts=3),
        FunctionFacts(config=_config(name="<idle>"), usage=None),
    ]
    return Analysis(
        source="aws",
        region=REGION,
        window_start=None,
        window_end=None,
        window_days=14.0,
        functions=facts,
        findings=find_all(facts, catalog),
        current_monthly_usd={f.config.name: f.current_monthly_usd(catalog) for f in facts},
    )


def test_json_matches_the_schema_and_carries_money_as_strings(catalog: Any, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    document = write_json(_analysis(catalog), path)
    assert json.loads(path.read_text()) == document
    validate(document)
    first = document["findings"][0]
    assert isinstance(first["monthly_usd"], str) and Decimal(first["monthly_usd"]) > 0
    idle = next(f for f in document["functions"] if f["name"] == "<idle>")
    assert idle["usage"] is None and idle["current_monthly_usd"] is None
    document["findings"][0]["monthly_usd"] = 1.5  # a float is not money
    with pytest.raises(ReportError, match="findings/0/monthly_usd"):
        validate(document)


def test_html_is_self_contained_and_escaped(catalog: Any) -> None:
    page = to_html(_analysis(catalog))
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert "&lt;idle&gt;" in page and "<idle>" not in page
    assert "powertune tune big --region us-east-1 --memory" in page
    assert to_json(_analysis(catalog))["totals"]["functions"] == 2


def test_steady_heavy_load_is_a_fargate_candidate(catalog: Any) -> None:
    # 200M one-second invocations a month at 1 GB: ~77 executions busy around the clock.
    config = _config(name="steady", memory=1024, arch="x86_64")
    steady = FunctionFacts(
        config=config,
        usage=Usage(reports=1000, duration_avg_ms=1000.0, billed_avg_ms=1000.0),
        metrics=Metrics(invocations=200_000_000 * 14 / 30, concurrency_max=90.0),
        window_days=14.0,
    )
    spiky = replace(
        steady,
        config=_config(name="spiky", memory=1024, arch="x86_64"),
        metrics=Metrics(invocations=1_000_000, concurrency_max=900.0),
    )
    found = find_all([steady, spiky], catalog)
    finding = _kinds(found, "steady")["fargate"]
    assert finding.details["concurrency_basis"] == "peak"
    assert Decimal(finding.details["lambda_usd"]) - Decimal(finding.details["fargate_usd"]) == (
        finding.monthly_usd
    )
    assert finding.monthly_usd is not None and finding.monthly_usd > 0
    assert "fargate" not in _kinds(found, "spiky")


def test_a_region_the_catalog_lacks_is_reported_not_fatal(catalog: Any) -> None:
    config = replace(_config(name="far", memory=1024, arch="x86_64"), region="xx-nowhere-1")
    facts = _facts(config, peak=100.0)
    problems: list[str] = []
    found = find_all([facts, _facts(_config(name="near"), peak=100.0)], catalog, problems)
    assert {f.function for f in found} >= {"near"}
    assert not [f for f in found if f.function == "far"]
    assert problems and all("xx-nowhere-1" in p for p in problems)
    assert any(p.startswith("far: over_provisioned not priced") for p in problems)
    assert facts.current_monthly_usd(catalog) is None


def test_no_shrink_estimate_from_records_at_another_size(catalog: Any) -> None:
    facts = _facts(_config(memory=1024), peak=100.0, memory_size_mb=2048, other_size_reports=5)
    assert "over-provisioned" not in _kinds(find_all([facts], catalog))
    assert "over-provisioned" in _kinds(
        find_all([_facts(_config(memory=1024), peak=100.0, memory_size_mb=1024)], catalog)
    )
