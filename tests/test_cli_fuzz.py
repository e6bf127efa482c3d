"""Fuzzing the CLI's inputs (hypothesis) and replaying the malformed inputs of issue 15: never a
traceback, always a documented exit code (README: 0 ok, 1 gate regression, 2 usage, 3 tool), an
error is one line, and a function is never changed by input that is refused."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli import app
from powertune.local import LocalLambda

HANDLER = Path(__file__).parent / "functions" / "touch_then_wait"
GOLDEN = Path(__file__).parent / "golden" / "result-example.json"
DOCUMENTED = {0, 1, 2, 3}

# Text a user might type: numbers of every shape, NaN/inf, huge digit strings, junk, controls.
NUMBERISH = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e999999", "9" * 5000, "", " ", "0x10", "1_0"]),
    st.text(max_size=40),
)
TUNE_FLAGS = [
    "--memory",
    "--days",
    "--max-spend",
    "--max-p95-ms",
    "--balanced-weight",
    "--tolerance",
    "--confidence",
    "--invocations",
    "--concurrency",
    "--monthly-invocations",
    "--warmup",
    "--percentile",
    "--savings-plan",
    "--region",
    "--alias-prefix",
    "--payload",
    "--endpoint-url",
]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalLambda]:
    with LocalLambda(cpu="model") as running:
        running.add_function("fn", str(HANDLER), MemorySize=1024, Timeout=30)
        yield running


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)


def _run(args: list[str]) -> Any:
    outcome = CliRunner().invoke(app, args)
    crashed = outcome.exception is not None and not isinstance(outcome.exception, SystemExit)
    assert not crashed, f"{args!r}: {type(outcome.exception).__name__}: {outcome.exception}"
    assert "Traceback" not in outcome.output, args
    assert outcome.exit_code in DOCUMENTED, (args, outcome.exit_code, outcome.output[-300:])
    if outcome.exit_code in (2, 3):
        errors = [line for line in outcome.output.splitlines() if "error" in line.lower()]
        assert errors and errors[-1].startswith("powertune: error: "), outcome.output[-300:]
    return outcome


def _unchanged(server: LocalLambda) -> bool:
    registry = server.registry
    memory = registry.get_configuration("fn", None, "us-east-1")["MemorySize"]
    versions = registry.list_versions("fn", "us-east-1", None, None)["Versions"]
    return memory == 1024 and len(versions) == 1


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(flag=st.sampled_from(TUNE_FLAGS), value=NUMBERISH)
def test_tune_flags_never_crash_and_a_dry_run_changes_nothing(
    server: LocalLambda, flag: str, value: str
) -> None:
    args = ["tune", "fn", "--dry-run", "--monthly-invocations", "1000"]
    if flag != "--endpoint-url":
        args += ["--endpoint-url", server.endpoint_url]
    elif not value.startswith(("http://127.0.0.1", "http://localhost")):
        value = value.replace(".", "")  # never a resolvable host name: no network
    _run([*args, flag, value])
    assert _unchanged(server)


@settings(max_examples=60, deadline=None)
@given(
    flag=st.sampled_from(
        [
            "--memory",
            "--invocations",
            "--duration-ms",
            "--ephemeral-mb",
            "--log-gb",
            "--log-retention-months",
            "--region",
            "--savings-plan",
        ]
    ),
    value=NUMBERISH,
)
def test_pricing_estimate_flags_never_crash(flag: str, value: str) -> None:
    base = {"--memory": "1024", "--invocations": "1000000", "--duration-ms": "100"}
    args = ["pricing", "estimate"]
    for key, default in base.items():
        if key != flag:
            args += [key, default]
    _run([*args, flag, value])


def _mutations() -> st.SearchStrategy[Any]:
    leaf = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**6), max_value=10**6),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["NaN", "-1", "Infinity", "", "0.000031"]),
    )
    return st.recursive(leaf, lambda inner: st.lists(inner, max_size=3), max_leaves=5)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            out += _paths(value, (*prefix, index))
    return out


GOLDEN_DOC = json.loads(GOLDEN.read_text())
GOLDEN_PATHS = [p for p in _paths(GOLDEN_DOC) if p]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(where=st.sampled_from(GOLDEN_PATHS), value=_mutations(), side=st.booleans())
def test_gate_on_mutated_results_never_crashes(
    tmp_path_factory: pytest.TempPathFactory, where: tuple[Any, ...], value: Any, side: bool
) -> None:
    doc = json.loads(json.dumps(GOLDEN_DOC))
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    folder = tmp_path_factory.mktemp("gate")
    forged, good = folder / "forged.json", folder / "good.json"
    forged.write_text(json.dumps(doc))  # NaN/Infinity literals included
    good.write_text(json.dumps(GOLDEN_DOC))
    base, cur = (good, forged) if side else (forged, good)
    _run(["gate", "--baseline", str(base), "--current", str(cur)])


# The malformed inputs issue 15 found tracebacks or wrong exit codes with, and their kin.
@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("malformed")
    (folder / "bin.csv").write_bytes(bytes(range(256)) * 10)
    (folder / "bin.toml").write_bytes(b"\xff\xfe\x00garbage\x80")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "deep.jsonl").write_text('{"a":' * 50_000 + "1" + "}" * 50_000 + "\n")
    (folder / "bigint.json").write_text('{"payload": ' + "9" * 5000 + "}")
    (folder / "hugeint.toml").write_text("invocations = " + "9" * 5000 + "\n")
    (folder / "nan.toml").write_text("[gate]\nmax-p95-increase = nan\n")
    (folder / "empty.json").write_text("")
    (folder / "good.json").write_text(GOLDEN.read_text())
    return folder


MALFORMED: list[tuple[list[str], int]] = [
    (["tune", "fn", "--endpoint-url", "not a url"], 2),
    (["tune", "fn", "--endpoint-url", "http://"], 2),
    (["tune", "fn", "--endpoint-url", "ftp://x"], 2),
    (["tune", "fn", "--endpoint-url", "http://[::1"], 2),
    (["tune", "fn", "--endpoint-url", "http://h:99999"], 2),
    (["cleanup", "fn", "--endpoint-url", "not a url"], 2),
    (["cleanup", "fn", "--endpoint-url", "http://h:99999"], 2),
    (["analyze", "fn", "--endpoint-url", "not a url"], 2),
    (["tune", "--replay", "{d}/bin.csv"], 2),
    (["tune", "--replay", "{d}/deep.json"], 2),
    (["tune", "fn", "--config", "{d}/bin.toml", "--dry-run"], 2),
    (["tune", "fn", "--config", "{d}/hugeint.toml", "--dry-run"], 2),
    (["tune", "fn", "--config", "{d}/nan.toml", "--dry-run"], 2),
    (["logs", "parse", "{d}/deep.jsonl"], 0),  # a malformed line is skipped and counted
    (["analyze", "--from-logs", "{d}/deep.jsonl"], 2),  # no REPORT records in it
    (["gate", "--baseline", "{d}/deep.json", "--current", "{d}/good.json"], 3),
    (["gate", "--baseline", "{d}/good.json", "--current", "{d}/deep.json"], 3),
    (["gate", "--baseline", "{d}/good.json", "--current", "{d}/bin.csv"], 3),
    (["gate", "--baseline", "{d}/good.json", "--current", "{d}/empty.json"], 3),
    (
        [
            "gate",
            "--baseline",
            "{d}/good.json",
            "--current",
            "{d}/good.json",
            "--max-p95-increase",
            "NaN",
        ],
        2,
    ),
    (
        [
            "gate",
            "--baseline",
            "{d}/good.json",
            "--current",
            "{d}/good.json",
            "--max-cost-increase",
            "inf",
        ],
        2,
    ),
    (
        [
            "gate",
            "--baseline",
            "{d}/good.json",
            "--current",
            "{d}/good.json",
            "--max-monthly-increase",
            "1e999999",
        ],
        2,
    ),
    (["report", "{d}/deep.json"], 3),
    (["report", "{d}/bin.csv"], 3),
    (["tune", "fn", "--payload", "@{d}/deep.json", "--dry-run"], 2),
    (["tune", "fn", "--payload", "[" * 100_000, "--dry-run"], 2),
    (["tune", "fn", "--payloads", "{d}/deep.jsonl", "--dry-run"], 2),
    (["tune", "fn", "--payloads", "{d}/bin.csv", "--dry-run"], 2),
    (["tune", "--from-power-tuning", "{d}/deep.json"], 2),
    (["tune", "--from-power-tuning", "{d}/bin.csv"], 2),
    (["tune", "fn", "--savings-plan", "bogus", "--dry-run"], 2),
    (["tune", "fn", "--days", "-3", "--dry-run"], 2),
    (["tune", "fn", "--max-spend", "1e999999", "--dry-run"], 2),
    (["tune", "fn", "--max-spend", "NaN", "--dry-run"], 2),
    (["tune", "fn", "--max-p95-ms", "nan", "--strategy", "slo", "--dry-run"], 2),
    (["tune", "fn", "--balanced-weight", "nan", "--dry-run"], 2),
    (["tune", "fn", "--memory", "1e999999", "--dry-run"], 2),
    (["tune", "fn", "--memory", "9" * 5000, "--dry-run"], 2),
    (["tune", "fn", "--memory", "", "--dry-run"], 2),
    (["tune", "fn", "--monthly-invocations", "9" * 5000, "--dry-run"], 2),
    (["tune", "fn", "--alias-prefix", "bad prefix!", "--dry-run"], 2),
    (["tune", "fn", "--region", "mars-1", "--dry-run"], 2),
    (["tune", "fn", "--no-such-flag"], 2),
    (["tune", "fn", "--concurrency", "abc"], 2),
    (
        [
            "pricing",
            "estimate",
            "--memory",
            "1024",
            "--invocations",
            "1e999999",
            "--duration-ms",
            "1",
        ],
        2,
    ),
    (["pricing", "estimate", "--memory", "1024", "--invocations", "1", "--duration-ms", "nan"], 2),
    (["local", "serve", "--host", "0.0.0.0", "--port", "0"], 2),
]


@pytest.mark.parametrize(("args", "code"), MALFORMED, ids=[str(i) for i in range(len(MALFORMED))])
def test_malformed_inputs_are_one_line_with_the_documented_code(
    server: LocalLambda, files: Path, args: list[str], code: int
) -> None:
    filled = [a.replace("{d}", str(files)) for a in args]
    if filled[:2] == ["tune", "fn"] and "--endpoint-url" not in filled:
        filled += ["--endpoint-url", server.endpoint_url]
        if "--monthly-invocations" not in filled:
            filled += ["--monthly-invocations", "1000"]
    outcome = _run(filled)
    assert outcome.exit_code == code, (args[:4], outcome.output[-300:])
    assert _unchanged(server)
    if code == 2:
        lines = [line for line in outcome.output.splitlines() if line.strip()]
        assert lines[-1].startswith("powertune: error: ")
        assert len([line for line in lines if line.startswith("powertune: error")]) == 1


def test_usage_errors_are_one_line_not_a_box(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(app, ["tune", "--no-such-flag"])
    assert outcome.exit_code == 2
    assert outcome.output.strip().count("\n") == 0, outcome.output
    assert outcome.output.startswith("powertune: error: No such option: --no-such-flag")
    assert os.linesep not in outcome.output.strip()
