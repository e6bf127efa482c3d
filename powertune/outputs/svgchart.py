"""The report's chart drawn on the server as SVG: duration (top) and cost (bottom) panels on one
log memory axis, with a few lines of inline JavaScript for hover values.

Server-drawn SVG rather than plotly.js: the inlined plotly bundle made every report 4.8 MB, and
this chart needs only lines, dots, a band and markers. The page stays one offline file, the
charts draw even without JavaScript, and each function adds tens of kilobytes. What it draws
comes from ``ChartData`` (html.py selects it from the result); this module only draws.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

BLUE, ORANGE, GREEN, GREY, RED = "#1f5fa8", "#d9822b", "#1a7f37", "#6e7781", "#cf222e"
BAND_FILL = "rgba(31,95,168,0.15)"
_W, _LEFT, _RIGHT = 1000, 90, 20
_PANEL_H, _TITLE_H, _AXIS_H, _GAP = 250, 30, 42, 12
_CURVE_HOVER_STEP = 5  # SVG units between the curve points that carry a hover value


@dataclass(frozen=True)
class SizePoint:
    """A measured figure at one size, with its 95% interval when known."""

    mb: int
    value: float
    lo: float | None = None
    hi: float | None = None


@dataclass(frozen=True)
class ModelSegment:
    """A stretch of the fitted curve where the function can run (never over a failed size)."""

    mb: tuple[int, ...]
    duration: tuple[float | None, ...]
    duration_lo: tuple[float | None, ...]
    duration_hi: tuple[float | None, ...]
    duration_p95: tuple[float | None, ...]
    cost: tuple[float | None, ...]  # USD per 1M invocations, as everywhere in the chart
    cost_lo: tuple[float | None, ...]
    cost_hi: tuple[float | None, ...]


@dataclass(frozen=True)
class FailedSize:
    mb: int
    label: str
    oom: bool


@dataclass(frozen=True)
class ChartData:
    """Everything one function's chart shows, in data units (MB, ms, USD per 1M)."""

    model_name: str
    segments: tuple[ModelSegment, ...]
    dots: tuple[tuple[float, float], ...]  # every kept invocation: (jittered MB, ms)
    means: tuple[SizePoint, ...]
    p95s: tuple[SizePoint, ...]
    costs: tuple[SizePoint, ...]
    now_mb: int
    recommended_mb: int | None
    failed: tuple[FailedSize, ...]
    ticks: tuple[int, ...]
    sizes: tuple[int, ...] = field(default=())  # every size the x axis must hold


# -- scales ------------------------------------------------------------------------------------


class _X:
    """Memory on a log axis, padded a little either side."""

    def __init__(self, sizes: Iterable[float]) -> None:
        logs = [math.log(s) for s in sizes if s > 0] or [math.log(128), math.log(10240)]
        lo, hi = min(logs), max(logs)
        pad = (hi - lo) * 0.04 or 0.3
        self.lo, self.hi = lo - pad, hi + pad

    def __call__(self, mb: float) -> float:
        return _LEFT + (math.log(mb) - self.lo) / (self.hi - self.lo) * (_W - _LEFT - _RIGHT)


class _Y:
    def __init__(self, top: float, y0: float) -> None:
        self.top, self.y0 = top, y0  # y0: the panel's top edge in SVG units

    def __call__(self, v: float) -> float:
        return self.y0 + _PANEL_H * (1 - v / self.top)


def nice_ticks(top: float, count: int = 5) -> tuple[list[float], int]:
    """Round tick values from 0 to ``top`` and the decimals their labels need."""
    raw = top / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))
    decimals = max(0, -math.floor(math.log10(step) + 1e-9) + (1 if step / mag == 2.5 else 0))
    ticks = [i * step for i in range(int(top / step + 1e-9) + 1)]
    return ticks, decimals


def _top(values: Iterable[float | None]) -> float:
    """The top of a panel: the highest point, band or curve, with some air. Error bars are left
    out: a size measured twice has a t interval many times its mean, and letting it set the
    scale would flatten everything else (the bar runs off the top instead)."""
    highest = max((v for v in values if v is not None and math.isfinite(v)), default=0.0)
    return highest * 1.15 if highest > 0 else 1.0


# -- drawing -----------------------------------------------------------------------------------


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _path(points: Sequence[tuple[float, float]]) -> str:
    return "M" + "L".join(f"{_f(x)} {_f(y)}" for x, y in points)


def _runs(xs: Sequence[float], ys: Sequence[float | None]) -> list[list[tuple[float, float]]]:
    """Unbroken runs of known values (a None breaks the line, as plotly did)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            runs.append([])
        else:
            runs[-1].append((x, y))
    return [r for r in runs if r]


class _Hover:
    """Hover targets as [x, y, text] in SVG units; y null for a vertical line."""

    def __init__(self) -> None:
        self.points: list[list[float | str | None]] = []

    def add(self, x: float, y: float | None, text: str) -> None:
        self.points.append([round(x, 1), None if y is None else round(y, 1), text])


def _ms(v: float) -> str:
    return f"{v:,.1f} ms" if v < 100 else f"{v:,.0f} ms"


def _usd(v: float) -> str:
    """Four significant digits, never in exponent form: ``$31.39``, ``$0.2083``, ``$12,345``."""
    digits = max(0, 3 - math.floor(math.log10(v))) if v > 0 else 0
    return f"${v:,.{digits}f}"


def _iv(lo: float | None, hi: float | None, *, usd: bool = False) -> str:
    if lo is None or hi is None:
        return ""
    show = _usd if usd else _ms
    return f" (95% {show(lo)} to {show(hi)})"


def draw_chart(data: ChartData, chart_id: str) -> str:
    """One function's chart: an SVG, its legend and its hover data, in a ``.pt-chart`` box."""
    x = _X([*data.sizes, *(d[0] for d in data.dots), data.now_mb])
    segs = data.segments
    top1 = _top(
        [
            *(d[1] for d in data.dots),
            *(p.value for p in data.means),
            *(p.value for p in data.p95s),
            *(v for s in segs for v in (*s.duration, *s.duration_hi, *s.duration_p95)),
        ]
    )
    top2 = _top([*(p.value for p in data.costs), *(v for s in segs for v in (*s.cost, *s.cost_hi))])
    y1 = _Y(top1, _TITLE_H)
    y2 = _Y(top2, _TITLE_H + _PANEL_H + _AXIS_H + _TITLE_H + _GAP)
    height = int(y2.y0 + _PANEL_H + _AXIS_H)
    hover = _Hover()
    out = [
        f'<svg class="pt-svg" viewBox="0 0 {_W} {height}" role="img" '
        f'aria-label="duration and cost against memory">'
    ]
    for n, (y, title, unit, usd) in enumerate(
        (
            (y1, "Duration (ms) against memory", "ms", False),
            (y2, "Cost per 1M invocations (USD) against memory", "USD per 1M", True),
        )
    ):
        out += _axes(x, y, data.ticks, title, unit, usd, f"{chart_id}-clip{n}")
    body1: list[str] = []
    body2: list[str] = []
    # the model with its band first, so the measured points sit on top
    for seg in segs:
        xs = [x(mb) for mb in seg.mb]
        body1 += _band(xs, seg.duration_lo, seg.duration_hi, y1)
        body2 += _band(xs, seg.cost_lo, seg.cost_hi, y2)
        body1 += _line(xs, seg.duration, y1, BLUE)
        body1 += _line(xs, seg.duration_p95, y1, ORANGE, dash="2 4")
        body2 += _line(xs, seg.cost, y2, BLUE)
        last = -math.inf
        for i, mb in enumerate(seg.mb):
            if xs[i] - last < _CURVE_HOVER_STEP and i != len(seg.mb) - 1:
                continue  # a 64 MB step is a pixel at the top of a log axis: one value is enough
            last = xs[i]
            d, c, p95 = seg.duration[i], seg.cost[i], seg.duration_p95[i]
            if d is not None:
                extra = f", p95 {_ms(p95)}" if p95 is not None else ""
                text = f"model at {mb} MB: {_ms(d)}"
                hover.add(xs[i], y1(d), text + _iv(seg.duration_lo[i], seg.duration_hi[i]) + extra)
            if c is not None:
                text = f"model at {mb} MB: {_usd(c)} per 1M"
                hover.add(xs[i], y2(c), text + _iv(seg.cost_lo[i], seg.cost_hi[i], usd=True))
    if data.dots:
        # each dot's duration rides beside its coordinates (data-ms), and the page's script
        # makes the hover targets from both: a quarter of the bytes of one target per dot
        dots = "".join(f"M{_f(x(at))} {_f(y1(v))}h0" for at, v in data.dots)
        values = " ".join(_f(v) for _, v in data.dots)
        body1.append(
            f'<path class="pt-dots" d="{dots}" data-ms="{values}" stroke="{GREY}" '
            'stroke-opacity="0.35" stroke-width="4" stroke-linecap="round" fill="none"/>'
        )
    body1 += _markers(data.means, x, y1, BLUE, "diamond", top1)
    for p in data.means:
        text = f"{p.mb} MB measured mean: {_ms(p.value)}{_iv(p.lo, p.hi)}"
        hover.add(x(p.mb), y1(p.value), text)
    body1 += _markers(data.p95s, x, y1, ORANGE, "triangle", top1)
    for p in data.p95s:
        hover.add(x(p.mb), y1(p.value), f"{p.mb} MB measured p95: {_ms(p.value)}")
    body2 += _markers(data.costs, x, y2, BLUE, "diamond", top2)
    for p in data.costs:
        text = f"{p.mb} MB measured cost: {_usd(p.value)} per 1M{_iv(p.lo, p.hi, usd=True)}"
        hover.add(x(p.mb), y2(p.value), text)
    out.append(f'<g clip-path="url(#{chart_id}-clip0)">{"".join(body1)}</g>')
    out.append(f'<g clip-path="url(#{chart_id}-clip1)">{"".join(body2)}</g>')
    out += _size_lines(data, x, (y1, y2), hover)
    out.append(
        '<circle class="pt-ring" r="7" fill="none" stroke="#1f2328" stroke-width="1.5" '
        'visibility="hidden"/></svg>'
    )
    hover_json = json.dumps(hover.points, separators=(",", ":"), ensure_ascii=False)
    # no "<" at all inside the script element: a label such as "</script>" cannot close it
    hover_json = hover_json.replace("<", "\\u003c")
    return (
        f'<div class="pt-chart" id="{chart_id}">{"".join(out)}'
        f"{_legend(data)}"
        '<div class="pt-tip" hidden></div>'
        f'<script type="application/json" class="pt-data">{hover_json}'
        "</script></div>"
    )


def _axes(
    x: _X, y: _Y, ticks: Sequence[int], title: str, unit: str, usd: bool, clip: str
) -> list[str]:
    left, right, top, bottom = _LEFT, _W - _RIGHT, y.y0, y.y0 + _PANEL_H
    out = [
        f'<clipPath id="{clip}"><rect x="{left}" y="{_f(top)}" width="{right - left}" '
        f'height="{_PANEL_H}"/></clipPath>',
        f'<text class="pt-title" x="{left}" y="{_f(top - 10)}" font-size="14" '
        f'font-weight="600">{html.escape(title)}</text>',
    ]
    values, decimals = nice_ticks(y.top)
    grid = []
    for v in values:
        py = _f(y(v))
        grid.append(f"M{left} {py}H{right}")
        label = f"${v:,.{decimals}f}" if usd else f"{v:,.{decimals}f}"
        out.append(
            f'<text x="{left - 6}" y="{py}" text-anchor="end" dominant-baseline="middle">'
            f"{label}</text>"
        )
    for mb in ticks:
        px = _f(x(mb))
        grid.append(f"M{px} {_f(top)}V{_f(bottom)}")
        out.append(f'<text x="{px}" y="{_f(bottom + 16)}" text-anchor="middle">{mb}</text>')
    out.append(f'<path d="{"".join(grid)}" stroke="#eaeef2" fill="none"/>')
    out.append(f'<path d="M{left} {_f(top)}V{_f(bottom)}H{right}" stroke="#8c959f" fill="none"/>')
    mid = _f(top + _PANEL_H / 2)
    out.append(
        f'<text x="22" y="{mid}" text-anchor="middle" transform="rotate(-90 22 {mid})">'
        f"{unit}</text>"
    )
    out.append(
        f'<text x="{(left + right) // 2}" y="{_f(bottom + 34)}" text-anchor="middle">'
        "memory (MB)</text>"
    )
    return out


def _has_band(seg: ModelSegment) -> bool:
    return all(v is not None for v in (*seg.duration_lo, *seg.duration_hi)) or all(
        v is not None for v in (*seg.cost_lo, *seg.cost_hi)
    )


def _band(
    xs: list[float], lo: Sequence[float | None], hi: Sequence[float | None], y: _Y
) -> list[str]:
    if not xs or any(v is None for v in (*lo, *hi)):
        return []
    upper = [(px, y(v)) for px, v in zip(xs, hi, strict=True) if v is not None]
    lower = [(px, y(v)) for px, v in zip(xs, lo, strict=True) if v is not None]
    d = _path(upper + lower[::-1]) + "Z"
    return [f'<path class="pt-band" d="{d}" fill="{BAND_FILL}" stroke="none"/>']


def _line(
    xs: list[float], ys: Sequence[float | None], y: _Y, color: str, dash: str | None = None
) -> list[str]:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return [
        f'<path class="pt-line" d="{_path([(px, y(v)) for px, v in run])}" stroke="{color}" '
        f'stroke-width="2" fill="none"{extra}/>'
        for run in _runs(xs, ys)
    ]


def _markers(
    points: Sequence[SizePoint], x: _X, y: _Y, color: str, shape: str, top: float
) -> list[str]:
    """Markers with their 95% error bars (never below zero; they may run off the top)."""
    bars, marks = [], []
    for p in points:
        px, py = x(p.mb), y(p.value)
        if p.lo is not None and p.hi is not None:
            lo, hi = y(max(p.lo, 0.0)), y(min(p.hi, top * 2))
            bars.append(
                f"M{_f(px)} {_f(lo)}V{_f(hi)}M{_f(px - 4)} {_f(lo)}h8M{_f(px - 4)} {_f(hi)}h8"
            )
        if shape == "diamond":
            marks.append(f"M{_f(px)} {_f(py - 6)}l6 6-6 6-6-6z")
        else:
            marks.append(f"M{_f(px)} {_f(py - 6)}l5.5 9.5h-11z")
    out = []
    if bars:
        out.append(f'<path d="{"".join(bars)}" stroke="{color}" stroke-width="1.5" fill="none"/>')
    if marks:
        out.append(f'<path class="pt-marker" d="{"".join(marks)}" fill="{color}"/>')
    return out


def _size_lines(data: ChartData, x: _X, panels: tuple[_Y, _Y], hover: _Hover) -> list[str]:
    """Now, recommended and every failed size as vertical lines through both panels; a failed
    size also gets a cross at the bottom and, in the top panel, what went wrong."""
    lines = [(data.now_mb, f"now: {data.now_mb} MB", GREY, "6 4")]
    if data.recommended_mb is not None:
        rec = data.recommended_mb
        lines.append((rec, f"recommended: {rec} MB", GREEN, ""))
    lines += [(f.mb, f.label, RED, "2 3") for f in data.failed]
    out = []
    for mb, label, color, dash in lines:
        px = x(mb)
        d = "".join(f"M{_f(px)} {_f(y.y0)}V{_f(y.y0 + _PANEL_H)}" for y in panels)
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path class="pt-size" d="{d}" stroke="{color}" stroke-width="2" fill="none"{extra}>'
            f"<title>{html.escape(label)}</title></path>"
        )
        hover.add(px, None, label)
    for f in data.failed:
        px = x(f.mb)
        for n, y in enumerate(panels):
            py = y.y0 + _PANEL_H - 8
            out.append(
                f'<path class="pt-failed" d="M{_f(px - 5)} {_f(py - 5)}l10 10m0-10l-10 10" '
                f'stroke="{RED}" stroke-width="2.5"/>'
            )
            if n == 0:
                out.append(
                    f'<text x="{_f(px)}" y="{_f(py - 10)}" text-anchor="middle" '
                    f'fill="{RED}">{"OOM" if f.oom else "failed"}</text>'
                )
    return out


def _legend(data: ChartData) -> str:
    items: list[tuple[str, str]] = []

    def key(swatch: str, name: str) -> None:
        items.append((swatch, name))

    line = '<svg width="22" height="10"><path d="M1 5h20" stroke="{}" stroke-width="2"{}/></svg>'
    if data.segments:
        if any(_has_band(s) for s in data.segments):
            key(
                f'<svg width="22" height="10"><rect width="22" height="10" fill="{BAND_FILL}"/>'
                "</svg>",
                "model 95% band",
            )
        key(line.format(BLUE, ""), f"model mean ({data.model_name})")
        if any(v is not None for s in data.segments for v in s.duration_p95):
            key(line.format(ORANGE, ' stroke-dasharray="2 4"'), "model p95")
    if data.dots:
        key(f'<svg width="10" height="10"><circle cx="5" cy="5" r="2.5" fill="{GREY}" '
            'fill-opacity="0.5"/></svg>', "invocations")  # fmt: skip
    diamond = f'<svg width="12" height="12"><path d="M6 0l6 6-6 6-6-6z" fill="{BLUE}"/></svg>'
    if data.means:
        key(diamond, "measured mean ± 95% CI")
    if data.p95s:
        key(f'<svg width="12" height="12"><path d="M6 1l5.5 9.5h-11z" fill="{ORANGE}"/></svg>',
            "measured p95")  # fmt: skip
    if data.costs:
        key(diamond, "measured cost ± 95% CI")
    key(line.format(GREY, ' stroke-dasharray="6 4"'), f"now: {data.now_mb} MB")
    if data.recommended_mb is not None:
        key(line.format(GREEN, ""), f"recommended: {data.recommended_mb} MB")
    if data.failed:
        f = data.failed[0]
        more = f" and {len(data.failed) - 1} more" if len(data.failed) > 1 else ""
        key(line.format(RED, ' stroke-dasharray="2 3"'), f"failed: {f.label}{more}")
    spans = "".join(
        f'<span class="pt-key">{swatch}{html.escape(name)}</span>' for swatch, name in items
    )
    return f'<div class="pt-legend">{spans}</div>'


CSS = """
.pt-chart { position: relative; margin: 8px 0 4px; }
.pt-svg { width: 100%; height: auto; display: block; font: 12px system-ui, sans-serif;
  fill: #1f2328; }
.pt-legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 13px; margin: 4px 0 0 90px; }
.pt-key { display: inline-flex; align-items: center; gap: 5px; }
.pt-tip { position: absolute; pointer-events: none; background: #fff; border: 1px solid #8c959f;
  border-radius: 4px; padding: 3px 7px; font-size: 13px; white-space: nowrap;
  box-shadow: 0 1px 4px rgba(0,0,0,.15); }
"""

# Hover: the nearest target within a few SVG units of the pointer shows its value.
SCRIPT = """
(function () {
  var R = 14;  // SVG units: how near the pointer must be to a point to show its value
  document.querySelectorAll('.pt-chart').forEach(function (box) {
    var svg = box.querySelector('svg'), tip = box.querySelector('.pt-tip'),
      ring = box.querySelector('.pt-ring'),
      pts = JSON.parse(box.querySelector('.pt-data').textContent),
      dots = box.querySelector('.pt-dots');
    if (dots) {  // "Mx yh0" per dot, its duration in data-ms
      var xy = dots.getAttribute('d').match(/-?[0-9.]+/g),
        ms = dots.getAttribute('data-ms').split(' ');
      for (var k = 0; k < ms.length; k++) {
        var v = +ms[k], dec = v < 100 ? 1 : 0;
        pts.push([+xy[3 * k], +xy[3 * k + 1], v.toLocaleString('en-US',
          {minimumFractionDigits: dec, maximumFractionDigits: dec}) + ' ms']);
      }
    }
    function hide() { tip.hidden = true; ring.setAttribute('visibility', 'hidden'); }
    svg.addEventListener('mousemove', function (e) {
      var m = svg.getScreenCTM();
      if (!m) return;
      var p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse()), best = null,
        bd = R * R;
      for (var i = 0; i < pts.length; i++) {
        var q = pts[i], dx = q[0] - p.x, dy = q[1] === null ? R / 2 : q[1] - p.y,
          d = dx * dx + dy * dy;
        if (d < bd) { bd = d; best = q; }
      }
      if (!best) { hide(); return; }
      var b = box.getBoundingClientRect();
      tip.textContent = best[2];
      tip.hidden = false;
      tip.style.left = (e.clientX - b.left + 14) + 'px';
      tip.style.top = (e.clientY - b.top + 14) + 'px';
      if (best[1] === null) { ring.setAttribute('visibility', 'hidden'); return; }
      ring.setAttribute('cx', best[0]);
      ring.setAttribute('cy', best[1]);
      ring.setAttribute('visibility', 'visible');
    });
    svg.addEventListener('mouseleave', hide);
    box.dataset.rendered = 'yes';
  });
})();
"""
