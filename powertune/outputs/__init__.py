"""Renderings of a Result and of a gate Verdict: table (rich), json, markdown, html, junit.

Each renderer is a pure function returning text; the CLI decides where it goes.
"""

from powertune.outputs.html import render_html
from powertune.outputs.json import render_json
from powertune.outputs.junit import render_junit
from powertune.outputs.markdown import GATE_MARKER, render_gate_markdown, render_markdown
from powertune.outputs.table import render_gate_table, render_table

__all__ = [
    "GATE_MARKER",
    "render_gate_markdown",
    "render_gate_table",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_table",
]
