"""One figure per size: every rendering reads a size's $/invocation, p50 and p95 from the
function's one priced curve, and a size shown cheaper and faster than the recommendation says,
beside it, why it was not chosen. On real runs: adaptive (model basis) and grid (measured basis)
replays of a cost-flat CPU-bound curve (one thread: full speed at one vCPU, 1769 MB), whose
cost is flat within ~1% from 128 to 1769 MB."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app
from powertune.outputs import fmt, render_markdown
from powertune.outputs.decision import decision_lines, per_million
from powertune.outputs.html import render_html
from powertune.outputs.sizes import size_rows
from powertune.results import PricedSize, Result, load_result
from powertune_cli.table import render_table

runner = CliRunner()


def _flat_csv(path: Path) -> Path:
    sizes = np.arange(128, 3009)
    duration = 1.0 + 200.0 * 1769 / np.minimum(sizes, 1769)
    rows = "\n".join(f"{m},{d:.4f}" for m, d in zip(sizes, duration, strict=True))
    path.write_text("memory_mb,duration_ms\n" + rows + "\n")
    return path


def _tune(tmp: Path, *args: str) -> tuple[Result, dict]:
    out = tmp / "r.json"
    csv = _flat_csv(tmp / "flat.csv")
    res = runner.invoke(
        app, ["tune", "--replay", str(csv), *args, "--json", str(out), "-q"], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    return load_result(out), json.loads(out.read_text())


@pytest.fixture(scope="module")
def adaptive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, dict]:
    tmp = tmp_path_factory.mktemp("adaptive")
    return _tune(tmp, "--memory", "128..3008", "--seed", "2", "--max-p95-ms", "1000")


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, dict]:
    tmp = tmp_path_factory.mktemp("grid")
    return _tune(
        tmp, "--search", "grid", "--memory", "128,256,512,1024,1769,3008", "--invocations", "5"
    )


def _line_of(text: str, memory_mb: int) -> str:
    """The table row of a size: the line that starts with it (markdown: its first cell)."""
    hits = [
        ln
        for ln in text.splitlines()
        if re.match(rf"^\|?\s*{memory_mb}\s*(\||\s)", ln) and "MB" not in ln.split("|")[0][:12]
    ]
    assert hits, f"no row for {memory_mb} MB"
    return hits[0]


def _html_row(page: str, memory_mb: int) -> str:
    table = page[page.index('<table class="sizes">') :]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    hit = [r for r in rows if r.startswith(f"<td>{memory_mb}</td>")]
    assert hit, f"no HTML row for {memory_mb} MB"
    return html.unescape(hit[0])


def _figures(p: PricedSize) -> list[str]:
    return [
        fmt.ms(p.duration_ms_p50),
        fmt.ms(p.duration_ms_p95),
        fmt.per_million(p.cost_per_invocation_usd),
    ]


@pytest.mark.parametrize("which", ["adaptive", "grid"])
def test_every_format_shows_each_sizes_figures_from_the_one_priced_curve(
    which: str, request: pytest.FixtureRequest
) -> None:
    result, raw = request.getfixturevalue(which)
    fn = result.functions[0]
    assert fn.priced, "the result carries its priced curve"
    table, md, page = render_table(result, width=220), render_markdown(result), render_html(result)
    lines = "\n".join(f"{x.topic}: {x.text}" for x in decision_lines(fn))
    rec = fn.recommendation
    assert rec is not None
    for p in fn.priced:
        cells = _figures(p)
        for name, row in (
            ("table", _line_of(table, p.memory_mb)),
            ("markdown", _line_of(md, p.memory_mb)),
            ("html", _html_row(page, p.memory_mb)),
        ):
            for cell in cells:
                assert cell in row, (name, p.memory_mb, cell, row)
        # the JSON carries the same figure
        entry = next(e for e in raw["functions"][0]["priced"] if e["memory_mb"] == p.memory_mb)
        assert Decimal(entry["cost_per_invocation_usd"]) == p.cost_per_invocation_usd
        assert entry["duration_ms_p95"] == p.duration_ms_p95
    # the decision and the alternatives are priced sizes: the same figures, the basis named
    at = fn.priced_size(rec.memory_mb)
    assert at is not None and at.basis == rec.source
    assert (rec.cost_per_invocation_usd, rec.duration_ms_p95, rec.duration_ms_p50) == (
        at.cost_per_invocation_usd,
        at.duration_ms_p95,
        at.duration_ms_p50,
    )
    assert f"{rec.memory_mb} MB ({rec.strategy} strategy, {at.basis})" in lines
    assert per_million(at.cost_per_invocation_usd) in lines
    for name, alt in (rec.alternatives or {}).items():
        other = fn.priced_size(alt.memory_mb)
        assert other is not None, name
        assert alt.cost_per_invocation_usd == other.cost_per_invocation_usd
        assert alt.duration_ms_p95 == other.duration_ms_p95
        if alt.memory_mb != rec.memory_mb:
            assert per_million(other.cost_per_invocation_usd) in lines
    # the model curve the chart draws agrees where the decision's curve is the model
    if fn.model is not None and fn.model.status == "fitted" and rec.source == "model":
        for point in fn.model.curve:
            p = fn.priced_size(point.memory_mb)
            if p is not None and p.basis == "model":
                assert point.cost_per_invocation_usd == p.cost_per_invocation_usd


def test_the_tables_label_the_measured_and_the_model_figures(
    adaptive: tuple[Result, dict],
) -> None:
    result, _ = adaptive
    fn = result.functions[0]
    assert fn.recommendation is not None and fn.recommendation.source == "model"
    table = render_table(result, width=220)
    assert "$/1M inv (model)" in table and "$/1M inv (measured)" in table
    for p in fn.priced:
        m = fn.measurement(p.memory_mb)
        if m is not None and m.cost_per_invocation_usd is not None:
            assert fmt.per_million(m.cost_per_invocation_usd) in _line_of(table, p.memory_mb)


def test_a_size_cheaper_and_faster_than_the_recommendation_names_why_it_was_not_chosen(
    adaptive: tuple[Result, dict], grid: tuple[Result, dict]
) -> None:
    for result, _ in (adaptive, grid):
        fn = result.functions[0]
        rec = fn.recommendation
        assert rec is not None and rec.cost_per_invocation_usd is not None
        table = render_table(result, width=2000)
        for p in fn.priced:
            m = fn.measurement(p.memory_mb)
            own = (
                (m.cost_per_invocation_usd, m.duration_ms.p50)
                if m is not None and m.duration_ms is not None and p.basis == "model"
                else None
            )
            shown = [(p.cost_per_invocation_usd, p.duration_ms_p50)] + ([own] if own else [])
            beats = any(
                c is not None and c < rec.cost_per_invocation_usd and d < (rec.duration_ms_p50 or 0)
                for c, d in shown
            )
            if p.memory_mb != rec.memory_mb and beats:
                assert p.note and p.note.startswith("not chosen: "), p
                assert f"not chosen: see [{p.memory_mb}]" in _line_of(table, p.memory_mb)
                assert f"[{p.memory_mb}] {p.memory_mb} MB {p.note}" in table
                assert p.note in _line_of(render_markdown(result), p.memory_mb)
        for row in size_rows(fn):
            assert row.note == (row.priced.note if row.priced else None)


def test_build_notes_a_measured_size_its_own_samples_show_cheaper_and_faster(
    adaptive: tuple[Result, dict],
) -> None:
    """The decision rests on the model; the measured column may show a size cheaper and faster:
    the note says so, beside it (a hand-made decision on real curve objects)."""
    from powertune.models.fit import fit_curve
    from powertune.results.stats import measurement_from_samples
    from powertune.tune.decide.costcurve import cost_curve
    from powertune.tune.decide.decision import Decision
    from powertune.tune.decide.priced import priced_curve
    from powertune.tune.decide.strategies import choose
    from powertune.types import Observations, Sample
    from pricing.catalog import load_catalog

    rng = np.random.default_rng(0)
    obs = Observations()
    truth = {128: 1600.0, 256: 800.0, 512: 400.0, 1024: 200.0, 1769: 116.0, 3008: 116.0}
    for m, d in truth.items():
        for _ in range(6):
            # 1024 MB's own samples run 6% fast: its measured figure beats the model's choice
            x = d * (0.94 if m == 1024 else 1.0) * float(rng.lognormal(0, 0.01))
            obs.add(Sample(memory_mb=m, duration_ms=x, billed_ms=int(np.ceil(x))))
    warm = {m: [s.duration_ms for s in ss] for m, ss in obs.samples.items()}
    fit = fit_curve(warm, seed=0)
    curve = cost_curve(fit, obs, catalog=load_catalog(), region="us-east-1", arch="x86_64")
    choice = choose("cost", curve, tie_band=0.0)
    decision = Decision(fit=fit, curve=curve, choice=choice)
    measured = tuple(
        measurement_from_samples(
            m,
            obs.samples[m],
            cost_per_invocation=Decimal("0.0000000001"),  # cheaper than anything
            cost_ci95=None,
        )
        for m in truth
    )
    priced = priced_curve(decision, None, {}, measured)
    chosen = next(p for p in priced if p.memory_mb == choice.memory_mb)
    noted = 0
    for p in priced:
        m = next(x for x in measured if x.memory_mb == p.memory_mb)
        assert m.duration_ms is not None
        if p.memory_mb != chosen.memory_mb and m.duration_ms.p50 < chosen.duration_ms_p50:
            assert p.note is not None and "its own" in p.note and "the model" in p.note, p
            noted += 1
    assert noted >= 1
    # every rendering puts the reason beside the size
    result, _ = adaptive
    fn = dataclasses.replace(result.functions[0], priced=priced)
    shown = dataclasses.replace(result, functions=(fn,))
    table, md = render_table(shown, width=2000), render_markdown(shown)
    page = render_html(shown)
    for p in priced:
        if p.note:
            assert f"not chosen: see [{p.memory_mb}]" in _line_of(table, p.memory_mb)
            assert f"[{p.memory_mb}] {p.memory_mb} MB {p.note}" in table
            assert p.note in _line_of(md, p.memory_mb)
            assert p.note in _html_row(page, p.memory_mb)


def test_every_format_says_why_the_search_stopped(adaptive: tuple[Result, dict]) -> None:
    """How sure the run is starts with why it stopped: the same words head every rendering,
    and the JSON's ``run.stop_reason`` is where they come from."""
    result, data = adaptive
    reason = data["run"]["stop_reason"]
    assert reason and reason == result.run.stop_reason
    assert f"stopped: {reason}" in render_table(result, width=400)
    assert f"stopped: {reason}" in render_markdown(result)
    assert f"stopped: {html.escape(reason)}" in render_html(result)


def test_a_fleet_does_not_print_one_functions_stop_reason(adaptive: tuple[Result, dict]) -> None:
    result, _ = adaptive
    twin = dataclasses.replace(result.functions[0], name="other", arn=None)
    fleet = dataclasses.replace(result, functions=(result.functions[0], twin))
    assert "stopped:" not in render_table(fleet, width=400)
    assert "stopped:" not in render_markdown(fleet)


def test_a_tie_past_the_cheapest_carries_the_cost_given_up_in_the_json(
    adaptive: tuple[Result, dict],
) -> None:
    """A dashboard reads the interval the reason states: ``cheapest_mb`` and ``given_up`` (95%,
    fractions of the cheapest's cost) are the figures the reason prints."""
    _, data = adaptive
    rec = data["functions"][0]["recommendation"]
    # this cost-flat curve's tie goes past the cheapest size (a replay's seed fixes the run)
    assert rec.get("cheapest_mb") is not None
    assert rec["cheapest_mb"] < rec["memory_mb"]
    lo, hi = rec["given_up"]
    assert 0.0 <= lo <= hi
    assert f"(95%: {lo:+.1%} to {hi:+.1%})" in rec["reason"]
    # the reason names the tied sizes, which run from the cheapest's side to the choice's
    tied = re.search(r"of (\d+) to (\d+) MB", rec["reason"])
    assert tied is not None
    assert int(tied[1]) <= rec["cheapest_mb"] <= int(tied[2])
    assert int(tied[1]) <= rec["memory_mb"] <= int(tied[2])
