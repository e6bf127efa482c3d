"""Waits ``wait_ms`` (or spins ``spin_ms`` of CPU) and reports when it ran, in wall-clock time, so
a test can see which invocations ran at the same time."""

from __future__ import annotations

import os
import time
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.time()
    if "spin_ms" in event:
        until = time.process_time() + event["spin_ms"] / 1000
        while time.process_time() < until:
            pass
    else:
        time.sleep(event.get("wait_ms", 100) / 1000)
    return {
        "start": started,
        "end": time.time(),
        "memory": int(context.memory_limit_in_mb),
        "pid": os.getpid(),
    }
