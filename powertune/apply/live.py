"""Set a function's memory through the Lambda API, with a rollback record and ``rollback``.

Before the change, the previous size is recorded twice: a tag on the function (found from any
machine) and a JSON file under the record directory. The update carries the RevisionId that was
checked, so a configuration changed in between fails instead of being overwritten; the
``function_updated_v2`` waiter then waits for it to finish. Refused: a function whose memory,
architecture or code (when the result recorded its SHA-256) differ from what was measured.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from powertune.apply.errors import ApplyError
from powertune.apply.targets import Target

TAG = "powertune:rollback"
_TAG_RE = re.compile(r"memory=(\d+) applied=(\d+)")
WAIT = {"Delay": 1, "MaxAttempts": 120}


@dataclass(frozen=True)
class LiveStep:
    """What apply does (or would do) to one function."""

    target: Target
    function: str  # the name or ARN called
    current_mb: int | None
    action: str  # "update", "none", "refuse"
    message: str
    revision_id: str | None = None
    arn: str | None = None
    code_sha: str | None = None

    def describe(self) -> str:
        return f"{self.function}: {self.message}"


@dataclass(frozen=True)
class Record:
    function: str
    arn: str
    region: str
    previous_mb: int
    applied_mb: int
    at: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def tag_value(self) -> str:
        # Tag values allow letters, digits, spaces and _.:/=+-@ only.
        return f"memory={self.previous_mb} applied={self.applied_mb} at={self.at}"


def _utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _error(exc: Exception, what: str) -> ApplyError:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return ApplyError(f"{what}: {err.get('Code', 'error')}: {err.get('Message', '')}".strip())
    return ApplyError(f"{what}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")


class LiveApplier:
    """Plan and make live changes with one Lambda client."""

    def __init__(
        self, client: Any, record_dir: Path, *, wait: Mapping[str, float] | None = None
    ) -> None:
        self.client = client
        self.record_dir = record_dir
        self.wait = dict(wait or WAIT)

    # --- apply ---------------------------------------------------------------------------
    def plan(self, target: Target, recorded: Mapping[str, Any] | None = None) -> LiveStep:
        """Check the function against what the result measured (``recorded``: raw JSON extras)."""
        function = target.function_id
        config = self._configuration(function)
        current = int(config.get("MemorySize", 0))
        revision = config.get("RevisionId")
        arn = config.get("FunctionArn")

        def step(action: str, message: str) -> LiveStep:
            sha = config.get("CodeSha256")
            return LiveStep(target, function, current, action, message, revision, arn, sha)

        if not target.applies:
            return step("refuse", f"not applied, the gate would refuse it; {target.label()}")
        if current == target.memory_mb:
            return step("none", f"already {current} MB; {target.label()}")
        if current != target.original_mb:
            return step(
                "refuse",
                f"refused: memory is {current} MB now, but the result measured it at "
                f"{target.original_mb} MB: the function changed since; tune again",
            )
        arch = (config.get("Architectures") or ["x86_64"])[0]
        measured_arch = (recorded or {}).get("architecture")
        if measured_arch and arch != measured_arch:
            return step(
                "refuse", f"refused: architecture is {arch} now, measured on {measured_arch}"
            )
        sha = _recorded_sha(recorded or {})
        if sha and config.get("CodeSha256") and sha != config["CodeSha256"]:
            return step("refuse", "refused: the code changed since the result was measured")
        return step("update", f"{current} -> {target.memory_mb} MB; {target.label()}")

    def apply(self, step: LiveStep) -> Record:
        """Record, tag, update with the checked RevisionId, wait, and verify."""
        assert step.action == "update" and step.current_mb is not None
        target = step.target
        arn = step.arn or step.function
        record = Record(
            function=step.function,
            arn=arn,
            region=target.region,
            previous_mb=step.current_mb,
            applied_mb=target.memory_mb,
            at=_utc(),
        )
        path = self._record_path(arn)
        self._write_record(path, record)
        try:
            self.client.tag_resource(Resource=arn, Tags={TAG: record.tag_value()})
        except (ClientError, BotoCoreError) as exc:
            path.unlink(missing_ok=True)
            raise _error(exc, f"{step.function}: cannot tag the rollback record") from None
        # Read again after tagging: whether or not a tag moves the RevisionId, the update must
        # carry one taken after the last check of memory and code.
        fresh = self._configuration(step.function)
        if int(fresh.get("MemorySize", 0)) != step.current_mb or (
            step.code_sha and fresh.get("CodeSha256") != step.code_sha
        ):
            self._forget(arn, path)
            raise ApplyError(f"{step.function}: changed while applying, nothing changed")
        kwargs: dict[str, Any] = {"FunctionName": step.function, "MemorySize": target.memory_mb}
        if fresh.get("RevisionId"):
            kwargs["RevisionId"] = fresh["RevisionId"]
        try:
            self.client.update_function_configuration(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            self._forget(arn, path)  # nothing changed: the record would mislead a rollback
            raise _error(exc, f"{step.function}: update failed, nothing changed") from None
        self._wait(step.function)
        now = int(self._configuration(step.function).get("MemorySize", 0))
        if now != target.memory_mb:
            raise ApplyError(f"{step.function}: memory is {now} MB after the update, not applied")
        return record

    # --- rollback ------------------------------------------------------------------------
    def plan_rollback(self, target: Target) -> tuple[LiveStep, Record | None]:
        function = target.function_id
        config = self._configuration(function)
        arn = config.get("FunctionArn") or function
        current = int(config.get("MemorySize", 0))
        record = self._find_record(arn, target.region)
        if record is None:
            step = LiveStep(target, function, current, "none", "no rollback record", None, arn)
            return step, None
        if current != record.applied_mb:
            message = (
                f"refused: memory is {current} MB, not the {record.applied_mb} MB apply set: "
                "changed since; remove the record by hand if that is intended"
            )
            return LiveStep(target, function, current, "refuse", message, None, arn), record
        message = f"{current} -> {record.previous_mb} MB (rollback of the change at {record.at})"
        step = LiveStep(target, function, current, "update", message, config.get("RevisionId"), arn)
        return step, record

    def rollback(self, step: LiveStep, record: Record) -> None:
        kwargs: dict[str, Any] = {"FunctionName": step.function, "MemorySize": record.previous_mb}
        if step.revision_id:
            kwargs["RevisionId"] = step.revision_id
        try:
            self.client.update_function_configuration(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise _error(exc, f"{step.function}: rollback failed") from None
        self._wait(step.function)
        now = int(self._configuration(step.function).get("MemorySize", 0))
        if now != record.previous_mb:
            raise ApplyError(f"{step.function}: memory is {now} MB after the rollback")
        self._forget(step.arn or step.function, self._record_path(step.arn or step.function))

    # --- helpers -------------------------------------------------------------------------
    def _configuration(self, function: str) -> dict[str, Any]:
        try:
            self._wait(function)  # an update in progress first ends
            config: dict[str, Any] = self.client.get_function_configuration(FunctionName=function)
        except (ClientError, BotoCoreError, ApplyError) as exc:
            if isinstance(exc, ApplyError):
                raise
            raise _error(exc, f"{function}: cannot read the configuration") from None
        return config

    def _wait(self, function: str) -> None:
        try:
            waiter = self.client.get_waiter("function_updated_v2")
            waiter.wait(FunctionName=function, WaiterConfig=self.wait)
        except WaiterError as exc:
            reason = getattr(exc, "last_response", {}) or {}
            if "Error" in reason:
                code = reason["Error"].get("Code", "")
                message = reason["Error"].get("Message", "")
                raise ApplyError(f"{function}: {code}: {message}") from None
            raise ApplyError(f"{function}: the update did not finish: {exc}") from None
        except (ClientError, BotoCoreError) as exc:
            raise _error(exc, f"{function}: waiting for the update") from None

    def _record_path(self, arn: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", arn)
        return self.record_dir / f"{safe}.json"

    def _write_record(self, path: Path, record: Record) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(record.to_json(), indent=2) + "\n", encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            raise ApplyError(f"cannot write the rollback record {path}: {exc.strerror}") from None

    def _find_record(self, arn: str, region: str) -> Record | None:
        """The tag first (any machine), else the local file."""
        try:
            tags = self.client.list_tags(Resource=arn).get("Tags", {})
        except (ClientError, BotoCoreError):
            tags = {}
        found = _TAG_RE.search(tags.get(TAG, ""))
        if found:
            at = tags[TAG].rsplit("at=", 1)[-1] if "at=" in tags[TAG] else ""
            return Record(arn, arn, region, int(found.group(1)), int(found.group(2)), at)
        path = self._record_path(arn)
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Record(**{k: data[k] for k in Record.__dataclass_fields__})
        except (OSError, ValueError, KeyError, TypeError):
            raise ApplyError(f"rollback record {path} is unreadable") from None

    def _forget(self, arn: str, path: Path) -> None:
        # The tag alone is harmless once the memory is back: a failure to remove it is ignored.
        with contextlib.suppress(ClientError, BotoCoreError):
            self.client.untag_resource(Resource=arn, TagKeys=[TAG])
        path.unlink(missing_ok=True)


def _recorded_sha(recorded: Mapping[str, Any]) -> str | None:
    for key in ("code_sha256", "CodeSha256"):
        if isinstance(recorded.get(key), str):
            return str(recorded[key])
    for key in ("original_config", "original_configuration", "journal"):
        inner = recorded.get(key)
        if isinstance(inner, Mapping):
            found = _recorded_sha(inner)
            if found:
                return found
    return None
