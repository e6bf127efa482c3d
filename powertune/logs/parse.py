"""Parse Lambda platform log records (text and JSON log formats) into typed records.

The parser never raises on input: a line that is a platform record but cannot be read exactly is
skipped and counted as malformed; function log lines and XRAY segments are recognised and ignored.

Text REPORT fields are read as ``Key: value unit`` pairs, where a key is a run of capitalised words
that starts after whitespace. That is what keeps "Duration" from being read out of "Billed
Duration", "Init Duration", "Restore Duration" or "Billed Restore Duration" — the mistake naive
``Duration: (\\d+)`` patterns make — whatever the separators (tabs, one or several spaces) and
whatever the field order.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from powertune.logs.records import End, InitReport, Record, Report, RestoreReport, Start

# Prefixes that tools put before a record: ISO timestamps (`aws logs tail`, CloudWatch exports),
# log stream names (`sam logs`: 2021/08/03/[$LATEST]0c1d...), and log group names.
_PREFIX = re.compile(
    r"(?:(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?"
    r"|\d{4}/\d\d/\d\d/(?:[\w.-]+)?\[[^\]\s]*\]\S*"
    r"|/aws/lambda/\S+"
    r"|\d{13})"  # epoch milliseconds
    r"[ \t]+){1,3}"
)
# A key: capitalised words (a capital, then a lower-case letter, so units such as "MB" are not
# words) separated by single blanks, starting after whitespace, then a colon; or an XRAY segment.
_KEY = re.compile(
    r"(?:(?<=[ \t])|^)(XRAY[ \t]+TraceId|[A-Z][a-z][A-Za-z]*(?:[ \t][A-Z][a-z][A-Za-z]*)*):"
)
_REQUEST_ID = re.compile(r"[ \t]*RequestId:[ \t]*([^ \t]+)")
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)(?:[ \t]*(ms|MB))?")
_INT = re.compile(r"(\d+)(?:[ \t]*(ms|MB))?")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_JSON_INT = r"(0|[1-9]\d*)"
_JSON_NUM = r"((?:0|[1-9]\d*)(?:\.\d+)?)"
# The compact JSON platform.report Lambda writes today, read in one match (JSON number grammar,
# strings without escapes); anything else goes through json.loads below, with the same result.
_CANONICAL_JSON_REPORT = re.compile(
    r'\{"time":"[^"\\]*","type":"platform\.report","record":\{"requestId":"([^"\\]*)",'
    r'"metrics":\{"durationMs":'
    + _JSON_NUM
    + r',"billedDurationMs":'
    + _JSON_INT
    + r',"memorySizeMB":'
    + _JSON_INT
    + r',"maxMemoryUsedMB":'
    + _JSON_INT
    + r'(?:,"initDurationMs":'
    + _JSON_NUM
    + r')?\}(?:,"status":"([^"\\]*)")?\}\}'
)
# The exact shape Lambda writes a text REPORT in today (after strip()): read in one match. Any
# other shape goes through the general key/value reading below, which gives the same values.
_CANONICAL_REPORT = re.compile(
    r"REPORT RequestId: ([^ \t]+)\tDuration: (\d+(?:\.\d+)?) ms\tBilled Duration: (\d+) ms"
    r"\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB(?:\tInit Duration: (\d+(?:\.\d+)?) ms)?"
)

# Text field name -> (attribute, kind, unit); kind "f" float, "i" int, "s" string.
_TEXT_FIELDS: dict[str, tuple[str, str, str | None]] = {
    "RequestId": ("request_id", "s", None),
    "Duration": ("duration_ms", "f", "ms"),
    "Billed Duration": ("billed_ms", "i", "ms"),
    "Memory Size": ("memory_mb", "i", "MB"),
    "Max Memory Used": ("max_memory_mb", "i", "MB"),
    "Init Duration": ("init_ms", "f", "ms"),
    "Restore Duration": ("restore_ms", "f", "ms"),
    "Billed Restore Duration": ("billed_restore_ms", "i", "ms"),
    "Status": ("status", "s", None),
    "Error Type": ("error_type", "s", None),
    "Phase": ("phase", "s", None),
    "Version": ("version", "s", None),
}
# JSON metric name -> (attribute, kind)
_JSON_METRICS: dict[str, tuple[str, str]] = {
    "durationMs": ("duration_ms", "f"),
    "billedDurationMs": ("billed_ms", "i"),
    "memorySizeMB": ("memory_mb", "i"),
    "maxMemoryUsedMB": ("max_memory_mb", "i"),
    "initDurationMs": ("init_ms", "f"),
    "restoreDurationMs": ("restore_ms", "f"),
    "billedRestoreDurationMs": ("billed_restore_ms", "i"),
}
# Platform lines that carry nothing the tuner needs: recognised, then ignored.
_IGNORED_TEXT = ("XRAY ", "INIT_START", "EXTENSION", "TELEMETRY", "LOGS ", "RESTORE_START")


class Malformed(ValueError):
    """A platform record that cannot be read exactly (internal: turned into a counted skip)."""


@dataclass
class ParseStats:
    """What a parse saw: records by kind, ignored lines, and malformed records (with examples)."""

    lines: int = 0
    records: Counter[str] = field(default_factory=Counter)
    ignored: int = 0
    malformed: int = 0
    examples: list[tuple[int, str, str]] = field(default_factory=list)  # (line no, reason, text)
    overlong: int = 0  # lines longer than the readers' bound, skipped unread (counted in lines)
    notes: list[str] = field(default_factory=list)  # what went odd while reading (file shrank)

    def skip(self, line_no: int, reason: str, text: str) -> None:
        self.malformed += 1
        if len(self.examples) < 5:
            self.examples.append((line_no, reason, text[:160]))

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.records.items())) or "no records"
        text = f"{self.lines} lines: {kinds}; {self.ignored} ignored; {self.malformed} malformed"
        if self.overlong:
            text += f"; {self.overlong} overlong lines skipped"
        for note in self.notes:
            text += f"\n  {note}"
        for line_no, reason, sample in self.examples:
            text += f"\n  line {line_no}: {reason}: {sample!r}"
        return text


def parse_record(text: str) -> Record | None:
    """Parse one log record (a line, or a CloudWatch event message).

    Returns None for anything that is not a record the tuner reads (function logs, XRAY, other
    platform lines). Raises Malformed for a platform record that cannot be read exactly.
    """
    body = text.strip()
    if not body:
        return None
    record = _parse_body(body)
    if record is not _NOT_PLATFORM:
        return record  # type: ignore[return-value]
    match = _PREFIX.match(body)
    if match:
        record = _parse_body(body[match.end() :])
        if record is not _NOT_PLATFORM:
            return record  # type: ignore[return-value]
    return None


def try_parse_record(text: str, stats: ParseStats | None = None, line_no: int = 0) -> Record | None:
    """Like parse_record, but never raises: malformed records are counted in ``stats``."""
    try:
        record = parse_record(text)
    except Malformed as exc:
        if stats is not None:
            stats.skip(line_no, str(exc), text)
        return None
    except Exception as exc:  # the parser must never raise on input, whatever it is fed
        if stats is not None:
            stats.skip(line_no, f"unexpected {type(exc).__name__}", text)
        return None
    if stats is not None:
        if record is None:
            stats.ignored += 1
        else:
            stats.records[record.kind] += 1
    return record


def iter_records(messages: Iterable[str], stats: ParseStats | None = None) -> Iterator[Record]:
    """Parse many records, skipping (and counting) what cannot be read."""
    stats = stats if stats is not None else ParseStats()
    for line_no, message in enumerate(messages, start=1):
        stats.lines += 1
        record = try_parse_record(message, stats, line_no)
        if record is not None:
            yield record


_NOT_PLATFORM = object()


def is_cloudwatch_event(obj: Any) -> bool:
    """A CloudWatch Logs event as get-log-events / filter-log-events print it.

    A structured function log also has "timestamp" and "message", but never these keys.
    """
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("message"), str)
        and ("ingestionTime" in obj or "eventId" in obj or "logStreamName" in obj)
    )


def _parse_body(body: str) -> object:
    first = body[0]
    if first == "{":
        canonical = _CANONICAL_JSON_REPORT.fullmatch(body)
        if canonical is not None:
            rid, duration, billed, memory, used, init, status = canonical.groups()
            return Report(
                request_id=rid,
                duration_ms=float(duration),
                billed_ms=int(billed),
                memory_mb=int(memory),
                max_memory_mb=int(used),
                init_ms=None if init is None else float(init),
                status=status,
                log_format="json",
            )
        return _parse_json(body)
    if first == "R":
        canonical = _CANONICAL_REPORT.fullmatch(body)
        if canonical is not None:
            rid, duration, billed, memory, used, init = canonical.groups()
            return Report(
                request_id=rid,
                duration_ms=float(duration),
                billed_ms=int(billed),
                memory_mb=int(memory),
                max_memory_mb=int(used),
                init_ms=None if init is None else float(init),
            )
        if body.startswith("REPORT ") or body == "REPORT":
            return _parse_text(Report, body[7:])
        if body.startswith("RESTORE_REPORT"):
            return _parse_text(RestoreReport, body[14:])
        if body.startswith("RESTORE_START"):
            return None
    elif first == "S" and body.startswith("START "):
        fields = _text_fields(body[6:])
        return Start(request_id=fields.get("request_id"), version=fields.get("version"))
    elif first == "E":
        if body.startswith("END "):
            return End(request_id=_text_fields(body[4:]).get("request_id"))
        if body.startswith("EXTENSION"):
            return None
    elif first == "I":
        if body.startswith("INIT_REPORT"):
            return _parse_text(InitReport, body[11:])
        if body.startswith("INIT_START"):
            return None
    if body.startswith(_IGNORED_TEXT):
        return None
    return _NOT_PLATFORM


def _text_fields(text: str) -> dict[str, Any]:
    """Read ``Key: value unit`` pairs; stop at an XRAY segment on the same record."""
    # Lambda's separators are tabs or spaces; an escaped tab/newline (a one-record-per-line export
    # that wrote "\t" or "\n" as two characters) is the same separator.
    if "\\" in text:
        text = text.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r")
    text = text.replace("\r", " ").replace("\n", "\t")
    fields: dict[str, Any] = {}
    # The request id comes first and is one token, whatever it looks like ("Abc" is no key).
    first = _REQUEST_ID.match(text)
    if first:
        fields["request_id"] = first.group(1)
        text = text[first.end() :]
    keys = list(_KEY.finditer(text))
    for i, match in enumerate(keys):
        name = match.group(1)
        if name.startswith("XRAY"):
            break
        end = keys[i + 1].start() if i + 1 < len(keys) else len(text)
        raw = text[match.end() : end].strip(" \t")
        spec = _TEXT_FIELDS.get(_collapse(name))
        if spec is None:
            continue  # a field this version does not know: ignore it rather than misread it
        attr, kind, unit = spec
        if attr in fields:
            raise Malformed(f"repeated field {name!r}")
        fields[attr] = _text_value(name, raw, kind, unit)
    return fields


def _collapse(name: str) -> str:
    return " ".join(name.split()) if ("  " in name or "\t" in name) else name


def _text_value(name: str, raw: str, kind: str, unit: str | None) -> Any:
    if kind == "s":
        value = raw.split()[0] if raw.split() else ""
        if not value:
            raise Malformed(f"empty {name}")
        return value
    match = (_NUMBER if kind == "f" else _INT).fullmatch(raw)
    if match is None:
        raise Malformed(f"bad {name} value {raw!r}")
    if match.group(2) is not None and unit is not None and match.group(2) != unit:
        raise Malformed(f"bad {name} unit {match.group(2)!r}")
    return float(match.group(1)) if kind == "f" else int(match.group(1))


def _parse_text(cls: type, rest: str) -> Record:
    fields = _text_fields(rest)
    if cls is Report:
        if "duration_ms" not in fields:
            raise Malformed("REPORT without Duration")
        fields.pop("phase", None)
        fields.pop("version", None)
        return Report(**fields)
    if cls is InitReport:
        if "init_ms" not in fields:
            raise Malformed("INIT_REPORT without Init Duration")
        fields.pop("version", None)
        return InitReport(**fields)
    if "restore_ms" not in fields:
        raise Malformed("RESTORE_REPORT without Restore Duration")
    fields.pop("phase", None)
    fields.pop("version", None)
    return RestoreReport(**fields)


def _load_json(body: str) -> Any:
    try:
        return json.loads(body)
    except RecursionError:
        raise Malformed("JSON nested too deeply") from None
    except ValueError:
        if '"platform.' not in body:
            return _NOT_PLATFORM  # a function's own (broken) JSON log line
        try:
            # Some exports leave a trailing comma inside the object; nothing else is forgiven.
            return json.loads(_TRAILING_COMMA.sub(r"\1", body))
        except ValueError:
            raise Malformed("invalid JSON") from None


def _parse_json(body: str) -> object:
    obj = _load_json(body)
    if obj is _NOT_PLATFORM or not isinstance(obj, dict):
        return _NOT_PLATFORM
    kind = obj.get("type")
    if not isinstance(kind, str) or not kind.startswith("platform."):
        if is_cloudwatch_event(obj):
            # A CloudWatch event ({"timestamp", "message", "ingestionTime", ...}) on one line.
            message = obj["message"].strip()
            return _parse_body(message) if message else None
        return _NOT_PLATFORM  # structured function log
    record = obj.get("record")
    if record is None:
        record = {}
    if not isinstance(record, dict):
        raise Malformed(f"{kind} record is not an object")
    if kind == "platform.report":
        fields = _json_metrics(record)
        if "duration_ms" not in fields:
            raise Malformed("platform.report without metrics.durationMs")
        return Report(**fields, **_json_status(record), log_format="json")
    if kind == "platform.initReport":
        fields = _json_metrics(record)
        if "duration_ms" in fields:
            fields["init_ms"] = fields.pop("duration_ms")
        return InitReport(
            **fields,
            **_json_status(record),
            phase=_opt_str(record, "phase"),
            initialization_type=_opt_str(record, "initializationType"),
            log_format="json",
        )
    if kind == "platform.restoreReport":
        fields = _json_metrics(record)
        if "duration_ms" in fields:
            fields["restore_ms"] = fields.pop("duration_ms")
        return RestoreReport(**fields, **_json_status(record), log_format="json")
    if kind == "platform.start":
        return Start(request_id=_opt_str(record, "requestId"), version=_opt_str(record, "version"))
    if kind == "platform.runtimeDone":
        return End(request_id=_opt_str(record, "requestId"), status=_opt_str(record, "status"))
    return None  # initStart, extension, telemetrySubscription, logsDropped, ...


def _json_metrics(record: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    request_id = record.get("requestId")
    if request_id is not None:
        if not isinstance(request_id, str):
            raise Malformed("requestId is not a string")
        fields["request_id"] = request_id
    metrics = record.get("metrics")
    if metrics is None:
        return fields
    if not isinstance(metrics, dict):
        raise Malformed("metrics is not an object")
    for key, (attr, kind) in _JSON_METRICS.items():
        if key not in metrics:
            continue  # optional metrics are absent, not zero
        value = metrics[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Malformed(f"{key} is not a number")
        if not math.isfinite(value) or value < 0:
            raise Malformed(f"{key} out of range")
        if kind == "i":
            if value != int(value):
                raise Malformed(f"{key} is not whole")
            fields[attr] = int(value)
        else:
            fields[attr] = float(value)
    return fields


def _json_status(record: dict[str, Any]) -> dict[str, Any]:
    return {"status": _opt_str(record, "status"), "error_type": _opt_str(record, "errorType")}


def _opt_str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Malformed(f"{key} is not a string")
    return value
