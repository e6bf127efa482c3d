"""A self-contained HTML report: charts drawn as SVG on the server, so it opens offline.

Per function, one chart with duration (top) and cost per invocation (bottom) against memory:
every invocation as a faint dot (the spread), the measured mean with its 95% interval and the
measured p95, the fitted curve with its 95% band, the current and recommended sizes and every
failed size. ``chart_data`` selects those figures from the result; ``svgchart`` draws them and
carries the few lines of JavaScript that show a value on hover.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from decimal import Decimal

from powertune.outputs import fmt
from powertune.outputs.decision import decision_lines, per_million
from powertune.outputs.sizes import measured_column, size_cells, size_headers, size_rows
from powertune.outputs.svgchart import (
    CSS,
    SCRIPT,
    ChartData,
    FailedSize,
    ModelSegment,
    SizePoint,
    draw_chart,
)
from powertune.results.model import CurvePoint, FunctionResult, Measurement, Result

_MAX_DOTS_PER_SIZE = 200  # enough to show the spread; keeps big runs' pages light

_CSS = (
    """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto;
       max-width: 1100px; color: #1f2328; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 19px; margin-top: 36px; }
.meta { color: #6e7781; font-size: 13px; }
table { border-collapse: collapse; margin: 12px 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #d0d7de; padding: 5px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.saving { color: #1a7f37; font-weight: 600; } .cost-up { color: #cf222e; font-weight: 600; }
.warn { color: #9a6700; }
tr.failed td { color: #cf222e; } table.decision th { text-align: left; white-space: nowrap;
  vertical-align: top; } table.decision td { text-align: left; } tr.emph th { color: #1a7f37; }
"""
    + CSS
)


def render_html(result: Result) -> str:
    """The whole page: one file, nothing fetched when it is opened."""
    body = [
        "<h1>powertune report</h1>",
        f'<p class="meta">{html.escape(_meta(result))}</p>',
        _summary(result),
    ]
    for i, fn in enumerate(result.functions):
        body.append(_function_section(fn, f"chart-{i}"))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>powertune report · {html.escape(', '.join(f.name for f in result.functions))}"
        f"</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _meta(result: Result) -> str:
    r = result.run
    return (
        f"Generated {result.generated_at} by powertune {result.tool_version} · {r.target} target"
        f" · {r.search} search · strategy {r.strategy} · prices: catalog "
        f"{result.pricing.catalog_version}, {result.pricing.region}, {result.pricing.currency}"
        f" · tuning used {result.tuning.invocations:,} invocations, "
        f"{fmt.usd_per_invocation(result.tuning.spend_usd)}{html.escape(fmt.stopped(result))}"
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
    lines.append(_decision_table(fn))
    lines.append(draw_chart(chart_data(fn), div_id))
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


def chart_data(fn: FunctionResult) -> ChartData:
    """What the chart of ``fn`` shows, read from the result (svgchart draws it): every kept
    invocation as a dot, the measured mean with its 95% interval and the p95, the measured cost,
    the fitted curves with their bands where the function can run, and the marked sizes."""
    measured = fn.measured()
    model = fn.model if fn.model is not None and fn.model.status == "fitted" else None
    curve = list(model.curve) if model is not None else []
    segments = tuple(
        ModelSegment(
            mb=tuple(p.memory_mb for p in seg),
            duration=tuple(p.duration_ms for p in seg),
            duration_lo=tuple(p.duration_lo for p in seg),
            duration_hi=tuple(p.duration_hi for p in seg),
            duration_p95=tuple(p.duration_p95 for p in seg),
            cost=tuple(_n(p.cost_per_invocation_usd) for p in seg),
            cost_lo=tuple(_n(p.cost_lo_usd) for p in seg),
            cost_hi=tuple(_n(p.cost_hi_usd) for p in seg),
        )
        for seg in runnable_segments(fn, curve)
    )
    dots: list[tuple[float, float]] = []
    for m in measured:
        ok = [s for s in m.samples if s.ok]
        step = max(1, len(ok) // _MAX_DOTS_PER_SIZE)
        dots += [(m.memory_mb * _jitter(i), s.duration_ms) for i, s in enumerate(ok[::step])]
    stats = [(m.memory_mb, m.duration_ms) for m in measured if m.duration_ms is not None]
    means = tuple(SizePoint(mb, d.mean, *(d.ci95 if d.ci95 else (None, None))) for mb, d in stats)
    costs = tuple(
        SizePoint(m.memory_mb, float(m.cost_per_invocation_usd.scaleb(6)), *_ni(m.cost_ci95_usd))
        for m in measured
        if m.cost_per_invocation_usd is not None
    )
    failed = tuple(
        FailedSize(m.memory_mb, f"{m.memory_mb} MB ({m.skip_reason or 'errors'})", _is_oom(m))
        for m in _failed(fn)
    )
    marked = _marked_sizes(fn) | {f.mb for f in failed}
    sizes = [m.memory_mb for m in fn.measurements] + sorted(marked)
    return ChartData(
        model_name=(model.name or "") if model else "",
        segments=segments,
        dots=tuple(dots),
        means=means,
        p95s=tuple(SizePoint(mb, d.p95) for mb, d in stats),
        costs=costs,
        now_mb=fn.original_memory_mb,
        recommended_mb=fn.recommendation.memory_mb if fn.recommendation else None,
        failed=failed,
        ticks=tuple(readable_ticks(sizes, marked)),
        sizes=tuple(sizes + [mb for seg in segments for mb in seg.mb]),
    )


def _marked_sizes(fn: FunctionResult) -> set[int]:
    sizes = {fn.original_memory_mb}
    if fn.recommendation:
        sizes.add(fn.recommendation.memory_mb)
    return sizes


def _n(value: Decimal | None) -> float | None:
    """A cost per invocation as the chart shows it: USD per 1M invocations."""
    return None if value is None else float(value.scaleb(6))


def _ni(iv: tuple[Decimal, Decimal] | None) -> tuple[float | None, float | None]:
    return (None, None) if iv is None else (float(iv[0].scaleb(6)), float(iv[1].scaleb(6)))


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
