"""`powertune logs parse`: read Lambda platform records out of log files, in chunks."""

from __future__ import annotations

import json
import sys
from enum import Enum

import typer
from rich.console import Console
from rich.table import Table

from powertune.logs import RECORD_KEYS, ParseStats
from powertune.logs.jsonl import metric_lines
from powertune.logs.stream import read_chunks
from powertune_cli.common import handle_errors, output_option, writes_output
from powertune_cli.read_progress import progress_for

app = typer.Typer(help="Read Lambda platform log records (REPORT, INIT_REPORT, RESTORE_REPORT).")


class LogsFormat(str, Enum):
    jsonl = "jsonl"
    table = "table"


@app.callback()
def _logs() -> None:
    """Read Lambda platform log records."""


@app.command("parse", epilog="Example: powertune logs parse exported-logs/ --format table")
@handle_errors
@writes_output
def parse(
    files: list[str] = typer.Argument(
        ...,
        metavar="FILE|DIR|- ...",
        help="Log files or directories (read recursively; gzip read as such): one record per "
        "line (plain, CloudWatch exports to S3, `aws logs tail`, `sam logs`), or the JSON of "
        "`aws logs filter-log-events` / `get-log-events`. `-` reads standard input.",
    ),
    fmt: LogsFormat = typer.Option(
        LogsFormat.jsonl, "--format", "-f", help="Output format: jsonl or table."
    ),
    output: str | None = output_option(),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Show read progress on stderr even when it is no terminal."
    ),
) -> None:
    """Print one JSON object per REPORT, INIT_REPORT and RESTORE_REPORT record.

    Keys: kind, request_id, duration_ms, billed_ms, memory_mb, max_memory_mb, init_ms,
    restore_ms, billed_restore_ms, status, error_type (null when the record lacks the field).
    A summary of skipped lines goes to stderr.
    """
    stats = ParseStats()
    with progress_for(verbose) as on_progress:
        chunks = read_chunks(files, stats, by_function=False, on_progress=on_progress)
        if fmt is LogsFormat.jsonl:
            out = sys.stdout
            for chunk in chunks:
                lines = list(metric_lines(chunk.scan))
                if lines:
                    out.write("\n".join(lines) + "\n")
        else:
            rows = [json.loads(line) for chunk in chunks for line in metric_lines(chunk.scan)]
    if fmt is LogsFormat.table:
        console = Console()
        if not console.is_terminal:
            console.width = max(console.width, 200)  # files and pipes get whole request ids
        table = Table(title=f"{len(rows)} records")
        for key in RECORD_KEYS:
            numeric = key.endswith(("_ms", "_mb"))
            table.add_column(key, justify="right" if numeric else "left", no_wrap=True)
        for row in rows:
            table.add_row(*("" if row[k] is None else str(row[k]) for k in RECORD_KEYS))
        console.print(table)
    # Out before the summary: a full or closed standard output is the one error line, not a
    # summary of a parse whose records never arrived (buffered when stdout is a file).
    sys.stdout.flush()
    print(f"powertune: {stats.summary()}", file=sys.stderr)
