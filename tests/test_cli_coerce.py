"""powertune_cli.coerce: every parameter of every command gives typer's own answer (value and
type, or the same error word for word) for plain and awkward inputs alike; a refused value is
still typer's one error line. (tests/test_cli_startup.py: light commands load no pydantic.)"""

from __future__ import annotations

import enum
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

import cli
from powertune_cli import coerce

pytestmark = pytest.mark.skipif(coerce.RuntimeParam is None, reason="typer < 0.22 (no pydantic)")

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "tests" / "golden" / "result-example.json"

STRINGS = ["abc", "", "12", "héllo", " x ", "-", "1.5"]
INTS = ["0", "12", "-3", "007", "1_000", " 5", "+5", "1e3", "abc", "", "-0", "5.0", "٣"]
INTS += ["99999999999999999999", "1000000000000000", "100000000000000", 5, -1, 0, 2.0, True]
FLOATS = ["1.5", "0", "-2.25", "1e3", ".5", "5.", "nan", "inf", "abc", "", "1_0.5", "0.0000001"]
FLOATS += ["100", "-0", "0.1234567890123456", "12345678901234567.5", 2.5, 3, True]
PATHS: list[Any] = [str(RESULT), str(ROOT / "tests"), "no/such/file", "-", "", "~", ".", "a//b/"]
PATHS += [RESULT, Path("no/such"), 3]


def _params() -> Iterator[tuple[str, Any, Any]]:
    """(label, click parameter, its command) for every typer parameter of every command."""

    def walk(command: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
        ctx = typer.main.get_command(cli.app).make_context("powertune", [], resilient_parsing=True)
        for param in command.get_params(ctx):
            if isinstance(param, coerce._TyperParameter):
                yield f"{path} {param.name}", param, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, f"{path} {name}")

    root = typer.main.get_command(cli.app)
    yield from walk(root, "powertune")
    for name in cli.COMMANDS:
        command = cli.load_command(name)
        assert command is not None
        yield from walk(command, name)


def _inputs(annotation: Any) -> list[Any]:
    if annotation is str:
        return STRINGS
    if annotation is int:
        return INTS
    if annotation is float:
        return FLOATS
    if annotation is bool:
        return [True, False, "true", "0", "", "maybe"]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        members = list(annotation)
        names = [str(m.value) for m in members]
        return [*members, *names, *(n.upper() for n in names), "nope", "", 1]
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return PATHS
    return ["x", ""]


def _answer(runtime: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        got = runtime.coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # the same kind of error and the same words
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        return "error", (type(exc).__name__, message)
    if isinstance(got, list | tuple):  # (repr: nan is nan's own answer)
        return "value", (type(got), [(type(v), repr(v)) for v in got])
    return "value", (type(got), repr(got))


PARAMS = list(_params())


def test_every_command_and_group_has_its_parameters_deferred() -> None:
    assert len(PARAMS) > 150
    kinds = {type(p._runtime_param).__name__ for _, p, _ in PARAMS}
    assert kinds <= {"Deferred", "AdapterRuntimeParam", "PassThroughRuntimeParam"}
    assert "Deferred" in kinds
    labels = {label for label, _, _ in PARAMS}
    assert {"powertune help", "pricing help", "logs parse help", "gate baseline"} <= labels


@pytest.mark.parametrize(("label", "param", "command"), PARAMS, ids=[x[0] for x in PARAMS])
def test_the_same_answer_as_typers_adapter(label: str, param: Any, command: Any) -> None:
    desc = param.type_descriptor
    ctx = command.make_context(command.name or "powertune", [], resilient_parsing=True)
    if desc.is_list:
        (item,) = desc.annotation.__args__
        values: list[Any] = [(), ("a", "b"), [str(RESULT)], (str(RESULT), "no/such")]
        values += [(v,) for v in _inputs(item)] + [tuple(_inputs(item)[:3])]
    else:
        values = [None, *_inputs(desc.annotation)]
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for value in values:
            deferred = coerce.Deferred(
                parameter_info=desc.parameter_info, annotation=desc.annotation, descriptor=desc
            )
            saved = param._runtime_param
            try:
                got = _answer(deferred, value, param, ctx)
            finally:
                param._runtime_param = saved
            expected = _answer(coerce.build_runtime_param(desc), value, param, ctx)
            assert got == expected, (label, value)
    finally:
        os.chdir(cwd)


def test_the_fast_path_answers_the_plain_cases() -> None:
    ctx = None
    for label, param, _ in PARAMS:
        desc = param.type_descriptor
        deferred = coerce.Deferred(
            parameter_info=desc.parameter_info, annotation=desc.annotation, descriptor=desc
        )
        if label == "gate baseline":
            assert deferred.quick(str(RESULT), param, ctx) == RESULT
        if label == "report form":
            assert deferred.quick("markdown", param, ctx).value == "markdown"
    # a plain number within bounds, and the refusals left to typer
    info = typer.models.OptionInfo(min=1, max=10)
    assert coerce._number(int, "7", info) == 7
    assert coerce._number(int, "11", info) is coerce._NO
    assert coerce._number(int, "007", info) is coerce._NO
    assert coerce._number(float, "2.5", typer.models.OptionInfo()) == 2.5


def test_a_refused_value_is_typers_own_error_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cli", "pricing", "estimate", "--memory", "lots"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("powertune: error: Invalid value for '--memory'")
    assert done.stderr.count("\n") == 1
