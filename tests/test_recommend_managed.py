"""Lambda Managed Instances against on-demand Lambda and Fargate (recommend/managed.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from powertune.errors import InputError
from powertune.recommend.fargate import fargate_alternative
from powertune.recommend.managed import (
    HOURS_PER_MONTH,
    MIN_INSTANCES,
    managed_instances_compare,
)
from pricing.catalog import Catalog, load_catalog
from pricing.cost import managed_instances_cost, monthly_lambda_cost
from pricing.errors import UnknownPricingKey

D = Decimal


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def compare(cat: Catalog, **overrides: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "region": "us-east-1",
        "arch": "x86_64",
        "memory_mb": 1769,
        "duration_ms": 200,
        "billed_ms": D(200),
        "monthly_invocations": 100_000_000,
    }
    args.update(overrides)
    return managed_instances_compare(cat, **args)  # type: ignore[arg-type]


def test_the_fleet_is_priced_by_the_pricing_api_with_no_duration_charge(cat: Catalog) -> None:
    got = compare(cat)
    # 100M x 200 ms over a 30-day month = 7.72 concurrent x 1 vCPU, kept 50% busy
    assert got.vcpu_needed == D(100_000_000) * 200 / D(720 * 3600 * 1000) / D("0.5")
    again = managed_instances_cost(
        cat, region="us-east-1", instance_type=got.instance_type,
        instance_hours=got.instances * HOURS_PER_MONTH, requests=100_000_000,
    )  # fmt: skip
    assert got.monthly_usd == again.total_usd
    assert not any("duration" in i.name for i in got.items)
    assert got.lambda_monthly_usd == (
        monthly_lambda_cost(
            cat, region="us-east-1", arch="x86_64", memory_mb=1769, billed_ms_avg=D(200),
            invocations=100_000_000,
        ).total_usd
    )  # fmt: skip
    assert got.instance_type.startswith(("c7i", "m7i"))  # x86 code runs on x86 instances


def test_where_each_wins(cat: Catalog) -> None:
    small = compare(cat, monthly_invocations=1_000_000)
    assert small.cheapest == "lambda" and small.instances == MIN_INSTANCES
    # I/O-bound (10% CPU) and steady at high volume: the shared environments win
    io = compare(cat, cpu_bound_fraction=D("0.1"))
    assert io.cheapest == "managed_instances" and io.monthly_usd < io.lambda_monthly_usd
    assert io.break_even_invocations is not None
    assert io.break_even_invocations < 100_000_000
    below = compare(
        cat, cpu_bound_fraction=D("0.1"), monthly_invocations=io.break_even_invocations // 2
    )
    assert below.cheapest == "lambda"
    above = compare(
        cat, cpu_bound_fraction=D("0.1"), monthly_invocations=io.break_even_invocations * 2
    )
    assert above.cheapest == "managed_instances"
    # Fargate joins when priced
    fargate = fargate_alternative(
        cat, region="us-east-1", arch="x86_64", duration_ms=200, memory_mb=1769,
        monthly_invocations=100_000_000, billed_ms=D(200),
    )  # fmt: skip
    three = compare(cat, fargate_monthly_usd=fargate.monthly_usd)
    cheapest = min(
        ("lambda", three.lambda_monthly_usd), ("managed_instances", three.monthly_usd),
        ("fargate", fargate.monthly_usd), key=lambda kv: kv[1],
    )[0]  # fmt: skip
    assert three.cheapest == cheapest


def test_unknown_traffic_unknown_region_and_bad_input(cat: Catalog) -> None:
    unknown = compare(cat, monthly_invocations=None)
    assert unknown.cheapest is None and unknown.lambda_monthly_usd is None
    with pytest.raises(UnknownPricingKey, match="unknown in eu-west-1"):
        compare(cat, region="eu-west-1")
    gap = compare(cat, fargate_unavailable="Fargate prices unknown in us-east-1 (test)")
    assert gap.unavailable == {"fargate": "Fargate prices unknown in us-east-1 (test)"}
    assert gap.to_json()["fargate_monthly_usd"] is None
    with pytest.raises(InputError, match="cpu-bound fraction"):
        compare(cat, cpu_bound_fraction=D(0))
    with pytest.raises(InputError, match="duration"):
        compare(cat, duration_ms=0)
