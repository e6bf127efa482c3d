"""Terraform: ``memory_size`` in ``aws_lambda_function`` resources and Lambda module calls.

python-hcl2 parses each file into a lark tree whose tokens carry their offsets; apply reads the
values from the tree and edits only the digits of ``memory_size`` (or of the variable default,
tfvars value or local it comes from), or adds one ``memory_size = N`` line. Comments, alignment
and everything else stay as written. The files passed together are one configuration:
a resource in main.tf finds its variable's default in variables.tf.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# python-hcl2 7.x: its parses() is the lark tree with token offsets (8.x also installs a
# top-level `cli` package that shadows powertune's cli.py, hence the <8 pin in pyproject).
import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from powertune.apply.errors import TemplateError
from powertune.apply.match import UNKNOWN, Outcome, Parts, Site, parts_pattern, parts_text
from powertune.apply.plan import Edit
from powertune.apply.text import Lines

DEFAULT_MB = 128  # the provider's (and terraform-aws-modules/lambda's) default
_NEIGHBOURS = ("timeout", "runtime", "handler", "function_name")


@dataclass
class _Attr:
    name: str
    expr: Tree
    path: Path
    lines: Lines

    @property
    def span(self) -> tuple[int, int]:
        return _span(self.expr)

    @property
    def line(self) -> int:
        return self.lines.line_of(self.span[0]) + 1

    def int_value(self) -> tuple[int, int, int] | None:
        """(start, end, value) when the expression is a bare integer literal."""
        node = _unwrap(self.expr)
        if isinstance(node, Tree) and node.data == "int_lit":
            digits = "".join(str(t) for t in _tokens(node))
            if digits.isdigit():
                start, end = _span(node)
                return start, end, int(digits)
        if isinstance(node, Tree) and node.data == "string":
            # "512": Terraform converts it to a number; edit the digits inside the quotes.
            tokens = list(_tokens(node))
            if len(tokens) == 1 and str(tokens[0]).isdigit() and tokens[0].type == "STRING_CHARS":
                token = tokens[0]
                if token.start_pos is not None and token.end_pos is not None:
                    return token.start_pos, token.end_pos, int(str(token))
        return None

    def reference(self) -> tuple[str, str] | None:
        """("var"|"local", name) when the expression is exactly var.x or local.x."""
        node = _unwrap(self.expr)
        return _ref(node)


@dataclass
class _Block:
    kind: str
    labels: list[str]
    attrs: dict[str, _Attr]
    path: Path
    lines: Lines
    start: int
    body: Tree


def _unwrap(node: Any) -> Any:
    while (
        isinstance(node, Tree)
        and node.data in ("expr_term", "expression")
        and len([c for c in node.children if isinstance(c, Tree)]) == 1
        and len(node.children) == 1
    ):
        node = node.children[0]
    return node


def _ref(node: Any) -> tuple[str, str] | None:
    if isinstance(node, Tree) and node.data == "get_attr_expr_term" and len(node.children) == 2:
        base, attr = node.children
        base_name = _ident(_unwrap(base))
        if base_name in ("var", "local") and isinstance(attr, Tree) and attr.data == "get_attr":
            name = next((_ident(c) for c in attr.children if isinstance(c, Tree)), None)
            if name:
                return base_name, name
    return None


def _ident(node: Any) -> str | None:
    if isinstance(node, Tree) and node.data == "identifier":
        return str(node.children[0])
    return None


def _tokens(node: Tree) -> Iterator[Token]:
    return (t for t in node.scan_values(lambda v: isinstance(v, Token)))


def _span(node: Tree) -> tuple[int, int]:
    starts = [t.start_pos for t in _tokens(node) if t.start_pos is not None]
    ends = [t.end_pos for t in _tokens(node) if t.end_pos is not None]
    return min(starts), max(ends)


def _label(node: Any) -> str:
    if isinstance(node, Tree) and node.data == "string":
        return "".join(str(t) for t in _tokens(node) if t.type == "STRING_CHARS")
    return _ident(node) or ""


def parse(path: Path, text: str) -> Tree:
    try:
        tree: Tree = hcl2.parses(text)
        return tree
    except UnexpectedInput as exc:
        first = str(exc).splitlines()[0]
        raise TemplateError(
            f"{path}:{exc.line}:{exc.column}: not valid HCL: {first[:120]}"
        ) from None
    except (LarkError, ValueError, RecursionError) as exc:
        raise TemplateError(f"{path}: not valid HCL: {str(exc).splitlines()[0][:120]}") from None


def _blocks(path: Path, tree: Tree, lines: Lines) -> tuple[list[_Block], dict[str, _Attr]]:
    """Top-level blocks and top-level attributes (what a .tfvars holds)."""
    body = next((c for c in tree.children if isinstance(c, Tree) and c.data == "body"), None)
    blocks: list[_Block] = []
    top: dict[str, _Attr] = {}
    for child in body.children if body is not None else []:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            name, attr = _attribute(child, path, lines)
            top[name] = attr
        elif child.data == "block":
            kind = _ident(child.children[0]) or ""
            labels = [
                _label(c)
                for c in child.children[1:]
                if isinstance(c, Tree) and c.data in ("string", "identifier")
            ]
            inner = next(c for c in child.children if isinstance(c, Tree) and c.data == "body")
            attrs = {}
            for item in inner.children:
                if isinstance(item, Tree) and item.data == "attribute":
                    name, attr = _attribute(item, path, lines)
                    attrs[name] = attr
            blocks.append(_Block(kind, labels, attrs, path, lines, _span(child)[0], inner))
    return blocks, top


def _attribute(node: Tree, path: Path, lines: Lines) -> tuple[str, _Attr]:
    name = _ident(node.children[0]) or ""
    expr = next(c for c in node.children[1:] if isinstance(c, Tree))
    return name, _Attr(name, expr, path, lines)


class _Config:
    """The files passed together: variables, tfvars, locals, and how often each is used."""

    def __init__(self, files: Sequence[tuple[Path, str]], params: Mapping[str, str]) -> None:
        self.params = params
        self.blocks: list[_Block] = []
        self.defaults: dict[str, _Attr | None] = {}
        self.tfvars: dict[str, _Attr] = {}
        self.locals: dict[str, _Attr] = {}
        self.uses: Counter[tuple[str, str]] = Counter()
        for path, text in files:
            tree = parse(path, text)
            lines = Lines(text)
            blocks, top = _blocks(path, tree, lines)
            if path.name.endswith(".tfvars"):
                self.tfvars.update(top)
                continue
            for found in tree.iter_subtrees():
                if found.data == "get_attr_expr_term" and (ref := _ref(found)):
                    self.uses[ref] += 1
            for block in blocks:
                if block.kind == "variable" and block.labels:
                    self.defaults[block.labels[0]] = block.attrs.get("default")
                elif block.kind == "locals":
                    self.locals.update(block.attrs)
                else:
                    self.blocks.append(block)

    def name_parts(self, attr: _Attr, depth: int = 0) -> Parts:
        node = _unwrap(attr.expr)
        return self._parts(node, attr, depth)

    def _parts(self, node: Any, attr: _Attr, depth: int) -> Parts:
        if depth > 10:
            return [UNKNOWN]
        if isinstance(node, Tree) and node.data == "string":
            out: Parts = []
            for part in node.children:
                if not isinstance(part, Tree) or part.data != "string_part":
                    continue
                inner = next((c for c in part.children if isinstance(c, Tree)), None)
                if inner is None:
                    out.append("".join(str(t) for t in part.children))
                elif inner.data == "interpolation":
                    expr = next((c for c in inner.children if isinstance(c, Tree)), None)
                    out.extend(self._parts(_unwrap(expr), attr, depth + 1))
                else:
                    out.append(UNKNOWN)
            return out
        ref = _ref(node)
        if ref is not None:
            kind, name = ref
            if kind == "var" and f"var.{name}" in self.params:
                return [self.params[f"var.{name}"]]
            source = self.tfvars.get(name) if kind == "var" else None
            source = source or (self.defaults.get(name) if kind == "var" else self.locals.get(name))
            if source is not None:
                return self.name_parts(source, depth + 1)
        return [UNKNOWN]


def scan(files: Sequence[tuple[Path, str]], params: Mapping[str, str]) -> list[Site]:
    config = _Config(files, params)
    sites = []
    for block in config.blocks:
        if block.kind == "resource" and block.labels[:1] == ["aws_lambda_function"]:
            key = f"aws_lambda_function.{block.labels[1] if len(block.labels) > 1 else ''}"
        elif block.kind == "module" and "function_name" in block.attrs:
            key = f"module.{block.labels[0] if block.labels else ''}"
        else:
            continue
        names: tuple[str, ...] = ()
        patterns = ()
        if "function_name" in block.attrs:
            parts = config.name_parts(block.attrs["function_name"])
            exact = parts_text(parts)
            pattern = parts_pattern(parts) if exact is None else None
            names = (exact,) if exact else ()
            patterns = (pattern,) if pattern else ()  # type: ignore[assignment]
        sites.append(
            Site(
                key=key,
                path=block.path,
                line=block.lines.line_of(block.start) + 1,
                kind="terraform " + block.kind,
                names=names,
                patterns=patterns,
                plan=_planner(config, block),
            )
        )
    return sites


def _planner(config: _Config, block: _Block) -> Any:
    def plan(mb: int) -> Outcome:
        attr = block.attrs.get("memory_size")
        if attr is None:
            return _insert(block, mb)
        literal = attr.int_value()
        if literal is not None:
            start, end, old = literal
            return Outcome([Edit(start, end, str(mb))], old=old, line=attr.line)
        ref = attr.reference()
        if ref is None:
            return Outcome(
                line=attr.line,
                suggestion=f"memory_size is an expression: set it to {mb} by hand",
            )
        return _from_reference(config, ref, mb, attr)

    return plan


def _from_reference(config: _Config, ref: tuple[str, str], mb: int, attr: _Attr) -> Outcome:
    kind, name = ref
    uses = config.uses[ref]
    if kind == "var":
        source = config.tfvars.get(name)
        what = f"the tfvars value of {name}"
        if source is None:
            source = config.defaults.get(name)
            what = f"the default of variable {name} (a caller that sets {name} overrides it)"
        if name not in config.defaults and name not in config.tfvars:
            return Outcome(
                line=attr.line,
                suggestion=f"memory_size = var.{name}, and no variable {name} in the files given: "
                f"pass its variables.tf, or set {name} = {mb} where the module is called",
            )
        if source is None:
            return Outcome(
                line=attr.line,
                suggestion=f"memory_size = var.{name}, which has no default: set {name} = {mb} "
                "in terraform.tfvars or where the module is called",
            )
    else:
        source = config.locals.get(name)
        what = f"local {name}"
        if source is None:
            return Outcome(line=attr.line, suggestion=f"no local {name} in the files given")
    literal = source.int_value()
    if uses != 1 or literal is None:
        why = f"used {uses} times" if uses != 1 else "not a plain number"
        return Outcome(
            line=attr.line,
            suggestion=f"memory_size = {kind}.{name} ({why}): set this function's "
            f"memory_size = {mb} or change {name} by hand",
        )
    start, end, old = literal
    return Outcome(
        [Edit(start, end, str(mb))],
        old=old,
        line=source.line,
        note=f"{what}, used only by this function",
        path=source.path,
    )


def _insert(block: _Block, mb: int) -> Outcome:
    lines = block.lines
    nl = lines.newline
    for neighbour in _NEIGHBOURS:
        attr = block.attrs.get(neighbour)
        if attr is None:
            continue
        start, end = attr.span
        first, last = lines.line_of(start), lines.line_of(end)
        before = lines.text[lines.starts[first] : start]
        before = before[: before.rfind(attr.name)] if attr.name in before else before
        after = lines.text[end : lines.next_line_start(last)].strip()
        # Only a line of its own: `resource "x" "y" { a = 1 }` on one line is left to the user.
        if first != last or before.strip() or (after and not after.startswith(("#", "//"))):
            continue
        at = lines.next_line_start(last)
        indent = lines.indent_of(first)
        return Outcome(
            [Edit(at, at, f"{indent}memory_size = {mb}{nl}")],
            old=None,
            line=last + 2,
            note=f"default {DEFAULT_MB} MB: set on the function",
            inherited=DEFAULT_MB,
        )
    return Outcome(
        line=lines.line_of(block.start) + 1,
        suggestion=f"no memory_size: add memory_size = {mb}",
    )
