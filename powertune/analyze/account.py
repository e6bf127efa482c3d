"""`powertune analyze` against an account: list, read configuration, gather, find, rank.

Nothing is invoked. The heavy lifting (percentiles over weeks of REPORT records) runs inside
Logs Insights; this side makes a few dozen API calls per thousand functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from powertune.analyze.findings import FunctionFacts, find_all
from powertune.analyze.report import Analysis
from powertune.collectors.account.clients import make_client
from powertune.collectors.account.insights import (
    DEFAULT_CONCURRENT_QUERIES,
    InsightsRunner,
    gather_usage,
)
from powertune.collectors.account.inventory import list_functions
from powertune.collectors.account.loggroups import describe_log_groups
from powertune.collectors.account.metrics import gather_metrics
from powertune.collectors.account.usage import Metrics, Usage
from powertune.errors import InputError

if TYPE_CHECKING:  # the AWS calls themselves live in powertune.collectors.account
    import boto3
    from botocore.config import Config

MAX_DAYS = 455  # CloudWatch keeps hourly datapoints for 15 months


class AccountAnalyzer:
    """Analyses the functions of one region. Clients are built lazily unless given."""

    def __init__(
        self,
        *,
        region: str | None = None,
        boto3_session: boto3.session.Session | None = None,
        boto_config: Config | None = None,
        endpoint_url: str | None = None,
        monitoring_endpoint_url: str | None = None,
        lambda_client: Any | None = None,
        logs_client: Any | None = None,
        cloudwatch_client: Any | None = None,
        max_concurrent_queries: int = DEFAULT_CONCURRENT_QUERIES,
        insights_options: dict[str, Any] | None = None,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        def client(service: str, given: Any | None) -> Any:
            # endpoint_url is Lambda's; CloudWatch and Logs have their own (as in `tune`)
            url = endpoint_url if service == "lambda" else monitoring_endpoint_url
            return given or make_client(
                service,
                region=region,
                boto3_session=boto3_session,
                boto_config=boto_config,
                endpoint_url=url,
            )

        self.lambda_client = client("lambda", lambda_client)
        self.logs_client = client("logs", logs_client)
        self.cloudwatch_client = client("cloudwatch", cloudwatch_client)
        self.runner = InsightsRunner(
            self.logs_client,
            max_concurrent=max_concurrent_queries,
            on_progress=on_progress,
            **(insights_options or {}),
        )
        self.on_progress = on_progress

    def analyze(
        self,
        catalog: Any,
        *,
        names: Sequence[str] = (),
        prefix: str | None = None,
        tags: dict[str, str] | None = None,
        days: int = 14,
        now: datetime | None = None,
    ) -> Analysis:
        """Gather the window's facts for the selected functions and rank the findings."""
        if isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
            raise InputError(f"--days must be from 1 to {MAX_DAYS}, got {days}")
        end = (now or datetime.now(timezone.utc)).replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(days=days)
        functions = list_functions(
            self.lambda_client, names=names, prefix=prefix, tags=tags, on_progress=self.on_progress
        )
        errors: list[str] = []
        groups = describe_log_groups(self.logs_client, {f.log_group for f in functions})
        writers: dict[str, int] = {}
        for function in functions:
            writers[function.log_group] = writers.get(function.log_group, 0) + 1
        by_format: dict[str, list[str]] = {}
        for function in functions:
            if function.log_group in groups:  # StartQuery fails on a group that does not exist
                by_format.setdefault(function.log_format, []).append(function.log_group)
        insights = gather_usage(self.runner, by_format, start, end)
        errors.extend(insights.errors)
        metrics = gather_metrics(
            self.cloudwatch_client, functions, start, end, on_progress=self.on_progress
        )
        facts = []
        for function in functions:
            usage = insights.usage_for(function.log_group, function.memory_mb)
            if usage is not None and writers[function.log_group] > 1:
                usage = _shared(usage)
            facts.append(
                FunctionFacts(
                    config=function,
                    usage=usage,
                    metrics=metrics.get(function.name, Metrics()),
                    log_group=groups.get(function.log_group),
                    window_days=float(days),
                )
            )
        findings = find_all(facts, catalog, errors)
        current: dict[str, Decimal | None] = {
            f.config.name: f.current_monthly_usd(catalog) for f in facts
        }
        return Analysis(
            source="aws",
            region=str(self.lambda_client.meta.region_name),
            window_start=start,
            window_end=end,
            window_days=float(days),
            functions=facts,
            findings=findings,
            current_monthly_usd=current,
            errors=errors,
            insights={
                "queries": insights.queries,
                "bytes_scanned": insights.bytes_scanned,
                "start_retries": insights.start_retries,
                "log_groups": sum(len(v) for v in by_format.values()),
            },
        )


def _shared(usage: Usage) -> Usage:
    """Several functions log to one group: its statistics mix them, so no sizing from them."""
    return replace(usage, shared_log_group=True)
