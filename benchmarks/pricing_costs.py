"""Benchmark: the pricing hot paths the tuner, the analyzer and the gate call.

Prints the cold load (parse + JSON Schema validation) of the packaged catalog, a cached
``load_catalog()``, and microseconds per call of ``invocation_cost``, ``billed_ms_for``,
``monthly_lambda_cost`` (with and without tiers crossed) and ``fargate_cost``; then AWS's own
worked examples (Lambda pricing page: on demand, Provisioned Concurrency, SnapStart, Managed
Instances) priced with the packaged catalog, against the page's totals to the cent.

    python benchmarks/pricing_costs.py [--repeat 20000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pricing.catalog import Catalog, default_catalog_path, load_catalog
from pricing.cost import (
    CENT,
    billed_ms_for,
    fargate_cost,
    invocation_cost,
    monthly_lambda_cost,
)
from pricing.worked_examples import EXAMPLES

D = Decimal


def per_call_us(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm caches
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20_000)
    args = parser.parse_args()
    start = time.perf_counter()
    raw = json.loads(default_catalog_path().read_text("utf-8"))
    Catalog(raw, origin="bench")
    cold_ms = (time.perf_counter() - start) * 1e3
    cat = load_catalog()
    cached_us = per_call_us(load_catalog, args.repeat // 10)

    rows = [
        ("load catalog, cold (parse + validate)", cold_ms * 1e3),
        ("load_catalog(), cached", cached_us),
        (
            "invocation_cost",
            per_call_us(
                lambda: invocation_cost(
                    cat, region="us-east-1", arch="arm64", memory_mb=1769, billed_ms=123
                ),
                args.repeat,
            ),
        ),
        (
            "billed_ms_for (cold start)",
            per_call_us(lambda: billed_ms_for(12.34, 841.6), args.repeat),
        ),
        (
            "monthly_lambda_cost (free tier)",
            per_call_us(
                lambda: monthly_lambda_cost(
                    cat,
                    region="us-east-1",
                    arch="x86_64",
                    memory_mb=1536,
                    billed_ms_avg=Decimal(120),
                    invocations=3_000_000,
                    free_tier=True,
                ),
                args.repeat // 4,
            ),
        ),
        (
            "monthly_lambda_cost (3 tiers + logs)",
            per_call_us(
                lambda: monthly_lambda_cost(
                    cat,
                    region="us-east-1",
                    arch="x86_64",
                    memory_mb=10240,
                    billed_ms_avg=Decimal(1000),
                    invocations=2_000_000_000,
                    log_gb=Decimal(100),
                    log_retention_months=1,
                ),
                args.repeat // 4,
            ),
        ),
        (
            "fargate_cost",
            per_call_us(
                lambda: fargate_cost(
                    cat,
                    region="us-east-1",
                    vcpu=Decimal(1),
                    memory_gb=Decimal(2),
                    hours=Decimal(730),
                ),
                args.repeat // 4,
            ),
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, us in rows:
        print(f"{name:<{width}}  {us:10.1f} us/call")
    print("\nAWS's worked examples (Lambda pricing page, us-east-1):")
    examples = [(e.name, e.price(cat), e.page_total) for e in EXAMPLES]
    width = max(len(name) for name, _, _ in examples)
    for name, est, page in examples:
        ours = est.rounded_total
        verdict = "to the cent" if ours == page else f"off by ${abs(ours - page).quantize(CENT)}"
        print(f"  {name:<{width}}  page ${page}  ours ${ours}  exact {est.total_usd}  {verdict}")


if __name__ == "__main__":
    main()
