"""Turn the result dataclasses into JSON values and back, driven by their type hints.

One generic walk over the annotations keeps the Python model, the JSON and the generated schema
in step: a field added to a dataclass appears in all three without hand-written glue.
Money is ``Decimal`` in Python and a plain decimal string in JSON (never exponent notation).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal, Union

from powertune.results.errors import InvalidResult


@cache
def field_types(cls: type) -> dict[str, Any]:
    """The resolved type hints of a dataclass, in field order."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def is_optional(tp: Any) -> tuple[bool, Any]:
    """(True, X) for ``X | None``; (False, tp) otherwise."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != len(typing.get_args(tp)):
            inner = args[0] if len(args) == 1 else Union[tuple(args)]  # noqa: UP007
            return True, inner
    return False, tp


def decimal_str(value: Decimal) -> str:
    """A Decimal as a plain decimal string: ``Decimal('2E-7')`` becomes ``'0.0000002'``.

    The one money (and decimal quantity) formatter of everything powertune writes: results,
    their priced alternatives, the analysis."""
    if not value.is_finite():
        raise ValueError(f"not a finite decimal: {value}")
    return format(value, "f")


def money(value: Decimal | None) -> str | None:
    """``decimal_str``, with unknown as None (null in JSON), never 0."""
    return None if value is None else decimal_str(value)


def encode(value: Any, tp: Any, path: str = "$") -> Any:
    """A Python value of type ``tp`` as a JSON-ready value."""
    optional, inner = is_optional(tp)
    if value is None:
        if optional or tp is Any:
            return None
        raise InvalidResult("required value is None", json_path=path)
    tp = inner
    if tp is Any:
        return to_plain(value, path)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return {
            name: encode(getattr(value, name), ftp, f"{path}.{name}")
            for name, ftp in field_types(tp).items()
            if (getattr(value, name) is not None or name not in _omitted_when_none(tp))
            and (getattr(value, name) != () or name not in _omitted_when_empty(tp))
        }
    if tp is Decimal:
        return decimal_str(Decimal(value))
    if tp is float:
        if not math.isfinite(float(value)):
            raise InvalidResult(f"not a finite number: {value}", json_path=path)
        return float(value)
    if tp in (int, str, bool):
        return tp(value)
    origin = typing.get_origin(tp)
    if origin is Literal:
        return value
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return [encode(v, args[0], f"{path}[{i}]") for i, v in enumerate(value)]
        pairs = enumerate(zip(value, args, strict=True))
        return [encode(v, a, f"{path}[{i}]") for i, (v, a) in pairs]
    if origin is dict:
        _, vtp = typing.get_args(tp)
        return {str(k): encode(v, vtp, f"{path}.{k}") for k, v in value.items()}
    raise TypeError(f"cannot encode type {tp!r} at {path}")


def to_plain(value: Any, path: str = "$") -> Any:
    """Any value as JSON: dataclasses by their type hints (as ``encode``), Decimals as decimal
    strings, None as null; the rest must be JSON already."""
    if isinstance(value, Decimal):
        return decimal_str(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidResult(f"not a finite number: {value}", json_path=path)
    if isinstance(value, dict):
        return {str(k): to_plain(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode(value, type(value), path)
    return value


_OPTIONAL: dict[Any, tuple[bool, Any]] = {}


def _is_optional(tp: Any) -> tuple[bool, Any]:
    """``is_optional``, remembered per type (a result's read asks it for every value)."""
    try:
        return _OPTIONAL[tp]
    except KeyError:
        found = _OPTIONAL[tp] = is_optional(tp)
        return found
    except TypeError:  # an unhashable annotation
        return is_optional(tp)


def decode(data: Any, tp: Any, path: str = "$") -> Any:
    """A JSON value back into a Python value of type ``tp`` (raising InvalidResult with a path)."""
    optional, inner = _is_optional(tp)
    if data is None:
        if optional or tp is Any:
            return None
        raise InvalidResult("value must not be null", json_path=path)
    tp = inner
    if tp is Any:
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise InvalidResult("expected an object", json_path=path)
        kwargs: dict[str, Any] = {}
        defaults = _defaulted(tp)
        for name, ftp in field_types(tp).items():
            if name in data:
                kwargs[name] = decode(data[name], ftp, f"{path}.{name}")
            elif name not in defaults:
                raise InvalidResult(f"missing property '{name}'", json_path=path)
        return tp(**kwargs)
    if tp is Decimal:
        if not isinstance(data, str):
            raise InvalidResult("money must be a decimal string", json_path=path)
        try:
            return Decimal(data)
        except InvalidOperation:
            raise InvalidResult(f"not a decimal: {data!r}", json_path=path) from None
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise InvalidResult("expected a number", json_path=path)
        return float(data)
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise InvalidResult("expected an integer", json_path=path)
        return data
    if tp in (str, bool):
        if not isinstance(data, tp):
            raise InvalidResult(f"expected a {tp.__name__}", json_path=path)
        return data
    origin = typing.get_origin(tp)
    if origin is Literal:
        if data not in typing.get_args(tp):
            choices = list(typing.get_args(tp))
            raise InvalidResult(f"{data!r} is not one of {choices}", json_path=path)
        return data
    if origin is tuple:
        if not isinstance(data, list):
            raise InvalidResult("expected an array", json_path=path)
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(v, args[0], f"{path}[{i}]") for i, v in enumerate(data))
        if len(data) != len(args):
            raise InvalidResult(f"expected {len(args)} items", json_path=path)
        pairs = enumerate(zip(data, args, strict=True))
        return tuple(decode(v, a, f"{path}[{i}]") for i, (v, a) in pairs)
    if origin is dict:
        if not isinstance(data, dict):
            raise InvalidResult("expected an object", json_path=path)
        _, vtp = typing.get_args(tp)
        return {k: decode(v, vtp, f"{path}.{k}") for k, v in data.items()}
    raise TypeError(f"cannot decode type {tp!r} at {path}")


@cache
def _omitted_when_none(cls: type) -> frozenset[str]:
    """Fields written only when set (``metadata={"omit_none": True}``)."""
    return frozenset(f.name for f in dataclasses.fields(cls) if f.metadata.get("omit_none"))


@cache
def _omitted_when_empty(cls: type) -> frozenset[str]:
    """Fields written only when not empty (``metadata={"omit_empty": True}``): a file written
    before the field existed is rewritten byte for byte."""
    return frozenset(f.name for f in dataclasses.fields(cls) if f.metadata.get("omit_empty"))


@cache
def _defaulted(cls: type) -> frozenset[str]:
    """Fields that may be missing from the JSON (they have a default)."""
    return frozenset(f.name for f in dataclasses.fields(cls) if _has_default(f))


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
