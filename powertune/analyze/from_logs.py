"""`powertune analyze --from-logs`: the same findings from exported log files, no AWS access.

Files hold one record per line or the JSON of ``aws logs filter-log-events`` / ``get-log-events``
(read by ``powertune.collectors``). Records are grouped by function: ``--function NAME`` puts
everything under NAME; otherwise a ``/aws/lambda/NAME`` log group names the function, any other
log group is its own name, and records without one belong to the file's stem.

The files carry no configuration, so it is inferred: the memory size is the one most REPORT
records carry (records at other sizes are left out of the statistics and said so), the timeout
the longest timed-out duration (unknown: 900 s), the architecture and region from the flags.
Monthly traffic is the REPORT count scaled from ``days``, the span the export covers.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from powertune.analyze.cpu_time import InsightsEvent, insights_event, profile
from powertune.analyze.findings import FunctionFacts, find_all
from powertune.analyze.report import Analysis
from powertune.collectors import ParseStats, Report, iter_log_file, try_parse_record
from powertune.collectors.account.inventory import FunctionConfig
from powertune.collectors.account.usage import Metrics, RecordSink
from powertune.errors import InputError

MAX_TIMEOUT_S = 900
_TIMED_OUT = "Task timed out after"


@dataclass
class _Group:
    source: str | None = None
    reports: list[Report] = field(default_factory=list)
    timeout_lines: int = 0
    formats: Counter[str] = field(default_factory=Counter)


def function_of(source: str | None, path: str | Path, function: str | None) -> str:
    """Which function a message belongs to (see the module docstring)."""
    if function:
        return function
    if source and source.startswith("/aws/lambda/"):
        return source.removeprefix("/aws/lambda/")
    if source and source.startswith("/"):
        return source
    return Path(str(path)).stem if str(path) != "-" else "stdin"


def _facts(name: str, group: _Group, *, region: str, arch: str, days: float) -> FunctionFacts:
    sizes = Counter(r.memory_mb for r in group.reports if r.memory_mb is not None)
    memory = sizes.most_common(1)[0][0]
    sink = RecordSink()
    timed_out_ms = [0.0]
    for report in group.reports:
        if report.memory_mb != memory:
            continue
        sink.add_report(
            duration_ms=report.duration_ms,
            billed_ms=report.billed_ms,
            memory_mb=report.memory_mb,
            max_memory_mb=report.max_memory_mb,
            init_ms=report.init_ms,
            status=report.status,
            error_type=report.error_type,
        )
        if report.status == "timeout" and report.duration_ms is not None:
            timed_out_ms.append(report.duration_ms)
    # Old records say so only in a "Task timed out" line; new ones in the REPORT too.
    sink.timeouts = max(sink.timeouts, group.timeout_lines)
    timeout_s = math.ceil(max(timed_out_ms) / 1000) if max(timed_out_ms) else MAX_TIMEOUT_S
    log_format = "JSON" if group.formats.most_common(1)[0][0] == "json" else "Text"
    config = FunctionConfig(
        name=name,
        arn="",
        region=region,
        memory_mb=memory,
        architecture=arch,
        timeout_s=min(max(timeout_s, 1), MAX_TIMEOUT_S),
        runtime=None,
        package_type="Zip",
        log_format=log_format,
        log_group=group.source or "",
    )
    return FunctionFacts(config=config, usage=sink.usage(), metrics=Metrics(), window_days=days)


def analyze_files(
    paths: Sequence[str | Path],
    catalog: Any,
    *,
    function: str | None = None,
    region: str = "us-east-1",
    arch: str = "x86_64",
    days: float = 14.0,
) -> Analysis:
    """Findings from exported log files, grouped by function (no AWS call is made)."""
    if not paths:
        raise InputError("--from-logs needs at least one file")
    if days <= 0:
        raise InputError(f"--days must be positive, got {days:g}")
    if arch not in ("x86_64", "arm64"):
        raise InputError(f"--arch must be x86_64 or arm64, got {arch!r}")
    groups: dict[str, _Group] = {}
    cpu_events: dict[str, list[InsightsEvent]] = {}
    stats = ParseStats()
    for path in paths:
        for line_no, (source, message) in enumerate(iter_log_file(path), start=1):
            event = insights_event(message) if "cpu_total_time" in message else None
            if event is not None:  # a Lambda Insights performance event names its function
                cpu_events.setdefault(function or event.function, []).append(event)
                continue
            name = function_of(source, path, function)
            group = groups.setdefault(name, _Group(source=source))
            if _TIMED_OUT in message:
                group.timeout_lines += 1
            record = try_parse_record(message, stats, line_no)
            if isinstance(record, Report):
                group.reports.append(record)
                group.formats[record.log_format] += 1
    facts: list[FunctionFacts] = []
    errors: list[str] = []
    for name in sorted(groups):
        group = groups[name]
        if not any(r.memory_mb is not None for r in group.reports):
            if group.reports:
                errors.append(f"{name}: REPORT records without Memory Size, left out")
            continue
        one = _facts(name, group, region=region, arch=arch, days=days)
        if name in cpu_events:
            one = replace(one, cpu=profile(cpu_events[name], one.config.memory_mb))
        others = sum(1 for r in group.reports if r.memory_mb != one.config.memory_mb)
        if others:
            errors.append(
                f"{name}: {others} REPORT records at another size than "
                f"{one.config.memory_mb} MB (or none) left out of the statistics"
            )
        facts.append(one)
    if stats.malformed:
        errors.append(f"{stats.malformed} malformed platform records skipped")
    if not facts:
        raise InputError("no REPORT records with a memory size in the given files")
    current: dict[str, Decimal | None] = {
        f.config.name: f.current_monthly_usd(catalog) for f in facts
    }
    return Analysis(
        source="logs",
        region=region,
        window_start=None,
        window_end=None,
        window_days=float(days),
        functions=facts,
        findings=find_all(facts, catalog, errors),
        current_monthly_usd=current,
        errors=errors,
        insights=None,
    )
