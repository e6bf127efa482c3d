"""Property-based tests: random and mutated input never raises, generated records read back exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_tables import assert_identical

from powertune.logs import ParseStats, Report, iter_records, parse_record
from powertune.logs.bulk import (
    ENGINES,
    Engine,
    ReportTable,
    fast_path_lines,
    parse_buffer,
    parse_messages,
    parse_reports,
)
from powertune.logs.parse import try_parse_record

DATA = Path(__file__).parent / "data"
REAL = [json.loads(line)["text"] for line in (DATA / "report-lines.jsonl").read_text().splitlines()]

settings.register_profile("ci", max_examples=300, deadline=None)
settings.load_profile("ci")


@given(st.text())
def test_random_text_never_raises(text: str) -> None:
    stats = ParseStats()
    list(iter_records([text], stats))
    assert stats.lines == 1
    assert stats.malformed + stats.ignored + sum(stats.records.values()) == 1


@st.composite
def mutated_real_line(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(REAL))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        op = draw(st.sampled_from(["delete", "insert", "replace", "truncate"]))
        i = draw(st.integers(0, len(text) - 1))
        char = draw(st.sampled_from([*'0123456789.:{}",\t \n-aZ', draw(st.characters())]))
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "insert":
            text = text[:i] + char + text[i:]
        elif op == "replace":
            text = text[:i] + char + text[i + 1 :]
        else:
            text = text[:i]
    return text


@given(mutated_real_line())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_mutated_real_lines_never_raise_and_parse_to_sane_values(text: str) -> None:
    record = try_parse_record(text, ParseStats())
    if isinstance(record, Report):
        assert record.duration_ms is not None and record.duration_ms >= 0
        for value in (record.billed_ms, record.memory_mb, record.max_memory_mb):
            assert value is None or (isinstance(value, int) and value >= 0)


FIELD_NAMES = {
    "duration_ms": "Duration",
    "billed_ms": "Billed Duration",
    "memory_mb": "Memory Size",
    "max_memory_mb": "Max Memory Used",
    "init_ms": "Init Duration",
    "restore_ms": "Restore Duration",
    "billed_restore_ms": "Billed Restore Duration",
}
UNITS = {"memory_mb": "MB", "max_memory_mb": "MB"}


@st.composite
def text_report(draw: st.DrawFn) -> tuple[str, dict]:
    values: dict = {"duration_ms": round(draw(st.floats(0, 900_000)), 2)}
    for key in ("billed_ms", "memory_mb", "max_memory_mb", "billed_restore_ms"):
        if draw(st.booleans()):
            values[key] = draw(st.integers(0, 10**7))
    for key in ("init_ms", "restore_ms"):
        if draw(st.booleans()):
            values[key] = round(draw(st.floats(0, 10_000)), 2)
    order = draw(st.permutations(list(values)))
    sep = st.sampled_from(["\t", " ", "  ", "   ", " \t", "\t "])
    parts = [f"{FIELD_NAMES[k]}: {values[k]} {UNITS.get(k, 'ms')}" for k in order]
    text = "REPORT RequestId: 0f9e8d7c" + draw(sep)
    text += "".join(p + draw(sep) for p in parts[:-1]) + parts[-1]
    text += draw(
        st.sampled_from(
            ["", "\t", "\t\n", "        ", "\tXRAY TraceId: 1-2-3\tSegmentId: 4\tSampled: true"]
        )
    )
    return text, values


@given(text_report())
def test_generated_text_reports_read_back_exactly(case: tuple[str, dict]) -> None:
    text, values = case
    record = parse_record(text)
    assert isinstance(record, Report)
    assert record.request_id == "0f9e8d7c"
    for key in FIELD_NAMES:
        assert getattr(record, key) == values.get(key), key


@given(
    st.lists(
        st.one_of(st.sampled_from(REAL), mutated_real_line(), text_report().map(lambda c: c[0])),
        max_size=30,
    )
)
@settings(suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.parametrize("engine", ENGINES)
def test_bulk_parser_agrees_with_the_general_parser(engine: Engine, lines: list[str]) -> None:
    # one record per line: the bulk reader takes lines, so embedded newlines are escaped as exports do
    lines = [line.replace("\n", "\\n") for line in lines]
    slow = [r for r in iter_records(lines) if isinstance(r, Report)]
    table = parse_reports(lines, engine=engine)
    assert len(table) == len(slow)
    for got, want in zip(table.to_reports(), slow, strict=True):
        assert got.duration_ms == want.duration_ms
        assert (got.billed_ms, got.memory_mb, got.max_memory_mb) == (
            want.billed_ms,
            want.memory_mb,
            want.max_memory_mb,
        )
        assert (got.init_ms, got.status, got.error_type, got.request_id) == (
            want.init_ms,
            want.status,
            want.error_type,
            want.request_id,
        )


@st.composite
def canonical_report(draw: st.DrawFn) -> str:
    """Records in exactly the shapes Lambda writes today (the bulk parser's fast path), with
    values at and past the fast path's limits so both paths get exercised."""
    rid = draw(st.text(alphabet="0123456789abcdef-XYZ", min_size=1, max_size=44))
    decimals = draw(st.integers(0, 3))
    duration = draw(st.integers(0, 10**10)) / 10**decimals
    duration_text = f"{duration:.{decimals}f}" if decimals else str(int(duration))
    billed, memory, used = (draw(st.integers(0, 10**9)) for _ in range(3))
    init = draw(st.none() | st.sampled_from(["0.5", "841.60", "10", "1234567.891"]))
    status = draw(st.none() | st.sampled_from(["success", "timeout", "error", "failure", "weird"]))
    if draw(st.booleans()):
        text = f"REPORT RequestId: {rid}\tDuration: {duration_text} ms\tBilled Duration: {billed} ms\tMemory Size: {memory} MB\tMax Memory Used: {used} MB\t"
        if init is not None:
            text += f"Init Duration: {init} ms\t"
        if status is not None:
            text += f"Status: {status}\t"
        return text
    metrics = f'"durationMs":{duration_text},"billedDurationMs":{billed},"memorySizeMB":{memory},"maxMemoryUsedMB":{used}'
    if init is not None:
        metrics += f',"initDurationMs":{init}'
    status_part = "" if status is None else f',"status":"{status}"'
    return (
        '{"time":"2024-02-09T08:42:44.080Z","type":"platform.report","record":{"requestId":"'
        + rid
        + '","metrics":{'
        + metrics
        + "}"
        + status_part
        + "}}"
    )


@st.composite
def near_limit_report(draw: st.DrawFn) -> str:
    """A record in a fast shape where each field is, now and then, at or just past one of the fast
    path's limits (id and time lengths, digit counts, leading zeros, dots, status names), so that
    some lines just make it and others just miss it."""

    def digits(n: int, lead: str = "123456789") -> str:
        if n == 0:
            return ""
        return draw(st.sampled_from(lead)) + draw(
            st.text("0123456789", min_size=n - 1, max_size=n - 1)
        )

    def edge() -> bool:
        return draw(st.integers(0, 9)) == 0

    def number(whole: bool) -> str:
        whole_part = digits(draw(st.integers(1, 8)))
        if not edge():
            if whole or draw(st.booleans()):
                return whole_part
            return whole_part + "." + digits(draw(st.integers(1, 7)), "0123456789")
        return draw(
            st.sampled_from(
                [
                    digits(8),  # the longest whole number
                    digits(9),  # one digit too many
                    digits(8) + "." + digits(7, "0123456789"),  # 15 digits
                    digits(8) + "." + digits(8, "0123456789"),  # 16 digits
                    digits(9) + "." + digits(1, "0123456789"),
                    "0",
                    "0.0",
                    "0" + digits(2),  # a leading zero
                    "00",
                    "",
                    whole_part + ".",
                    "." + digits(2),
                    whole_part + ".5.5",
                    whole_part + "..5",
                ]
            )
        )

    id_chars = "0123456789abcdefABCXYZ-"
    rid = draw(st.text(alphabet=id_chars, min_size=1, max_size=36))
    if edge():
        rid = draw(st.sampled_from(["a" * 38, "b" * 39, "c" * 40, "d" * 41, "e" * 80, "", "a_b"]))
    duration, billed, memory, used = number(False), number(True), number(True), number(True)
    init = number(False) if draw(st.booleans()) else None
    status = draw(st.none() | st.sampled_from(["success", "timeout", "error", "failure"]))
    if edge():
        status = draw(st.sampled_from(["Success", "", "successful", "succes"]))
    if draw(st.booleans()):
        text = f"REPORT RequestId: {rid}\tDuration: {duration} ms\tBilled Duration: {billed} ms\tMemory Size: {memory} MB\tMax Memory Used: {used} MB\t"
        if init is not None:
            text += f"Init Duration: {init} ms\t"
        if status is not None:
            text += f"Status: {status}\t"
        return text
    time = draw(st.text(alphabet="0123456789TZ:.+-", min_size=1, max_size=30))
    if edge():
        time = draw(st.sampled_from(["1" * 30, "2" * 31, "3" * 32, "4" * 33, "", "2024 02"]))
    metrics = f'"durationMs":{duration},"billedDurationMs":{billed},"memorySizeMB":{memory},"maxMemoryUsedMB":{used}'
    if init is not None:
        metrics += f',"initDurationMs":{init}'
    status_part = "" if status is None else f',"status":"{status}"'
    return (
        f'{{"time":"{time}","type":"platform.report","record":{{"requestId":"{rid}",'
        f'"metrics":{{{metrics}}}{status_part}}}}}'
    )


@given(st.lists(near_limit_report(), max_size=30))
@settings(suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.parametrize("engine", ENGINES)
def test_bulk_reads_records_near_the_fast_path_limits_as_the_general_parser(
    engine: Engine, lines: list[str]
) -> None:
    want_stats, got_stats = ParseStats(), ParseStats()
    want = [r.to_json() for r in iter_records(lines, want_stats) if isinstance(r, Report)]
    table = parse_reports(lines, got_stats, engine=engine)
    assert [r.to_json() for r in table.to_reports()] == want
    assert (got_stats.malformed, got_stats.ignored) == (want_stats.malformed, want_stats.ignored)


@given(st.lists(canonical_report(), min_size=1, max_size=40))
@settings(suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.parametrize("engine", ENGINES)
def test_bulk_fast_path_reads_canonical_records_exactly(engine: Engine, lines: list[str]) -> None:
    slow = [parse_record(line) for line in lines]
    table = parse_reports(lines, engine=engine)
    assert len(table) == len(lines)
    for got, want in zip(table.to_reports(), slow, strict=True):
        assert isinstance(want, Report)
        assert got.to_json() == want.to_json()


@pytest.mark.parametrize("engine", ENGINES)
def test_bulk_json_numbers_follow_json_rules(engine: Engine) -> None:
    # Leading zeros are not JSON: the general parser skips such a record, so must the fast path.
    def line(billed: str) -> str:
        return (
            '{"time":"2024-01-01T00:00:00.000Z","type":"platform.report","record":{"requestId":"r","metrics":{"durationMs":0.5,"billedDurationMs":'
            + billed
            + ',"memorySizeMB":128,"maxMemoryUsedMB":30}}}'
        )

    stats = ParseStats()
    table = parse_reports([line("00"), line("01"), line("0"), line("1")], stats, engine=engine)
    assert [int(b) for b in table.billed_ms] == [0, 1]
    assert stats.malformed == 2
    records = list(iter_records([line("00"), line("1")], general := ParseStats()))
    assert [r.billed_ms for r in records if isinstance(r, Report)] == [1]
    assert general.malformed == 1


@given(canonical_report().filter(lambda line: line.startswith("REPORT")))
def test_canonical_text_fast_match_equals_the_key_value_reading(line: str) -> None:
    from powertune.logs.parse import Malformed, _parse_text

    try:
        general = _parse_text(Report, line.strip()[len("REPORT ") :])
    except Malformed:
        general = None
    try:
        fast = parse_record(line)
    except Malformed:
        fast = None
    assert fast == general


@given(canonical_report().filter(lambda line: line.startswith("{")))
def test_canonical_json_fast_match_equals_json_loads_reading(line: str) -> None:
    from powertune.logs.parse import Malformed, _parse_json

    try:
        general = _parse_json(line)
    except Malformed:
        general = None
    try:
        fast = parse_record(line)
    except Malformed:
        fast = None
    assert fast == general


# -- the two engines of the bulk parser -----------------------------------------------------------

# Bytes that matter to the fast shapes, line structure, and bytes that are not UTF-8.
_MUTATION_BYTES = [*b'0123456789.:{}",\t \r\n\0-aZT+', 0x80, 0xC3, 0xFF]


@st.composite
def mutated_canonical_bytes(draw: st.DrawFn) -> bytes:
    """A canonical record, then a few byte edits (which may split it into two lines)."""
    data = bytearray(draw(canonical_report()).encode())
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        op = draw(st.sampled_from(["delete", "insert", "replace", "truncate"]))
        i = draw(st.integers(0, len(data) - 1))
        byte = draw(st.sampled_from(_MUTATION_BYTES))
        if op == "delete":
            del data[i]
        elif op == "insert":
            data.insert(i, byte)
        elif op == "replace":
            data[i] = byte
        else:
            del data[i:]
    return bytes(data)


def _parse_both(data: bytes) -> tuple[ReportTable, ParseStats, ReportTable, ParseStats]:
    c_stats, numpy_stats = ParseStats(), ParseStats()
    compiled = parse_buffer(data, c_stats, engine="c")
    vectorised = parse_buffer(data, numpy_stats, engine="numpy")
    return compiled, c_stats, vectorised, numpy_stats


needs_compiled = pytest.mark.skipif(
    "c" not in ENGINES, reason="the C extension is not built (see test_collectors_bulk.py)"
)


@needs_compiled
@given(
    st.lists(
        st.one_of(
            canonical_report().map(str.encode),
            near_limit_report().map(str.encode),
            mutated_canonical_bytes(),
            st.sampled_from(REAL).map(lambda line: line.encode()),
            st.binary(max_size=40),
        ),
        max_size=30,
    ),
    st.sampled_from([b"", b"\n", b"\r\n"]),
)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_engines_take_the_same_lines_and_read_the_same_values(
    lines: list[bytes], ending: bytes
) -> None:
    data = ending.join(lines) + (ending if lines else b"")
    assert (
        fast_path_lines(data, engine="c").tolist() == fast_path_lines(data, engine="numpy").tolist()
    )
    compiled, c_stats, vectorised, numpy_stats = _parse_both(data)
    assert_identical(compiled, vectorised)
    assert c_stats == numpy_stats
    assert c_stats.summary() == numpy_stats.summary()


@needs_compiled
@given(st.lists(st.one_of(canonical_report(), near_limit_report()), min_size=1, max_size=40))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_engines_agree_on_canonical_records(lines: list[str]) -> None:
    data = "\n".join(lines).encode()
    assert (
        fast_path_lines(data, engine="c").tolist() == fast_path_lines(data, engine="numpy").tolist()
    )
    compiled, _, vectorised, _ = _parse_both(data)
    assert_identical(compiled, vectorised)


@given(
    st.lists(
        st.one_of(
            st.sampled_from(REAL),
            canonical_report(),
            near_limit_report(),
            canonical_report().map(lambda line: line + "\n"),  # as CloudWatch events end
            mutated_real_line(),
            mutated_canonical_bytes().map(lambda b: b.decode("utf-8", errors="surrogateescape")),
            st.text(max_size=30),
        ),
        max_size=30,
    )
)
@settings(suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.parametrize("engine", ENGINES)
def test_parse_messages_is_iter_records(engine: Engine, messages: list[str]) -> None:
    want_stats, got_stats = ParseStats(), ParseStats()
    want = list(iter_records(messages, want_stats))
    got = parse_messages(messages, got_stats, engine=engine)
    assert got == want  # records compare every field, the log format too
    assert [type(r) for r in got] == [type(r) for r in want]
    assert got_stats == want_stats
    assert got_stats.summary() == want_stats.summary()
