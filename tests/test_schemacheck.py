"""pricing.schemacheck (the check that spares reading a result or the catalog from importing
jsonschema) gives jsonschema's own verdict: on the committed schemas, on thousands of altered
results and catalogs, and keyword by keyword; a schema it cannot follow is left to jsonschema."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from powertune.results.errors import InvalidResult
from powertune.results.jsonio import load_schema, validate_json
from pricing import catalog
from pricing.schemacheck import compile_schema

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "tests" / "golden" / "result-example.json"
CATALOG = ROOT / "pricing" / "data" / "catalog.json"


def _schemas() -> dict[str, dict[str, Any]]:
    return {"result": load_schema(), "catalog": catalog._schema()}


@pytest.mark.parametrize("name", ["result", "catalog"])
def test_the_committed_schemas_are_valid_and_fully_followed(name: str) -> None:
    schema = _schemas()[name]
    jsonschema.Draft202012Validator.check_schema(schema)  # (was done on every read)
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft202012Validator
    assert compile_schema(schema) is not None, "a keyword pricing.schemacheck does not follow"


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*path, i))


def _leaves(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [x for v in node.values() for x in _leaves(v)]
    if isinstance(node, list):
        return [x for v in node for x in _leaves(v)]
    return [node]


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _mutants(doc: Any, count: int, seed: int) -> Iterator[tuple[str, Any]]:
    """``count`` altered copies of ``doc``: a value replaced (by another type, a neighbour
    number, another string of the file, an empty container), a member removed or added, an
    array item dropped or repeated."""
    rng = random.Random(seed)
    paths = [p for p in _paths(doc) if p]
    strings = sorted({x for x in _leaves(doc) if isinstance(x, str)})
    values: list[Any] = [None, True, False, 0, -1, 1, 1.0, 2.5, -0.5, 1e300, 10**20]
    values += ["", "x", "1", "-1", "0.5", "1e3", "NaN", [], {}, [1], {"a": 1}]
    for _ in range(count):
        path = rng.choice(paths)
        new = copy.deepcopy(doc)
        parent = _get(new, path[:-1])
        key = path[-1]
        old = parent[key]
        kind = rng.random()
        if kind < 0.12 and isinstance(parent, dict):
            del parent[key]
            label = "delete"
        elif kind < 0.2 and isinstance(parent, dict):
            parent[f"{key}_extra"] = old
            label = "add"
        elif kind < 0.28 and isinstance(parent, list):
            if rng.random() < 0.5:
                parent.pop(key)
            else:
                parent.insert(key, copy.deepcopy(old))
            label = "resize"
        elif kind < 0.45 and strings:
            parent[key] = rng.choice(strings)
            label = "string"
        elif kind < 0.6 and isinstance(old, (int, float)) and not isinstance(old, bool):
            parent[key] = rng.choice([-old, old + 0.5, old * 1000, float(old), 0, old - 1])
            label = "number"
        else:
            parent[key] = rng.choice(values)
            label = "value"
        yield f"{label} {path}", new


@pytest.mark.parametrize(
    ("name", "path", "count"), [("result", RESULT, 300), ("catalog", CATALOG, 90)]
)
def test_the_same_verdict_as_jsonschema_on_altered_files(name: str, path: Path, count: int) -> None:
    schema = _schemas()[name]
    quick = compile_schema(schema)
    assert quick is not None
    full = jsonschema.Draft202012Validator(schema)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert quick(doc) is None and full.is_valid(doc)
    refused = 0
    for label, mutant in _mutants(doc, count, seed=29):
        expected = full.is_valid(mutant)
        problem = quick(mutant)
        assert (problem is None) == expected, (label, problem)
        refused += problem is not None
    assert count // 3 < refused < count  # both kinds of verdict were exercised


CASES: list[tuple[dict[str, Any], list[Any]]] = [
    ({"type": "integer"}, [1, 1.0, 1.5, True, "1", None, 10**30]),
    ({"type": "number"}, [1, 1.5, True, False, "1", None, float("inf")]),
    ({"type": ["string", "null"]}, ["a", None, 1, [], {}]),
    ({"type": "boolean"}, [True, False, 0, 1]),
    ({"enum": [1, "a", None]}, [1, 1.0, True, "a", "b", None, False]),
    ({"enum": [True]}, [True, 1, 1.0]),
    ({"enum": [[1, 2]]}, [[1, 2], [True, 2], [1, 2.0], [1]]),
    ({"const": 0}, [0, 0.0, False, None]),
    ({"pattern": "^[0-9]+$"}, ["12", "1a", "", 12, None]),
    ({"pattern": "b"}, ["abc", "ac"]),
    ({"minLength": 2}, ["ab", "a", "", "é́", 5]),
    ({"minimum": 0, "maximum": 10}, [0, -1, 10, 10.5, "5", True, -0.0]),
    ({"required": ["a"]}, [{"a": 1}, {}, [], "a"]),
    ({"minProperties": 1}, [{}, {"a": 1}, []]),
    (
        {"properties": {"a": {"type": "integer"}}, "additionalProperties": False},
        [{"a": 1}, {"a": "x"}, {"b": 1}, {}, [1]],
    ),
    (
        {
            "patternProperties": {"^x_": {"type": "string"}},
            "properties": {"a": {"type": "integer"}},
            "additionalProperties": {"type": "boolean"},
        },
        [{"x_1": "s"}, {"x_1": 1}, {"b": True}, {"b": 1}, {"a": 1, "x_a": "t", "c": False}],
    ),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, [{"ab": 1}, {"Ab": 1}, {}, [1]]),
    (
        {"prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
        [["a", 1], ["a"], [], ["a", 1, 2], [1, 1], "a"],
    ),
    (
        {"prefixItems": [{"type": "string"}], "items": {"type": "integer"}},
        [["a", 1, 2], ["a", 1, "b"], ["a"], [2]],
    ),
    ({"items": {"type": "integer"}, "minItems": 1, "maxItems": 2}, [[1], [], [1, 2, 3], [1, "a"]]),
    (
        {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 3}]},
        ["a", 3, 2, None],
    ),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, [1, 1.5, "a", 1.0]),
    (
        {
            "$defs": {"n": {"type": "integer"}},
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/n"}},
        },
        [{"a": 1}, {"a": "1"}],
    ),
    (
        {
            "$defs": {"t": {"type": "object", "properties": {"k": {"$ref": "#/$defs/t"}}}},
            "$ref": "#/$defs/t",
        },
        [{"k": {"k": {}}}, {"k": {"k": 1}}, 1],
    ),
    (
        {"$defs": {"n": {"type": "number"}}, "$ref": "#/$defs/n", "minimum": 2},
        [3, 1, "a"],
    ),
    (True, [1, None]),
    ({"not": {"type": "string"}}, [1, "a"]),  # not followed: left to jsonschema
]


@pytest.mark.parametrize(("schema", "instances"), CASES, ids=[json.dumps(s) for s, _ in CASES])
def test_each_keyword_as_jsonschema_reads_it(schema: Any, instances: list[Any]) -> None:
    quick = compile_schema(schema) if isinstance(schema, dict) else None
    full = jsonschema.Draft202012Validator(schema)
    if isinstance(schema, dict) and "not" in schema:
        assert quick is None
        return
    if quick is None:
        return
    for instance in instances:
        assert (quick(instance) is None) == full.is_valid(instance), instance


def test_a_refused_result_is_still_worded_by_jsonschema() -> None:
    doc = json.loads(RESULT.read_text(encoding="utf-8"))
    doc["functions"][0]["measurements"][0]["memory_mb"] = "128"
    with pytest.raises(InvalidResult) as caught:
        validate_json(doc, source="x.json")
    assert caught.value.json_path == "$.functions[0].measurements[0].memory_mb"
    assert "'128' is not of type 'integer'" in str(caught.value)


def test_a_refused_catalog_is_still_worded_by_jsonschema() -> None:
    doc = json.loads(CATALOG.read_text(encoding="utf-8"))
    doc.pop("sources")
    with pytest.raises(catalog.PricingError, match=r"invalid pricing catalog x: \$: 'sources'"):
        catalog.validate_catalog(doc, "x")
