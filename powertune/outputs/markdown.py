"""Markdown for pull-request comments and GitHub step summaries.

The gate's markdown starts with a hidden marker so a workflow can find its own comment and
update it in place instead of adding a new one on every push.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from powertune.outputs import fmt
from powertune.outputs.decision import decision_lines
from powertune.outputs.sizes import measured_column, size_cells, size_headers, size_rows
from powertune.results.model import FunctionResult, Result
from powertune.results.ranking import fleet_total, worst_first

if TYPE_CHECKING:  # the gate's types only; its numeric code is not needed to render
    from powertune.gate.compare import Verdict

GATE_MARKER = "<!-- powertune-gate -->"
REPORT_MARKER = "<!-- powertune-report -->"
_ICON = {"pass": "✅", "warn": "⚠️", "fail": "❌"}


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.:/@+=-]{1,256}$")


def _cell(text: str) -> str:
    # Table-safe, and no raw HTML from a result file (GitHub renders HTML in comments).
    escaped = _TAG_START.sub("&lt;", text)  # "<b", "</", "<!": a tag; "4 < 5" stays
    return escaped.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _code(name: str) -> str:
    """A function name as inline code that cannot break out of its table cell or inject HTML."""
    if _PLAIN_NAME.match(name):
        return f"`{name}`"
    escaped = html.escape(name).replace("|", "&#124;").replace("`", "&#96;")
    return "<code>" + " ".join(escaped.split()) + "</code>"


def render_markdown(result: Result) -> str:
    lines = [
        REPORT_MARKER,
        "## powertune: memory recommendations",
        "",
        f"_{result.run.target} target, {result.run.search} search, strategy "
        f"{result.run.strategy}; prices from catalog {result.pricing.catalog_version} "
        f"({result.pricing.region}); generated {result.generated_at} by powertune "
        f"{result.tool_version}{fmt.stopped(result)}_",
        "",
        "| function | now | recommended | p95 | $/invocation | now $/mo | rec. $/mo | saving/mo |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for fn in worst_first(result):  # a fleet: the most $/month at stake first
        rec = fn.recommendation
        mo = rec.monthly if rec else None
        lines.append(
            "| "
            + _code(fn.name)
            + " | "
            + " | ".join(
                _cell(c)
                for c in (
                    f"{fn.original_memory_mb} MB",
                    f"**{rec.memory_mb} MB**" if rec else fmt.UNKNOWN,
                    f"{fmt.ms(rec.duration_ms_p95)} ms" if rec else fmt.UNKNOWN,
                    fmt.usd_per_invocation(rec.cost_per_invocation_usd) if rec else fmt.UNKNOWN,
                    fmt.usd(mo.current_usd) if mo else fmt.UNKNOWN,
                    fmt.usd(mo.recommended_usd) if mo else fmt.UNKNOWN,
                    f"{fmt.usd(mo.saving_usd)} ({fmt.saving_pct(rec)})" if mo else fmt.UNKNOWN,
                )
            )
            + " |"
        )
    total = fleet_total(result)
    if total is not None and len(result.functions) > 1:
        left_out = f" ({len(total.unknown)} unknown, left out)" if total.unknown else ""
        lines.append(
            f"| **total**{left_out} | | | | | {fmt.usd(total.current_usd)} | "
            f"{fmt.usd(total.recommended_usd)} | **{fmt.usd(total.saving_usd)}** "
            f"({fmt.fraction_pct(total.saving_fraction)}) |"
        )
    for failed in result.failed or ():
        restored = "restored" if failed.restored else "**not restored**: run `powertune cleanup`"
        lines.append(f"| {_code(failed.name)} | failed: {_cell(failed.reason)}; {restored} |")
    for fn in worst_first(result):
        lines.extend(["", *_function_details(fn)])
    return "\n".join(lines) + "\n"


def _decision(fn: FunctionResult) -> list[str]:
    """The decision whole, outside the collapsed measurements (outputs.decision)."""
    lines = decision_lines(fn)
    if not lines:
        return []
    out = [f"**{_code(fn.name)}: the decision**", ""]
    for line in lines:
        topic = f"**{line.topic}**" if line.emphasis else line.topic
        out.append(f"- {topic}: {_cell(line.text)}")
    return [*out, ""]


def _function_details(fn: FunctionResult) -> list[str]:
    rec = fn.recommendation
    name = " ".join(html.escape(fn.name).split())
    out = _decision(fn)
    warnings = list(rec.warnings) if rec else []
    if fn.model is not None and fn.model.status != "fitted":
        warnings.append(f"model fit failed ({fn.model.failure_reason}): measured sizes only")
    # Why this size and how sure (the tie band, the basis, the warnings) stay in sight: only
    # the measurements fold away.
    notes = [_cell(n) for n in fmt.recommendation_notes(rec)]
    notes += [f"⚠️ {_cell(w)}" for w in warnings]
    if notes:
        out += [*(f"- {n}" for n in notes), ""]
    out += [f"<details><summary><code>{name}</code>: measurements</summary>", ""]
    if fn.model is not None and fn.model.status == "fitted":
        knee = f", knee at {rec.knee_mb} MB" if rec and rec.knee_mb else ""
        out += [f"Model: {fn.model.name}{knee}", ""]
    with_measured = measured_column(fn)
    headers = size_headers(fn, with_measured=with_measured)
    out += [
        "| " + " | ".join(headers) + " |",
        "|" + "--:|" * (len(headers) - 1) + "---|",
    ]
    for row in size_rows(fn):
        cells = size_cells(fn, row, with_measured=with_measured)
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    out += ["", "</details>"]
    return out


def _gate_notes(verdict: Verdict) -> list[str]:
    """Notes that are not warnings (the first run without a baseline), each a paragraph."""
    return [line for note in verdict.notes for line in (f"ℹ️ {_cell(note)}", "")]


def render_gate_markdown(verdict: Verdict) -> str:
    counts = {s: sum(1 for f in verdict.functions if f.status == s) for s in _ICON}
    headline = {
        "pass": "no cost or latency regression",
        "warn": "passed, with warnings",
        "fail": "regression beyond the thresholds and the measurement noise",
    }[verdict.status]
    th = verdict.thresholds
    limits = f"cost +{th.max_cost_increase * 100:g}%, p95 +{th.max_p95_increase * 100:g}%"
    if th.max_monthly_increase_usd is not None:
        limits += f", monthly +{fmt.usd(th.max_monthly_increase_usd)}"
    money = verdict.monthly_change_usd
    lead = f"**{fmt.usd(money, signed=True)}/month** · " if money is not None else ""
    lines = [
        GATE_MARKER,
        f"## {_ICON[verdict.status]} powertune gate: {headline}",
        "",
        *_gate_notes(verdict),
        f"{lead}{counts['pass']} passed, {counts['warn']} warned, {counts['fail']} failed · "
        f"limits: {limits} · a check fails only when the raw measurements at a size both runs "
        f"measured confirm the increase ({th.confidence * 100:g}% interval above zero)",
        "",
        "| function | check | | baseline | current | change | measured (95%) | detail |",
        "|---|---|:-:|--:|--:|--:|--:|---|",
    ]
    for fv in verdict.functions:
        if not fv.checks:
            lines.append(
                f"| {_code(fv.name)} | {fv.presence} | {_ICON[fv.status]} | | | | | "
                f"{_cell('; '.join(fv.warnings))} |"
            )
        for c in fv.checks:
            change = fmt.gate_change(c.name, c.change)
            base, cur = fmt.gate_value(c.name, c.baseline), fmt.gate_value(c.name, c.current)
            lines.append(
                f"| {_code(fv.name)} | {c.name} | {_ICON[c.status]} | {base} | {cur} | {change}"
                f" | {fmt.evidence_cell(c.evidence)} | {_cell(c.message)} |"
            )
    notes = [_cell(w) for w in verdict.warnings] + [
        f"{_code(fv.name)}: {_cell(w)}"
        for fv in verdict.functions
        if fv.checks
        for w in fv.warnings
    ]
    if notes:
        lines.append("")
        lines.extend(f"- ⚠️ {n}" for n in notes)
    return "\n".join(lines) + "\n"
