"""Writes transcoder.log: one day of a cold-start-heavy function's REPORT records (generated).

A steady queue consumer: 2,880 invocations a day of ~10 minutes at 2,048 MB (about 20 running
at any time), 15% of them cold with a 6.5-10 s INIT (a model loaded at import). Cold REPORT
lines carry Init Duration and, as on-demand functions are billed since 1 Aug 2025, a Billed
Duration of ceil(init + duration). Fixed seed: running it again writes the same file.

    python tests/data/coldstart/make_export.py
"""

from __future__ import annotations

import math
import random
from pathlib import Path

RECORDS = 2880
COLD_SHARE = 0.15
MEMORY_MB = 2048


def main() -> None:
    rng = random.Random(17)
    lines = []
    for i in range(RECORDS):
        duration = min(899_000.0, max(60_000.0, rng.gauss(600_000, 40_000)))
        used = rng.randint(1700, 1950)
        text = (
            f"REPORT RequestId: r{i:06d}\tDuration: {duration:.2f} ms\t"
            f"Billed Duration: {{billed}} ms\tMemory Size: {MEMORY_MB} MB\t"
            f"Max Memory Used: {used} MB"
        )
        if rng.random() < COLD_SHARE:
            init = min(9_999.0, max(6_500.0, rng.gauss(8_000, 700)))
            text = (
                text.format(billed=math.ceil(duration + init)) + f"\tInit Duration: {init:.2f} ms"
            )
        else:
            text = text.format(billed=math.ceil(duration))
        lines.append(text)
    Path(__file__).with_name("transcoder.log").write_text("\n".join(lines) + "\n", "utf-8")


if __name__ == "__main__":
    main()
