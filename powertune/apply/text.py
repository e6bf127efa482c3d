"""Text positions and minimal edits shared by the format modules."""

from __future__ import annotations

import re
from bisect import bisect_right
from pathlib import Path

from powertune.apply.errors import TemplateError
from powertune.apply.plan import Edit

_INT = re.compile(r"[0-9]+")
_QUOTED_INT = re.compile(r"""(["'])([0-9]+)\1""")


class Lines:
    """Offsets of line starts: (0-based line, column) <-> offset in the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        self.newline = "\r\n" if "\r\n" in text else "\n"

    def offset(self, line: int, col: int) -> int:
        return self.starts[line] + col

    def line_of(self, offset: int) -> int:
        """0-based line of an offset."""
        return bisect_right(self.starts, offset) - 1

    def next_line_start(self, line: int) -> int:
        """Where the line after ``line`` starts (the end of the text for the last line)."""
        return self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)

    def indent_of(self, line: int) -> str:
        start = self.starts[line]
        end = self.next_line_start(line)
        row = self.text[start:end]
        return row[: len(row) - len(row.lstrip(" \t"))]


def int_token(text: str, offset: int) -> tuple[int, int, int] | None:
    """The integer literal at ``offset`` (bare or quoted): (start, end, value) of its digits."""
    found = _INT.match(text, offset)
    if found:
        after = text[found.end() : found.end() + 1]
        if after and (after.isalnum() or after in "._"):  # 1.5, 1e3, 0x200, 1_024: not ours
            return None
        return found.start(), found.end(), int(found.group())
    quoted = _QUOTED_INT.match(text, offset)
    if quoted:
        return quoted.start(2), quoted.end(2), int(quoted.group(2))
    return None


def replace_int(text: str, offset: int, new: int | str) -> tuple[Edit, int] | None:
    """An edit setting the integer literal at ``offset`` to ``new`` (a size, or a placeholder
    filled in later), and the old value."""
    token = int_token(text, offset)
    if token is None:
        return None
    start, end, old = token
    return Edit(start, end, str(new)), old


def read_text(path: Path) -> str:
    """The file as text, newlines untouched (CRLF stays CRLF)."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise TemplateError(f"{path}: is a directory") from None
    except FileNotFoundError:
        raise TemplateError(f"{path}: no such file") from None
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TemplateError(f"{path}: not UTF-8 text (byte {exc.start})") from None
