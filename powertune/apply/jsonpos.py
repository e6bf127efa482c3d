"""A JSON reader that keeps where every value is: the offsets apply needs for a minimal edit.

The standard ``json`` module returns values only. This recursive-descent reader (strings and
numbers through the standard scanner) returns ``Node``s with start/end offsets; depth is bounded.
"""

from __future__ import annotations

import json.decoder
import json.scanner
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 200
# The standard library's string scanner (typeshed does not list it): (text, end) -> (str, end).
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


class JsonPosError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass
class Node:
    kind: str  # object, array, string, number, literal
    start: int
    end: int
    value: Any = None  # scalar value; for arrays a list of Nodes
    members: list[tuple[str, Node, Node]] = field(default_factory=list)  # object: key, key, value

    def get(self, key: str) -> Node | None:
        for name, _, value in self.members:
            if name == key:
                return value
        return None

    def key_node(self, key: str) -> Node | None:
        for name, node, _ in self.members:
            if name == key:
                return node
        return None

    def plain(self) -> Any:
        """The value as plain Python (what json.loads would give)."""
        if self.kind == "object":
            return {k: v.plain() for k, _, v in self.members}
        if self.kind == "array":
            return [n.plain() for n in self.value]
        return self.value


_WS = " \t\n\r"
_LITERALS = {"true": True, "false": False, "null": None}


def parse(text: str) -> Node:
    reader = _Reader(text)
    start = 1 if text.startswith("\ufeff") else 0  # a byte-order mark is not part of the value
    node = reader.value(reader.skip(start), 0)
    end = reader.skip(node.end)
    if end != len(text):
        raise JsonPosError("extra data after the JSON value", end)
    return node


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text

    def skip(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in _WS:
            i += 1
        return i

    def value(self, i: int, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise JsonPosError(f"nested deeper than {MAX_DEPTH} levels", i)
        if i >= len(self.text):
            raise JsonPosError("unexpected end of the text", i)
        c = self.text[i]
        if c == "{":
            return self.obj(i, depth)
        if c == "[":
            return self.arr(i, depth)
        if c == '"':
            s, end = _scanstring(self.text, i + 1)
            return Node("string", i, end, s)
        for word, val in _LITERALS.items():
            if self.text.startswith(word, i):
                return Node("literal", i, i + len(word), val)
        found = json.scanner.NUMBER_RE.match(self.text, i)
        if found:
            integer, frac, exp = found.groups()
            number = float(integer + (frac or "") + (exp or "")) if frac or exp else int(integer)
            return Node("number", i, found.end(), number)
        raise JsonPosError(f"unexpected character {c!r}", i)

    def obj(self, i: int, depth: int) -> Node:
        node = Node("object", i, i)
        i = self.skip(i + 1)
        if self.text.startswith("}", i):
            node.end = i + 1
            return node
        while True:
            if not self.text.startswith('"', i):
                raise JsonPosError("expected a property name in double quotes", i)
            key = self.value(i, depth + 1)
            i = self.skip(key.end)
            if not self.text.startswith(":", i):
                raise JsonPosError("expected ':'", i)
            val = self.value(self.skip(i + 1), depth + 1)
            node.members.append((key.value, key, val))
            i = self.skip(val.end)
            if self.text.startswith(",", i):
                i = self.skip(i + 1)
                continue
            if self.text.startswith("}", i):
                node.end = i + 1
                return node
            raise JsonPosError("expected ',' or '}'", i)

    def arr(self, i: int, depth: int) -> Node:
        items: list[Node] = []
        node = Node("array", i, i, items)
        i = self.skip(i + 1)
        if self.text.startswith("]", i):
            node.end = i + 1
            return node
        while True:
            item = self.value(i, depth + 1)
            items.append(item)
            i = self.skip(item.end)
            if self.text.startswith(",", i):
                i = self.skip(i + 1)
                continue
            if self.text.startswith("]", i):
                node.end = i + 1
                return node
            raise JsonPosError("expected ',' or ']'", i)
