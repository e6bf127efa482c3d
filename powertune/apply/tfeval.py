"""Terraform values as apply needs them: which expression a name or a memory size comes from.

A *deployment* is one function a block creates: one environment (a -var-file, with
terraform.tfvars and *.auto.tfvars under it; a workspace), one instance of its ``count`` or
``for_each``, and for a block inside a local module, one call of that module. ``Scope`` is that
deployment's view of the variables; ``Evaluator`` follows ``var.x``, ``local.x``, ``M[k]``,
``lookup(M, k)``, ``each.value.x`` and module inputs to the expression that defines a value,
and evaluates the literal ones (strings, numbers, lists, maps, ``toset``, ``length``, ``a ? b :
c``). Anything else is unknown, never guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark import Token, Tree

from powertune.apply.match import UNKNOWN, Parts
from powertune.apply.text import Lines


class _Unknown:
    def __repr__(self) -> str:
        return "<unknown>"


UNK: Any = _Unknown()
MAX_DEPTH = 100  # references followed inside one another


def unwrap(node: Any) -> Any:
    """The expression inside expr_term / expression wrappers and parentheses."""
    while isinstance(node, Tree) and node.data in ("expr_term", "expression"):
        inner = subtrees(node)
        if len(inner) != 1:
            break
        node = inner[0]
    return node


def ident(node: Any) -> str | None:
    if isinstance(node, Tree) and node.data == "identifier":
        return str(node.children[0])
    return None


def tokens(node: Tree) -> Iterator[Token]:
    return (t for t in node.scan_values(lambda v: isinstance(v, Token)))


def span(node: Tree) -> tuple[int, int]:
    """Start and end offsets, quotes, brackets and a heredoc's last newline included."""
    if not node.meta.empty:
        return node.meta.start_pos, node.meta.end_pos
    starts = [t.start_pos for t in tokens(node) if t.start_pos is not None]
    ends = [t.end_pos for t in tokens(node) if t.end_pos is not None]
    return min(starts), max(ends)


def label(node: Any) -> str:
    if isinstance(node, Tree) and node.data == "string":
        return "".join(str(t) for t in tokens(node) if t.type == "STRING_CHARS")
    return ident(node) or ""


def subtrees(node: Any) -> list[Tree]:
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def ref(node: Any) -> tuple[str, str] | None:
    """("var"|"local"|"each"|"count"|"terraform"|..., attr) for exactly ``a.b``."""
    if isinstance(node, Tree) and node.data == "get_attr_expr_term" and len(node.children) == 2:
        base, attr = node.children
        base_name = ident(unwrap(base))
        if base_name and isinstance(attr, Tree) and attr.data == "get_attr":
            name = next((ident(c) for c in attr.children if isinstance(c, Tree)), None)
            if name:
                return base_name, name
    return None


@dataclass
class Attr:
    name: str
    node: Tree  # the whole attribute: name = expression
    expr: Tree
    path: Path
    lines: Lines

    @property
    def span(self) -> tuple[int, int]:
        return span(self.expr)

    @property
    def line(self) -> int:
        return self.lines.line_of(span(self.node)[0]) + 1


@dataclass
class Block:
    kind: str
    labels: list[str]
    attrs: dict[str, Attr]
    path: Path
    lines: Lines
    node: Tree
    body: Tree

    @property
    def line(self) -> int:
        return self.lines.line_of(span(self.node)[0]) + 1

    @property
    def address(self) -> str:
        if self.kind == "module":
            return f"module.{self.labels[0] if self.labels else ''}"
        return ".".join(self.labels[:2])


@dataclass
class Module:
    """One directory of .tf files: Terraform's unit of variables and locals."""

    directory: Path
    blocks: list[Block] = field(default_factory=list)
    defaults: dict[str, Attr | None] = field(default_factory=dict)
    locals: dict[str, Attr] = field(default_factory=dict)
    uses: Counter[tuple[str, str]] = field(default_factory=Counter)
    base: list[tuple[Path, dict[str, Attr]]] = field(default_factory=list)  # auto-loaded
    var_files: list[tuple[Path, dict[str, Attr]]] = field(default_factory=list)  # -var-file
    callers: list[tuple[Module, Block]] = field(default_factory=list)
    workspaces: set[str] = field(default_factory=set)  # keys of maps indexed by the workspace
    uses_workspace: bool = False
    texts: list[str] = field(default_factory=list)  # its .tf files, for counting accessor uses


@dataclass(frozen=True)
class Env:
    """An environment: the tfvars read (in order, the last wins) and the workspace."""

    label: str
    files: tuple[tuple[Path, Mapping[str, Attr]], ...] = ()
    workspace: Any = UNK
    chosen: bool = True  # the result was measured here (all are, unless one is named)


@dataclass(frozen=True)
class Py:
    """A value known without an expression behind it (count.index, a --param, a set element)."""

    value: Any


@dataclass
class Scope:
    module: Module
    env: Env
    caller: tuple[Block, Scope] | None = None
    index: Any = None  # count.index
    each_key: Any = None
    each_value: Any = None  # (node, Scope) or Py
    bound: Mapping[str, Any] = field(default_factory=dict)  # a for expression's own names

    def with_instance(self, index: Any = None, key: Any = None, value: Any = None) -> Scope:
        return Scope(self.module, self.env, self.caller, index, key, value, self.bound)

    def binding(self, names: Mapping[str, Any]) -> Scope:
        bound = {**self.bound, **names}
        return Scope(
            self.module, self.env, self.caller, self.index, self.each_key, self.each_value, bound
        )


@dataclass(frozen=True)
class Step:
    """One reference followed: what it was and where its value is written."""

    kind: str  # var, local, each, index
    name: str
    module: Module | None
    where: str  # "tfvars dev.tfvars", "default", "caller module.x", "local"
    path: Path | None = None


class Evaluator:
    def __init__(self, params: Mapping[str, str]) -> None:
        self.params = params
        self._depth = 0

    # --- following references -----------------------------------------------------------
    def follow(self, node: Any, scope: Scope, trail: list[Step] | None = None) -> Any:
        """One step: the (node, scope) or Py a reference stands for; None when not a reference."""
        if self._depth > MAX_DEPTH:  # local.a = local.a[0] and other cycles: unknown
            return Py(UNK)
        self._depth += 1
        try:
            return self._follow(node, scope, trail)
        finally:
            self._depth -= 1

    def _follow(self, node: Any, scope: Scope, trail: list[Step] | None) -> Any:
        node = unwrap(node)
        if not isinstance(node, Tree):
            return None
        name = ident(node)
        if name is not None and name in scope.bound:
            return Py(scope.bound[name])
        found = ref(node)
        if found is not None:
            return self._named(found, node, scope, trail)
        if node.data == "get_attr_expr_term" and len(node.children) == 2:
            base, attr = node.children
            name = next((ident(c) for c in attr.children if isinstance(c, Tree)), None)
            return self._element(base, name, scope, trail)
        if node.data == "index_expr_term" and len(node.children) == 2:
            base, index = node.children
            inner = subtrees(index)
            if inner:
                key = self.value(inner[0], scope)
            else:
                key = int("".join(str(t) for t in index.children if isinstance(t, Token)) or "x")
            return self._element(base, key, scope, trail)
        if node.data == "function_call":
            name = ident(node.children[0])
            args = self.arguments(node)
            if name == "lookup" and len(args) in (2, 3):
                got = self._element(args[0], self.value(args[1], scope), scope, trail)
                if isinstance(got, Py) and got.value is UNK and len(args) == 3:
                    return (args[2], scope)
                return got
        return None

    def _named(
        self, found: tuple[str, str], node: Tree, scope: Scope, trail: list[Step] | None
    ) -> Any:
        base, name = found
        if base in scope.bound:
            value = scope.bound[base]
            return Py(value[name] if isinstance(value, Mapping) and name in value else UNK)
        if base == "var":
            return self.variable(name, scope, trail)
        if base == "local":
            attr = scope.module.locals.get(name)
            if trail is not None:
                path = attr.path if attr else None
                trail.append(Step("local", name, scope.module, "local", path))
            return (attr.expr, scope) if attr is not None else Py(UNK)
        if base == "count" and name == "index":
            return Py(UNK if scope.index is None else scope.index)
        if base == "each":
            if name == "key":
                return Py(UNK if scope.each_key is None else scope.each_key)
            if name == "value":
                if trail is not None:
                    trail.append(Step("each", "value", None, "for_each"))
                return scope.each_value if scope.each_value is not None else Py(UNK)
        if base == "terraform" and name == "workspace":
            return Py(scope.env.workspace)
        base_node = node.children[0]
        return self._element(base_node, name, scope, trail)

    def variable(self, name: str, scope: Scope, trail: list[Step] | None) -> Any:
        def step(where: str, path: Path | None) -> None:
            if trail is not None:
                trail.append(Step("var", name, scope.module, where, path))

        if scope.caller is not None:
            block, outer = scope.caller
            if name in block.attrs:
                step(f"caller {block.address}", block.path)
                return (block.attrs[name].expr, outer)
        elif f"var.{name}" in self.params and (
            scope.env.chosen or not any(name in values for _, values in scope.env.files)
        ):
            # --param var.env=dev is the environment measured: another environment's tfvars
            # keep their own value (it names the functions the edit would also change).
            step("--param", None)
            return Py(self.params[f"var.{name}"])
        else:
            for path, values in reversed(scope.env.files):
                if name in values:
                    step(f"tfvars {path.name}", path)
                    return (values[name].expr, scope)
        default = scope.module.defaults.get(name)
        step("default" if default is not None else "missing", default.path if default else None)
        return (default.expr, scope) if default is not None else Py(UNK)

    def deref(self, node: Any, scope: Scope, trail: list[Step] | None = None) -> Any:
        """Follow references to the expression that defines the value, or a Py."""
        for _ in range(30):
            nxt = self.follow(node, scope, trail)
            if nxt is None:
                return (unwrap(node), scope)
            if isinstance(nxt, Py):
                return nxt
            node, scope = nxt
        return Py(UNK)

    def _element(self, base: Any, key: Any, scope: Scope, trail: list[Step] | None) -> Any:
        if key is UNK or key is None:
            return Py(UNK)
        got = self.deref(base, scope, trail)
        if isinstance(got, Py):
            value = got.value
            if isinstance(value, Mapping) and key in value:
                return Py(value[key])
            if isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
                return Py(value[key])
            return Py(UNK)
        node, where = got
        if not isinstance(node, Tree):
            return Py(UNK)
        if node.data == "object":
            for elem in subtrees(node):
                if elem.data != "object_elem":
                    continue
                if self.key_of(elem, where) == str(key):
                    if trail is not None:
                        trail.append(Step("index", str(key), None, "element"))
                    return (subtrees(elem)[-1], where)
            return Py(UNK)
        if node.data == "tuple" and isinstance(key, int):
            items = subtrees(node)
            return (items[key], where) if 0 <= key < len(items) else Py(UNK)
        return Py(UNK)

    def key_of(self, elem: Tree, scope: Scope) -> Any:
        key = unwrap(subtrees(elem)[0])
        inner = subtrees(key)[0] if key.data == "object_elem_key" and subtrees(key) else key
        inner = unwrap(inner)
        name = ident(inner)
        if name is not None:
            return name
        if isinstance(inner, Tree) and inner.data == "object_elem_key_expression":
            value = self.value(subtrees(inner)[0], scope)
            return str(value) if isinstance(value, (str, int)) else UNK
        value = self.value(inner, scope)
        return str(value) if isinstance(value, (str, int)) and value is not UNK else UNK

    def arguments(self, call: Tree) -> list[Tree]:
        args = [c for c in call.children if isinstance(c, Tree) and c.data == "arguments"]
        return subtrees(args[0]) if args else []

    # --- values --------------------------------------------------------------------------
    def value(self, node: Any, scope: Scope, depth: int = 0) -> Any:
        if depth > 30:
            return UNK
        got = self.deref(node, scope)
        if isinstance(got, Py):
            return got.value
        node, scope = got
        if not isinstance(node, Tree):
            return UNK
        data = node.data
        if data == "int_lit":
            text = "".join(str(t) for t in tokens(node))
            return int(text) if text.lstrip("-").isdigit() else UNK
        if data == "string":
            parts = self.parts(node, scope, depth + 1)
            return "".join(parts) if all(isinstance(p, str) for p in parts) else UNK  # type: ignore[arg-type]
        if data == "identifier":
            return {"true": True, "false": False, "null": None}.get(str(node.children[0]), UNK)
        if data == "tuple":
            items = [self.value(c, scope, depth + 1) for c in subtrees(node)]
            return UNK if any(i is UNK for i in items) else items
        if data == "object":
            out: dict[str, Any] = {}
            for elem in subtrees(node):
                key = self.key_of(elem, scope)
                if elem.data != "object_elem" or key is UNK:
                    return UNK
                out[key] = self.value(subtrees(elem)[-1], scope, depth + 1)
            return out
        if data == "conditional":
            cond, yes, no = [*subtrees(node), None, None, None][:3]
            test = self.value(cond, scope, depth + 1)
            if isinstance(test, bool):
                return self.value(yes if test else no, scope, depth + 1)
            return UNK
        if data == "function_call":
            return self._call(node, scope, depth)
        if data in ("for_object_expr", "for_tuple_expr"):
            return self._for(node, scope, depth)
        return UNK

    def _for(self, node: Tree, scope: Scope, depth: int) -> Any:
        """``{for k, v in M : k => v if c}`` and ``[for x in L : x]`` over known collections."""
        if any(isinstance(t, Token) and str(t) == "..." for t in node.children):
            return UNK  # grouping mode
        intro = next(c for c in node.children if isinstance(c, Tree) and c.data == "for_intro")
        parts = subtrees(intro)
        names = [ident(p) for p in parts[:-1]]
        if not parts or not all(names) or len(names) not in (1, 2):
            return UNK
        collection = self.value(parts[-1], scope, depth + 1)
        if isinstance(collection, Mapping):
            pairs: list[tuple[Any, Any]] = list(collection.items())
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            return UNK
        rest = subtrees(node)[1:]
        cond = rest.pop() if rest and rest[-1].data == "for_cond" else None
        is_object = node.data == "for_object_expr"
        if len(rest) != (2 if is_object else 1):
            return UNK
        out_map: dict[str, Any] = {}
        out_list: list[Any] = []
        for key, item in pairs:
            values = [key, item] if len(names) == 2 else [item]
            inner = scope.binding(dict(zip(names, values, strict=True)))  # type: ignore[arg-type]
            if cond is not None:
                test = self.value(subtrees(cond)[0], inner, depth + 1)
                if not isinstance(test, bool):
                    return UNK
                if not test:
                    continue
            got = [self.value(e, inner, depth + 1) for e in rest]
            if any(g is UNK for g in got):
                return UNK
            if is_object:
                if not isinstance(got[0], (str, int)) or isinstance(got[0], bool):
                    return UNK
                out_map[str(got[0])] = got[1]
            else:
                out_list.append(got[0])
        return out_map if is_object else out_list

    def _call(self, node: Tree, scope: Scope, depth: int) -> Any:
        name = ident(node.children[0])
        args = [self.value(a, scope, depth + 1) for a in self.arguments(node)]
        if any(a is UNK for a in args):
            return UNK
        if name in ("toset", "tolist", "distinct") and len(args) == 1 and isinstance(args[0], list):
            return list(dict.fromkeys(args[0])) if name != "tolist" else args[0]
        if name == "tomap" and len(args) == 1 and isinstance(args[0], dict):
            return args[0]
        if name == "keys" and len(args) == 1 and isinstance(args[0], dict):
            return sorted(args[0])
        if name == "length" and len(args) == 1 and isinstance(args[0], (list, dict, str)):
            return len(args[0])
        if name == "merge" and all(isinstance(a, dict) for a in args):
            merged: dict[str, Any] = {}
            for a in args:
                merged.update(a)
            return merged
        return UNK

    def parts(self, node: Any, scope: Scope, depth: int = 0) -> Parts:
        """A name as literal parts and unknowns."""
        if depth > 30:
            return [UNKNOWN]
        node = unwrap(node)
        if isinstance(node, Tree) and node.data == "string":
            out: Parts = []
            for part in node.children:
                if not isinstance(part, Tree) or part.data != "string_part":
                    continue
                inner = next((c for c in part.children if isinstance(c, Tree)), None)
                if inner is None:
                    out.append("".join(str(t) for t in part.children))
                elif inner.data == "interpolation":
                    out.extend(self.parts(subtrees(inner)[0], scope, depth + 1))
                else:
                    out.append(UNKNOWN)
            return out
        got = self.deref(node, scope)
        if isinstance(got, Py):
            value = got.value
            ok = isinstance(value, (str, int)) and not isinstance(value, bool)
            return [str(value)] if ok else [UNKNOWN]
        inner_node, inner_scope = got
        if isinstance(inner_node, Tree) and inner_node.data == "string":
            return self.parts(inner_node, inner_scope, depth + 1)
        value = self.value(inner_node, inner_scope, depth + 1)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return [str(value)]
        return [UNKNOWN]
