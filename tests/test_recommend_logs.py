"""Log costs: ingestion at vended-log tiers, storage under retention, and the two savings."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from powertune.errors import InputError
from powertune.recommend import log_costs
from pricing.catalog import Catalog, load_catalog
from pricing.cost import log_cost

REGION = "us-east-1"
GB = 1024**3


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def test_thirty_day_retention_priced_by_hand(cat: Catalog) -> None:
    # 2 KiB × 10,485,760 invocations = 20 GiB a month, kept 30 days.
    got = log_costs(
        cat,
        region=REGION,
        bytes_per_invocation=2048,
        monthly_invocations=10_485_760,
        retention_days=30,
    )
    assert got.ingest_gb == 20
    assert got.current.stored_months == 1
    # $0.50 per GB ingested (vended, first tier) + one month of 20 GB stored at $0.03.
    assert got.current.ingestion_usd == Decimal("10.00")
    assert got.current.storage_usd == Decimal("0.60")
    assert got.current.total_usd == Decimal("10.60")
    # Already at the suggested 30 days: no retention saving to offer.
    assert got.with_retention is None
    assert got.retention_saving_usd is None
    # Infrequent Access halves ingestion ($0.25 per GB), storage unchanged.
    assert got.infrequent_access.ingestion_usd == Decimal("5.00")
    assert got.infrequent_access_saving_usd == Decimal("5.00")


def test_matches_the_pricing_api(cat: Catalog) -> None:
    got = log_costs(
        cat,
        region=REGION,
        bytes_per_invocation=700,
        monthly_invocations=3_000_000,
        retention_days=90,
    )
    ingest = Decimal(700) * 3_000_000 / GB
    api = log_cost(cat, region=REGION, ingest_gb=ingest, retention_months=Decimal(3))
    assert got.current.total_usd == api.total_usd
    assert got.with_retention is not None and got.with_retention.retention_days == 30
    assert got.retention_saving_usd == got.current.total_usd - got.with_retention.total_usd
    assert got.retention_saving_usd is not None and got.retention_saving_usd > 0


def test_never_expire_is_a_year_of_storage_and_grows(cat: Catalog) -> None:
    got = log_costs(
        cat,
        region=REGION,
        bytes_per_invocation=2048,
        monthly_invocations=10_485_760,
        retention_days=None,
    )
    assert got.current.retention_days is None
    assert got.current.stored_months == 12
    assert got.current.storage_usd == Decimal("7.20")  # 12 × 20 GB × $0.03
    assert got.growth_usd_per_month == Decimal("0.60")  # one more month of 20 GB each month
    assert "never expire" in got.storage_model
    # A 30-day policy keeps one month instead of twelve.
    assert got.retention_saving_usd == Decimal("6.60")


def test_tiers_lower_the_price_past_ten_terabytes(cat: Catalog) -> None:
    # 12 TiB a month: 10 TiB at $0.50 and 2 TiB at $0.25 per GB.
    got = log_costs(
        cat,
        region=REGION,
        bytes_per_invocation=12 * 1024 * GB // 1_000_000,
        monthly_invocations=1_000_000,
        retention_days=1,
    )
    expected = Decimal(10 * 1024) * Decimal("0.50") + Decimal(2 * 1024) * Decimal("0.25")
    assert abs(got.current.ingestion_usd - expected) < Decimal("0.01")


def test_json_has_money_strings_and_the_model(cat: Catalog) -> None:
    got = log_costs(
        cat, region=REGION, bytes_per_invocation=512, monthly_invocations=1000, retention_days=7
    )
    data = json.loads(json.dumps(got.to_json()))
    assert Decimal(data["current_usd"]) == got.current.total_usd
    assert data["growth_usd_per_month"] is None
    assert data["with_retention"] is None
    assert data["storage_model"].startswith("steady state")


@pytest.mark.parametrize(
    "bad",
    [
        {"bytes_per_invocation": -1},
        {"retention_days": 0},
        {"monthly_invocations": -1},
        {"monthly_invocations": None},
    ],
)
def test_bad_inputs_are_input_errors(cat: Catalog, bad: dict[str, object]) -> None:
    args: dict[str, object] = {
        "region": REGION,
        "bytes_per_invocation": 100,
        "monthly_invocations": 10,
        "retention_days": 30,
    }
    args.update(bad)
    with pytest.raises(InputError):
        log_costs(cat, **args)  # type: ignore[arg-type]


def test_free_tier_is_off_unless_asked(cat: Catalog) -> None:
    args: dict[str, object] = {
        "region": REGION,
        "bytes_per_invocation": 2048,
        "monthly_invocations": 10_485_760,
        "retention_days": 30,
    }
    paid = log_costs(cat, **args)  # type: ignore[arg-type]
    free = log_costs(cat, free_tier=True, **args)  # type: ignore[arg-type]
    # 5 GB off ingestion ($0.50 each) and off the one month stored ($0.03 each).
    assert paid.current.ingestion_usd - free.current.ingestion_usd == Decimal("2.50")
    assert paid.current.storage_usd - free.current.storage_usd == Decimal("0.15")


def test_never_expire_growth_is_one_month_of_storage_even_with_free_tier(cat: Catalog) -> None:
    got = log_costs(
        cat,
        region=REGION,
        bytes_per_invocation=2048,
        monthly_invocations=10_485_760,
        retention_days=None,
        free_tier=True,
    )
    assert got.growth_usd_per_month == Decimal("0.60")  # 20 GB × $0.03, free 5 GB already used
    assert got.current.storage_usd == Decimal("7.05")  # (12 × 20 − 5) GB × $0.03
