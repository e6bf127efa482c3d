"""`powertune analyze --from-logs`: the same findings from exported log files, no AWS access.

The inputs are files or directories in any layout ``powertune.logs.inputs`` reads (plain lines,
CloudWatch exports to S3, ``aws logs tail`` / ``sam logs`` output, ``filter-log-events`` JSON;
gzip or not), read in chunks through the bulk parser and folded into per-function statistics, so
memory stays flat whatever the export's size. Records are grouped by function: ``--function
NAME`` puts everything under NAME; otherwise a ``/aws/lambda/NAME`` log group names the function,
any other log group is its own name, and records without one belong to the function their
file's path names (``powertune.logs.inputs.function_from_path``: the file's stem at the least).

The files carry no configuration, so it is inferred: the memory size is the one most REPORT
records carry (records at other sizes are left out of the statistics and said so), the timeout
the longest timed-out duration (unknown: 900 s), the architecture and region from the flags.
Monthly traffic is the REPORT count scaled from ``days``, the span the export covers.
Percentiles are exact up to 20,000 records per function and size, within 0.5 % beyond
(``powertune.logs.sketch``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from powertune.analyze.cpu_time import profile, read_insights_events
from powertune.analyze.findings import FunctionFacts, find_all
from powertune.analyze.report import Analysis
from powertune.collectors.account.inventory import FunctionConfig
from powertune.collectors.account.usage import Metrics, Usage
from powertune.errors import InputError
from powertune.logs.aggregate import FunctionStats, SizeStats, summarize
from powertune.logs.stream import ProgressCallback
from powertune.logs.stream import function_of as _function_of

MAX_TIMEOUT_S = 900


def function_of(source: str | None, path: str | Path, function: str | None) -> str:
    """Which function a message belongs to (see the module docstring)."""
    fallback = Path(str(path)).stem if str(path) != "-" else "stdin"
    return _function_of(source, fallback, function)


def _usage(size: SizeStats, memory_mb: int, timeout_lines: int) -> Usage:
    return Usage(
        reports=size.reports,
        duration_p50_ms=size.duration.percentile(50),
        duration_p95_ms=size.duration.percentile(95),
        duration_p99_ms=size.duration.percentile(99),
        duration_avg_ms=size.duration.mean(),
        billed_p50_ms=size.billed.percentile(50),
        billed_p95_ms=size.billed.percentile(95),
        billed_p99_ms=size.billed.percentile(99),
        billed_avg_ms=size.billed.mean(),
        max_memory_p99_mb=size.max_memory.percentile(99),
        max_memory_max_mb=size.max_memory.largest(),
        memory_size_mb=memory_mb,
        cold_starts=size.init.count,
        init_avg_ms=size.init.mean(),
        init_p99_ms=size.init.percentile(99),
        latency_p99_ms=size.latency.percentile(99),
        # Old records say so only in a "Task timed out" line; new ones in the REPORT too.
        timeouts=max(size.timeouts, timeout_lines),
        out_of_memory=size.out_of_memory,
    )


def _facts(group: FunctionStats, *, region: str, arch: str, days: float) -> FunctionFacts:
    memory = group.main_size()
    assert memory is not None
    size = group.sizes[memory]
    longest = size.longest_timeout_ms
    timeout_s = math.ceil(longest / 1000) if longest else MAX_TIMEOUT_S
    log_format = "JSON" if group.formats.most_common(1)[0][0] == "json" else "Text"
    config = FunctionConfig(
        name=group.name,
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
    usage = _usage(size, memory, group.timeout_lines)
    return FunctionFacts(config=config, usage=usage, metrics=Metrics(), window_days=days)


def _unsized_note(name: str, size: SizeStats) -> str:
    """What the records without a Memory Size said (Managed Instances write only some fields)."""
    p50, p99 = size.duration.percentile(50), size.duration.percentile(99)
    spread = f"duration p50 {p50:g} ms, p99 {p99:g} ms" if p50 is not None and p99 else ""
    return (
        f"{name}: {size.reports} REPORT records without Memory Size (as Lambda Managed "
        f"Instances write them){': ' + spread if spread else ''}; not priced as on-demand"
    )


def analyze_files(
    paths: Sequence[str | Path],
    catalog: Any,
    *,
    function: str | None = None,
    region: str = "us-east-1",
    arch: str = "x86_64",
    days: float = 14.0,
    on_progress: ProgressCallback | None = None,
) -> Analysis:
    """Findings from exported log files, grouped by function (no AWS call is made)."""
    if not paths:
        raise InputError("--from-logs needs at least one file")
    if days <= 0:
        raise InputError(f"--days must be positive, got {days:g}")
    if arch not in ("x86_64", "arm64"):
        raise InputError(f"--arch must be x86_64 or arm64, got {arch!r}")
    summary = summarize(paths, function=function, on_progress=on_progress)
    cpu_events = read_insights_events(paths, function)
    facts: list[FunctionFacts] = []
    errors: list[str] = []
    for name in sorted(summary.functions):
        group = summary.functions[name]
        unsized = group.sizes.get(None)
        if unsized is not None and unsized.reports:
            errors.append(_unsized_note(name, unsized))
        if group.main_size() is None:
            continue
        one = _facts(group, region=region, arch=arch, days=days)
        if name in cpu_events:
            one = replace(one, cpu=profile(cpu_events[name], one.config.memory_mb))
        others = group.reports - group.sizes[one.config.memory_mb].reports
        if others:
            errors.append(
                f"{name}: {others} REPORT records at another size than "
                f"{one.config.memory_mb} MB (or none) left out of the statistics"
            )
        facts.append(one)
    if summary.stats.malformed:
        errors.append(f"{summary.stats.malformed} malformed platform records skipped")
    if not facts:
        without = sum(g.sizes[None].reports for g in summary.functions.values() if None in g.sizes)
        hint = (
            f" ({without} without one, as Lambda Managed Instances write them)" if without else ""
        )
        raise InputError(f"no REPORT records with a memory size in the given files{hint}")
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
