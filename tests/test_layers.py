"""The layer order: what may import what (AST walk over every module, imports inside functions
included), no import cycles, the hand-off types from their one module, and the core never
importing the CLI's libraries (typer and rich belong to powertune_cli)."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import powertune
import pricing

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pricing", "powertune", "powertune_cli")

# Lowest first: a module may import its own layer and the layers below, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("pricing",),  # all money; imports nothing of ours
    ("powertune", "powertune.errors", "powertune.types"),  # leaves
    ("powertune.models", "powertune.results", "powertune.logs", "powertune.collectors"),
    ("powertune.local",),
    ("powertune.recommend",),
    ("powertune.tune",),  # the tuning pipeline (ordered inside by TUNE_STAGES)
    ("powertune.gate",),
    ("powertune.analyze", "powertune.outputs", "powertune.apply"),
    ("powertune_cli", "cli"),  # the wiring: typer, rich, files, exit codes
)
# Inside powertune/tune/, the stages in the order a run meets them; decide comes before search
# because the adaptive search decides on its own cost curve.
TUNE_STAGES = (
    "powertune.tune.config",
    "powertune.tune.plan",
    "powertune.tune.targets",
    "powertune.tune.decide",
    "powertune.tune.search",
    "powertune.tune.tuner",
    "powertune.tune.sidebyside",  # --variant: the function and its twins measured side by side
    "powertune.tune.build",
    "powertune.tune.run",
    "powertune.tune.fleet_merge",  # many results as one (plain data: `merge` loads no pipeline)
    "powertune.tune.fleet_select",  # which functions a fleet run tunes
    "powertune.tune.fleet",  # many runs at once
)
HANDOFF_TYPES = {"FunctionInfo", "Sample", "Batch", "Observations"}


@cache
def modules() -> dict[str, Path]:
    out = {"cli": ROOT / "cli.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path) -> Iterator[tuple[str, int, ast.ImportFrom | ast.Import]]:
    """(imported module, line, node) for every import in the file, at any depth."""
    known = modules()
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                mod = ".".join(base[: len(base) - node.level + 1] + ([mod] if mod else []))
            # `from pkg import sub` imports the submodule; otherwise the module itself
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            for i in range(len(parts), 0, -1):
                if ".".join(parts[:i]) in known:
                    yield ".".join(parts[:i]), node.lineno, node
                    break


@cache
def graph() -> dict[str, frozenset[str]]:
    return {
        name: frozenset(t for t, _, _ in _imports(name, path) if t != name)
        for name, path in modules().items()
    }


def _rank(name: str, table: tuple[tuple[str, ...], ...]) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, rank): the longest prefix wins
    for rank, prefixes in enumerate(table):
        for prefix in prefixes:
            matches = name == prefix or name.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), rank)
    return None if best is None else best[1]


def test_every_module_has_a_layer() -> None:
    assert "powertune.tune.run" in modules() and "powertune.types" in modules()
    assert [m for m in modules() if _rank(m, LAYERS) is None] == []
    tune = [m for m in modules() if m.startswith("powertune.tune.")]
    assert [m for m in tune if _rank(m, tuple((s,) for s in TUNE_STAGES)) is None] == []


def test_no_module_imports_a_layer_above_its_own() -> None:
    stages = tuple((s,) for s in TUNE_STAGES)
    wrong = []
    for name, path in modules().items():
        for target, line, _ in _imports(name, path):
            here, there = _rank(name, LAYERS), _rank(target, LAYERS)
            assert here is not None and there is not None
            upward = there > here
            if (
                not upward
                and name.startswith("powertune.tune.")
                and target.startswith("powertune.tune.")
            ):
                upward = (_rank(target, stages) or 0) > (_rank(name, stages) or 0)
            if upward:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert wrong == []


def _cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset()}
    assert _cycles(edges) == [["a", "b", "c"]]


def test_no_import_cycles_anywhere() -> None:
    assert _cycles(graph()) == []


def test_pricing_imports_nothing_of_ours() -> None:
    outside = {
        f"{name} -> {target}"
        for name, targets in graph().items()
        if name.split(".")[0] == "pricing"
        for target in targets
        if target.split(".")[0] != "pricing"
    }
    assert outside == set()


def test_the_hand_off_types_come_from_powertune_types_only() -> None:
    wrong = []
    for name, path in modules().items():
        for target, line, node in _imports(name, path):
            if not isinstance(node, ast.ImportFrom) or target == "powertune.types":
                continue
            names = {a.name for a in node.names} & HANDOFF_TYPES
            if names:
                wrong.append(f"{path.relative_to(ROOT)}:{line} {sorted(names)} from {target}")
    assert wrong == []
    types = ast.parse((ROOT / "powertune" / "types.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(types) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "dataclasses"}  # a leaf


def test_no_core_module_imports_typer_or_rich() -> None:
    modules = [
        m.name
        for package in (powertune, pricing)
        for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
        # the worker process's entry point runs when imported; it imports neither anyway
        if m.name != "powertune.local._worker"
    ]
    assert "powertune.outputs.markdown" in modules and "pricing.cost" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'rich', 'click'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]", out


def test_pricing_errors_reach_the_cli_as_their_exit_codes(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=ROOT
        )

    unknown = run("pricing", "show", "--region", "xx-nowhere-1")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
    assert "unknown region 'xx-nowhere-1'" in unknown.stderr
    bad = tmp_path / "catalog.json"
    bad.write_text("{not json")
    broken = run("pricing", "show", "--catalog", str(bad))
    assert broken.returncode == 3 and broken.stderr.startswith("powertune: error:")
    assert "Traceback" not in unknown.stderr + broken.stderr
