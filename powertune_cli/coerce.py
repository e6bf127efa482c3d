"""Command-line values without pydantic, where the answer is plainly typer's own.

typer (0.22 and later) turns every parameter's value into its Python type through a pydantic
``TypeAdapter`` built on first use; building the first one imports pydantic, which costs a
start-up about half of what ``import typer, rich.console`` does, and typer builds one even for
``--help``'s unset flag. ``defer(params)`` gives each typer parameter of a command a
runtime that answers the plain cases itself and builds typer's adapter only for the rest:

- a ``str`` option given a string, an ``int``/``float`` given a plain decimal number (within
  its ``min``/``max``), an enum given one of its members or a name ``coerce_cli_choice`` (typer's
  own matching) accepts, a ``Path`` that ``coerce_cli_path`` (typer's own checks) accepts, a list
  of these: the value typer's adapter returns, without the adapter;
- anything else (a value the fast path does not take, a refused value, a type not listed): typer's
  adapter, built then, so every error message is typer's word for word.

typer versions without these internals (before 0.22: click and no pydantic) are left alone.
tests/test_cli_coerce.py holds every parameter of every command to typer's own answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

try:  # typer >= 0.22's runtime coercion (internal API: checked, else nothing is changed)
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer._param_types import coerce_cli_choice, coerce_cli_path, routes_to_path
    from typer.core import _TyperParameter
except ImportError:  # pragma: no cover - depends on the typer installed
    RuntimeParam = None  # type: ignore[assignment, misc, unused-ignore]

_NO = object()
_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,14})")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15})?")


def _number(kind: type, value: Any, info: Any) -> Any:
    if info.parser is not None or info.clamp:
        return _NO
    if type(value) is kind:
        number = value
    elif type(value) is str and (_INT if kind is int else _FLOAT).fullmatch(value):
        number = kind(value)
    else:
        return _NO
    if (info.min is not None and number < info.min) or (info.max is not None and number > info.max):
        return _NO  # refused: typer's adapter words it
    return number


def _one(annotation: Any, value: Any, info: Any, param: Any, ctx: Any) -> Any:
    """typer's value for ``value``, or _NO when only typer's adapter can tell."""
    if info.parser is not None:
        return _NO
    if annotation is str:
        return value if type(value) is str else _NO
    if annotation is bool:
        return value if type(value) is bool else _NO
    if annotation in (int, float):
        return _number(annotation, value, info)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        if isinstance(value, annotation):
            return value
        if type(value) is not str:
            return _NO
        try:
            return coerce_cli_choice(
                value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except Exception:
            return _NO
    if isinstance(annotation, type) and issubclass(annotation, Path):
        if not routes_to_path(annotation, info) or info.path_type not in (None, annotation):
            return _NO
        if type(value) is str and value:
            value = annotation(value)  # what typer's path adapter makes of a string
        if not isinstance(value, annotation):
            return _NO
        try:
            return coerce_cli_path(value, info, path_type=annotation, param=param, ctx=ctx)
        except Exception:
            return _NO
    return _NO


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class Deferred(RuntimeParam):  # type: ignore[misc, valid-type, unused-ignore]
        """A parameter's runtime: the plain cases here, the rest by typer's adapter."""

        descriptor: TypeDescriptor

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            quick = self.quick(value, param, ctx)
            if quick is not _NO:
                return quick
            real = build_runtime_param(self.descriptor)
            param._runtime_param = real  # from now on, typer's own
            return real._coerce_value(value, param=param, ctx=ctx)

        def quick(self, value: Any, param: Any, ctx: Any) -> Any:
            desc = self.descriptor
            if desc.file_annotation is not None:
                return _NO
            info = desc.parameter_info
            if desc.is_list:
                (item_type,) = desc.annotation.__args__
                if not isinstance(value, list | tuple):
                    return _NO
                items = [_one(item_type, v, info, param, ctx) for v in value]
                return _NO if any(i is _NO for i in items) else items
            if desc.is_tuple:
                return _NO
            return _one(desc.annotation, value, info, param, ctx)


def defer(params: list[Any]) -> list[Any]:
    """Give each typer parameter in ``params`` the deferred runtime (once); returns
    ``params``. The command classes of powertune_cli.usage call it from ``get_params``, which
    is how click hands a command its parameters (``--help`` and the completion options
    included) before it parses any value."""
    if RuntimeParam is None:  # pragma: no cover - typer < 0.22: no pydantic to spare
        return params
    for param in params:
        if isinstance(param, _TyperParameter) and param._runtime_param is None:
            desc = param.type_descriptor
            param._runtime_param = Deferred(
                parameter_info=desc.parameter_info, annotation=desc.annotation, descriptor=desc
            )
    return params
