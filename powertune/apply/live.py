"""Set a function's memory through the Lambda API, with a rollback record and ``rollback``.

Every target is checked before anything is written (``plan``): the function exists, it is the
function the result names (account, region and name through ``powertune.identity``: a result for
another account's ARN never changes a local function of the same name), the size is one Lambda
takes, and memory, architecture and code are what was measured.

The change itself (``apply``), under a per-function lock of the record directory:
1. the local record is written as ``pending`` (the revision before, this apply's ``op``);
2. the update carries the checked RevisionId, so a concurrent change or apply fails instead of
   being overwritten (the loser removes only its own pending record, never the winner's tag);
3. the moment Lambda accepts it, the record becomes ``applied`` with the revision and code the
   update left (stop signals are held between 2 and 3, so a SIGTERM cannot split them);
4. once the update finished, the ``powertune:rollback`` tag carries the same record.
A stop before 2 leaves a pending record the next rollback recognises as never applied and
removes; a stop after 3 leaves a record a rollback can prove (the tag may be missing).

``rollback`` acts only on the function and revision a record proves: same account, region and
name, the revision and code the update left, the size it set. A deleted and re-created function
(a new revision) or a tag powertune never wrote is refused, and nothing changes.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import signal
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from powertune import identity
from powertune.apply.errors import ApplyError, NotApplied
from powertune.apply.record import TAG, Record, RecordStore, from_tag
from powertune.apply.targets import MAX_MB, MIN_MB, Target
from powertune.errors import InputError
from powertune.identity import FunctionId

WAIT = {"Delay": 1, "MaxAttempts": 120}
_CONFLICT = {"PreconditionFailedException", "ResourceConflictException"}

__all__ = ["TAG", "LiveApplier", "LiveStep", "Record"]


@dataclass(frozen=True)
class FunctionState:
    """What Lambda says of the function now."""

    id: FunctionId
    arn: str  # unqualified
    memory_mb: int
    revision: str | None
    code_sha: str | None
    architecture: str


@dataclass(frozen=True)
class LiveStep:
    """What apply does (or would do) to one function.

    ``action``: "update", "none", "refuse" (not applied: exit 4) or "error" (the target itself
    is wrong: not found, another account or region, a size Lambda refuses; nothing is changed
    anywhere, exit 3)."""

    target: Target
    function: str  # the name or ARN called
    current_mb: int | None
    action: str
    message: str
    state: FunctionState | None = None

    @property
    def arn(self) -> str | None:
        return self.state.arn if self.state else None

    @property
    def revision_id(self) -> str | None:
        return self.state.revision if self.state else None

    @property
    def code_sha(self) -> str | None:
        return self.state.code_sha if self.state else None

    def describe(self) -> str:
        return f"{self.function}: {self.message}"


def _utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _code(exc: Exception) -> str:
    return (
        str(exc.response.get("Error", {}).get("Code", "")) if isinstance(exc, ClientError) else ""
    )


def _error(exc: Exception, what: str) -> ApplyError:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return ApplyError(f"{what}: {err.get('Code', 'error')}: {err.get('Message', '')}".strip())
    return ApplyError(f"{what}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Stop signals wait until the block is done, then reach the handler that was in place
    (Python runs handlers in the main thread; elsewhere they are not ours to hold)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    seen: list[int] = []
    previous: dict[int, Any] = {}
    try:
        for held in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            previous[held] = signal.signal(held, lambda number, _frame: seen.append(number))
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if seen:
            signal.raise_signal(seen[0])


class LiveApplier:
    """Plan and make live changes with one Lambda client."""

    def __init__(
        self, client: Any, record_dir: Path, *, wait: Mapping[str, float] | None = None
    ) -> None:
        self.client = client
        self.store = RecordStore(record_dir)
        self.wait = dict(wait or WAIT)
        self.notes: list[str] = []  # what the caller should say (a tag that could not be set)

    # --- checks --------------------------------------------------------------------------
    def state(self, target: Target) -> FunctionState:
        """The function the target names, proven the same account, region and name."""
        config = self._configuration(target.function_id)
        arn = str(config.get("FunctionArn") or "")
        try:
            found = identity.from_arn(arn)
        except InputError:
            raise ApplyError(
                f"{target.function_id}: Lambda gave no function ARN ({arn!r})"
            ) from None
        wanted = target.function_identity
        if not wanted.same(found):
            raise ApplyError(
                f"{target.function_id}: the result is for {wanted.describe()}, but this account "
                f"and region hold {found.describe()}: nothing changed (use the --profile and "
                "--region of the result's account)"
            )
        return FunctionState(
            id=found,
            arn=found.arn or arn,
            memory_mb=int(config.get("MemorySize", 0)),
            revision=config.get("RevisionId"),
            code_sha=config.get("CodeSha256"),
            architecture=(config.get("Architectures") or ["x86_64"])[0],
        )

    def plan(self, target: Target, recorded: Mapping[str, Any] | None = None) -> LiveStep:
        """Check the function against what the result measured (``recorded``: raw JSON extras)."""
        function = target.function_id
        if not MIN_MB <= target.memory_mb <= MAX_MB:
            message = f"recommended {target.memory_mb} MB is outside Lambda's {MIN_MB}..{MAX_MB} MB"
            return LiveStep(target, function, None, "error", message)
        try:
            state = self.state(target)
        except ApplyError as exc:
            return LiveStep(target, function, None, "error", _own(str(exc), function))
        current = state.memory_mb

        def step(action: str, message: str) -> LiveStep:
            return LiveStep(target, function, current, action, message, state)

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
        measured_arch = (recorded or {}).get("architecture")
        if measured_arch and state.architecture != measured_arch:
            return step(
                "refuse",
                f"refused: architecture is {state.architecture} now, measured on {measured_arch}",
            )
        sha = _recorded_sha(recorded or {})
        if sha and state.code_sha and sha != state.code_sha:
            return step("refuse", "refused: the code changed since the result was measured")
        return step("update", f"{current} -> {target.memory_mb} MB; {target.label()}")

    # --- apply ---------------------------------------------------------------------------
    def apply(self, step: LiveStep) -> Record:
        """Record, update with the checked RevisionId, wait, verify, tag (see the module)."""
        assert step.action == "update" and step.state is not None
        target, checked = step.target, step.state
        with self.store.lock(checked.arn):
            now = self.state(target)
            if (now.memory_mb, now.revision, now.code_sha) != (
                checked.memory_mb,
                checked.revision,
                checked.code_sha,
            ):
                raise NotApplied(
                    f"{step.function}: changed since it was checked (another apply?): "
                    "refused, nothing changed"
                )
            record = Record(
                function=now.id.name,
                arn=now.arn,
                account=now.id.account or "",
                region=now.id.region or "",
                previous_mb=now.memory_mb,
                applied_mb=target.memory_mb,
                revision_before=now.revision,
                revision_after=None,
                code_sha256=None,
                at=_utc(),
                op=Record.new_op(),
            )
            self.store.write(record)
            record = self._update(step, record, now)
            self._wait(now.arn)
            after = self.state(target)
            if after.memory_mb != target.memory_mb:
                raise ApplyError(
                    f"{step.function}: memory is {after.memory_mb} MB after the update, not "
                    f"applied (rollback record {self.store.path(now.arn)})"
                )
            if (after.revision, after.code_sha) != (record.revision_after, record.code_sha256):
                record = record.applied(after.revision, after.code_sha)  # as the update finished
                self.store.write(record)
            try:
                self.client.tag_resource(Resource=record.arn, Tags={TAG: record.tag_value()})
            except (ClientError, BotoCoreError) as exc:
                self.notes.append(
                    f"{step.function}: the {TAG} tag could not be set ({_error(exc, 'tag')}); "
                    f"the rollback record is {self.store.path(record.arn)} on this machine only"
                )
        return record

    def _update(self, step: LiveStep, record: Record, now: FunctionState) -> Record:
        kwargs: dict[str, Any] = {"FunctionName": now.arn, "MemorySize": record.applied_mb}
        if now.revision:
            kwargs["RevisionId"] = now.revision
        with _signals_held():
            try:
                answer = self.client.update_function_configuration(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                self.store.remove(record)  # ours, pending: the update never happened
                if _code(exc) in _CONFLICT:
                    raise NotApplied(
                        f"{step.function}: changed by someone else at the same moment (another "
                        f"apply?): {_code(exc)}: refused, nothing changed"
                    ) from None
                raise _error(exc, f"{step.function}: update failed, nothing changed") from None
            record = record.applied(answer.get("RevisionId"), answer.get("CodeSha256"))
            self.store.write(record)
        return record

    # --- rollback ------------------------------------------------------------------------
    def plan_rollback(
        self, target: Target, *, clean: bool = False
    ) -> tuple[LiveStep, Record | None]:
        """What a rollback would do; ``clean`` (with --write) removes a record of an apply that
        was stopped before its update (it changed nothing)."""
        function = target.function_id
        try:
            state = self.state(target)
        except ApplyError as exc:
            return LiveStep(target, function, None, "error", _own(str(exc), function)), None
        current = state.memory_mb

        def step(action: str, message: str) -> LiveStep:
            return LiveStep(target, function, current, action, message, state)

        tag_value = self._tag(state.arn)
        try:
            local = self.store.read(state.arn)
        except NotApplied as exc:
            return step("refuse", str(exc)), None
        if local is not None and local.state == "pending":
            if (current, state.revision) == (local.previous_mb, local.revision_before):
                if clean:  # stopped before its update: it never changed anything
                    self.store.remove(local)
                verb = "removed" if clean else "would remove"
                self.notes.append(f"{function}: {verb} a record of an apply that never happened")
                local = None
            else:
                return step(
                    "refuse",
                    f"refused: an apply at {local.at} was stopped during its update and cannot "
                    f"be proven to have made this change; check the function and remove "
                    f"{self.store.path(state.arn)}",
                ), None
        tagged = from_tag(tag_value, state.id.name, state.arn) if tag_value is not None else None
        if tag_value is not None and tagged is None and local is None:
            return step(
                "refuse",
                f"refused: the {TAG} tag ({tag_value!r}) was not written by this powertune's "
                "apply (no revision, account and region recorded): nothing changed",
            ), None
        candidates = [r for r in (local, tagged) if r is not None]
        if not candidates:
            return step("none", "no rollback record"), None
        problems = [_disproves(r, state) for r in candidates]
        for record, problem in zip(candidates, problems, strict=True):
            if problem is None:
                message = f"{current} -> {record.previous_mb} MB (rollback of {record.describe()})"
                return step("update", message), record
        return step("refuse", f"refused: {problems[0]}: nothing changed"), candidates[0]

    def rollback(self, step: LiveStep, record: Record) -> None:
        assert step.state is not None
        with self.store.lock(step.state.arn):
            now = self.state(step.target)
            problem = _disproves(record, now)
            if problem is not None:
                raise NotApplied(f"{step.function}: refused: {problem}: nothing changed")
            kwargs: dict[str, Any] = {"FunctionName": now.arn, "MemorySize": record.previous_mb}
            if now.revision:
                kwargs["RevisionId"] = now.revision
            try:
                self.client.update_function_configuration(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                if _code(exc) in _CONFLICT:
                    raise NotApplied(
                        f"{step.function}: changed by someone else at the same moment: "
                        "rollback refused, nothing changed"
                    ) from None
                raise _error(exc, f"{step.function}: rollback failed") from None
            self._wait(now.arn)
            after = self.state(step.target)
            if after.memory_mb != record.previous_mb:
                raise ApplyError(
                    f"{step.function}: memory is {after.memory_mb} MB after the rollback"
                )
            self._forget(record)

    # --- helpers -------------------------------------------------------------------------
    def _configuration(self, function: str) -> dict[str, Any]:
        self._wait(function)  # an update in progress first ends
        try:
            config: dict[str, Any] = self.client.get_function_configuration(FunctionName=function)
        except (ClientError, BotoCoreError) as exc:
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

    def _tag(self, arn: str) -> str | None:
        try:
            tags = self.client.list_tags(Resource=arn).get("Tags", {})
        except (ClientError, BotoCoreError) as exc:
            raise _error(exc, f"{arn}: cannot read the tags") from None
        value = tags.get(TAG)
        return value if isinstance(value, str) else None

    def _forget(self, record: Record) -> None:
        """Remove the tag and the local record, each only while it is still this record's (the
        tag of a later apply, or of another machine's, stays)."""
        with contextlib.suppress(ApplyError):
            value = self._tag(record.arn)
            tagged = from_tag(value, record.function, record.arn) if value else None
            if tagged is not None and tagged.op == record.op:
                with contextlib.suppress(ClientError, BotoCoreError):
                    self.client.untag_resource(Resource=record.arn, TagKeys=[TAG])
        self.store.remove(record)


def _own(message: str, function: str) -> str:
    """The message without its leading function name (a step names it)."""
    return message.removeprefix(f"{function}: ")


def _disproves(record: Record, state: FunctionState) -> str | None:
    """Why ``record`` is not proof that its apply made the function what it is now (None: it
    is)."""
    ident = state.id
    if (record.account, record.region, record.function) != (
        ident.account,
        ident.region,
        ident.name,
    ):
        return (
            f"the record is for {record.function} in {record.account}/{record.region}, "
            f"not {ident.describe()}"
        )
    if record.revision_after and state.revision and record.revision_after != state.revision:
        return (
            f"the function's revision is {state.revision}, not the {record.revision_after} the "
            f"apply at {record.at} left: it was updated, or deleted and re-created, since; "
            "remove the record if the rollback is no longer wanted"
        )
    if record.code_sha256 and state.code_sha and record.code_sha256 != state.code_sha:
        return f"the code changed since the apply at {record.at}"
    if state.memory_mb != record.applied_mb:
        return (
            f"memory is {state.memory_mb} MB, not the {record.applied_mb} MB the apply at "
            f"{record.at} set: changed since"
        )
    return None


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
