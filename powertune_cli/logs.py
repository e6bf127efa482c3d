"""`powertune logs parse`: read Lambda platform records out of a log file."""

from __future__ import annotations

import json
import sys
from enum import Enum

import typer
from rich.console import Console
from rich.table import Table

from powertune.collectors import RECORD_KEYS, ParseStats, iter_log_file
from powertune.collectors.bulk import parse_messages
from powertune.collectors.records import InitReport, Report, RestoreReport
from powertune_cli.common import handle_errors, output_option, writes_output

app = typer.Typer(help="Read Lambda platform log records (REPORT, INIT_REPORT, RESTORE_REPORT).")


class LogsFormat(str, Enum):
    jsonl = "jsonl"
    table = "table"


@app.callback()
def _logs() -> None:
    """Read Lambda platform log records."""


@app.command("parse")
@handle_errors
@writes_output
def parse(
    file: str = typer.Argument(
        ...,
        metavar="FILE|-",
        help="A log file: one record per line, or the JSON printed by `aws logs "
        "filter-log-events` / `get-log-events`. `-` reads standard input.",
    ),
    fmt: LogsFormat = typer.Option(
        LogsFormat.jsonl, "--format", "-f", help="Output format: jsonl or table."
    ),
    output: str | None = output_option(),
) -> None:
    """Print one JSON object per REPORT, INIT_REPORT and RESTORE_REPORT record.

    Keys: kind, request_id, duration_ms, billed_ms, memory_mb, max_memory_mb, init_ms,
    restore_ms, billed_restore_ms, status, error_type (null when the record lacks the field).
    A summary of skipped lines goes to stderr.
    """
    stats = ParseStats()
    messages = [message for _source, message in iter_log_file(file)]
    # The same records iter_records reads, with REPORTs in Lambda's own shapes read by the bulk
    # parser's fast path.
    records = [
        r
        for r in parse_messages(messages, stats)
        if isinstance(r, Report | InitReport | RestoreReport)
    ]
    if fmt is LogsFormat.jsonl:
        out = sys.stdout
        for record in records:
            out.write(json.dumps(record.to_json()) + "\n")
    else:
        console = Console()
        if not console.is_terminal:
            console.width = max(console.width, 200)  # files and pipes get whole request ids
        table = Table(title=f"{len(records)} records")
        for key in RECORD_KEYS:
            numeric = key.endswith(("_ms", "_mb"))
            table.add_column(key, justify="right" if numeric else "left", no_wrap=True)
        for record in records:
            row = record.to_json()
            table.add_row(*("" if row[k] is None else str(row[k]) for k in RECORD_KEYS))
        console.print(table)
    print(f"powertune: {stats.summary()}", file=sys.stderr)
