"""Layout figures for issue 12: lines per layer, the longest CLI functions, import cycles (an AST
walk, imports inside functions included) and what pricing/ imports from outside itself.

    python benchmarks/layout.py [REPO]        # REPO: a checkout (default: this one)

To compare with an older commit: ``git archive 81b3bbc --prefix=before/ | tar x -C /tmp`` and
``python benchmarks/layout.py /tmp/before``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGES = ("powertune", "pricing", "powertune_cli")
LAYER_FOLDERS = (
    "cli.py",
    "powertune_cli",
    "pricing",
    "powertune",
    "powertune/tune",
    "powertune/tune/targets",
    "powertune/tune/search",
    "powertune/tune/decide",
    "powertune/gate",
    "powertune/collectors",
    "powertune/collectors/account",
    "powertune/models",
    "powertune/recommend",
    "powertune/results",
    "powertune/outputs",
    "powertune/analyze",
    "powertune/local",
)


def modules(root: Path) -> dict[str, Path]:
    out = {"cli": root / "cli.py"}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                mod = ".".join(base[: len(base) - node.level + 1] + ([mod] if mod else []))
            found.update(
                f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names
            )
    out = set()
    for target in found:
        parts = target.split(".")
        for i in range(len(parts), 0, -1):
            if ".".join(parts[:i]) in known:
                out.add(".".join(parts[:i]))
                break
    return out - {name}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1])
    print("lines per layer (the .py files directly in each folder):")
    for folder in LAYER_FOLDERS:
        path = root / folder
        files = [path] if path.is_file() else sorted(path.glob("*.py"))
        lines = sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files)
        print(f"  {folder:<30} {lines:>6}")
    known = modules(root)
    edges = {name: imports(name, path, known) for name, path in known.items()}
    found = cycles(edges)
    print(f"import cycles: {len(found)}", *(f"\n  {' <-> '.join(c)}" for c in found))
    outside = sorted(
        {t for n, ts in edges.items() if n.startswith("pricing") for t in ts}
        - {n for n in known if n.startswith("pricing")}
    )
    print(f"pricing imports from outside pricing/: {outside or 'nothing'}")
    functions = []
    for name, path in known.items():
        if name.split(".")[0] not in ("powertune_cli", "cli"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                span = (node.end_lineno or node.lineno) - node.lineno + 1
                functions.append((span, f"{path.relative_to(root)}:{node.name}"))
    print("longest CLI functions (lines, signature included):")
    for span, where in sorted(functions, reverse=True)[:3]:
        print(f"  {span:>4}  {where}")


if __name__ == "__main__":
    main()
