"""Where log records come from: files, standard input, CloudWatch JSON exports, Invoke tails."""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from powertune.collectors.parse import ParseStats, is_cloudwatch_event, try_parse_record
from powertune.collectors.records import Record
from powertune.errors import InputError

Message = tuple[str | None, str]  # (log group or stream when known, the record text)


def iter_log_text(text: str) -> Iterator[Message]:
    """Messages of a log export: one record per line, or the JSON that
    ``aws logs filter-log-events`` / ``get-log-events`` print (one document or several)."""
    text = text.lstrip("\ufeff")
    head = text.lstrip()[:1]
    if head in ("{", "["):
        events = _json_events(text)
        if events is not None:
            yield from events
            return
    for line in text.splitlines():
        if line.startswith("{") and '"message"' in line:
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError):
                obj = None
            if is_cloudwatch_event(obj):
                yield _event_source(obj), obj["message"]
                continue
        yield None, line


def iter_log_file(path: str | Path | IO[str]) -> Iterator[Message]:
    """Messages of a file (``-`` is standard input). A missing file raises InputError."""
    if not isinstance(path, str | Path):
        yield from iter_log_text(path.read())
        return
    if str(path) == "-":
        yield from iter_log_text(sys.stdin.read())
        return
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError(f"no such log file: {path}") from None
    except IsADirectoryError:
        raise InputError(f"is a directory, not a log file: {path}") from None
    yield from iter_log_text(text)


def decode_log_result(
    log_result: str | bytes | None, stats: ParseStats | None = None
) -> list[Record]:
    """The records in an Invoke response's LogResult (base64 of the log's last 4 KB).

    The tail may begin mid-line or mid-character: that first fragment is simply not a record.
    """
    return [
        record
        for line_no, line in enumerate(log_result_lines(log_result), start=1)
        if (record := try_parse_record(line, stats, line_no)) is not None
    ]


def log_result_lines(log_result: str | bytes | None) -> list[str]:
    """The decoded lines of a LogResult (empty when there is none or it is not base64)."""
    if not log_result:
        return []
    try:
        raw = base64.b64decode(log_result, validate=False)
    except (binascii.Error, ValueError):
        return []
    return raw.decode("utf-8", errors="replace").splitlines()


def _json_events(text: str) -> list[Message] | None:
    """Events of one or more concatenated JSON documents; None when the text is not that."""
    decoder = json.JSONDecoder()
    events: list[Message] = []
    index, end = 0, len(text)
    while True:
        while index < end and text[index].isspace():
            index += 1
        if index >= end:
            return events
        try:
            doc, index = decoder.raw_decode(text, index)
        except (ValueError, RecursionError):
            return None
        found = _doc_events(doc)
        if found is None:
            return None
        events.extend(found)


def _doc_events(doc: Any) -> list[Message] | None:
    items: Any
    if isinstance(doc, dict) and isinstance(doc.get("events"), list):
        items = doc["events"]
    elif isinstance(doc, list):
        items = doc
    else:
        return None
    out: list[Message] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("message"), str):
            out.append((_event_source(item), item["message"]))
        elif isinstance(item, str):
            out.append((None, item))
    return out


def _event_source(event: dict[str, Any]) -> str | None:
    source = event.get("logGroupName") or event.get("logStreamName")
    return source if isinstance(source, str) else None
