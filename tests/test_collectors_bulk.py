"""The bulk parser's two engines (the compiled scanner and numpy) at the edges of the fast path.

Every case runs through each engine that is built; where the compiled one is, both must take the
same lines down the fast path and give identical tables (dtypes included, floats bit for bit),
equal to what the general parser reads line by line.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_tables import assert_identical

from powertune.logs import ParseStats, Report, bulk, iter_records, parse_record
from powertune.logs.bulk import (
    ENGINES,
    Engine,
    fast_path_lines,
    parse_buffer,
    parse_messages,
)

needs_compiled = pytest.mark.skipif("c" not in ENGINES, reason="the C extension is not built")


def text_line(
    rid: str = "8f5e2c1a-0b4d-4c2e-9f3a-1d2e3f4a5b6c",
    duration: str = "1.5",
    billed: str = "2",
    memory: str = "128",
    used: str = "30",
    tail: str = "",
) -> str:
    return (
        f"REPORT RequestId: {rid}\tDuration: {duration} ms\tBilled Duration: {billed} ms"
        f"\tMemory Size: {memory} MB\tMax Memory Used: {used} MB\t{tail}"
    )


def json_line(
    time: str = "2024-02-09T08:42:44.080Z",
    rid: str = "8f5e2c1a-0b4d-4c2e-9f3a-1d2e3f4a5b6c",
    duration: str = "1.5",
    billed: str = "2",
    memory: str = "128",
    used: str = "30",
    init: str = "",
    status: str = "",
) -> str:
    return (
        f'{{"time":"{time}","type":"platform.report","record":{{"requestId":"{rid}",'
        f'"metrics":{{"durationMs":{duration},"billedDurationMs":{billed},'
        f'"memorySizeMB":{memory},"maxMemoryUsedMB":{used}{init}}}{status}}}}}'
    )


# (line, whether the fast path reads it). Lines that miss it still parse, through the general
# parser, to the same values.
EDGES = [
    (text_line(), True),
    (text_line(rid="a" * 39), True),  # the longest request id
    (text_line(rid="a" * 40), False),
    (text_line(rid="a"), True),
    (text_line(rid="a_b"), False),  # not an id character
    (text_line(duration="12345678.1234567"), True),  # 8 + 7 digits: the longest number
    (text_line(duration="12345678.12345678"), False),  # 16 digits
    (text_line(duration="123456789.123456"), False),  # 9 whole digits
    (text_line(duration="123456789"), False),
    (text_line(duration="0.0000001"), True),
    (text_line(duration="00012.50"), True),  # text numbers may have leading zeros
    (text_line(duration="5."), False),
    (text_line(duration="1.2.3"), False),
    (text_line(billed="99999999"), True),
    (text_line(billed="100000000"), False),
    (text_line(billed="1234567890123456"), False),  # 16 digits: the general parser reads it
    (text_line(billed="2.0"), False),
    (text_line(tail="Init Duration: 841.60 ms\t"), True),
    (text_line(tail="Init Duration: 841.60 ms\tStatus: timeout\t"), True),
    (text_line(tail="Status: error\t"), True),
    (text_line(tail="Status: failure\t"), True),
    (text_line(tail="Status: success\t"), True),
    (text_line(tail="Status: error\tError Type: Runtime.OutOfMemory\t"), False),
    (text_line(tail="Status: Error\t"), False),
    (text_line(tail="Status: error"), False),
    (text_line(tail="Init Duration: 841.60 ms"), False),
    (text_line()[:-1], False),  # no trailing tab
    (text_line() + " ", False),
    (text_line() + "\r", False),  # a CRLF line
    (text_line(rid="a\0b"), False),
    (text_line() + "\0", False),
    (json_line(), True),
    (json_line(time="1" * 31), True),  # the longest time
    (json_line(time="1" * 32), False),
    (json_line(time=""), False),
    (json_line(time="2024-02-09 08:42:44"), False),
    (json_line(rid="b" * 39), True),
    (json_line(rid="b" * 40), False),
    (json_line(rid=""), False),
    (json_line(duration="0"), True),
    (json_line(duration="0.5"), True),
    (json_line(duration="01"), False),  # JSON numbers have no leading zero
    (json_line(billed="00"), False),
    (json_line(duration="1e3"), False),
    (json_line(duration="-1"), False),
    (json_line(duration="12345678.1234567"), True),
    (json_line(duration="12345678.12345678"), False),
    (json_line(memory="99999999"), True),
    (json_line(memory="100000000"), False),
    (json_line(init=',"initDurationMs":0.25'), True),
    (json_line(init=',"initDurationMs":12345678.1234567'), True),
    (json_line(init=',"initDurationMs":1.'), False),
    (json_line(status=',"status":"success"'), True),
    (json_line(init=',"initDurationMs":3', status=',"status":"timeout"'), True),
    (json_line(status=',"status":"weird"'), False),
    (json_line(status=',"status":"success","errorType":"x"'), False),
    (json_line() + " ", False),
    (json_line() + "\r", False),
    (json_line()[:-1], False),
    (json_line().replace(",", ", "), False),
]


def general(lines: list[str]) -> list[dict]:
    """What the general parser reads, line by line: a table tells an empty request id from none."""
    return [r.to_json() for r in iter_records(lines) if isinstance(r, Report)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("line", "fast"), EDGES)
def test_edges_of_the_fast_path(engine: Engine, line: str, fast: bool) -> None:
    data = line.encode()
    assert fast_path_lines(data, engine=engine).tolist() == [fast]
    table = parse_buffer(data, engine=engine)
    assert [r.to_json() for r in table.to_reports()] == general([line])
    if fast:
        assert len(table) == 1


@needs_compiled
def test_engines_agree_on_all_the_edges_in_one_buffer() -> None:
    data = "\n".join(line for line, _ in EDGES).encode()
    assert fast_path_lines(data, engine="c").tolist() == [fast for _, fast in EDGES]
    stats = {engine: ParseStats() for engine in ENGINES}
    tables = {engine: parse_buffer(data, stats[engine], engine=engine) for engine in ENGINES}
    assert_identical(tables["c"], tables["numpy"])
    assert stats["c"] == stats["numpy"]
    assert stats["c"].summary() == stats["numpy"].summary()
    assert len(tables["c"]) == len(general([line for line, _ in EDGES]))


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_buffers_and_empty_lines(engine: Engine) -> None:
    stats = ParseStats()
    table = parse_buffer(b"", stats, engine=engine)
    assert len(table) == 0 and stats.lines == 0 and not stats.records
    assert fast_path_lines(b"", engine=engine).tolist() == []
    stats = ParseStats()
    table = parse_buffer(b"\n\n", stats, engine=engine)
    assert len(table) == 0 and stats.lines == 2 and stats.ignored == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_last_line_with_and_without_a_newline(engine: Engine) -> None:
    line = text_line(duration="4157.16")
    for data in (line.encode(), (line + "\n").encode(), f"{line}\n{line}".encode()):
        table = parse_buffer(data, engine=engine)
        assert table.duration_ms.tolist() == [4157.16] * data.count(b"REPORT")
    assert fast_path_lines(f"{line}\n{line}".encode(), engine=engine).tolist() == [True, True]


@pytest.mark.parametrize("engine", ENGINES)
def test_crlf_lines_take_the_general_path_with_the_same_values(engine: Engine) -> None:
    lines = [text_line(tail="Init Duration: 0.25 ms\t"), json_line(status=',"status":"error"')]
    data = "\r\n".join(lines).encode() + b"\r\n"
    assert fast_path_lines(data, engine=engine).tolist() == [False, False]
    table = parse_buffer(data, engine=engine)
    assert [r.to_json() for r in table.to_reports()] == general(lines)
    assert table.init_ms[0] == 0.25 and table.status[1] == "error"


@pytest.mark.parametrize("engine", ENGINES)
def test_nul_bytes_and_invalid_utf8_never_break_the_scan(engine: Engine) -> None:
    good = text_line().encode()
    data = b"\n".join(
        [
            b"\0" * 100,
            good.replace(b"8f5e", b"\xff\xfe"),  # invalid UTF-8 inside the request id
            good[:30] + b"\0" + good[31:],
            b"\xc3",  # a truncated UTF-8 sequence
            good,
            b"{" + b"\0" * 50,
            b"R\0\0",
        ]
    )
    stats = ParseStats()
    table = parse_buffer(data, stats, engine=engine)
    assert fast_path_lines(data, engine=engine).tolist() == [False] * 4 + [True, False, False]
    assert stats.lines == 7
    # the general parser reads the lines with \xff\xfe (as replacement characters) and \0
    assert [r.request_id for r in table.to_reports()] == [
        "\ufffd\ufffd2c1a-0b4d-4c2e-9f3a-1d2e3f4a5b6c",
        "8f5e2c1a-0b4\0-4c2e-9f3a-1d2e3f4a5b6c",
        "8f5e2c1a-0b4d-4c2e-9f3a-1d2e3f4a5b6c",
    ]


# Records, and the lengths at which a prefix of each is itself a complete record.
CUT_CASES = [
    (
        text_line(tail="Init Duration: 841.60 ms\tStatus: timeout\t"),
        {len(text_line()), len(text_line(tail="Init Duration: 841.60 ms\t"))},
    ),
    (json_line(init=',"initDurationMs":0.25', status=',"status":"timeout"'), set()),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("line", "complete"), CUT_CASES)
def test_a_record_cut_off_anywhere_at_the_end_of_the_buffer(
    engine: Engine, line: str, complete: set[int]
) -> None:
    data = line.encode()
    for cut in range(len(data) + 1):
        head = data[:cut]
        fast = fast_path_lines(head, engine=engine).tolist()
        assert fast == ([cut in complete | {len(data)}] if cut else [])
        table = parse_buffer(head, engine=engine)
        assert [r.to_json() for r in table.to_reports()] == general([head.decode()] if cut else [])


def _guarded_views(data: bytes) -> list[memoryview]:
    """``data`` in memory twice: ending where an unreadable page begins, and starting where one
    ends, so that a read one byte out of bounds crashes the process (and fails the test)."""
    page = mmap.PAGESIZE
    pages = -(-max(len(data), 1) // page)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    region = mmap.mmap(-1, (pages + 2) * page)
    base = ctypes.addressof(ctypes.c_char.from_buffer(region))
    for guard in (base, base + (pages + 1) * page):
        assert libc.mprotect(guard, page, 0) == 0  # PROT_NONE, os.strerror(ctypes.get_errno())
    tail_start = (pages + 1) * page - len(data)
    region[page : page + len(data)] = data
    region[tail_start : tail_start + len(data)] = data
    view = memoryview(region)
    return [view[page : page + len(data)], view[tail_start : tail_start + len(data)]]


@needs_compiled
@pytest.mark.skipif(sys.platform != "linux", reason="guard pages through libc's mprotect")
def test_the_compiled_scanner_reads_nothing_outside_the_buffer() -> None:
    for line, complete in CUT_CASES:
        data = line.encode()
        for cut in range(len(data) + 1):
            expected = [cut in complete | {len(data)}] if cut else []
            for view in _guarded_views(data[:cut]):
                assert fast_path_lines(view, engine="c").tolist() == expected  # type: ignore[arg-type]


@needs_compiled
def test_the_compiled_scanner_checks_its_output_columns() -> None:
    from powertune.logs import _fastreport

    def columns(rows: int, slow_width: int = 3) -> list[np.ndarray]:
        return [
            np.empty(rows, dtype="S40"),
            *(np.empty(rows, dtype=np.float64) for _ in range(2)),
            *(np.empty(rows, dtype=np.int64) for _ in range(3)),
            np.empty(rows, dtype=np.uint8),
            np.empty((rows, slow_width), dtype=np.int64),
        ]

    ids, duration, init, billed, memory, used, status, slow = columns(1, slow_width=4)
    line = text_line().encode()
    cols = (ids, duration, billed, memory, used, init, status)
    assert _fastreport.scan(line, *cols, slow, None) == (1, 0, 1, 0, 0, 0, 0)
    with pytest.raises(ValueError, match="more lines"):
        _fastreport.scan(line + b"\n" + line, *cols, slow, None)
    with pytest.raises(ValueError, match="more lines"):  # kinds too short
        _fastreport.scan(line + b"\nx", *columns(4, 4)[:7], columns(4, 4)[7], np.empty(1, "u1"))
    with pytest.raises(ValueError, match="too small"):
        _fastreport.scan(line, ids[:0], *cols[1:], slow, None)
    with pytest.raises(ValueError, match="too small"):
        _fastreport.scan(line, *cols, slow[:, :1], None)
    with pytest.raises((TypeError, BufferError)):  # read-only output
        _fastreport.scan(line, bytes(40), *cols[1:], slow, None)
    with pytest.raises(TypeError):
        _fastreport.scan(line, *cols, slow)
    with pytest.raises(ValueError, match="more messages"):
        _fastreport.scan_messages(["a", "b"], *columns(1, slow_width=2))
    assert _fastreport.count_lines(b"a\nb\n\nc") == 4


@pytest.mark.parametrize("engine", ENGINES)
@given(
    st.integers(0, 99_999_999),
    st.integers(0, 7).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, 10**n - 1))),
)
def test_numbers_are_the_doubles_float_reads(engine: Engine, whole: int, fraction: tuple) -> None:
    digits, value = fraction
    text = f"{whole}.{value:0{digits}d}" if digits else str(whole)
    line = text_line(duration=text, tail=f"Init Duration: {text} ms\t")
    table = parse_buffer(f"{line}\n{json_line(duration=text)}".encode(), engine=engine)
    assert fast_path_lines(line.encode(), engine=engine).tolist() == [True]
    bits = np.array([float(text)] * 2).view(np.uint64).tolist()
    assert table.duration_ms.view(np.uint64).tolist() == bits
    assert table.init_ms[:1].view(np.uint64).tolist() == bits[:1]


def test_parse_messages_reads_cloudwatch_events_that_end_with_a_newline() -> None:
    messages = [
        text_line() + "\n",
        json_line() + "\n",
        text_line() + "\n\n",
        text_line() + "\r\n",
        "START RequestId: 1 Version: $LATEST\n",
        "REPORT RequestId: x\tDuration: fast ms\n",
        text_line(rid="é"),
    ]
    for engine in ENGINES:
        stats, want_stats = ParseStats(), ParseStats()
        records = parse_messages(messages, stats, engine=engine)
        assert records == list(iter_records(messages, want_stats))
        assert [r.kind for r in records] == ["report"] * 4 + ["start", "report"]
        assert [getattr(r, "log_format", None) for r in records][:2] == ["text", "json"]
        assert stats == want_stats and stats.malformed == 1


def test_engine_choice_and_the_environment_switch() -> None:
    code = "from powertune.logs import bulk; print(bulk.ENGINE, *bulk.ENGINES)"
    env = {k: v for k, v in os.environ.items() if k != "POWERTUNE_PURE_PYTHON"}
    default = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    forced = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "POWERTUNE_PURE_PYTHON": "1"},
        capture_output=True,
        text=True,
    )
    assert default.stdout.split() == [ENGINES[0], *ENGINES]
    assert forced.stdout.split() == ["numpy", *ENGINES]
    with pytest.raises(ValueError, match="unknown engine"):
        parse_buffer(b"", engine="rust")  # type: ignore[arg-type]


def test_the_compiled_engine_is_built_where_a_compiler_is() -> None:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = Path(sysconfig.get_paths()["include"], "Python.h").exists()
    if shutil.which(compiler) and headers:
        assert "c" in ENGINES, "a C compiler is here but _fastreport is not built: reinstall"
    else:  # an install without a compiler still parses, with numpy
        assert parse_record(text_line()) == parse_buffer(text_line().encode()).to_reports()[0]
    assert bulk.ENGINE in ENGINES
