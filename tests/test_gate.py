"""The gate on pairs of results built from samples of a known noisy distribution.

Each result is what a grid run would record: per size, invocations drawn from a duration curve
(a fixed part plus a CPU-bound part that scales with memory/1769 vCPU) with log-normal noise and
rare slow outliers; the recommendation is the cheapest measured size, as the tuner's fallback does.
"""

from __future__ import annotations

import dataclasses
import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app
from powertune.gate.compare import Thresholds, Verdict, compare
from powertune.outputs import GATE_MARKER, render_gate_markdown, render_junit
from powertune.results import (
    FunctionResult,
    Monthly,
    Pricing,
    Recommendation,
    Result,
    Run,
    Tuning,
    write_result,
)
from powertune.results.stats import measurement_from_samples
from powertune.types import Sample
from powertune_cli.table import render_gate_table

# us-east-1 x86_64 rates (AWS Lambda pricing page): per GB-second and per request.
GB_S = Decimal("0.0000166667")
REQUEST = Decimal("0.0000002")
SIZES = (128, 256, 512, 1024, 1769, 3008)
MONTHLY_INVOCATIONS = 5_000_000


def _cost(memory_mb: int, billed_ms: list[int]) -> Decimal:
    mean_billed = Decimal(sum(billed_ms)) / len(billed_ms)
    return (REQUEST + GB_S * Decimal(memory_mb) / 1024 * mean_billed / 1000).quantize(
        Decimal("1E-12")
    )


def curve_ms(memory_mb: int, fixed: float = 25.0, compute_at_1769: float = 220.0) -> float:
    return fixed + compute_at_1769 * 1769.0 / min(memory_mb, 1769)


def build_function(
    rng: np.random.Generator,
    name: str = "orders",
    *,
    slowdown: float = 1.0,
    n: int = 40,
    keep_samples: bool = True,
    architecture: str = "x86_64",
    payload: str = "a" * 64,
) -> FunctionResult:
    measurements = []
    for mb in SIZES:
        base = curve_ms(mb) * slowdown
        noise = rng.lognormal(0.0, 0.08, n) * np.where(rng.random(n) < 0.02, 1.6, 1.0)
        durations = base * noise
        samples = [
            Sample(
                memory_mb=mb,
                duration_ms=float(d),
                billed_ms=math.ceil(d),
                max_memory_mb=70,
                request_id=f"{name}-{mb}-{i}",
            )
            for i, d in enumerate(durations)
        ]
        cost = _cost(mb, [s.billed_ms or 0 for s in samples])
        measurements.append(
            measurement_from_samples(
                mb, samples, cost_per_invocation=cost, keep_samples=keep_samples
            )
        )
    best = min(measurements, key=lambda m: m.cost_per_invocation_usd or Decimal(1))
    current = next(m for m in measurements if m.memory_mb == 1024)
    assert best.duration_ms and best.cost_per_invocation_usd and current.cost_per_invocation_usd
    cur_usd = current.cost_per_invocation_usd * MONTHLY_INVOCATIONS
    rec_usd = best.cost_per_invocation_usd * MONTHLY_INVOCATIONS
    return FunctionResult(
        name=name,
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        region="us-east-1",
        architecture=architecture,
        original_memory_mb=1024,
        payload_sha256=payload,
        measurements=tuple(measurements),
        recommendation=Recommendation(
            strategy="cost",
            memory_mb=best.memory_mb,
            source="measured",
            cost_per_invocation_usd=best.cost_per_invocation_usd,
            duration_ms_p50=best.duration_ms.p50,
            duration_ms_p95=best.duration_ms.p95,
            monthly=Monthly(
                invocations=MONTHLY_INVOCATIONS,
                invocations_source="flag",
                current_usd=cur_usd,
                recommended_usd=rec_usd,
                saving_usd=cur_usd - rec_usd,
            ),
        ),
    )


def build_result(
    seed: int, *, names: tuple[str, ...] = ("orders",), catalog: str = "2026-09-01", **kw: object
) -> Result:
    rng = np.random.default_rng(seed)
    functions = tuple(build_function(rng, name, **kw) for name in names)  # type: ignore[arg-type]
    return Result(
        tool_version="0.1.0",
        generated_at="2026-11-27T10:00:00Z",
        pricing=Pricing(catalog_version=catalog, region="us-east-1"),
        run=Run(target="replay", search="grid", strategy="cost"),
        functions=functions,
        tuning=Tuning(invocations=len(SIZES) * 40, billed_gb_s=1.0, spend_usd=None, wall_s=1.0),
    )


def test_unchanged_function_never_fails_over_20_seeds() -> None:
    statuses = []
    for seed in range(20):
        verdict = compare(build_result(seed), build_result(seed + 1000))
        statuses.append(verdict.status)
        assert verdict.exit_code == 0, verdict.functions[0].checks
    # and it is quiet, not a wall of warnings
    assert statuses.count("pass") >= 17, statuses


def test_twenty_percent_slower_fails_over_20_seeds() -> None:
    for seed in range(20):
        verdict = compare(build_result(seed), build_result(seed + 1000, slowdown=1.2))
        assert verdict.exit_code == 1
        fn = verdict.functions[0]
        checks = {c.name: c for c in fn.checks}
        assert checks["cost"].status == "fail", checks["cost"].message
        assert checks["cost"].change == pytest.approx(0.2, abs=0.08)
        ev = checks["cost"].evidence
        assert ev is not None and ev.interval[0] > 0 and ev.method == "welch"
        assert "a real increase" in checks["cost"].message


def test_small_increase_under_the_threshold_passes() -> None:
    for seed in range(5):
        verdict = compare(build_result(seed), build_result(seed + 1000, slowdown=1.02))
        assert verdict.exit_code == 0


def test_without_samples_an_increase_is_a_warning_not_a_failure() -> None:
    base = build_result(1, keep_samples=False)
    cur = build_result(2, slowdown=1.2, keep_samples=False)
    verdict = compare(base, cur)
    check = next(c for c in verdict.functions[0].checks if c.name == "cost")
    assert check.status == "warn" and check.evidence is None
    assert "no size measured in both results" in check.message
    assert verdict.exit_code == 0


def test_mismatched_catalog_architecture_and_payload_are_warnings() -> None:
    base = build_result(1)
    cur = build_result(2, catalog="2027-01-01", architecture="arm64", payload="b" * 64)
    verdict = compare(base, cur)
    assert verdict.status == "warn" and verdict.exit_code == 0
    assert any("pricing catalog differs" in w for w in verdict.warnings)
    fw = " | ".join(verdict.functions[0].warnings)
    assert "architecture differs" in fw and "payload differs" in fw


def test_new_and_gone_functions_are_reported() -> None:
    base = build_result(1, names=("orders", "legacy"))
    cur = build_result(2, names=("orders", "billing"))
    verdict = compare(base, cur)
    presence = {f.name: f.presence for f in verdict.functions}
    assert presence == {"orders": "compared", "billing": "new", "legacy": "gone"}
    assert verdict.function("billing").status == "warn"  # type: ignore[union-attr]
    # A function the current run lost is a failure unless allowed (it may be a broken run).
    assert verdict.function("legacy").status == "fail"  # type: ignore[union-attr]
    assert verdict.exit_code == 1
    allowed = compare(base, cur, Thresholds(allow_missing=True))
    assert allowed.function("legacy").status == "warn"  # type: ignore[union-attr]
    assert allowed.exit_code == 0


def test_monthly_threshold_in_dollars() -> None:
    base, cur = build_result(3), build_result(4, slowdown=1.3)
    loose = compare(base, cur, Thresholds(max_cost_increase=1.0, max_p95_increase=1.0))
    assert loose.exit_code == 0 and {c.name for c in loose.functions[0].checks} == {"cost", "p95"}
    strict = compare(
        base,
        cur,
        Thresholds(
            max_cost_increase=1.0, max_p95_increase=1.0, max_monthly_increase_usd=Decimal(1)
        ),
    )
    monthly = next(c for c in strict.functions[0].checks if c.name == "monthly")
    assert monthly.status == "fail" and monthly.change is not None and monthly.change > 1
    assert strict.exit_code == 1


def test_p95_is_compared_at_one_size_when_the_recommendation_moves() -> None:
    base = build_result(5)
    cur = build_result(6)
    fn = cur.functions[0]
    assert fn.recommendation is not None
    # the current run recommends a bigger size (twice as fast, as expensive): no p95 regression
    other = next(m for m in fn.measurements if m.memory_mb == 512)
    assert other.duration_ms is not None
    moved = dataclasses.replace(
        fn,
        recommendation=dataclasses.replace(
            fn.recommendation, memory_mb=512, duration_ms_p95=other.duration_ms.p95
        ),
    )
    verdict = compare(base, dataclasses.replace(cur, functions=(moved,)))
    p95 = next(c for c in verdict.functions[0].checks if c.name == "p95")
    base_512 = base.functions[0].measurement(512)
    assert base_512 is not None and base_512.duration_ms is not None
    assert p95.baseline == pytest.approx(base_512.duration_ms.p95)
    assert p95.status == "pass"


def test_compare_is_deterministic() -> None:
    base, cur = build_result(7), build_result(8, slowdown=1.1)
    assert compare(base, cur) == compare(base, cur)


# --- the `powertune gate` command ---------------------------------------------------------

runner = CliRunner()


def _files(tmp_path: Path, base: Result, cur: Result) -> tuple[Path, Path]:
    b, c = tmp_path / "base.json", tmp_path / "cur.json"
    write_result(base, b)
    write_result(cur, c)
    return b, c


def _gate(tmp_path: Path, base: Path, cur: Path, *extra: str) -> tuple[int, str]:
    args = ["gate", "--baseline", str(base), "--current", str(cur)]
    args += ["--junit", str(tmp_path / "gate.xml"), "--markdown", str(tmp_path / "gate.md")]
    res = runner.invoke(app, [*args, *extra])
    return res.exit_code, res.output


def test_cli_unchanged_exits_0_with_marker_and_junit(tmp_path: Path) -> None:
    code, out = _gate(tmp_path, *_files(tmp_path, build_result(11), build_result(12)))
    assert code == 0, out
    md = (tmp_path / "gate.md").read_text()
    assert md.startswith("<!-- powertune-gate -->\n")
    suites = ET.parse(tmp_path / "gate.xml").getroot()
    assert suites.get("failures") == "0" and suites.get("tests") == "2"


def test_cli_regression_exits_1(tmp_path: Path) -> None:
    code, out = _gate(tmp_path, *_files(tmp_path, build_result(11), build_result(12, slowdown=1.2)))
    assert code == 1
    assert "fail: orders: cost per invocation" in out
    failures = ET.parse(tmp_path / "gate.xml").getroot().findall(".//failure")
    assert failures and failures[0].get("type") == "regression"
    assert "❌ powertune gate" in (tmp_path / "gate.md").read_text()


@pytest.mark.parametrize(
    "content", ["{not json", '{"schema_version": "2"}', '{"schema_version": "1", "run": 3}']
)
def test_cli_bad_baseline_exits_3_with_the_regenerate_command(
    tmp_path: Path, content: str | None
) -> None:
    base, cur = _files(tmp_path, build_result(1), build_result(2))
    base.write_text(content)
    code, out = _gate(tmp_path, base, cur)
    assert code == 3
    assert out.count("\n") == 1 and out.startswith("powertune: error: ")
    assert (
        f"regenerate the baseline with: powertune tune arn:aws:lambda:us-east-1:123456789012:function:orders --search grid --memory 128,256,512,1024,1769,3008 --invocations 40 --strategy cost --json {base}"
        in out
    )
    assert not (tmp_path / "gate.xml").exists() and not (tmp_path / "gate.md").exists()


def test_cli_bad_current_exits_3(tmp_path: Path) -> None:
    base, cur = _files(tmp_path, build_result(1), build_result(2))
    cur.write_text("[]")
    code, out = _gate(tmp_path, base, cur)
    assert code == 3 and "cur.json" in out and "Traceback" not in out


def test_cli_bad_threshold_is_a_usage_error(tmp_path: Path) -> None:
    code, out = _gate(
        tmp_path, *_files(tmp_path, build_result(1), build_result(2)), "--max-p95-increase", "ten"
    )
    assert code == 2 and "--max-p95-increase" in out


def test_cli_config_thresholds_and_flags_override_them(tmp_path: Path) -> None:
    base, cur = _files(tmp_path, build_result(3), build_result(4, slowdown=1.2))
    config = tmp_path / "powertune.toml"
    config.write_text('[gate]\nmax-cost-increase = "50%"\nmax-p95-increase = 60\n')
    code, out = _gate(tmp_path, base, cur, "--config", str(config))
    assert code == 0, out
    code, _ = _gate(tmp_path, base, cur, "--config", str(config), "--max-cost-increase", "5%")
    assert code == 1
    code, _ = _gate(tmp_path, base, cur, "--config", str(config), "--max-monthly-increase", "1")
    assert code == 1


def test_cli_bad_config_is_a_usage_error(tmp_path: Path) -> None:
    base, cur = _files(tmp_path, build_result(3), build_result(4))
    config = tmp_path / "powertune.toml"
    config.write_text("[gate]\nmax-cost = 5\n")
    code, out = _gate(tmp_path, base, cur, "--config", str(config))
    assert code == 2 and "unknown setting 'max-cost'" in out


def test_too_few_invocations_warn_and_say_how_to_decide() -> None:
    verdict = compare(build_result(21, n=2), build_result(22, n=2, slowdown=1.2))
    cost = next(c for c in verdict.functions[0].checks if c.name == "cost")
    assert cost.status == "warn" and cost.evidence is not None
    assert (cost.evidence.baseline_n, cost.evidence.current_n) == (2, 2)
    assert "--search grid --invocations 30" in cost.message
    assert verdict.exit_code == 0


# --- golden renderings of one verdict with every status -----------------------------------

GOLDEN = Path(__file__).parent / "golden"


def _golden_verdict() -> Verdict:
    base = build_result(31, names=("orders", "search", "legacy"))
    cur_ok = build_result(32, names=("orders", "search", "billing"))
    slow = build_result(33, names=("search",), slowdown=1.25)
    cur = dataclasses.replace(
        cur_ok, functions=(cur_ok.functions[0], slow.functions[0], cur_ok.functions[2])
    )
    return compare(base, cur, Thresholds(max_monthly_increase_usd=Decimal(5), allow_missing=True))


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("gate-example.md", render_gate_markdown),
        ("gate-example.junit.xml", render_junit),
        ("gate-example.table.txt", render_gate_table),
    ],
)
def test_gate_renderings_golden(name: str, render: Callable[[Verdict], str]) -> None:
    text = render(_golden_verdict())
    path = GOLDEN / name
    if os.environ.get("POWERTUNE_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_gate_markdown_shape() -> None:
    verdict = _golden_verdict()
    assert verdict.status == "fail"
    assert {f.name: f.status for f in verdict.functions} == {
        "orders": "pass",
        "search": "fail",
        "billing": "warn",
        "legacy": "warn",
    }
    md = render_gate_markdown(verdict)
    assert md.startswith(GATE_MARKER) and "| `search` | cost | ❌ |" in md
    assert "| `billing` | new | ⚠️ |" in md and "| `legacy` | gone | ⚠️ |" in md
    suite = ET.fromstring(render_junit(verdict))
    assert suite.get("tests") == "8" and suite.get("failures") == "2"


def test_schema_version_region_and_target_mismatches_are_warnings() -> None:
    base = build_result(41)
    cur = build_result(42)
    base = dataclasses.replace(
        base,
        schema_version="1.1",
        pricing=dataclasses.replace(base.pricing, region="eu-west-1"),
        run=dataclasses.replace(base.run, target="aws"),
    )
    verdict = compare(base, cur)
    joined = " | ".join(verdict.warnings)
    assert "schema version differs: baseline 1.1, current 1" in joined
    assert "pricing region differs" in joined and "target differs" in joined
    assert verdict.status == "warn" and verdict.exit_code == 0


@pytest.mark.parametrize("role", ["baseline", "current"])
@pytest.mark.parametrize("other_region", [False, True])
def test_cli_a_result_with_a_function_name_twice_exits_3_naming_it(
    tmp_path: Path, role: str, other_region: bool
) -> None:
    # The same function twice, or one name in two regions: the gate matches by name, so which
    # entry to compare is ambiguous either way.
    twice = build_result(3, names=("orders", "billing", "orders"))
    if other_region:
        last = twice.functions[2]
        moved = dataclasses.replace(
            last, region="eu-west-1", arn=(last.arn or "").replace("us-east-1", "eu-west-1")
        )
        twice = dataclasses.replace(twice, functions=(*twice.functions[:2], moved))
    pair = (twice, build_result(4)) if role == "baseline" else (build_result(4), twice)
    code, out = _gate(tmp_path, *_files(tmp_path, *pair))
    assert code == 3, out
    assert "orders" in out and "more than once" in out and "Traceback" not in out
    assert not (tmp_path / "gate.xml").exists()
    if role == "current":  # a first run (no baseline) refuses it too
        args = ["gate", "--baseline", str(tmp_path / "none.json")]
        args += ["--current", str(tmp_path / "cur.json"), "--baseline-optional"]
        first = runner.invoke(app, args)
        assert first.exit_code == 3 and "more than once" in first.output
