"""`powertune logs parse` through the installed console script, as a user runs it."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

from powertune.logs import RECORD_KEYS, ParseStats, iter_log_file, iter_records
from powertune.logs.records import InitReport, Report, RestoreReport

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "logs" / "sample.log"


def run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=None if env is None else {**os.environ, **env},
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


MIXED_TEXT = [
    "REPORT RequestId: 8f5e2c1a-0b4d-4c2e-9f3a-1d2e3f4a5b6c\tDuration: 4157.16 ms\tBilled Duration: 4158 ms\tMemory Size: 256 MB\tMax Memory Used: 99 MB\tInit Duration: 841.60 ms\t",
    '{"time":"2024-02-09T08:42:44.080Z","type":"platform.report","record":{"requestId":"d661f7cf","metrics":{"durationMs":1.31,"billedDurationMs":2,"memorySizeMB":128,"maxMemoryUsedMB":68},"status":"success"}}',
    "INIT_REPORT Init Duration: 243.38 ms\tPhase: init\tStatus: error\tError Type: Runtime.Unknown",
    "RESTORE_REPORT Restore Duration: 474.16 ms\tBilled Restore Duration: 475 ms",
    "START RequestId: 8f5e2c1a Version: $LATEST",
    "REPORT RequestId: a\tDuration: x ms",
    "REPORT RequestId: b\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\tStatus: timeout\tError Type: Sandbox.Timedout\t",
    "2024-02-09T08:42:44.080Z\tb\tINFO\thello",
]


def test_parse_prints_what_the_general_parser_reads_in_text_and_cloudwatch_exports(
    tmp_path: Path,
) -> None:
    text_log = tmp_path / "mixed.log"
    text_log.write_text("\n".join(MIXED_TEXT * 3) + "\n")
    # the JSON that `aws logs filter-log-events` prints: each message ends with a newline
    events = [
        {"logStreamName": "s", "message": m + "\n", "eventId": str(i)}
        for i, m in enumerate(MIXED_TEXT)
    ]
    json_log = tmp_path / "events.json"
    json_log.write_text(json.dumps({"events": events}))
    for path in (text_log, json_log):
        stats = ParseStats()
        messages = [message for _source, message in iter_log_file(path)]
        want = [
            json.dumps(r.to_json())
            for r in iter_records(messages, stats)
            if isinstance(r, Report | InitReport | RestoreReport)
        ]
        fast = run("logs", "parse", str(path))
        numpy_only = run("logs", "parse", str(path), env={"POWERTUNE_PURE_PYTHON": "1"})
        for result in (fast, numpy_only):
            assert result.returncode == 0, result.stderr
            assert result.stdout.splitlines() == want
            assert result.stderr == f"powertune: {stats.summary()}\n"
        assert [json.loads(line)["kind"] for line in want[:4]] == [
            "report",
            "report",
            "init_report",
            "restore_report",
        ]


def test_parse_reads_directories_and_gzip_and_shows_progress_only_on_stderr(
    tmp_path: Path,
) -> None:
    lines = [line for line in SAMPLE.read_text().splitlines()]
    stream = tmp_path / "export" / "orders" / "6f2b1c4d-8e9a-4b3c-a1d2-e3f4a5b6c7d8" / "s1"
    stream.mkdir(parents=True)
    stamped = [f"2026-03-01T12:00:00.000Z {line}" for line in lines]
    (stream / "000000.gz").write_bytes(gzip.compress("\n".join(stamped).encode()))
    result = run("logs", "parse", "-v", str(tmp_path / "export"))
    assert result.returncode == 0, result.stderr
    want = [r.to_json() for r in iter_records(stamped) if r.kind not in ("start", "end")]
    assert [json.loads(line) for line in result.stdout.splitlines()] == want
    assert "powertune: read " in result.stderr and "records/s" in result.stderr
    assert "done in" in result.stderr


def test_analyze_from_logs_names_functions_by_path_and_notes_managed_instances(
    tmp_path: Path,
) -> None:
    text = SAMPLE.read_text()
    (tmp_path / "orders.log.gz").write_bytes(gzip.compress(text.encode()))
    managed = [
        json.dumps(
            {
                "time": "2026-03-01T12:00:00Z",
                "type": "platform.report",
                "record": {"requestId": f"m{i}", "metrics": {"durationMs": 10.0 + i}},
            }
        )
        for i in range(5)
    ]
    (tmp_path / "fleet.log").write_text("\n".join(managed) + "\n")
    out = tmp_path / "a.json"
    result = run(
        "analyze",
        "--from-logs",
        str(tmp_path / "orders.log.gz"),
        str(tmp_path / "fleet.log"),
        "--json",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    names = [f["name"] for f in json.loads(out.read_text())["functions"]]
    assert names == ["orders"]
    assert "fleet: 5 REPORT records without Memory Size" in result.stderr
    alone = run("analyze", "--from-logs", str(tmp_path / "fleet.log"))
    assert alone.returncode == 2
    assert "5 without one, as Lambda Managed Instances write them" in alone.stderr
    assert "Traceback" not in alone.stderr
