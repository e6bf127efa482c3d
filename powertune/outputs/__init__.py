"""Renderings of a Result and of a gate Verdict: json, markdown, html, junit.

Each renderer is a pure function returning text; the CLI decides where it goes. The terminal
table is drawn with rich, so it lives with the CLI (``powertune_cli.table``). The HTML page
(``powertune.outputs.html``, plotly) is imported by what renders it, not by this package.
"""

from powertune.outputs.json import render_json
from powertune.outputs.junit import render_junit
from powertune.outputs.markdown import GATE_MARKER, render_gate_markdown, render_markdown

__all__ = [
    "GATE_MARKER",
    "render_gate_markdown",
    "render_json",
    "render_junit",
    "render_markdown",
]
