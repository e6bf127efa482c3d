"""Golden-file tests of the report renderings, and the `report` command.

Golden files live in tests/golden/; regenerate them after a deliberate change with
``POWERTUNE_UPDATE_GOLDEN=1 pytest tests/test_report.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from powertune.outputs import render_markdown
from powertune.outputs.html import render_html
from powertune.results import Result, load_result
from powertune.results.stats import skipped_measurement
from powertune_cli.table import render_table

GOLDEN = Path(__file__).parent / "golden"
EXAMPLE = GOLDEN / "result-example.json"
UPDATE = os.environ.get("POWERTUNE_UPDATE_GOLDEN") == "1"
runner = CliRunner()


@pytest.fixture(scope="module")
def example() -> Result:
    return load_result(EXAMPLE)


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}: run with POWERTUNE_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_table_golden(example: Result) -> None:
    text = render_table(example)
    assert "compression · x86_64 · us-east-1 · now 1024 MB → 256 MB (cost, model)" in text
    assert "skipped: out of memory" in text
    _check_golden("report-example.table.txt", text)


def test_markdown_golden(example: Result) -> None:
    text = render_markdown(example)
    assert "| `compression` | 1024 MB | **256 MB** |" in text
    assert "$64.28 (51%)" in text
    _check_golden("report-example.md", text)


def test_html_golden(example: Result) -> None:
    page = render_html(example)
    # one light, offline file: nothing is fetched when it is opened
    assert len(page.encode()) < 200_000
    assert "cdn" not in page.lower() and "http" not in page
    assert "<script src=" not in page and "<link" not in page
    _check_golden("report-example.html", page)


def test_html_carries_every_part_of_the_chart(example: Result) -> None:
    page = render_html(example)
    for needle in (
        "model 95% band",
        "model mean (cpu_share)",
        "invocations",
        "measured mean ± 95% CI",
        "measured p95",
        "now: 1024 MB",
        "recommended: 256 MB",
        'class="pt-band"',
        'class="pt-dots"',
        "failed: 128 MB (out of memory",
        ">OOM</text>",
        "128 MB skipped: out of memory",
        "model fit failed",
    ):
        assert needle in page, needle
    assert page.count('<div class="pt-chart"') == 2
    # the hover values travel with the page
    assert "256 MB measured mean: 7,673 ms" in page


def test_report_command_writes_each_format(tmp_path: Path) -> None:
    for form in ("table", "markdown", "html", "json"):
        out = tmp_path / f"r.{form}"
        res = runner.invoke(app, ["report", str(EXAMPLE), "--format", form, "--output", str(out)])
        assert res.exit_code == 0, res.output
        assert out.stat().st_size > 500
    assert json.loads((tmp_path / "r.json").read_text())["schema_version"] == "1"
    assert (tmp_path / "r.markdown").read_text() == render_markdown(load_result(EXAMPLE))


def test_report_to_terminal_shows_the_table() -> None:
    res = runner.invoke(app, ["report", str(EXAMPLE)])
    assert res.exit_code == 0
    assert "compression" in res.output and "Monthly cost" in res.output


def test_report_on_a_bad_file_is_one_line_and_exit_3(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "1", "functions": "nope"}')
    out = tmp_path / "out.html"
    res = runner.invoke(app, ["report", str(bad), "--format", "html", "--output", str(out)])
    assert res.exit_code == 3
    assert res.output.count("\n") == 1 and "powertune: error:" in res.output
    assert "Traceback" not in res.output
    assert not out.exists()  # nothing written for a failed run


def test_report_unknown_format_is_a_usage_error() -> None:
    res = runner.invoke(app, ["report", str(EXAMPLE), "--format", "pdf"])
    assert res.exit_code == 2


def _edge_result(example: Result) -> Result:
    """Edge cases in one result: nothing measured; a model-only size; no samples kept."""
    import dataclasses

    from powertune.results import FunctionResult

    comp = example.functions[0]
    nothing = FunctionResult(
        name="all-skipped",
        region="us-east-1",
        architecture="x86_64",
        original_memory_mb=128,
        measurements=(skipped_measurement(128, "timeout"), skipped_measurement(256, "timeout")),
    )
    assert comp.recommendation is not None
    model_only = dataclasses.replace(
        comp,
        name="model-only",
        measurements=tuple(dataclasses.replace(m, samples=()) for m in comp.measurements),
        recommendation=dataclasses.replace(comp.recommendation, memory_mb=320, knee_mb=None),
    )
    return dataclasses.replace(example, functions=(nothing, model_only))


def test_edge_cases_render_in_every_format(example: Result) -> None:
    edge = _edge_result(example)
    table = render_table(edge, width=200)
    assert "skipped: timeout" in table and "recommended, not measured" in table
    md = render_markdown(edge)
    assert "| `all-skipped` | 128 MB | — |" in md
    page = render_html(edge)
    assert page.count('<div class="pt-chart"') == 2
    assert "recommended: 320 MB" in page
    assert 'class="pt-dots"' not in page  # no samples kept: no dots drawn


def test_money_and_duration_formatting() -> None:
    from decimal import Decimal

    from powertune.outputs import fmt

    assert fmt.usd_per_invocation(Decimal("0.0000020833333")) == "$0.000002083"
    assert fmt.usd_per_invocation(Decimal("0.000134499")) == "$0.0001345"
    assert fmt.usd_per_invocation(None) == "—"
    assert fmt.usd(Decimal("-3.456")) == "-$3.46"
    assert fmt.usd(Decimal("1234.5"), signed=True) == "+$1,234.50"
    assert fmt.ms(12.345) == "12.3" and fmt.ms(12345.6) == "12,346"


def test_a_curve_without_intervals_draws_and_names_no_band(example: Result) -> None:
    import dataclasses

    comp = example.functions[0]
    assert comp.model is not None and comp.model.curve
    bare = tuple(
        dataclasses.replace(
            p, duration_lo=None, duration_hi=None, cost_lo_usd=None, cost_hi_usd=None
        )
        for p in comp.model.curve
    )
    fn = dataclasses.replace(comp, model=dataclasses.replace(comp.model, curve=bare))
    page = render_html(dataclasses.replace(example, functions=(fn,)))
    assert "model mean (cpu_share)" in page and 'class="pt-line"' in page
    assert "model 95% band" not in page and 'class="pt-band"' not in page
    assert "model 95% band" in render_html(example)


def test_a_hostile_skip_reason_stays_text_in_the_chart(example: Result) -> None:
    """A skip reason reaches the legend, a size line's title and the hover data (JSON inside a
    script element): none of them may close an element or open a tag."""
    import dataclasses

    orders = example.functions[1]
    hostile = "</script><img src=x onerror=alert(1)>"
    fn = dataclasses.replace(
        orders,
        measurements=tuple(
            m if m.measured else dataclasses.replace(m, skip_reason=hostile)
            for m in orders.measurements
        ),
    )
    page = render_html(dataclasses.replace(example, functions=(fn,)))
    assert "<img" not in page and page.count("</script>") == 2  # the hover data and the script
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
