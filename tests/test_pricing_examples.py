"""AWS's own worked pricing examples, reproduced to the cent with the packaged catalog.

Sources (US East, N. Virginia, as published in 2026):
- Lambda: https://aws.amazon.com/lambda/pricing/ (sections "Lambda Ephemeral Storage Pricing",
  "Provisioned Concurrency Pricing", "SnapStart Pricing", "Lambda Durable Functions Pricing",
  "Lambda Managed Instances").
- Fargate: https://aws.amazon.com/fargate/pricing/ ("Pricing Examples" 1-4).
- CloudWatch: https://aws.amazon.com/cloudwatch/pricing/ (logs examples: "monitoring with logs"
  and the vended VPC flow logs example with 1 TB = 1,024 GB).
AWS rounds each line to the cent for display; we keep exact values and compare after rounding.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from pricing.catalog import Catalog, load_catalog
from pricing.cost import (
    Estimate,
    fargate_cost,
    log_cost,
    monthly_lambda_cost,
    provisioned_concurrency_cost,
)
from pricing.worked_examples import EXAMPLES, worked_example

D = Decimal


def cents(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def test_lambda_example_1_mobile_backend(cat: Catalog) -> None:
    """Lambda pricing page, Example 1 "Mobile application backend": 3M requests, 120 ms,
    1536 MB, x86, free tier → compute $2.33 + requests $0.40 = $2.73 per month."""
    est = worked_example(cat, "on demand 1: mobile backend")
    assert est.item("duration").quantity == D(140_000)
    assert cents(est.item("duration").usd) == D("2.33")
    assert est.item("requests").quantity == D(2_000_000)
    assert cents(est.item("requests").usd) == D("0.40")
    assert est.rounded_total == D("2.73")


def test_lambda_example_2_streaming_telemetry_no_free_tier(cat: Catalog) -> None:
    """Lambda pricing page, Example 2 "Enriching streaming telemetry": 7.44M requests, 2 s,
    1 GB, x86, no free tier → requests $1.49 + compute $248.00 = $249.49."""
    est = worked_example(cat, "on demand 2: streaming telemetry")
    assert est.item("requests").quantity == D(10_000 * 24 * 31)
    assert est.item("duration").quantity == D(14_880_000)
    assert cents(est.item("requests").usd) == D("1.49")
    assert cents(est.item("duration").usd) == D("248.00")
    assert est.rounded_total == D("249.49")


def test_lambda_example_3_ml_with_ephemeral_storage(cat: Catalog) -> None:
    """Lambda pricing page, Example 3 "Performing ML on customer support tickets": 6M requests,
    280 ms, 4096 MB, 2048 MB ephemeral storage, x86, free tier → $105.33 + $1 + $0.08 =
    $106.41."""
    est = worked_example(cat, "on demand 3: ML with ephemeral storage")
    assert est.item("ephemeral storage").quantity == D(2_520_000)
    assert cents(est.item("duration").usd) == D("105.33")
    assert cents(est.item("requests").usd) == D("1.00")
    assert cents(est.item("ephemeral storage").usd) == D("0.08")
    assert est.rounded_total == D("106.41")


def test_lambda_arm64_durable_functions_compute_and_requests(cat: Catalog) -> None:
    """Lambda pricing page, "Lambda Durable Functions Pricing" example (arm64, 1 GB): its
    compute and request lines — 1M executions x 32 s = 32M GB-s minus the free tier →
    31.6M x $0.0000133334 = $421.34; 2M requests minus 1M free → $0.20. (The durable
    operations, data written and retention lines are not Lambda-function meters.)"""
    est = monthly_lambda_cost(
        cat,
        region="us-east-1",
        arch="arm64",
        memory_mb=1024,
        billed_ms_avg=D(16_000),  # 2 invocations per execution, 32 s in total
        invocations=2_000_000,
        free_tier=True,
    )
    assert est.item("duration").quantity == D(31_600_000)
    assert cents(est.item("duration").usd) == D("421.34")
    assert cents(est.item("requests").usd) == D("0.20")


def test_provisioned_concurrency_example_1_mobile_launch(cat: Catalog) -> None:
    """Lambda pricing page, Provisioned Concurrency Example 1 "Mobile application launch":
    PC 100 x 1536 MB for 8 h → $18; 500k requests at 100 ms under PC → $0.73; 2.5M requests at
    120 ms on demand with the free tier → $0.83; 3M requests - 1M free → $0.40; total $19.96."""
    provisioned = provisioned_concurrency_cost(
        cat,
        region="us-east-1",
        arch="x86_64",
        memory_mb=1536,
        concurrency=100,
        hours=D(8),
        invocations=500_000,
        billed_ms_avg=D(100),
    )
    on_demand = monthly_lambda_cost(
        cat,
        region="us-east-1",
        arch="x86_64",
        memory_mb=1536,
        billed_ms_avg=D(120),
        invocations=2_500_000,
        free_tier=True,
    )
    assert provisioned.item("provisioned concurrency").quantity == D(4_320_000)
    assert cents(provisioned.item("provisioned concurrency").usd) == D("18.00")
    assert cents(provisioned.item("duration (provisioned)").usd) == D("0.73")
    assert cents(on_demand.item("duration").usd) == D("0.83")
    total: Estimate = provisioned + on_demand
    requests = sum(i.usd for i in total.items if i.name.startswith("requests"))
    assert cents(requests) == D("0.40")
    assert total.rounded_total == D("19.96")


def test_provisioned_concurrency_example_2_cyber_monday(cat: Catalog) -> None:
    """Lambda pricing page, Provisioned Concurrency Example 2 "Cyber Monday": PC 7 x 4096 MB for
    24 h → $10.08; 2M requests at 280 ms → $21.78; requests $0.40 (no free tier) → $32.26."""
    est = provisioned_concurrency_cost(
        cat,
        region="us-east-1",
        arch="x86_64",
        memory_mb=4096,
        concurrency=7,
        hours=D(24),
        invocations=2_000_000,
        billed_ms_avg=D(280),
    )
    assert cents(est.item("provisioned concurrency").usd) == D("10.08")
    assert cents(est.item("duration (provisioned)").usd) == D("21.78")
    assert cents(est.item("requests (provisioned)").usd) == D("0.40")
    assert est.rounded_total == D("32.26")


def test_snapstart_example_streaming_telemetry(cat: Catalog) -> None:
    """Lambda pricing page, SnapStart example: the telemetry workload (7.44M x 2 s x 1 GB, no
    free tier) plus a version active all month (2,678,400 s → cache $4.03) and 1% restores
    (74,400 GB → $10.40): $1.49 + $248.00 + $14.43 = $263.92."""
    total = worked_example(cat, "SnapStart: streaming telemetry")
    snap = Estimate.of(i for i in total.items if i.name.startswith("snapstart"))
    assert snap.item("snapstart cache").quantity == D(2_678_400)
    assert cents(snap.item("snapstart cache").usd) == D("4.03")
    assert cents(snap.item("snapstart restore").usd) == D("10.40")
    assert cents(snap.total_usd) == D("14.43")
    assert total.rounded_total == D("263.92")


@pytest.mark.parametrize(
    ("arch", "vcpu_usd", "memory_usd", "total"),
    [
        ("x86_64", "1.01", "0.22", "1.26"),  # Fargate pricing page, Example 1 (Linux/X86)
        ("arm64", "0.81", "0.18", "1.02"),  # Fargate pricing page, Example 2 (Linux/ARM)
    ],
)
def test_fargate_examples_1_and_2(
    cat: Catalog, arch: str, vcpu_usd: str, memory_usd: str, total: str
) -> None:
    """Fargate pricing page, Examples 1 and 2: 5 ECS tasks x 10 minutes a day x 30 days, 1 vCPU,
    2 GB, 30 GB ephemeral storage (10 GB billable → $0.03)."""
    est = fargate_cost(
        cat,
        region="us-east-1",
        vcpu=D(1),
        memory_gb=D(2),
        hours=D(5),  # 30 runs x 600 s per task
        runs=30,
        tasks=5,
        arch=arch,
        ephemeral_gb=30,
    )
    assert cents(est.item("vCPU").usd) == D(vcpu_usd)
    assert cents(est.item("memory").usd) == D(memory_usd)
    assert cents(est.item("ephemeral storage").usd) == D("0.03")
    assert est.rounded_total == D(total)


def test_fargate_example_3_eks_pods(cat: Catalog) -> None:
    """Fargate pricing page, Example 3: 10 EKS pods x 1 h a day x 30 days, 0.25 vCPU, 1 GB →
    $3.04 + $1.33 = $4.37."""
    est = fargate_cost(
        cat, region="us-east-1", vcpu=D("0.25"), memory_gb=D(1), hours=D(30), runs=30, tasks=10
    )
    assert cents(est.item("vCPU").usd) == D("3.04")
    assert cents(est.item("memory").usd) == D("1.33")
    assert est.rounded_total == D("4.37")


def test_fargate_example_4_windows_with_the_examples_own_rates(cat: Catalog) -> None:
    """Fargate pricing page, Example 4: 10 Windows tasks x 1 h a day x 30 days, 1 vCPU, 2 GB →
    vCPU $27.45 + OS licence $13.80 + memory $6.00 = $47.25.

    The example's per-second rates (0.0000254167 per vCPU-s, 0.0000027778 per GB-s) differ from
    the rate table (0.09148 per vCPU-hour, marked verify in our catalog), so we price it with a
    catalog carrying the example's own rates; the packaged catalog lands one cent lower.
    """
    data = cat.to_json()
    windows = data["fargate"]["regions"]["us-east-1"]["windows/x86_64"]
    windows["vcpu_hour"]["tiers"][0]["usd"] = str(D("0.0000254167") * 3600)
    windows["gb_hour"]["tiers"][0]["usd"] = str(D("0.0000027778") * 3600)
    example = Catalog(data, origin="fargate example 4 rates")
    kwargs = {"region": "us-east-1", "vcpu": D(1), "memory_gb": D(2), "hours": D(30), "runs": 30}
    est = fargate_cost(example, os="windows", tasks=10, **kwargs)
    assert cents(est.item("vCPU").usd) == D("27.45")
    assert cents(est.item("Windows OS licence").usd) == D("13.80")
    assert cents(est.item("memory").usd) == D("6.00")
    assert est.rounded_total == D("47.25")
    packaged = fargate_cost(cat, os="windows", tasks=10, **kwargs)
    assert packaged.rounded_total == D("47.24")
    assert any("verify" in note for note in packaged.notes)


def test_cloudwatch_example_monitoring_with_logs(cat: Catalog) -> None:
    """CloudWatch pricing page, "monitoring with logs": 1 GB a day for a 30-day month, archived
    for one month and compressed to 6 GB, with the 5 GB free tier → ingestion $12.50 +
    archive $0.03 = $12.53."""
    est = log_cost(
        cat,
        region="us-east-1",
        ingest_gb=D(30),
        retention_months=1,
        vended=False,
        free_tier=True,
        stored_gb=D(6),
    )
    assert cents(est.item("log ingestion (standard)").usd) == D("12.50")
    assert cents(est.item("log storage").usd) == D("0.03")
    assert est.rounded_total == D("12.53")


def test_cloudwatch_example_vended_flow_logs_72_tb(cat: Catalog) -> None:
    """CloudWatch pricing page, vended logs example: 72 TB of VPC flow logs to CloudWatch Logs
    in a month (tiers of 10/20/20 TB, 1 TB = 1,024 GB) → $13,414.40, archived compressed to
    30 TB for a month → $921.60; $14,336.00 in all. Lambda logs use the same vended tiers."""
    est = log_cost(
        cat,
        region="us-east-1",
        ingest_gb=D(72 * 1024),
        retention_months=1,
        vended=True,
        stored_gb=D(30 * 1024),
    )
    ingestion = [i for i in est.items if i.name.startswith("log ingestion")]
    assert [cents(i.usd) for i in ingestion] == [
        D("5120.00"),
        D("5120.00"),
        D("2048.00"),
        D("1126.40"),
    ]
    assert cents(sum(i.usd for i in ingestion)) == D("13414.40")
    assert cents(est.item("log storage").usd) == D("921.60")
    assert est.rounded_total == D("14336.00")


def test_managed_instances_example_high_throughput_api(cat: Catalog) -> None:
    """Lambda pricing page, Lambda Managed Instances "High-throughput API service": 100M
    requests → $20; m7g.xlarge ($0.1632/h on demand) for ~2,000 instance-hours under a 3-year
    Compute Savings Plan (72%: the page rounds the rate to $0.0457/h) → $91.40; management fee
    15% of the on-demand price, $0.02448/h → $48.96; total $160.36. No duration charge."""
    est = worked_example(cat, "Managed Instances: high-throughput API (plan rate $0.0457/h)")
    assert cents(est.item("requests").usd) == D("20.00")
    assert cents(est.item("EC2 m7g.xlarge (discounted rate)").usd) == D("91.40")
    assert est.item("management fee").rate == D("0.02448")
    assert cents(est.item("management fee").usd) == D("48.96")
    assert est.rounded_total == D("160.36")
    assert not any("duration" in i.name for i in est.items)
    # 72% off the exact on-demand rate is $0.045696/h: one cent under the page's rounded rate.
    exact = worked_example(cat, "Managed Instances: same, 72% off the exact rate")
    assert exact.item("EC2 m7g.xlarge (72% discount)").rate == D("0.045696")
    assert exact.rounded_total == D("160.35")
    # The fee is on the on-demand price whatever the discount.
    assert exact.item("management fee").usd == est.item("management fee").usd


def test_every_shared_worked_example_reproduces_the_page_total(cat: Catalog) -> None:
    """The inputs ``benchmarks/pricing_costs.py`` prints (``pricing.worked_examples``), through
    the functions the CLI calls: Provisioned Concurrency here as one month
    (``provisioned_month_cost``), not the parts the tests above add up."""
    for example in EXAMPLES:
        ours = example.price(cat).rounded_total
        if "72% off the exact rate" in example.name:
            assert ours == example.page_total - D("0.01")  # the page rounds the rate first
        else:
            assert ours == example.page_total, example.name
