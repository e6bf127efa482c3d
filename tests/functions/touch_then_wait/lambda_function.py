"""Test handler: touches ``event["touch"]`` (so a test knows an invocation is running), then waits
``event["wait_s"]`` seconds; raises when ``event["fail"]`` is set."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("touch"):
        Path(event["touch"]).touch()
    time.sleep(float(event.get("wait_s", 0.0)))
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": True}
