"""A self-contained HTML report: plotly charts with plotly.js inlined, so it opens offline.

Per function, one figure with duration (top) and cost per invocation (bottom) against memory:
every invocation as a faint dot (the spread), the measured mean with its 95% interval and the
measured p95, the fitted curve with its 95% band, and the current and recommended sizes.
Plotly because hovering gives exact figures, and the figure is plain JSON in the page, which
keeps golden-file tests readable; the price is ~4.8 MB of inlined plotly.js per report.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from powertune.outputs import fmt
from powertune.outputs.decision import decision_lines, per_million
from powertune.outputs.sizes import measured_column, size_cells, size_headers, size_rows
from powertune.results.model import CurvePoint, FunctionResult, Measurement, Result

PLOTLY_START = '<script id="plotly-js">'
_MAX_DOTS_PER_SIZE = 200  # enough to show the spread; keeps big runs' pages light
_BLUE, _ORANGE, _GREEN, _GREY = "#1f5fa8", "#d9822b", "#1a7f37", "#6e7781"
_RED = "#cf222e"

_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto;
       max-width: 1100px; color: #1f2328; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 19px; margin-top: 36px; }
.meta { color: #6e7781; font-size: 13px; }
table { border-collapse: collapse; margin: 12px 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #d0d7de; padding: 5px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.saving { color: #1a7f37; font-weight: 600; } .cost-up { color: #cf222e; font-weight: 600; }
.warn { color: #9a6700; } .pt-chart { height: 640px; }
tr.failed td { color: #cf222e; } table.decision th { text-align: left; white-space: nowrap;
  vertical-align: top; } table.decision td { text-align: left; } tr.emph th { color: #1a7f37; }
"""


def render_html(result: Result, *, inline_plotlyjs: bool = True) -> str:
    """The whole page. ``inline_plotlyjs=False`` leaves the bundle out (for golden tests)."""
    bundle = get_plotlyjs() if inline_plotlyjs else "/* plotly.js */"
    body = [
        "<h1>powertune report</h1>",
        f'<p class="meta">{html.escape(_meta(result))}</p>',
        "<noscript><p>The charts need JavaScript (plotly.js is inlined in this file).</p>"
        "</noscript>",
        _summary(result),
    ]
    for i, fn in enumerate(result.functions):
        body.append(_function_section(fn, f"chart-{i}"))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>powertune report · {html.escape(', '.join(f.name for f in result.functions))}"
        f"</title>\n<style>{_CSS}</style>\n{PLOTLY_START}{bundle}</script>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _meta(result: Result) -> str:
    r = result.run
    return (
        f"Generated {result.generated_at} by powertune {result.tool_version} · {r.target} target"
        f" · {r.search} search · strategy {r.strategy} · prices: catalog "
        f"{result.pricing.catalog_version}, {result.pricing.region}, {result.pricing.currency}"
        f" · tuning used {result.tuning.invocations:,} invocations, "
        f"{fmt.usd_per_invocation(result.tuning.spend_usd)}"
    )


def _summary(result: Result) -> str:
    rows = []
    for fn in result.functions:
        rec = fn.recommendation
        mo = rec.monthly if rec else None
        saving = mo.saving_usd if mo else None
        cls = "saving" if saving is not None and saving > 0 else "cost-up" if saving else ""
        cells = [
            html.escape(fn.name),
            f"{fn.original_memory_mb} MB",
            f"<b>{rec.memory_mb} MB</b>" if rec else fmt.UNKNOWN,
            f"{fmt.ms(rec.duration_ms_p95)} ms" if rec else fmt.UNKNOWN,
            fmt.usd(mo.current_usd) if mo else fmt.UNKNOWN,
            fmt.usd(mo.recommended_usd) if mo else fmt.UNKNOWN,
            f'<span class="{cls}">{fmt.usd(saving)} ({fmt.saving_pct(rec)})</span>'
            if mo
            else fmt.UNKNOWN,
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "function",
            "now",
            "recommended",
            "p95",
            "now $/month",
            "recommended $/month",
            "saving $/month",
        )
    )
    return (
        '<h2>Summary</h2>\n<table class="summary">\n<thead><tr>' + head + "</tr></thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def _function_section(fn: FunctionResult, div_id: str) -> str:
    rec = fn.recommendation
    lines = [f"<section>\n<h2>{html.escape(fn.name)}</h2>"]
    what = f"{fn.architecture}, {fn.region}, now {fn.original_memory_mb} MB"
    if rec is not None:
        what += (
            f"; recommended <b>{rec.memory_mb} MB</b> ({html.escape(rec.strategy)} strategy, "
            f"from {fmt.basis_words(rec.source)}): p95 {fmt.ms(rec.duration_ms_p95)} ms, "
            f"{per_million(rec.cost_per_invocation_usd)} invocations"
        )
        if rec.knee_mb:
            what += f"; knee at {rec.knee_mb} MB"
    lines.append(f"<p>{what}</p>")
    notes = fmt.recommendation_notes(rec)
    if notes:
        lines.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    warnings = list(rec.warnings) if rec else []
    if fn.model is not None and fn.model.status == "failed":
        warnings.append(f"model fit failed ({fn.model.failure_reason}): measured sizes only")
    warnings += [
        f"{m.memory_mb} MB skipped: {m.skip_reason}" for m in fn.measurements if not m.measured
    ]
    if warnings:
        items = "".join(f'<li class="warn">{html.escape(w)}</li>' for w in warnings)
        lines.append(f"<ul>{items}</ul>")
    fig = function_figure(fn)
    post = f"document.getElementById('{div_id}').dataset.rendered = 'yes';"
    chart = pio.to_html(
        fig,
        include_plotlyjs=False,
        full_html=False,
        div_id=div_id,
        post_script=post,
        config={"displaylogo": False, "responsive": True},
        default_height="640px",
    )
    lines.append(_decision_table(fn))
    lines.append(f'<div class="pt-chart-wrap">{chart}</div>')
    lines.append(_size_table(fn))
    lines.append("</section>")
    return "\n".join(lines)


_EMPH = ' class="emph"'


def _decision_table(fn: FunctionResult) -> str:
    """The decision whole (outputs.decision: the same lines as the terminal and markdown)."""
    rows = [
        f"<tr{_EMPH if line.emphasis else ''}><th>{html.escape(line.topic)}</th>"
        f"<td>{html.escape(line.text)}</td></tr>"
        for line in decision_lines(fn)
    ]
    if not rows:
        return ""
    return '<table class="decision">\n' + "\n".join(rows) + "\n</table>"


def _size_table(fn: FunctionResult) -> str:
    """Every size tried or priced, failed ones marked (out of memory, errors) with the reason;
    the figures are the priced curve's (outputs.sizes), as in the terminal and the markdown."""
    with_measured = measured_column(fn)
    head = size_headers(fn, with_measured=with_measured)
    rows = []
    for row in size_rows(fn):
        cells = size_cells(fn, row, with_measured=with_measured)
        m = row.measurement
        cls = ""
        if m is not None and not m.measured:
            cells[-1] = "out of memory" if _is_oom(m) else cells[-1]
            cls = ' class="failed"'
        rows.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    ths = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return (
        f'<h3>Every size</h3>\n<table class="sizes">\n<thead><tr>{ths}</tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


def _jitter(i: int) -> float:
    """A small, deterministic horizontal offset (log axis) so dots at one size do not overlap."""
    return 1.0 + ((i * 37) % 21 - 10) / 400.0


def function_figure(fn: FunctionResult) -> go.Figure:
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.09,
        subplot_titles=(
            "Duration (ms) against memory",
            "Cost per 1M invocations (USD) against memory",
        ),
    )
    measured = fn.measured()
    model = fn.model if fn.model is not None and fn.model.status == "fitted" else None
    curve = list(model.curve) if model is not None else []
    # the fitted curves with their bands, drawn first so points sit on top; only where the
    # function can run (failed sizes are never drawn over)
    for k, segment in enumerate(runnable_segments(fn, curve)):
        _model_traces(fig, segment, (model.name or "") if model else "", first=k == 0)
    # every invocation: the spread
    dot_x: list[float] = []
    dot_y: list[float] = []
    for m in measured:
        ok = [s for s in m.samples if s.ok]
        step = max(1, len(ok) // _MAX_DOTS_PER_SIZE)
        for i, s in enumerate(ok[::step]):
            dot_x.append(round(m.memory_mb * _jitter(i), 2))
            dot_y.append(round(s.duration_ms, 3))
    if dot_x:
        fig.add_trace(
            go.Scatter(
                x=dot_x,
                y=dot_y,
                mode="markers",
                name="invocations",
                marker={"size": 4, "color": _GREY, "opacity": 0.35},
                hoverinfo="y",
            ),
            row=1,
            col=1,
        )
    stats = [m for m in measured if m.duration_ms is not None]
    if stats:
        durations = [m.duration_ms for m in stats if m.duration_ms is not None]
        means = [d.mean for d in durations]
        fig.add_trace(
            go.Scatter(
                x=[m.memory_mb for m in stats],
                y=means,
                error_y=_errors([d.ci95 for d in durations], means),
                mode="markers",
                name="measured mean ± 95% CI",
                marker={"symbol": "diamond", "size": 10, "color": _BLUE},
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=[m.memory_mb for m in stats],
                y=[m.duration_ms.p95 for m in stats],  # type: ignore[union-attr]
                mode="markers",
                name="measured p95",
                marker={"symbol": "triangle-up", "size": 9, "color": _ORANGE},
            ),
            row=1,
            col=1,
        )
    priced = [m for m in measured if m.cost_per_invocation_usd is not None]
    if priced:
        ys = [_n(m.cost_per_invocation_usd) for m in priced]
        fig.add_trace(
            go.Scatter(
                x=[m.memory_mb for m in priced],
                y=ys,
                error_y=_errors([_ni(m.cost_ci95_usd) for m in priced], ys),
                mode="markers",
                name="measured cost ± 95% CI",
                marker={"symbol": "diamond", "size": 10, "color": _BLUE},
            ),
            row=2,
            col=1,
        )
    _size_markers(fig, fn)
    _failed_markers(fig, fn, _panel_tops(fig))
    marked = _marked_sizes(fn) | {m.memory_mb for m in _failed(fn)}
    ticks = readable_ticks([m.memory_mb for m in fn.measurements] + sorted(marked), marked)
    fig.update_xaxes(
        type="log",
        tickvals=ticks,
        ticktext=[str(t) for t in ticks],
        gridcolor="#eaeef2",
        title_text=None,
    )
    fig.update_xaxes(title_text="memory (MB)", row=2, col=1)
    fig.update_yaxes(gridcolor="#eaeef2")
    fig.update_yaxes(title_text="ms", row=1, col=1)
    fig.update_yaxes(title_text="USD per 1M", tickformat="$.3~g", row=2, col=1)
    fig.update_layout(
        template="none",
        height=640,
        margin={"l": 90, "r": 20, "t": 40, "b": 50},
        legend={"orientation": "h", "y": -0.12},
        hovermode="closest",
        font={"family": "system-ui, sans-serif", "size": 12},
    )
    return fig


def _model_traces(fig: go.Figure, curve: list[CurvePoint], name: str, *, first: bool) -> None:
    xs = [p.memory_mb for p in curve]
    _band(fig, xs, [p.duration_lo for p in curve], [p.duration_hi for p in curve], 1, _BLUE, first)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=[p.duration_ms for p in curve],
            mode="lines",
            name=f"model mean ({name})",
            line={"color": _BLUE},
            legendgroup="model",
            showlegend=first,
        ),
        row=1,
        col=1,
    )
    if any(p.duration_p95 is not None for p in curve):
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[p.duration_p95 for p in curve],
                mode="lines",
                name="model p95",
                line={"color": _ORANGE, "dash": "dot"},
                legendgroup="model p95",
                showlegend=first,
            ),
            row=1,
            col=1,
        )
    _band(
        fig,
        xs,
        [_n(p.cost_lo_usd) for p in curve],
        [_n(p.cost_hi_usd) for p in curve],
        2,
        _BLUE,
        first,
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=[_n(p.cost_per_invocation_usd) for p in curve],
            mode="lines",
            name="model cost",
            line={"color": _BLUE},
            legendgroup="model",
            showlegend=False,
        ),
        row=2,
        col=1,
    )


def _marked_sizes(fn: FunctionResult) -> set[int]:
    sizes = {fn.original_memory_mb}
    if fn.recommendation:
        sizes.add(fn.recommendation.memory_mb)
    return sizes


def _size_markers(fig: go.Figure, fn: FunctionResult) -> None:
    """Current and recommended sizes as vertical lines in both panels (traces, so they follow
    the log axis and show in the legend)."""
    lines: list[tuple[int, str, str, str]] = [
        (fn.original_memory_mb, f"now: {fn.original_memory_mb} MB", _GREY, "dash")
    ]
    if fn.recommendation:
        rec = fn.recommendation.memory_mb
        lines.append((rec, f"recommended: {rec} MB", _GREEN, "solid"))
    tops = _panel_tops(fig)
    for row in (1, 2):
        fig.update_yaxes(range=[0, tops[row]], row=row, col=1)
    for mb, label, color, dash in lines:
        for row in (1, 2):
            fig.add_trace(
                go.Scatter(
                    x=[mb, mb],
                    y=[0, tops[row]],
                    mode="lines",
                    name=label,
                    line={"color": color, "dash": dash, "width": 2},
                    legendgroup=label,
                    showlegend=row == 1,
                    hoverinfo="name",
                ),
                row=row,
                col=1,
            )


def _panel_tops(fig: go.Figure) -> dict[int, float]:
    """The top of each panel's view: the highest point, band or curve, with some air. Error bars
    are left out: a size measured twice has a t interval many times its mean, and letting it set
    the scale would flatten everything else (the bar runs off the top instead)."""
    tops = {1: 0.0, 2: 0.0}
    for trace in fig.data:
        row = 1 if trace.yaxis in (None, "y") else 2
        ys = [y for y in (trace.y or ()) if y is not None]
        if ys:
            tops[row] = max(tops[row], max(ys))
    return {k: v * 1.15 if v > 0 else 1.0 for k, v in tops.items()}


def _band(
    fig: go.Figure,
    xs: list[int],
    lo: list[Any],
    hi: list[Any],
    row: int,
    color: str,
    first: bool = True,
) -> None:
    if any(v is None for v in lo + hi):
        return
    fill = "rgba(31, 95, 168, 0.15)"
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=hi,
            mode="lines",
            line={"width": 0, "color": color},
            showlegend=False,
            hoverinfo="skip",
        ),
        row=row,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=lo,
            mode="lines",
            line={"width": 0, "color": color},
            fill="tonexty",
            fillcolor=fill,
            name="model 95% band",
            legendgroup="band",
            showlegend=row == 1 and first,
            hoverinfo="skip",
        ),
        row=row,
        col=1,
    )


def _errors(intervals: list[Any], centers: Sequence[float | None]) -> dict[str, Any]:
    centers = [0.0 if c is None else c for c in centers]
    up = [(iv[1] - c) if iv else 0.0 for iv, c in zip(intervals, centers, strict=True)]
    # durations and costs cannot go below zero, whatever a small-sample t interval says
    down = [min(c - iv[0], c) if iv else 0.0 for iv, c in zip(intervals, centers, strict=True)]
    return {
        "type": "data",
        "symmetric": False,
        "array": up,
        "arrayminus": down,
        "thickness": 1.5,
        "width": 4,
    }


def _n(value: Decimal | None) -> float | None:
    """A cost per invocation as the chart shows it: USD per 1M invocations."""
    return None if value is None else float(value.scaleb(6))


def _ni(iv: tuple[Decimal, Decimal] | None) -> tuple[float, float] | None:
    return None if iv is None else (float(iv[0].scaleb(6)), float(iv[1].scaleb(6)))


# -- failed sizes: marked, and never drawn over -------------------------------------------------


def _failed(fn: FunctionResult) -> list[Measurement]:
    return sorted((m for m in fn.measurements if not m.measured), key=lambda m: m.memory_mb)


def _is_oom(m: Measurement) -> bool:
    return "memory" in (m.skip_reason or "").lower()


def runnable_segments(fn: FunctionResult, curve: Sequence[CurvePoint]) -> list[list[CurvePoint]]:
    """The model's curve where the function can run, as contiguous segments: nothing below the
    smallest size that ran above one that ran out of memory (less memory cannot do better, and
    between the two nobody knows), and nothing nearer a size that failed otherwise than any size
    that ran. The cheapest point drawn can run."""
    failed = _failed(fn)
    oom_top = max((m.memory_mb for m in failed if _is_oom(m)), default=0)
    known = [(m.memory_mb, m.measured) for m in fn.measurements]
    # below the smallest size that ran above an out-of-memory one, nobody knows it fits
    floor = min((mb for mb, ran in known if ran and mb > oom_top), default=oom_top + 1)

    def ok(mb: int) -> bool:
        if oom_top and mb < floor:
            return False
        if not known:
            return True
        nearest = min(known, key=lambda k: (abs(math.log(k[0] / mb)), not k[1]))
        return nearest[1] or (nearest[0] == mb and nearest[1])

    segments: list[list[CurvePoint]] = []
    current: list[CurvePoint] = []
    for point in curve:
        if ok(point.memory_mb):
            current.append(point)
        elif current:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    return segments


def _failed_markers(fig: go.Figure, fn: FunctionResult, tops: dict[int, float]) -> None:
    """Each failed size as a red dotted line in both panels, with a cross at the bottom."""
    for i, m in enumerate(_failed(fn)):
        label = f"failed: {m.memory_mb} MB ({m.skip_reason or 'errors'})"
        for row in (1, 2):
            fig.add_trace(
                go.Scatter(
                    x=[m.memory_mb, m.memory_mb],
                    y=[0, tops[row]],
                    mode="lines",
                    name=label,
                    line={"color": _RED, "dash": "dot", "width": 2},
                    legendgroup="failed",
                    showlegend=row == 1 and i == 0,
                    hoverinfo="name",
                ),
                row=row,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=[m.memory_mb],
                    y=[tops[row] * 0.03],
                    mode="markers+text",
                    text=["OOM" if _is_oom(m) else "failed"] if row == 1 else None,
                    textposition="top center",
                    textfont={"color": _RED},
                    marker={"symbol": "x", "size": 11, "color": _RED},
                    name=label,
                    legendgroup="failed",
                    showlegend=False,
                    hovertext=label,
                    hoverinfo="text",
                ),
                row=row,
                col=1,
            )


def readable_ticks(sizes: Sequence[int], keep: set[int], *, max_labels: int = 12) -> list[int]:
    """The sizes to label on the log axis: the marked ones (now, recommended, failed) first,
    then the others that do not crowd a label already chosen, so no two labels overlap."""
    ordered = sorted(set(sizes))
    if len(ordered) <= 2:
        return ordered
    span = math.log(ordered[-1] / ordered[0]) or 1.0
    gap = span / max_labels
    chosen = sorted(s for s in ordered if s in keep)
    for s in [ordered[0], ordered[-1], *ordered]:
        if s in chosen:
            continue
        if all(abs(math.log(s / c)) >= gap for c in chosen):
            chosen.append(s)
            chosen.sort()
    return chosen
