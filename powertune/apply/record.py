"""What ``apply --function`` writes so that a change can be rolled back, and proven its own.

A record names the function (account, region, name), the size before and after, the function's
revision before the update and the revision and code the update left, and ``op``: a random id of
this apply. It is kept twice: a ``powertune:rollback`` tag on the function (found from any
machine, written once the update is done) and a JSON file under the record directory (written
before the update as ``pending``, then ``applied`` the moment the update is accepted). A rollback
acts only on a function whose revision is still the one the record's update left; a tag that
does not carry those fields was not written by this apply, and is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from powertune.apply.errors import ApplyError, NotApplied
from powertune.files import WriteFailed, write_atomic

TAG = "powertune:rollback"
VERSION = 2
_NONE = "-"  # a field the Lambda endpoint does not give (moto has no RevisionId)
_MAX_RECORD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Record:
    function: str
    arn: str  # unqualified
    account: str
    region: str
    previous_mb: int
    applied_mb: int
    revision_before: str | None
    revision_after: str | None  # the revision the update left; None until it is accepted
    code_sha256: str | None  # the code after the update
    at: str
    op: str
    state: str = "pending"  # "pending" (about to update), "applied" (the update was accepted)

    @staticmethod
    def new_op() -> str:
        return secrets.token_hex(8)

    def applied(self, revision: str | None, code_sha256: str | None) -> Record:
        return replace(self, state="applied", revision_after=revision, code_sha256=code_sha256)

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, **asdict(self)}

    def tag_value(self) -> str:
        # Tag values allow letters, digits, spaces and _.:/=+-@ only (256 characters at most).
        parts = {
            "v": str(VERSION),
            "memory": str(self.previous_mb),
            "applied": str(self.applied_mb),
            "at": self.at,
            "op": self.op,
            "acct": self.account,
            "region": self.region,
            "rev": self.revision_after or _NONE,
            "code": self.code_sha256 or _NONE,
        }
        return " ".join(f"{k}={v}" for k, v in parts.items())

    def describe(self) -> str:
        return f"{self.previous_mb} -> {self.applied_mb} MB at {self.at} (apply {self.op})"


_TAG_FIELD = re.compile(r"^(?P<key>[a-z]+)=(?P<value>\S+)$")


def from_tag(value: str, name: str, arn: str) -> Record | None:
    """The record a tag carries; None when it is not one this apply writes (hand-written, an
    older powertune's, damaged)."""
    found: dict[str, str] = {}
    for part in value.split():
        match = _TAG_FIELD.match(part)
        if match is None:
            return None
        found[match["key"]] = match["value"]
    wanted = {"v", "memory", "applied", "at", "op", "acct", "region", "rev", "code"}
    if not wanted <= found.keys() or found["v"] != str(VERSION):
        return None
    if not (found["memory"].isdigit() and found["applied"].isdigit()):
        return None
    return Record(
        function=name,
        arn=arn,
        account=found["acct"],
        region=found["region"],
        previous_mb=int(found["memory"]),
        applied_mb=int(found["applied"]),
        revision_before=None,
        revision_after=None if found["rev"] == _NONE else found["rev"],
        code_sha256=None if found["code"] == _NONE else found["code"],
        at=found["at"],
        op=found["op"],
        state="applied",
    )


class RecordStore:
    """The local records, one file per function, and a lock per function so that two applies
    on this machine take turns (the second is refused, not queued)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, arn: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", arn)
        return self.directory / f"{safe}.json"

    def write(self, record: Record) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            text = json.dumps(record.to_json(), indent=2) + "\n"
            write_atomic(self.path(record.arn), text)
        except (OSError, WriteFailed) as exc:
            raise ApplyError(f"cannot write the rollback record: {exc}") from None

    def read(self, arn: str) -> Record | None:
        """The record for ``arn``; None if there is none. A file that is not a record of this
        version is refused (with its path), never guessed at."""
        path = self.path(arn)
        try:
            if not path.is_file():
                return None
            if path.stat().st_size > _MAX_RECORD_BYTES:
                raise ValueError("too large")
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != VERSION:
                raise ValueError("written by an older powertune")
            values = {f.name: data[f.name] for f in fields(Record)}
            record = Record(**values)
            _check_types(record)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise NotApplied(
                f"rollback record {path} is not one this powertune can verify ({exc}): "
                "nothing changed; check the function and remove the file"
            ) from None
        return record

    def remove(self, record: Record) -> None:
        """Remove the local record if it is still ``record``'s (same apply)."""
        with contextlib.suppress(NotApplied):
            current = self.read(record.arn)
            if current is not None and current.op == record.op:
                self.path(record.arn).unlink(missing_ok=True)

    @contextlib.contextmanager
    def lock(self, arn: str) -> Iterator[None]:
        """Exclusive, for the time one function is changed; another holder means refused."""
        path = self.path(arn).with_suffix(".lock")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ApplyError(f"cannot lock {path}: {exc.strerror or exc}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise NotApplied(
                    f"{arn}: another powertune apply is changing it now: refused, nothing changed"
                ) from None
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _check_types(record: Record) -> None:
    for name in ("function", "arn", "account", "region", "at", "op", "state"):
        if not isinstance(getattr(record, name), str):
            raise TypeError(f"{name} is not text")
    for name in ("previous_mb", "applied_mb"):
        value = getattr(record, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} is not an integer")
    for name in ("revision_before", "revision_after", "code_sha256"):
        if getattr(record, name) is not None and not isinstance(getattr(record, name), str):
            raise TypeError(f"{name} is not text")
    if record.state not in ("pending", "applied"):
        raise ValueError(f"unknown state {record.state!r}")
