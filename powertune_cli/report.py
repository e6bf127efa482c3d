"""``powertune report`` (render a result file) and ``powertune gate`` (compare two of them).

Exit codes of ``gate``: 0 pass (warnings allowed), 1 regression, 2 usage error, 3 unreadable or
invalid result file (with the command that regenerates a bad baseline).
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console

from powertune.files import write_atomic
from powertune.gate.compare import Verdict, compare_to_baseline_file, thresholds_from
from powertune.outputs import (
    render_gate_markdown,
    render_html,
    render_json,
    render_junit,
    render_markdown,
)
from powertune.results import Result, load_result
from powertune.tune.config import load_config, parse_percent, parse_usd
from powertune_cli.common import handle_errors
from powertune_cli.table import gate_renderable, render_table, result_renderable

T = TypeVar("T")


class ReportFormat(str, enum.Enum):
    table = "table"
    markdown = "markdown"
    html = "html"
    json = "json"


def _render(result: Result, form: ReportFormat) -> str:
    renderers = {
        ReportFormat.table: render_table,
        ReportFormat.markdown: render_markdown,
        ReportFormat.html: render_html,
        ReportFormat.json: render_json,
    }
    return renderers[form](result)


def _write(path: Path, text: str) -> None:
    """Write only once there is something to write: a failed run leaves no empty file."""
    if str(path) == "-":
        typer.echo(text, nl=False)
    else:
        write_atomic(path, text)


def console() -> Console:
    """The terminal console; wide when output goes to a CI log rather than a terminal."""
    return Console() if sys.stdout.isatty() else Console(width=140)


def emit_verdict(verdict: Verdict, *, junit: Path | None, markdown: Path | None) -> None:
    """Print the verdict table and write the JUnit / markdown files (also used by tune)."""
    console().print(gate_renderable(verdict))
    if junit is not None:
        _write(junit, render_junit(verdict))
    if markdown is not None:
        _write(markdown, render_gate_markdown(verdict))


def register(app: typer.Typer) -> None:
    @app.command("report")
    @handle_errors
    def report(
        result_file: Path = typer.Argument(..., help="A result JSON written by `tune --json`."),
        form: ReportFormat = typer.Option(
            ReportFormat.table, "--format", "-f", help="table, markdown, html or json."
        ),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write to FILE instead of the terminal."
        ),
    ) -> None:
        """Render a result file: terminal table, markdown, self-contained HTML page or JSON."""
        result = load_result(result_file)
        if output is None and form is ReportFormat.table:
            console().print(result_renderable(result))
            return
        _write(output or Path("-"), _render(result, form))

    @app.command("gate")
    @handle_errors
    def gate(
        baseline: Path = typer.Option(..., "--baseline", help="The committed baseline result."),
        current: Path = typer.Option(..., "--current", help="The result of this change."),
        max_cost_increase: str | None = typer.Option(
            None, help="Allowed cost-per-invocation increase, e.g. 5% (default 5%)."
        ),
        max_p95_increase: str | None = typer.Option(
            None, help="Allowed p95 duration increase, e.g. 10% (default 10%)."
        ),
        max_monthly_increase: str | None = typer.Option(
            None, help="Allowed monthly cost increase in USD (default: not checked)."
        ),
        config: Path | None = typer.Option(
            None, "--config", help="powertune.toml or pyproject.toml (default: found from cwd)."
        ),
        junit: Path | None = typer.Option(None, "--junit", help="Write JUnit XML here."),
        markdown: Path | None = typer.Option(
            None, "--markdown", help="Write PR-comment markdown here (carries a hidden marker)."
        ),
        allow_missing: bool = typer.Option(
            False,
            "--allow-missing",
            help="A baseline function missing from the current result warns (default: fails).",
        ),
    ) -> None:
        """Compare a result with a baseline: pass, warn or fail per function and check.

        A check fails only when the increase exceeds its limit and the raw invocations of both
        results confirm it at 95%. Exit 0 pass (warnings allowed), 1 regression, 2 usage error,
        3 unreadable or invalid result file.
        """
        settings = load_config(config).gate
        thresholds = thresholds_from(
            settings,
            max_cost_increase=_opt(parse_percent, max_cost_increase, "--max-cost-increase"),
            max_p95_increase=_opt(parse_percent, max_p95_increase, "--max-p95-increase"),
            max_monthly_increase_usd=_opt(
                parse_usd, max_monthly_increase, "--max-monthly-increase"
            ),
            allow_missing=allow_missing,
        )
        verdict = compare_to_baseline_file(baseline, load_result(current), thresholds)
        emit_verdict(verdict, junit=junit, markdown=markdown)
        raise typer.Exit(verdict.exit_code)


def _opt(parse: Callable[..., T], value: str | None, flag: str) -> T | None:
    return None if value is None else parse(value, what=flag)
