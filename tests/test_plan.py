"""Parsing a tuning plan: memory specs, payloads, function names, aws-lambda-power-tuning input."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from powertune.errors import InputError
from powertune.tune.plan import (
    POWER_TUNING_ALL,
    parse_function,
    parse_memory,
    parse_money,
    parse_payload,
    parse_payloads_file,
    parse_power_tuning_input,
)


def test_memory_lists_and_ranges() -> None:
    assert parse_memory("512,128,256,256") == [128, 256, 512]
    assert parse_memory("128..512", step=128) == [128, 256, 384, 512]
    assert parse_memory("128..200") == [128, 192, 200]
    assert parse_memory("128MB..10240") == [*range(128, 10240, 64), 10240]


@pytest.mark.parametrize("spec", ["64", "10241", "abc", "512..128", "", "128..128"])
def test_bad_memory_specs_are_input_errors(spec: str) -> None:
    with pytest.raises(InputError):
        parse_memory(spec)


def test_function_names_and_arns() -> None:
    ref = parse_function("arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live")
    assert (ref.name, ref.region, ref.qualifier) == ("my-fn", "eu-west-1", "live")
    assert ref.arn == "arn:aws:lambda:eu-west-1:123456789012:function:my-fn"
    assert parse_function("my_fn-2").name == "my_fn-2"
    for bad in ("my fn", "x" * 65, "arn:aws:s3:::bucket"):
        with pytest.raises(InputError):
            parse_function(bad)


def test_weighted_payload_schedule_follows_weights_and_interleaves(tmp_path: Path) -> None:
    path = tmp_path / "payloads.json"
    path.write_text(
        json.dumps([{"payload": {"a": 1}, "weight": 3}, {"payload": {"b": 2}, "weight": 1}])
    )
    payloads = parse_payloads_file(str(path))
    order = payloads.schedule(8)
    assert Counter(order) == {0: 6, 1: 2}
    assert order[:4].count(1) == 1  # a partial batch already sees both payloads
    assert payloads.items[1] == b'{"b":2}'


def test_jsonl_payloads_are_one_per_invocation(tmp_path: Path) -> None:
    path = tmp_path / "payloads.jsonl"
    path.write_text('{"n": 1}\n{"n": 2}\n\n{"n": 3}\n')
    payloads = parse_payloads_file(str(path))
    assert payloads.per_invocation
    assert payloads.schedule(5) == [0, 1, 2, 0, 1]


def test_payload_flag_and_bad_payloads(tmp_path: Path) -> None:
    assert parse_payload(None).items == (b"{}",)
    file = tmp_path / "event.json"
    file.write_text('{"x": 1}\n')
    assert parse_payload(f"@{file}").items == (b'{"x": 1}',)
    with pytest.raises(InputError, match="not valid JSON"):
        parse_payload("{nope")
    with pytest.raises(InputError, match="no such payload file"):
        parse_payload("@/no/such/file.json")
    bad = tmp_path / "bad.json"
    bad.write_text('[{"payload": 1, "weight": 0}]')
    with pytest.raises(InputError, match="weight"):
        parse_payloads_file(str(bad))
    assert parse_payload('{"a":1}').sha256 != parse_payload('{"a":2}').sha256


def test_money() -> None:
    assert str(parse_money("$0.50", "--max-spend")) == "0.50"
    for bad in ("-1", "0", "free", "NaN"):
        with pytest.raises(InputError):
            parse_money(bad, "--max-spend")


def test_power_tuning_input_maps_onto_our_options(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_text(
        json.dumps(
            {
                "lambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:fn",
                "powerValues": [128, 256, 512, 1024],
                "num": 50,
                "payload": [{"payload": {"q": 1}, "weight": 2}, {"payload": {"q": 2}, "weight": 1}],
                "parallelInvocation": False,
                "strategy": "balanced",
                "balancedWeight": 0.3,
                "discardTopBottom": 0.1,
                "onlyColdStarts": True,
                "autoOptimize": True,
            }
        )
    )
    pt = parse_power_tuning_input(str(path))
    assert pt.memory == [128, 256, 512, 1024]
    assert (pt.invocations, pt.concurrency, pt.strategy, pt.balanced_weight) == (
        50,
        1,
        "balanced",
        0.3,
    )
    # onlyColdStarts: every invocation counts (its executor sets discardTopBottom to 0)
    assert (pt.trim, pt.cold_starts) == (0.0, True)
    assert pt.payloads.weights == (2, 1)
    assert any("autoOptimize" in note for note in pt.notes)
    path.write_text(json.dumps({"lambdaARN": "fn", "num": 5, "powerValues": "ALL"}))
    assert parse_power_tuning_input(str(path)).memory == POWER_TUNING_ALL
    path.write_text(json.dumps({"lambdaARN": "fn", "num": 5}))  # its deploy-time default
    assert parse_power_tuning_input(str(path)).memory == [128, 256, 512, 1024, 1536, 3008]
    path.write_text(json.dumps({"lambdaARN": "fn", "num": 5, "preProcessorARN": "arn:x"}))
    with pytest.raises(InputError, match="preProcessorARN"):
        parse_power_tuning_input(str(path))
