"""Reports the CPUs its process may run on (the local runtime's placement)."""

from __future__ import annotations

import os
from typing import Any


def handler(event: Any, context: Any) -> dict[str, Any]:
    return {"cpus": sorted(os.sched_getaffinity(0))}
