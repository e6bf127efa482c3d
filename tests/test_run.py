"""The tuning pipeline without the CLI: flags + powertune.toml -> RunPlan -> dry run / Result."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from powertune.errors import InputError
from powertune.local import LocalLambda
from powertune.tune import plan as p
from powertune.tune.config import load_config
from powertune.tune.run import Hooks, prepare, price_dry_run, tune
from pricing.catalog import load_catalog
from pricing.pricer import Pricer

SAMPLE = Path(__file__).parent / "golden" / "sebs_311_warm_sample.csv"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "functions"


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "fn.csv"
    with SAMPLE.open() as src, path.open("w", newline="") as dst:
        out = csv.writer(dst)
        out.writerow(["memory_mb", "duration_ms"])
        for row in csv.DictReader(src):
            out.writerow([row["memory_mb"], row["provider_duration_ms"]])
    return path


def test_a_plan_without_flags_or_config_carries_every_default_once(recording: Path) -> None:
    plan = p.resolve_plan(p.TuneFlags(replay=str(recording)))
    assert plan.target.kind == "replay" and plan.target.replay == str(recording)
    assert plan.strategy == p.StrategySpec()
    assert (plan.strategy.name, plan.strategy.balanced_weight, plan.strategy.percentile) == (
        p.DEFAULT_STRATEGY,
        p.DEFAULT_BALANCED_WEIGHT,
        p.DEFAULT_PERCENTILE,
    )
    assert (plan.search, plan.invocations, plan.tolerance, plan.confidence) == (
        p.DEFAULT_SEARCH,
        p.DEFAULT_INVOCATIONS,
        p.DEFAULT_TOLERANCE,
        p.DEFAULT_CONFIDENCE,
    )
    assert plan.memory == p.MemorySpec() and plan.budget == p.Budget()
    assert plan.payloads.items == (b"{}",)


def test_flags_win_over_the_config_file_which_wins_over_the_defaults(tmp_path: Path) -> None:
    config_file = tmp_path / "powertune.toml"
    config_file.write_text(
        'strategy = "balanced"\nbalanced-weight = 0.8\ninvocations = 5\nmemory = "256,1024"\n'
        '[functions.orders]\nmax-p99-ms = 300\nstrategy = "slo"\n'
    )
    config = load_config(config_file)
    other = p.resolve_plan(p.TuneFlags(function="other", search_kind="grid"), config)
    assert other.strategy == p.StrategySpec(name="balanced", balanced_weight=0.8)
    assert other.invocations == 5 and other.memory.sizes == (256, 1024)
    assert other.memory.candidates
    orders = p.resolve_plan(p.TuneFlags(function="orders", invocations=7), config)
    assert orders.strategy == p.StrategySpec(
        name="slo", balanced_weight=0.8, max_p95_ms=300.0, percentile=99
    )
    assert orders.invocations == 7
    ranged = p.resolve_plan(p.TuneFlags(function="other", memory="128..512", search_kind="grid"))
    assert ranged.memory.sizes == (128, 256, 384, 512) and not ranged.memory.candidates


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (p.TuneFlags(), "name one function"),
        (p.TuneFlags(function="fn", local="x"), "name one function"),
        (p.TuneFlags(function="fn", strategy="slo"), "--max-p95-ms"),
        (p.TuneFlags(function="fn", percentile=90), "95 or 99"),
        (p.TuneFlags(function="fn", tolerance=2.0), "above 0 and below 1"),
        (p.TuneFlags(function="bad name!"), "not a Lambda function name"),
        (p.TuneFlags(function="fn", memory="recorded"), "needs --replay"),
        (p.TuneFlags(function="fn", search_kind="grid", confirm=3), "adaptive search"),
        (p.TuneFlags(function="fn", max_spend="-3"), "positive amount"),
        (p.TuneFlags(function="fn", payload="{}", payloads="x.jsonl"), "not both"),
    ],
)
def test_bad_flags_are_an_input_error_before_anything_is_touched(
    flags: p.TuneFlags, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        p.resolve_plan(flags)


def test_the_dry_run_prices_every_planned_invocation_through_pricing(recording: Path) -> None:
    plan = p.resolve_plan(
        p.TuneFlags(replay=str(recording), search_kind="grid", memory="256,1024", invocations=4)
    )
    with prepare(plan) as ready:
        estimate = price_dry_run(ready)
    assert estimate.sizes == (256, 1024)
    assert estimate.invocations == 2 * (4 + plan.warmup)
    info = estimate.info
    cost = Pricer(load_catalog(), info.region, info.architecture, info.ephemeral_mb).invocation

    each = 4 + plan.warmup
    assert estimate.usd_per_100ms == (cost(256, 100) + cost(1024, 100)) * each
    timeout_ms = estimate.timeout_s * 1000
    assert estimate.worst_usd == (cost(256, timeout_ms) + cost(1024, timeout_ms)) * each


def test_a_replayed_run_builds_a_result_and_notes_the_missing_traffic(recording: Path) -> None:
    notes: list[str] = []
    plan = p.resolve_plan(
        p.TuneFlags(replay=str(recording), search_kind="grid", memory="256,3008", invocations=3)
    )
    result = tune(plan, Hooks(note=notes.append))
    fn = result.functions[0]
    assert [m.memory_mb for m in fn.measurements] == [256, 3008]
    assert all(m.invocations == 3 for m in fn.measurements)
    assert result.run.target == "replay" and result.run.search == "grid"
    assert result.run.replay is not None and result.run.replay.source == str(recording)
    assert fn.recommendation is not None and fn.recommendation.monthly is None
    assert any("--monthly-invocations" in n for n in notes)
    with_traffic = p.resolve_plan(
        p.TuneFlags(
            replay=str(recording),
            search_kind="grid",
            memory="256,3008",
            invocations=3,
            monthly_invocations=1_000_000,
        )
    )
    notes.clear()
    rec = tune(with_traffic, Hooks(note=notes.append)).functions[0].recommendation
    assert rec is not None and rec.monthly is not None
    assert rec.monthly.invocations == 1_000_000 and rec.monthly.invocations_source == "flag"
    assert notes == []


@pytest.fixture(scope="module")
def server() -> Iterator[LocalLambda]:
    with LocalLambda(cpu="model", concurrency=4) as running:
        yield running


def test_the_compare_twin_is_measured_by_the_core(
    server: LocalLambda, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    handler = str(EXAMPLES / "io_wait")
    server.add_function("run-fn", handler, MemorySize=1024, Timeout=30)
    server.add_function("run-fn-arm", handler, MemorySize=1024, Timeout=30, Architectures=["arm64"])
    flags = p.TuneFlags(
        function="run-fn",
        endpoint_url=server.endpoint_url,
        region="us-east-1",
        search_kind="grid",
        memory="128,512",
        invocations=2,
        payload='{"wait_ms": 20, "calls": 1}',
        concurrency=2,
        monthly_invocations=1000,
    )
    twin = tune(p.resolve_plan(p.TuneFlags(**{**vars(flags), "compare": "run-fn-arm"})))
    rec = twin.functions[0].recommendation
    assert rec is not None and rec.arm64 is not None
    assert rec.arm64.estimate is False and rec.arm64.arm64_function == "run-fn-arm"
    with pytest.raises(InputError, match="arm64 twin"):
        tune(p.resolve_plan(p.TuneFlags(**{**vars(flags), "compare": "run-fn"})))


def test_an_adaptive_dry_run_prices_its_budget_and_the_confirmations(recording: Path) -> None:
    plan = p.resolve_plan(
        p.TuneFlags(replay=str(recording), memory="256..3008", confirm=5, max_invocations=12)
    )
    with prepare(plan) as ready:
        estimate = price_dry_run(ready)
    assert estimate.description.startswith("adaptive search over 256-3008 MB")
    assert "measured up to 5 invocations" in estimate.description
    per = 12 // len(estimate.sizes)
    assert estimate.invocations == per * len(estimate.sizes) + 5
    assert estimate.worst_usd > estimate.usd_per_100ms > 0


def test_progress_goes_to_the_hooks_observer(recording: Path) -> None:
    from contextlib import nullcontext

    from powertune.tune.tuner import Observer
    from powertune.types import FunctionInfo, Sample

    class Seen(Observer):
        def __init__(self) -> None:
            self.started: list[str] = []
            self.samples = 0

        def on_start(self, info: FunctionInfo) -> None:
            self.started.append(info.name)

        def on_sample(self, sample: Sample, *, warmup: bool) -> None:
            self.samples += not warmup

    seen = Seen()
    plan = p.resolve_plan(
        p.TuneFlags(replay=str(recording), search_kind="grid", memory="512", invocations=4)
    )
    tune(plan, Hooks(progress=lambda: nullcontext(seen)))
    assert len(seen.started) == 1 and seen.samples == 4


def test_a_power_tuning_input_becomes_a_grid_plan(tmp_path: Path) -> None:
    source = tmp_path / "input.json"
    source.write_text(
        '{"lambdaARN": "arn:aws:lambda:eu-west-1:123456789012:function:orders",'
        ' "powerValues": [512, 128], "num": 7, "strategy": "balanced", "balancedWeight": 0.3,'
        ' "payload": {"a": 1}, "autoOptimize": true, "sleepBetweenRunsMs": 20}'
    )
    plan = p.resolve_plan(p.TuneFlags(from_power_tuning=str(source), strategy="speed"))
    assert plan.search == "grid" and plan.invocations == 7
    assert plan.memory.sizes == (128, 512)
    # a flag on the command line wins over the file (issue 16); the file's weight stays, and
    # aws-lambda-power-tuning answers strictly cheapest: no tie band unless --tie-band
    # and scored as it scores (issue 28)
    assert plan.strategy == p.StrategySpec(
        name="speed", balanced_weight=0.3, tie_band=0.0, scoring="power-tuning"
    )
    assert plan.target.function is not None and plan.target.function.endswith(":orders")
    assert plan.payloads.items == (b'{"a":1}',) and plan.sleep_between_ms == 20
    assert plan.concurrency == 1  # parallelInvocation not set: one at a time
    assert any("autoOptimize" in note for note in plan.notes)
