"""How long pricing one function's recommendation takes (item 5 of issue 6).

The analyzer and multi-function tunes call ``price_recommendation`` once per function; this
prints milliseconds per call for it and for each part, so a slowdown in the pricing path shows.

    python benchmarks/recommend.py [--repeat N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from powertune.recommend import (
    arm64_estimate,
    fargate_alternative,
    headroom_warning,
    log_costs,
    monthly_comparison,
    price_recommendation,
)
from pricing.catalog import load_catalog

REGION = "us-east-1"


def per_call_ms(func: Callable[[], Any], repeat: int) -> float:
    func()  # warm caches once
    start = time.perf_counter()
    for _ in range(repeat):
        func()
    return (time.perf_counter() - start) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    repeat = parser.parse_args().repeat
    cat = load_catalog()
    cases: dict[str, Callable[[], Any]] = {
        "monthly_comparison": lambda: monthly_comparison(
            cat,
            region=REGION,
            arch="x86_64",
            current_memory_mb=1024,
            current_billed_ms=Decimal(400),
            recommended_memory_mb=512,
            recommended_billed_ms=Decimal("700.5"),
            monthly_invocations=2_000_000,
        ),
        "headroom_warning": lambda: headroom_warning(512, 450),
        "arm64_estimate": lambda: arm64_estimate(
            cat,
            region=REGION,
            memory_mb=512,
            billed_ms=Decimal("700.5"),
            monthly_invocations=2_000_000,
        ),
        "fargate_alternative": lambda: fargate_alternative(
            cat,
            region=REGION,
            arch="x86_64",
            duration_ms=700.0,
            memory_mb=512,
            monthly_invocations=2_000_000,
        ),
        "log_costs": lambda: log_costs(
            cat,
            region=REGION,
            bytes_per_invocation=1500,
            monthly_invocations=2_000_000,
            retention_days=None,
        ),
        "price_recommendation (all)": lambda: price_recommendation(
            cat,
            region=REGION,
            arch="x86_64",
            current_memory_mb=1024,
            current_billed_ms=Decimal(400),
            recommended_memory_mb=512,
            recommended_billed_ms=Decimal("700.5"),
            recommended_duration_ms=700.0,
            monthly_invocations=2_000_000,
            peak_max_memory_used_mb=450,
            log_bytes_per_invocation=1500,
        ),
    }
    print(f"{'part':<28} {'ms per call':>12}   ({repeat} calls each)")
    for name, func in cases.items():
        print(f"{name:<28} {per_call_ms(func, repeat):>12.3f}")


if __name__ == "__main__":
    main()
