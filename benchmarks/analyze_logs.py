"""`analyze --from-logs` and `logs parse` on a realistic export: speed, peak memory, exactness.

The export (``realistic_export.py``): per invocation START, a text log line, a JSON log line every
third, END, REPORT; 1 in 40 cold with INIT_START and Init Duration; 240,000 invocations make
1,046,000 lines. In the same run, on the same file:

- ``grep -c REPORT`` (the floor: one pass, no parsing) and the naive pure-Python pass
  (``startswith("REPORT")`` and one regex per line);
- the streaming read (``powertune.logs.aggregate.summarize``: chunks through the bulk parser,
  per-function aggregates), with each engine built, and the whole ``analyze_files`` (findings
  included);
- with ``--before DIR`` (a checkout of the code before streaming, e.g. ``git archive 81b3bbc``),
  its ``analyze_files`` on the same file;
- peak RSS (``ru_maxrss``) of each in a fresh subprocess, for the file and for the file doubled;
- every REPORT field (and the parse counts) against the general parser, line by line.

    python benchmarks/analyze_logs.py [--invocations 240000] [--repeat 3] [--before DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from realistic_export import naive_pass, write_export

from powertune.logs import ParseStats, Report, iter_records
from powertune.logs.bulk import ENGINE, ENGINES
from powertune.logs.jsonl import metric_lines
from powertune.logs.stream import read_chunks

ROOT = Path(__file__).resolve().parents[1]


def best(seconds: Callable[[], float], repeat: int) -> float:
    return min(seconds() for _ in range(repeat))


def timed(fn: Callable[[], object]) -> Callable[[], float]:
    def run() -> float:
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started

    return run


# Run in a fresh interpreter: prints {"seconds": s, "rss_mb": peak, "base_mb": after imports}.
# The peak is ru_maxrss; on Linux the kernel carries the parent's peak into a child's ru_maxrss
# (the benchmark's own, here), so there the same peak is read from the process's own VmHWM.
CHILD = """
import json, resource, sys, time
def rss():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
what, path = sys.argv[1], sys.argv[2]
if what == "parse-before":
    import contextlib, io, os
    from powertune_cli.logs import LogsFormat, parse
    base = rss(); started = time.perf_counter()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        with contextlib.redirect_stderr(io.StringIO()):
            parse(file=path, fmt=LogsFormat.jsonl)
elif what == "before":
    from powertune.analyze.from_logs import analyze_files
    from pricing.catalog import load_catalog
    catalog = load_catalog()
    base = rss(); started = time.perf_counter()
    analyze_files([path], catalog, function="f")
elif what == "analyze":
    from powertune.analyze.from_logs import analyze_files
    from pricing.catalog import load_catalog
    catalog = load_catalog()
    base = rss(); started = time.perf_counter()
    analyze_files([path], catalog, function="f")
else:
    from powertune.logs.aggregate import summarize
    base = rss(); started = time.perf_counter()
    summarize([path], function="f", engine=what)
print(json.dumps({"seconds": time.perf_counter() - started, "rss_mb": rss(), "base_mb": base}))
"""


def child(what: str, path: Path, pythonpath: Path, engine_env: str | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    if engine_env is not None:
        env["POWERTUNE_PURE_PYTHON"] = engine_env
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=pythonpath,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def logs_parse(path: Path) -> int:
    """What `powertune logs parse` does with the export, output thrown away."""
    lines = 0
    with open(os.devnull, "w") as sink:
        for chunk in read_chunks([path], ParseStats(), by_function=False):
            text = list(metric_lines(chunk.scan))
            lines += len(text)
            sink.write("\n".join(text))
    return lines


def exactness(path: Path, engine: str) -> str:
    """Every REPORT of the streaming read against the general parser, and the parse counts."""
    stats = ParseStats()
    got: list[Report] = []
    for chunk in read_chunks([path], stats, engine=engine):  # type: ignore[arg-type]
        got.extend(chunk.scan.reports().to_reports())
    want_stats = ParseStats()
    with open(path, encoding="utf-8", errors="replace") as f:
        want = [
            r
            for r in iter_records((line.rstrip("\n") for line in f), want_stats)
            if isinstance(r, Report)
        ]
    wrong = sum(a != b for a, b in zip(got, want, strict=False)) + abs(len(got) - len(want))
    same = "same" if stats == want_stats else "DIFFERENT"
    return f"{len(got):,} REPORTs, {wrong} differing (every field); parse counts {same}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations", type=int, default=240_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--no-verify", action="store_true", help="skip the exactness check")
    args = parser.parse_args()
    built = "built" if "c" in ENGINES else "NOT built"
    print(f"engine in use: {ENGINE} (the C extension is {built}); best of {args.repeat}")
    with tempfile.TemporaryDirectory() as tmp:
        one, two = Path(tmp) / "export.log", Path(tmp) / "export-x2.log"
        lines = write_export(one, args.invocations)
        write_export(two, args.invocations, copies=2)
        size = one.stat().st_size
        print(f"export: {lines:,} lines, {size / 1e6:.1f} MB (doubled: {2 * size / 1e6:.1f} MB)")

        rows: list[tuple[str, float]] = []
        if shutil.which("grep"):
            grep = best(
                timed(
                    lambda: subprocess.run(
                        ["grep", "-c", "REPORT", str(one)], capture_output=True, check=True
                    )
                ),
                args.repeat,
            )
            rows.append(("grep -c REPORT", grep))
        naive = best(timed(lambda: naive_pass(one)), args.repeat)
        rows.append(("naive Python pass", naive))
        for engine in ENGINES:
            from powertune.logs.aggregate import summarize

            seconds = best(
                timed(lambda e=engine: summarize([one], function="f", engine=e)), args.repeat
            )
            rows.append((f"streaming read ({engine})", seconds))
        from powertune.analyze.from_logs import analyze_files
        from pricing.catalog import load_catalog

        catalog = load_catalog()
        seconds = best(timed(lambda: analyze_files([one], catalog, function="f")), args.repeat)
        rows.append((f"analyze_files ({ENGINE})", seconds))
        if args.before:
            rows.append(("analyze_files before", child("before", one, args.before)["seconds"]))
        rows.append(("logs parse (core, jsonl)", best(timed(lambda: logs_parse(one)), args.repeat)))
        if args.before:
            rows.append(("logs parse before", child("parse-before", one, args.before)["seconds"]))
        print(f"\n{'on the export':<28}{'seconds':>9}{'M lines/s':>11}  vs naive  vs grep")
        grep_s = rows[0][1] if rows[0][0].startswith("grep") else None
        for name, seconds in rows:
            vs_grep = f"{seconds / grep_s:6.1f}x" if grep_s else "   n/a"
            print(
                f"{name:<28}{seconds:9.3f}{lines / seconds / 1e6:11.2f}  "
                f"{naive / seconds:6.1f}x  {vs_grep}"
            )
        print("(vs naive: how many times faster than the naive pass; vs grep: times slower)")

        print(
            f"\n{'peak RSS, fresh process':<30}{'export':>10}{'doubled':>10}{'growth':>8}"
            f"{'after imports':>15}"
        )
        cases = [(e, e, None) for e in ENGINES] + [("analyze", "analyze_files", None)]
        if args.before:
            cases.append(("before", "analyze_files before", None))
        for what, label, env in cases:
            where = args.before if what == "before" else ROOT
            a, b = child(what, one, where, env), child(what, two, where, env)
            name = f"streaming read ({what})" if what in ENGINES else label
            print(
                f"{name:<30}{a['rss_mb']:8.0f}MB{b['rss_mb']:8.0f}MB"
                f"{100 * (b['rss_mb'] / a['rss_mb'] - 1):+7.0f}%{a['base_mb']:13.0f}MB"
            )

        if not args.no_verify:
            print()
            for engine in ENGINES:
                print(f"exact ({engine}): {exactness(one, engine)}")


if __name__ == "__main__":
    main()
