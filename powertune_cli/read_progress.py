"""Progress of a long log read on stderr: bytes and records per second, and the time left.

Shown when stderr is a terminal (one line, redrawn) or with -v (a line every few seconds);
never on stdout, which carries only the result.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from powertune.logs.stream import ProgressCallback, ReadProgress

_LOG_EVERY_S = 5.0


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def describe(p: ReadProgress) -> str:
    """One line: what was read, how fast, and how long is left."""
    read = _size(p.bytes_read)
    if p.bytes_total:
        read += f" of {_size(p.bytes_total)} ({100 * p.bytes_read / p.bytes_total:.0f}%)"
    text = (
        f"read {read}, {p.lines:,} lines, {p.records:,} records · {_size(p.bytes_per_s)}/s, "
        f"{p.records_per_s / 1e6:.2f}M records/s"
    )
    eta = p.eta_s
    if p.done:
        text += f" · done in {_duration(p.elapsed_s)}"
    elif eta is not None:
        text += f" · ETA {_duration(eta)}"
    return text


@contextmanager
def progress_for(verbose: bool) -> Iterator[ProgressCallback | None]:
    """A progress callback for the core (None when nothing is to be shown)."""
    err = sys.stderr
    live = err.isatty()
    if not (live or verbose):
        yield None
        return
    last = [0.0]
    shown = [False]

    def show(p: ReadProgress) -> None:
        if live:
            err.write("\r\033[K" + describe(p))
            shown[0] = True
            if p.done:
                err.write("\n")
                shown[0] = False
        else:
            now = time.monotonic()
            if p.done or now - last[0] >= _LOG_EVERY_S:
                last[0] = now
                err.write(f"powertune: {describe(p)}\n")
        err.flush()

    try:
        yield show
    finally:
        if shown[0]:
            err.write("\n")
