"""Parse 1,000,000 generated mixed Lambda log records and print records/s, checking every field.

Mix (seeded): canonical text REPORTs (half with Init Duration), canonical JSON platform.report
records (with and without initDurationMs, some with a status), REPORTs in other documented shapes
(space separators, timestamp prefixes, Status/Error Type), START/END and function log lines, and
malformed records. These parsers run on the same input in the same process:

- bulk (c): ``powertune.logs.bulk.parse_buffer`` with the compiled fast path (the C
  extension ``_fastreport``) + the general parser for every other line; absent when the extension
  is not built;
- bulk (numpy): the same with the vectorised numpy fast path;
- general: ``powertune.collectors.iter_records`` line by line;
- naive: one regex per field per line, the way log parsers usually read REPORT lines
  (``Duration: (\\d+...)`` etc.), as a baseline; it is also checked, and its misreads are counted.

A third run reads a realistic export (``realistic_export.py``: START, a text log line, a JSON
log line every third invocation, END, REPORT; 1 in 40 cold), where most lines are not REPORTs:
the bulk engines (which skip what cannot be a platform record) against the naive pass
(``startswith("REPORT")`` and one regex) and ``grep -c REPORT`` over the same file.

    python benchmarks/parse_reports.py [--records 1000000] [--seed 7] [--invocations 240000]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
from realistic_export import naive_pass, write_export

from powertune.logs import ParseStats, Report, iter_records
from powertune.logs.bulk import ENGINE, ENGINES, Engine, parse_buffer


def generate(
    n: int, seed: int, odd: float, other: float, bad: float
) -> tuple[list[str], list[dict]]:
    """``odd``, ``other`` and ``bad``: shares of REPORTs in other shapes, of START/END/function
    log lines, and of malformed records; the rest is canonical text (55%) and JSON (45%)."""
    rng = random.Random(seed)
    canonical = 1.0 - odd - other - bad
    text_end, json_end = canonical * 0.55, canonical
    odd_end, other_end = json_end + odd, json_end + odd + other
    lines: list[str] = []
    truth: list[dict] = []
    for _ in range(n):
        kind = rng.random()
        rid = str(uuid.UUID(int=rng.getrandbits(128)))
        duration = round(rng.uniform(0.5, 30_000), 2)
        memory = rng.choice([128, 256, 512, 1024, 1769, 3008, 10240])
        used = rng.randint(30, memory)
        init = round(rng.uniform(50, 2000), 2) if rng.random() < 0.5 else None
        billed = int(np.ceil(duration + (init or 0)))
        row = {
            "request_id": rid,
            "duration_ms": duration,
            "billed_ms": billed,
            "memory_mb": memory,
            "max_memory_mb": used,
            "init_ms": init,
            "status": None,
            "error_type": None,
        }
        init_text = f"Init Duration: {init:.2f} ms\t" if init is not None else ""
        if kind < text_end:
            lines.append(
                f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {billed} ms\tMemory Size: {memory} MB\tMax Memory Used: {used} MB\t{init_text}"
            )
        elif kind < json_end:
            metrics = {
                "durationMs": duration,
                "billedDurationMs": billed,
                "memorySizeMB": memory,
                "maxMemoryUsedMB": used,
            }
            if init is not None:
                metrics["initDurationMs"] = init
            record = {"requestId": rid, "metrics": metrics}
            if rng.random() < 0.5:
                record["status"] = "success"
                row["status"] = "success"
            lines.append(
                json.dumps(
                    {
                        "time": "2026-11-27T10:00:00.000Z",
                        "type": "platform.report",
                        "record": record,
                    },
                    separators=(",", ":"),
                )
            )
        elif kind < odd_end:
            shape = rng.random()
            if shape < 0.4:  # multi-space separators, as the CLI prints a tail
                lines.append(
                    f"REPORT RequestId: {rid}  Duration: {duration:.2f} ms  Billed Duration: {billed} ms  Memory Size: {memory} MB  Max Memory Used: {used} MB  "
                    + (f"Init Duration: {init:.2f} ms" if init is not None else "")
                )
            elif shape < 0.7:  # `aws logs tail` prefix
                lines.append(
                    f"2026-11-27T10:00:00.000000+00:00 2026/11/27/[$LATEST]0c1d2f3e {'REPORT'} RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {billed} ms\tMemory Size: {memory} MB\tMax Memory Used: {used} MB\t{init_text}"
                )
            else:  # out of memory
                row["status"], row["error_type"] = "error", "Runtime.OutOfMemory"
                lines.append(
                    f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {billed} ms\tMemory Size: {memory} MB\tMax Memory Used: {used} MB\t{init_text}Status: error\tError Type: Runtime.OutOfMemory\t"
                )
        elif kind < other_end:
            lines.append(
                rng.choice(
                    [
                        f"START RequestId: {rid} Version: $LATEST",
                        f"END RequestId: {rid}",
                        f"2026-11-27T10:00:00.000Z\t{rid}\tINFO\tprocessed order {rng.randint(1, 10**6)}",
                    ]
                )
            )
            continue
        else:
            lines.append(
                rng.choice(
                    [
                        f"REPORT RequestId: {rid}\tDuration: fast ms\tBilled Duration: 1 ms",
                        '{"time":"t","type":"platform.report","record":{"metrics":{"durationMs":"1"}}}',
                        f"REPORT RequestId: {rid}\tBilled Duration: {billed} ms",
                    ]
                )
            )
            continue
        truth.append(row)
    return lines, truth


NAIVE = {
    "duration_ms": re.compile(r"Duration: (\d+\.?\d*) ms"),
    "billed_ms": re.compile(r"Billed Duration: (\d+) ms"),
    "memory_mb": re.compile(r"Memory Size: (\d+) MB"),
    "max_memory_mb": re.compile(r"Max Memory Used: (\d+) MB"),
    "init_ms": re.compile(r"Init Duration: (\d+\.?\d*) ms"),
}


def naive(lines: list[str]) -> list[dict]:
    out = []
    for line in lines:
        if "REPORT" not in line:
            continue
        row = {}
        for key, pattern in NAIVE.items():
            match = pattern.search(line)
            row[key] = float(match.group(1)) if match else None
        out.append(row)
    return out


def wrong_fields(got: list[dict], truth: list[dict]) -> int:
    if len(got) != len(truth):
        return abs(len(got) - len(truth)) * 5 + sum(1 for _ in ())
    return sum(
        1
        for g, t in zip(got, truth, strict=True)
        for key in ("duration_ms", "billed_ms", "memory_mb", "max_memory_mb", "init_ms")
        if g[key] != t[key]
    )


def bulk(data: bytes, truth: list[dict], engine: Engine, rate: Callable[[float], str]) -> str:
    """Time one ``parse_buffer`` call (fast path and general fallback), then check every field."""
    stats = ParseStats()
    started = time.perf_counter()
    table = parse_buffer(data, stats, engine=engine)
    seconds = time.perf_counter() - started
    rows = [
        {
            "duration_ms": float(table.duration_ms[i]),
            "billed_ms": int(table.billed_ms[i]),
            "memory_mb": int(table.memory_mb[i]),
            "max_memory_mb": int(table.max_memory_mb[i]),
            "init_ms": None if np.isnan(table.init_ms[i]) else float(table.init_ms[i]),
        }
        for i in range(len(table))
    ]
    ids_ok = len(table) == len(truth) and all(
        table.request_id[i].decode() == t["request_id"] for i, t in enumerate(truth)
    )
    status_ok = list(table.status) == [t["status"] for t in truth]
    errors_ok = list(table.error_type) == [t["error_type"] for t in truth]
    return (
        f"{rate(seconds)}  {seconds:6.2f} s  wrong fields: {wrong_fields(rows, truth)}, "
        f"ids {'ok' if ids_ok else 'WRONG'}, status {'ok' if status_ok else 'WRONG'}, "
        f"error types {'ok' if errors_ok else 'WRONG'}; skipped {stats.malformed:,} malformed, "
        f"{stats.ignored:,} ignored"
    )


def run(records: int, seed: int, odd: float, other: float, bad: float) -> None:
    lines, truth = generate(records, seed, odd, other, bad)
    data = ("\n".join(lines) + "\n").encode()
    print(
        f"\n{len(lines):,} records ({len(truth):,} REPORTs; {odd:.0%} in other REPORT shapes, "
        f"{other:.0%} START/END/function logs, {bad:.0%} malformed), {len(data) / 1e6:.0f} MB"
    )

    def rate(seconds: float) -> str:
        return f"{len(lines) / seconds:>12,.0f} records/s"

    for engine in ENGINES:
        print(f"{f'bulk ({engine})':<13}{bulk(data, truth, engine, rate)}")
    started = time.perf_counter()
    general = [r for r in iter_records(lines) if isinstance(r, Report)]
    general_s = time.perf_counter() - started

    started = time.perf_counter()
    naive_rows = naive(lines)
    naive_s = time.perf_counter() - started

    general_rows = [r.to_json() for r in general]
    print(
        f"{'general':<13}{rate(general_s)}  {general_s:6.2f} s  "
        f"wrong fields: {wrong_fields(general_rows, truth)}"
    )
    print(
        f"{'naive':<13}{rate(naive_s)}  {naive_s:6.2f} s  wrong fields: "
        f"{wrong_fields(naive_rows, truth)} (REPORTs it returned: {len(naive_rows):,} of "
        f"{len(truth):,}; it cannot read JSON records)"
    )


def realistic(invocations: int) -> None:
    """The bulk engines on a realistic export, against the naive pass and grep, same file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.log"
        lines = write_export(path, invocations)
        data = path.read_bytes()
        print(
            f"\nrealistic export: {lines:,} lines ({invocations:,} REPORTs), {len(data) / 1e6:.0f} MB"
        )
        want_stats = ParseStats()
        want = [
            r for r in iter_records(data.decode().splitlines(), want_stats) if isinstance(r, Report)
        ]
        timings: dict[str, float] = {}
        for engine in ENGINES:
            stats = ParseStats()
            started = time.perf_counter()
            table = parse_buffer(data, stats, engine=engine)
            timings[engine] = time.perf_counter() - started
            wrong = sum(a != b for a, b in zip(table.to_reports(), want, strict=False))
            wrong += abs(len(table) - len(want))
            print(
                f"{f'bulk ({engine})':<13}{lines / timings[engine]:>12,.0f} lines/s  "
                f"{timings[engine]:6.2f} s  records differing from the general parser: {wrong}, "
                f"counts {'same' if stats == want_stats else 'DIFFERENT'}"
            )
        started = time.perf_counter()
        naive_pass(path)
        naive_s = time.perf_counter() - started
        print(f"{'naive':<13}{lines / naive_s:>12,.0f} lines/s  {naive_s:6.2f} s")
        if shutil.which("grep"):
            started = time.perf_counter()
            subprocess.run(["grep", "-c", "REPORT", str(path)], capture_output=True, check=True)
            grep_s = time.perf_counter() - started
            print(f"{'grep -c':<13}{lines / grep_s:>12,.0f} lines/s  {grep_s:6.2f} s")
        for engine, seconds in timings.items():
            ratio = f"{naive_s / seconds:.1f}x the naive pass"
            if shutil.which("grep"):
                ratio += f", {seconds / grep_s:.1f}x grep's time"
            print(f"bulk ({engine}): {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--invocations", type=int, default=240_000)
    args = parser.parse_args()
    built = "built" if "c" in ENGINES else "NOT built: no compiled figures"
    print(f"engine in use: {ENGINE} (the C extension is {built})")
    # The mix: text and JSON, with and without init, some malformed.
    run(args.records, args.seed, odd=0.0, other=0.0, bad=0.02)
    # A dirtier export: other REPORT shapes, START/END and function logs among the records.
    run(args.records, args.seed, odd=0.10, other=0.05, bad=0.05)
    # A realistic export: mostly lines that are not REPORTs.
    realistic(args.invocations)


if __name__ == "__main__":
    main()
