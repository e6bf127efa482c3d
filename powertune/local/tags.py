"""Function tags of the local runtime (TagResource, UntagResource, ListTags), with Lambda's limits.

Tags belong to the function (not to a version) and are kept apart from the registry: a tag
change is not a configuration update and never makes a function ``InProgress``.
"""

from __future__ import annotations

import re
import threading

from powertune.local.errors import invalid

MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256
_ALLOWED = re.compile(r"^[\w .:/=+\-@]*$")
_FUNCTION_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):\d{12}:function:(?P<name>[a-zA-Z0-9_-]+)$"
)


def parse_function_arn(arn: str) -> tuple[str, str]:
    """(region, name) of an unqualified function ARN, the only resource tags apply to here."""
    found = _FUNCTION_ARN.match(arn)
    if found is None:
        raise invalid(f"Resource {arn!r} is not an unqualified function ARN")
    return found["region"], found["name"]


class TagStore:
    """Tags per (region, function name)."""

    def __init__(self) -> None:
        self._tags: dict[tuple[str, str], dict[str, str]] = {}
        self._lock = threading.Lock()

    def get(self, region: str, name: str) -> dict[str, str]:
        with self._lock:
            return dict(self._tags.get((region, name), {}))

    def tag(self, region: str, name: str, tags: object) -> None:
        if not isinstance(tags, dict) or not tags:
            raise invalid("Tags must be a non-empty map of strings")
        for key, value in tags.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise invalid("Tag keys and values must be strings")
            if not 1 <= len(key) <= MAX_KEY or key.lower().startswith("aws:"):
                raise invalid(f"Tag key {key[:40]!r} is not allowed (1-{MAX_KEY} chars, no aws:)")
            if len(value) > MAX_VALUE:
                raise invalid(f"Tag value for {key!r} is longer than {MAX_VALUE} characters")
            if not _ALLOWED.match(key) or not _ALLOWED.match(value):
                raise invalid(f"Tag {key[:40]!r} has characters Lambda does not allow")
        with self._lock:
            merged = {**self._tags.get((region, name), {}), **tags}
            if len(merged) > MAX_TAGS:
                raise invalid(f"A function can have at most {MAX_TAGS} tags")
            self._tags[(region, name)] = merged

    def untag(self, region: str, name: str, keys: list[str]) -> None:
        with self._lock:
            current = self._tags.get((region, name), {})
            for key in keys:
                current.pop(key, None)

    def forget(self, region: str, name: str) -> None:
        """The function was deleted: its tags go with it."""
        with self._lock:
            self._tags.pop((region, name), None)
