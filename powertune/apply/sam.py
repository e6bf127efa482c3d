"""AWS SAM and CloudFormation templates, YAML and JSON: ``MemorySize`` per function.

Located with ruamel.yaml's round-trip loader (line and column of every key and value, short-form
tags kept as tagged nodes) or ``jsonpos`` for JSON; then only the digits of the value change, or
one ``MemorySize`` line is added to a function that inherits ``Globals.Function.MemorySize`` (or
the 128 MB default). Globals are never edited: other functions share them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from powertune.apply import jsonpos
from powertune.apply.cfn import Resolver, describe, references
from powertune.apply.errors import TemplateError
from powertune.apply.match import Outcome, Site, parts_pattern, parts_text
from powertune.apply.plan import Edit
from powertune.apply.text import Lines, replace_int

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
DEFAULT_MB = 128
# Insert a new MemorySize after the first of these one-line settings (else before the first key).
_NEIGHBOURS = ("Timeout", "Runtime", "Handler", "CodeUri")


def load_yaml(path: Path, text: str) -> Any:
    """Round-trip load: tags, comments and positions kept. A parse error is a TemplateError."""
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise TemplateError(f"{path}{where}: not valid YAML: {exc.problem or exc}") from None
    except (YAMLError, ValueError, RecursionError) as exc:
        raise TemplateError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None


def plain(value: Any) -> Any:
    """ruamel nodes as JSON-shaped data, short-form tags as their long forms."""
    tag = getattr(getattr(value, "tag", None), "value", None)
    if isinstance(value, TaggedScalar):
        inner: Any = value.value
    elif isinstance(value, CommentedMap):
        inner = {k: plain(v) for k, v in value.items()}
    elif isinstance(value, CommentedSeq):
        inner = [plain(v) for v in value]
    else:
        return value
    if isinstance(tag, str) and tag.startswith("!") and not tag.startswith("!!"):
        name = tag[1:]
        if name == "GetAtt" and isinstance(inner, str):
            inner = inner.split(".", 1)
        return {"Ref" if name == "Ref" else f"Fn::{name}": inner}
    return inner


class _Locator(Protocol):
    lines: Lines

    def value_offset(self, path: tuple[str, ...]) -> int | None: ...
    def own(self, path: tuple[str, ...], key: str) -> bool: ...
    def key_line(self, path: tuple[str, ...]) -> int: ...
    def insert(
        self,
        props_path: tuple[str, ...],
        key: str,
        value: int | str,
        neighbours: tuple[str, ...] = ...,
    ) -> Edit | str: ...


class YamlLocator:
    def __init__(self, doc: Any, text: str) -> None:
        self.doc = doc
        self.lines = Lines(text)

    def _node(self, path: tuple[str, ...]) -> Any:
        node = self.doc
        for key in path:
            node = node[key]
        return node

    def value_offset(self, path: tuple[str, ...]) -> int | None:
        parent = self._node(path[:-1])
        line, col = parent.lc.value(path[-1])
        return self.lines.offset(line, col)

    def own(self, path: tuple[str, ...], key: str) -> bool:
        """``key`` is written in this mapping, not merged in from an anchor (``<<: *x``)."""
        node = self._node(path)
        return isinstance(node, CommentedMap) and key in node.lc.data

    def key_line(self, path: tuple[str, ...]) -> int:
        parent = self._node(path[:-1])
        return int(parent.lc.key(path[-1])[0])

    def insert(
        self,
        props_path: tuple[str, ...],
        key: str,
        value: int | str,
        neighbours: tuple[str, ...] = _NEIGHBOURS,
    ) -> Edit | str:
        props = self._node(props_path)
        if not isinstance(props, CommentedMap) or not props:
            return "its settings are not a block mapping"
        if props.fa.flow_style():
            return "its settings are written in flow style ({...})"
        nl = self.lines.newline
        for neighbour in neighbours:
            if neighbour in props.lc.data and isinstance(props[neighbour], (int, str)):
                kline, kcol = props.lc.key(neighbour)
                vline, _ = props.lc.value(neighbour)
                if vline != kline or isinstance(props[neighbour], bool):
                    continue
                at = self.lines.next_line_start(kline)
                lead = (
                    nl if at == len(self.lines.text) and not self.lines.text.endswith("\n") else ""
                )
                return Edit(at, at, f"{lead}{' ' * kcol}{key}: {value}{'' if lead else nl}")
        first = next((k for k in props if k in props.lc.data), None)
        if first is None:
            return "its settings all come from a merge key (<<)"
        kline, kcol = props.lc.key(first)
        at = self.lines.offset(kline, kcol)
        return Edit(at, at, f"{key}: {value}{nl}{' ' * kcol}")


class _JsonLocator:
    def __init__(self, root: jsonpos.Node, text: str) -> None:
        self.root = root
        self.lines = Lines(text)
        self.text = text

    def _node(self, path: tuple[str, ...]) -> jsonpos.Node:
        node = self.root
        for key in path:
            found = node.get(key)
            assert found is not None
            node = found
        return node

    def value_offset(self, path: tuple[str, ...]) -> int | None:
        return self._node(path).start

    def own(self, path: tuple[str, ...], key: str) -> bool:
        return True

    def key_line(self, path: tuple[str, ...]) -> int:
        parent = self._node(path[:-1])
        key = parent.key_node(path[-1])
        assert key is not None
        return self.lines.line_of(key.start)

    def insert(
        self,
        props_path: tuple[str, ...],
        key: str,
        value: int | str,
        neighbours: tuple[str, ...] = _NEIGHBOURS,
    ) -> Edit | str:
        props = self._node(props_path)
        if props.kind != "object":
            return "its Properties are not an object"
        member = f'"{key}": {value}'
        if not props.members:
            return Edit(props.start, props.end, "{" + member + "}")
        first = props.members[0][1]
        gap = self.text[props.start + 1 : first.start]
        if "\n" in gap:
            indent = gap[gap.rfind("\n") + 1 :]
            return Edit(first.start, first.start, f"{member},{self.lines.newline}{indent}")
        return Edit(first.start, first.start, f"{member}, ")


def scan_yaml(path: Path, text: str, params: Mapping[str, str], doc: Any = None) -> list[Site]:
    """The sites of a YAML template (``doc``: the file already parsed by load_yaml, if it was)."""
    doc = load_yaml(path, text) if doc is None else doc
    if not isinstance(doc, CommentedMap):
        raise TemplateError(f"{path}: not a CloudFormation template (no top-level mapping)")
    return _sites(path, plain(doc), YamlLocator(doc, text), params)


def scan_json(path: Path, text: str, params: Mapping[str, str]) -> list[Site]:
    try:
        root = jsonpos.parse(text)
    except jsonpos.JsonPosError as exc:
        line = Lines(text).line_of(exc.offset) + 1
        raise TemplateError(f"{path}:{line}: not valid JSON: {exc}") from None
    except ValueError as exc:
        raise TemplateError(f"{path}: not valid JSON: {exc}") from None
    if root.kind != "object":
        raise TemplateError(f"{path}: not a CloudFormation template (no top-level object)")
    return _sites(path, root.plain(), _JsonLocator(root, text), params)


def is_template(data: Any) -> bool:
    return isinstance(data, Mapping) and isinstance(data.get("Resources"), Mapping)


def _sites(path: Path, template: Any, loc: _Locator, params: Mapping[str, str]) -> list[Site]:
    resources = template.get("Resources") if isinstance(template, Mapping) else None
    if not isinstance(resources, Mapping):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources section)")
    resolver = Resolver(template, params)
    globals_fn = template.get("Globals", {})
    globals_fn = globals_fn.get("Function", {}) if isinstance(globals_fn, Mapping) else {}
    sites: list[Site] = []
    for logical, resource in resources.items():
        if not isinstance(resource, Mapping) or resource.get("Type") not in FUNCTION_TYPES:
            continue
        if not isinstance(logical, str):
            raise TemplateError(f"{path}: resource id {logical!r} is not a string")
        props = resource.get("Properties")
        props = props if isinstance(props, Mapping) else {}
        names: tuple[str, ...] = ()
        patterns: list[re.Pattern[str]] = []
        if "FunctionName" in props:
            parts = resolver.parts(props["FunctionName"])
            exact = parts_text(parts)
            if exact is not None:
                names = (exact,)
            elif (pattern := parts_pattern(parts)) is not None:
                patterns.append(pattern)
        else:
            # CloudFormation names it <stack>-<LogicalId>-<suffix> (the id may be truncated).
            patterns.append(re.compile(rf".+-{re.escape(logical[:20])}\w*-[A-Za-z0-9]{{6,}}"))
        sites.append(
            Site(
                key=str(logical),
                path=path,
                line=loc.key_line(("Resources", logical)) + 1,
                kind=str(resource["Type"]),
                names=names,
                patterns=tuple(patterns),
                plan=_planner(path, template, loc, str(logical), props, globals_fn, resource),
            )
        )
    return sites


def _planner(
    path: Path,
    template: Any,
    loc: _Locator,
    logical: str,
    props: Mapping[str, Any],
    globals_fn: Mapping[str, Any],
    resource: Mapping[str, Any],
) -> Any:
    props_path = ("Resources", logical, "Properties")

    def plan(mb: int) -> Outcome:
        text = loc.lines.text
        merged = "MemorySize" in props and not loc.own(props_path, "MemorySize")
        if "MemorySize" in props and not merged:
            value = props["MemorySize"]
            where = (*props_path, "MemorySize")
            line = loc.key_line(where) + 1
            if isinstance(value, Mapping) and isinstance(value.get("Ref"), str):
                return _from_parameter(template, loc, value["Ref"], mb, line)
            offset = loc.value_offset(where)
            found = replace_int(text, offset, mb) if offset is not None else None
            if found is None or isinstance(value, bool):
                return Outcome(
                    line=line,
                    suggestion=f"MemorySize is {describe(value)}: set it to {mb} by hand",
                )
            edit, old = found
            return Outcome([edit], old=old, line=line)
        if "Properties" not in resource:
            return Outcome(
                line=loc.key_line(("Resources", logical)) + 1,
                suggestion=f"no Properties: add Properties with MemorySize: {mb}",
            )
        serverless = str(resource["Type"]).startswith("AWS::Serverless")
        inherited = globals_fn.get("MemorySize") if serverless else None
        if _ignores_globals(resource, "MemorySize"):
            inherited = None  # IgnoreGlobals: the function has the 128 MB default, not Globals'
        note = (
            f"inherited Globals.Function.MemorySize {inherited}: set on the function, "
            "Globals unchanged"
            if inherited is not None
            else f"CloudFormation default {DEFAULT_MB} MB: set on the function"
        )
        if _ignores_globals(resource, "MemorySize"):
            note = f"IgnoreGlobals: the default {DEFAULT_MB} MB, not Globals: set on the function"
        if merged:
            note = "inherited through a YAML merge key (<<): set on the function, anchor unchanged"
        added = loc.insert(props_path, "MemorySize", mb)
        line = loc.key_line(props_path) + 1
        if isinstance(added, str):
            return Outcome(line=line, suggestion=f"{added}: add MemorySize: {mb} by hand")
        effective = inherited if inherited is not None else DEFAULT_MB
        if merged:
            effective = props["MemorySize"]
        return Outcome(
            [added],
            old=None,
            line=added_line(loc.lines, added),
            note=note,
            inherited=effective if isinstance(effective, int) else None,
        )

    return plan


def _ignores_globals(resource: Mapping[str, Any], key: str) -> bool:
    """``IgnoreGlobals: '*'`` or a list naming ``key`` on the resource (SAM, 2023)."""
    ignored = resource.get("IgnoreGlobals")
    if isinstance(ignored, str):
        return ignored.strip() in ("*", key)
    return isinstance(ignored, list) and key in ignored


def added_line(lines: Lines, edit: Edit) -> int:
    """1-based line of an inserted setting (an insertion may start after a line's indent)."""
    return (
        lines.line_of(edit.start)
        + 1
        + (lines.text[lines.starts[lines.line_of(edit.start)] : edit.start].strip() != "")
    )


def _from_parameter(template: Any, loc: _Locator, param: str, mb: int, line: int) -> Outcome:
    params = template.get("Parameters")
    spec = params.get(param) if isinstance(params, Mapping) else None
    if not isinstance(spec, Mapping):
        return Outcome(line=line, suggestion=f"MemorySize is !Ref {param}: set it to {mb} by hand")
    uses = references(template, param)
    default = spec.get("Default")
    if "Default" not in spec or uses != 1:
        why = "has no Default" if "Default" not in spec else f"is used {uses} times"
        return Outcome(
            line=line,
            suggestion=(
                f"MemorySize is !Ref {param}, which {why}: deploy with "
                f"--parameter-overrides {param}={mb}, or give the function its own MemorySize"
            ),
        )
    where = ("Parameters", param, "Default")
    offset = loc.value_offset(where)
    found = replace_int(loc.lines.text, offset, mb) if offset is not None else None
    if found is None or isinstance(default, bool):
        return Outcome(line=line, suggestion=f"parameter {param}'s Default is not a number")
    edit, old = found
    return Outcome(
        [edit],
        old=old,
        line=loc.key_line(where) + 1,
        note=f"the Default of parameter {param}, used only by this function",
    )
