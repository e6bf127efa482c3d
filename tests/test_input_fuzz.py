"""Hypothesis over the readers and the catalog (issue 27): whatever the bytes, the log reader
yields bounded blocks holding exactly the lines within the bound (the others counted), never
raises anything but InputError; text files decode in every supported encoding; a catalog with
hostile figures is refused or prices without an error; a Price List item of any JSON shape is a
rate or one PricingError."""

from __future__ import annotations

import copy
import io
import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from powertune.errors import InputError
from powertune.logs import inputs as log_inputs
from pricing.catalog import Catalog, default_catalog_path
from pricing.cost import monthly_lambda_cost
from pricing.errors import PricingError
from pricing.readfile import FileRefused, decode_text
from pricing.refresh import rate_from_price_list

BLOCK, LIMIT = 256, 64

LINE = st.binary(max_size=300).map(lambda b: b.replace(b"\n", b"").replace(b"\0", b"."))


def _units(data: bytes) -> list[Any]:
    """read_units over ``data`` with small blocks and a small line bound."""
    saved = log_inputs.BLOCK_BYTES, log_inputs.MAX_LINE_BYTES
    log_inputs.BLOCK_BYTES, log_inputs.MAX_LINE_BYTES = BLOCK, LIMIT
    try:
        return list(log_inputs.read_units(io.BufferedReader(io.BytesIO(data)), "fuzz"))
    finally:
        log_inputs.BLOCK_BYTES, log_inputs.MAX_LINE_BYTES = saved


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(LINE, max_size=40), newline_at_end=st.booleans())
def test_lines_within_the_bound_come_through_and_longer_ones_are_counted(
    lines: list[bytes], newline_at_end: bool
) -> None:
    data = b"\n".join([b"x", *lines]) + (b"\n" if newline_at_end else b"")
    lines = data.split(b"\n")  # the file's lines: a final newline ends the last one
    if lines[-1] == b"":
        lines.pop()
    units = _units(data)
    assert all(isinstance(u, log_inputs.Lines) for u in units)
    assert all(len(u.data) <= BLOCK + LIMIT + 1 for u in units)
    text = b"".join(bytes(u.data) for u in units)
    got = text.split(b"\n")
    if got and got[-1] == b"":
        got.pop()
    assert got == [line for line in lines if len(line) <= LIMIT]
    assert sum(u.overlong for u in units) == sum(len(line) > LIMIT for line in lines)


PREFIXES = st.sampled_from(
    [b"", b"{", b"[", b'{"events": [', b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"x\n"]
)


@settings(max_examples=300, deadline=None)
@given(prefix=PREFIXES, body=st.binary(max_size=2000))
def test_any_bytes_are_read_or_refused_with_an_input_error(prefix: bytes, body: bytes) -> None:
    try:
        units = _units(prefix + body)
    except InputError:
        return
    for unit in units:
        if isinstance(unit, log_inputs.Lines):
            assert len(unit.data) <= BLOCK + LIMIT + 1
        else:
            assert all(isinstance(m, str) for _, m in unit.messages)


TEXT = st.text(st.characters(blacklist_characters="\x00\ufeff", blacklist_categories=["Cs"]))


@settings(max_examples=300, deadline=None)
@given(text=TEXT, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]))
def test_text_decodes_in_every_supported_encoding(text: str, encoding: str) -> None:
    assert decode_text(text.encode(encoding), "fuzz") == text


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400))
def test_any_bytes_decode_or_are_refused(data: bytes) -> None:
    try:
        assert isinstance(decode_text(data, "fuzz"), str)
    except FileRefused as exc:
        assert exc.exit_code == 2


HOSTILE = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=0, max_value=10**45).map(str),
    st.floats().map(repr),
    st.sampled_from(["1E+999999", "0." + "0" * 40 + "1", "9" * 41, "", "-1", "1e3", " 1"]),
    st.text(max_size=20),
    st.integers(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
CATALOG_TEXT = default_catalog_path().read_text(encoding="utf-8")


@settings(max_examples=40, deadline=None)
@given(
    field=st.sampled_from(["from", "to", "usd"]),
    tier=st.integers(min_value=0, max_value=2),
    value=HOSTILE,
    second=HOSTILE,
)
def test_a_catalog_with_hostile_figures_is_refused_or_prices(
    field: str, tier: int, value: Any, second: Any
) -> None:
    data = json.loads(CATALOG_TEXT)
    tiers = data["lambda"]["regions"]["us-east-1"]["x86_64"]["duration"]["tiers"]
    tiers[tier % len(tiers)][field] = value
    data["lambda"]["regions"]["us-east-1"]["x86_64"]["requests"]["tiers"][0]["usd"] = second
    try:
        cat = Catalog(data)
    except PricingError:
        return
    cost = monthly_lambda_cost(
        cat,
        region="us-east-1",
        arch="x86_64",
        memory_mb=10240,
        billed_ms_avg=Decimal(900_000),
        invocations=10**12,
    )
    assert cost.total_usd >= 0
    json.dumps(cost.to_json())


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
ENTRY: dict[str, Any] = {
    "product": {"attributes": {"regionCode": "us-east-1"}, "sku": "A"},
    "terms": {
        "OnDemand": {
            "T": {
                "effectiveDate": "2026-11-01",
                "priceDimensions": {
                    "D": {"beginRange": "0", "endRange": "Inf", "pricePerUnit": {"USD": "0.2"}}
                },
            }
        }
    },
}
PATHS = [
    ["terms"],
    ["terms", "OnDemand"],
    ["terms", "OnDemand", "T"],
    ["terms", "OnDemand", "T", "priceDimensions"],
    ["terms", "OnDemand", "T", "priceDimensions", "D"],
    ["terms", "OnDemand", "T", "priceDimensions", "D", "beginRange"],
    ["terms", "OnDemand", "T", "priceDimensions", "D", "endRange"],
    ["terms", "OnDemand", "T", "priceDimensions", "D", "pricePerUnit"],
    ["terms", "OnDemand", "T", "priceDimensions", "D", "pricePerUnit", "USD"],
    ["product"],
]


@settings(max_examples=400, deadline=None)
@given(path=st.sampled_from(PATHS), value=st.one_of(JSON, HOSTILE))
def test_a_price_list_item_of_any_shape_is_a_rate_or_one_pricing_error(
    path: list[str], value: Any
) -> None:
    entry = copy.deepcopy(ENTRY)
    node: Any = entry
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    try:
        rate = rate_from_price_list(entry, "GB-s", "aws-price-list-api", "2026-11-27")
    except PricingError:
        return
    assert rate["tiers"] and all(isinstance(t["usd"], str) for t in rate["tiers"])
