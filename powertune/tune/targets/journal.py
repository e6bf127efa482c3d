"""The run journal: what a function looked like before a tuning run changed it.

Written before the first UpdateFunctionConfiguration, in two places:

- a tag on the function (``powertune:journal``), so that ``powertune cleanup`` from any machine
  finds it. Lambda tag values hold at most 256 characters from ``[\\w .:/=+\\-@]``, so the tag
  carries the essentials: the run id, memory, timeout, ephemeral storage, architecture, whether
  the run's cold-start variable was absent, and a digest of the environment;
- a fuller copy on this machine (``$POWERTUNE_STATE_DIR``, else ``$XDG_STATE_HOME/powertune``,
  else ``~/.local/state/powertune``; mode 0600), which also keeps the cold-start variable's
  original value when it had one. Environment values themselves are never written to disk: the
  run only ever adds or changes that one variable, so restoring it restores the environment.

Restoring (by the run itself or by ``cleanup``) removes both.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from powertune.files import make_dir, write_atomic

TAG_KEY = "powertune:journal"
TAG_VALUE_MAX = 256
_TAG_FIELD = re.compile(r"([a-z]+)=([^ ]*)")
_SAFE_TAG = re.compile(r"^[\w .:/=+\-@]*$")


@dataclass(frozen=True)
class Journal:
    """The original configuration of one function, as a run found it."""

    run_id: str
    function_arn: str
    memory_mb: int
    timeout_s: int | None = None
    ephemeral_mb: int | None = None
    architecture: str | None = None
    cold_variable_absent: bool = True
    cold_variable_value: str | None = None  # only in the local copy
    environment_sha256: str = ""
    started_unix: int = 0
    tagged: bool = True  # False when the tag could not be written (this copy is the only one)

    def tag_value(self) -> str:
        fields = {
            "run": self.run_id,
            "mem": str(self.memory_mb),
            "timeout": "" if self.timeout_s is None else str(self.timeout_s),
            "eph": "" if self.ephemeral_mb is None else str(self.ephemeral_mb),
            "arch": self.architecture or "",
            "cold": "absent" if self.cold_variable_absent else "set",
            "env": self.environment_sha256[:16],
            "t": str(self.started_unix),
        }
        value = " ".join(f"{k}={v}" for k, v in fields.items())
        if len(value) > TAG_VALUE_MAX or not _SAFE_TAG.match(value):
            raise ValueError(f"journal tag value not storable: {value!r}")
        return value

    @classmethod
    def from_tag(cls, value: str, function_arn: str) -> Journal | None:
        """The journal in a tag value; None when it is not one of ours (or is damaged)."""
        fields = dict(_TAG_FIELD.findall(value or ""))
        try:
            return cls(
                run_id=fields["run"],
                function_arn=function_arn,
                memory_mb=_positive(fields["mem"]),
                timeout_s=_optional_int(fields.get("timeout")),
                ephemeral_mb=_optional_int(fields.get("eph")),
                architecture=fields.get("arch") or None,
                cold_variable_absent=fields.get("cold", "absent") == "absent",
                environment_sha256=fields.get("env", ""),
                started_unix=_optional_int(fields.get("t")) or 0,
            )
        except (KeyError, ValueError):
            return None


def new_journal(
    run_id: str, function_arn: str, config: dict[str, Any], cold_variable: str
) -> Journal:
    """The journal for a configuration as GetFunctionConfiguration returned it."""
    env = (config.get("Environment") or {}).get("Variables") or {}
    return Journal(
        run_id=run_id,
        function_arn=function_arn,
        memory_mb=int(config["MemorySize"]),
        timeout_s=config.get("Timeout"),
        ephemeral_mb=(config.get("EphemeralStorage") or {}).get("Size"),
        architecture=(config.get("Architectures") or [None])[0],
        cold_variable_absent=cold_variable not in env,
        cold_variable_value=env.get(cold_variable),
        environment_sha256=environment_digest(env),
        started_unix=int(time.time()),
    )


def environment_digest(variables: dict[str, str]) -> str:
    text = json.dumps(variables, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def unqualified_arn(arn: str) -> str:
    """``arn:aws:lambda:region:account:function:name`` without a ``:qualifier``."""
    parts = arn.split(":")
    return ":".join(parts[:7]) if len(parts) > 7 else arn


# -- the local copy ---------------------------------------------------------------------------


def state_dir() -> Path:
    explicit = os.environ.get("POWERTUNE_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "powertune"


# where the state directory comes from, for messages about it
STATE_DIR_SOURCE = (
    "$POWERTUNE_STATE_DIR, else $XDG_STATE_HOME/powertune, else ~/.local/state/powertune"
)


def state_subdir(name: str) -> Path:
    """``state_dir() / name``, made (mode 0700) if missing: an unusable state directory (under
    a regular file, no permission) is one line naming it (exit 3), never a traceback."""
    return make_dir(state_dir() / name, what=f"the state directory ({STATE_DIR_SOURCE})")


def _journal_dir() -> Path:
    return state_dir() / "journal"


def _local_path(journal: Journal) -> Path:
    key = hashlib.sha256(journal.function_arn.encode()).hexdigest()[:16]
    return _journal_dir() / f"{key}-{journal.run_id}.json"


def write_local(journal: Journal) -> Path:
    """Write the local copy (atomically, readable by this user only)."""
    state_subdir("journal")
    return write_atomic(
        _local_path(journal), json.dumps(asdict(journal), indent=2) + "\n", mode=0o600
    )


def read_local(function_arn: str) -> list[Journal]:
    """This machine's journals for a function, oldest first; unreadable files are skipped."""
    key = hashlib.sha256(function_arn.encode()).hexdigest()[:16]
    found: list[Journal] = []
    directory = _journal_dir()
    if not directory.is_dir():
        return found
    for path in sorted(directory.glob(f"{key}-*.json")):
        try:
            if path.stat().st_size > 64 * 1024:
                continue
            data = json.loads(path.read_text(encoding="utf-8"))
            journal = Journal(**data)
        except (OSError, ValueError, TypeError):
            continue
        if journal.function_arn == function_arn:
            found.append(journal)
    return sorted(found, key=lambda j: j.started_unix)


def remove_local(journal: Journal) -> None:
    with contextlib.suppress(OSError):
        _local_path(journal).unlink()


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(text)
    return value


def _optional_int(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if len(text) > 12:
        raise ValueError(text)
    return int(text)
