"""Recommendations a user would adopt: the tie band, APT's balanced score, INIT priced in, one
basis for the choice and its dollars, and the Search.decide / Target contracts."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app
from powertune.models.forms import FORMS
from powertune.results import Run
from powertune.tune.build import BuildOptions, TrafficFigures, build_result, decide
from powertune.tune.decide.costcurve import CostCurve, cost_curve, init_curve
from powertune.tune.decide.decision import DecideContext, Decision
from powertune.tune.decide.strategies import BALANCED_FORMULA, balanced_score, choose
from powertune.tune.plan import parse_payload
from powertune.tune.search.adaptive import AdaptiveSearch
from powertune.tune.search.grid import GridSearch
from powertune.tune.search.interface import Observations, Search
from powertune.tune.targets.interface import Sample
from powertune.tune.targets.replay import ReplayTarget
from powertune.tune.tuner import Tuner, TuneSettings
from pricing.catalog import load_catalog
from pricing.cost import invocation_cost
from pricing.vectorized import UnitPrices

CAT = load_catalog()
REGION, ARCH = "us-east-1", "x86_64"
PRICES = UnitPrices.of(CAT, REGION, ARCH)
runner = CliRunner()


def exact(
    means: dict[int, float], n: int = 4, init: dict[int, float] | None = None
) -> Observations:
    """Noise-free observations: ``n`` warm invocations of exactly ``means[m]`` ms per size, and
    one cold start per size with ``init[m]`` ms of INIT when given."""
    obs = Observations()
    for m, mu in means.items():
        if init and m in init:
            obs.add(Sample(m, duration_ms=mu, billed_ms=None, init_ms=init[m]))
        for _ in range(n):
            obs.add(Sample(m, duration_ms=mu, billed_ms=None))
    return obs


def flat_cpu_means() -> dict[int, float]:
    """A CPU-bound function: duration ∝ 1/memory up to 1792 MB, so cost is flat (within 1%:
    the 0.5 ms rounding and the request fee differ), then flat duration (cost rises)."""
    out = {}
    for m in (128, 256, 512, 1024, 1792, 3008):
        out[m] = 14000.0 * 128 / min(m, 1792)
    out[512] *= 0.995  # 512 MB measured a little cheaper: the strictly cheapest
    return out


# -- the tie band -----------------------------------------------------------------------------


def test_cost_recommends_the_fastest_size_within_the_band_and_says_why() -> None:
    curve = cost_curve(None, exact(flat_cpu_means()), catalog=CAT, region=REGION, arch=ARCH)
    strict = choose("cost", curve, tie_band=0.0)
    assert strict.memory_mb == 512 and strict.reason is None
    banded = choose("cost", curve)  # default band: 1%
    assert banded.memory_mb == 1792 and banded.cheapest_mb == 512
    extra = float(curve.cost[curve.index(1792)] / curve.cost[curve.index(512)] - 1)
    assert 0 < extra <= 0.01
    assert banded.reason == (
        f"cost is flat from 128 to 1792 MB; 1792 MB is 3.5x faster for +{extra:.1%}"
    )
    # 3008 MB costs ~68% more than the cheapest: outside any sensible band.
    assert choose("cost", curve, tie_band=0.5).memory_mb == 1792


def test_a_band_of_zero_restores_the_strictly_cheapest_and_a_narrow_band_excludes() -> None:
    curve = cost_curve(None, exact(flat_cpu_means()), catalog=CAT, region=REGION, arch=ARCH)
    costs = {int(m): float(c) for m, c in zip(curve.memory_mb, curve.cost, strict=True)}
    cheapest = min(costs.values())
    band = (costs[1792] / cheapest - 1) / 2  # half what 1792 MB costs extra
    inside = [m for m, c in costs.items() if c <= cheapest * (1 + band)]
    got = choose("cost", curve, tie_band=band)
    assert got.memory_mb == max(inside) and got.memory_mb != 1792


def test_slo_uses_the_band_among_the_sizes_that_meet_the_limit() -> None:
    curve = cost_curve(None, exact(flat_cpu_means()), catalog=CAT, region=REGION, arch=ARCH)
    # 128 MB (14 s) misses a 8 s limit; the rest meet it and are flat in cost up to 1792 MB.
    got = choose("slo", curve, max_p95_ms=8000.0)
    assert got.slo_met and got.memory_mb == 1792 and got.reason is not None
    assert choose("slo", curve, max_p95_ms=8000.0, tie_band=0.0).memory_mb == 512


def test_the_cli_tie_band_flag_and_the_reason_in_every_output(tmp_path: Path) -> None:
    csv = tmp_path / "flat.csv"  # per-invocation rows, all alike: a noise-free replay
    rows = "\n".join(f"{m},{d}" for m, d in flat_cpu_means().items() for _ in range(3))
    csv.write_text("memory_mb,duration_ms\n" + rows + "\n")
    out = tmp_path / "out.json"
    sizes = ",".join(map(str, flat_cpu_means()))
    args = ["tune", "--replay", str(csv), "--search", "grid", "--memory", sizes]
    made = runner.invoke(app, [*args, "--json", str(out)])
    assert made.exit_code == 0, made.output
    rec = json.loads(out.read_text())["functions"][0]["recommendation"]
    assert rec["memory_mb"] == 1792 and rec["reason"].startswith("cost is flat from")
    assert "cost is flat from" in made.output  # the terminal table
    strict = runner.invoke(app, [*args, "--tie-band", "0", "--json", str(out)])
    assert strict.exit_code == 0, strict.output
    assert json.loads(out.read_text())["functions"][0]["recommendation"]["memory_mb"] < 1792
    bad = runner.invoke(app, [*args, "--tie-band", "1.5"])
    assert bad.exit_code == 2 and "--tie-band" in bad.output


def test_markdown_and_html_show_the_reason_and_the_basis() -> None:
    from powertune.outputs.html import render_html
    from powertune.outputs.markdown import render_markdown

    result = _grid_result(flat_cpu_means(), current_mb=128)
    rec = result.functions[0].recommendation
    assert rec is not None and rec.reason
    md, page = render_markdown(result), render_html(result)
    for text in (md, page):
        assert "cost is flat from 128 to 1792 MB" in text
        assert "$/invocation and $/month from the measured sizes" in text


# -- aws-lambda-power-tuning's balanced score -------------------------------------------------


def hand_curve(costs: list[float], means: list[float], sizes: list[int]) -> CostCurve:
    c, d, m = np.array(costs), np.array(means), np.array(sizes)
    q = (d, d, d)
    return CostCurve(
        memory_mb=m,
        cost=c,
        cost_lo=c,
        cost_hi=c,
        mean=d,
        mean_lo=d,
        mean_hi=d,
        quantiles={50: q, 95: q, 99: q},
        source="measured",
        measured=tuple(sizes),
        region=REGION,
        arch=ARCH,
        cold_share=0.0,
        init_ms=np.zeros(len(m)),
        prices=PRICES,
        catalog=CAT,
    )


def test_balanced_is_the_power_tuning_score_computed_by_hand() -> None:
    # APT: value = w*cost/maxCost + (1-w)*duration/maxDuration, the lowest wins.
    sizes, costs, means = [128, 640, 1024], [2e-6, 3e-6, 4e-6], [100.0, 80.0, 45.0]
    # w = 0.5: 128 -> .5*.5 + .5*1 = .75; 640 -> .5*.75 + .5*.8 = .775; 1024 -> .5 + .225 = .725
    got = balanced_score(np.array(costs), np.array(means), 0.5)
    assert got == pytest.approx([0.75, 0.775, 0.725])
    curve = hand_curve(costs, means, sizes)
    assert choose("balanced", curve, balanced_weight=0.5).memory_mb == 1024
    # w = 0.8: 128 -> .4 + .2 = .6; 640 -> .6 + .16 = .76; 1024 -> .8 + .09 = .89
    assert balanced_score(np.array(costs), np.array(means), 0.8) == pytest.approx([0.6, 0.76, 0.89])
    assert choose("balanced", curve, balanced_weight=0.8).memory_mb == 128


def test_balanced_does_not_pay_three_times_the_cost_for_no_speed() -> None:
    # An I/O-bound function: duration flat, cost rising with memory (the io_wait).
    # Min-max normalisation makes 640 MB's 0.5% speed-up as large as all the cost difference.
    sizes, costs, means = [128, 384, 640], [1e-6, 2e-6, 3e-6], [100.0, 99.7, 99.5]
    # APT, w = 0.5: 128 -> .5/3 + .5 = .667; 384 -> .333 + .4985 = .832; 640 -> .5 + .4975 = .9975
    assert choose("balanced", hand_curve(costs, means, sizes)).memory_mb == 128


def test_the_balanced_formula_is_in_the_help() -> None:
    shown = runner.invoke(app, ["tune", "--help"], env={"COLUMNS": "200"})
    text = " ".join(shown.output.split())
    assert BALANCED_FORMULA.replace(" ", "") in text.replace(" ", "")


# -- INIT priced in ---------------------------------------------------------------------------


def test_init_is_weighted_into_the_curve_by_the_cold_share_per_size() -> None:
    # INIT gets faster with memory too: at a 50% cold share the INIT dominates and 256 MB wins.
    obs = exact({128: 100.0, 256: 60.0}, init={128: 2000.0, 256: 900.0})
    warm = cost_curve(None, obs, catalog=CAT, region=REGION, arch=ARCH)
    half = cost_curve(None, obs, catalog=CAT, region=REGION, arch=ARCH, cold_share=0.5)
    assert choose("cost", warm, tie_band=0).memory_mb == 128
    assert choose("cost", half, tie_band=0).memory_mb == 256
    for m, init in ((128, 2000.0), (256, 900.0)):
        # a measured size bills what it billed: a warm 100.0 ms invocation bills 100 ms
        billed = Decimal(repr(round(60.0 if m == 256 else 100.0, 3)))
        billed += Decimal(repr(0.5 * init))
        want = invocation_cost(CAT, region=REGION, arch=ARCH, memory_mb=m, billed_ms=billed)
        assert half.decimal_cost(m)[0] == want
        assert half.expected_billed_ms(m) == pytest.approx(float(billed))


def test_init_between_measured_sizes_is_interpolated_on_log_memory() -> None:
    got = init_curve({128: 1000.0, 512: 400.0}, np.array([128, 256, 512, 1024]))
    assert got == pytest.approx([1000.0, 700.0, 400.0, 400.0])
    assert list(init_curve({}, np.array([128, 256]))) == [0.0, 0.0]


def test_cold_starts_flag_prices_every_invocation_with_its_init() -> None:
    sebs = Path(__file__).parent / "data" / "curves" / "sebs" / "sebs_311.csv"
    common = ["tune", "--replay", str(sebs), "--search", "grid", "--memory", "512,1024"]
    out = runner.invoke(app, [*common, "--cold-starts", "--json", "-", "-q"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout[: out.stdout.rindex("}") + 1])
    fn = doc["functions"][0]
    rec = fn["recommendation"]
    assert rec["cold_share"] == 1.0
    # Every measured invocation was cold: the recommended cost is the measured one, INIT
    # included, not the warm duration alone.
    measured = next(m for m in fn["measurements"] if m["memory_mb"] == rec["memory_mb"])
    inits = [s["init_ms"] for s in measured["samples"] if s.get("init_ms")]
    assert inits and len(inits) == len(measured["samples"])
    warm_only = runner.invoke(app, [*common, "--json", "-", "-q"])
    warm_rec = json.loads(warm_only.stdout[: warm_only.stdout.rindex("}") + 1])["functions"][0]
    assert Decimal(rec["cost_per_invocation_usd"]) > Decimal(
        warm_rec["recommendation"]["cost_per_invocation_usd"]
    )
    half = runner.invoke(app, [*common, "--cold-share", "0.25", "--json", "-", "-q"])
    half_doc = json.loads(half.stdout[: half.stdout.rindex("}") + 1])
    assert half_doc["functions"][0]["recommendation"]["cold_share"] == 0.25
    bad = runner.invoke(app, [*common, "--cold-share", "2"])
    assert bad.exit_code == 2


def _rec_json(args: list[str]) -> dict:
    out = runner.invoke(app, [*args, "--json", "-", "-q"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout[: out.stdout.rindex("}") + 1])["functions"][0]


def test_the_warm_ups_init_prices_a_cold_share(tmp_path: Path) -> None:
    # The warm-up is the only cold start a grid sees: its duration is left out, its INIT is
    # measured all the same and priced by the cold-start share (it used to be thrown away, so
    # every share priced the same while the output said INIT was billed).
    csv = tmp_path / "cold.csv"
    rows = [f"{m},{d},," for m, d in ((128, 1000), (512, 260)) for _ in range(3)]
    rows += ["128,1500,300,true", "512,400,200,true"]
    csv.write_text("memory_mb,duration_ms,init_ms,is_cold\n" + "\n".join(rows) + "\n")
    common = ["tune", "--replay", str(csv), "--search", "grid", "--memory", "128,512"]
    cost = {}
    for share in ("0", "0.5"):
        fn = _rec_json([*common, "--invocations", "3", "--tie-band", "0", "--cold-share", share])
        rec = fn["recommendation"]
        row = next(m for m in fn["measurements"] if m["memory_mb"] == rec["memory_mb"])
        assert row["cost_per_invocation_usd"] == rec["cost_per_invocation_usd"]
        cost[share] = (rec["memory_mb"], Decimal(rec["cost_per_invocation_usd"]))
    assert cost["0"][0] == cost["0.5"][0] == 128
    # half the invocations bill 128 MB's 300 ms INIT on top of its 1,000 ms
    for share, billed in (("0", "1000"), ("0.5", "1150")):
        want = invocation_cost(
            CAT, region=REGION, arch=ARCH, memory_mb=128, billed_ms=Decimal(billed)
        )
        assert cost[share][1] == want


def test_a_cold_share_without_any_init_measured_says_so(tmp_path: Path) -> None:
    csv = tmp_path / "warm.csv"
    rows = [f"{m},{d}" for m, d in ((128, 1000), (512, 250)) for _ in range(3)]
    csv.write_text("memory_mb,duration_ms\n" + "\n".join(rows) + "\n")
    args = ["tune", "--replay", str(csv), "--search", "grid", "--memory", "128,512"]
    rec = _rec_json([*args, "--invocations", "3", "--cold-share", "0.5"])["recommendation"]
    assert "cold_share" not in rec  # no INIT priced: not claimed
    assert any("no INIT was measured" in w for w in rec["warnings"])


# -- one basis --------------------------------------------------------------------------------


def _grid_result(means: dict[int, float], current_mb: int, monthly: int = 1_000_000):
    rows = "\n".join(f"{m},{d}" for m, d in means.items() for _ in range(3))
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "curve.csv"
        path.write_text("memory_mb,duration_ms\n" + rows + "\n")
        target = ReplayTarget(path, seed=1, noise_cv=0.03)
        search = GridSearch(sorted(means), 10)
        outcome = Tuner(target, search, parse_payload(None), TuneSettings(), catalog=CAT).run()
    outcome.info = type(outcome.info)(**{**outcome.info.__dict__, "memory_mb": current_mb})
    run = Run(target="replay", search="grid", strategy="cost")
    return build_result(
        outcome,
        search=search,
        catalog=CAT,
        run=run,
        options=BuildOptions(),
        traffic=TrafficFigures(monthly_invocations=monthly),
    )


def test_a_measured_choice_is_priced_per_invocation_and_per_month_from_its_measurements() -> None:
    # The grid measures 1024 MB (the current size) too: the choice is measured cheapest within
    # the band, so it can never show a negative saving against a measured current size.
    means = {128: 900.0, 256: 420.0, 512: 190.0, 1024: 110.0, 2048: 100.0}
    result = _grid_result(means, current_mb=1024)
    rec = result.functions[0].recommendation
    assert rec is not None and rec.source == "measured" and rec.basis == "measured"
    assert rec.monthly is not None and rec.monthly.saving_usd is not None
    assert rec.monthly.saving_usd >= 0
    per_month = rec.cost_per_invocation_usd * 1_000_000
    assert float(rec.monthly.recommended_usd) == pytest.approx(float(per_month), rel=1e-6)


def test_a_measured_choice_and_every_measured_row_are_one_figure() -> None:
    # The rows and a choice made on the measurements price the same thing: the run's trimmed
    # mean of what each size's REPORTs billed (not the duration plus an assumed 0.5 ms), so the
    # recommended size's row and the recommendation agree to the last digit.
    means = {128: 900.0, 256: 420.0, 512: 190.0, 1024: 110.0, 2048: 100.0}
    fn = _grid_result(means, current_mb=1024).functions[0]
    rec = fn.recommendation
    assert rec is not None and rec.basis == "measured"
    row = fn.measurement(rec.memory_mb)
    assert row is not None and row.cost_per_invocation_usd == rec.cost_per_invocation_usd
    assert rec.monthly is not None and rec.monthly.current_usd is not None
    current = fn.measurement(1024)
    assert current is not None and current.cost_per_invocation_usd is not None
    assert float(rec.monthly.current_usd) == pytest.approx(
        float(current.cost_per_invocation_usd) * 1_000_000, rel=1e-6
    )


def test_the_strictly_cheapest_is_what_was_billed_not_duration_plus_half_a_ms() -> None:
    # 999.0 ms bills 999 ms; 124.01 ms bills 125 ms. By billed ms 128 MB is the cheaper (by
    # 0.1%); by "duration + 0.5 ms" 1024 MB looked cheaper and won a band of 0.
    obs = Observations()
    for m, d in ((128, 999.0), (1024, 124.01)):
        for _ in range(3):
            obs.add(Sample(m, duration_ms=d, billed_ms=math.ceil(d)))
    curve = cost_curve(None, obs, catalog=CAT, region=REGION, arch=ARCH)
    assert curve.cost[curve.index(128)] < curve.cost[curve.index(1024)]
    assert choose("cost", curve, tie_band=0).memory_mb == 128
    assert curve.expected_billed_ms(1024) == pytest.approx(125.0)


def test_a_current_size_outside_the_measured_sizes_says_why_it_is_not_priced() -> None:
    means = {256: 420.0, 512: 190.0, 1024: 110.0, 2048: 100.0}
    rec = _grid_result(means, current_mb=128).functions[0].recommendation
    assert rec is not None and rec.monthly is not None and rec.monthly.current_usd is None
    assert rec.basis is not None
    assert "the current 128 MB is outside the measured sizes (256-2048 MB)" in rec.basis


def test_a_current_size_never_measured_is_priced_from_the_model_and_the_result_says_so() -> None:
    means = {128: 900.0, 256: 420.0, 512: 190.0, 1024: 110.0, 2048: 100.0}
    result = _grid_result(means, current_mb=768)
    rec = result.functions[0].recommendation
    assert rec is not None and rec.basis is not None
    assert "the current 768 MB from the model" in rec.basis
    assert rec.monthly is not None and rec.monthly.current_usd is not None


# -- Search.decide and the Target contract ----------------------------------------------------


def test_every_search_decides_through_the_same_contract() -> None:
    path = Path(__file__).parent / "data" / "curves" / "sebs" / "sebs_503.csv"
    context = DecideContext(catalog=CAT, current_mb=512)
    grid_obs = Observations()
    target = ReplayTarget(path, seed=0)
    for m in (512, 1024, 2048):
        target.prepare(m)
        for _ in range(6):
            grid_obs.add(target.invoke(m))
    grid = GridSearch([512, 1024, 2048], 6).decide(grid_obs, context)
    assert isinstance(grid, Decision) and grid.basis == "measured" and grid.converged is None
    assert grid.choice.memory_mb in (512, 1024, 2048)

    lo, hi = target.memory_range
    adaptive = AdaptiveSearch(lo, hi, catalog=CAT, seed=0)
    obs = Observations()
    while batches := adaptive.next(obs):
        for b in batches:
            target.prepare(b.memory_mb)
            for _ in range(b.count):
                obs.add(target.invoke(b.memory_mb))
    decided = adaptive.decide(obs, context)
    assert isinstance(decided, Decision) and decided.basis == "model"
    assert decided.converged == (adaptive.stop_reason() or "").startswith("converged")
    assert decided.choice is adaptive.choice
    assert (decided.evidence is None) == bool(decided.converged)
    assert Observations() and GridSearch([512], 1).decide(Observations(), context) is None


def test_build_asks_the_search_to_decide_whatever_search_it_is() -> None:
    class OneSize(Search):
        """A search of its own: measure 256 MB once, decide from the measurements."""

        def next(self, observations: Observations) -> list:
            from powertune.tune.search.interface import Batch

            return [] if observations.samples else [Batch(256, 3)]

    path = Path(__file__).parent / "data" / "curves" / "sebs" / "sebs_311.csv"
    target = ReplayTarget(path, seed=0)
    search = OneSize()
    outcome = Tuner(target, search, parse_payload(None), TuneSettings(), catalog=CAT).run()
    decision = decide(outcome, search, CAT, BuildOptions())
    assert decision is not None and decision.choice.memory_mb == 256


def test_replay_recorded_sizes_and_range_are_part_of_the_target_contract() -> None:
    from powertune.tune.targets.interface import Target

    path = Path(__file__).parent / "data" / "curves" / "sebs" / "sebs_411.csv"
    replay: Target = ReplayTarget(path)
    assert replay.recorded_sizes == (512, 1024, 1536, 2048, 3008)
    assert replay.memory_range == (512, 3008)
    assert Target.recorded_sizes.fget(replay) is None  # type: ignore[attr-defined]


# -- the search: the whole range, honest evidence --------------------------------------------


def test_the_search_explores_past_3008_mb_while_the_curve_still_falls(tmp_path: Path) -> None:
    sizes = np.arange(128, 10241, 64)
    mean = FORMS["cpu_parallel"](sizes.astype(float), np.array([20.0, 60.0, 9000.0]))
    path = tmp_path / "parallel.csv"
    path.write_text(
        "memory_mb,duration_ms\n"
        + "\n".join(f"{m},{d:.3f}" for m, d in zip(sizes, mean, strict=True))
        + "\n"
    )
    target = ReplayTarget(path, seed=0, noise_cv=0.03)
    search = AdaptiveSearch(128, 10240, catalog=CAT, strategy="speed", seed=0)
    obs = Observations()
    while batches := search.next(obs):
        for b in batches:
            target.prepare(b.memory_mb)
            for _ in range(b.count):
                obs.add(target.invoke(b.memory_mb))
    assert max(obs.samples) > 3008
    assert search.choice is not None and search.choice.memory_mb > 3008


def test_a_run_cut_short_says_plainly_that_the_evidence_is_too_little() -> None:
    path = Path(__file__).parent / "data" / "curves" / "sebs" / "sebs_411.csv"
    target = ReplayTarget(path, seed=0)
    search = AdaptiveSearch(512, 3008, catalog=CAT, seed=0, max_invocations=6)
    outcome = Tuner(target, search, parse_payload(None), TuneSettings(), catalog=CAT).run()
    run = Run(target="replay", search="adaptive", strategy="cost")
    result = build_result(outcome, search=search, catalog=CAT, run=run, options=BuildOptions())
    rec = result.functions[0].recommendation
    assert rec is not None
    assert any(w.startswith("too little evidence to claim") for w in rec.warnings)


# -- the cold-start share from the function's own logs ----------------------------------------


def _report(i: int, init: float | None) -> str:
    line = (
        f"REPORT RequestId: 00000000-0000-0000-0000-{i:012d}\tDuration: 12.00 ms\t"
        "Billed Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used: 80 MB\t"
    )
    return line + (f"Init Duration: {init:.2f} ms\t" if init is not None else "")


def test_the_cold_share_is_read_from_the_functions_report_lines() -> None:
    import time

    import boto3
    from moto import mock_aws

    from powertune.collectors.coldshare import cold_share_from_logs

    with mock_aws():
        logs = boto3.client("logs", region_name=REGION)
        logs.create_log_group(logGroupName="/aws/lambda/fn")
        logs.create_log_stream(logGroupName="/aws/lambda/fn", logStreamName="s")
        now = int(time.time() * 1000)
        events = [
            {"timestamp": now - 60_000 + i, "message": _report(i, 350.0 if i % 8 == 0 else None)}
            for i in range(40)
        ]
        events.insert(
            3, {"timestamp": now - 60_000 + 2, "message": "START RequestId: x Version: 1"}
        )
        logs.put_log_events(logGroupName="/aws/lambda/fn", logStreamName="s", logEvents=events)
        found = cold_share_from_logs(
            logs, "/aws/lambda/fn", start_time_ms=now - 3_600_000, end_time_ms=now
        )
        assert found is not None and (found.reports, found.cold) == (40, 5)
        assert found.share == pytest.approx(5 / 40)
        # Too few reports, or no log group: no share is claimed.
        assert (
            cold_share_from_logs(
                logs, "/aws/lambda/fn", start_time_ms=now - 60_000 + 30, end_time_ms=now
            )
            is None
        )
        assert cold_share_from_logs(logs, "/nope", start_time_ms=0, end_time_ms=now) is None
