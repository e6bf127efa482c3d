"""x86_64 against arm64: the estimate from x86 durations and the exact twin comparison."""

from __future__ import annotations

from decimal import Decimal

import pytest

from powertune.recommend import arm64_compare, arm64_estimate
from pricing.catalog import Catalog, load_catalog
from pricing.cost import duration_price, monthly_lambda_cost, request_price

REGION = "us-east-1"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def test_estimate_prices_the_same_durations_on_both(cat: Catalog) -> None:
    got = arm64_estimate(
        cat, region=REGION, memory_mb=1024, billed_ms=Decimal(200), monthly_invocations=5_000_000
    )
    # 1 GB × 0.2 s × 5M = 1M GB-s on each architecture, plus 5M requests.
    x86 = Decimal(1_000_000) * duration_price(cat, REGION, "x86_64")
    arm = Decimal(1_000_000) * duration_price(cat, REGION, "arm64")
    requests_x86 = 5_000_000 * request_price(cat, REGION, "x86_64")
    requests_arm = 5_000_000 * request_price(cat, REGION, "arm64")

    assert got.estimate is True
    assert "estimate" in got.basis
    assert got.x86_64.total_usd == x86 + requests_x86
    assert got.arm64.total_usd == arm + requests_arm
    assert got.saving_usd == (x86 + requests_x86) - (arm + requests_arm)
    # arm64 is about 20% cheaper per GB-s: $16.67 against $13.33 of duration.
    assert round(got.x86_64.total_usd, 2) == Decimal("17.67")
    assert round(got.arm64.total_usd, 2) == Decimal("14.33")
    assert got.saving_pct is not None and Decimal(18) < got.saving_pct < Decimal(20)
    assert got.arm64.memory_mb == got.x86_64.memory_mb == 1024


def test_exact_comparison_uses_each_architectures_own_measurements(cat: Catalog) -> None:
    got = arm64_compare(
        cat,
        region=REGION,
        x86_memory_mb=1024,
        x86_billed_ms=Decimal(200),
        arm64_memory_mb=1536,
        arm64_billed_ms=Decimal(170),
        monthly_invocations=5_000_000,
        arm64_function="arn:aws:lambda:us-east-1:123456789012:function:orders-arm",
    )
    arm_api = monthly_lambda_cost(
        cat,
        region=REGION,
        arch="arm64",
        memory_mb=1536,
        billed_ms_avg=Decimal(170),
        invocations=5_000_000,
    )
    assert got.estimate is False
    assert "measured" in got.basis
    assert got.arm64.total_usd == arm_api.total_usd
    assert got.arm64.memory_mb == 1536
    # 1.5 GB × 0.17 s = 0.255 GB-s per call on arm64 against 0.2 on x86: arm64 costs more here.
    assert got.saving_usd is not None and got.saving_usd < 0
    data = got.to_json()
    assert data["estimate"] is False
    assert data["arm64_function"].endswith("orders-arm")
    assert Decimal(data["arm64_usd"]) == arm_api.total_usd


def test_estimate_with_free_tier_and_plan_passes_them_through(cat: Catalog) -> None:
    plan = "compute-1yr-no-upfront"
    got = arm64_estimate(
        cat,
        region=REGION,
        memory_mb=512,
        billed_ms=Decimal(80),
        monthly_invocations=50_000_000,
        free_tier=True,
        savings_plan=plan,
    )
    api = monthly_lambda_cost(
        cat,
        region=REGION,
        arch="arm64",
        memory_mb=512,
        billed_ms_avg=Decimal(80),
        invocations=50_000_000,
        free_tier=True,
        savings_plan=plan,
    )
    assert got.arm64.total_usd == api.total_usd


def test_unknown_traffic_is_null_in_json(cat: Catalog) -> None:
    data = arm64_estimate(
        cat, region=REGION, memory_mb=512, billed_ms=Decimal(80), monthly_invocations=None
    ).to_json()
    assert data["x86_64_usd"] is None
    assert data["arm64_usd"] is None
    assert data["saving_usd"] is None
    assert data["estimate"] is True
