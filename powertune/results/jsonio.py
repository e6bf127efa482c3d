"""Read, write and validate result JSON: every write and every read is checked by the schema,
and every read also by what the values mean (results.sanity).

The schema check is ``pricing.schemacheck``'s pass/fail walk; jsonschema is imported only to word
the error of a result that walk refuses (a valid result never loads it)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from powertune.files import write_atomic
from powertune.results.codec import decode, encode
from powertune.results.errors import InvalidResult
from powertune.results.model import SCHEMA_VERSION, Result
from powertune.results.sanity import check_values
from powertune.validate import MAX_JSON_BYTES, MAX_JSON_DEPTH, json_depth_ok
from pricing.readfile import FileRefused, read_bounded_text
from pricing.schemacheck import Problem, compile_schema

if TYPE_CHECKING:
    import jsonschema

SCHEMA_FILE = f"schema-v{SCHEMA_VERSION}.json"


@cache
def load_schema() -> dict[str, Any]:
    """The committed JSON Schema for results (draft 2020-12)."""
    text = resources.files("powertune.results").joinpath(SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _quick_check() -> Callable[[Any], Problem | None] | None:
    return compile_schema(load_schema())


@cache
def _validator() -> jsonschema.protocols.Validator:
    import jsonschema  # the wording of an error only (see the module's docstring)

    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def validate_json(data: Any, *, source: str | None = None) -> None:
    """Raise InvalidResult naming the JSON path of the first (most relevant) problem."""
    quick = _quick_check()
    problem = quick(data) if quick is not None else ("$", "")
    if problem is None:
        return
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        raise InvalidResult(
            f"not a valid powertune result: {error.message}",
            source=source,
            json_path=error.json_path,
        )
    if quick is not None:  # (the two never disagree: tests/test_schemacheck.py)
        raise InvalidResult(
            f"not a valid powertune result: {problem[1]}", source=source, json_path=problem[0]
        )


def result_to_json(result: Result) -> dict[str, Any]:
    """The Result as a JSON-ready dict, validated against the schema."""
    data: dict[str, Any] = encode(result, Result)
    validate_json(data, source="result being written")
    return data


def result_from_json(data: Any, *, source: str | None = None) -> Result:
    """A Result from parsed JSON, validated first (the schema, then what the values mean:
    results.sanity); another major schema version is refused."""
    if isinstance(data, dict):
        version = data.get("schema_version")
        if isinstance(version, str) and version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            raise InvalidResult(
                f"schema_version {version!r} is not supported (this powertune reads "
                f"{SCHEMA_VERSION!r})",
                source=source,
                json_path="$.schema_version",
            )
    validate_json(data, source=source)
    try:
        result: Result = decode(data, Result)
    except InvalidResult as exc:
        raise InvalidResult(str(exc), source=source) from None
    check_values(result, source)
    twins = result.duplicate_functions()
    if twins:
        pairs = "; ".join(f"{a} and {b}" for a, b in twins[:5])
        raise InvalidResult(
            f"the same function is in the result more than once: {pairs}", source=source
        )
    return result


def dumps_result(result: Result) -> str:
    """The Result as pretty JSON text, ending with a newline."""
    return json.dumps(result_to_json(result), indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def loads_result(text: str, *, source: str | None = None) -> Result:
    if not json_depth_ok(text):
        raise InvalidResult(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", source=source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidResult(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", source=source
        ) from None
    except (ValueError, RecursionError) as exc:  # 4,300+ digit integers
        message = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InvalidResult(f"not usable JSON: {message}", source=source) from None
    return result_from_json(data, source=source)


def write_result(result: Result, path: str | Path) -> None:
    """Write the Result to ``path`` (``-`` for stdout). Validates before opening the file."""
    text = dumps_result(result)
    if str(path) == "-":
        sys.stdout.write(text)
        return
    write_atomic(path, text)


def load_result(path: str | Path) -> Result:
    """Read and validate a result file; any problem is an InvalidResult (exit code 3)."""
    source = str(path)
    if not Path(path).exists():
        raise InvalidResult("no such file", source=source)
    try:  # bounded, regular files only: a FIFO or /dev/zero is refused, not waited on
        text = read_bounded_text(path, "result file", max_bytes=MAX_JSON_BYTES)
    except FileRefused as exc:
        raise InvalidResult(str(exc)) from None
    return loads_result(text, source=source)
