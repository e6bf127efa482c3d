"""Cold starts priced: INIT share, p99 with cold starts, SnapStart, Provisioned Concurrency,
lazy init (powertune.recommend.coldstart), and the analyze findings they make."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from powertune.analyze import analyze_files, to_json, validate
from powertune.recommend.coldstart import (
    ColdStartProfile,
    cold_start_advice,
    erlang_b,
    p99_with_cold,
)
from powertune.results.jsonio import result_to_json
from pricing.catalog import Catalog, load_catalog
from pricing.cost import monthly_lambda_cost, provisioned_break_even_utilisation

D = Decimal
EXPORT = Path(__file__).parent / "data" / "coldstart" / "transcoder.log"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def profile(**overrides: object) -> ColdStartProfile:
    cold, init = D("0.08"), D(1500)
    args: dict[str, object] = {
        "region": "us-east-1",
        "arch": "x86_64",
        "memory_mb": 1024,
        "monthly_invocations": 10_000_000,
        "reports": 10_000,
        "cold_starts": 800,
        "billed_avg_ms": D(120) + cold * init,
        "init_avg_ms": init,
        "init_p99_ms": 2500.0,
        "duration_p50_ms": 100.0,
        "duration_p99_ms": 300.0,
        "duration_avg_ms": 119.0,
    }
    args.update(overrides)
    return ColdStartProfile(**args)  # type: ignore[arg-type]


def test_init_share_is_the_cold_starts_init_gb_s_over_the_month(cat: Catalog) -> None:
    advice = cold_start_advice(cat, profile())
    month = monthly_lambda_cost(
        cat, region="us-east-1", arch="x86_64", memory_mb=1024, billed_ms_avg=D(240),
        invocations=10_000_000,
    ).total_usd  # fmt: skip
    assert advice.monthly_usd == month
    # 800,000 cold starts x 1.5 s x 1 GB at the first-tier rate
    assert advice.init_monthly_usd == D(800_000) * D("1.5") * D("0.0000166667")
    assert advice.init_share == advice.init_monthly_usd / month
    assert advice.cold_starts_per_month == 800_000
    assert advice.lazy_init and advice.lazy_init_usd == advice.init_monthly_usd / 2


def test_the_month_rises_with_the_cold_share(cat: Catalog) -> None:
    months = []
    for cold in (0, 200, 800, 2000):
        share = D(cold) / 10_000
        p = profile(cold_starts=cold, billed_avg_ms=D(120) + share * D(1500))
        months.append(cold_start_advice(cat, p).monthly_usd)
    assert months == sorted(months) and len(set(months)) == 4


def test_p99_with_cold_starts_measured_estimated_or_warm() -> None:
    assert p99_with_cold(profile(latency_p99_ms=1777.0)) == (1777.0, "measured")
    assert p99_with_cold(profile(cold_starts=50)) == (300.0, "warm only")  # 0.5% cold
    # 8% cold: the p99 is the cold starts' 87.5th percentile: median + INIT between mean and p99
    value, basis = p99_with_cold(profile())
    q = 1 - 0.01 / 0.08
    assert basis == "estimated"
    assert value == pytest.approx(100 + 1500 + 1000 * (q - 0.5) / 0.49, abs=0.01)
    # never below the warm p99
    slow = profile(duration_p99_ms=5000.0)
    assert p99_with_cold(slow)[0] == 5000.0


def test_snapstart_on_java_is_free_so_it_beats_init_until_restore_is_as_long(
    cat: Catalog,
) -> None:
    snap = cold_start_advice(cat, profile(runtime="java21")).snapstart
    assert snap is not None and snap.billing == "free"
    assert snap.cache_usd == 0 and snap.restore_usd == 0
    assert snap.restore_basis == "assumed" and snap.restore_billed_ms == D(375)
    assert snap.saving_usd > 0
    assert snap.break_even_restore_ms is not None and 1490 <= snap.break_even_restore_ms < 1500


def test_snapstart_on_python_pays_per_restore_more_than_a_short_init_costs(cat: Catalog) -> None:
    advice = cold_start_advice(cat, profile(runtime="python3.12"))
    snap = advice.snapstart
    assert snap is not None and snap.billing == "charged"
    # 800,000 restores of 1 GB and a month of cache: the page's rates
    assert snap.restore_usd == D(800_000) * D("0.0001397998")
    assert snap.cache_usd == D(720 * 3600) * D("0.0000015046")
    assert snap.saving_usd < 0 and snap.break_even_restore_ms is None
    assert snap.break_even_init_ms is None  # at 25% of INIT restored, not even a 10 s INIT pays
    measured = cold_start_advice(
        cat, profile(runtime="python3.13", restore_billed_avg_ms=D(100))
    ).snapstart
    assert measured is not None and measured.restore_basis == "measured"
    # a restore costs what ~8.4 s of duration does (0.0001397998 / 0.0000166667), plus its
    # 100 ms, plus the month's cache spread over 800,000 cold starts (~0.29 s)
    assert measured.break_even_init_ms is not None
    assert 8388 + 100 + 250 < measured.break_even_init_ms < 8388 + 100 + 350


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"runtime": "nodejs22.x"}, "SnapStart does not support nodejs22.x"),
        ({"runtime": "python3.11"}, "SnapStart does not support python3.11"),
        ({"package_type": "Image"}, "SnapStart does not support container images"),
        ({"region": "eu-west-1"}, "snapstart cache price for x86_64 unknown in eu-west-1"),
    ],
)
def test_snapstart_left_out_with_its_reason(
    cat: Catalog, overrides: dict[str, object], reason: str
) -> None:
    advice = cold_start_advice(cat, profile(**overrides))
    assert advice.snapstart is None and reason in advice.unavailable["snapstart"]
    assert advice.to_json()["snapstart"] is None


def test_erlang_loss_formula_and_the_pc_break_even(cat: Catalog) -> None:
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=1e-6)
    assert erlang_b(0, 3.0) == 1.0
    ratio = provisioned_break_even_utilisation(cat, "us-east-1", "x86_64")
    assert ratio == D("0.0000041667") / (D("0.0000166667") - D("0.0000097222"))
    assert D("0.59") < ratio < D("0.61")  # type: ignore[operator]


def test_provisioned_concurrency_pays_for_busy_environments_not_idle_ones(cat: Catalog) -> None:
    # ~20 concurrent 10-minute jobs: 20 environments 84% busy beat on demand
    busy = profile(
        memory_mb=2048, monthly_invocations=86_400, duration_avg_ms=600_000.0,
        billed_avg_ms=D(600_000) + D("0.08") * D(1500), duration_p99_ms=650_000.0,
        duration_p50_ms=600_000.0,
    )  # fmt: skip
    pc = cold_start_advice(cat, busy).provisioned
    assert pc is not None and pc.saving_usd > 0
    assert pc.utilisation > pc.break_even_utilisation  # type: ignore[operator]
    assert pc.spill_share == D(repr(round(erlang_b(pc.concurrency, 20.0), 6)))
    assert pc.environments_for_all > pc.concurrency  # removing 99% of them costs more
    assert pc.monthly_usd_for_all > pc.monthly_usd
    # 0.46 concurrent on average with a short INIT: one environment, idle two thirds of the
    # month, costs more than the cold starts it saves
    light = profile(cold_starts=100, init_avg_ms=D(200), billed_avg_ms=D(120) + D("0.01") * 200)
    idle = cold_start_advice(cat, light).provisioned
    assert idle is not None and idle.concurrency == 1 and idle.saving_usd < 0
    assert idle.utilisation < idle.break_even_utilisation  # type: ignore[operator]
    # the same load with INIT half the bill: skipping INIT pays for the idle environment
    heavy = cold_start_advice(cat, profile()).provisioned
    assert heavy is not None and heavy.saving_usd > 0


def test_pc_is_unknown_for_arm64_in_eu_west_1_and_known_for_x86(cat: Catalog) -> None:
    arm = cold_start_advice(cat, profile(region="eu-west-1", arch="arm64"))
    assert arm.provisioned is None
    assert "unknown in eu-west-1" in arm.unavailable["provisioned_concurrency"]
    x86 = cold_start_advice(cat, profile(region="eu-west-1"))
    assert x86.provisioned is not None
    assert x86.provisioned.pc_rate_usd_per_gb_s == D("0.0000046460")


def test_no_traffic_or_no_cold_starts_price_nothing_and_say_why(cat: Catalog) -> None:
    unknown = cold_start_advice(cat, profile(monthly_invocations=None))
    assert unknown.monthly_usd is None and unknown.init_share is None
    assert unknown.unavailable["money"] == "monthly invocations unknown"
    warm = cold_start_advice(cat, replace(profile(), cold_starts=0, init_avg_ms=None))
    assert warm.init_monthly_usd is None and warm.snapstart is None and not warm.lazy_init
    assert warm.monthly_usd is not None


def test_analyze_from_logs_ranks_a_provisioned_concurrency_finding(cat: Catalog) -> None:
    analysis = analyze_files([EXPORT], cat, days=1)
    kinds = [f.kind for f in analysis.findings]
    assert "provisioned-concurrency" in kinds
    pc = analysis.findings[kinds.index("provisioned-concurrency")]
    assert pc.function == "transcoder" and pc.monthly_usd is not None and pc.monthly_usd > 0
    amounts = [f.monthly_usd for f in analysis.findings if f.monthly_usd is not None]
    assert amounts == sorted(amounts, reverse=True)  # ranked by $/month like the others
    details = pc.details
    assert D(details["cold_share"]) > D("0.1") and details["p99_basis"] == "measured"
    assert details["p99_with_cold_ms"] > details["p99_warm_ms"]
    assert details["provisioned_concurrency"]["concurrency"] >= 15
    assert "snapstart" not in kinds  # runtime unknown: restores cost more than an 8 s INIT
    validate(to_json(analysis))  # the new kinds are in the analysis schema


def test_a_replay_with_cold_rows_puts_the_cold_start_advice_in_the_result(tmp_path: Path) -> None:
    from powertune.results import Run, validate_json
    from powertune.tune.build import BuildOptions, TrafficFigures, build_result
    from powertune.tune.plan import parse_payload
    from powertune.tune.search.grid import GridSearch
    from powertune.tune.targets.replay import ReplayTarget
    from powertune.tune.tuner import Tuner, TuneSettings

    rows = ["memory_mb,duration_ms,init_ms,is_cold,max_memory_mb"]
    for memory, warm, init in ((512, 400, 1800), (1024, 210, 1500)):
        rows += [f"{memory},{warm + i},,false,90" for i in range(8)]
        rows += [f"{memory},{warm + 30},{init},true,90"]
    src = tmp_path / "cold.csv"
    src.write_text("\n".join(rows) + "\n")
    cat = load_catalog()

    def advice(share: float) -> dict[str, object]:
        outcome = Tuner(
            ReplayTarget(src, seed=1),
            GridSearch([512, 1024], 6),
            parse_payload("{}"),
            TuneSettings(concurrency=1, cold_starts=True),  # every invocation cold: INIT measured
            catalog=cat,
        ).run()
        result = build_result(
            outcome,
            search=GridSearch([512, 1024], 6),
            catalog=cat,
            run=Run(target="replay", search="grid", strategy="cost"),
            options=BuildOptions(cold_share=share),
            traffic=TrafficFigures(monthly_invocations=5_000_000),
        )
        doc = result_to_json(result)
        validate_json(doc)
        cold = doc["functions"][0]["recommendation"]["cold_starts"]
        assert cold is not None
        return cold  # type: ignore[no-any-return]

    low, high = advice(0.02), advice(0.2)
    assert D(low["init_monthly_usd"]) < D(high["init_monthly_usd"])  # type: ignore[arg-type]
    assert D(low["monthly_usd"]) < D(high["monthly_usd"])  # type: ignore[arg-type]
    assert high["cold_starts_per_month"] == 1_000_000
    # 20% cold with a 1.5-1.8 s INIT: the p99 is a cold start's
    assert high["p99_basis"] == "estimated" and high["p99_with_cold_ms"] > 1500  # type: ignore[operator]


def test_the_pc_count_is_the_cheapest_of_all_counts_up_to_the_one_that_serves_99pct(
    cat: Catalog,
) -> None:
    from pricing.cost import provisioned_month_cost

    busy = profile(
        memory_mb=2048, monthly_invocations=86_400, duration_avg_ms=600_000.0,
        billed_avg_ms=D(600_000) + D("0.08") * D(1500),
    )  # fmt: skip
    pc = cold_start_advice(cat, busy).provisioned
    assert pc is not None

    def month(n: int) -> Decimal:
        spill = erlang_b(n, 20.0)
        served = (D(86_400) * D(repr(1 - spill))).to_integral_value()
        return provisioned_month_cost(
            cat, region="us-east-1", arch="x86_64", memory_mb=2048, concurrency=n,
            hours=D(720), invocations=86_400, billed_ms_avg=busy.billed_avg_ms,
            provisioned_invocations=served, provisioned_billed_ms=busy.warm_billed_ms,
        ).total_usd  # fmt: skip

    every = {n: month(n) for n in range(1, pc.environments_for_all + 1)}
    assert pc.concurrency == min(every, key=lambda n: every[n])
    assert pc.monthly_usd == every[pc.concurrency]
    assert (
        erlang_b(pc.environments_for_all, 20.0)
        <= 0.01
        < erlang_b(pc.environments_for_all - 1, 20.0)
    )
