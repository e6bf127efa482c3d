"""Names and messages from a result file cannot inject markup into markdown or HTML reports."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from powertune.gate.compare import Thresholds, compare
from powertune.outputs import render_gate_markdown, render_markdown
from powertune.outputs.html import render_html
from powertune.results import load_result

GOLDEN = Path(__file__).parent / "golden" / "result-example.json"
HOSTILE = "x</code><img src=x onerror=alert(1)>|`\ninjected"


def _renamed() -> object:
    result = load_result(GOLDEN)
    fn = dataclasses.replace(result.functions[0], name=HOSTILE)
    return dataclasses.replace(result, functions=(fn,))


def test_markdown_escapes_function_names() -> None:
    md = render_markdown(_renamed())  # type: ignore[arg-type]
    assert "<img" not in md and "</code><" not in md
    table_rows = [line for line in md.splitlines() if "onerror" in line and line.startswith("|")]
    assert table_rows and all(row.count("|") == 9 for row in table_rows)  # 8 cells, unbroken
    assert "\ninjected" not in md


def test_gate_markdown_escapes_function_names() -> None:
    result = _renamed()
    verdict = compare(result, result, Thresholds())  # type: ignore[arg-type]
    md = render_gate_markdown(verdict)
    assert "<img" not in md and "onerror" in md
    assert all(line.count("|") == 9 for line in md.splitlines() if "onerror" in line)


def test_html_escapes_function_names() -> None:
    page = render_html(_renamed())  # type: ignore[arg-type]
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
