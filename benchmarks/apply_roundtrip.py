"""What re-serialising a template with each library changes, against apply's minimal edit.

For every example under examples/apply/, set one function's memory two ways: through the
library's own round trip (load, set the value, dump) and through powertune.apply (locate, edit
the digits). Prints how many lines of the original each one did not keep as written (the memory line
itself is one of them). Run from the repo root:

    python benchmarks/apply_roundtrip.py
"""

from __future__ import annotations

import difflib
import io
import json
import sys
from pathlib import Path
from typing import Any

import hcl2
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from apply_results import Fn, make_result  # noqa: E402

from powertune.apply import plan_templates, targets_from_result  # noqa: E402

EX = ROOT / "examples" / "apply"


def changed_lines(before: str, after: str) -> int:
    """Lines of the original that did not survive as written (changed or removed)."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))


def ruamel_roundtrip(text: str, path: list[str], value: int) -> str:
    yaml = YAML(typ="rt")
    doc = yaml.load(text)
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def json_roundtrip(text: str, path: list[str], value: int) -> str:
    doc = json.loads(text)
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(doc, indent=2) + "\n"


def hcl2_roundtrip(text: str) -> str:
    # python-hcl2 7.x: dict -> tree -> text (the value change itself is beside the point here)
    return str(hcl2.writes(hcl2.reverse_transform(hcl2.loads(text))))


def apply_edit(file: Path, fn: Fn) -> str:
    targets, _ = targets_from_result(make_result([fn]))
    plan = plan_templates(targets, [file])
    return plan.files[0].new_text() if plan.files else file.read_text()


CASES: list[tuple[str, list[str], Fn]] = [
    (
        "sam/template.yaml",
        ["Resources", "NightlyReportFunction", "Properties", "MemorySize"],
        Fn("thumbnails-NightlyReportFunction-Ab12Cd34Ef56", 2048, 1024, {2048: 120, 1024: 121}),
    ),
    (
        "serverless/serverless.yml",
        ["functions", "get", "memorySize"],
        Fn("orders-prod-get", 256, 128, {256: 120, 128: 121}),
    ),
    (
        "sam/template.json",
        ["Resources", "ExportFunction", "Properties", "MemorySize"],
        Fn("exporter-prod", 1536, 1024, {1536: 120, 1024: 121}),
    ),
    ("terraform/main.tf", [], Fn("pipeline-prod-resize", 1024, 640, {1024: 120, 640: 121})),
]


def main() -> None:
    print("original lines not kept byte for byte (the memory line is one of them)")
    print(f"{'file':28} {'library round trip':>34} {'powertune apply':>16}")
    for name, path, fn in CASES:
        file = EX / name
        text = file.read_text()
        ours = changed_lines(text, apply_edit(file, fn))
        try:
            if name.endswith(".json"):
                lib, what = json_roundtrip(text, path, fn.recommended_mb), "json.dumps"
            elif name.endswith(".tf"):
                lib, what = hcl2_roundtrip(text), "python-hcl2 writes"
            else:
                lib, what = ruamel_roundtrip(text, path, fn.recommended_mb), "ruamel rt dump"
            theirs = f"{what}: {changed_lines(text, lib)} lines"
        except Exception as exc:  # a library that cannot write it back at all
            theirs = f"fails: {type(exc).__name__}"
        print(f"{name:28} {theirs:>34} {str(ours) + ' line(s)':>16}")


if __name__ == "__main__":
    main()
