"""Where log exports come from, read in bounded pieces: files, directories, gzip, standard input.

The layouts read (each file's own, whatever its neighbours are):

- one record per line: a plain export, a CloudWatch Logs export to S3 (gzip files, one folder
  per log stream, each line ``<ISO timestamp> <message>``), ``aws logs tail`` text output
  (``<timestamp> <log stream> <message>``), ``sam logs`` output, Lambda's JSON log format
  records;
- CloudWatch events, one JSON object a line (``{"timestamp", "message", "logStreamName", ...}``);
- ``aws logs tail --format json`` output: a JSON message pretty-printed over several lines after
  a line with its timestamp and log stream, other messages on one line;
- the JSON that ``aws logs filter-log-events`` / ``get-log-events`` print (one document or
  several, ``{"events": [...]}`` or a bare list), read event by event.

Gzip is recognised by its magic bytes, not by the file name. A directory is read recursively, in
name order. Nothing is read whole: lines come in blocks of about ``BLOCK_BYTES``, events in
batches of ``BATCH_EVENTS``.

The file is not trusted. It is read with plain bounded reads (never mapped: a file truncated
while mapped kills the process with SIGBUS), so a file that shrinks while read (logrotate's
copytruncate) simply ends early. A line longer than ``MAX_LINE_BYTES`` (no Lambda record comes
near: CloudWatch Logs caps an event at 1 MB) is skipped unread and counted, so memory stays
bounded whatever the file holds. Text in UTF-16 or UTF-32 (by its byte-order mark, or UTF-16
told by its NUL bytes) is read as such; other binary content (NUL bytes, an archive format) is
refused with a message.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from powertune.errors import InputError
from powertune.logs.parse import is_cloudwatch_event
from pricing.readfile import sniff_encoding

BLOCK_BYTES = 8 << 20
BATCH_EVENTS = 20_000
MAX_LINE_BYTES = 1 << 20  # longer lines (or JSON events) are skipped and counted
_SNIFF_BYTES = 1 << 16
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_BOM = b"\xef\xbb\xbf"
# Archives and compressions other than gzip (which is read): refused by their magic bytes.
_ARCHIVES = (
    (b"PK\x03\x04", "a zip archive"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
)
# A line of `aws logs tail --format json` before a pretty-printed message: time, log stream.
_TAIL_HEADER = re.compile(rb"\d{4}-\d\d-\d\dT\S+ (\S+)")
_SUFFIXES = (".gz", ".log", ".txt", ".json", ".jsonl", ".ndjson", ".out")

Message = tuple[str | None, str]  # (log group or stream when the input says, the record text)


@dataclass(frozen=True)
class LogFile:
    """One file to read: its path ("-" for standard input), its size on disk (None: unknown),
    and the function its path names (None: it names none)."""

    path: str
    size: int | None
    function: str | None


@dataclass(frozen=True)
class Lines:
    """A block of whole lines (ending at a newline, or at the end of the file)."""

    data: bytes | memoryview
    overlong: int = 0  # lines longer than MAX_LINE_BYTES skipped just before this block


@dataclass(frozen=True)
class Events:
    """A batch of messages from CloudWatch events (one record each)."""

    messages: list[Message]
    first_line: int  # the number of its first event in the file (from 1)
    overlong: int = 0  # lines or events longer than MAX_LINE_BYTES skipped before this batch


def discover(paths: list[str | Path]) -> list[LogFile]:
    """The files to read: each path a file, a directory (read recursively), or "-"."""
    files: list[LogFile] = []
    for raw in paths:
        path = str(raw)
        if path == "-":
            files.append(LogFile("-", None, None))
            continue
        p = Path(path)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith("."))
            if not found:
                raise InputError(f"no log files in directory: {path}")
            for q in found:
                files.append(LogFile(str(q), q.stat().st_size, function_from_path(q, p)))
        elif p.is_file():
            files.append(LogFile(path, p.stat().st_size, function_from_path(p, None)))
        elif p.exists():  # a FIFO or device (`<(zcat ...)`): a stream of unknown size
            files.append(LogFile(path, None, function_from_path(p, None)))
        else:
            raise InputError(f"no such log file: {path}")
    return files


def function_from_path(path: Path, root: Path | None) -> str | None:
    """The function a file's path names, if it names one.

    ``.../aws/lambda/NAME/...`` or a folder ``aws-lambda-NAME`` names NAME. In an export to S3
    (``PREFIX/TASK-ID/LOG-STREAM.../000000.gz``, the task id a UUID) the folder before the task
    id names it, or the directory given when that is the task's own folder. Otherwise a file
    given by itself, or directly in the given directory, is named by its stem.
    """
    parts = path.parts
    for i in range(len(parts) - 3):
        if parts[i] == "aws" and parts[i + 1] == "lambda":
            return parts[i + 2]
    for part in parts[:-1]:
        if part.startswith("aws-lambda-") and len(part) > len("aws-lambda-"):
            return part[len("aws-lambda-") :]
    relative = path.relative_to(root).parts if root is not None else (path.name,)
    for i, part in enumerate(relative[:-1]):
        if _UUID.fullmatch(part):
            if i:
                return relative[i - 1]
            return root.name if root is not None else None
    if root is not None and len(relative) > 1:
        return relative[0]  # a folder per function
    return _stem(path.name)


def _stem(name: str) -> str:
    while True:
        for suffix in _SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                break
        else:
            return name


def open_binary(log: LogFile) -> tuple[IO[bytes], IO[bytes]]:
    """(the decompressed stream, the raw file whose position measures progress)."""
    if log.path == "-":
        raw: IO[bytes] = sys.stdin.buffer
    else:
        try:
            raw = open(log.path, "rb")  # noqa: SIM115 - closed by the caller
        except OSError as exc:
            raise InputError(f"cannot read {log.path}: {exc.strerror or exc}") from None
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb")), raw
    return raw, raw


def read_units(stream: IO[bytes], name: str) -> Iterator[Lines | Events]:
    """The file's content as blocks of lines or batches of events (see the module docstring)."""
    head = _read(stream, _SNIFF_BYTES, name)
    codec, skip = sniff_encoding(head)
    if codec != "utf-8":
        stream = cast(IO[bytes], _Transcoded(stream, codec, head[skip:], name))
        head = _read(stream, _SNIFF_BYTES, name)
    else:
        _refuse_binary(head, name)
    bom = len(_BOM) if head.startswith(_BOM) else 0  # a byte-order mark is not a record's
    kind = _layout(head[bom:].lstrip(b" \t\r\n"))
    if kind == "document":
        yield from _documents(head[bom:], stream, name)
    elif kind == "tail-json":
        yield from _tail_json(head[bom:], stream, name)
    elif kind == "event-lines":
        yield from _event_lines(head[bom:], stream, name)
    else:
        yield from _blocks(head, stream, name, bom)


def _read(stream: IO[bytes], size: int, name: str) -> bytes:
    try:
        return stream.read(size)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read {name}: {exc}") from None


def _layout(head: bytes) -> str:
    """ "document" (filter-log-events JSON), "tail-json", "event-lines", or "lines"."""
    first_lines = head.split(b"\n", 2)
    if (
        len(first_lines) > 1
        and _TAIL_HEADER.fullmatch(first_lines[0].rstrip(b"\r"))
        and first_lines[1].lstrip().startswith(b"{")
    ):
        return "tail-json"
    if head[:1] == b"[":
        return "document" if re.match(rb'\[\s*(?:[{"\]]|$)', head) else "lines"
    if head[:1] != b"{":
        return "lines"
    first = head.split(b"\n", 1)[0]
    try:
        obj = json.loads(first)
    except RecursionError:
        return "lines"  # absurd nesting: no layout of ours; the line parser skips and counts it
    except ValueError:
        return "document" if re.match(rb'\{\s*(?:"events"\s*:|$)', head) else "lines"
    if isinstance(obj, dict) and isinstance(obj.get("events"), list):
        return "document"
    return "event-lines" if is_cloudwatch_event(obj) else "lines"


def _refuse_binary(head: bytes, name: str) -> None:
    """Refuse content that is no text log: an archive we do not read, or NUL bytes."""
    for magic, kind in _ARCHIVES:
        if head.startswith(magic):
            raise InputError(f"{name}: {kind}, not a log export (unpack it first)")
    if b"\0" in head:
        raise InputError(
            f"{name}: binary data (NUL bytes), not a text log export in UTF-8, UTF-16 or UTF-32"
        )


class _Transcoded:
    """A byte stream in UTF-16/32 read as UTF-8, in bounded pieces (malformed units become
    U+FFFD, as undecodable UTF-8 does elsewhere)."""

    def __init__(self, stream: IO[bytes], codec: str, head: bytes, name: str) -> None:
        self.stream, self.name = stream, name
        self.decoder = codecs.getincrementaldecoder(codec)("replace")
        self.buffer = self.decoder.decode(head).encode("utf-8", "surrogatepass")
        self.eof = False

    def read(self, size: int) -> bytes:
        while len(self.buffer) < size and not self.eof:
            raw = _read(self.stream, max(size, 1 << 16), self.name)
            self.eof = not raw
            self.buffer += self.decoder.decode(raw, final=self.eof).encode("utf-8", "replace")
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out


def _blocks(head: bytes, stream: IO[bytes], name: str, skip: int = 0) -> Iterator[Lines]:
    """Blocks of whole lines, each at most MAX_LINE_BYTES long (longer ones are skipped and
    counted in the next block's ``overlong``); memory stays within a block and a line."""
    pending = b""
    skipping = False  # inside an overlong line: dropping bytes up to its newline
    overlong = 0
    queued = head[skip:]  # the sniffed head is the first block
    while True:
        block = queued or _read(stream, BLOCK_BYTES, name)
        queued = b""
        if not block:
            if pending and not skipping:
                yield Lines(pending, overlong)
            elif overlong:
                yield Lines(b"", overlong)
            return
        start = 0
        if skipping:
            newline = block.find(b"\n")
            if newline < 0:
                continue
            start, skipping = newline + 1, False
        elif pending:
            newline = block.find(b"\n", 0, MAX_LINE_BYTES + 1 - len(pending))
            if newline < 0:
                if len(pending) + len(block) > MAX_LINE_BYTES:
                    overlong += 1
                    pending, skipping = b"", True
                    start = block.find(b"\n")
                    if start < 0:
                        continue
                    start, skipping = start + 1, False
                else:
                    pending += block
                    continue
            else:
                # The line cut at the last block's end, completed.
                yield Lines(pending + block[: newline + 1], overlong)
                start, overlong = newline + 1, 0
            pending = b""
        cut = block.rfind(b"\n", start) + 1
        if cut > start:
            for piece, skipped in _bounded_lines(block, start, cut):
                yield Lines(piece, overlong + skipped)
                overlong = 0
            start = cut
        rest = len(block) - start
        if rest > MAX_LINE_BYTES:
            overlong += 1
            skipping = True
        elif rest:
            pending = block[start:]


def _bounded_lines(block: bytes, start: int, cut: int) -> Iterator[tuple[memoryview, int]]:
    """Views of ``block[start:cut]`` (whole lines) without its lines longer than
    MAX_LINE_BYTES, each with how many such lines were dropped just before it. Looks one
    line-bound window at a time (a few searches a block), so normal blocks are one view."""
    view = memoryview(block)
    segment = at = start
    dropped = 0
    while cut - at > MAX_LINE_BYTES + 1:
        last = block.rfind(b"\n", at, at + MAX_LINE_BYTES + 1)
        if last >= 0:
            at = last + 1  # every line in the window fits
            continue
        end = block.find(b"\n", at + MAX_LINE_BYTES + 1, cut)  # the overlong line's end
        if at > segment:
            yield view[segment:at], dropped
            dropped = 0
        dropped += 1
        segment = at = end + 1
    if segment < cut:
        yield view[segment:cut], dropped
    elif dropped:
        yield view[cut:cut], dropped


def _tail_json(head: bytes, stream: IO[bytes], name: str) -> Iterator[Events]:
    """``aws logs tail --format json``: a JSON message is printed pretty, over several lines,
    after a line holding only its timestamp and log stream; other messages stay on one line."""
    batch: list[Message] = []
    block: list[str] | None = None  # the lines of the pretty-printed message being read
    size = 0  # its characters so far: a message past MAX_LINE_BYTES is dropped
    source: str | None = None
    number = first = overlong = 0
    for lines in _blocks(head, stream, name):
        number += lines.overlong
        overlong += lines.overlong
        for raw in bytes(lines.data).decode("utf-8", errors="replace").splitlines():
            number += 1
            if block is not None and (raw[:1] in (" ", "\t", "{", "}", "[", "]") or not raw):
                size += len(raw) + 1
                if size > MAX_LINE_BYTES:
                    block, overlong = None, overlong + 1
                else:
                    block.append(raw)
                continue
            if block:
                batch.append((source, "\n".join(block)))
            block = None
            header = _TAIL_HEADER.fullmatch(raw.rstrip("\r").encode(errors="replace"))
            if header is not None:
                source, block, size = header.group(1).decode(errors="replace"), [], 0
                continue
            batch.append((None, raw))
            if len(batch) >= BATCH_EVENTS:
                yield Events(batch, first + 1, overlong)
                first, batch, overlong = number, [], 0
    if block:
        batch.append((source, "\n".join(block)))
    if batch or overlong:
        yield Events(batch, first + 1, overlong)


def _event_lines(head: bytes, stream: IO[bytes], name: str) -> Iterator[Events]:
    batch: list[Message] = []
    first = 1
    number = overlong = 0
    for lines in _blocks(head, stream, name):
        if lines.overlong:
            if not batch:
                first += lines.overlong
            number += lines.overlong
            overlong += lines.overlong
        for raw in bytes(lines.data).decode("utf-8", errors="replace").splitlines():
            number += 1
            obj: Any = None
            if raw.startswith("{") and '"message"' in raw:
                try:
                    obj = json.loads(raw)
                except ValueError:
                    obj = None
            if is_cloudwatch_event(obj):
                batch.append((_event_source(obj), obj["message"]))
            else:
                batch.append((None, raw))
            if len(batch) >= BATCH_EVENTS:
                yield Events(batch, first, overlong)
                first, batch, overlong = number + 1, [], 0
    if batch or overlong:
        yield Events(batch, first, overlong)


def _documents(head: bytes, stream: IO[bytes], name: str) -> Iterator[Events]:
    """Events of concatenated JSON documents, decoded one event at a time."""
    reader = _JsonReader(head, stream, name)
    batch: list[Message] = []
    first = 1
    for number, item in enumerate(reader.events(), start=1):
        if isinstance(item, dict) and isinstance(item.get("message"), str):
            batch.append((_event_source(item), item["message"]))
        elif isinstance(item, str):
            batch.append((None, item))
        if len(batch) >= BATCH_EVENTS:
            yield Events(batch, first)
            first, batch = number + 1, []
    if batch:
        yield Events(batch, first)


class _JsonReader:
    """Walks ``{"events": [...], ...}`` / ``[...]`` documents without holding them whole."""

    def __init__(self, head: bytes, stream: IO[bytes], name: str) -> None:
        self.stream, self.name = stream, name
        self.decoder = json.JSONDecoder()
        self.text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
        self.pos = 0
        self.eof = False

    def _more(self) -> bool:
        if self.eof:
            return False
        if len(self.text) - self.pos > MAX_LINE_BYTES:  # one value longer than the bound
            raise InputError(
                f"{self.name}: not valid JSON, or a value longer than {MAX_LINE_BYTES >> 20} MB "
                f"(no CloudWatch Logs event is), near offset {self.pos}"
            )
        block = _read(self.stream, BLOCK_BYTES, self.name)
        if not block:
            self.eof = True
            return False
        # Drop what is consumed; a split UTF-8 character is only ever in a string's text.
        self.text = self.text[self.pos :] + block.decode("utf-8", errors="replace")
        self.pos = 0
        return True

    def _skip(self, chars: str = " \t\r\n") -> str:
        """The next character that is not in ``chars`` ("" at the end)."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in chars:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self._more():
                return ""

    def _value(self) -> Any:
        self._skip()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.text, self.pos)
            except ValueError:
                if self._more():
                    continue
                raise InputError(f"{self.name}: not valid JSON near offset {self.pos}") from None
            self.pos = end
            return value

    def events(self) -> Iterator[Any]:
        while True:
            head = self._skip()
            if not head:
                return
            if head == "[":
                self.pos += 1
                yield from self._array()
            elif head == "{":
                self.pos += 1
                yield from self._object()
            else:
                raise InputError(f"{self.name}: expected a JSON document of log events")

    def _array(self) -> Iterator[Any]:
        while True:
            head = self._skip(" \t\r\n,")
            if head == "]":
                self.pos += 1
                return
            if not head:
                raise InputError(f"{self.name}: the JSON ends inside a list")
            yield self._value()

    def _object(self) -> Iterator[Any]:
        while True:
            head = self._skip(" \t\r\n,")
            if head == "}":
                self.pos += 1
                return
            if not head:
                raise InputError(f"{self.name}: the JSON ends inside an object")
            key = self._value()
            if self._skip() != ":":
                raise InputError(f"{self.name}: expected ':' after a key")
            self.pos += 1
            if key == "events" and self._skip() == "[":
                self.pos += 1
                yield from self._array()
            else:
                self._value()  # nextToken, searchedLogStreams, ...: not records


def _event_source(event: dict[str, Any]) -> str | None:
    source = event.get("logGroupName") or event.get("logStreamName")
    return source if isinstance(source, str) else None


def file_position(raw: IO[bytes]) -> int | None:
    """How far into the raw file reading has got (None: unknown, as for a pipe)."""
    try:
        return raw.tell()
    except (OSError, ValueError):
        return None


def total_size(files: list[LogFile]) -> int | None:
    sizes = [f.size for f in files]
    return None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)


__all__ = [
    "BATCH_EVENTS",
    "BLOCK_BYTES",
    "MAX_LINE_BYTES",
    "Events",
    "Lines",
    "LogFile",
    "Message",
    "discover",
    "file_position",
    "function_from_path",
    "open_binary",
    "read_units",
    "total_size",
]
