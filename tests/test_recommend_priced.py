"""price_recommendation: all of item 5 from one call; alternatives without prices are skipped."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from powertune.errors import InputError
from powertune.recommend import Arm64Twin, monthly_comparison, price_recommendation
from powertune.results.model import Monthly
from pricing.catalog import Catalog, load_catalog
from pricing.errors import UnknownPricingKey

REGION = "us-east-1"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def gappy(cat: Catalog) -> Catalog:
    """The packaged catalog without its eu-north-1 Fargate and CloudWatch Logs rates: a region
    whose Lambda prices are known and whose other rates are not (as in a partial refresh)."""
    data = cat.to_json()
    del data["fargate"]["regions"]["eu-north-1"]
    del data["logs"]["regions"]["eu-north-1"]
    return Catalog(data, origin="packaged catalog minus eu-north-1 Fargate and logs")


def priced(cat: Catalog, **overrides: object) -> object:
    args: dict[str, object] = {
        "region": REGION,
        "arch": "x86_64",
        "current_memory_mb": 1024,
        "current_billed_ms": Decimal(400),
        "recommended_memory_mb": 512,
        "recommended_billed_ms": Decimal("700.5"),
        "recommended_duration_ms": 700.0,
        "monthly_invocations": 2_000_000,
        "peak_max_memory_used_mb": 300,
        "log_bytes_per_invocation": 1500,
    }
    args.update(overrides)
    return price_recommendation(cat, **args)  # type: ignore[arg-type]


def test_everything_priced_in_us_east_1(cat: Catalog) -> None:
    got = priced(cat)
    assert got.unavailable == {}
    same = monthly_comparison(
        cat,
        region=REGION,
        arch="x86_64",
        current_memory_mb=1024,
        current_billed_ms=Decimal(400),
        recommended_memory_mb=512,
        recommended_billed_ms=Decimal("700.5"),
        monthly_invocations=2_000_000,
    )
    assert got.monthly == same
    assert got.arm64 is not None and got.arm64.estimate is True
    assert got.arm64.x86_64.total_usd == got.monthly.recommended_usd
    assert got.fargate is not None and got.fargate.lambda_memory_mb == 512
    assert got.logs is not None and got.logs.current.retention_days is None
    # 512 MB is above 1.2 × the 300 MB peak (360 MB): no warning.
    assert got.headroom_warning is None and got.warnings == ()
    data = json.loads(json.dumps(got.to_json()))
    assert set(data) == {
        *("monthly", "headroom_warning", "arm64", "fargate", "logs", "unavailable"),
        *("managed_instances", "cold_starts"),
    }
    assert data["cold_starts"] is None  # no cold share given
    managed = data["managed_instances"]
    assert managed["instance_type"] and managed["instances"] >= 3
    assert managed["cheapest"] in ("lambda", "fargate", "managed_instances")
    assert Decimal(data["monthly"]["saving_usd"]) == got.monthly.saving_usd


def test_headroom_warning_is_surfaced(cat: Catalog) -> None:
    got = priced(cat, peak_max_memory_used_mb=450)
    assert got.headroom_warning is not None
    assert "at least 540 MB" in got.headroom_warning
    assert got.warnings == (got.headroom_warning,)


def test_twin_gives_the_exact_comparison(cat: Catalog) -> None:
    twin = Arm64Twin(memory_mb=768, billed_ms=Decimal(420), function="orders-arm")
    got = priced(cat, arm64_twin=twin)
    assert got.arm64 is not None
    assert got.arm64.estimate is False
    assert got.arm64.arm64.memory_mb == 768
    assert got.arm64.arm64_function == "orders-arm"


def test_arm64_function_gets_no_arm64_alternative(cat: Catalog) -> None:
    got = priced(cat, arch="arm64")
    assert got.arm64 is None
    assert "already runs on arm64" in got.unavailable["arm64"]
    assert got.fargate is not None and got.fargate.arch == "arm64"


def test_regions_without_fargate_or_logs_prices_skip_them_with_a_reason(gappy: Catalog) -> None:
    got = priced(gappy, region="eu-north-1")
    assert got.monthly.recommended_usd is not None
    assert got.arm64 is not None
    assert got.fargate is None and "Fargate" in got.unavailable["fargate"]
    assert got.logs is None and "CloudWatch Logs" in got.unavailable["logs"]
    assert all("unknown in eu-north-1" in why for why in got.unavailable.values())
    assert got.to_json()["fargate"] is None


def test_unknown_inputs_skip_alternatives_and_null_the_money(cat: Catalog) -> None:
    got = priced(
        cat,
        monthly_invocations=None,
        recommended_duration_ms=None,
        log_bytes_per_invocation=None,
    )
    assert got.monthly.current_usd is None
    assert got.results_monthly("cloudwatch") is None
    assert set(got.unavailable) == {"fargate", "logs", "managed_instances"}
    assert got.arm64 is not None and got.arm64.saving_usd is None


def test_results_monthly_feeds_the_results_model(cat: Catalog) -> None:
    got = priced(cat)
    monthly = got.results_monthly("flag")
    assert isinstance(monthly, Monthly)
    assert monthly.invocations == 2_000_000
    assert monthly.invocations_source == "flag"
    assert monthly.saving_usd == got.monthly.saving_usd


def test_a_region_without_lambda_prices_still_fails(cat: Catalog) -> None:
    with pytest.raises(UnknownPricingKey):
        priced(cat, region="xx-nowhere-1")


def test_a_price_gap_is_said_in_the_warnings_and_the_json_never_silently_null(
    cat: Catalog, gappy: Catalog
) -> None:
    got = priced(gappy, region="eu-north-1")
    gaps = [w for w in got.warnings if "unknown in eu-north-1" in w]
    assert {w.split(":")[0] for w in gaps} == {"fargate", "logs", "managed_instances"}
    fargate = got.alternative_json("fargate")
    assert fargate is not None and fargate["monthly_usd"] is None
    assert "Fargate prices unknown in eu-north-1" in fargate["unavailable"]
    assert got.alternative_json("arm64") == got.arm64.to_json()  # type: ignore[union-attr]
    known = priced(cat)  # us-east-1: every alternative priced, no gap warnings
    assert not any("unknown in" in w for w in known.warnings)


def test_a_cold_share_adds_the_cold_start_advice_and_its_month_rises_with_it(
    cat: Catalog,
) -> None:
    from powertune.recommend.coldstart import ColdStartProfile

    def with_share(share: float) -> dict[str, object]:
        billed = Decimal("700.5") + Decimal(repr(share)) * 900
        profile = ColdStartProfile.from_share(
            share, region=REGION, arch="x86_64", memory_mb=512,
            monthly_invocations=2_000_000, billed_avg_ms=billed, init_avg_ms=Decimal(900),
            duration_p50_ms=690.0, duration_avg_ms=700.0, runtime="python3.12",
        )  # fmt: skip
        got = priced(cat, cold_start=profile, recommended_billed_ms=billed)
        data = got.to_json()["cold_starts"]
        assert data is not None
        return data  # type: ignore[no-any-return]

    low, high = with_share(0.01), with_share(0.2)
    assert Decimal(low["monthly_usd"]) < Decimal(high["monthly_usd"])  # type: ignore[arg-type]
    assert Decimal(low["init_share"]) < Decimal(high["init_share"])  # type: ignore[arg-type]
    assert high["cold_starts_per_month"] == 400_000
    assert high["snapstart"]["billing"] == "charged"  # type: ignore[index]
    assert priced(cat).to_json()["cold_starts"] is None  # no cold share given: nothing said
    with pytest.raises(InputError, match="cold share"):
        ColdStartProfile.from_share(1.5, region=REGION, arch="x86_64", memory_mb=512,
                                    monthly_invocations=1, billed_avg_ms=Decimal(1),
                                    init_avg_ms=None)  # fmt: skip
