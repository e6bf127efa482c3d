"""The decision whole in every rendering, and the HTML's failed sizes, ticks and size table,
on real runs: a --local handler that runs out of memory below 512 MB, and a replay of a
published aws-lambda-power-tuning curve whose cost is flat across sizes (arm64 saves ~10x
more than the memory choice)."""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from browser import run
from PIL import Image
from typer.testing import CliRunner

from cli import app
from powertune.outputs import fmt, render_markdown
from powertune.outputs.decision import decision_lines, per_million
from powertune.outputs.html import readable_ticks, render_html, runnable_segments
from powertune.results import Result, load_result
from powertune_cli.table import render_table

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "curves" / "power-tuning"
FLAT = DATA / "unfaasener_ImageProcessingBenchmark_sample_1_ImageProcessingFilter_Third_Run.csv"
HOG = """
def handler(event, context):
    block = bytearray(300 * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    return len(block)
"""


def _tune(tmp_path: Path, *args: str) -> Result:
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["tune", *args, "--search", "grid", "--json", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return load_result(out)


@pytest.fixture(scope="module")
def flat(tmp_path_factory: pytest.TempPathFactory) -> Result:
    tmp = tmp_path_factory.mktemp("flat")
    return _tune(tmp, "imagefilter", "--replay", str(FLAT), "--memory", "recorded",
                 "--invocations", "10", "--monthly-invocations", "20000000")  # fmt: skip


@pytest.fixture(scope="module")
def oom(tmp_path_factory: pytest.TempPathFactory) -> Result:
    tmp = tmp_path_factory.mktemp("oom")
    (tmp / "hog.py").write_text(HOG)
    return _tune(tmp, "--local", f"{tmp / 'hog.py'}:hog.handler", "--memory",
                 "128,256,512,1024", "--invocations", "3", "--cpu", "model")  # fmt: skip


def test_arm64_and_the_alternatives_show_in_every_output(flat: Result) -> None:
    fn = flat.functions[0]
    rec = fn.recommendation
    assert rec is not None and rec.arm64 is not None and rec.monthly is not None
    assert rec.arm64.saving_usd is not None and rec.monthly.saving_usd is not None
    assert rec.arm64.saving_usd > 3 * rec.monthly.saving_usd  # the point of showing it
    arm = f"saves {'$'}{rec.arm64.saving_usd:,.2f}/month"
    topics = {line.topic for line in decision_lines(fn)}
    assert {"recommended", "speed", "knee", "arm64", "Fargate", "Managed Instances"} <= topics
    for text in (
        render_table(flat),
        render_markdown(flat),
        render_html(flat),
    ):
        assert arm in text
        assert "Fargate" in text and "Managed Instances" in text and "speed" in text
        assert f"{'$'}{rec.monthly.recommended_usd:,.2f}/month" in text


def test_without_traffic_money_reads_per_1m(tmp_path: Path) -> None:
    result = _tune(tmp_path, "f", "--replay", str(FLAT), "--memory", "recorded",
                   "--invocations", "5")  # fmt: skip
    rec = result.functions[0].recommendation
    assert rec is not None and rec.monthly is None
    text = render_markdown(result)
    assert per_million(rec.cost_per_invocation_usd) in text
    assert "--monthly-invocations" in text
    html = render_html(result)
    assert "Cost per 1M invocations" in html and "Cost per invocation (USD)" not in html


def test_failed_sizes_are_marked_and_never_drawn_over(oom: Result) -> None:
    fn = oom.functions[0]
    failed = [m.memory_mb for m in fn.measurements if not m.measured]
    assert failed and max(failed) < 512, failed  # 300 MB does not fit below 512 MB
    assert fn.model is not None and fn.model.curve
    # an adaptive run's curve spans the whole range, failed sizes included: extend this one
    # down to 128 MB as such a curve would be, and check nothing at or below 256 MB is drawn
    first = fn.model.curve[0]
    below = tuple(
        dataclasses.replace(first, memory_mb=mb) for mb in range(128, first.memory_mb, 64)
    )
    curve = below + fn.model.curve
    segments = runnable_segments(fn, curve)
    assert min(p.memory_mb for seg in segments for p in seg) > max(failed)
    assert sum(len(seg) for seg in segments) == len(fn.model.curve)
    page = render_html(oom)
    assert page.count('<tr class="failed">') == len(failed)
    assert "failed: " in page and "out of memory" in page


def test_tick_labels_do_not_crowd() -> None:
    sizes = [*range(128, 10241, 64), 1769]
    ticks = readable_ticks(sizes, {1024, 1769})
    assert {1024, 1769} <= set(ticks) and len(ticks) <= 14
    gaps = [math.log(b / a) for a, b in itertools.pairwise(ticks)]
    # the two kept sizes may sit closer; every other label keeps a twelfth of the axis
    free = [
        g
        for g, (a, b) in zip(gaps, itertools.pairwise(ticks), strict=True)
        if not {a, b} <= {1024, 1769}
    ]
    assert min(free) >= math.log(10240 / 128) / 12 - 1e-9


@pytest.mark.slow
def test_oom_page_in_chromium(oom: Result, tmp_path: Path) -> None:
    page, shot = tmp_path / "oom.html", tmp_path / "oom.png"
    page.write_text(render_html(oom), encoding="utf-8")
    done = run(tmp_path / "profile", "--window-size=1200,2200", f"--screenshot={shot}",
               page.as_uri())  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=int)
    red = int((np.abs(pixels - np.array((0xCF, 0x22, 0x2E))).max(axis=2) <= 24).sum())
    assert red > 300  # the failed-size lines, crosses and table rows are drawn


def test_a_savings_plan_is_named(tmp_path: Path) -> None:
    result = _tune(tmp_path, "f", "--replay", str(FLAT), "--memory", "recorded",
                   "--invocations", "5", "--monthly-invocations", "20000000",
                   "--savings-plan", "compute-1yr-no-upfront")  # fmt: skip
    lines = {line.topic: line.text for line in decision_lines(result.functions[0])}
    assert lines["Savings Plan"].startswith("compute-1yr-no-upfront applied to duration")
    assert "Savings Plan" in render_markdown(result)


def test_the_alternatives_say_their_dollars_a_month_when_the_traffic_is_known(
    flat: Result, tmp_path: Path
) -> None:
    rec = flat.functions[0].recommendation
    assert rec is not None and rec.monthly is not None and rec.alternatives
    month = rec.monthly.recommended_usd
    assert month is not None
    for name, alt in rec.alternatives.items():
        assert alt.monthly_usd is not None, name
        if alt.memory_mb != rec.memory_mb:
            # Priced like the recommendation: its own size and billed time, the same traffic.
            ratio = (alt.monthly_usd / month) / (
                alt.cost_per_invocation_usd / rec.cost_per_invocation_usd
            )
            assert abs(ratio - 1) < 0.05, (name, ratio)
            line = next(line for line in decision_lines(flat.functions[0]) if line.topic == name)
            assert f"{fmt.usd(alt.monthly_usd - month, signed=True)}/month against" in line.text
    unknown = _tune(tmp_path, "imagefilter", "--replay", str(FLAT), "--memory", "recorded",
                    "--invocations", "4")  # fmt: skip
    alts = unknown.functions[0].recommendation.alternatives  # type: ignore[union-attr]
    assert alts and all(a.monthly_usd is None for a in alts.values())  # unknown, never 0
