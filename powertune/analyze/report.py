"""An account analysis as plain data, its JSON (validated against the committed schema) and HTML."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from powertune.analyze.findings import Finding, FunctionFacts
from powertune.errors import PowertuneError
from powertune.files import write_atomic
from powertune.results.codec import money

SCHEMA_ID = "powertune-analysis/1"
SCHEMA_PATH = Path(__file__).with_name("analysis.schema.json")


class ReportError(PowertuneError):
    """The analysis did not match its schema (a bug: exit code 3)."""


@dataclass(frozen=True)
class Analysis:
    """What was analysed, how, and what was found."""

    source: str  # "aws" | "logs"
    region: str | None
    window_start: datetime | None
    window_end: datetime | None
    window_days: float
    functions: list[FunctionFacts]
    findings: list[Finding]
    current_monthly_usd: dict[str, Decimal | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    insights: dict[str, Any] | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def by_kind(self) -> dict[str, Decimal]:
        """Dollars at stake per kind of finding (known amounts only; kinds overlap)."""
        totals: dict[str, Decimal] = {}
        for finding in self.findings:
            if finding.monthly_usd is not None:
                totals[finding.kind] = totals.get(finding.kind, Decimal(0)) + finding.monthly_usd
        return totals


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None


def _usage_json(facts: FunctionFacts) -> dict[str, Any] | None:
    usage = facts.usage
    if usage is None:
        return None
    return {
        "reports": usage.reports,
        "duration_ms": {
            "p50": usage.duration_p50_ms,
            "p95": usage.duration_p95_ms,
            "p99": usage.duration_p99_ms,
            "avg": usage.duration_avg_ms,
        },
        "billed_ms": {
            "p50": usage.billed_p50_ms,
            "p95": usage.billed_p95_ms,
            "p99": usage.billed_p99_ms,
            "avg": usage.billed_avg_ms,
        },
        "max_memory_used_mb": {"p99": usage.max_memory_p99_mb, "max": usage.max_memory_max_mb},
        "memory_size_mb": usage.memory_size_mb,
        "cold_starts": usage.cold_starts,
        "init_ms": {"avg": usage.init_avg_ms, "p99": usage.init_p99_ms},
        "timeouts": usage.timeouts,
        "out_of_memory": usage.out_of_memory,
        "other_size_reports": usage.other_size_reports,
        "partial": usage.partial,
    }


def _function_json(facts: FunctionFacts, current: Decimal | None) -> dict[str, Any]:
    config, metrics, group = facts.config, facts.metrics, facts.log_group
    return {
        "name": config.name,
        "arn": config.arn or None,
        "region": config.region,
        "memory_mb": config.memory_mb,
        "architecture": config.architecture,
        "timeout_s": config.timeout_s,
        "runtime": config.runtime,
        "package_type": config.package_type,
        "log_format": config.log_format,
        "log_group": config.log_group,
        "monthly_invocations": facts.monthly_invocations,
        "current_monthly_usd": money(current),
        "usage": _usage_json(facts),
        "metrics": {
            "invocations": metrics.invocations,
            "errors": metrics.errors,
            "throttles": metrics.throttles,
            "concurrency_max": metrics.concurrency_max,
            "log_incoming_bytes": metrics.log_incoming_bytes,
        },
        "log_retention_days": group.retention_days if group else None,
        "log_stored_bytes": group.stored_bytes if group else None,
    }


def to_json(analysis: Analysis) -> dict[str, Any]:
    """The analysis as JSON-ready data (money as decimal strings, unknown as null)."""
    return {
        "schema": SCHEMA_ID,
        "generated_at": _iso(analysis.generated_at),
        "source": analysis.source,
        "region": analysis.region,
        "window": {
            "start": _iso(analysis.window_start),
            "end": _iso(analysis.window_end),
            "days": analysis.window_days,
        },
        "totals": {
            "functions": len(analysis.functions),
            "findings": len(analysis.findings),
            "monthly_usd_by_kind": {k: money(v) for k, v in sorted(analysis.by_kind().items())},
        },
        "findings": [f.to_json() for f in analysis.findings],
        "functions": [
            _function_json(f, analysis.current_monthly_usd.get(f.config.name))
            for f in analysis.functions
        ],
        "errors": list(analysis.errors),
        "insights": analysis.insights,
    }


@cache
def schema() -> dict[str, Any]:
    return dict(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with its (non-recursive) local $refs replaced by their targets."""
    if isinstance(node, dict):
        if set(node) == {"$ref"} and node["$ref"].startswith("#/$defs/"):
            return _inline(defs[node["$ref"].removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


@cache
def _validator() -> jsonschema.Draft202012Validator:
    # Inlining the $refs makes validating a thousand-function document ~3× faster.
    jsonschema.Draft202012Validator.check_schema(schema())
    return jsonschema.Draft202012Validator(_inline(schema(), schema().get("$defs", {})))


def validate(document: dict[str, Any]) -> None:
    """Raise ReportError when ``document`` does not match the analysis schema."""
    try:
        error = jsonschema.exceptions.best_match(_validator().iter_errors(document))
        if error is not None:
            raise error
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise ReportError(
            f"analysis JSON does not match its schema at {where}: {exc.message}"
        ) from exc


def write_json(analysis: Analysis, path: str | Path) -> dict[str, Any]:
    """Validate and write the JSON document; returns it."""
    document = to_json(analysis)
    validate(document)
    write_atomic(path, json.dumps(document, indent=2) + "\n")
    return document


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:4px 8px;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3}td.usd{text-align:right;"
    "font-variant-numeric:tabular-nums}code{font-size:90%}.est{color:#a60}"
)


def _usd(value: Decimal | None) -> str:
    if value is None:
        return "unknown"
    return f"${value:,.2f}" if abs(value) >= 1 else f"${value:.4f}"


def to_html(analysis: Analysis) -> str:
    """A self-contained page: the ranked findings, then the functions' figures."""
    esc = html.escape
    window = f"{analysis.window_days:g} days" + (
        f" ending {_iso(analysis.window_end)}" if analysis.window_end else ""
    )
    rows = []
    for n, finding in enumerate(analysis.findings, 1):
        command = f"<br><code>{esc(finding.command)}</code>" if finding.command else ""
        mark = ' <span class="est">(estimate)</span>' if finding.estimate else ""
        rows.append(
            f"<tr><td>{n}</td><td>{esc(finding.function)}</td><td>{esc(finding.kind)}</td>"
            f'<td class="usd">{_usd(finding.monthly_usd)}</td>'
            f"<td>{esc(finding.summary)}{mark}{command}</td></tr>"
        )
    functions = []
    for facts in analysis.functions:
        usage = facts.usage
        peak = usage.max_memory_max_mb if usage else None
        p99 = usage.duration_p99_ms if usage else None
        functions.append(
            f"<tr><td>{esc(facts.config.name)}</td><td>{facts.config.memory_mb}</td>"
            f"<td>{esc(facts.config.architecture)}</td>"
            f"<td>{'—' if peak is None else f'{peak:g}'}</td>"
            f"<td>{'—' if p99 is None else f'{p99:g}'}</td>"
            f"<td>{'—' if facts.monthly_invocations is None else facts.monthly_invocations}</td>"
            f'<td class="usd">{_usd(analysis.current_monthly_usd.get(facts.config.name))}</td>'
            "</tr>"
        )
    errors = "".join(f"<li>{esc(e)}</li>" for e in analysis.errors)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>powertune analyze</title><style>{_STYLE}</style></head><body>"
        f"<h1>powertune analyze</h1><p>{esc(analysis.source)} · "
        f"{esc(analysis.region or 'region unknown')} · {esc(window)} · "
        f"{len(analysis.functions)} functions · {len(analysis.findings)} findings. "
        "Dollars are per 30-day month.</p>"
        "<h2>Findings, by dollars at stake</h2><table><tr><th>#</th><th>function</th>"
        "<th>finding</th><th>$/month</th><th>what and how to confirm</th></tr>"
        + "".join(rows)
        + "</table><h2>Functions</h2><table><tr><th>function</th><th>MB</th><th>arch</th>"
        "<th>peak MB used</th><th>p99 ms</th><th>invocations/month</th><th>$/month now</th>"
        "</tr>"
        + "".join(functions)
        + "</table>"
        + (f"<h2>Problems</h2><ul>{errors}</ul>" if errors else "")
        + "</body></html>\n"
    )


def write_html(analysis: Analysis, path: str | Path) -> None:
    write_atomic(path, to_html(analysis))
