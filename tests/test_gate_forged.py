"""The gate refuses results that are schema-valid in shape but impossible in meaning: each forged
current (or baseline) result below makes `powertune gate` exit 3 naming the field, never pass."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app

GOLDEN = Path(__file__).parent / "golden" / "result-example.json"
Doc = dict[str, Any]


def _fn(d: Doc) -> Doc:
    return d["functions"][0]


def _rec(d: Doc) -> Doc:
    return _fn(d)["recommendation"]


def _m(d: Doc, index: int = 0) -> Doc:
    return _fn(d)["measurements"][index]


def _set(getter: Callable[[Doc], Doc], key: str, value: Any) -> Callable[[Doc], None]:
    def forge(d: Doc) -> None:
        getter(d)[key] = value

    return forge


def _skip_recommended(d: Doc) -> None:
    m = next(m for m in _fn(d)["measurements"] if m["memory_mb"] == _rec(d)["memory_mb"])
    m.update(status="skipped", skip_reason="out of memory")


def _times(key: str, factor: float) -> Callable[[Doc], None]:
    def forge(d: Doc) -> None:
        at = next(m for m in _fn(d)["measurements"] if m["memory_mb"] == _rec(d)["memory_mb"])
        seen = at["duration_ms"]["p95"] if key == "duration_ms_p95" else at[key]
        value = float(seen) * factor
        _rec(d)[key] = value if key == "duration_ms_p95" else f"{value:.12f}"

    return forge


# (id, forgery, a word the error must name)
FORGERIES: list[tuple[str, Callable[[Doc], None], str]] = [
    ("negative-cost", _set(_rec, "cost_per_invocation_usd", "-0.000031"), "cost_per_invocation"),
    ("null-cost", _set(_rec, "cost_per_invocation_usd", None), "cost_per_invocation"),
    ("nan-cost", _set(_rec, "cost_per_invocation_usd", "NaN"), "cost_per_invocation"),
    ("infinite-cost", _set(_rec, "cost_per_invocation_usd", "Infinity"), "cost_per_invocation"),
    ("nan-p95", _set(_rec, "duration_ms_p95", float("nan")), "duration_ms_p95"),
    ("infinite-p95", _set(_rec, "duration_ms_p95", float("inf")), "duration_ms_p95"),
    ("negative-p95", _set(_rec, "duration_ms_p95", -5.0), "duration_ms_p95"),
    ("null-p95", _set(_rec, "duration_ms_p95", None), "duration_ms_p95"),
    ("negative-memory", _set(_m, "memory_mb", -256), "memory_mb"),
    ("zero-memory", _set(_rec, "memory_mb", 0), "memory_mb"),
    ("huge-memory", _set(_rec, "memory_mb", 10**9), "memory_mb"),
    ("negative-original-memory", _set(_fn, "original_memory_mb", -1), "original_memory_mb"),
    ("no-functions", lambda d: d.update(functions=[]), "functions"),
    ("no-recommendation", _set(_fn, "recommendation", None), "recommendation"),
    ("below-measured-range", _set(_rec, "memory_mb", 128), "memory_mb"),
    ("above-measured-range", _set(_rec, "memory_mb", 4096), "memory_mb"),
    ("recommended-size-skipped", _skip_recommended, "skipped"),
    ("p95-contradicts-measurement", _times("duration_ms_p95", 0.1), "contradicts"),
    ("cost-contradicts-measurement", _times("cost_per_invocation_usd", 10.0), "contradicts"),
    ("negative-measured-cost", _set(_m, "cost_per_invocation_usd", "-1"), "cost_per_invocation"),
    ("nan-measured-p50", lambda d: _m(d)["duration_ms"].update(p50=float("nan")), "p50"),
    ("p50-above-p95", lambda d: _m(d)["duration_ms"].update(p50=1e9), "p50"),
    ("negative-sample", lambda d: _m(d)["samples"][0].update(duration_ms=-1.0), "duration_ms"),
    ("errors-above-invocations", _set(_m, "errors", 10**6), "errors"),
    ("negative-spend", lambda d: d["tuning"].update(spend_usd="-0.05"), "spend_usd"),
    ("negative-monthly", lambda d: _rec(d)["monthly"].update(recommended_usd="-1"), "monthly"),
    ("negative-invocations", lambda d: d["tuning"].update(invocations=-3), "invocations"),
]


def _gate(tmp_path: Path, baseline: Doc, current: Doc, *extra: str) -> Any:
    base, cur = tmp_path / "base.json", tmp_path / "cur.json"
    base.write_text(json.dumps(baseline))
    cur.write_text(json.dumps(current))
    args = ["gate", "--baseline", str(base), "--current", str(cur), *extra]
    return CliRunner().invoke(app, args, catch_exceptions=False)


@pytest.fixture(scope="module")
def golden() -> Doc:
    return json.loads(GOLDEN.read_text())


def test_the_untouched_result_passes_against_itself(golden: Doc, tmp_path: Path) -> None:
    assert _gate(tmp_path, golden, golden).exit_code == 0


@pytest.mark.parametrize(
    ("forge", "field"), [f[1:] for f in FORGERIES], ids=[f[0] for f in FORGERIES]
)
@pytest.mark.parametrize("side", ["current", "baseline"])
def test_a_forged_result_is_refused_naming_the_field(
    golden: Doc, tmp_path: Path, forge: Callable[[Doc], None], field: str, side: str
) -> None:
    forged = copy.deepcopy(golden)
    forge(forged)
    pair = (golden, forged) if side == "current" else (forged, golden)
    outcome = _gate(tmp_path, *pair)
    lines = [line for line in outcome.output.splitlines() if line.strip()]
    assert outcome.exit_code == 3, outcome.output
    assert len(lines) == 1 and lines[0].startswith("powertune: error: ")
    assert field in lines[0]


def test_a_function_missing_from_the_current_result_fails_unless_allowed(
    golden: Doc, tmp_path: Path
) -> None:
    base = copy.deepcopy(golden)
    extra = copy.deepcopy(_fn(base))
    extra["name"] = "billing"
    if extra.get("arn"):  # another function: its own ARN (one function twice is refused)
        extra["arn"] = extra["arn"].rsplit(":", 1)[0] + ":billing"
    base["functions"].append(extra)
    assert _gate(tmp_path, base, golden).exit_code == 1
    assert _gate(tmp_path, base, golden, "--allow-missing").exit_code == 0
