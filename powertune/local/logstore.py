"""In-memory CloudWatch Logs for the local runtime: groups, streams, events, and the read calls.

Serves the JSON protocol (``POST /`` with ``X-Amz-Target: Logs_20140328.<Operation>``):
FilterLogEvents, GetLogEvents, DescribeLogGroups, DescribeLogStreams. Filter patterns support
what a collector needs: terms and quoted phrases (all must match), ``?term`` alternatives, and
JSON patterns like ``{ $.type = "platform.report" && $.record.requestId = "..." }``.
"""

from __future__ import annotations

import json
import re
import shlex
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from powertune.local.errors import ApiError

MAX_EVENTS_PER_PAGE = 10_000
MAX_EVENTS_PER_STREAM = 200_000  # a long-running server drops the oldest beyond this


@dataclass
class LogEvent:
    timestamp: int
    message: str
    ingestion_time: int
    event_id: str


@dataclass
class LogStream:
    name: str
    created: int
    events: list[LogEvent] = field(default_factory=list)


class LogStore:
    """Thread-safe log groups. Streams hold events in write order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[str, dict[str, LogStream]] = {}
        self._created: dict[str, int] = {}
        self._seq = 0

    def append(self, group: str, stream: str, messages: list[tuple[int, str]]) -> None:
        now = int(time.time() * 1000)
        with self._lock:
            streams = self._groups.setdefault(group, {})
            self._created.setdefault(group, now)
            target = streams.setdefault(stream, LogStream(stream, now))
            for timestamp, message in messages:
                self._seq += 1
                target.events.append(LogEvent(timestamp, message, now, f"{self._seq:056d}"))
            if len(target.events) > MAX_EVENTS_PER_STREAM:
                del target.events[: len(target.events) - MAX_EVENTS_PER_STREAM]

    # --- the API -------------------------------------------------------------------------
    def handle(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        handlers = {
            "FilterLogEvents": self._filter_log_events,
            "GetLogEvents": self._get_log_events,
            "DescribeLogGroups": self._describe_log_groups,
            "DescribeLogStreams": self._describe_log_streams,
        }
        if operation not in handlers:
            raise ApiError(
                "UnknownOperationException", f"operation {operation} is not served locally", 400
            )
        return handlers[operation](params)

    def _group(self, params: dict[str, Any]) -> dict[str, LogStream]:
        name = params.get("logGroupName") or params.get("logGroupIdentifier") or ""
        name = name.split(":log-group:", 1)[-1].removesuffix(":*")
        if name not in self._groups:
            raise ApiError(
                "ResourceNotFoundException", "The specified log group does not exist.", 400
            )
        return self._groups[name]

    def _filter_log_events(self, params: dict[str, Any]) -> dict[str, Any]:
        matcher = compile_pattern(params.get("filterPattern") or "")
        start, end = params.get("startTime"), params.get("endTime")
        names = set(params.get("logStreamNames") or [])
        prefix = params.get("logStreamNamePrefix") or ""
        limit = min(int(params.get("limit") or MAX_EVENTS_PER_PAGE), MAX_EVENTS_PER_PAGE)
        offset = int(params.get("nextToken") or 0)
        with self._lock:
            streams = self._group(params)
            found = []
            for stream in streams.values():
                if names and stream.name not in names:
                    continue
                if not stream.name.startswith(prefix):
                    continue
                for event in stream.events:
                    if start is not None and event.timestamp < start:
                        continue
                    if end is not None and event.timestamp > end:
                        continue
                    if matcher(event.message):
                        found.append((stream.name, event))
        found.sort(key=lambda item: (item[1].timestamp, item[1].event_id))
        page = found[offset : offset + limit]
        result: dict[str, Any] = {
            "events": [
                {
                    "logStreamName": stream_name,
                    "timestamp": event.timestamp,
                    "message": event.message,
                    "ingestionTime": event.ingestion_time,
                    "eventId": event.event_id,
                }
                for stream_name, event in page
            ],
            "searchedLogStreams": [],
        }
        if offset + limit < len(found):
            result["nextToken"] = str(offset + limit)
        return result

    def _get_log_events(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            streams = self._group(params)
            stream = streams.get(params.get("logStreamName", ""))
            if stream is None:
                raise ApiError(
                    "ResourceNotFoundException", "The specified log stream does not exist.", 400
                )
            start, end = params.get("startTime"), params.get("endTime")
            events = [
                e
                for e in stream.events
                if (start is None or e.timestamp >= start) and (end is None or e.timestamp < end)
            ]
        limit = min(int(params.get("limit") or MAX_EVENTS_PER_PAGE), MAX_EVENTS_PER_PAGE)
        token = params.get("nextToken")
        if token:
            position = int(token[2:])
            from_head = token.startswith("f/")
        else:
            from_head = bool(params.get("startFromHead"))
            position = 0 if from_head else len(events)
        if from_head:
            page = events[position : position + limit]
            first, after = position, position + len(page)
        else:
            first = max(position - limit, 0)
            page = events[first:position]
            after = position
        return {
            "events": [
                {"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}
                for e in page
            ],
            "nextForwardToken": f"f/{after:056d}",
            "nextBackwardToken": f"b/{first:056d}",
        }

    def _describe_log_groups(self, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("logGroupNamePrefix") or ""
        with self._lock:
            names = sorted(n for n in self._groups if n.startswith(prefix))
            return {
                "logGroups": [
                    {
                        "logGroupName": n,
                        "creationTime": self._created[n],
                        "arn": f"arn:aws:logs:us-east-1:123456789012:log-group:{n}:*",
                        "storedBytes": sum(
                            len(e.message) for s in self._groups[n].values() for e in s.events
                        ),
                    }
                    for n in names
                ]
            }

    def _describe_log_streams(self, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("logStreamNamePrefix") or ""
        with self._lock:
            streams = self._group(params)
            chosen = [s for s in streams.values() if s.name.startswith(prefix)]
            return {
                "logStreams": [
                    {
                        "logStreamName": s.name,
                        "creationTime": s.created,
                        "firstEventTimestamp": s.events[0].timestamp if s.events else None,
                        "lastEventTimestamp": s.events[-1].timestamp if s.events else None,
                    }
                    for s in sorted(chosen, key=lambda s: s.name)
                ]
            }


# --- filter patterns ----------------------------------------------------------------------
_JSON_CLAUSE = re.compile(r"\s*\$\.([\w.\[\]]+)\s*(=|!=)\s*(\"[^\"]*\"|[^\s&|)]+)\s*")


def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """A predicate over a log message for a CloudWatch Logs filter pattern (a useful subset)."""
    pattern = pattern.strip()
    if not pattern:
        return lambda message: True
    if pattern.startswith("{") and pattern.endswith("}"):
        return _json_pattern(pattern[1:-1])
    try:
        terms = shlex.split(pattern)
    except ValueError as exc:
        raise ApiError("InvalidParameterException", f"Invalid filter pattern: {exc}", 400) from exc
    optional = [t[1:] for t in terms if t.startswith("?")]
    required = [t for t in terms if not t.startswith("?") and not t.startswith("-")]
    excluded = [t[1:] for t in terms if t.startswith("-") and len(t) > 1]

    def match(message: str) -> bool:
        if optional:
            return any(t in message for t in optional)
        return all(t in message for t in required) and not any(t in message for t in excluded)

    return match


def _json_pattern(body: str) -> Callable[[str], bool]:
    if "||" in body:
        alternatives = [_json_pattern(part) for part in body.split("||")]
        return lambda message: any(alt(message) for alt in alternatives)
    clauses = []
    for part in body.split("&&"):
        found = _JSON_CLAUSE.fullmatch(part)
        if found is None:
            raise ApiError("InvalidParameterException", f"Invalid filter pattern: {body}", 400)
        path, op, raw = found.groups()
        expected = raw[1:-1] if raw.startswith('"') else raw
        clauses.append((path.split("."), op, expected))

    def match(message: str) -> bool:
        try:
            value: Any = json.loads(message)
        except ValueError:
            return False
        for keys, op, expected in clauses:
            current = value
            for key in keys:
                current = current.get(key) if isinstance(current, dict) else None
            if current is None:
                return False
            text = current if isinstance(current, str) else json.dumps(current)
            if (text == expected) != (op == "="):
                return False
        return True

    return match
