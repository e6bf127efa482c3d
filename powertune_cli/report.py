"""``powertune report`` (render a result file) and ``powertune gate`` (compare two of them).

Exit codes of ``gate``: 0 pass (warnings allowed), 1 regression, 2 usage error, 3 unreadable or
invalid result file (with the command that regenerates a bad baseline).
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console

from powertune.errors import InputError
from powertune.files import write_atomic
from powertune.outputs import fmt, render_gate_markdown, render_json, render_junit, render_markdown
from powertune.outputs.power_tuning import power_tuning_url
from powertune.results import Result, load_result
from powertune.results.sanity import check_values
from powertune.tune.config import load_config, parse_percent, parse_usd
from powertune_cli.common import handle_errors, verbosity
from powertune_cli.table import (
    gate_notes,
    gate_renderable,
    render_table,
    result_renderable,
    summary_renderable,
)

if TYPE_CHECKING:
    from powertune.gate.compare import Verdict

T = TypeVar("T")


class ReportFormat(str, enum.Enum):
    table = "table"
    markdown = "markdown"
    html = "html"
    json = "json"


def render_as(result: Result, form: ReportFormat) -> str:
    """A result held in memory (tune's), checked as a read one is: an impossible value is exit 3
    naming the field, never a traceback in a renderer."""
    check_values(result, "result being rendered")
    return _render(result, form)


def write_text(path: str, text: str) -> None:
    _write(Path(path), text)


def _render(result: Result, form: ReportFormat) -> str:
    if form is ReportFormat.html:
        from powertune.outputs.html import render_html  # only the page loads its chart code

        return render_html(result)
    renderers = {
        ReportFormat.table: render_table,
        ReportFormat.markdown: render_markdown,
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


def emit_verdict(
    verdict: Verdict,
    *,
    junit: Path | None,
    markdown: Path | None,
    json_out: Path | None = None,
    verbosity: int = 0,
) -> None:
    """Print the verdict and write the JUnit / markdown / JSON files (also used by tune).

    A clean pass is one line (README: quiet otherwise); warnings add their lines; a failure,
    or ``-v``, prints the whole table. ``-q`` prints nothing on a pass."""
    # a file written to stdout (`--json -`) keeps stdout to itself: the verdict goes to stderr
    to_stdout = any(str(p) == "-" for p in (junit, markdown, json_out) if p is not None)
    out = Console(stderr=True, width=140) if to_stdout else console()
    if verdict.status == "fail" or verbosity > 0:
        out.print(gate_renderable(verdict))
    elif verbosity >= 0 or verdict.status != "pass":
        out.print(fmt.gate_headline(verdict), highlight=False)
        for line in gate_notes(verdict):
            out.print(line, highlight=False)
    if junit is not None:
        _write(junit, render_junit(verdict))
    if markdown is not None:
        _write(markdown, render_gate_markdown(verdict))
    if json_out is not None:
        from powertune.gate.verdict_json import dumps_verdict  # (jsonschema): --json only

        _write(json_out, dumps_verdict(verdict))


def print_power_tuning_urls(result: Result) -> None:
    """One line per function: ``NAME URL`` (also used by ``tune --power-tuning-url``)."""
    for fn in result.functions:
        typer.echo(f"{fn.name} {power_tuning_url(fn)}")


def register(app: typer.Typer) -> None:
    @app.command(
        "report", epilog="Example: powertune report result.json --format markdown -o report.md"
    )
    @handle_errors
    def report(
        result_file: Path = typer.Argument(..., help="A result JSON written by `tune --json`."),
        form: ReportFormat = typer.Option(
            ReportFormat.table, "--format", "-f", help="table, markdown, html or json."
        ),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write to FILE instead of the terminal (- for stdout)."
        ),
        power_tuning_url: bool = typer.Option(
            False,
            "--power-tuning-url",
            help="Print an aws-lambda-power-tuning visualisation URL per function instead.",
        ),
        summary: bool = typer.Option(
            False,
            "--summary",
            help="Only the monthly cost table (each function now and recommended, the total).",
        ),
    ) -> None:
        """Render a result file: terminal table, markdown, self-contained HTML page or JSON."""
        result = _load(result_file)
        if power_tuning_url:
            print_power_tuning_urls(result)
            return
        if summary:
            if form is not ReportFormat.table:
                raise InputError("--summary is the terminal table's (--format table)")
            console().print(summary_renderable(result))
            return
        if output is None and form is ReportFormat.table:
            console().print(result_renderable(result))
            return
        _write(output or Path("-"), _render(result, form))

    @app.command(
        "gate",
        epilog="Example: powertune gate --baseline baseline.json --current result.json "
        "--junit gate.xml",
    )
    @handle_errors
    def gate(
        baseline: Path = typer.Option(..., "--baseline", help="The committed baseline result."),
        current: Path = typer.Option(..., "--current", help="The result of this change."),
        max_cost_increase: str | None = typer.Option(
            None,
            help="Allowed cost-per-invocation increase, e.g. 5% (default 5%).",
            rich_help_panel="Thresholds",
        ),
        max_p95_increase: str | None = typer.Option(
            None,
            help="Allowed p95 duration increase, e.g. 10% (default 10%).",
            rich_help_panel="Thresholds",
        ),
        max_monthly_increase: str | None = typer.Option(
            None,
            help="Allowed monthly cost increase in USD (default: not checked).",
            rich_help_panel="Thresholds",
        ),
        config: Path | None = typer.Option(
            None,
            "--config",
            help="powertune.toml or pyproject.toml (default: found from cwd).",
            rich_help_panel="Thresholds",
        ),
        junit: Path | None = typer.Option(
            None, "--junit", help="Write JUnit XML here.", rich_help_panel="Output"
        ),
        markdown: Path | None = typer.Option(
            None,
            "--markdown",
            help="Write PR-comment markdown here (carries a hidden marker).",
            rich_help_panel="Output",
        ),
        allow_missing: bool = typer.Option(
            False,
            "--allow-missing",
            help="A baseline function missing from the current result warns (default: fails).",
            rich_help_panel="Thresholds",
        ),
        json_out: Path | None = typer.Option(
            None,
            "--json",
            help="Write the verdict JSON here (- for stdout; verdict schema v1).",
            rich_help_panel="Output",
        ),
        baseline_optional: bool = typer.Option(
            False,
            "--baseline-optional",
            help="First run: a missing baseline passes with a note instead of exit 2.",
        ),
        quiet: bool = typer.Option(
            False, "--quiet", "-q", help="Print nothing on a pass.", rich_help_panel="Output"
        ),
        verbose: bool = typer.Option(
            False,
            "--verbose",
            "-v",
            help="Print the whole verdict table, even on a pass.",
            rich_help_panel="Output",
        ),
    ) -> None:
        """Compare a result with a baseline: pass, warn or fail per function and check.

        A check fails only when the increase exceeds its limit and the raw invocations of both
        results confirm it at 95%. A pass prints one line (the monthly $ change first when
        traffic is known). Exit 0 pass (warnings allowed), 1 regression, 2 usage error (a
        missing file; the first run: --baseline-optional), 3 unreadable or invalid result file.
        """
        from powertune.gate.compare import compare_to_baseline_file, thresholds_from  # numpy

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
        verdict = compare_to_baseline_file(
            baseline, _load(current), thresholds, baseline_optional=baseline_optional
        )
        emit_verdict(
            verdict,
            junit=junit,
            markdown=markdown,
            json_out=json_out,
            verbosity=verbosity(quiet, verbose),
        )
        raise typer.Exit(verdict.exit_code)


def _load(path: Path) -> Result:
    """A result file; a missing one is a usage error (exit 2, as README says), an unreadable
    or invalid one exit 3."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    return load_result(path)


def _opt(parse: Callable[..., T], value: str | None, flag: str) -> T | None:
    return None if value is None else parse(value, what=flag)
