"""powertune.validate.json_depth_ok (run before every JSON read: a result, a config, an
analysis) counts only the brackets left once strings are dropped; it gives the byte-by-byte
walk's answer on any text, JSON or not."""

from __future__ import annotations

import json
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from powertune.validate import MAX_JSON_DEPTH, json_depth_ok

RESULT = Path(__file__).resolve().parent / "golden" / "result-example.json"


def _walk(data: bytes, max_depth: int) -> bool:
    """The byte-by-byte walk json_depth_ok replaced (strings skipped, escapes honoured)."""
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > max_depth:
                return False
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return True


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from([b"[", b"]", b"{", b"}", b'"', b"\\", b"a", b"\n"]), max_size=60))
def test_the_same_answer_as_the_byte_walk(parts: list[bytes]) -> None:
    data = b"".join(parts)
    for depth in (0, 1, 2, 3):
        assert json_depth_ok(data, depth) == _walk(data, depth), (data, depth)
        assert json_depth_ok(data.decode(), depth) == _walk(data, depth), (data, depth)


def test_strings_hide_brackets_and_escaped_quotes_do_not_end_them() -> None:
    assert json_depth_ok('["[[[[", "\\"[[[["]', 1)
    assert not json_depth_ok('[["\\\\"]]', 1)  # an escaped backslash, then the string ends
    assert not json_depth_ok("[" * 3 + "]" * 3, 2)
    assert json_depth_ok('"unterminated [[[[', 1)
    assert json_depth_ok('[1, "a\\', 1)  # a backslash as the last byte


def test_a_real_result_and_a_deep_one() -> None:
    text = RESULT.read_text(encoding="utf-8")
    assert json_depth_ok(text) and _walk(text.encode(), MAX_JSON_DEPTH)
    deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    assert not json_depth_ok(deep)
    assert json_depth_ok("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    big = json.dumps([{"k": ["x" * 50, [1, 2, {"a": "[{"}]]}] * 5000)
    start = time.perf_counter()
    assert json_depth_ok(big, 3) == _walk(big.encode(), 3)
    assert time.perf_counter() - start < 5.0
