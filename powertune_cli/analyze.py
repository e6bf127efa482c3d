"""`powertune analyze`: right-size a whole account from the logs and metrics it already has."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from powertune.collectors.account.insights import (
    ACCOUNT_CONCURRENT_QUERIES,
    DEFAULT_CONCURRENT_QUERIES,
)
from powertune.collectors.account.inventory import parse_tag_filters
from powertune.errors import InputError
from powertune_cli.common import (
    ENDPOINT_HELP,
    MONITORING_ENDPOINT_HELP,
    PROFILE_HELP,
    REGION_HELP,
    handle_errors,
)
from powertune_cli.pricing import catalog_from_option, catalog_option
from powertune_cli.read_progress import progress_for

if TYPE_CHECKING:
    import boto3

    from powertune.analyze.report import Analysis

HELP = (
    "Rank every function's findings by the dollars a month at stake, without invoking any.\n\n"
    "Over- and under-provisioned memory, timeouts, arm64, log retention and class, Savings Plan "
    "coverage and Fargate candidates, from Logs Insights and CloudWatch metrics (or from "
    "exported log files with --from-logs). Over-provisioned sizes are estimates from one "
    "observed size: each carries the `powertune tune` command that measures the real curve. "
    "Permissions and quotas: docs/iam.md."
)


def register(app: typer.Typer) -> None:
    """Add the `analyze` command to the top-level app."""
    app.command(
        "analyze",
        help=HELP,
        epilog="Example: powertune analyze --region eu-west-1 --days 14 --json analysis.json",
    )(analyze)


def _usd(value: Decimal | None) -> str:
    """Dollars to the cent; below a dollar to a hundredth of a cent, so small is not $0.00."""
    if value is None:
        return "unknown"
    return f"${value:,.2f}" if abs(value) >= 1 else f"${value:.4f}"


def print_table(analysis: Analysis, top: int, console: Console) -> None:
    """The ranked findings as a table, then one line of totals."""
    table = Table(title=f"Findings by dollars at stake per month (top {top})")
    table.add_column("#", justify="right")
    table.add_column("function")
    table.add_column("finding")
    table.add_column("$/month", justify="right")
    table.add_column("what, and how to confirm")
    for n, finding in enumerate(analysis.findings[:top], 1):
        text = finding.summary + (" (estimate)" if finding.estimate else "")
        if finding.command:
            text += f"\n[dim]{finding.command}[/dim]"
        table.add_row(str(n), finding.function, finding.kind, _usd(finding.monthly_usd), text)
    console.print(table)
    line = (
        f"{len(analysis.functions)} functions, {len(analysis.findings)} findings over "
        f"{analysis.window_days:g} days"
    )
    if analysis.insights:
        gb = analysis.insights["bytes_scanned"] / 1024**3
        line += f"; Logs Insights: {analysis.insights['queries']} queries, {gb:.2f} GB scanned"
    console.print(line, highlight=False)
    by_kind = sorted(analysis.by_kind().items(), key=lambda kv: -kv[1])
    if by_kind:
        parts = ", ".join(f"{kind} {_usd(usd)}" for kind, usd in by_kind)
        console.print(f"at stake by kind (they overlap, do not add up): {parts}", highlight=False)


def _session(profile: str | None, region: str | None) -> boto3.session.Session:
    from powertune import awsenv

    session = awsenv.session(profile, region)
    if not session.region_name:
        raise InputError("no AWS region: pass --region, or set AWS_REGION or a profile's region")
    return session


@handle_errors
def analyze(
    names: list[str] = typer.Argument(
        None,
        metavar="[NAME ...]",
        help="Functions to analyse (default: every function of the region). With --from-logs: "
        "the log files.",
    ),
    prefix: str | None = typer.Option(
        None, "--prefix", help="Only functions named PREFIX*.", rich_help_panel="Which functions"
    ),
    tag: list[str] = typer.Option(
        [],
        "--tag",
        metavar="K=V",
        help="Only functions with this tag (repeatable: all must match).",
        rich_help_panel="Which functions",
    ),
    days: int = typer.Option(
        14,
        "--days",
        help="The window: the last DAYS days (or the span the log files cover, with --from-logs).",
        rich_help_panel="Which functions",
    ),
    region: str | None = typer.Option(None, "--region", help=REGION_HELP, rich_help_panel="AWS"),
    profile: str | None = typer.Option(None, "--profile", help=PROFILE_HELP, rich_help_panel="AWS"),
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", help=ENDPOINT_HELP, rich_help_panel="AWS"
    ),
    monitoring_endpoint_url: str | None = typer.Option(
        None, "--monitoring-endpoint-url", help=MONITORING_ENDPOINT_HELP, rich_help_panel="AWS"
    ),
    json_path: Path | None = typer.Option(
        None, "--json", metavar="FILE", help="Write JSON.", rich_help_panel="Output"
    ),
    html_path: Path | None = typer.Option(
        None, "--html", metavar="FILE", help="Write HTML.", rich_help_panel="Output"
    ),
    from_logs: bool = typer.Option(
        False,
        "--from-logs",
        help="Read exported log files (the arguments) instead of AWS.",
        rich_help_panel="From log files (no AWS)",
    ),
    function: str | None = typer.Option(
        None,
        "--function",
        help="With --from-logs: every record belongs to this function.",
        rich_help_panel="From log files (no AWS)",
    ),
    arch: str = typer.Option(
        "x86_64",
        "--arch",
        help="With --from-logs: the functions' architecture.",
        rich_help_panel="From log files (no AWS)",
    ),
    max_queries: int = typer.Option(
        DEFAULT_CONCURRENT_QUERIES,
        "--max-queries",
        help=f"Logs Insights queries at once (account quota: {ACCOUNT_CONCURRENT_QUERIES}).",
        rich_help_panel="AWS",
    ),
    top: int = typer.Option(30, "--top", help="Rows in the table.", rich_help_panel="Output"),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="With --from-logs: show read progress on stderr always.",
        rich_help_panel="Output",
    ),
    catalog_path: str | None = catalog_option(),
) -> None:
    """The `analyze` command (help text: HELP)."""
    # the analysis (boto3, numpy) loads when it runs, not for --help
    from botocore.exceptions import BotoCoreError

    from powertune.analyze.account import AccountAnalyzer
    from powertune.analyze.from_logs import analyze_files
    from powertune.analyze.report import to_json, validate, write_html, write_json

    if not 1 <= max_queries <= ACCOUNT_CONCURRENT_QUERIES:
        raise InputError(f"--max-queries must be 1..{ACCOUNT_CONCURRENT_QUERIES}")
    if top < 1:
        raise InputError("--top must be at least 1")
    catalog = catalog_from_option(catalog_path)
    err = Console(stderr=True)
    progress = (lambda text: err.print(f"[dim]{text}[/dim]")) if err.is_terminal else None
    if from_logs:
        if not names:
            raise InputError("--from-logs needs log files as arguments")
        if prefix or tag:
            raise InputError("--prefix and --tag need AWS; they do not apply to --from-logs")
        with progress_for(verbose) as on_progress:
            analysis = analyze_files(
                names,
                catalog,
                function=function,
                region=region or "us-east-1",
                arch=arch,
                days=days,
                on_progress=on_progress,
            )
    else:
        if function:
            raise InputError("--function only applies to --from-logs")
        try:
            analyzer = AccountAnalyzer(
                boto3_session=_session(profile, region),
                region=region,
                endpoint_url=endpoint_url,
                monitoring_endpoint_url=monitoring_endpoint_url,
                max_concurrent_queries=max_queries,
                on_progress=progress,
            )
        except BotoCoreError as exc:
            raise InputError(f"cannot reach AWS: {exc}") from None
        analysis = analyzer.analyze(
            catalog, names=names or (), prefix=prefix, tags=parse_tag_filters(tag), days=days
        )
    if json_path:
        write_json(analysis, json_path)
    else:
        validate(to_json(analysis))  # the same checks whether or not a file is asked for
    if html_path:
        write_html(analysis, html_path)
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 160)
    print_table(analysis, top, console)
    for problem in analysis.errors:
        print(f"powertune: warning: {problem}", file=sys.stderr)
