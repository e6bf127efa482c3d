"""Monthly current-vs-recommended figures, checked against the pricing API and by hand."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from powertune.errors import InputError
from powertune.recommend import monthly_comparison
from pricing.catalog import Catalog, load_catalog
from pricing.cost import duration_price, monthly_lambda_cost, request_price, savings_plans

REGION = "us-east-1"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def compare(cat: Catalog, **overrides: object) -> object:
    args: dict[str, object] = {
        "region": REGION,
        "arch": "x86_64",
        "current_memory_mb": 1024,
        "current_billed_ms": Decimal(400),
        "recommended_memory_mb": 2048,
        "recommended_billed_ms": Decimal(150),
        "monthly_invocations": 10_000_000,
    }
    args.update(overrides)
    return monthly_comparison(cat, **args)  # type: ignore[arg-type]


def test_figures_by_hand_from_the_catalog_rates(cat: Catalog) -> None:
    got = compare(cat)
    gb_s_rate = duration_price(cat, REGION, "x86_64")
    request = request_price(cat, REGION, "x86_64")
    # 1 GB × 0.4 s × 10M = 4M GB-s; 2 GB × 0.15 s × 10M = 3M GB-s; both in the first tier.
    current = Decimal(4_000_000) * gb_s_rate + 10_000_000 * request
    recommended = Decimal(3_000_000) * gb_s_rate + 10_000_000 * request

    assert got.current_usd == current
    assert got.recommended_usd == recommended
    assert got.saving_usd == current - recommended
    assert got.saving_pct == ((current - recommended) / current * 100).quantize(Decimal("0.01"))
    # With the published us-east-1 rates: $66.67 + $2 against $50.00 + $2.
    assert round(got.current_usd, 2) == Decimal("68.67")
    assert round(got.recommended_usd, 2) == Decimal("52.00")


def test_same_figures_as_the_pricing_api_with_its_line_items(cat: Catalog) -> None:
    got = compare(cat, ephemeral_mb=2048)
    api = monthly_lambda_cost(
        cat,
        region=REGION,
        arch="x86_64",
        memory_mb=2048,
        billed_ms_avg=Decimal(150),
        invocations=10_000_000,
        ephemeral_mb=2048,
    )
    assert got.recommended_usd == api.total_usd
    assert got.recommended.items == api.items
    # Ephemeral storage above 512 MB is a line of its own and costs something.
    assert got.recommended_usd > compare(cat).recommended_usd


def test_duration_tiers_apply_at_very_high_volume(cat: Catalog) -> None:
    # 10,240 MB × 1 s × 1B invocations = 10B GB-s: 6B in tier 1, 4B in tier 2 (x86, us-east-1).
    got = compare(
        cat,
        current_memory_mb=10240,
        current_billed_ms=Decimal(1000),
        recommended_memory_mb=10240,
        recommended_billed_ms=Decimal(1000),
        monthly_invocations=1_000_000_000,
    )
    flat = Decimal(10_000_000_000) * duration_price(cat, REGION, "x86_64")
    assert got.current_usd is not None
    assert got.current_usd < flat + 200  # cheaper than the first-tier rate throughout
    expected = (
        Decimal(6_000_000_000) * Decimal("0.0000166667")
        + Decimal(4_000_000_000) * Decimal("0.0000150000")
        + Decimal(200)  # 1B requests at $0.20 per million
    )
    assert got.current_usd == expected
    assert got.saving_usd == 0


def test_free_tier_is_off_unless_asked(cat: Catalog) -> None:
    paid = compare(cat)
    free = compare(cat, free_tier=True)
    assert paid.free_tier is False
    rate = duration_price(cat, REGION, "x86_64")
    request = request_price(cat, REGION, "x86_64")
    # The free tier takes 400,000 GB-s and 1M requests off each size's bill.
    allowance = Decimal(400_000) * rate + 1_000_000 * request
    assert paid.current_usd - free.current_usd == allowance
    assert paid.recommended_usd - free.recommended_usd == allowance


def test_free_tier_covering_everything_gives_zero_and_no_percentage(cat: Catalog) -> None:
    got = compare(cat, monthly_invocations=1000, free_tier=True)
    assert got.current_usd == 0
    assert got.recommended_usd == 0
    assert got.saving_usd == 0
    assert got.saving_pct is None


def test_savings_plan_discounts_duration_not_requests(cat: Catalog) -> None:
    plan = "compute-1yr-no-upfront"
    assert plan in savings_plans(cat)
    on_demand = compare(cat)
    covered = compare(cat, savings_plan=plan)
    api = monthly_lambda_cost(
        cat,
        region=REGION,
        arch="x86_64",
        memory_mb=1024,
        billed_ms_avg=Decimal(400),
        invocations=10_000_000,
        savings_plan=plan,
    )
    assert covered.current_usd == api.total_usd
    assert covered.savings_plan == plan
    assert covered.current_usd < on_demand.current_usd
    # Only the duration part is discounted: the request fee ($2) is still all there.
    assert covered.current_usd > Decimal(2)
    assert covered.current_usd - 2 < Decimal(4_000_000) * duration_price(cat, REGION, "x86_64")


def test_a_more_expensive_recommendation_shows_a_negative_saving(cat: Catalog) -> None:
    # The speed strategy may pick a dearer size: the saving is then negative, not hidden.
    got = compare(cat, recommended_memory_mb=4096, recommended_billed_ms=Decimal(300))
    assert got.saving_usd is not None and got.saving_usd < 0
    assert got.saving_pct is not None and got.saving_pct < 0


def test_unknown_traffic_gives_null_money_not_zero(cat: Catalog) -> None:
    got = compare(cat, monthly_invocations=None)
    data = got.to_json()
    for key in ("current_usd", "recommended_usd", "saving_usd", "saving_pct"):
        assert data[key] is None
    assert data["current"]["total_usd"] is None
    assert data["monthly_invocations"] is None


def test_json_carries_money_as_plain_decimal_strings(cat: Catalog) -> None:
    got = compare(cat, monthly_invocations=1)
    data = json.loads(json.dumps(got.to_json()))
    for key in ("current_usd", "recommended_usd", "saving_usd"):
        assert isinstance(data[key], str)
        assert "E" not in data[key].upper()
        assert Decimal(data[key]) == getattr(got, key)
    assert data["recommended"]["memory_mb"] == 2048
    assert data["current"]["items"], "line items are kept"
    for item in data["current"]["items"]:
        assert isinstance(item["usd"], str)


@pytest.mark.parametrize("invocations", [-1, 1.5, True])
def test_bad_invocation_counts_are_input_errors(cat: Catalog, invocations: object) -> None:
    with pytest.raises(InputError):
        compare(cat, monthly_invocations=invocations)


def test_negative_billed_duration_is_an_input_error(cat: Catalog) -> None:
    with pytest.raises(InputError):
        compare(cat, current_billed_ms=Decimal(-1))
