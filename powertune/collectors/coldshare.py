"""A function's cold-start share, from its own REPORT lines in CloudWatch Logs.

A REPORT with an ``Init Duration`` (or a SnapStart restore) is a cold start; the share of them
over a recent window prices INIT into the cost curve and $/month (INIT is billed on on-demand
functions since Aug 2025). The window ends when the tuning run starts, so the run's own
invocations (cold on every new size) never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from powertune.logs.parse import ParseStats, try_parse_record
from powertune.logs.records import Report

MIN_REPORTS = 20  # fewer than this says too little about the share
MAX_REPORTS = 10_000  # enough for the share to within a percent; bounds the reading


@dataclass(frozen=True)
class ColdShare:
    share: float
    reports: int
    cold: int


def cold_share_from_logs(
    logs_client: Any,
    log_group: str,
    *,
    start_time_ms: int,
    end_time_ms: int,
    log_format: str = "Text",
    max_reports: int = MAX_REPORTS,
) -> ColdShare | None:
    """The share of cold starts among the REPORT lines logged in [start, end); None when the
    log group is missing or unreadable, or holds fewer than ``MIN_REPORTS`` reports."""
    if log_format.upper() == "JSON":
        pattern = '{ $.type = "platform.report" }'
    else:
        pattern = '"REPORT RequestId"'
    kwargs: dict[str, Any] = {
        "logGroupName": log_group,
        "filterPattern": pattern,
        "startTime": start_time_ms,
        "endTime": end_time_ms,
    }
    stats = ParseStats()
    total = cold = 0
    try:
        for page in logs_client.get_paginator("filter_log_events").paginate(**kwargs):
            for event in page.get("events", []):
                record = try_parse_record(event.get("message", ""), stats)
                if isinstance(record, Report):
                    total += 1
                    cold += record.cold
            if total >= max_reports:
                break
    except (ClientError, BotoCoreError):
        return None  # no log group, or not readable with these credentials: no share known
    if total < MIN_REPORTS:
        return None
    return ColdShare(share=cold / total, reports=total, cold=cold)
