"""Terminal tables (rich): the measurements per function, a monthly summary, the gate verdict."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from powertune.outputs import fmt
from powertune.outputs.decision import decision_lines
from powertune.outputs.sizes import measured_column, size_cells, size_headers, size_rows
from powertune.results.model import FunctionResult, Result
from powertune.results.ranking import fleet_total, worst_first

if TYPE_CHECKING:
    from powertune.gate.compare import Verdict

_STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red"}


def result_renderable(result: Result) -> RenderableType:
    parts: list[RenderableType] = [
        Text(
            f"powertune {result.tool_version} · {result.generated_at} · "
            f"{result.run.target} target · {result.run.search} search · "
            f"catalog {result.pricing.catalog_version} ({result.pricing.region})"
            f"{fmt.stopped(result)}",
            style="dim",
        )
    ]
    fleet = len(result.functions) > 1 or bool(result.failed)
    if fleet:  # many functions: the summary first, the most at stake first
        parts.append(_summary_table(result))
        parts.extend(
            Text(
                f"  ! {f.name}: failed: {f.reason}" + ("" if f.restored else " (NOT restored)"),
                style="bold red",
            )
            for f in result.failed or ()
        )
    for fn in worst_first(result):
        parts.append(_function_table(fn))
        parts.extend(_size_notes(fn))
        notes = fmt.recommendation_notes(fn.recommendation)
        parts.extend(Text(f"  · {n}", style="cyan") for n in notes)
        parts.extend(Text(f"  ! {w}", style="yellow") for w in _warnings(fn))
        parts.extend(_decision(fn))
    if not fleet:
        parts.append(_summary_table(result))
    return Group(*parts)


def _decision(fn: FunctionResult) -> list[Text]:
    """The decision whole under the function's table (outputs.decision: the same lines as the
    markdown and the HTML)."""
    lines = decision_lines(fn)
    if not lines:
        return []
    out = [Text("  decision:", style="bold")]
    for line in lines:
        text = Text(f"    {line.topic}: ", style="bold green" if line.emphasis else "bold")
        text.append(line.text)
        out.append(text)
    return out


def _warnings(fn: FunctionResult) -> list[str]:
    out = list(fn.recommendation.warnings) if fn.recommendation else []
    if fn.model is not None and fn.model.status == "failed":
        out.append(f"model fit failed ({fn.model.failure_reason}): measured sizes only")
    return out


def _function_table(fn: FunctionResult) -> Table:
    rec = fn.recommendation
    title = f"{fn.name} · {fn.architecture} · {fn.region} · now {fn.original_memory_mb} MB"
    if rec is not None:
        title += f" → {rec.memory_mb} MB ({rec.strategy}, {rec.source})"
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    with_measured = measured_column(fn)
    headers = size_headers(fn, with_measured=with_measured)
    for name in headers:
        table.add_column(name, justify="right" if name else "left")
    for row in size_rows(fn):
        *cells, _ = size_cells(fn, row, with_measured=with_measured)
        m = row.measurement
        style = "bold green" if "recommended" in row.marks else ""
        if m is not None and not m.measured:
            style = "yellow"
        mark = Text(row.marks, style=style)
        if row.note:  # the reason is long: a marker here, the words right under the table
            mark.append(f"{' · ' if row.marks else ''}not chosen: see [{row.memory_mb}]", "cyan")
        table.add_row(*cells, mark)
    return table


def summary_renderable(result: Result) -> RenderableType:
    """The monthly cost table alone (with its total for a fleet)."""
    return _summary_table(result)


def _size_notes(fn: FunctionResult) -> list[Text]:
    """Why a size the table shows cheaper and faster than the recommendation was not chosen."""
    return [
        Text(f"  [{row.memory_mb}] {row.memory_mb} MB {row.note}", style="cyan")
        for row in size_rows(fn)
        if row.note
    ]


def _summary_table(result: Result) -> Table:
    table = Table(title="Monthly cost", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for name in ("function", "now MB", "rec MB", "invocations/mo", "now $/mo", "rec $/mo"):
        table.add_column(name, justify="left" if name == "function" else "right")
    table.add_column("saving $/mo", justify="right")
    table.add_column("saving", justify="right")
    for fn in worst_first(result):
        rec = fn.recommendation
        mo = rec.monthly if rec else None
        table.add_row(
            fn.name,
            str(fn.original_memory_mb),
            str(rec.memory_mb) if rec else fmt.UNKNOWN,
            f"{mo.invocations:,}" if mo else fmt.UNKNOWN,
            fmt.usd(mo.current_usd) if mo else fmt.UNKNOWN,
            fmt.usd(mo.recommended_usd) if mo else fmt.UNKNOWN,
            fmt.usd(mo.saving_usd) if mo else fmt.UNKNOWN,
            fmt.saving_pct(rec),
        )
    total = fleet_total(result)
    if total is not None and len(result.functions) > 1:
        left_out = f" ({len(total.unknown)} unknown, left out)" if total.unknown else ""
        table.add_section()
        table.add_row(
            Text(f"total{left_out}", style="bold"),
            "",
            "",
            "",
            fmt.usd(total.current_usd),
            fmt.usd(total.recommended_usd),
            Text(fmt.usd(total.saving_usd), style="bold"),
            fmt.fraction_pct(total.saving_fraction),
        )
    return table


def gate_notes(verdict: Verdict) -> list[str]:
    """The lines under a one-line pass: notes, then every warning with its function."""
    out = [f"note: {n}" for n in verdict.notes]
    for fv in verdict.functions:
        out.extend(f"warn: {fv.name}: {c.message}" for c in fv.checks if c.status != "pass")
        out.extend(f"warn: {fv.name}: {w}" for w in fv.warnings)
    out.extend(f"warn: {w}" for w in verdict.warnings)
    return out


def gate_renderable(verdict: Verdict) -> RenderableType:
    table = Table(
        title=fmt.gate_headline(verdict),
        box=box.SIMPLE_HEAD,
        title_justify="left",
        pad_edge=False,
    )
    columns = ("function", "check", "status", "baseline", "current", "change", "measured (95%)")
    for name in columns:
        table.add_column(name, justify="left" if name in ("function", "check") else "right")
    notes: list[Text] = []
    for fv in verdict.functions:
        style = _STATUS_STYLE[fv.status]
        if not fv.checks:
            table.add_row(fv.name, fv.presence, Text(fv.status, style=style), "", "", "", "")
        for c in fv.checks:
            change = fmt.gate_change(c.name, c.change)
            interval = fmt.evidence_cell(c.evidence)
            table.add_row(
                fv.name,
                c.name,
                Text(c.status, style=_STATUS_STYLE[c.status]),
                fmt.gate_value(c.name, c.baseline),
                fmt.gate_value(c.name, c.current),
                change,
                interval,
            )
            if c.status != "pass":
                notes.append(
                    Text(f"{c.status}: {fv.name}: {c.message}", style=_STATUS_STYLE[c.status])
                )
        notes.extend(Text(f"warn: {fv.name}: {w}", style="yellow") for w in fv.warnings)
    notes.extend(Text(f"warn: {w}", style="yellow") for w in verdict.warnings)
    notes.extend(Text(f"note: {n}") for n in verdict.notes)
    return Group(table, *notes)


def _render(renderable: RenderableType, width: int) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, force_terminal=False)
    console.print(renderable)
    # rich pads every line to the table width; files and golden tests want no trailing blanks
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


def render_table(result: Result, *, width: int = 110) -> str:
    """The result as plain text (no colour): what ``report --format table`` writes to a file."""
    return _render(result_renderable(result), width)


def render_gate_table(verdict: Verdict, *, width: int = 130) -> str:
    return _render(gate_renderable(verdict), width)
