"""Multi-threaded: hashes data on ``threads`` threads at once (hashlib releases the GIL).

Keeps speeding up above 1,769 MB, where Lambda gives more than one vCPU, as long as it has
threads to keep them busy.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

BLOCK = b"powertune" * (1024 * 1024 // 9)  # about 1 MB


def _work(rounds: int) -> str:
    digest = hashlib.sha256()
    for _ in range(rounds):
        digest.update(BLOCK)
    return digest.hexdigest()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    threads = int(event.get("threads", 2))
    rounds = int(event.get("rounds", 40))  # per thread, about 1 MB each
    with ThreadPoolExecutor(max_workers=threads) as pool:
        digests = list(pool.map(_work, [rounds] * threads))
    return {"threads": threads, "rounds": rounds, "digest": digests[0]}
