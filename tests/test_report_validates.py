"""`report` validates what it renders, as `gate` does: an impossible result (a negative memory
size, NaN, errors above invocations...) is exit 3 naming the field, in every format, never a
traceback. The same forgeries the gate refuses, and every number of a real result set to values
no run can produce."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gate_forged import FORGERIES, Doc
from typer.testing import CliRunner

from cli import app
from powertune.outputs import render_markdown
from powertune.outputs.html import render_html
from powertune.results import InvalidResult, loads_result
from powertune_cli.table import render_table

GOLDEN = Path(__file__).parent / "golden" / "result-example.json"
FORMATS = ("table", "markdown", "html", "json")
# the gate's own demands on top of what a result means: a report renders these
GATE_ONLY = {
    "null-cost",
    "null-p95",
    "no-functions",
    "no-recommendation",
    "below-measured-range",
    "above-measured-range",
    "recommended-size-skipped",
    "p95-contradicts-measurement",
    "cost-contradicts-measurement",
}


@pytest.fixture(scope="module")
def golden() -> Doc:
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize(("name", "forge", "field"), FORGERIES, ids=[f[0] for f in FORGERIES])
def test_report_refuses_what_the_gate_refuses(
    golden: Doc, tmp_path: Path, name: str, forge: Any, field: str
) -> None:
    forged = copy.deepcopy(golden)
    forge(forged)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    for form in FORMATS:
        out = tmp_path / f"out.{form}"
        args = ["report", str(path), "--format", form, "--output", str(out)]
        res = CliRunner().invoke(app, args, catch_exceptions=False)
        if name in GATE_ONLY:
            assert res.exit_code == 0, (form, res.output)
            continue
        lines = [line for line in res.output.splitlines() if line.strip()]
        assert res.exit_code == 3, (form, res.output)
        assert len(lines) == 1 and lines[0].startswith("powertune: error: "), res.output
        assert field in lines[0] and "(at $." in lines[0], lines[0]
        assert not out.exists()


def _numbers(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every number in a JSON document (money included: it is a decimal string)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numbers(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _numbers(value, (*path, index))
    elif (isinstance(node, int | float) and not isinstance(node, bool)) or (
        isinstance(node, str) and path and str(path[-1]).endswith("usd")
    ):
        yield path


def _small(doc: Doc) -> Doc:
    """The example with three samples per size and every eighth curve point: the same shapes,
    a tenth of the reading time."""
    small = copy.deepcopy(doc)
    for fn in small["functions"]:
        for m in fn["measurements"]:
            m["samples"] = m["samples"][:3]
        if fn.get("model") and fn["model"].get("curve"):
            fn["model"]["curve"] = fn["model"]["curve"][::8]
    return small


def _shape(path: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple("[]" if isinstance(p, int) else p for p in path)


@pytest.mark.slow
def test_every_number_set_to_an_impossible_value_renders_or_is_refused(golden: Doc) -> None:
    """Every kind of number in the example (one path per shape: all samples are alike), set to
    -1, 0, NaN and 10^12 (infinity is refused as NaN is): either every format renders it or reading refuses it
    naming a field; no renderer ever raises. (JSON output re-validates on writing.)"""
    small = _small(golden)
    seen: set[tuple[Any, ...]] = set()
    paths = [p for p in _numbers(small) if not (_shape(p) in seen or seen.add(_shape(p)))]
    assert len(paths) > 40
    refused = 0
    for path in paths:
        for value in (-1, 0, math.nan, 10**12):
            doc = copy.deepcopy(small)
            parent = doc
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = str(value) if isinstance(parent[path[-1]], str) else value
            text = json.dumps(doc)
            try:
                result = loads_result(text, source="forged")
            except InvalidResult as exc:
                assert exc.json_path is not None, (path, value, str(exc))
                refused += 1
                continue
            for render in (render_table, render_markdown, render_html):
                render(result)  # must not raise
    assert refused > len(paths)  # NaN alone is refused everywhere
