"""The error a result file raises when it cannot be read or does not match the schema."""

from __future__ import annotations

from powertune.errors import PowertuneError


class InvalidResult(PowertuneError):
    """A result file that is unreadable, not JSON, or not a valid powertune result (exit code 3).

    ``json_path`` points at what is wrong (``$.functions[0].measurements[2].status``) when known.
    """

    exit_code = 3

    def __init__(self, message: str, *, source: str | None = None, json_path: str | None = None):
        self.source = source
        self.json_path = json_path
        where = f"{source}: " if source else ""
        at = f" (at {json_path})" if json_path else ""
        super().__init__(f"{where}{message}{at}")
