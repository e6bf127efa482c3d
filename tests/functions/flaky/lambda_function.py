"""Test handler: fails with a custom error type on every invocation (the size is unusable unless
that type is allowed)."""

from __future__ import annotations

from typing import Any


class DownstreamTimeout(Exception):
    pass


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("fail", True):
        raise DownstreamTimeout("the downstream call timed out")
    return {"ok": True}
