"""The result model: JSON round trips, schema validation on read and write, and drift checks."""

from __future__ import annotations

import dataclasses
import json
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest

from powertune.results import (
    FunctionResult,
    InvalidResult,
    Pricing,
    Result,
    Run,
    SampleRecord,
    Tuning,
    dumps_result,
    load_result,
    load_schema,
    loads_result,
    result_to_json,
    write_result,
)
from powertune.results.codec import field_types, is_optional
from powertune.results.jsonio import result_from_json
from powertune.results.schema_gen import render
from powertune.results.stats import measurement_from_samples, skipped_measurement
from powertune.types import Sample

SCHEMA_PATH = Path(__file__).parents[1] / "powertune" / "results" / "schema-v1.json"


def _maximal(tp: Any, depth: int = 0) -> Any:
    """A value of type ``tp`` with every optional filled and every collection non-empty."""
    _, tp = is_optional(tp)
    if tp is Any:
        return {"note": "open", "usd": "0.25", "n": [1, 2.5]}
    if dataclasses.is_dataclass(tp):
        return tp(**{n: _maximal(t, depth + 1) for n, t in field_types(tp).items()})
    if tp is Decimal:
        return Decimal("0.0000002083")
    if tp is float:
        return 12.5
    if tp is int:
        return 7
    if tp is str:
        return "x"
    if tp is bool:
        return True
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Literal:
        return args[-1]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return (_maximal(args[0], depth + 1), _maximal(args[0], depth + 1))
        return tuple(_maximal(a, depth + 1) for a in args)
    if origin is dict:
        return {"k": _maximal(args[1], depth + 1)}
    raise TypeError(tp)


def _maximal_result() -> Result:
    r = _maximal(Result)
    # the few fields whose schema is narrower than their type (see field metadata)
    return dataclasses.replace(
        r,
        schema_version="1",
        generated_at="2026-11-27T10:00:00Z",
        pricing=dataclasses.replace(r.pricing, currency="USD"),
        # one function once: a result naming it twice is refused
        functions=tuple(dataclasses.replace(f, name=f"fn{i}") for i, f in enumerate(r.functions)),
    )


def _minimal_result(**kw: Any) -> Result:
    samples = [Sample(memory_mb=256, duration_ms=10.0 + i, billed_ms=11 + i) for i in range(5)]
    fn = FunctionResult(
        name="fn",
        region="us-east-1",
        architecture="x86_64",
        original_memory_mb=128,
        measurements=(
            measurement_from_samples(256, samples, cost_per_invocation=Decimal("2E-7")),
            skipped_measurement(128, "out of memory"),
        ),
    )
    return Result(
        tool_version="0.1.0",
        generated_at="2026-11-27T10:00:00Z",
        pricing=Pricing(catalog_version="2026-11-01", region="us-east-1"),
        run=Run(target="local", search="grid", strategy="cost"),
        functions=(fn,),
        tuning=Tuning(invocations=5, billed_gb_s=0.01, spend_usd=None, wall_s=1.5),
        **kw,
    )


def test_committed_schema_is_generated_from_the_dataclasses() -> None:
    assert SCHEMA_PATH.read_text() == render(), (
        "schema-v1.json drifted: run python -m powertune.results.schema_gen > "
        "powertune/results/schema-v1.json"
    )


def test_schema_carries_version_and_draft() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/v1.json")


def _dataclass_by_def(name: str) -> type:
    import powertune.results.model as model

    return getattr(model, name)  # type: ignore[no-any-return]


def test_every_schema_property_maps_to_a_dataclass_field_and_back() -> None:
    schema = load_schema()
    objects = {"Result": schema} | {k: v for k, v in schema["$defs"].items() if k != "Money"}
    assert {"Measurement", "Recommendation", "SampleRecord", "CurvePoint"} <= set(objects)
    for name, obj in objects.items():
        cls = _dataclass_by_def(name)
        fields = {f.name for f in dataclasses.fields(cls)}
        assert set(obj["properties"]) == fields, name


def test_maximal_result_validates_and_round_trips() -> None:
    result = _maximal_result()
    data = result_to_json(result)
    # every optional really was filled: no null anywhere in the maximal document
    assert "null" not in json.dumps(data)
    assert result_from_json(data) == result
    assert loads_result(dumps_result(result)) == result


def test_money_is_a_plain_decimal_string_and_unknown_is_null() -> None:
    data = result_to_json(_minimal_result())
    m = data["functions"][0]["measurements"][0]
    assert m["cost_per_invocation_usd"] == "0.0000002"
    assert data["tuning"]["spend_usd"] is None
    skipped = data["functions"][0]["measurements"][1]
    assert skipped["duration_ms"] is None and skipped["cost_per_invocation_usd"] is None


def test_write_and_load_file(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    write_result(_minimal_result(), path)
    loaded = load_result(path)
    assert loaded == _minimal_result()
    assert loaded.functions[0].measurement(256) is not None
    assert loaded.functions[0].measured()[0].memory_mb == 256


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    return path


def test_invalid_enum_names_its_json_path(tmp_path: Path) -> None:
    data = result_to_json(_minimal_result())
    data["functions"][0]["measurements"][1]["status"] = "bogus"
    with pytest.raises(InvalidResult) as info:
        load_result(_write(tmp_path, data))
    assert info.value.json_path == "$.functions[0].measurements[1].status"
    assert "bad.json" in str(info.value) and info.value.exit_code == 3


def test_float_money_is_rejected(tmp_path: Path) -> None:
    data = result_to_json(_minimal_result())
    data["functions"][0]["measurements"][0]["cost_per_invocation_usd"] = 2e-7
    with pytest.raises(InvalidResult) as info:
        load_result(_write(tmp_path, data))
    assert info.value.json_path == "$.functions[0].measurements[0].cost_per_invocation_usd"


def test_other_major_schema_version_is_refused(tmp_path: Path) -> None:
    data = result_to_json(_minimal_result())
    data["schema_version"] = "2"
    with pytest.raises(InvalidResult, match="schema_version '2' is not supported"):
        load_result(_write(tmp_path, data))


def test_later_minor_version_with_extra_fields_is_read(tmp_path: Path) -> None:
    data = result_to_json(_minimal_result())
    data["schema_version"] = "1.1"
    data["functions"][0]["future_field"] = {"a": 1}
    loaded = load_result(_write(tmp_path, data))
    assert loaded.schema_version == "1.1"


def test_missing_and_non_json_files_are_invalid_results(tmp_path: Path) -> None:
    with pytest.raises(InvalidResult, match="no such file"):
        load_result(tmp_path / "nope.json")
    path = tmp_path / "t.json"
    path.write_text("{not json")
    with pytest.raises(InvalidResult, match=r"not JSON: .* line 1"):
        load_result(path)
    with pytest.raises(InvalidResult, match=r"missing|required"):
        load_result(_write(tmp_path, {"schema_version": "1"}))


def test_writing_an_invalid_result_fails_before_any_file_is_opened(tmp_path: Path) -> None:
    bad = dataclasses.replace(_minimal_result(), generated_at="yesterday")
    path = tmp_path / "out.json"
    with pytest.raises(InvalidResult, match="generated_at"):
        write_result(bad, path)
    assert not path.exists()


def test_non_finite_numbers_are_refused() -> None:
    bad = dataclasses.replace(
        _minimal_result(),
        tuning=Tuning(invocations=1, billed_gb_s=float("nan"), spend_usd=None, wall_s=1),
    )
    with pytest.raises(InvalidResult, match="finite"):
        result_to_json(bad)


def test_measurement_statistics_from_samples() -> None:
    rng = np.random.default_rng(3)
    durations = rng.normal(100.0, 10.0, 200)
    samples = [
        Sample(
            memory_mb=512,
            duration_ms=float(d),
            billed_ms=int(np.ceil(d)),
            init_ms=150.0 if i < 3 else None,
            max_memory_mb=60 + i % 7,
            request_id=f"r{i}",
            payload_index=i % 2,
        )
        for i, d in enumerate(durations)
    ]
    samples.append(
        Sample(memory_mb=512, duration_ms=5.0, billed_ms=5, status="error", error_type="Boom")
    )
    m = measurement_from_samples(512, samples, cost_per_invocation=Decimal("0.000001"))
    assert (m.invocations, m.errors, m.cold_starts) == (201, 1, 3)
    assert m.duration_ms is not None and m.billed_ms is not None and m.init_ms is not None
    # the error's 5 ms is excluded from the timings, and so are the 3 cold starts' durations
    # (counted in cold_starts; the timings are the warm invocations', as the cost is)
    warm = durations[3:]
    assert m.duration_ms.mean == pytest.approx(float(warm.mean()))
    assert m.duration_ms.p95 == pytest.approx(float(np.percentile(warm, 95)))
    assert m.duration_ms.p50 < m.duration_ms.p90 < m.duration_ms.p95 < m.duration_ms.p99
    lo, hi = m.duration_ms.ci95 or (0.0, 0.0)
    assert lo < 100.0 < hi and hi - lo < 4.0
    assert m.max_memory_used_mb == 66
    assert m.init_ms.max == 150.0
    assert m.samples[0].request_id == "r0" and m.samples[0].cold
    assert m.to_samples()[0] == samples[0]


def test_one_sample_has_no_interval_and_no_samples_means_no_timings() -> None:
    m = measurement_from_samples(128, [Sample(memory_mb=128, duration_ms=3.0, billed_ms=3)])
    assert m.duration_ms is not None and m.duration_ms.ci95 is None
    failed = measurement_from_samples(
        128, [Sample(memory_mb=128, duration_ms=3.0, billed_ms=3, status="timeout")]
    )
    assert failed.duration_ms is None and failed.errors == 1


def test_skipped_measurement_keeps_reason_and_counts() -> None:
    s = [Sample(memory_mb=128, duration_ms=1.0, billed_ms=1, status="error", error_type="OOM")]
    m = skipped_measurement(128, "out of memory", s)
    assert (m.status, m.skip_reason, m.invocations, m.errors) == ("skipped", "out of memory", 1, 1)
    assert isinstance(m.samples[0], SampleRecord) and not m.measured
