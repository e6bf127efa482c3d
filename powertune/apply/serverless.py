"""Serverless Framework ``serverless.yml``: ``memorySize`` per function.

Located with ruamel.yaml's round-trip loader; the digits of the value change, or a function that
inherits ``provider.memorySize`` (or the framework's 1024 MB default) gets its own line.
Variables (``${self:...}``, ``${opt:stage, 'dev'}``, ``${sls:stage}``, ``${env:X, 'd'}``) are
resolved where the file or ``--param`` says what they are (``--param opt:stage=prod``); anything
else (ssm, file, cf) is an unknown part that matches any text in a name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from powertune.apply.deploy import MB, Deployment, GroupPlanner, Source
from powertune.apply.errors import TemplateError
from powertune.apply.match import UNKNOWN, Outcome, Parts, Site, parts_pattern, parts_text
from powertune.apply.sam import YamlLocator, added_line, load_yaml
from powertune.apply.text import replace_int

DEFAULT_MB = 1024  # the framework's default memorySize
_NEIGHBOURS = ("timeout", "runtime", "handler")
_SELF_ONLY = re.compile(r"^\$\{self:([A-Za-z0-9_.-]+)\}$")
_STAGE = r"\$\{(?:sls:stage|opt:stage[^}]*|self:provider\.stage)\}"
# ${self:custom.memory.${sls:stage}}: a map with one entry per stage.
_BY_STAGE = re.compile(r"\$\{self:([A-Za-z0-9_.-]+)\." + _STAGE + r"\}")
_PARAM_ONLY = re.compile(r"^\$\{param:([A-Za-z0-9_.-]+)\}$")


def is_serverless(doc: Any) -> bool:
    return isinstance(doc, Mapping) and "service" in doc and "functions" in doc


class Variables:
    """Resolve ``${...}`` in serverless.yml strings to literal parts and unknowns."""

    def __init__(self, doc: Mapping[str, Any], params: Mapping[str, str]) -> None:
        self.doc = doc
        self.params = params

    def stage(self) -> Parts:
        if "opt:stage" in self.params or "stage" in self.params:
            return [self.params.get("opt:stage") or self.params["stage"]]
        provider = self.doc.get("provider")
        value = provider.get("stage") if isinstance(provider, Mapping) else None
        return ["dev"] if value is None else self.parts(value)

    def service(self) -> Parts:
        value = self.doc.get("service")
        if isinstance(value, Mapping):
            value = value.get("name")
        return self.parts(value) if value is not None else [UNKNOWN]

    def parts(self, value: Any, depth: int = 0) -> Parts:
        if depth > 20:
            return [UNKNOWN]
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return [UNKNOWN]
        text = str(value)
        out: Parts = []
        pos = 0
        while (start := text.find("${", pos)) >= 0:
            end = _closing(text, start)
            if end < 0:
                break
            out.append(text[pos:start])
            out.extend(self._expression(text[start + 2 : end], depth + 1))
            pos = end + 1
        out.append(text[pos:])
        return [p for p in out if p != ""]

    def _expression(self, inner: str, depth: int) -> Parts:
        # Inner variables first: ${self:custom.memory.${sls:stage}}.
        resolved = parts_text(self.parts(inner, depth)) if "${" in inner else inner
        if resolved is None:
            return [UNKNOWN]
        for choice in _split_top(resolved):
            got = self._source(choice.strip(), depth)
            if got is not None:
                return got
        return [UNKNOWN]

    def _source(self, ref: str, depth: int) -> Parts | None:
        if len(ref) >= 2 and ref[0] == ref[-1] and ref[0] in "'\"":
            return [ref[1:-1]]
        if re.fullmatch(r"-?[0-9]+", ref):
            return [ref]
        if ref in ("sls:stage", "opt:stage"):
            return None if ref == "opt:stage" and "opt:stage" not in self.params else self.stage()
        if ref in self.params:
            return [self.params[ref]]
        if ref.startswith("param:"):
            found = stage_param(self.doc, parts_text(self.stage()), ref[len("param:") :])
            return None if found is None else self.parts(found[1], depth + 1)
        if ref.startswith("self:"):
            node: Any = self.doc
            for key in ref[5:].split("."):
                if not isinstance(node, Mapping) or key not in node:
                    return None
                node = node[key]
            return self.parts(node, depth + 1)
        return None  # opt:, env:, ssm:, file(...), cf: and the rest: unknown here


def _closing(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text.startswith("${", i):
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _split_top(expr: str) -> list[str]:
    """Split ``a, 'b, c', d`` at commas outside quotes and brackets."""
    out, depth, quote, current = [], 0, "", ""
    for ch in expr:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(current)
            current = ""
            continue
        current += ch
    out.append(current)
    return out


def stage_param(
    doc: Mapping[str, Any], stage: str | None, name: str
) -> tuple[tuple[str, ...], Any] | None:
    """(path, value) of ``${param:name}`` for the stage: ``params.<stage>`` or v4's
    ``stages.<stage>.params``, else their ``default``."""
    for section in (stage, "default"):
        if section is None:
            continue
        for path in (("params", section, name), ("stages", section, "params", name)):
            node: Any = doc
            for key in path:
                node = node.get(key) if isinstance(node, Mapping) else None
            if node is not None:
                return path, node
    return None


def stages(doc: Mapping[str, Any], text: str, params: Mapping[str, str]) -> Sequence[str | None]:
    """The stages the file is deployed to: those its ``params:`` / ``stages:`` and stage-keyed
    custom maps name, with the default (or given: ``--param opt:stage=prod``) stage. None alone
    when the file names no stage of its own (the default or given stage, as before)."""
    named: set[str] = set()
    for section in ("params", "stages"):
        value = doc.get(section)
        if isinstance(value, Mapping):
            named |= {str(k) for k in value if k != "default"}
    for found in _BY_STAGE.finditer(text):
        node: Any = doc
        for key in found.group(1).split("."):
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping):
            named |= {str(k) for k in node}
    if not named:
        return [None]
    default = parts_text(Variables(doc, params).stage())  # the given one, if given
    return [*sorted(named | ({default} if default else set()))]


def scan(path: Path, text: str, params: Mapping[str, str], doc: Any = None) -> list[Site]:
    """The sites of a serverless.yml (``doc``: the file already parsed by load_yaml, if it
    was)."""
    doc = load_yaml(path, text) if doc is None else doc
    if not is_serverless(doc):
        raise TemplateError(f"{path}: not a serverless.yml (no service and functions)")
    functions = doc["functions"]
    if not isinstance(functions, CommentedMap):
        raise TemplateError(
            f"{path}: functions is not a mapping in this file (included from elsewhere?): pass "
            "the file that defines them"
        )
    loc = YamlLocator(doc, text)
    provider = doc.get("provider") if isinstance(doc.get("provider"), Mapping) else {}
    stage_list = stages(doc, text, params)
    sites = []
    for key, spec in functions.items():
        if not isinstance(spec, Mapping):
            continue
        given = params.get("opt:stage") or params.get("stage")
        deployments = []
        for stage in stage_list:
            variables = Variables(doc, params if stage is None else {**params, "opt:stage": stage})
            if "name" in spec:
                parts = variables.parts(spec["name"])
            else:
                parts = [*variables.service(), "-", *variables.stage(), "-", str(key)]
            exact = parts_text(parts)
            pattern = parts_pattern(parts) if exact is None else None
            env = f"stage {stage}" if stage else ""
            chosen = not given or stage in (None, given)
            deployments.append(Deployment(str(key), env, exact, pattern, variables, chosen))
        line = int(functions.lc.key(key)[0]) + 1
        planner = _Planner(path, doc, loc, str(key), spec, provider, line, deployments)
        sites.append(
            Site(
                key=str(key),
                path=path,
                line=line,
                kind="serverless function",
                names=tuple(dict.fromkeys(d.name for d in deployments if d.name)),
                patterns=tuple(
                    dict.fromkeys(d.pattern for d in deployments if d.pattern and not d.name)
                ),
                plan=planner.plan_one,
                plan_group=planner.plan,
                shared=len(deployments) > 1,
            )
        )
    return sites


class _Planner(GroupPlanner):
    """One function of the file, per stage when the file names its stages."""

    hint = "--param opt:stage=NAME"

    def __init__(
        self,
        path: Path,
        doc: Any,
        loc: YamlLocator,
        key: str,
        spec: Mapping[str, Any],
        provider: Mapping[str, Any],
        line: int,
        deployments: list[Deployment],
    ) -> None:
        super().__init__(key, line, deployments)
        self.path = path
        self.doc, self.loc, self.key, self.spec, self.provider = doc, loc, key, spec, provider

    def source(self, d: Deployment) -> Source | str:
        outcome = _outcome(self.doc, self.loc, self.key, self.spec, self.provider, d.scope, MB)
        if outcome.suggestion is not None:
            return outcome.suggestion
        (edit,) = outcome.edits
        what = (
            f"memorySize ({self.path.name}:{outcome.line})"
            if outcome.old is not None
            else f"a new memorySize on function {self.key}"
        )
        return Source(
            ("edit", edit.start),
            edit,
            self.path,
            outcome.line,
            outcome.old,
            outcome.note,
            what,
            outcome.inherited,
        )

    def how(self, missing: list[Deployment]) -> str:
        return (
            "to size stages apart set memorySize: ${param:memory} with a memory value under "
            "params.<stage> (or ${self:custom.memory.${sls:stage}})"
        )

    def memory_line(self) -> int:
        if "memorySize" in self.spec and self.loc.own(("functions", self.key), "memorySize"):
            return self.loc.key_line(("functions", self.key, "memorySize")) + 1
        return self.line


def _outcome(
    doc: Any,
    loc: YamlLocator,
    key: str,
    spec: Mapping[str, Any],
    provider: Mapping[str, Any],
    variables: Variables,
    mb: int | str,
) -> Outcome:
    """Where one stage's memorySize is set (``mb``: the size, or the placeholder)."""
    fn_path = ("functions", key)
    text = loc.lines.text
    merged = "memorySize" in spec and not loc.own(fn_path, "memorySize")
    if "memorySize" in spec and not merged:
        value = spec["memorySize"]
        line = loc.key_line((*fn_path, "memorySize")) + 1
        if isinstance(value, str) and (found_self := _SELF_ONLY.match(value.strip())):
            return _from_self(doc, loc, found_self.group(1), mb, line)
        if isinstance(value, str) and (found_param := _PARAM_ONLY.match(value.strip())):
            return _from_param(doc, loc, found_param.group(1), variables, mb, line)
        if isinstance(value, str) and (by_stage := _BY_STAGE.fullmatch(value.strip())):
            stage = parts_text(variables.stage())
            if stage is None:
                return Outcome(
                    line=line,
                    suggestion=f"memorySize is {value}: give the stage "
                    f"(--param opt:stage=NAME) or set {mb} by hand",
                )
            ref = f"{by_stage.group(1)}.{stage}"
            return _from_self(doc, loc, ref, mb, line, value.strip())
        found = replace_int(text, loc.value_offset((*fn_path, "memorySize")) or 0, mb)
        if found is None or isinstance(value, bool) or not isinstance(value, (int, str)):
            return Outcome(line=line, suggestion=f"memorySize is {value!r}: set {mb} by hand")
        edit, old = found
        return Outcome([edit], old=old, line=line)
    inherited = provider.get("memorySize")
    note = (
        f"inherited provider.memorySize {inherited}: set on the function, provider unchanged"
        if inherited is not None
        else f"framework default {DEFAULT_MB} MB: set on the function"
    )
    if merged:
        note = "inherited through a YAML merge key (<<): set on the function, anchor unchanged"
    added = loc.insert(fn_path, "memorySize", mb, _NEIGHBOURS)
    line = loc.key_line(fn_path) + 1
    if isinstance(added, str):
        return Outcome(line=line, suggestion=f"{added}: add memorySize: {mb} by hand")
    effective = spec["memorySize"] if merged else inherited
    effective = DEFAULT_MB if effective is None else effective
    return Outcome(
        [added],
        old=None,
        line=added_line(loc.lines, added),
        note=note,
        inherited=effective if isinstance(effective, int) else None,
    )


def _from_self(
    doc: Any, loc: YamlLocator, ref: str, mb: int | str, line: int, written: str = ""
) -> Outcome:
    """memorySize: ${self:custom.x} (or ${self:custom.x.${sls:stage}}, ``written``): edit
    custom.x when it is a number only this uses."""
    keys = tuple(ref.split("."))
    node: Any = doc
    for k in keys:
        if not isinstance(node, Mapping) or k not in node:
            return Outcome(line=line, suggestion=f"memorySize is ${{self:{ref}}}, not in this file")
        node = node[k]
    uses = loc.lines.text.count(written or "${self:" + ref + "}")
    if isinstance(node, bool) or not isinstance(node, int) or uses != 1:
        why = f"used {uses} times" if uses != 1 else "not a number"
        return Outcome(
            line=line, suggestion=f"memorySize is ${{self:{ref}}} ({why}): set it to {mb} by hand"
        )
    found = replace_int(loc.lines.text, loc.value_offset(keys) or 0, mb)
    if found is None:
        return Outcome(line=line, suggestion=f"{ref} is not a plain number: set it by hand")
    edit, old = found
    return Outcome([edit], old=old, line=loc.key_line(keys) + 1, note=f"{ref}, used only here")


def _from_param(
    doc: Any, loc: YamlLocator, name: str, variables: Variables, mb: int | str, line: int
) -> Outcome:
    """memorySize: ${param:x}: edit the stage's params value (else the default's) when only
    this function uses it."""
    stage = parts_text(variables.stage())
    found = stage_param(doc, stage, name)
    if found is None:
        return Outcome(
            line=line,
            suggestion=f"memorySize is ${{param:{name}}}, not set for stage {stage} in this "
            f"file: pass --param {name}={mb} to serverless deploy, or set it by hand",
        )
    where, value = found
    uses = loc.lines.text.count("${param:" + name + "}")
    if isinstance(value, bool) or not isinstance(value, int) or uses != 1:
        why = f"used {uses} times" if uses != 1 else "not a number"
        return Outcome(
            line=line,
            suggestion=f"memorySize is ${{param:{name}}} ({why}): set it to {mb} by hand",
        )
    edit = replace_int(loc.lines.text, loc.value_offset(where) or 0, mb)
    if edit is None:
        return Outcome(line=line, suggestion=f"{'.'.join(where)} is not a plain number")
    return Outcome(
        [edit[0]],
        old=edit[1],
        line=loc.key_line(where) + 1,
        note=f"{'.'.join(where)}, used only here",
    )
