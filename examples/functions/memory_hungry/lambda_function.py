"""Memory-hungry: holds ``mb`` MB of touched memory at once.

With the default 200 MB it ends with Runtime.OutOfMemory at 128 MB and succeeds from 256 MB.
"""

from __future__ import annotations

import hashlib
from typing import Any

CHUNK = 8 * 1024 * 1024


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    megabytes = int(event.get("mb", 200))
    chunks = []
    digest = hashlib.sha256()
    for i in range(megabytes * 1024 * 1024 // CHUNK):
        chunk = bytes([i % 251]) * CHUNK  # bytes() of a repeated value touches every page
        digest.update(chunk[:64])
        chunks.append(chunk)
    return {"held_mb": len(chunks) * CHUNK // (1024 * 1024), "digest": digest.hexdigest()}
