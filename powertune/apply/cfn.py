"""CloudFormation intrinsics, as far as naming needs them: Ref, Fn::Sub, Fn::Join.

Values are plain JSON-shaped data (YAML short forms are turned into their long forms first).
Parameters resolve to ``--param`` values, else their Default; pseudo parameters (AWS::StackName,
AWS::Region, ...) and anything else resolve to an unknown part, which matches any text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from powertune.apply.match import UNKNOWN, Parts, Wild

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
# Pseudo parameters known by their shape: a name built from them matches only that shape.
PSEUDO = {
    "AWS::Region": Wild(r"[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d"),
    "AWS::AccountId": Wild(r"\d{12}"),
    "AWS::Partition": Wild(r"aws(?:-cn|-us-gov|-iso[a-z-]*)?"),
    "AWS::URLSuffix": Wild(r"amazonaws\.com(?:\.cn)?"),
    "AWS::StackName": Wild(r"[A-Za-z][-A-Za-z0-9]*"),
}


class Resolver:
    def __init__(self, template: Mapping[str, Any], overrides: Mapping[str, str]) -> None:
        self.overrides = dict(overrides)
        params = template.get("Parameters")
        self.defaults: dict[str, str] = {}
        if isinstance(params, Mapping):
            for name, spec in params.items():
                if isinstance(spec, Mapping) and isinstance(spec.get("Default"), (str, int)):
                    self.defaults[str(name)] = str(spec["Default"])

    def ref(self, name: str) -> Parts:
        if name in self.overrides:
            return [self.overrides[name]]
        if name in self.defaults:
            return [self.defaults[name]]
        return [PSEUDO.get(name, UNKNOWN)]

    def parts(self, value: Any, depth: int = 0) -> Parts:
        """``value`` as literal parts and unknowns."""
        if depth > 20:
            return [UNKNOWN]
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return [str(value)]
        if isinstance(value, Mapping) and len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref" and isinstance(arg, str):
                return self.ref(arg)
            if fn == "Fn::Sub":
                return self._sub(arg, depth)
            if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
                sep, items = arg
                if isinstance(sep, str) and isinstance(items, list):
                    out: Parts = []
                    for index, item in enumerate(items):
                        if index:
                            out.append(sep)
                        out.extend(self.parts(item, depth + 1))
                    return out
        return [UNKNOWN]

    def _sub(self, arg: Any, depth: int) -> Parts:
        variables: Mapping[str, Any] = {}
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping):
            arg, variables = arg
        if not isinstance(arg, str):
            return [UNKNOWN]
        out: Parts = []
        pos = 0
        for found in _SUB_VAR.finditer(arg):
            out.append(arg[pos : found.start()])
            name = found.group(1)
            if name.startswith("!"):  # ${!Literal} is the text ${Literal}
                out.append("${" + name[1:] + "}")
            elif name in variables:
                out.extend(self.parts(variables[name], depth + 1))
            elif "." in name:  # ${Resource.Attribute}: known only once deployed
                out.append(UNKNOWN)
            else:
                out.extend(self.ref(name))
            pos = found.end()
        out.append(arg[pos:])
        return [p for p in out if p != ""]


def references(template: Any, param: str) -> int:
    """How many times the template refers to ``param`` (Ref and ${param} in Fn::Sub)."""
    return sum(1 for _ in _refs(template, param))


def _refs(value: Any, param: str) -> Iterator[None]:
    if isinstance(value, Mapping):
        if value.get("Ref") == param and len(value) == 1:
            yield None
        for key, item in value.items():
            if key == "Fn::Sub":
                text = item[0] if isinstance(item, list) and item else item
                if isinstance(text, str):
                    for found in _SUB_VAR.finditer(text):
                        if found.group(1) == param:
                            yield None
                if isinstance(item, list) and len(item) == 2:
                    yield from _refs(item[1], param)
            else:
                yield from _refs(item, param)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item, param)


def describe(value: Any) -> str:
    """A short description of a non-literal value for a message."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((fn, arg),) = value.items()
        return f"{fn} {arg!r}"[:80]
    return repr(value)[:80]
