"""The result is typed end to end: arm64, Fargate and logs are dataclasses, and the one codec
writes them as v1 always did."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from powertune.results import (
    Arm64Comparison,
    FargateAlternative,
    LambdaMonth,
    PricedItem,
    dumps_result,
    load_result,
    loads_result,
)
from powertune.results.codec import decimal_str, money, to_plain

BEFORE = Path(__file__).parent / "data" / "results" / "replay-grid-before-typed.json"
GOLDEN = Path(__file__).parent / "golden" / "result-example.json"


def test_a_result_written_before_the_typing_loads_typed_and_rewrites_byte_for_byte() -> None:
    text = BEFORE.read_text(encoding="utf-8")
    result = load_result(BEFORE)
    rec = result.functions[0].recommendation
    assert rec is not None
    assert isinstance(rec.arm64, Arm64Comparison) and isinstance(rec.arm64.x86_64, LambdaMonth)
    assert isinstance(rec.fargate, FargateAlternative)
    assert all(isinstance(i, PricedItem) for i in rec.arm64.x86_64.items)
    raw = json.loads(text)["functions"][0]["recommendation"]
    assert rec.arm64.arm64_usd == Decimal(raw["arm64"]["arm64_usd"])
    assert rec.fargate.tasks == raw["fargate"]["tasks"]
    assert dumps_result(result) == text


def test_an_early_v1_open_object_still_loads() -> None:
    data = json.loads(GOLDEN.read_text(encoding="utf-8"))
    data["functions"][0]["recommendation"]["arm64"] = {"estimate": True, "monthly_usd": "41.80"}
    rec = loads_result(json.dumps(data)).functions[0].recommendation
    assert rec is not None and rec.arm64 == Arm64Comparison(estimate=True)


def test_a_line_item_without_a_note_is_written_without_one() -> None:
    item = PricedItem(name="requests", quantity=Decimal(10), unit="requests", usd=Decimal("2E-6"))
    assert to_plain(item) == {
        "name": "requests",
        "quantity": "10",
        "unit": "requests",
        "rate": None,
        "usd": "0.000002",
    }
    assert to_plain(PricedItem(name="x", note="verify"))["note"] == "verify"


def test_one_money_formatter_never_writes_an_exponent() -> None:
    assert decimal_str(Decimal("2E-7")) == "0.0000002"
    assert decimal_str(Decimal("1.50")) == "1.50"
    assert money(None) is None and money(Decimal("1E+2")) == "100"
