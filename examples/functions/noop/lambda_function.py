"""A handler that does nothing: measures the runtime's own overhead."""

from typing import Any


def lambda_handler(event: Any, context: Any) -> Any:
    return {"ok": True}
