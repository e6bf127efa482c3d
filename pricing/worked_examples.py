"""AWS's own worked examples from the Lambda pricing page (us-east-1), as inputs, once.

https://aws.amazon.com/lambda/pricing/: the on-demand examples, Provisioned Concurrency,
SnapStart and Lambda Managed Instances. ``tests/test_pricing_examples.py`` checks every line of
each to the cent; ``benchmarks/pricing_costs.py`` prints each total against the page's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pricing.catalog import Catalog
from pricing.cost import (
    Estimate,
    managed_instances_cost,
    monthly_lambda_cost,
    provisioned_month_cost,
    snapstart_cost,
)

D = Decimal
REGION, ARCH = "us-east-1", "x86_64"


@dataclass(frozen=True)
class WorkedExample:
    name: str
    page_total: Decimal  # the page's own total, to the cent
    price: Callable[[Catalog], Estimate]


def _managed() -> dict[str, Any]:
    """100M requests on m7g.xlarge for about 2,000 instance-hours."""
    return {
        "region": REGION,
        "instance_type": "m7g.xlarge",
        "instance_hours": 2000,
        "requests": 100_000_000,
    }


def _telemetry(cat: Catalog) -> Estimate:
    """7.44M requests x 2 s x 1 GB, no free tier."""
    return monthly_lambda_cost(
        cat, region=REGION, arch=ARCH, memory_mb=1024, billed_ms_avg=D(2000), invocations=7_440_000
    )


def _snapstart(cat: Catalog) -> Estimate:
    """The telemetry workload, plus a version active all month and 1% of calls restored."""
    snap = snapstart_cost(
        cat, region=REGION, arch=ARCH, memory_mb=1024, active_hours=D(744), restores=74_400
    )
    return _telemetry(cat) + snap


EXAMPLES = (
    WorkedExample(
        "on demand 1: mobile backend",
        D("2.73"),
        lambda cat: monthly_lambda_cost(
            cat,
            region=REGION,
            arch=ARCH,
            memory_mb=1536,
            billed_ms_avg=D(120),
            invocations=3_000_000,
            free_tier=True,
        ),
    ),
    WorkedExample("on demand 2: streaming telemetry", D("249.49"), _telemetry),
    WorkedExample(
        "on demand 3: ML with ephemeral storage",
        D("106.41"),
        lambda cat: monthly_lambda_cost(
            cat,
            region=REGION,
            arch=ARCH,
            memory_mb=4096,
            billed_ms_avg=D(280),
            invocations=6_000_000,
            ephemeral_mb=2048,
            free_tier=True,
        ),
    ),
    WorkedExample(
        "provisioned concurrency 1: mobile launch",
        D("19.96"),
        lambda cat: provisioned_month_cost(
            cat,
            region=REGION,
            arch=ARCH,
            memory_mb=1536,
            concurrency=100,
            hours=D(8),
            invocations=3_000_000,
            billed_ms_avg=D(120),
            provisioned_invocations=500_000,
            provisioned_billed_ms=D(100),
            free_tier=True,
        ),
    ),
    WorkedExample(
        "provisioned concurrency 2: Cyber Monday",
        D("32.26"),
        lambda cat: provisioned_month_cost(
            cat,
            region=REGION,
            arch=ARCH,
            memory_mb=4096,
            concurrency=7,
            hours=D(24),
            invocations=2_000_000,
            billed_ms_avg=D(280),
        ),
    ),
    WorkedExample("SnapStart: streaming telemetry", D("263.92"), _snapstart),
    WorkedExample(
        "Managed Instances: high-throughput API (plan rate $0.0457/h)",
        D("160.36"),
        lambda cat: managed_instances_cost(
            cat,
            discounted_hourly_usd=D("0.0457"),
            **_managed(),
        ),
    ),
    WorkedExample(
        # The page rounds the discounted rate first; 72% off the exact rate is a cent less.
        "Managed Instances: same, 72% off the exact rate",
        D("160.36"),
        lambda cat: managed_instances_cost(cat, discount_pct=72, **_managed()),
    ),
)


def worked_example(cat: Catalog, name: str) -> Estimate:
    """The estimate of the example called ``name`` (``KeyError`` for an unknown one)."""
    for example in EXAMPLES:
        if example.name == name:
            return example.price(cat)
    raise KeyError(name)
