"""Every size a function's tables show, read from its one priced curve (``FunctionResult.priced``).

The terminal table, the markdown and the HTML page render ``size_rows``: the figures of each size
(p50, p95, $ per 1M invocations and its 95% interval) are the priced curve's, the same the
decision lines and the JSON carry. Where the decision rests on the model, a measured size's own
samples' $ per 1M is a second, labelled column (``measured_column``). A result written before the
priced curve existed is read through ``priced_sizes``: its measured rows and its recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass

from powertune.outputs import fmt
from powertune.results.model import FunctionResult, Measurement, PricedSize


@dataclass(frozen=True)
class SizeRow:
    memory_mb: int
    measurement: Measurement | None
    priced: PricedSize | None
    marks: str  # current, recommended, tied, the other strategies' picks; or why skipped
    note: str | None  # why not chosen, beside a size that looks cheaper and faster


def priced_sizes(fn: FunctionResult) -> tuple[PricedSize, ...]:
    """The function's priced curve; for an older result, one built from its measured rows
    (their own figures) and the recommendation's."""
    if fn.priced:
        return fn.priced
    out: dict[int, PricedSize] = {}
    for m in fn.measured():
        if m.cost_per_invocation_usd is None or m.duration_ms is None:
            continue
        out[m.memory_mb] = PricedSize(
            memory_mb=m.memory_mb,
            basis="measured",
            measured=True,
            cost_per_invocation_usd=m.cost_per_invocation_usd,
            cost_interval_usd=m.cost_ci95_usd,
            duration_ms_p50=m.duration_ms.p50,
            duration_ms_p95=m.duration_ms.p95,
        )
    rec = fn.recommendation
    if rec is not None and rec.cost_per_invocation_usd is not None:
        out[rec.memory_mb] = PricedSize(
            memory_mb=rec.memory_mb,
            basis=rec.source,
            measured=fn.measurement(rec.memory_mb) is not None,
            cost_per_invocation_usd=rec.cost_per_invocation_usd,
            cost_interval_usd=rec.cost_interval_usd,
            duration_ms_p50=rec.duration_ms_p50 or 0.0,
            duration_ms_p95=rec.duration_ms_p95 or 0.0,
            duration_p95_interval=rec.duration_p95_interval,
        )
    return tuple(out[k] for k in sorted(out))


def measured_column(fn: FunctionResult) -> bool:
    """Whether the tables show the measured sizes' own $ per 1M beside the model's (the
    decision rests on the model, and a measured size has its own figure)."""
    return any(
        p.basis == "model" and p.measured and _own_cost(fn.measurement(p.memory_mb)) is not None
        for p in priced_sizes(fn)
    )


def basis_label(fn: FunctionResult) -> str:
    """The basis the tables' main figures rest on, for their column headers."""
    bases = {p.basis for p in priced_sizes(fn)}
    return bases.pop() if len(bases) == 1 else "model/measured"


def size_rows(fn: FunctionResult) -> list[SizeRow]:
    """Every measured or skipped size and every priced one, smallest first."""
    priced = {p.memory_mb: p for p in priced_sizes(fn)}
    sizes = sorted({m.memory_mb for m in fn.measurements} | set(priced))
    rows = []
    for size in sizes:
        m = fn.measurement(size)
        p = priced.get(size)
        rows.append(SizeRow(size, m, p, _marks(fn, size, m, p), p.note if p else None))
    return rows


def _marks(fn: FunctionResult, size: int, m: Measurement | None, p: PricedSize | None) -> str:
    if m is not None and not m.measured:
        return f"skipped: {m.skip_reason}"
    out = []
    if size == fn.original_memory_mb:
        out.append("current")
    rec = fn.recommendation
    if rec is not None and rec.memory_mb == size:
        out.append("recommended")
    if rec is not None:
        out += [
            name for name, alt in sorted((rec.alternatives or {}).items()) if alt.memory_mb == size
        ]
    if p is not None and p.tied and not (rec is not None and rec.memory_mb == size):
        out.append("tied")
    if m is None:
        out.append("not measured")
    return ", ".join(out)


def _own_cost(m: Measurement | None) -> str | None:
    if m is None or m.cost_per_invocation_usd is None:
        return None
    return fmt.per_million(m.cost_per_invocation_usd)


def size_cells(fn: FunctionResult, row: SizeRow, *, with_measured: bool) -> list[str]:
    """A size's cells as the tables show them: MB, invocations, errors, cold starts, p50, p95,
    $ per 1M and its 95% interval (the priced curve's), the measured $ per 1M when
    ``with_measured``, then the marks and the note."""
    m, p = row.measurement, row.priced
    head = [str(row.memory_mb)]
    head += [str(m.invocations), str(m.errors), str(m.cold_starts)] if m else ["", "", ""]
    figures = [
        fmt.ms(p.duration_ms_p50) if p else fmt.UNKNOWN,
        fmt.ms(p.duration_ms_p95) if p else fmt.UNKNOWN,
        fmt.per_million(p.cost_per_invocation_usd) if p else fmt.UNKNOWN,
        fmt.per_million_interval(p.cost_interval_usd) if p else fmt.UNKNOWN,
    ]
    if with_measured:
        figures.append((_own_cost(m) or fmt.UNKNOWN) if p is None or p.basis == "model" else "")
    if p is None and m is not None and m.measured and m.duration_ms is not None:
        # measured but not on the priced curve (outside the range asked): its own figures
        figures[:2] = [fmt.ms(m.duration_ms.p50), fmt.ms(m.duration_ms.p95)]
        figures[2] = _own_cost(m) or fmt.UNKNOWN
    mark = row.marks + (f" · {row.note}" if row.note else "")
    return [*head, *figures, mark]


def size_headers(fn: FunctionResult, *, with_measured: bool) -> list[str]:
    basis = basis_label(fn)
    out = [
        "MB",
        "inv",
        "err",
        "cold",
        "p50 ms",
        "p95 ms",
        f"$/1M inv ({basis})",
        "95% interval",
    ]
    if with_measured:
        out.append("$/1M inv (measured)")
    return [*out, ""]
