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
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import mmap
import os
import re
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from powertune.errors import InputError
from powertune.logs.parse import is_cloudwatch_event

BLOCK_BYTES = 8 << 20
BATCH_EVENTS = 20_000
_SNIFF_BYTES = 1 << 16
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_BOM = b"\xef\xbb\xbf"
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
    position: int | None = None  # how far into the file this block ends, when known


@dataclass(frozen=True)
class Events:
    """A batch of messages from CloudWatch events (one record each)."""

    messages: list[Message]
    first_line: int  # the number of its first event in the file (from 1)


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


def _blocks(head: bytes, stream: IO[bytes], name: str, skip: int = 0) -> Iterator[Lines]:
    mapped = _mapped(stream, len(head))
    if mapped is not None:
        yield from _mapped_blocks(mapped, skip)
        return
    pending = head[skip:]
    while True:
        block = _read(stream, BLOCK_BYTES, name)
        if not block:
            if pending:
                yield Lines(pending)
            return
        cut = block.rfind(b"\n") + 1
        if not cut:
            pending += block  # a line longer than a block: keep reading
            continue
        # The line cut at the last block's end, completed, then the rest of this block's whole
        # lines as a view: no copy of the block.
        first = block.find(b"\n") + 1
        if pending:
            yield Lines(pending + block[:first])
        else:
            first = 0
        if first < cut:
            yield Lines(memoryview(block)[first:cut])
        pending = block[cut:]


def _mapped(stream: IO[bytes], consumed: int) -> mmap.mmap | None:
    """The whole file mapped into memory, when the stream is a plain file read from its start:
    the scanners read the page cache's pages, nothing is copied."""
    if isinstance(stream, gzip.GzipFile):
        return None
    try:
        fd = stream.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode) or stream.tell() != consumed:
            return None
        size = os.fstat(fd).st_size
        if size == 0:
            return None
        return mmap.mmap(fd, size, access=mmap.ACCESS_READ)
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


def _mapped_blocks(mapped: mmap.mmap, start: int = 0) -> Iterator[Lines]:
    view = memoryview(mapped)
    size = len(mapped)
    while start < size:
        stop = min(start + BLOCK_BYTES, size)
        if stop < size:
            cut = _last_newline(view, start, stop) + 1
            if cut <= start:  # a line longer than a block
                cut = mapped.find(b"\n", stop) + 1 or size
            stop = cut
        yield Lines(view[start:stop], position=stop)
        _release(mapped, start, stop)
        start = stop


def _last_newline(view: memoryview, start: int, stop: int) -> int:
    """The offset of the last newline in ``view[start:stop]`` (-1: none), looking back from
    ``stop`` a window at a time (mmap.rfind walks the whole range)."""
    window = 1 << 16
    high = stop
    while high > start:
        low = max(start, high - window)
        at = bytes(view[low:high]).rfind(b"\n")
        if at >= 0:
            return low + at
        high = low
    return -1


def _release(mapped: mmap.mmap, start: int, stop: int) -> None:
    """Drop the pages of a block already read from this process's memory (they stay in the
    page cache), so that the resident size stays one block whatever the file's size."""
    page = mmap.PAGESIZE
    low = start // page * page
    high = stop // page * page
    if high > low and hasattr(mmap, "MADV_DONTNEED"):
        with contextlib.suppress(OSError):
            mapped.madvise(mmap.MADV_DONTNEED, low, high - low)


def _tail_json(head: bytes, stream: IO[bytes], name: str) -> Iterator[Events]:
    """``aws logs tail --format json``: a JSON message is printed pretty, over several lines,
    after a line holding only its timestamp and log stream; other messages stay on one line."""
    batch: list[Message] = []
    block: list[str] | None = None  # the lines of the pretty-printed message being read
    source: str | None = None
    number = first = 0
    for lines in _blocks(head, stream, name):
        for raw in bytes(lines.data).decode("utf-8", errors="replace").splitlines():
            number += 1
            if block is not None and (raw[:1] in (" ", "\t", "{", "}", "[", "]") or not raw):
                block.append(raw)
                continue
            if block:
                batch.append((source, "\n".join(block)))
            block = None
            header = _TAIL_HEADER.fullmatch(raw.rstrip("\r").encode(errors="replace"))
            if header is not None:
                source, block = header.group(1).decode(errors="replace"), []
                continue
            batch.append((None, raw))
            if len(batch) >= BATCH_EVENTS:
                yield Events(batch, first + 1)
                first, batch = number, []
    if block:
        batch.append((source, "\n".join(block)))
    if batch:
        yield Events(batch, first + 1)


def _event_lines(head: bytes, stream: IO[bytes], name: str) -> Iterator[Events]:
    batch: list[Message] = []
    first = 1
    number = 0
    for lines in _blocks(head, stream, name):
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
                yield Events(batch, first)
                first, batch = number + 1, []
    if batch:
        yield Events(batch, first)


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
