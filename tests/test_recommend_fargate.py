"""Fargate as an alternative: the fleet that carries the load, its month, and the break-even."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from powertune.errors import InputError
from powertune.recommend import fargate_alternative
from powertune.recommend.fargate import MS_PER_MONTH, vcpu_per_execution
from pricing.catalog import Catalog, load_catalog
from pricing.cost import fargate_cost, fargate_task_sizes, monthly_lambda_cost

REGION = "us-east-1"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def fleet_usd(cat: Catalog, vcpu: Decimal, memory_gb: Decimal, tasks: int, arch: str) -> Decimal:
    return fargate_cost(
        cat,
        region=REGION,
        vcpu=vcpu,
        memory_gb=memory_gb,
        hours=Decimal(720),
        arch=arch,
        tasks=tasks,
    ).total_usd


def lambda_usd(cat: Catalog, memory_mb: int, billed_ms: int, invocations: int) -> Decimal:
    return monthly_lambda_cost(
        cat,
        region=REGION,
        arch="x86_64",
        memory_mb=memory_mb,
        billed_ms_avg=Decimal(billed_ms),
        invocations=invocations,
    ).total_usd


def test_light_load_fits_the_smallest_task_priced_by_hand(cat: Catalog) -> None:
    got = fargate_alternative(
        cat,
        region=REGION,
        arch="x86_64",
        duration_ms=100,
        memory_mb=128,
        monthly_invocations=10_000_000,
    )
    # 10M × 100 ms over a 30-day month is 0.386 executions on average: one 0.25 vCPU / 0.5 GB task.
    assert got.concurrency_basis == "average"
    assert got.concurrency == Decimal(10_000_000 * 100) / Decimal(2_592_000_000)
    assert (got.task_vcpu, got.task_memory_gb, got.tasks) == (Decimal("0.25"), Decimal("0.5"), 1)
    # 0.25 vCPU × $0.04048 × 720 h + 0.5 GB × $0.004445 × 720 h (20 GB ephemeral included).
    assert (
        got.monthly_usd
        == Decimal("0.25") * Decimal("0.04048") * 720 + Decimal("0.5") * Decimal("0.004445") * 720
    )
    assert round(got.monthly_usd, 2) == Decimal("8.89")
    assert got.lambda_monthly_usd == lambda_usd(cat, 128, 100, 10_000_000)
    assert got.cheaper == "lambda"


def test_break_even_is_where_lambda_overtakes_the_task(cat: Catalog) -> None:
    got = fargate_alternative(
        cat,
        region=REGION,
        arch="x86_64",
        duration_ms=100,
        memory_mb=128,
        monthly_invocations=10_000_000,
    )
    task = fleet_usd(cat, Decimal("0.25"), Decimal("0.5"), 1, "x86_64")
    n = got.break_even_invocations
    assert n is not None
    # Around 21.8M invocations a month ($8.89 ÷ $0.000000408 per call).
    assert 21_000_000 < n < 22_500_000
    assert lambda_usd(cat, 128, 100, n) >= task
    assert lambda_usd(cat, 128, 100, n - 10) < task
    # And one such task does carry that load: 3.45 executions side by side at 128 MB's share.
    assert Decimal(n) * 100 / MS_PER_MONTH <= Decimal("0.25") / vcpu_per_execution(128)
    # At twice the break-even, Fargate is the cheaper one.
    busier = fargate_alternative(
        cat, region=REGION, arch="x86_64", duration_ms=100, memory_mb=128, monthly_invocations=2 * n
    )
    assert busier.cheaper == "fargate"


def test_peak_concurrency_sizes_the_fleet_and_it_is_the_cheapest(cat: Catalog) -> None:
    got = fargate_alternative(
        cat,
        region=REGION,
        arch="arm64",
        duration_ms=250,
        memory_mb=1769,
        monthly_invocations=50_000_000,
        peak_concurrency=40,
    )
    need_vcpu = Decimal(40) * vcpu_per_execution(1769)  # 40 × 1.0
    need_gb = Decimal(40) * Decimal(1769) / 1024
    assert got.concurrency_basis == "peak"
    assert got.task_vcpu >= 1 and got.task_memory_gb >= Decimal(1769) / 1024
    assert got.tasks * got.task_vcpu >= need_vcpu
    assert got.tasks * got.task_memory_gb >= need_gb
    assert got.monthly_usd == fleet_usd(cat, got.task_vcpu, got.task_memory_gb, got.tasks, "arm64")
    # No other valid task size carries the same load for less.
    for vcpu, memory_gb in fargate_task_sizes(cat):
        if vcpu < 1 or memory_gb < Decimal(1769) / 1024:
            continue
        tasks = max(1, math.ceil(need_vcpu / vcpu), math.ceil(need_gb / memory_gb))
        assert fleet_usd(cat, vcpu, memory_gb, tasks, "arm64") >= got.monthly_usd


def test_arm64_fleet_is_cheaper_than_the_same_on_x86(cat: Catalog) -> None:
    common = {"region": REGION, "duration_ms": 50, "memory_mb": 512, "monthly_invocations": 1000}
    arm = fargate_alternative(cat, arch="arm64", **common)
    x86 = fargate_alternative(cat, arch="x86_64", **common)
    assert arm.monthly_usd < x86.monthly_usd


def test_spiky_traffic_can_make_fargate_never_cheaper(cat: Catalog) -> None:
    # 1,000 concurrent at peak but few calls overall: a fleet for the peak idles all month.
    got = fargate_alternative(
        cat,
        region=REGION,
        arch="x86_64",
        duration_ms=20,
        memory_mb=128,
        monthly_invocations=100_000,
        peak_concurrency=1000,
    )
    assert got.break_even_invocations is None
    assert got.cheaper == "lambda"
    assert got.to_json()["break_even_invocations"] is None


def test_largest_lambda_needs_a_big_task(cat: Catalog) -> None:
    got = fargate_alternative(
        cat, region=REGION, arch="x86_64", duration_ms=1000, memory_mb=10240, monthly_invocations=1
    )
    assert got.task_vcpu >= Decimal("5.78")
    assert got.task_memory_gb >= 10
    assert got.tasks == 1


def test_unknown_traffic_prices_one_task_and_no_lambda_month(cat: Catalog) -> None:
    got = fargate_alternative(
        cat, region=REGION, arch="x86_64", duration_ms=100, memory_mb=128, monthly_invocations=None
    )
    assert got.concurrency_basis == "unknown"
    assert got.tasks == 1
    assert got.lambda_monthly_usd is None
    assert got.cheaper is None
    assert got.break_even_invocations is not None  # the break-even does not need the traffic


def test_json_money_is_decimal_strings(cat: Catalog) -> None:
    got = fargate_alternative(
        cat, region=REGION, arch="x86_64", duration_ms=100, memory_mb=128, monthly_invocations=5
    )
    data = json.loads(json.dumps(got.to_json()))
    assert Decimal(data["monthly_usd"]) == got.monthly_usd
    assert Decimal(data["lambda_monthly_usd"]) == got.lambda_monthly_usd
    assert data["tasks"] == 1
    assert data["items"]


@pytest.mark.parametrize(
    "bad",
    [{"duration_ms": 0}, {"memory_mb": 0}, {"peak_concurrency": 0}, {"monthly_invocations": -5}],
)
def test_bad_inputs_are_input_errors(cat: Catalog, bad: dict[str, object]) -> None:
    args: dict[str, object] = {
        "region": REGION,
        "arch": "x86_64",
        "duration_ms": 100,
        "memory_mb": 128,
        "monthly_invocations": 10,
    }
    args.update(bad)
    with pytest.raises(InputError):
        fargate_alternative(cat, **args)  # type: ignore[arg-type]


def test_savings_plan_without_fargate_rates_prices_both_sides_on_demand(cat: Catalog) -> None:
    common: dict[str, object] = {
        "region": REGION,
        "arch": "x86_64",
        "duration_ms": 100,
        "memory_mb": 128,
        "monthly_invocations": 10_000_000,
    }
    planned = fargate_alternative(cat, savings_plan="compute-1yr-no-upfront", **common)
    on_demand = fargate_alternative(cat, **common)
    # The shipped catalog has Lambda plan rates but no Fargate ones: like for like, on demand.
    assert planned.savings_plan is None
    assert planned.monthly_usd == on_demand.monthly_usd
    assert planned.lambda_monthly_usd == on_demand.lambda_monthly_usd
    assert any("not applied" in note for note in planned.notes)


def test_savings_plan_with_fargate_rates_discounts_both_sides(tmp_path: Path) -> None:
    # A catalog as `pricing refresh` could write it, with Fargate rates for the plan (test rates).
    data = json.loads(resources.files("pricing").joinpath("data/catalog.json").read_text())
    plan = "compute-1yr-no-upfront"

    def rate(usd: str, unit: str) -> dict[str, object]:
        return {
            "unit": unit,
            "tiers": [{"from": "0", "to": None, "usd": usd}],
            "source": "test",
            "as_of": "2026-09-01",
        }

    data["sources"]["test"] = {"title": "test rates, not AWS prices", "url": "file:///dev/null"}
    data["savings_plans"][plan]["fargate"] = {
        REGION: {
            "linux/x86_64": {
                "vcpu_hour": rate("0.03", "vCPU-hours"),
                "gb_hour": rate("0.0033", "GB-hours"),
            }
        }
    }
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data))
    refreshed = load_catalog(path)

    got = fargate_alternative(
        refreshed,
        region=REGION,
        arch="x86_64",
        duration_ms=100,
        memory_mb=128,
        monthly_invocations=10_000_000,
        savings_plan=plan,
    )
    assert got.savings_plan == plan
    assert (
        got.monthly_usd
        == Decimal("0.25") * Decimal("0.03") * 720 + Decimal("0.5") * Decimal("0.0033") * 720
    )
    assert (
        got.lambda_monthly_usd
        == monthly_lambda_cost(
            refreshed,
            region=REGION,
            arch="x86_64",
            memory_mb=128,
            billed_ms_avg=Decimal(100),
            invocations=10_000_000,
            savings_plan=plan,
        ).total_usd
    )
    assert not any("not applied" in note for note in got.notes)
