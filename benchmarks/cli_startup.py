"""Start-up time of each light `powertune` command against the floor of a typer CLI.

The floor is `python -c "import typer, rich.console"`, measured in the same run (interleaved with
the commands, so a busy machine slows both alike). Each command runs as the console script does
(`from cli import main; main()`), from --root (default: this checkout), so an older tree can be
measured with the same script:

    python benchmarks/cli_startup.py                       # this checkout
    git archive a1a82c7 | tar -x -C /tmp/before && python benchmarks/cli_startup.py --root /tmp/before

Prints the median wall time of --runs runs per command, its ratio to the floor's median, and the
exit code (a command that fails fast would look light: the code shows it ran what was asked).
The target (issue 29) is a ratio within 4.

Before timing, each command runs once with bytecode writing allowed, so the tree's modules load
from ``__pycache__`` as an installed package's do (pip compiles them at install; typer and rich,
the floor, are compiled so). Without that, a tree that was never run with bytecode writing on
(``PYTHONDONTWRITEBYTECODE=1``, or a fresh ``git archive``) would pay for compiling every one of
its modules on every run and the other tree not: ``--no-warm-up`` measures as the tree is.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
RESULT = HERE / "tests" / "golden" / "result-example.json"
TEMPLATE = HERE / "examples" / "apply" / "sam" / "template.yaml"
LOG = HERE / "examples" / "logs" / "sample.log"
TARGET = 4.0

RUN_CLI = "import sys; sys.argv[0] = 'powertune'; from cli import main; main()"
FLOOR = "import typer, rich.console"


def commands(shard_a: Path, shard_b: Path) -> list[tuple[str, list[str], dict[str, str]]]:
    """(label, argv after `powertune`, extra environment)."""
    r = str(RESULT)
    complete = {
        "_POWERTUNE_COMPLETE": "complete_bash",
        "COMP_WORDS": "powertune re",
        "COMP_CWORD": "1",
    }
    complete_opt = {
        "_POWERTUNE_COMPLETE": "complete_bash",
        "COMP_WORDS": "powertune tune --me",
        "COMP_CWORD": "2",
    }
    return [
        ("--version", ["--version"], {}),
        ("--help", ["--help"], {}),
        ("tune --help", ["tune", "--help"], {}),
        ("report --help", ["report", "--help"], {}),
        ("completion (command)", [], complete),
        ("completion (tune option)", [], complete_opt),
        ("gate", ["gate", "--baseline", r, "--current", r], {}),
        ("report (table)", ["report", r], {}),
        ("report --format markdown", ["report", r, "--format", "markdown"], {}),
        ("report --format json", ["report", r, "--format", "json"], {}),
        ("pricing show", ["pricing", "show"], {}),
        (
            "pricing estimate",
            [
                "pricing",
                "estimate",
                "--memory",
                "1024",
                "--duration-ms",
                "120",
                "--invocations",
                "1000000",
            ],
            {},
        ),
        ("apply (preview)", ["apply", r, "--template", str(TEMPLATE)], {}),
        ("merge", ["merge", str(shard_a), str(shard_b)], {}),
        ("logs parse", ["logs", "parse", str(LOG)], {}),
    ]


def shards(tmp: Path) -> tuple[Path, Path]:
    """Two shard files of one run (the example result split by function) for `merge`."""
    import json

    data = json.loads(RESULT.read_text(encoding="utf-8"))
    functions = data["functions"]
    out = []
    for k, part in enumerate(
        (functions[: len(functions) // 2 or 1], functions[len(functions) // 2 or 1 :])
    ):
        shard = dict(data, functions=part)
        path = tmp / f"shard{k}.json"
        path.write_text(json.dumps(shard), encoding="utf-8")
        out.append(path)
    return out[0], out[1]


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE, help="the tree whose cli.py runs")
    parser.add_argument("--runs", type=int, default=7, help="runs per command (median)")
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="do not write the tree's bytecode caches first (see the module's docstring)",
    )
    args = parser.parse_args()
    root = args.root.resolve()
    base_env = dict(os.environ, PYTHONPATH=str(root), COLUMNS="100")
    base_env.pop("_POWERTUNE_COMPLETE", None)
    with tempfile.TemporaryDirectory() as tmp:
        todo = commands(*shards(Path(tmp)))
        if not args.no_warm_up:
            writing = {k: v for k, v in base_env.items() if k != "PYTHONDONTWRITEBYTECODE"}
            for _, argv, extra in todo:
                timed([sys.executable, "-c", RUN_CLI, *argv], dict(writing, **extra), root)
        floor: list[float] = []
        times: dict[str, list[float]] = {label: [] for label, _, _ in todo}
        codes: dict[str, int] = {}
        for _ in range(args.runs):
            for label, argv, extra in todo:
                floor.append(timed([sys.executable, "-c", FLOOR], base_env, root)[0])
                elapsed, code = timed(
                    [sys.executable, "-c", RUN_CLI, *argv], dict(base_env, **extra), root
                )
                times[label].append(elapsed)
                codes[label] = code
    floor_ms = statistics.median(floor) * 1000
    load = os.getloadavg()
    print(f"root {root}")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; median of {args.runs} runs")
    warm = "as the tree is (no warm-up)" if args.no_warm_up else "from __pycache__ (warmed up)"
    print(f"bytecode: {warm}")
    print(f"{'command':<28} {'ms':>7} {'x floor':>8} {'exit':>5}")
    print(f"{'floor (import typer, rich)':<28} {floor_ms:>7.0f} {1.0:>8.2f} {'':>5}")
    worst = 0.0
    for label, _, _ in todo:
        ms = statistics.median(times[label]) * 1000
        ratio = ms / floor_ms
        worst = max(worst, ratio)
        print(f"{label:<28} {ms:>7.0f} {ratio:>8.2f} {codes[label]:>5}")
    verdict = "within" if worst <= TARGET else "above"
    print(f"worst ratio {worst:.2f}: {verdict} the target of {TARGET:g}x")


if __name__ == "__main__":
    main()
