"""The core never imports the CLI's libraries: typer and rich belong to powertune_cli."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import powertune
import pricing


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
