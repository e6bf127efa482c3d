"""`powertune logs parse` through the installed console script, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from powertune.collectors import RECORD_KEYS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "logs" / "sample.log"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], input=stdin, capture_output=True, text=True, cwd=ROOT
    )


def test_parse_sample_log_writes_one_object_per_metric_record_with_exact_keys() -> None:
    result = run("logs", "parse", str(SAMPLE))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 32  # 31 REPORT + 1 RESTORE_REPORT among the 39 real lines
    assert all(list(row) == list(RECORD_KEYS) for row in rows)
    assert {row["kind"] for row in rows} == {"report", "restore_report"}
    assert rows[0]["duration_ms"] == 12.34 and rows[0]["billed_ms"] == 100
    assert "0 malformed" in result.stderr and "5 ignored" in result.stderr


def test_parse_reads_stdin_and_counts_malformed_lines() -> None:
    text = "REPORT RequestId: a\tDuration: x ms\nREPORT RequestId: b\tDuration: 2.00 ms\t\n"
    result = run("logs", "parse", "-", stdin=text)
    assert result.returncode == 0
    assert [json.loads(line)["request_id"] for line in result.stdout.splitlines()] == ["b"]
    assert "1 malformed" in result.stderr and "line 1" in result.stderr


def test_table_format_and_missing_file() -> None:
    table = run("logs", "parse", str(SAMPLE), "--format", "table")
    assert table.returncode == 0
    assert "3604209a-e9a3-11e6-939a-754dd98c7be3" in table.stdout
    missing = run("logs", "parse", "no-such.log")
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        "powertune: error: no such log file: no-such.log"
    ]
    assert "Traceback" not in missing.stderr
