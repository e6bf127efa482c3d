"""The cost math: billing rules, tiers, free tier, Savings Plans, Fargate and Logs edge cases."""

from __future__ import annotations

from datetime import date
from decimal import Context, Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.catalog import Catalog, load_catalog
from pricing.cost import (
    Estimate,
    InvalidPricingInput,
    async_requests,
    billed_ms_for,
    duration_price,
    fargate_cost,
    fargate_task_sizes,
    gb_seconds,
    invocation_cost,
    log_cost,
    money_str,
    monthly_lambda_cost,
    provisioned_concurrency_cost,
    request_price,
    savings_plans,
    snapstart_cost,
)
from pricing.errors import UnknownPricingKey

D = Decimal
CAT = load_catalog()
US = {"region": "us-east-1"}


def close(a: Decimal, b: Decimal) -> bool:
    """Equal to 20 decimal places (divisions by 3,600 do not terminate)."""
    return abs(a - b) < D("1e-20")


# -- billed duration --------------------------------------------------------------------------
def test_warm_duration_is_rounded_up_to_the_next_millisecond() -> None:
    assert billed_ms_for(12.34) == 13
    assert billed_ms_for(13.0) == 13
    assert billed_ms_for(0.1 + 0.2) == 1  # 0.30000000000000004 ms: never less than 1 ms
    assert billed_ms_for(0.0) == 1


def test_cold_start_bills_init_since_august_2025_for_every_package() -> None:
    assert billed_ms_for(12.34, 841.60) == 854  # ceil(853.94)
    assert billed_ms_for(12.34, 841.60, package_type="Image") == 854
    before = date(2025, 7, 31)
    assert billed_ms_for(12.34, 841.60, on=before) == 13  # ZIP on a managed runtime: INIT free
    assert billed_ms_for(12.34, 841.60, package_type="Image", on=before) == 854
    assert billed_ms_for(12.34, 841.60, managed_runtime=False, on=before) == 854
    assert billed_ms_for(12.34, 841.60, on=date(2025, 8, 1)) == 854


def test_snapstart_bills_the_restore_and_not_init() -> None:
    assert billed_ms_for(100.2, 900.0, billed_restore_ms=215) == 316


def test_negative_durations_are_input_errors() -> None:
    with pytest.raises(InvalidPricingInput, match="duration must be"):
        billed_ms_for(-1.0)
    assert InvalidPricingInput.exit_code == 2


def test_async_events_bill_one_request_per_64_kb_chunk_above_256_kb() -> None:
    assert async_requests(0) == 1
    assert async_requests(256 * 1024) == 1
    assert async_requests(256 * 1024 + 1) == 2
    assert async_requests(320 * 1024) == 2
    assert async_requests(1024 * 1024) == 13  # 1 + 768 KB / 64 KB
    with pytest.raises(InvalidPricingInput, match="asynchronous event"):
        async_requests(1024 * 1024 + 1)


@settings(max_examples=100, deadline=None)
@given(
    quantity=st.decimals(0, 10**12, places=3),
    used=st.decimals(0, 10**11, places=3),
    arch=st.sampled_from(["x86_64", "arm64"]),
)
def test_tier_split_conserves_usage(quantity: Decimal, used: Decimal, arch: str) -> None:
    rate = CAT.lambda_rate("us-east-1", arch, "duration")
    parts = rate.split(quantity, used)
    assert sum((q for _, q in parts), D(0)) == quantity
    assert all(q > 0 for _, q in parts)
    assert [t.usd for t, _ in parts] == sorted((t.usd for t, _ in parts), reverse=True)


def test_estimates_add_up() -> None:
    one = monthly_lambda_cost(
        CAT, arch="x86_64", memory_mb=128, billed_ms_avg=D(10), invocations=100, **US
    )
    two = one + one
    assert len(two.items) == 2 * len(one.items)
    assert two.total_usd == 2 * one.total_usd


def test_numpy_numbers_are_accepted() -> None:
    from_numpy = invocation_cost(
        CAT, arch="x86_64", memory_mb=np.int64(1024), billed_ms=np.int64(1000), **US
    )
    assert from_numpy == invocation_cost(CAT, arch="x86_64", memory_mb=1024, billed_ms=1000, **US)
    assert billed_ms_for(np.float64(12.34)) == 13


def test_gb_seconds_is_exact() -> None:
    assert gb_seconds(1536, 120) == D("0.18")
    assert gb_seconds(128, 1) == D("0.000125")
    assert gb_seconds(1769, D(3)) == D(1769) * 3 / D(1_024_000)


# -- one invocation ---------------------------------------------------------------------------
def test_invocation_cost_is_duration_plus_storage_plus_request() -> None:
    base = invocation_cost(CAT, arch="x86_64", memory_mb=1024, billed_ms=1000, **US)
    assert base == D("0.0000166667") + D("0.0000002")
    no_req = invocation_cost(
        CAT, arch="x86_64", memory_mb=1024, billed_ms=1000, include_request=False, **US
    )
    assert no_req == D("0.0000166667")
    storage = invocation_cost(
        CAT, arch="x86_64", memory_mb=1024, billed_ms=1000, ephemeral_mb=1536, **US
    )
    assert storage - base == D("0.0000000309")
    arm = invocation_cost(CAT, arch="arm64", memory_mb=1024, billed_ms=1000, **US)
    assert arm == D("0.0000133334") + D("0.0000002")
    assert duration_price(CAT, "eu-south-1", "x86_64") == D("0.0000195172")
    assert request_price(CAT, "eu-south-1", "arm64") == D("0.00000023")  # calculator data


@pytest.mark.parametrize(("memory", "ephemeral"), [(127, 512), (10241, 512), (1024, 511)])
def test_out_of_range_sizes_are_rejected(memory: int, ephemeral: int) -> None:
    with pytest.raises(InvalidPricingInput):
        invocation_cost(
            CAT, arch="x86_64", memory_mb=memory, billed_ms=1, ephemeral_mb=ephemeral, **US
        )


# -- a month of Lambda ------------------------------------------------------------------------
def test_duration_tiers_split_at_six_billion_gb_seconds() -> None:
    est = monthly_lambda_cost(
        CAT,
        arch="x86_64",
        memory_mb=10240,
        billed_ms_avg=D(1000),
        invocations=1_000_000_000,  # 10 GB-s each: 10 billion GB-s
        **US,
    )
    tier1, tier2 = est.item("duration tier 1"), est.item("duration tier 2")
    assert (tier1.quantity, tier2.quantity) == (D(6_000_000_000), D(4_000_000_000))
    assert tier2.rate == D("0.0000150000")
    assert est.total_usd == tier1.usd + tier2.usd + est.item("requests").usd


def test_account_usage_moves_a_function_into_later_tiers() -> None:
    est = monthly_lambda_cost(
        CAT,
        arch="arm64",
        memory_mb=1024,
        billed_ms_avg=D(1000),
        invocations=1_000_000,
        account_gb_seconds=D(20_000_000_000),
        **US,
    )
    assert est.item("duration tier 3").rate == D("0.0000106667")


def test_free_tier_never_goes_negative() -> None:
    est = monthly_lambda_cost(
        CAT, arch="x86_64", memory_mb=128, billed_ms_avg=D(10), invocations=10, free_tier=True, **US
    )
    assert est.total_usd == 0
    assert all(i.quantity == 0 for i in est.items)


def test_savings_plan_covers_duration_but_not_requests() -> None:
    assert "compute-1yr-no-upfront" in savings_plans(CAT)
    kwargs = {"arch": "x86_64", "memory_mb": 2048, "billed_ms_avg": D(500)}
    od = monthly_lambda_cost(CAT, invocations=10_000_000, **kwargs, **US)
    sp = monthly_lambda_cost(
        CAT, invocations=10_000_000, savings_plan="compute-1yr-all-upfront", **kwargs, **US
    )
    covered = sp.item("duration (compute-1yr-all-upfront)")
    assert covered.rate == D("0.0000138")
    assert covered.quantity == od.item("duration").quantity
    assert sp.item("requests") == od.item("requests")
    assert sp.total_usd < od.total_usd
    with pytest.raises(UnknownPricingKey, match="unknown savings plan 'compute-5yr'"):
        monthly_lambda_cost(CAT, invocations=1, savings_plan="compute-5yr", **kwargs, **US)


def test_monthly_cost_with_logs_adds_vended_ingestion_and_storage() -> None:
    est = monthly_lambda_cost(
        CAT,
        arch="x86_64",
        memory_mb=512,
        billed_ms_avg=D(50),
        invocations=1_000_000,
        log_gb=D(20),
        log_retention_months=3,
        **US,
    )
    assert est.item("log ingestion (vended, standard)").usd == D("10.00")
    assert est.item("log storage").quantity == D(60)
    assert est.item("log storage").usd == D("1.80")


def test_verify_rates_are_reported_in_notes() -> None:
    est = monthly_lambda_cost(
        CAT, region="sa-east-1", arch="x86_64", memory_mb=128, billed_ms_avg=D(1), invocations=1
    )
    assert any("Lambda duration rate is marked verify" in n for n in est.notes)
    clean = monthly_lambda_cost(
        CAT, arch="x86_64", memory_mb=128, billed_ms_avg=D(1), invocations=1, **US
    )
    assert clean.notes == ()


@settings(max_examples=60, deadline=None)
@given(
    memory=st.integers(128, 10240),
    billed=st.integers(1, 900_000),
    invocations=st.integers(0, 10**9),
    more=st.integers(1, 10**6),
    free=st.booleans(),
    arch=st.sampled_from(["x86_64", "arm64"]),
)
def test_monthly_cost_is_exact_and_monotonic(
    memory: int, billed: int, invocations: int, more: int, free: bool, arch: str
) -> None:
    def cost(n: int) -> Estimate:
        return monthly_lambda_cost(
            CAT,
            arch=arch,
            memory_mb=memory,
            billed_ms_avg=D(billed),
            invocations=n,
            free_tier=free,
            **US,
        )

    est = cost(invocations)
    # The catalog computes in 60 digits; the default context's 28 would round these sums.
    with localcontext(Context(prec=60)):
        assert est.total_usd == sum(i.usd for i in est.items)
        assert all(i.usd == i.quantity * i.rate for i in est.items)
    assert D(est.to_json()["total_usd"]) == est.total_usd
    assert cost(invocations + more).total_usd >= est.total_usd
    if not free and invocations:
        first_tier = invocations * invocation_cost(
            CAT, arch=arch, memory_mb=memory, billed_ms=billed, **US
        )
        assert est.total_usd <= first_tier  # tiers only ever lower the price


# -- provisioned concurrency and SnapStart ----------------------------------------------------
def test_provisioned_concurrency_is_billed_in_five_minute_steps() -> None:
    est = provisioned_concurrency_cost(
        CAT, arch="x86_64", memory_mb=1024, concurrency=1, hours=D("0.01"), **US
    )
    assert est.item("provisioned concurrency").quantity == D(300)
    sp = provisioned_concurrency_cost(
        CAT,
        arch="x86_64",
        memory_mb=1024,
        concurrency=1,
        hours=D(1),
        savings_plan="compute-1yr-no-upfront",
        **US,
    )
    expected = D("0.0000041667") * D("0.0000147") / D("0.0000166667")
    assert close(sp.item("provisioned concurrency").rate, expected)


def test_snapstart_cache_has_a_three_hour_minimum() -> None:
    est = snapstart_cost(CAT, arch="x86_64", memory_mb=2048, active_hours=D(1), restores=0, **US)
    assert est.item("snapstart cache").quantity == D(2 * 3 * 3600)
    with pytest.raises(UnknownPricingKey, match="snapstart cache price for arm64"):
        snapstart_cost(CAT, arch="arm64", memory_mb=2048, active_hours=D(1), restores=0, **US)


# -- Fargate ----------------------------------------------------------------------------------
def test_fargate_per_second_billing_with_minimum() -> None:
    short = fargate_cost(CAT, vcpu=D(1), memory_gb=D(2), hours=D(10) / 3600, **US)
    assert close(short.item("vCPU").quantity * 3600, D(60))  # 10 s billed as 1 minute
    windows = fargate_cost(CAT, vcpu=D(1), memory_gb=D(2), hours=D(1) / 60, os="windows", **US)
    assert close(windows.item("vCPU").quantity * 3600, D(300))  # Windows: 5-minute minimum
    odd = fargate_cost(CAT, vcpu=D(1), memory_gb=D(2), hours=D("61.5") / 3600, **US)
    assert close(odd.item("vCPU").quantity * 3600, D(62))  # rounded up to the next second


def test_fargate_rejects_invalid_sizes_and_unknown_keys() -> None:
    assert (D(1), D(8)) in fargate_task_sizes(CAT)
    with pytest.raises(InvalidPricingInput, match="valid memory for 1 vCPU: 2, 3, 4, 5, 6, 7, 8"):
        fargate_cost(CAT, vcpu=D(1), memory_gb=D(9), hours=D(1), **US)
    with pytest.raises(InvalidPricingInput, match=r"with 3 vCPU; valid: 0\.25, 0\.5, 1, 2, 4"):
        fargate_cost(CAT, vcpu=D(3), memory_gb=D(9), hours=D(1), **US)
    with pytest.raises(UnknownPricingKey, match="unknown operating system 'bsd'"):
        fargate_cost(CAT, vcpu=D(1), memory_gb=D(2), hours=D(1), os="bsd", **US)
    with pytest.raises(UnknownPricingKey, match=r"spot/linux/arm64.*unknown in us-east-1"):
        fargate_cost(CAT, vcpu=D(1), memory_gb=D(2), hours=D(1), spot=True, arch="arm64", **US)
    with pytest.raises(UnknownPricingKey, match=r"windows/arm64"):
        fargate_cost(CAT, vcpu=D(1), memory_gb=D(2), hours=D(1), os="windows", arch="arm64", **US)
    with pytest.raises(UnknownPricingKey, match=r"savings plan compute-1yr-no-upfront"):
        fargate_cost(
            CAT, vcpu=D(1), memory_gb=D(2), hours=D(1), savings_plan="compute-1yr-no-upfront", **US
        )


def test_fargate_spot_uses_spot_rates() -> None:
    est = fargate_cost(CAT, region="eu-west-1", vcpu=D(2), memory_gb=D(4), hours=D(10), spot=True)
    assert est.item("vCPU (spot)").usd == D("0.01334053") * 20
    assert est.item("memory (spot)").usd == D("0.00146489") * 40
    assert est.notes  # Spot prices float: marked verify


# -- CloudWatch Logs --------------------------------------------------------------------------
def test_never_expire_storage_shows_the_horizon_month() -> None:
    est = log_cost(CAT, ingest_gb=D(10), retention_months=None, horizon_months=12, **US)
    storage = est.item("log storage")
    assert storage.quantity == D(120)
    assert storage.note == "never expire: month 12"


def test_infrequent_access_and_insights() -> None:
    est = log_cost(
        CAT,
        ingest_gb=D(100),
        retention_months=1,
        log_class="infrequent_access",
        vended=False,
        insights_gb_scanned=D(1000),
        **US,
    )
    assert est.item("log ingestion (infrequent access)").usd == D("25.00")
    assert est.item("Logs Insights scans").usd == D("5.000")
    with pytest.raises(UnknownPricingKey, match="unknown log class 'glacier'"):
        log_cost(CAT, ingest_gb=D(1), retention_months=1, log_class="glacier", **US)
    with pytest.raises(UnknownPricingKey, match="CloudWatch Logs in pricing catalog"):
        log_cost(CAT, region="xx-nowhere-1", ingest_gb=D(1), retention_months=1)


def test_estimate_json_carries_money_as_decimal_strings() -> None:
    est = monthly_lambda_cost(
        CAT, arch="x86_64", memory_mb=1536, billed_ms_avg=D(120), invocations=3_000_000, **US
    )
    data = est.to_json()
    assert D(data["total_usd"]) == est.total_usd == D("9.600018")
    assert all(isinstance(v, str) for item in data["items"] for k, v in item.items())
    assert money_str(D("18.000000")) == "18"
    assert money_str(D("0E-10")) == "0"
    assert money_str(D("0." + "3" * 40)) == "0." + "3" * 30  # non-terminating: 30 decimal places
    assert isinstance(CAT, Catalog)
