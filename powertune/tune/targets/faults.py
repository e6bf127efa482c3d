"""A fault-injection hook: pause a run at a named phase, so tests can signal or kill it there.

``POWERTUNE_FAULT_PAUSE=PHASE=FLAGFILE``: the first time the run reaches PHASE (``configure``:
the first UpdateFunctionConfiguration has been sent; ``publish``: the first version is
published, its alias not yet made; ``invoke``: the first invocation is about to go out;
``restore``: $LATEST is restored, the aliases and versions not yet deleted), FLAGFILE is
created and the run waits until it is removed (60 s at most). Unset, this does nothing.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

ENV = "POWERTUNE_FAULT_PAUSE"
_reached: set[str] = set()
_lock = threading.Lock()


def checkpoint(phase: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    wanted, _, flag = spec.partition("=")
    with _lock:
        if wanted != phase or phase in _reached or not flag:
            return
        _reached.add(phase)
    path = Path(flag)
    path.write_text(phase)
    deadline = time.monotonic() + 60
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
