"""pricing.pricer.Pricer: one function's catalog, region, architecture and storage, set once."""

from __future__ import annotations

from decimal import Decimal

from pricing.catalog import load_catalog
from pricing.cost import duration_price, gb_seconds, invocation_cost, request_price
from pricing.pricer import Pricer
from pricing.vectorized import UnitPrices

CAT = load_catalog()


def test_an_invocation_is_duration_plus_the_request_fee() -> None:
    pricer = Pricer(CAT, "us-east-1", "arm64")
    got = pricer.invocation(1024, 250)
    want = gb_seconds(1024, 250) * duration_price(CAT, "us-east-1", "arm64") + request_price(
        CAT, "us-east-1", "arm64"
    )
    assert got == want
    assert got < Pricer(CAT, "us-east-1", "x86_64").invocation(1024, 250)  # arm64 is cheaper


def test_ephemeral_storage_above_512_mb_is_charged_for_the_billed_time() -> None:
    base = Pricer(CAT, "us-east-1", "x86_64")
    big = Pricer(CAT, "us-east-1", "x86_64", ephemeral_mb=10240)
    storage = CAT.lambda_rate("us-east-1", "x86_64", "ephemeral_storage").first
    extra = big.invocation(512, Decimal("1000.5")) - base.invocation(512, Decimal("1000.5"))
    assert extra == gb_seconds(10240 - 512, Decimal("1000.5")) * storage
    assert big.invocation(512, 10) == invocation_cost(
        CAT, region="us-east-1", arch="x86_64", memory_mb=512, billed_ms=10, ephemeral_mb=10240
    )


def test_the_search_prices_come_from_the_same_facts() -> None:
    pricer = Pricer(CAT, "eu-west-1", "arm64")
    assert pricer.unit_prices() == UnitPrices.of(CAT, "eu-west-1", "arm64")
    assert pricer.unit_prices() != Pricer(CAT, "eu-west-1", "x86_64").unit_prices()
