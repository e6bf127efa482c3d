"""Columnar parsing of many platform records at once (log exports of millions of lines).

The two REPORT shapes Lambda writes today — the tab-separated text REPORT and the compact JSON
``platform.report`` — take a fast path, after one optional ISO 8601 timestamp prefix (CloudWatch
exports to S3); so do START and END lines in Lambda's shape, which are only counted. Lines that
cannot be platform records are counted as ignored without the general parser. Everything else
(other separators, field orders, other prefixes, error types, escapes, other record kinds,
malformed records) goes through the general parser in ``parse.py``. The result — records and
``ParseStats`` — is what ``parse_record`` gives line by line (property tests check it), only
faster. Two engines take exactly the same lines down the fast path and read the same values (a
test compares them line by line):

- ``"c"``: the compiled scanner ``_fastreport.c``, one pass over the buffer, line by line; it
  decides from a line's start (and the prefix fields the general parser could read) whether a
  record can be there. It is an optional C extension: an install without a C compiler skips it.
- ``"numpy"``: vectorised numpy over the whole buffer: the lines holding a record keyword (found
  for all lines at once) are the candidates; a cursor walks every candidate line at once,
  checking each literal part 8 bytes at a time (through an unaligned 64-bit view of the buffer)
  and reading each number or id from a small window.

On ``benchmarks/parse_reports.py``'s mix of REPORTs the compiled engine reads about 2 million
records/s on one core, the numpy one about 0.4 million; on a realistic export (most lines not
REPORTs) the compiled one reads about 3.5 million lines/s, the numpy one about 0.45 million.

``ENGINE`` is the one in use: ``"c"`` when the extension imports, unless the environment sets
``POWERTUNE_PURE_PYTHON=1``; each function also takes ``engine=`` to choose.

Numbers are exact: a decimal of at most 15 digits is its digits as an integer divided by a power
of ten, which IEEE 754 division rounds correctly — the same double ``float()`` returns.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from powertune.logs.parse import ParseStats, iter_records, try_parse_record
from powertune.logs.records import Record, Report

CHUNK_LINES = 65536
ID_WIDTH = 40  # request ids shorter than this take the fast path (a UUID is 36)
NUM_WIDTH = 16  # numbers up to this many characters (and 15 digits) take the fast path
TIME_WIDTH = 32
STATUS_NAMES = np.array([None, "success", "error", "timeout", "failure"], dtype=object)
_STATUS_BYTES = [s.encode() for s in STATUS_NAMES[1:]]
_POW10_INT = 10 ** np.arange(NUM_WIDTH + 1, dtype=np.int64)
_POW10 = 10.0 ** np.arange(NUM_WIDTH + 1)

# Byte classes: digits and '.', request-id characters, timestamp characters.
_NUMERIC = np.zeros(256, dtype=bool)
_NUMERIC[[*b"0123456789."]] = True
_ID = np.zeros(256, dtype=bool)
_ID[[*b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-"]] = True
_TIME = np.zeros(256, dtype=bool)
_TIME[[*b"0123456789TZ:.+-"]] = True

_JSON_SHAPE = 8  # the compiled engine adds this to the status code of a JSON record
_STATUS_MASK = _JSON_SHAPE - 1
try:
    from powertune.logs import _fastreport
except ImportError:  # built without a C compiler: the numpy engine does the work
    _fastreport = None  # type: ignore[assignment]
_SCANNER_VERSION = 2  # the C scanner's interface (``VERSION`` in _fastreport.c)
if _fastreport is not None and (
    _fastreport.ID_WIDTH,
    _fastreport.JSON_SHAPE,
    getattr(_fastreport, "VERSION", 1),
) != (ID_WIDTH, _JSON_SHAPE, _SCANNER_VERSION):
    _fastreport = None  # type: ignore[assignment]  # a stale build: rebuild to use it

Engine = Literal["c", "numpy"]
Buffer = bytes | memoryview  # what the scanners read: bytes, or a view of a block read
ENGINES: tuple[Engine, ...] = ("c", "numpy") if _fastreport is not None else ("numpy",)
ENGINE: Engine = (
    "c"
    if _fastreport is not None and os.environ.get("POWERTUNE_PURE_PYTHON", "") in ("", "0")
    else "numpy"
)


@dataclass(frozen=True)
class ReportTable:
    """REPORT records as columns, in log order. Absent: NaN (floats), -1 (ints), None (objects);
    a request id is bytes, and ``has_request_id`` tells an empty one (``"requestId": ""``) from
    none at all (both are ``b""`` in ``request_id``)."""

    request_id: np.ndarray  # bytes; b"" when the record has none or an empty one
    duration_ms: np.ndarray
    billed_ms: np.ndarray
    memory_mb: np.ndarray
    max_memory_mb: np.ndarray
    init_ms: np.ndarray
    status: np.ndarray  # object: str or None
    error_type: np.ndarray  # object: str or None
    has_request_id: np.ndarray  # bool: the record carries a request id (perhaps empty)
    json_format: np.ndarray  # bool: the record was written in Lambda's JSON log format

    def __len__(self) -> int:
        return len(self.duration_ms)

    def to_reports(self) -> list[Report]:
        """The rows as Report records, exactly as ``parse_record`` makes them."""
        ids = self.request_id.tolist()
        has_id = self.has_request_id.tolist()
        return [
            Report(
                request_id=rid.decode() if has else None,
                duration_ms=duration,
                billed_ms=None if billed < 0 else billed,
                memory_mb=None if memory < 0 else memory,
                max_memory_mb=None if used < 0 else used,
                init_ms=None if init != init else init,  # NaN: absent
                status=status,
                error_type=error_type,
                log_format="json" if json_format else "text",
            )
            for rid, has, duration, billed, memory, used, init, status, error_type, json_format in zip(  # noqa: E501
                ids,
                has_id,
                self.duration_ms.tolist(),
                self.billed_ms.tolist(),
                self.memory_mb.tolist(),
                self.max_memory_mb.tolist(),
                self.init_ms.tolist(),
                self.status.tolist(),
                self.error_type.tolist(),
                self.json_format.tolist(),
                strict=True,
            )
        ]


# What the scan makes of a line (the compiled engine's codes).
LINE_SLOW, LINE_REPORT, LINE_START, LINE_END, LINE_IGNORED = range(5)
_NEEDLES: tuple[tuple[bytes, bool], ...] = (
    (b"REPORT", True),
    (b"START", True),
    (b"END", True),
    (b"platform.", False),
    (b"\\u", False),
)
_TIMED_OUT = b"Task timed out after"


@dataclass
class BufferScan:
    """One buffer read: the REPORTs in a fast shape as columns, and what the general parser read
    (each record with the number of fast rows before it), in log order."""

    table: ReportTable
    slow: list[tuple[int, Record]]
    lines: int
    timeouts: int  # lines that say "Task timed out after"

    def reports(self) -> ReportTable:
        """Every REPORT of the buffer, in log order."""
        found = [(before, r) for before, r in self.slow if isinstance(r, Report)]
        if not found:
            return self.table
        before = np.array([b for b, _ in found], dtype=np.int64)
        return _insert(self.table, before, _from_reports([r for _, r in found]))


def parse_reports(
    lines: Iterable[str], stats: ParseStats | None = None, *, engine: Engine | None = None
) -> ReportTable:
    """Parse lines (one record each) into a ReportTable; other kinds are only counted."""
    text = "\n".join(lines)
    return parse_buffer(text.encode("utf-8", errors="surrogatepass"), stats, engine=engine)


def parse_buffer(
    data: bytes, stats: ParseStats | None = None, *, engine: Engine | None = None
) -> ReportTable:
    """Parse a buffer of newline-separated records into a ReportTable.

    ``engine`` picks the fast path (default ``ENGINE``); the result is the same with either.
    """
    return scan_buffer(data, stats, engine=engine).reports()


def scan_buffer(
    data: Buffer,
    stats: ParseStats | None = None,
    *,
    engine: Engine | None = None,
    first_line: int = 1,
) -> BufferScan:
    """Read a buffer of newline-separated records: REPORTs in a fast shape into columns, START
    and END lines in Lambda's shape and lines that cannot be platform records only counted, the
    rest through the general parser. ``stats`` ends up as ``iter_records`` would leave it;
    ``first_line`` numbers the lines in its examples."""
    stats = stats if stats is not None else ParseStats()
    if _engine(engine) == "c":
        return _scan_c(data, stats, first_line, None)
    return _scan_numpy(data, stats, first_line, None)


def fast_path_lines(data: Buffer, *, engine: Engine | None = None) -> np.ndarray:
    """Which lines of ``data`` the fast path reads as REPORTs (a bool per line). Both engines
    give the same answer."""
    return line_kinds(data, engine=engine) == LINE_REPORT


def line_kinds(data: Buffer, *, engine: Engine | None = None) -> np.ndarray:
    """What the scan makes of each line (LINE_* codes); both engines give the same answer."""
    kinds = np.empty(_count_lines(data), dtype=np.uint8)
    if _engine(engine) == "c":
        _scan_c(data, ParseStats(), 1, kinds)
    else:
        _scan_numpy(data, ParseStats(), 1, kinds)
    return kinds


def parse_messages(
    messages: Sequence[str], stats: ParseStats | None = None, *, engine: Engine | None = None
) -> list[Record]:
    """Every record of ``messages`` (one record each, any kind), in order, and the same ``stats``:
    exactly ``list(iter_records(messages, stats))``.

    With the compiled engine, a message in a fast shape (or in one followed by a single newline,
    as CloudWatch events end) becomes a Report without the general parser, and one that cannot
    be a platform record is only counted. The numpy engine has nothing to gain on single
    messages: with it, this is ``iter_records``.
    """
    stats = stats if stats is not None else ParseStats()
    messages = messages if isinstance(messages, list) else list(messages)
    if _engine(engine) != "c":
        return list(iter_records(messages, stats))
    found = scan_messages(messages, stats, engine=engine)
    fast = found.table.to_reports()
    out: list[Record] = []
    taken = 0
    for before, record in found.slow:
        out.extend(fast[taken:before])
        taken = before
        out.append(record)
    out.extend(fast[taken:])
    return out


def scan_messages(
    messages: list[str],
    stats: ParseStats | None = None,
    *,
    engine: Engine | None = None,
    first_line: int = 1,
) -> BufferScan:
    """``scan_buffer`` for messages (CloudWatch events), one record each."""
    stats = stats if stats is not None else ParseStats()
    timeouts = sum(1 for m in messages if "Task timed out after" in m)
    if _engine(engine) != "c":
        slow = [(0, r) for r in iter_records(messages, stats)]
        return BufferScan(_empty_table(), slow, len(messages), timeouts)
    assert _fastreport is not None
    columns = _Columns(len(messages), slow_width=2)
    fast_count, slow_count, ignored = _fastreport.scan_messages(messages, *columns.all())
    stats.lines += len(messages)
    stats.ignored += ignored
    general: list[tuple[int, Record]] = []
    for index, before in columns.slow[:slow_count].tolist():
        record = try_parse_record(messages[index], stats, first_line + index)
        if record is not None:
            general.append((before, record))
    if fast_count:
        stats.records["report"] += fast_count
    return BufferScan(columns.table(fast_count), general, len(messages), timeouts)


def _engine(engine: Engine | None) -> Engine:
    engine = engine or ENGINE
    if engine == "c" and _fastreport is None:
        raise ValueError("the compiled engine is not built (no C compiler at install time?)")
    if engine not in ("c", "numpy"):
        raise ValueError(f"unknown engine {engine!r}")
    return engine


def _count_lines(data: Buffer) -> int:
    arr = np.frombuffer(data, dtype=np.uint8)
    if not len(arr):
        return 0
    return int(np.count_nonzero(arr == 10)) + (0 if arr[-1] == 10 else 1)


def _line_bounds(data: Buffer) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of each line (a trailing newline ends the last line)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(arr)]))
    if not len(arr) or arr[-1] == 10:
        starts, ends = starts[:-1], ends[:-1]
    return starts, ends


def _general(
    data: Buffer, slow: list[tuple[int, int, int, int]], stats: ParseStats, first_line: int
) -> list[tuple[int, Record]]:
    """The general parser's reading of the ``slow`` lines: (line, start, end, fast before)."""
    out: list[tuple[int, Record]] = []
    for line, start, end, before in slow:
        text = bytes(data[start:end]).decode("utf-8", errors="replace")
        record = try_parse_record(text, stats, first_line + line)
        if record is not None:
            out.append((before, record))
    return out


# -- the compiled engine -----------------------------------------------------------------------


class _Columns:
    """Output columns for ``_fastreport``, with room for ``rows`` rows."""

    def __init__(self, rows: int, slow_width: int) -> None:
        self.ids = np.empty(rows, dtype=f"S{ID_WIDTH}")
        self.duration = np.empty(rows, dtype=np.float64)
        self.billed = np.empty(rows, dtype=np.int64)
        self.memory = np.empty(rows, dtype=np.int64)
        self.max_memory = np.empty(rows, dtype=np.int64)
        self.init = np.empty(rows, dtype=np.float64)
        self.status = np.empty(rows, dtype=np.uint8)  # status code, plus JSON_SHAPE for JSON
        self.slow = np.empty((rows, slow_width), dtype=np.int64)

    def all(
        self,
    ) -> tuple[
        np.ndarray,
        np.ndarray,
        np.ndarray,
        np.ndarray,
        np.ndarray,
        np.ndarray,
        np.ndarray,
        np.ndarray,
    ]:
        return (
            self.ids,
            self.duration,
            self.billed,
            self.memory,
            self.max_memory,
            self.init,
            self.status,
            self.slow,
        )

    def table(self, n: int) -> ReportTable:
        """The first ``n`` rows as a ReportTable (copied: the columns are reused)."""
        return ReportTable(
            request_id=self.ids[:n].copy(),
            duration_ms=self.duration[:n].copy(),
            billed_ms=self.billed[:n].copy(),
            memory_mb=self.memory[:n].copy(),
            max_memory_mb=self.max_memory[:n].copy(),
            init_ms=self.init[:n].copy(),
            status=STATUS_NAMES[self.status[:n] & _STATUS_MASK],
            error_type=np.full(n, None, dtype=object),
            has_request_id=np.ones(n, dtype=bool),
            json_format=(self.status[:n] & _JSON_SHAPE) > 0,
        )


def _scan_c(
    data: Buffer, stats: ParseStats, first_line: int, kinds: np.ndarray | None
) -> BufferScan:
    assert _fastreport is not None
    # A row per line at most (counting them is one memchr pass, a few ms per 100 MB).
    columns = _Columns(_fastreport.count_lines(data), slow_width=4)
    fast, slow, lines, starts, ends, ignored, timeouts = _fastreport.scan(
        data, *columns.all(), kinds
    )
    stats.lines += lines
    stats.ignored += ignored
    if fast:
        stats.records["report"] += fast
    if starts:
        stats.records["start"] += starts
    if ends:
        stats.records["end"] += ends
    general = _general(data, columns.slow[:slow].tolist(), stats, first_line)
    table = columns.table(fast) if lines else _from_reports([])
    return BufferScan(table, general, lines, timeouts)


# -- the numpy engine --------------------------------------------------------------------------


def _scan_numpy(
    data: Buffer, stats: ParseStats, first_line: int, kinds: np.ndarray | None
) -> BufferScan:
    starts, ends = _line_bounds(data)
    tables: list[ReportTable] = []
    general: list[tuple[int, Record]] = []
    fast_so_far = 0
    timeouts = 0
    for i in range(0, len(starts), CHUNK_LINES):
        lo, hi = starts[i : i + CHUNK_LINES], ends[i : i + CHUNK_LINES]
        chunk_kinds, table, found = _classify(data, lo, hi)
        timeouts += found
        if kinds is not None:
            kinds[i : i + len(lo)] = chunk_kinds
        fast_before = np.cumsum(chunk_kinds == LINE_REPORT) - (chunk_kinds == LINE_REPORT)
        slow = np.flatnonzero(chunk_kinds == LINE_SLOW)
        rows = zip(
            (slow + i).tolist(),
            lo[slow].tolist(),
            hi[slow].tolist(),
            (fast_before[slow] + fast_so_far).tolist(),
            strict=True,
        )
        general.extend(_general(data, list(rows), stats, first_line))
        stats.records["report"] += len(table)
        stats.records["start"] += int(np.count_nonzero(chunk_kinds == LINE_START))
        stats.records["end"] += int(np.count_nonzero(chunk_kinds == LINE_END))
        stats.ignored += int(np.count_nonzero(chunk_kinds == LINE_IGNORED))
        fast_so_far += len(table)
        tables.append(table)
    stats.lines += len(starts)
    stats.records = +stats.records  # drop kinds counted zero times, as iter_records has none
    return BufferScan(_concat(tables), general, len(starts), timeouts)


def _find_all(arr: np.ndarray, needle: bytes) -> np.ndarray:
    """Offsets of every occurrence of ``needle`` in ``arr``."""
    found = np.flatnonzero(arr[: max(len(arr) - len(needle) + 1, 0)] == needle[0])
    for k in range(1, len(needle)):
        found = found[arr[found + k] == needle[k]]
    return found


def _can_begin(arr: np.ndarray, at: np.ndarray, lo: int) -> np.ndarray:
    """The compiled engine's can_begin: may a keyword at ``at`` begin a record's text?"""
    prev = np.where(at > lo, arr[np.maximum(at - 1, 0)], 0)
    prev2 = np.where(at - 1 > lo, arr[np.maximum(at - 2, 0)], 0)
    ok = (prev <= 0x20) | (prev >= 0x80) | np.isin(prev, [*b'"_'])
    ok |= np.isin(prev, [*b"tnrf"]) & (prev2 == ord("\\"))
    return ok


def _classify(
    data: Buffer, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, ReportTable, int]:
    """The LINE_* code of each line of a chunk, its fast REPORTs, and its timeout lines."""
    lo, hi = int(starts[0]), int(ends[-1])
    arr = np.frombuffer(data, dtype=np.uint8)[lo:hi]
    hits = []
    for needle, word in _NEEDLES:
        at = _find_all(arr, needle)
        hits.append(at[_can_begin(arr, at, 0)] if word else at)
    candidate = np.zeros(len(starts), dtype=bool)
    candidate[np.searchsorted(ends - lo, np.concatenate(hits), side="right")] = True
    kinds = np.where(candidate, LINE_SLOW, LINE_IGNORED).astype(np.uint8)
    timed_out = np.unique(np.searchsorted(ends - lo, _find_all(arr, _TIMED_OUT), side="right"))
    rows = np.flatnonzero(candidate)
    if not len(rows):
        return kinds, _empty_table(), len(timed_out)
    views = _Views(data, lo, hi)
    body = starts[rows].copy()
    line_end = ends[rows]
    dated = np.flatnonzero(_DIGIT[views.bytes[body - lo]])
    body[dated] = _skip_prefix(views, body[dated], line_end[dated])
    first = np.where(body < line_end, views.bytes[np.minimum(body, hi) - lo], 0)
    found = [_text_reports(views, body, line_end), _json_reports(views, body, line_end)]
    for at, _table in found:
        kinds[rows[at]] = LINE_REPORT
    for letter, shape, kind in ((b"S", _start_lines, LINE_START), (b"E", _end_lines, LINE_END)):
        some = np.flatnonzero(first == letter[0])
        kinds[rows[some[shape(views, body[some], line_end[some])]]] = kind
    for letter, literal in ((b"I", b"INIT_START"), (b"R", b"RESTORE_START")):
        some = np.flatnonzero(first == letter[0])
        quiet = some[_Cursor(views, body[some], line_end[some]).matches(literal)]
        kinds[rows[quiet[kinds[rows[quiet]] == LINE_SLOW]]] = LINE_IGNORED
    order = np.argsort(np.concatenate([at for at, _ in found]), kind="stable")
    table = _take(_concat([t for _, t in found]), order)
    return kinds, table, len(timed_out)


_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[[*b"0123456789"]] = True
_VERSION = np.zeros(256, dtype=bool)
_VERSION[[*b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ$_.-"]] = True
VERSION_WIDTH = 32
_PREFIX_FRACTION = 9
_PREFIX_BLANKS = 8
_ISO_SHAPE = b"dddd-dd-ddTdd:dd:dd"


def _skip_prefix(views: _Views, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Where each line's record text begins: after one ISO 8601 timestamp and its blanks (as
    the compiled skip_prefix reads them), or at the line start."""
    width = 48
    w = views.window(starts, width).astype(np.int64)
    n = np.arange(len(starts))
    ok = (ends - starts >= 19) & _DIGIT[w[:, 0]]
    for k, shape in enumerate(_ISO_SHAPE):
        if shape == ord("d"):
            ok &= _DIGIT[w[:, k]]
        elif shape == ord("T"):
            ok &= (w[:, k] == ord("T")) | (w[:, k] == ord(" "))
        else:
            ok &= w[:, k] == shape
    q = np.full(len(starts), 19)
    # Bytes past a line's end are its newline or zero padding: no class below holds them.
    has_fraction = np.isin(w[:, 19], [*b".,"]) & _DIGIT[w[:, 20]]
    run = _run(_DIGIT[w[:, 20 : 20 + _PREFIX_FRACTION + 1]])
    ok &= ~has_fraction | (run <= _PREFIX_FRACTION)
    q = np.where(has_fraction, q + 1 + run, q)
    at = w[n, np.minimum(q, width - 1)]
    zulu = at == ord("Z")
    signed = np.isin(at, [*b"+-"]) & _DIGIT[_at(w, q + 1)] & _DIGIT[_at(w, q + 2)]
    z = q + 3 + (_at(w, q + 3) == ord(":"))
    offset = signed & _DIGIT[_at(w, z)] & _DIGIT[_at(w, z + 1)]
    q = np.where(zulu, q + 1, np.where(offset, z + 2, q))
    blanks = np.stack([_at(w, q + k) for k in range(_PREFIX_BLANKS + 1)], axis=1)
    run = _run((blanks == ord(" ")) | (blanks == ord("\t")))
    ok &= (run >= 1) & (run <= _PREFIX_BLANKS)
    return np.where(ok, starts + q + run, starts)


def _at(window: np.ndarray, column: np.ndarray) -> np.ndarray:
    return window[np.arange(len(window)), np.minimum(column, window.shape[1] - 1)]


def _run(matrix: np.ndarray) -> np.ndarray:
    """Length of the leading run of True in each row (the row's width when all are True)."""
    stop = ~matrix
    return np.where(stop.any(axis=1), stop.argmax(axis=1), matrix.shape[1])


def _start_lines(views: _Views, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    c = _Cursor(views, starts, ends)
    c.literal(b"START RequestId: ")
    c.token(ID_WIDTH, _ID)
    c.literal(b" Version: ")
    c.token(VERSION_WIDTH, _VERSION)
    return c.ok & c.at_end()


def _end_lines(views: _Views, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    c = _Cursor(views, starts, ends)
    c.literal(b"END RequestId: ")
    c.token(ID_WIDTH, _ID)
    return c.ok & c.at_end()


class _Views:
    """A chunk's bytes, zero-padded, with an unaligned little-endian 64-bit view over them."""

    def __init__(self, data: Buffer, lo: int, hi: int) -> None:
        self.lo = lo
        # The padding keeps every window read past a line's end in bounds.
        self.buffer = bytes(data[lo:hi]) + b"\0" * (ID_WIDTH + TIME_WIDTH + 16)
        self.bytes = np.frombuffer(self.buffer, dtype=np.uint8)
        self.words = np.ndarray(
            shape=(len(self.buffer) - 7,), dtype="<u8", buffer=self.buffer, strides=(1,)
        )

    def word(self, pos: np.ndarray) -> np.ndarray:
        return self.words[pos - self.lo]

    def window(self, pos: np.ndarray, width: int) -> np.ndarray:
        """``width`` bytes (a multiple of 8) from each position, as an (n, width) uint8 matrix."""
        words = np.stack([self.word(pos + 8 * k) for k in range(width // 8)], axis=1)
        return words.view(np.uint8).reshape(len(pos), width)


_ASCII_ZEROS = np.uint64(0x3030303030303030)


def _eight_digits(word: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The value of the first ``length`` (1..8) ASCII digits of each little-endian word (SWAR:
    right-align, then combine digit pairs, quads and octets with three multiplications)."""
    shift = ((8 - length) * 8).astype(np.uint64)
    value = word << shift  # the digits now fill the top bytes; the bottom ones are zero
    fill = np.where(length < 8, _ASCII_ZEROS >> (length * 8).astype(np.uint64) % np.uint64(64), 0)
    value = (value | fill.astype(np.uint64)) - _ASCII_ZEROS
    value = ((value & np.uint64(0x0F0F0F0F0F0F0F0F)) * np.uint64(2561)) >> np.uint64(8)
    value = ((value & np.uint64(0x00FF00FF00FF00FF)) * np.uint64(6553601)) >> np.uint64(16)
    value = ((value & np.uint64(0x0000FFFF0000FFFF)) * np.uint64(42949672960001)) >> np.uint64(32)
    return value.astype(np.float64)


def _pack(literal: bytes) -> list[tuple[int, np.uint64, np.uint64]]:
    """(offset, word, mask) for each 8-byte piece of a literal."""
    out = []
    for off in range(0, len(literal), 8):
        piece = literal[off : off + 8]
        word = int.from_bytes(piece.ljust(8, b"\0"), "little")
        mask = int.from_bytes(b"\xff" * len(piece) + b"\0" * (8 - len(piece)), "little")
        out.append((off, np.uint64(word), np.uint64(mask)))
    return out


class _Cursor:
    """Walks many lines at once; ``ok`` turns False for a line as soon as it leaves the shape.

    Positions of lines that already failed keep moving harmlessly inside the padded buffer.
    """

    def __init__(self, views: _Views, starts: np.ndarray, ends: np.ndarray) -> None:
        self.v = views
        self.pos = starts.copy()
        self.end = ends
        self.ok = np.ones(len(starts), dtype=bool)

    def matches(self, literal: bytes) -> np.ndarray:
        """Whether ``literal`` is at the cursor (does not move it)."""
        match = self.pos + len(literal) <= self.end
        pos = np.minimum(self.pos, self.end)
        for off, word, mask in _pack(literal):
            match &= (self.v.word(pos + off) & mask) == word
        return match

    def literal(self, literal: bytes, rows: np.ndarray | None = None) -> None:
        """Require ``literal`` at the cursor (on ``rows``, or all lines) and step over it."""
        match = self.matches(literal)
        if rows is not None:
            match |= ~rows
        self.ok &= match
        step = len(literal) if rows is None else np.where(rows, len(literal), 0)
        self.pos = np.minimum(self.pos + step, self.end)

    def token(self, width: int, allowed: np.ndarray) -> np.ndarray:
        """The run of ``allowed`` bytes at the cursor (1..width-1 long), zero-padded to width."""
        window = self.v.window(np.minimum(self.pos, self.end), width)
        stop = ~allowed[window]
        length = stop.argmax(axis=1)
        self.ok &= stop.any(axis=1) & (length >= 1)
        self.pos = np.minimum(self.pos + length, self.end)
        return np.where(np.arange(width) < length[:, None], window, 0).astype(np.uint8)

    def number(
        self, *, whole: bool, rows: np.ndarray | None = None, json: bool = False
    ) -> np.ndarray:
        """``\\d{1,8}`` (whole) or ``\\d{1,8}(\\.\\d{1,7})?`` at the cursor (on ``rows``, or all
        lines), exactly as ``int()`` / ``float()`` read them. Longer numbers fail the fast path."""
        pos = np.minimum(self.pos, self.end)
        window = self.v.window(pos, NUM_WIDTH)
        stop = ~_NUMERIC[window]
        length = np.where(stop.any(axis=1), stop.argmax(axis=1), NUM_WIDTH)
        dot = window == 46
        dot_at = np.where(dot.any(axis=1), dot.argmax(axis=1), NUM_WIDTH)
        if whole:
            int_len = length
            ok = (length >= 1) & (length <= 8) & (dot_at >= length)
        else:
            has_dot = dot_at < length
            int_len = np.where(has_dot, dot_at, length)
            frac_len = np.where(has_dot, length - dot_at - 1, 0)
            ok = (int_len >= 1) & (int_len <= 8) & (frac_len <= 7)
            ok &= ~has_dot | (frac_len >= 1)
            # exactly one dot inside the number
            ok &= (dot & (np.arange(NUM_WIDTH) < length[:, None])).sum(axis=1) <= 1
        if json:  # JSON has no leading zeros: "0" and "0.5" are numbers, "00" and "01" are not
            ok &= (window[:, 0] != 48) | (int_len == 1)
        integer = _eight_digits(self.v.word(pos), np.clip(int_len, 1, 8))
        if rows is not None:
            ok |= ~rows
            length = np.where(rows, length, 0)
        self.ok &= ok
        self.pos = np.minimum(self.pos + length, self.end)
        if whole:
            return integer.astype(np.int64)
        frac_word = self.v.word(np.minimum(pos + int_len + 1, self.end))
        fraction = np.where(frac_len > 0, _eight_digits(frac_word, np.clip(frac_len, 1, 8)), 0)
        scale = _POW10[frac_len]
        # digits as one integer (at most 15 of them), divided once: correctly rounded, as float()
        return (integer * scale + fraction) / scale

    def at_end(self, rows: np.ndarray | None = None) -> np.ndarray:
        done = self.pos == self.end
        return done if rows is None else done & rows


def _candidates(views: _Views, starts: np.ndarray, ends: np.ndarray, first: str) -> np.ndarray:
    """Lines whose first byte is ``first``."""
    nonempty = ends > starts
    head = np.full(len(starts), -1, dtype=np.int64)
    head[nonempty] = views.bytes[starts[nonempty] - views.lo]
    return np.flatnonzero(head == ord(first))


def _text_reports(
    views: _Views, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, ReportTable]:
    rows = _candidates(views, starts, ends, "R")
    c = _Cursor(views, starts[rows], ends[rows])
    c.literal(b"REPORT RequestId: ")
    ids = c.token(ID_WIDTH, _ID)
    c.literal(b"\tDuration: ")
    duration = c.number(whole=False)
    c.literal(b" ms\tBilled Duration: ")
    billed = c.number(whole=True)
    c.literal(b" ms\tMemory Size: ")
    memory = c.number(whole=True)
    c.literal(b" MB\tMax Memory Used: ")
    max_memory = c.number(whole=True)
    c.literal(b" MB\t")
    has_init = c.matches(b"Init Duration: ")
    c.literal(b"Init Duration: ", rows=has_init)
    init = np.where(has_init, c.number(whole=False, rows=has_init), np.nan)
    c.literal(b" ms\t", rows=has_init)
    status = np.zeros(len(rows), dtype=np.int64)
    has_status = c.matches(b"Status: ")
    c.literal(b"Status: ", rows=has_status)
    for code, name in enumerate(_STATUS_BYTES, start=1):
        found = has_status & c.matches(name + b"\t") & (c.pos + len(name) + 1 == c.end)
        status[found] = code
    c.ok &= ~has_status | (status > 0)  # an Error Type (or anything else) takes the general path
    c.pos = np.where(has_status, c.end, c.pos)
    c.ok &= c.at_end()
    keep = np.flatnonzero(c.ok)
    return rows[keep], _table(keep, ids, duration, billed, memory, max_memory, init, status, False)


def _json_reports(
    views: _Views, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, ReportTable]:
    rows = _candidates(views, starts, ends, "{")
    c = _Cursor(views, starts[rows], ends[rows])
    c.literal(b'{"time":"')
    c.token(TIME_WIDTH, _TIME)
    c.literal(b'","type":"platform.report","record":{"requestId":"')
    ids = c.token(ID_WIDTH, _ID)
    c.literal(b'","metrics":{"durationMs":')
    duration = c.number(whole=False, json=True)
    c.literal(b',"billedDurationMs":')
    billed = c.number(whole=True, json=True)
    c.literal(b',"memorySizeMB":')
    memory = c.number(whole=True, json=True)
    c.literal(b',"maxMemoryUsedMB":')
    max_memory = c.number(whole=True, json=True)
    has_init = c.matches(b',"initDurationMs":')
    c.literal(b',"initDurationMs":', rows=has_init)
    init = np.where(has_init, c.number(whole=False, rows=has_init, json=True), np.nan)
    status = np.zeros(len(rows), dtype=np.int64)
    has_status = c.matches(b'},"status":"')
    c.literal(b'},"status":"', rows=has_status)
    for code, name in enumerate(_STATUS_BYTES, start=1):
        found = has_status & c.matches(name + b'"}}') & (c.pos + len(name) + 3 == c.end)
        status[found] = code
    bare = ~has_status & c.matches(b"}}}") & (c.pos + 3 == c.end)
    c.ok &= (status > 0) | bare
    keep = np.flatnonzero(c.ok)
    return rows[keep], _table(keep, ids, duration, billed, memory, max_memory, init, status, True)


def _table(
    keep: np.ndarray,
    ids: np.ndarray,
    duration: np.ndarray,
    billed: np.ndarray,
    memory: np.ndarray,
    max_memory: np.ndarray,
    init: np.ndarray,
    status: np.ndarray,
    json_format: bool,
) -> ReportTable:
    return ReportTable(
        request_id=np.ascontiguousarray(ids[keep]).view(f"S{ID_WIDTH}").ravel(),
        duration_ms=duration[keep],
        billed_ms=billed[keep],
        memory_mb=memory[keep],
        max_memory_mb=max_memory[keep],
        init_ms=init[keep],
        status=STATUS_NAMES[status[keep]],
        error_type=np.full(len(keep), None, dtype=object),
        has_request_id=np.ones(len(keep), dtype=bool),
        json_format=np.full(len(keep), json_format),
    )


def _empty_table() -> ReportTable:
    """No rows, with the fast path's column types."""
    table = _from_reports([])
    return ReportTable(
        **{**table.__dict__, "request_id": np.empty(0, dtype=f"S{ID_WIDTH}")},
    )


def _from_reports(reports: list[Report]) -> ReportTable:
    def ints(values: list[int | None]) -> np.ndarray:
        return np.array([-1 if v is None else v for v in values], dtype=np.int64)

    def objects(values: list[str | None]) -> np.ndarray:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out

    return ReportTable(
        request_id=np.array([(r.request_id or "").encode() for r in reports] or [b""], dtype=bytes)[
            : len(reports)
        ],
        duration_ms=np.array([r.duration_ms for r in reports], dtype=np.float64),
        billed_ms=ints([r.billed_ms for r in reports]),
        memory_mb=ints([r.memory_mb for r in reports]),
        max_memory_mb=ints([r.max_memory_mb for r in reports]),
        init_ms=np.array(
            [np.nan if r.init_ms is None else r.init_ms for r in reports], dtype=float
        ),
        status=objects([r.status for r in reports]),
        error_type=objects([r.error_type for r in reports]),
        has_request_id=np.array([r.request_id is not None for r in reports], dtype=bool),
        json_format=np.array([r.log_format == "json" for r in reports], dtype=bool),
    )


def _concat(tables: list[ReportTable]) -> ReportTable:
    if not tables:
        return _from_reports([])
    width = max(t.request_id.dtype.itemsize for t in tables)
    return ReportTable(
        request_id=np.concatenate([t.request_id.astype(f"S{width}") for t in tables]),
        duration_ms=np.concatenate([t.duration_ms for t in tables]),
        billed_ms=np.concatenate([t.billed_ms for t in tables]),
        memory_mb=np.concatenate([t.memory_mb for t in tables]),
        max_memory_mb=np.concatenate([t.max_memory_mb for t in tables]),
        init_ms=np.concatenate([t.init_ms for t in tables]),
        status=np.concatenate([t.status for t in tables]),
        error_type=np.concatenate([t.error_type for t in tables]),
        has_request_id=np.concatenate([t.has_request_id for t in tables]),
        json_format=np.concatenate([t.json_format for t in tables]),
    )


def _insert(table: ReportTable, before: np.ndarray, rows: ReportTable) -> ReportTable:
    """``table`` with ``rows`` inserted, each before the row of ``table`` at ``before``."""
    width = max(table.request_id.dtype.itemsize, rows.request_id.dtype.itemsize)
    return ReportTable(
        request_id=np.insert(table.request_id.astype(f"S{width}"), before, rows.request_id),
        duration_ms=np.insert(table.duration_ms, before, rows.duration_ms),
        billed_ms=np.insert(table.billed_ms, before, rows.billed_ms),
        memory_mb=np.insert(table.memory_mb, before, rows.memory_mb),
        max_memory_mb=np.insert(table.max_memory_mb, before, rows.max_memory_mb),
        init_ms=np.insert(table.init_ms, before, rows.init_ms),
        status=np.insert(table.status, before, rows.status),
        error_type=np.insert(table.error_type, before, rows.error_type),
        has_request_id=np.insert(table.has_request_id, before, rows.has_request_id),
        json_format=np.insert(table.json_format, before, rows.json_format),
    )


def _take(table: ReportTable, order: np.ndarray) -> ReportTable:
    return ReportTable(
        request_id=table.request_id[order],
        duration_ms=table.duration_ms[order],
        billed_ms=table.billed_ms[order],
        memory_mb=table.memory_mb[order],
        max_memory_mb=table.max_memory_mb[order],
        init_ms=table.init_ms[order],
        status=table.status[order],
        error_type=table.error_type[order],
        has_request_id=table.has_request_id[order],
        json_format=table.json_format[order],
    )


def _int_or_none(value: np.integer) -> int | None:
    return None if value < 0 else int(value)
