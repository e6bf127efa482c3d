"""CDK, Pulumi and other code: find the memory literal of each function construct.

There is no one parser for every language, so this scans tokens: a construct call
``new lambda.Function(this, 'Resize', {...})`` / ``_lambda.Function(self, "Resize", ...)`` /
``awslambda.NewFunction(stack, jsii.String("Resize"), ...)`` / Pulumi's
``new aws.lambda.Function("resize", {...})`` and, inside its parentheses (strings
and comments skipped), ``memorySize: 1024`` / ``memory_size=1024`` / ``.memorySize(1024)`` /
``MemorySize: jsii.Number(1024)``. It edits only when the call holds exactly one integer literal;
otherwise it reports file:line with the suggested value.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from powertune.apply.match import Outcome, Site
from powertune.apply.plan import Edit
from powertune.apply.text import Lines

EXTENSIONS = (".ts", ".js", ".mjs", ".cjs", ".py", ".java", ".go", ".cs", ".kt")

_CONSTRUCT = re.compile(
    r"(?:\bnew\s+)?(?P<cls>[A-Za-z_][\w.]*)\s*\(\s*(?:(?:this|self|scope|stack|construct)\s*,\s*)?"
    r"(?:jsii\.String\(\s*)?(?P<q>['\"])(?P<id>[^'\"\n]+)(?P=q)"
)
_MEMORY = re.compile(
    r"\b(?:memorySize|memory_size|MemorySize)\b\s*(?:[:=]\s*|\(\s*)(?:jsii\.Number\(\s*)?"
    r"(?P<value>[^,)\s}]+)"
)
_NAME = re.compile(
    r"\b(?:functionName|function_name|FunctionName)\b\s*(?:[:=]\s*|\(\s*)(?:jsii\.String\(\s*)?"
    r"(?P<q>['\"])(?P<name>[^'\"\n]+)(?P=q)"
)


def _call_end(text: str, open_at: int) -> int:
    """The offset of the parenthesis closing the one at ``open_at`` (strings, comments skipped)."""
    depth = 0
    i = open_at
    while i < len(text):
        c = text[i]
        if c in "'\"`":
            end = text.find(c, i + 1)
            while end > 0 and text[end - 1] == "\\":
                end = text.find(c, end + 1)
            i = len(text) if end < 0 else end + 1
            continue
        if text.startswith("//", i) or (c == "#" and not text.startswith("#{", i)):
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text)


def scan(path: Path, text: str) -> list[Site]:
    lines = Lines(text)
    sites = []
    for found in _CONSTRUCT.finditer(text):
        cls = found.group("cls").rsplit(".", 1)[-1]
        if not cls.lower().endswith("function") or cls.lower().endswith("alias"):
            continue
        open_at = text.index("(", found.start("cls"))
        end = _call_end(text, open_at)
        body = text[open_at:end]
        construct_id = found.group("id")
        names = tuple(m.group("name") for m in _NAME.finditer(body))
        # CDK names an unnamed function <Stack>-<Id><hash>-<suffix>.
        ident = re.sub(r"[^A-Za-z0-9]", "", construct_id)
        patterns = () if names else (re.compile(rf".+-{re.escape(ident)}\w*-[A-Za-z0-9]+"),)
        literals = [(open_at + m.start("value"), m.group("value")) for m in _MEMORY.finditer(body)]
        sites.append(
            Site(
                key=construct_id,
                path=path,
                line=lines.line_of(found.start()) + 1,
                kind=f"{cls} construct",
                names=names,
                patterns=patterns,
                plan=_planner(lines, found.start(), literals),
            )
        )
    return sites


def _planner(lines: Lines, start: int, literals: list[tuple[int, str]]) -> Any:
    def plan(mb: int) -> Outcome:
        if not literals:
            return Outcome(
                line=lines.line_of(start) + 1,
                suggestion=f"no memorySize in this construct: add memorySize: {mb}",
            )
        if len(literals) > 1:
            at = ", ".join(str(lines.line_of(o) + 1) for o, _ in literals)
            return Outcome(
                line=lines.line_of(literals[0][0]) + 1,
                suggestion=f"several memory settings (lines {at}): set {mb} by hand",
            )
        offset, value = literals[0]
        line = lines.line_of(offset) + 1
        if not value.isdigit():
            return Outcome(line=line, suggestion=f"memory is {value!r}, not a literal: set {mb}")
        return Outcome([Edit(offset, offset + len(value), str(mb))], old=int(value), line=line)

    return plan
