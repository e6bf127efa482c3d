"""An aws-lambda-power-tuning visualisation URL for a result (``--power-tuning-url``).

The page (https://lambda-power-tuning.show/, the one the state machine links to) reads its data
from the URL's hash: ``#<sizes>;<times>;<costs>``, each a base64 block of little-endian values:
sizes as 16-bit integers, average durations (ms) and average costs per invocation (USD) as
32-bit floats. ``powertune.tune.targets.replay.decode_power_tuning_url`` reads these back.
"""

from __future__ import annotations

import base64
import struct

from powertune.errors import InputError
from powertune.results.model import FunctionResult

POWER_TUNING_UI = "https://lambda-power-tuning.show/"


def power_tuning_url(fn: FunctionResult, base: str = POWER_TUNING_UI) -> str:
    """The measured sizes of one function (those that ran, with a cost) as a visualisation URL."""
    rows = [
        (m.memory_mb, m.duration_ms.mean, float(m.cost_per_invocation_usd))
        for m in sorted(fn.measurements, key=lambda m: m.memory_mb)
        if m.measured and m.duration_ms is not None and m.cost_per_invocation_usd is not None
    ]
    if not rows:
        raise InputError(f"{fn.name}: no measured size to show in a power-tuning URL")
    sizes = struct.pack(f"<{len(rows)}H", *(r[0] for r in rows))
    times = struct.pack(f"<{len(rows)}f", *(r[1] for r in rows))
    costs = struct.pack(f"<{len(rows)}f", *(r[2] for r in rows))
    blocks = ";".join(base64.b64encode(b).decode("ascii") for b in (sizes, times, costs))
    return f"{base}#{blocks}"
