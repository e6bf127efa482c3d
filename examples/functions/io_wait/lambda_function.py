"""I/O-bound: waits on a (simulated) downstream call, so more memory buys almost nothing."""

from __future__ import annotations

import time
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    wait_ms = float(event.get("wait_ms", 100))
    calls = int(event.get("calls", 1))
    for _ in range(calls):
        time.sleep(wait_ms / 1000 / calls)  # stands in for a database or HTTP round trip
    return {"waited_ms": wait_ms, "calls": calls}
