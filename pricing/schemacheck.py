"""A quick pass/fail check of JSON against the part of JSON Schema (draft 2020-12) that our own
schemas use, without importing ``jsonschema`` (which costs a CLI start-up more than typer does).

``compile_schema(schema)`` turns a schema into a function ``check(instance)`` that returns
``None`` when the instance is valid, else ``(path, message)`` for the first problem met (a JSON
path such as ``$.functions[0].memory_mb``). It follows jsonschema's own rules keyword by keyword
(``bool`` is neither a number nor an integer, ``1.0`` is an integer, ``enum``/``const`` tell
``True`` from ``1``, ``pattern`` is ``re.search``, ``items`` applies after ``prefixItems``).
A schema using any keyword outside ``KEYWORDS`` compiles to ``None``: the caller then validates
with jsonschema itself, so a later schema edit can never be checked less strictly in silence.

Callers keep jsonschema for the wording of an error: only an instance this check refuses pays for
importing it (``results.jsonio``, ``pricing.catalog``). tests/test_schemacheck.py holds the two
to the same verdict on thousands of altered results and catalogs.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Problem = tuple[str, str]
Check = Callable[[Any, str], Problem | None]

ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples"}
)
KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "properties",
        "patternProperties",
        "additionalProperties",
        "required",
        "propertyNames",
        "minProperties",
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "pattern",
        "minLength",
        "minimum",
        "maximum",
        "anyOf",
        "oneOf",
        "$ref",
    }
)


class Unsupported(Exception):
    """The schema uses a keyword (or a $ref) this check does not implement."""


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "number": _is_number,
    "integer": _is_integer,
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
}


def _unbool(x: Any) -> Any:
    return ("<true>",) if x is True else ("<false>",) if x is False else x


def json_equal(one: Any, two: Any) -> bool:
    """jsonschema's equality: ``True`` is not ``1``, inside lists and objects too."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(json_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return one.keys() == two.keys() and all(json_equal(one[k], two[k]) for k in one)
    return bool(_unbool(one) == _unbool(two))


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"


class _Compiler:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, ref: str) -> Check:
        if not ref.startswith("#/$defs/") or "/" in ref[len("#/$defs/") :]:
            raise Unsupported(f"$ref {ref!r}")
        name = ref[len("#/$defs/") :]
        if name not in self.root.get("$defs", {}):
            raise Unsupported(f"$ref {ref!r}: no such definition")
        if ref not in self.refs:
            slot: list[Check] = []
            self.refs[ref] = lambda x, p: slot[0](x, p)  # recursion: filled in below
            slot.append(self.compile(self.root["$defs"][name]))
        return self.refs[ref]

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda x, p: None
        if schema is False:
            return lambda x, p: (p, "False schema does not allow it")
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        unknown = set(schema) - KEYWORDS - ANNOTATIONS
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(self.ref(schema["$ref"]))
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            tests = tuple(TYPES[n] for n in names)

            def type_(x: Any, p: str) -> Problem | None:
                if any(t(x) for t in tests):
                    return None
                return p, f"{x!r} is not of type {', '.join(map(repr, names))}"

            checks.append(type_)
        if "enum" in schema:
            enum = schema["enum"]

            def enum_(x: Any, p: str) -> Problem | None:
                if any(json_equal(e, x) for e in enum):
                    return None
                return p, f"{x!r} is not one of {enum!r}"

            checks.append(enum_)
        if "const" in schema:
            const = schema["const"]
            checks.append(lambda x, p: None if json_equal(x, const) else (p, f"{const!r} expected"))
        if "pattern" in schema:
            regex = re.compile(schema["pattern"])

            def pattern(x: Any, p: str) -> Problem | None:
                if isinstance(x, str) and not regex.search(x):
                    return p, f"{x!r} does not match {regex.pattern!r}"
                return None

            checks.append(pattern)
        if "minLength" in schema:
            low = schema["minLength"]
            checks.append(
                lambda x, p: (
                    (p, f"{x!r} is too short") if isinstance(x, str) and len(x) < low else None
                )
            )
        if "minimum" in schema or "maximum" in schema:
            lo, hi = schema.get("minimum"), schema.get("maximum")

            def bounds(x: Any, p: str) -> Problem | None:
                if not _is_number(x):
                    return None
                if lo is not None and x < lo:
                    return p, f"{x!r} is less than the minimum of {lo!r}"
                if hi is not None and x > hi:
                    return p, f"{x!r} is greater than the maximum of {hi!r}"
                return None

            checks.append(bounds)
        if any(k in schema for k in ("properties", "patternProperties", "additionalProperties")):
            checks.append(self.object_members(schema))
        if "required" in schema:
            required = tuple(schema["required"])

            def required_(x: Any, p: str) -> Problem | None:
                if isinstance(x, dict):
                    for name in required:
                        if name not in x:
                            return p, f"{name!r} is a required property"
                return None

            checks.append(required_)
        if "propertyNames" in schema:
            names_check = self.compile(schema["propertyNames"])

            def property_names(x: Any, p: str) -> Problem | None:
                if isinstance(x, dict):
                    for k in x:
                        problem = names_check(k, p)
                        if problem:
                            return problem
                return None

            checks.append(property_names)
        if "minProperties" in schema:
            least = schema["minProperties"]
            checks.append(
                lambda x, p: (
                    (p, "too few properties") if isinstance(x, dict) and len(x) < least else None
                )
            )
        if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems")):
            checks.append(self.array(schema))
        for word, need in (("anyOf", "any"), ("oneOf", "one")):
            if word in schema:
                checks.append(self.combine([self.compile(s) for s in schema[word]], need))
        if len(checks) == 1:
            return checks[0]
        all_checks = tuple(checks)

        def all_of(x: Any, p: str) -> Problem | None:
            for check in all_checks:
                problem = check(x, p)
                if problem:
                    return problem
            return None

        return all_of

    def object_members(self, schema: dict[str, Any]) -> Check:
        props = {k: self.compile(v) for k, v in schema.get("properties", {}).items()}
        patterns = [
            (re.compile(k), self.compile(v)) for k, v in schema.get("patternProperties", {}).items()
        ]
        extra_schema = schema.get("additionalProperties", True)
        extra = None if extra_schema is True else self.compile(extra_schema)

        def members(x: Any, p: str) -> Problem | None:
            if not isinstance(x, dict):
                return None
            for k, v in x.items():
                matched = False
                check = props.get(k)
                if check is not None:
                    matched = True
                    problem = check(v, _key(p, k))
                    if problem:
                        return problem
                for regex, check in patterns:
                    if regex.search(k):
                        matched = True
                        problem = check(v, _key(p, k))
                        if problem:
                            return problem
                if not matched and extra is not None:
                    if extra_schema is False:
                        return p, f"additional property {k!r} is not allowed"
                    problem = extra(v, _key(p, k))
                    if problem:
                        return problem
            return None

        return members

    def array(self, schema: dict[str, Any]) -> Check:
        prefix = [self.compile(s) for s in schema.get("prefixItems", [])]
        rest_schema = schema.get("items", True)
        rest = None if rest_schema is True else self.compile(rest_schema)
        least, most = schema.get("minItems"), schema.get("maxItems")

        def array_(x: Any, p: str) -> Problem | None:
            if not isinstance(x, list):
                return None
            if least is not None and len(x) < least:
                return p, f"{x!r} is too short"
            if most is not None and len(x) > most:
                return p, f"{x!r} is too long"
            for i, (check, item) in enumerate(zip(prefix, x, strict=False)):
                problem = check(item, f"{p}[{i}]")
                if problem:
                    return problem
            if rest is not None:
                for i in range(len(prefix), len(x)):
                    problem = rest(x[i], f"{p}[{i}]")
                    if problem:
                        return problem
            return None

        return array_

    @staticmethod
    def combine(options: list[Check], need: str) -> Check:
        def combined(x: Any, p: str) -> Problem | None:
            passed = 0
            first = None
            for check in options:
                problem = check(x, p)
                if problem is None:
                    passed += 1
                    if need == "any":
                        return None
                elif first is None:
                    first = problem
            if need == "one" and passed == 1:
                return None
            if passed > 1:
                return p, f"{x!r} is valid under more than one of the given schemas"
            return first if first is not None else (p, f"{x!r} is not valid under any schema")

        return combined


def compile_schema(schema: Mapping[str, Any]) -> Callable[[Any], Problem | None] | None:
    """The check for ``schema``, or None when it uses something this module does not implement
    (the caller then validates with jsonschema)."""
    try:
        check = _Compiler(schema).compile(dict(schema))
    except (Unsupported, KeyError, TypeError, re.error):
        return None

    def run(instance: Any) -> Problem | None:
        return check(instance, "$")

    return run
