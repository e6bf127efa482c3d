"""Generate the result JSON Schema from the dataclasses: ``python -m powertune.results.schema_gen``.

The committed ``schema-v1.json`` is this module's output; a test fails when they differ, so the
models and the schema cannot drift apart. Objects stay open to unknown properties so a reader of
schema 1 accepts results from a later 1.x writer (the gate then warns about the version).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import typing
from decimal import Decimal
from typing import Any, Literal

from powertune.results.codec import field_types, is_optional
from powertune.results.model import SCHEMA_VERSION, Result

SCHEMA_ID = f"https://powertune.dev/schemas/result/v{SCHEMA_VERSION}.json"
DECIMAL_PATTERN = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$"


def build_schema() -> dict[str, Any]:
    return schema_for(Result, title="powertune tuning result", schema_id=SCHEMA_ID)


def schema_for(cls: type, *, title: str, schema_id: str) -> dict[str, Any]:
    """The JSON Schema of any dataclass the codec writes (the result's, the gate verdict's)."""
    defs: dict[str, Any] = {
        "Money": {
            "description": "US dollars as a plain decimal string (never a float, never exponent).",
            "type": "string",
            "pattern": DECIMAL_PATTERN,
        }
    }
    root = _object_schema(cls, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": title,
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def _object_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        tp = field_types(cls)[f.name]
        override = f.metadata.get("schema")
        props[f.name] = dict(override) if override else _type_schema(tp, defs)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    schema: dict[str, Any] = {"type": "object"}
    doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    if doc:
        schema["description"] = doc
    schema["properties"] = props
    schema["required"] = required
    return schema


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    optional, inner = is_optional(tp)
    if optional:
        return _nullable(_type_schema(inner, defs))
    if tp is Any:
        return {}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # reserve first: guards against recursion
            defs[name] = _object_schema(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    if tp is Decimal:
        return {"$ref": "#/$defs/Money"}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if tp in simple:
        return {"type": simple[tp]}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Literal:
        return {"enum": list(args)}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _type_schema(args[0], defs)}
        return {
            "type": "array",
            "prefixItems": [_type_schema(a, defs) for a in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if origin is dict:
        value_schema = _type_schema(args[1], defs)
        if value_schema == {}:
            return {"type": "object"}
        return {"type": "object", "additionalProperties": value_schema}
    raise TypeError(f"no schema for {tp!r}")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Allow null. A plain ``type`` list where possible: anyOf costs validation time on every
    sample of a large result."""
    if schema.get("$ref") == "#/$defs/Money":
        return {"type": ["string", "null"], "pattern": DECIMAL_PATTERN}
    if "enum" in schema:
        return {"enum": [*schema["enum"], None]}
    if isinstance(schema.get("type"), str) and "$ref" not in schema:
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def render() -> str:
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
