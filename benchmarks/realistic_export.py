"""A realistic Lambda log export, as the logs benchmarks read it (not a benchmark itself).

Per invocation: START, a text log line, a JSON log line every third invocation, END, REPORT;
1 in 40 cold, with INIT_START and Init Duration. ``stamp=True`` writes each line as a CloudWatch
export to S3 does, after an ISO timestamp.
"""

from __future__ import annotations

import random
import re
import uuid
from pathlib import Path

# The naive pass the targets compare against: startswith("REPORT") and one regex.
NAIVE_REPORT = re.compile(
    r"REPORT RequestId: (\S+)\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms"
    r"\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB"
)


def invocation_lines(
    invocations: int, seed: int = 1, stamp: bool = False, first: int = 0
) -> list[str]:
    rng = random.Random(seed + first)
    out: list[str] = []
    for i in range(first, first + invocations):
        rid = str(uuid.UUID(int=rng.getrandbits(128)))
        h, m, sec, ms = i // 3_600_000 % 24, i // 60_000 % 60, i // 1000 % 60, i % 1000
        ts = f"2026-03-01T{h:02d}:{m:02d}:{sec:02d}.{ms:03d}Z"
        cold = i % 40 == 0
        lines = []
        if cold:
            lines.append(
                "INIT_START Runtime Version: python:3.12.v18\tRuntime Version ARN: "
                "arn:aws:lambda:us-east-1::runtime:2fb93c1fd4e8"
            )
        lines.append(f"START RequestId: {rid} Version: $LATEST")
        lines.append(f"{ts}\t{rid}\tINFO\tprocessed order {i} with {rng.randint(1, 500)} items")
        if i % 3 == 0:
            lines.append(
                f'{{"timestamp":"{ts}","level":"INFO","requestId":"{rid}",'
                f'"message":"cache hit","order":{i}}}'
            )
        lines.append(f"END RequestId: {rid}")
        duration = rng.uniform(5, 400)
        init = f"Init Duration: {rng.uniform(200, 900):.2f} ms\t" if cold else ""
        lines.append(
            f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: "
            f"{int(duration) + 1} ms\tMemory Size: 512 MB\tMax Memory Used: "
            f"{rng.randint(60, 120)} MB\t{init}"
        )
        out.extend(f"{ts} {line}" for line in lines) if stamp else out.extend(lines)
    return out


def write_export(path: Path, invocations: int, seed: int = 1, copies: int = 1) -> int:
    """Write the export (``copies`` times over, 10,000 invocations at a time) and return its
    number of lines."""
    count = 0
    with open(path, "w") as f:
        for _ in range(copies):
            for start in range(0, invocations, 10_000):
                # The same seed per piece keeps each copy identical.
                lines = invocation_lines(min(10_000, invocations - start), seed, first=start)
                f.write("\n".join(lines) + "\n")
                count += len(lines)
    return count


def naive_pass(path: Path) -> int:
    """The naive pure-Python pass: every line, startswith("REPORT") and one regex."""
    found = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("REPORT"):
                match = NAIVE_REPORT.match(line)
                if match:
                    float(match.group(2))
                    found += 1
    return found
