"""Exports read in chunks, in every layout, give what the general parser gives record by record.

Each layout is written here in its real shape (CloudWatch Logs export to S3, `aws logs tail`,
`sam logs`, `filter-log-events` JSON, CloudWatch event lines, JSON log format records), read
through ``summarize`` / ``read_chunks`` with blocks and batches made tiny so that every chunk
boundary is crossed, and compared with the general parser over the same records.
"""

from __future__ import annotations

import gzip
import json
import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from powertune.errors import InputError
from powertune.logs import ParseStats, Report, iter_records
from powertune.logs import inputs as inputs_module
from powertune.logs.aggregate import summarize
from powertune.logs.bulk import ENGINES, Engine, scan_buffer
from powertune.logs.inputs import function_from_path
from powertune.logs.jsonl import fast_lines, metric_lines
from powertune.logs.sketch import EXACT_LIMIT, RELATIVE_ERROR, QuantileSketch
from powertune.logs.stream import ReadProgress, read_chunks

TASK = "6f2b1c4d-8e9a-4b3c-a1d2-e3f4a5b6c7d8"  # an export task id


def invocation(i: int, memory: int = 256, cold: bool = False) -> list[str]:
    """The messages of one invocation, as Lambda writes them (text log format)."""
    rid = f"{i:08x}-0b4d-4c2e-9f3a-1d2e3f4a5b6c"
    init = f"Init Duration: {200 + i % 7}.{i % 100:02d} ms\t" if cold else ""
    status = "Status: timeout\t" if i % 11 == 5 else ""
    out = ["INIT_START Runtime Version: python:3.12.v18"] if cold else []
    out += [
        f"START RequestId: {rid} Version: $LATEST",
        f"2026-03-01T12:00:00.000Z\t{rid}\tINFO\tprocessing {i}",
    ]
    if i % 11 == 5:
        out.append(f"2026-03-01T12:00:03.000Z {rid} Task timed out after 3.00 seconds")
    out += [
        f"END RequestId: {rid}",
        f"REPORT RequestId: {rid}\tDuration: {i % 97 + 0.25 * (i % 4)} ms\tBilled Duration: "
        f"{i % 97 + 1} ms\tMemory Size: {memory} MB\tMax Memory Used: {60 + i % 30} MB\t"
        f"{init}{status}",
    ]
    return out


def messages(n: int, start: int = 0, memory: int = 256) -> list[str]:
    return [m for i in range(start, start + n) for m in invocation(i, memory, i % 9 == 0)]


def stamped(msgs: list[str]) -> list[str]:
    return [f"2026-03-01T12:00:{i % 60:02d}.{i % 1000:03d}Z {m}" for i, m in enumerate(msgs)]


def truth(msgs: list[str]) -> tuple[list[Report], int]:
    """The general parser's REPORTs of the messages, and their timeout lines."""
    reports = [r for r in iter_records(msgs) if isinstance(r, Report)]
    return reports, sum("Task timed out after" in m for m in msgs)


def nearest_rank(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


@pytest.fixture(autouse=True)
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs_module, "BLOCK_BYTES", 512)
    monkeypatch.setattr(inputs_module, "BATCH_EVENTS", 7)
    monkeypatch.setattr(inputs_module, "_SNIFF_BYTES", 300)


def assert_summary_matches(summary_fn: object, name: str, msgs: list[str]) -> None:
    """The summarised function equals what the general parser reads from ``msgs``."""
    reports, timeouts = truth(msgs)
    group = summary_fn.functions[name]  # type: ignore[attr-defined]
    assert group.reports == len(reports)
    size = group.sizes[reports[0].memory_mb]
    durations = [r.duration_ms for r in reports]
    assert size.duration.count == len(durations)
    assert size.duration.total == pytest.approx(sum(durations))
    for pct in (50, 95, 99):
        assert size.duration.percentile(pct) == nearest_rank(durations, pct)
        assert size.billed.percentile(pct) == nearest_rank([r.billed_ms for r in reports], pct)
    assert size.max_memory.largest() == max(r.max_memory_mb for r in reports)
    assert size.init.count == sum(r.init_ms is not None for r in reports)
    assert size.timeouts == sum(r.status == "timeout" for r in reports)
    assert group.timeout_lines == timeouts


@pytest.mark.parametrize("engine", ENGINES)
def test_a_cloudwatch_export_to_s3_one_gzip_per_stream(tmp_path: Path, engine: Engine) -> None:
    # PREFIX/TASK-ID/LOG-STREAM/000000.gz, every line "<ISO timestamp> <message>"
    export = tmp_path / "exports" / "orders" / TASK
    written: list[str] = []
    for k in range(3):
        stream = export / "2026" / "03" / "01" / f"[$LATEST]{k:032x}"
        stream.mkdir(parents=True)
        msgs = messages(40, start=100 * k)
        written += msgs
        (stream / "000000.gz").write_bytes(gzip.compress("\n".join(stamped(msgs)).encode()))
    summary = summarize([tmp_path / "exports"], engine=engine)
    assert list(summary.functions) == ["orders"]
    assert_summary_matches(summary, "orders", written)
    assert summary.stats.malformed == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_aws_logs_tail_and_sam_logs_text_output(tmp_path: Path, engine: Engine) -> None:
    msgs = messages(60)
    stream = "2026/03/01/[$LATEST]0123456789abcdef"
    tail = [f"2026-03-01T12:00:00.123000+00:00 {stream} {m}" for m in msgs]
    sam = [f"{stream} 2026-03-01T12:00:00.123000 {m}" for m in msgs]
    (tmp_path / "tail-orders.log").write_text("\n".join(tail) + "\n")
    (tmp_path / "sam-orders.txt").write_text("\n".join(sam))
    summary = summarize([tmp_path / "tail-orders.log", tmp_path / "sam-orders.txt"], engine=engine)
    assert sorted(summary.functions) == ["sam-orders", "tail-orders"]
    assert_summary_matches(summary, "tail-orders", msgs)
    assert_summary_matches(summary, "sam-orders", msgs)


def _events(msgs: list[str], group: str | None = None) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i, m in enumerate(msgs):
        event: dict[str, object] = {"logStreamName": "2026/03/01/[$LATEST]abc"}
        if group:
            event["logGroupName"] = group
        event.update(timestamp=1772366400000 + i, message=m + "\n", ingestionTime=1, eventId=str(i))
        out.append(event)
    return out


@pytest.mark.parametrize("engine", ENGINES)
def test_filter_log_events_json_with_several_functions(tmp_path: Path, engine: Engine) -> None:
    a, b = messages(30, memory=512), messages(25, start=500, memory=1024)
    events = _events(a, "/aws/lambda/alpha") + _events(b, "/aws/lambda/beta")
    random.Random(4).shuffle(events)
    doc = {"events": events, "searchedLogStreams": [], "nextToken": "x"}
    (tmp_path / "pretty.json").write_text(json.dumps(doc, indent=4))
    (tmp_path / "pages.json").write_text(json.dumps(doc) + "\n" + json.dumps([events[0]]))
    for name in ("pretty.json", "pages.json"):
        summary = summarize([tmp_path / name], engine=engine)
        assert sorted(summary.functions) == ["alpha", "beta"]
        assert_summary_matches(summary, "beta", b)
    summary = summarize([tmp_path / "pretty.json"], engine=engine)
    assert_summary_matches(summary, "alpha", a)
    one = summarize([tmp_path / "pretty.json"], function="merged", engine=engine)
    assert list(one.functions) == ["merged"] and one.functions["merged"].reports == 55


@pytest.mark.parametrize("engine", ENGINES)
def test_cloudwatch_events_one_per_line_and_json_log_format(tmp_path: Path, engine: Engine) -> None:
    msgs = messages(20)
    lines = [json.dumps(e) for e in _events(msgs, "/aws/lambda/lined")]
    (tmp_path / "events.jsonl").write_text("\n".join(lines))
    summary = summarize([tmp_path / "events.jsonl"], engine=engine)
    assert_summary_matches(summary, "lined", msgs)
    records = [
        json.dumps(
            {
                "time": "2026-03-01T12:00:00.000Z",
                "type": "platform.report",
                "record": {
                    "requestId": f"r{i}",
                    "metrics": {
                        "durationMs": 1.5 + i,
                        "billedDurationMs": 2 + i,
                        "memorySizeMB": 128,
                        "maxMemoryUsedMB": 30,
                    },
                    "status": "success",
                },
            },
            separators=(",", ":"),
        )
        for i in range(30)
    ]
    mixed = [x for r in records for x in (r, '{"level":"INFO","message":"hi"}')]
    (tmp_path / "json-format.log").write_text("\n".join(mixed))
    summary = summarize([tmp_path / "json-format.log"], engine=engine)
    group = summary.functions["json-format"]
    assert group.formats == Counter({"json": 30, "text": 0})
    assert_summary_matches(summary, "json-format", mixed)


@pytest.mark.parametrize("engine", ENGINES)
def test_gzip_is_read_by_its_bytes_not_its_name(tmp_path: Path, engine: Engine) -> None:
    msgs = messages(15)
    (tmp_path / "plain.log").write_text("\n".join(msgs))
    (tmp_path / "zipped.log").write_bytes(gzip.compress("\n".join(msgs).encode()))
    marked = msgs[-1:] + msgs  # a REPORT first, behind a byte-order mark
    (tmp_path / "marked.log").write_bytes(b"\xef\xbb\xbf" + "\n".join(marked).encode())
    a = summarize([tmp_path / "plain.log"], function="f", engine=engine)
    b = summarize([tmp_path / "zipped.log"], function="f", engine=engine)
    c = summarize([tmp_path / "marked.log"], function="f", engine=engine)
    assert a.stats == b.stats
    assert_summary_matches(b, "f", msgs)
    assert_summary_matches(c, "f", marked)


def test_functions_named_by_the_path(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    assert function_from_path(root / "orders.log.gz", None) == "orders"
    assert function_from_path(root / "a" / "aws" / "lambda" / "pay" / "x.gz", root) == "pay"
    assert function_from_path(root / "aws-lambda-ship" / "f.gz", root) == "ship"
    assert function_from_path(root / "orders" / TASK / "2026" / "x" / "000000.gz", root) == "orders"
    assert function_from_path(root / TASK / "2026" / "x" / "000000.gz", root) == "logs"
    assert function_from_path(root / "billing" / "part-1.log", root) == "billing"
    assert function_from_path(root / "part-1.log", root) == "part-1"


def test_missing_inputs_and_broken_json_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such log file"):
        summarize([tmp_path / "nope.log"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no log files"):
        summarize([tmp_path / "empty"])
    (tmp_path / "cut.json").write_text('{"events": [{"message": "REPORT RequestId: a')
    with pytest.raises(InputError, match="JSON"):
        summarize([tmp_path / "cut.json"])


def test_progress_is_reported_until_the_whole_size_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_text("\n".join(messages(200)))
    seen: list[ReadProgress] = []
    summarize([path], on_progress=seen.append)
    assert seen and seen[-1].done
    assert seen[-1].bytes_read == seen[-1].bytes_total == path.stat().st_size
    assert seen[-1].records == sum(summarize([path]).stats.records.values())
    assert [p.bytes_read for p in seen] == sorted(p.bytes_read for p in seen)


@pytest.mark.parametrize("engine", ENGINES)
def test_jsonl_lines_are_json_dumps_of_the_records_in_order(tmp_path: Path, engine: Engine) -> None:
    msgs = [*messages(12), "INIT_REPORT Init Duration: 243.38 ms\tPhase: init", *messages(3, 50)]
    path = tmp_path / "x.log"
    path.write_text("\n".join(msgs))
    got = [
        line
        for c in read_chunks([path], ParseStats(), engine=engine)
        for line in metric_lines(c.scan)
    ]
    want = [
        json.dumps(r.to_json()) for r in iter_records(msgs) if r.kind != "start" and r.kind != "end"
    ]
    assert got == want
    table = scan_buffer("\n".join(msgs).encode(), engine=engine).table
    assert fast_lines(table, 0, len(table)) == [json.dumps(r.to_json()) for r in table.to_reports()]


def test_the_sketch_is_exact_while_small_and_within_its_bound_after() -> None:
    rng = np.random.default_rng(7)
    small = rng.lognormal(3, 1, EXACT_LIMIT // 2)
    sketch = QuantileSketch()
    sketch.add(small)
    assert sketch.exact
    for pct in (1, 50, 95, 99, 100):
        assert sketch.percentile(pct) == nearest_rank(small.tolist(), pct)
    big = rng.lognormal(3, 1.5, 200_000)
    parts = [QuantileSketch() for _ in range(4)]
    for part, values in zip(parts, np.array_split(big, 4), strict=True):
        part.add(values)
    merged = parts[0]
    for part in parts[1:]:
        merged.merge(part)
    whole = QuantileSketch()
    whole.add(big)
    assert not whole.exact and merged.count == whole.count == len(big)
    for pct in (1, 50, 90, 95, 99, 99.9):
        exact = nearest_rank(big.tolist(), pct)
        for s in (whole, merged):
            value = s.percentile(pct)
            assert value is not None
            assert abs(value - exact) <= RELATIVE_ERROR * exact * (1 + 1e-9)
    assert whole.largest() == big.max() and whole.mean() == pytest.approx(big.mean())
    ints = QuantileSketch(integer=True)
    ints.add(np.array([3.0, np.nan, 5.0]))
    assert ints.count == 2 and ints.percentile(50) == 3 and isinstance(ints.largest(), int)


@pytest.mark.parametrize("engine", ENGINES)
def test_aws_logs_tail_json_format_pretty_prints_json_messages(
    tmp_path: Path, engine: Engine
) -> None:
    stream = "2026/03/01/[$LATEST]0123456789abcdef"
    out, msgs = [], []
    for i in range(12):
        record = {
            "time": "2026-03-01T12:00:00.000Z",
            "type": "platform.report",
            "record": {
                "requestId": f"r{i}",
                "metrics": {
                    "durationMs": 10.5 + i,
                    "billedDurationMs": 11 + i,
                    "memorySizeMB": 256,
                    "maxMemoryUsedMB": 70,
                },
                "status": "success",
            },
        }
        msgs.append(json.dumps(record))
        out.append(f"2026-03-01T12:00:0{i % 10}.000000+00:00 {stream}")
        out.extend(json.dumps(record, indent=4).splitlines())
        out.append(f"2026-03-01T12:00:0{i % 10}.000000+00:00 {stream} plain text line {i}")
    (tmp_path / "tail.json").write_text("\n".join(out) + "\n")
    summary = summarize([tmp_path / "tail.json"], engine=engine)
    assert_summary_matches(summary, "tail", msgs)
    assert summary.functions["tail"].formats["json"] == 12
    assert summary.stats.ignored == 12 and summary.stats.malformed == 0
