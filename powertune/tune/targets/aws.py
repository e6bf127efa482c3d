"""The AWS Lambda target: tune a deployed function through published versions and aliases.

For each memory size the unpublished configuration ($LATEST) is updated and waited for, a version
is published and an alias ``powertune-<memory>`` points at it; invocations go through that alias.
The function's own aliases and traffic are never touched. ``restore`` puts the configuration back
and deletes every alias and version the run created — found by listing, not only by memory, so a
version published just before an interrupt is not left behind.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoRegionError, WaiterError

from powertune import awsenv, validate
from powertune.collectors.cloudwatch import find_report
from powertune.errors import InputError
from powertune.files import WriteFailed
from powertune.logs.parse import try_parse_record
from powertune.logs.records import Report, Start
from powertune.logs.sources import log_result_lines
from powertune.tune.plan import DEFAULT_ALIAS_PREFIX, parse_function
from powertune.tune.targets.faults import checkpoint
from powertune.tune.targets.interface import SizeRejected, Target, TargetError, Throttled
from powertune.tune.targets.journal import (
    TAG_KEY,
    Journal,
    new_journal,
    read_local,
    remove_local,
    unqualified_arn,
    write_local,
)
from powertune.tune.targets.twins import cleanup_twins
from powertune.types import FunctionInfo, Sample

DESCRIPTION_MARK = "powertune run="
COLD_START_VARIABLE = "POWERTUNE_COLD_START"
THROTTLE_CODES = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded"}
)
_ORIGINAL_MEMORY = re.compile(r"original-memory=(\d+)")
_NO_TAG_ACCESS = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})


@dataclass
class Leftovers:
    """What tuning runs left on a function: aliases, versions, and a changed $LATEST."""

    aliases: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    memory_mb: int | None = None  # $LATEST's memory now
    original_memory_mb: int | None = None  # what the run found, from its version descriptions
    cold_start_variable: bool = False
    journal_run: str | None = None  # the run whose journal was found (and removed)
    twins: list[str] = field(default_factory=list)  # variant twins deleted (twins.py)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return (
            not self.aliases
            and not self.versions
            and not self.cold_start_variable
            and self.journal_run is None
            and not self.twins
            and (self.original_memory_mb is None or self.original_memory_mb == self.memory_mb)
        )


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


class AwsLambdaTarget(Target):
    """A deployed function reached through boto3 (AWS, the local runtime, or moto)."""

    def __init__(
        self,
        function: str,
        *,
        alias_prefix: str = DEFAULT_ALIAS_PREFIX,
        boto3_session: boto3.Session | None = None,
        boto3_client: Any = None,
        logs_client: Any = None,
        boto_config: Config | None = None,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        logs_endpoint_url: str | None = None,
        max_connections: int = 64,
        log_wait_s: float = 30.0,
        run_id: str | None = None,
    ) -> None:
        super().__init__()
        ref = parse_function(function)
        endpoint_url = validate.endpoint_url(endpoint_url)
        region = validate.region(region)
        validate.alias_prefix(alias_prefix)
        self.name = ref.name
        self.alias_prefix = alias_prefix
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.log_wait_s = log_wait_s
        try:
            # the CLI's order: --region, the ARN's region, AWS_REGION, AWS_DEFAULT_REGION, profile
            session = boto3_session or awsenv.session(profile, region or ref.region)
            base = Config(
                retries={"mode": "standard", "max_attempts": 6},
                max_pool_connections=max_connections,
                connect_timeout=10,
                read_timeout=60,
            )
            config = base.merge(boto_config) if boto_config else base
            kwargs: dict[str, Any] = {"endpoint_url": endpoint_url}
            client_region = boto3_client.meta.region_name if boto3_client is not None else None
            chosen = region or ref.region or client_region or awsenv.env_region()
            if chosen:
                kwargs["region_name"] = chosen
            self.client = boto3_client or session.client("lambda", config=config, **kwargs)
            # Invocations retry throttles themselves (and count them): one attempt per call, and a
            # read timeout above Lambda's 900 s maximum.
            invoke_config = config.merge(
                Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=910)
            )
            self.invoke_client = (
                boto3_client
                if boto3_client is not None
                else session.client("lambda", config=invoke_config, **kwargs)
            )
            # CloudWatch Logs has its own endpoint (--monitoring-endpoint-url): a Lambda-only
            # endpoint (moto's Lambda, a bare runtime) cannot answer it
            logs_kwargs = {**kwargs, "endpoint_url": logs_endpoint_url}
            self.logs = logs_client or session.client("logs", config=config, **logs_kwargs)
        except NoRegionError:
            raise InputError(
                "no AWS region: pass --region (or a function ARN), or set AWS_REGION or a "
                "profile's region"
            ) from None
        except BotoCoreError as exc:
            raise TargetError(f"cannot create AWS clients: {exc}") from None
        except ValueError as exc:  # botocore's own endpoint checks
            raise InputError(f"--endpoint-url: {exc}") from None
        self.provenance = {"target": "aws", "endpoint_url": endpoint_url}
        self._lock = threading.Lock()
        self._info: FunctionInfo | None = None
        self._original: dict[str, Any] = {}
        self._aliases: dict[int, str] = {}
        self._versions: list[str] = []
        self._dirty = False
        self._cold_counter = 0
        self._restored = False
        self._config: dict[str, Any] = {}
        self._arn = ""
        self._journal: Journal | None = None
        self.notes: list[str] = []  # warnings for the run's output (the tuner prints them)

    # -- describe -------------------------------------------------------------------------------

    def describe(self) -> FunctionInfo:
        if self._info is not None:
            return self._info
        config = self._call("GetFunctionConfiguration", self.client.get_function_configuration)
        if config.get("LastUpdateStatus") == "InProgress" or config.get("State") == "Pending":
            config = self._wait_updated()
        env = (config.get("Environment") or {}).get("Variables") or {}
        self._config = config
        self._original = {
            "MemorySize": config["MemorySize"],
            "Variables": dict(env),
        }
        self._arn = unqualified_arn(str(config.get("FunctionArn") or self.name))
        self._refuse_if_journaled()
        logging_config = config.get("LoggingConfig") or {}
        self.log_group = logging_config.get("LogGroup") or f"/aws/lambda/{self.name}"
        arn = config.get("FunctionArn")
        region = arn.split(":")[3] if arn and arn.count(":") >= 6 else self.client.meta.region_name
        self._info = FunctionInfo(
            name=self.name,
            arn=arn,
            region=region,
            architecture=(config.get("Architectures") or ["x86_64"])[0],
            memory_mb=int(config["MemorySize"]),
            timeout_s=config.get("Timeout"),
            runtime=config.get("Runtime"),
            package_type=config.get("PackageType", "Zip"),
            log_format=logging_config.get("LogFormat", "Text"),
            ephemeral_mb=int((config.get("EphemeralStorage") or {}).get("Size", 512)),
        )
        return self._info

    # -- configuration steps (called one at a time) --------------------------------------------

    def prepare(self, memory_mb: int) -> None:
        self.describe()
        self._configure(memory_mb, self._original["Variables"])

    def force_cold(self, memory_mb: int) -> None:
        """A fresh version (a changed environment variable) so the next invocation starts cold."""
        self.describe()  # the original environment is read first
        self._cold_counter += 1
        variables = {**self._original["Variables"], COLD_START_VARIABLE: str(self._cold_counter)}
        self._configure(memory_mb, variables)

    def _configure(self, memory_mb: int, variables: dict[str, str]) -> None:
        self._update(memory_mb, variables)
        version = self._publish(memory_mb)
        self._point_alias(memory_mb, version)

    def _refuse_if_journaled(self) -> None:
        """A journal left by an unfinished run means the configuration found now may not be the
        original one: tuning from it would make the wrong one permanent."""
        found, readable = _tag_journal(self.client, self._arn)
        if not readable:
            self.notes.append(
                f"cannot read the tags of {self.name} (lambda:ListTags): an unfinished earlier "
                "run would go unnoticed"
            )
        if found is not None and found.run_id != self.run_id:
            raise TargetError(
                f"{self.name} carries the journal of an unfinished run ({found.run_id}, original "
                f"memory {found.memory_mb} MB): run `powertune cleanup {self.name}` first"
            )

    def _write_journal(self) -> None:
        """Record the original configuration before anything is changed: on the function as a
        tag (found by `cleanup` from any machine) and in this machine's state directory."""
        journal = new_journal(self.run_id, self._arn, self._config, COLD_START_VARIABLE)
        try:
            self.client.tag_resource(Resource=self._arn, Tags={TAG_KEY: journal.tag_value()})
        except ClientError as exc:
            if _error_code(exc) not in _NO_TAG_ACCESS:
                raise TargetError(
                    f"TagResource on {self.name} (the run journal) failed: {_describe_error(exc)}"
                ) from None
            journal = dataclasses.replace(journal, tagged=False)
        except BotoCoreError as exc:
            raise TargetError(
                f"TagResource on {self.name} (the run journal) failed: {exc}"
            ) from None
        try:
            write_local(journal)
        except (WriteFailed, OSError) as exc:
            if not journal.tagged:
                raise TargetError(
                    f"cannot record {self.name}'s configuration before changing it: no "
                    f"permission to tag it (lambda:TagResource) and {exc}"
                ) from None
            self.notes.append(f"the local copy of the run journal was not written: {exc}")
        else:
            if not journal.tagged:
                self.notes.append(
                    f"no permission to tag {self.name} (lambda:TagResource): the original "
                    "configuration is journaled on this machine only"
                )
        self._journal = journal

    def _drop_journal(self) -> list[str]:
        journal, self._journal = self._journal, None
        if journal is None:
            return []
        problems = []
        if journal.tagged:
            try:
                self.client.untag_resource(Resource=self._arn, TagKeys=[TAG_KEY])
            except (ClientError, BotoCoreError) as exc:
                self._journal = journal
                problems.append(f"journal tag not removed: {_describe_error(exc)}")
                return problems
        remove_local(journal)
        return problems

    def _update(self, memory_mb: int, variables: dict[str, str]) -> None:
        if self._journal is None and not self._dirty:
            self._write_journal()
        kwargs: dict[str, Any] = {"FunctionName": self.name, "MemorySize": memory_mb}
        if variables != self._current_variables():
            kwargs["Environment"] = {"Variables": variables}
        self._dirty = True  # before the call: an interrupt mid-call must still restore
        self._retry_conflict(
            "UpdateFunctionConfiguration", self.client.update_function_configuration, **kwargs
        )
        self._variables = variables
        checkpoint("configure")
        self._wait_updated()

    def _current_variables(self) -> dict[str, str]:
        return getattr(self, "_variables", self._original.get("Variables", {}))

    def _wait_updated(self) -> dict[str, Any]:
        # A few quick polls first (the local runtime finishes in milliseconds), then boto3's waiter.
        for delay in (0.02, 0.05, 0.1, 0.2, 0.4):
            config = self._call("GetFunctionConfiguration", self.client.get_function_configuration)
            status = config.get("LastUpdateStatus")
            if status == "Failed":
                reason = config.get("LastUpdateStatusReason", "no reason given")
                raise TargetError(f"configuration update of {self.name} failed: {reason}")
            if status in (None, "Successful") and config.get("State") != "Pending":
                return config
            time.sleep(delay)
        try:
            waiter = self.client.get_waiter("function_updated_v2")
        except ValueError:
            waiter = self.client.get_waiter("function_updated")
        try:
            waiter.wait(FunctionName=self.name, WaiterConfig={"Delay": 1, "MaxAttempts": 300})
        except WaiterError as exc:
            raise TargetError(f"{self.name} did not finish updating: {exc}") from None
        return self._call("GetFunctionConfiguration", self.client.get_function_configuration)

    def _description(self, memory_mb: int) -> str:
        return (
            f"{DESCRIPTION_MARK}{self.run_id} memory={memory_mb} "
            f"original-memory={self._original['MemorySize']}"
        )

    def _publish(self, memory_mb: int) -> str:
        description = self._description(memory_mb)
        response = self._retry_conflict(
            "PublishVersion",
            self.client.publish_version,
            FunctionName=self.name,
            Description=description,
        )
        version = str(response["Version"])
        if response.get("Description") == description:
            self._versions.append(version)  # ours; an unchanged config returns an older version
        checkpoint("publish")
        if response.get("State") == "Pending":
            try:
                self.client.get_waiter("published_version_active").wait(
                    FunctionName=self.name,
                    Qualifier=version,
                    WaiterConfig={"Delay": 1, "MaxAttempts": 300},
                )
            except WaiterError as exc:
                raise TargetError(f"version {version} did not become active: {exc}") from None
        return version

    def _point_alias(self, memory_mb: int, version: str) -> None:
        alias = f"{self.alias_prefix}{memory_mb}"
        kwargs = {
            "FunctionName": self.name,
            "Name": alias,
            "FunctionVersion": version,
            "Description": self._description(memory_mb),
        }
        if memory_mb in self._aliases:
            self._call("UpdateAlias", self.client.update_alias, **kwargs)
            return
        try:
            self.client.create_alias(**kwargs)
        except ClientError as exc:
            # An alias left by an interrupted run (AWS: ResourceConflictException; moto differs).
            if _error_code(exc) not in ("ResourceConflictException", "ConflictException"):
                message = f"CreateAlias on {self.name} failed: {_describe_error(exc)}"
                raise TargetError(message) from None
            self._call("UpdateAlias", self.client.update_alias, **kwargs)
        except BotoCoreError as exc:
            raise TargetError(f"CreateAlias on {self.name} failed: {exc}") from None
        self._aliases[memory_mb] = alias

    # -- invocations (many threads) ------------------------------------------------------------

    def invoke(self, memory_mb: int, payload: bytes, payload_index: int = 0) -> Sample:
        info = self.describe()
        alias = self._aliases.get(memory_mb)
        if alias is None:
            raise TargetError(f"{memory_mb} MB was not prepared")
        checkpoint("invoke")
        started_ms = int(time.time() * 1000) - 60_000
        try:
            response = self.invoke_client.invoke(
                FunctionName=self.name,
                Qualifier=alias,
                InvocationType="RequestResponse",
                LogType="Tail",
                Payload=payload,
            )
            body = response["Payload"].read()
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if _error_code(exc) in THROTTLE_CODES or status == 429:
                raise Throttled(f"throttled at {memory_mb} MB") from None
            raise TargetError(
                f"Invoke {self.name}:{alias} failed: {_describe_error(exc)}"
            ) from None
        except BotoCoreError as exc:
            raise TargetError(f"Invoke {self.name}:{alias} failed: {exc}") from None
        request_id = response.get("ResponseMetadata", {}).get("RequestId")
        lines = log_result_lines(response.get("LogResult"))
        report = _report_in(lines, request_id)
        if report is None and request_id:
            try:
                report = find_report(
                    self.logs,
                    self.log_group,
                    request_id,
                    log_format=info.log_format,
                    start_time_ms=started_ms,
                    wait_s=self.log_wait_s,
                )
            except (ClientError, BotoCoreError) as exc:
                raise TargetError(
                    f"reading the REPORT of {request_id} from CloudWatch Logs failed: "
                    f"{_describe_error(exc)}"
                ) from None
        if report is None:
            raise TargetError(
                f"no REPORT record for request {request_id} in the Invoke log tail or in "
                f"CloudWatch Logs ({self.log_group})"
            )
        return sample_from_report(
            report,
            memory_mb,
            function_error=response.get("FunctionError"),
            body=body,
            request_id=request_id,
            payload_index=payload_index,
            log_bytes=_log_bytes(lines, report.request_id or request_id),
        )

    # -- restore --------------------------------------------------------------------------------

    def restore(self) -> None:
        """Put $LATEST back and delete this run's aliases and versions. Raises TargetError listing
        what could not be undone (after trying everything)."""
        with self._lock:
            if self._info is None:
                return  # nothing was read, so nothing was changed
            problems: list[str] = []
            if self._dirty:
                try:
                    self._update(self._original["MemorySize"], self._original["Variables"])
                    self._dirty = False
                except (TargetError, ClientError, BotoCoreError) as exc:
                    problems.append(f"memory not restored: {exc}")
            checkpoint("restore")
            try:
                found = find_leftovers(
                    self.client, self.name, alias_prefix=self.alias_prefix, run_id=self.run_id
                )
                problems += remove_leftovers(self.client, self.name, found)
            except (ClientError, BotoCoreError) as exc:
                problems.append(f"listing aliases/versions failed: {_describe_error(exc)}")
            if not problems:
                problems += self._drop_journal()  # only once everything else is undone
            if problems:
                raise TargetError(
                    f"could not fully restore {self.name}: {'; '.join(problems)}. "
                    f"Run `powertune cleanup {self.name}` to finish."
                )
            self._restored = True

    # -- helpers --------------------------------------------------------------------------------

    def _call(self, what: str, method: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("FunctionName", self.name)
        try:
            return method(**kwargs)
        except ClientError as exc:
            raise TargetError(f"{what} on {self.name} failed: {_describe_error(exc)}") from None
        except BotoCoreError as exc:
            raise TargetError(f"{what} on {self.name} failed: {exc}") from None

    def _retry_conflict(self, what: str, method: Any, **kwargs: Any) -> Any:
        """Retry while another update is in progress (ResourceConflictException)."""
        delay = 0.2
        for _attempt in range(12):
            try:
                return method(**kwargs)
            except ClientError as exc:
                code = _error_code(exc)
                if code == "InvalidParameterValueException" and "memorysize" in str(exc).lower():
                    size = kwargs.get("MemorySize")
                    raise SizeRejected(f"{size} MB rejected: {_describe_error(exc)}") from None
                if code != "ResourceConflictException":
                    raise TargetError(
                        f"{what} on {self.name} failed: {_describe_error(exc)}"
                    ) from None
                time.sleep(delay + random.uniform(0, delay))
                delay = min(delay * 2, 5.0)
            except BotoCoreError as exc:
                raise TargetError(f"{what} on {self.name} failed: {exc}") from None
        raise TargetError(f"{what} on {self.name}: an update stayed in progress for too long")


def sample_from_report(
    report: Report,
    memory_mb: int,
    *,
    function_error: str | None = None,
    body: bytes = b"",
    request_id: str | None = None,
    payload_index: int = 0,
    log_bytes: int | None = None,
) -> Sample:
    """An invocation's Sample from its REPORT, read by ``powertune.logs.parse`` (the same reader
    as ``logs parse``: INIT and SnapStart restore fields included) and Invoke's FunctionError."""
    status = report.status or ("error" if function_error else "success")
    if status == "failure":
        status = "error"
    error_type = report.error_type
    if function_error and error_type is None:
        error_type = _error_type(body) or function_error
    if function_error and status == "success":
        status = "error"
    return Sample(
        memory_mb=memory_mb,
        duration_ms=float(report.duration_ms or 0.0),
        billed_ms=report.billed_ms,
        init_ms=report.init_ms,
        max_memory_mb=report.max_memory_mb,
        status=status,
        error_type=error_type,
        request_id=report.request_id or request_id,
        payload_index=payload_index,
        log_bytes=log_bytes,
        restore_ms=report.restore_ms,
        billed_restore_ms=report.billed_restore_ms,
    )


def _report_in(lines: list[str], request_id: str | None) -> Report | None:
    """The invocation's REPORT in its Invoke log tail: the one with its request id, else the last
    one (the tail holds only this invocation's log; some endpoints answer with another id)."""
    reports = [r for line in lines if isinstance(r := try_parse_record(line), Report)]
    for report in reversed(reports):
        if report.request_id == request_id:
            return report
    return reports[-1] if reports else None


def _log_bytes(lines: list[str], request_id: str | None) -> int | None:
    """Bytes the invocation logged, START to REPORT, when the 4 KB tail still holds its START."""
    for index, line in enumerate(lines):
        record = try_parse_record(line)
        if isinstance(record, Start) and record.request_id == request_id:
            return sum(len(text.encode()) + 1 for text in lines[index:])
    return None


def _error_type(body: bytes) -> str | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if isinstance(payload, dict) and isinstance(payload.get("errorType"), str):
        return payload["errorType"]
    return None


def find_leftovers(
    client: Any, name: str, *, alias_prefix: str = DEFAULT_ALIAS_PREFIX, run_id: str | None = None
) -> Leftovers:
    """Aliases (by prefix) and versions (by description) that tuning runs created; with
    ``run_id``, only that run's."""
    mark = f"{DESCRIPTION_MARK}{run_id} " if run_id else DESCRIPTION_MARK
    found = Leftovers()
    for page in client.get_paginator("list_aliases").paginate(FunctionName=name):
        for alias in page.get("Aliases", []):
            ours = alias["Name"].startswith(alias_prefix) and (
                (alias.get("Description") or "").startswith(mark)
            )
            if ours:
                found.aliases.append(alias["Name"])
    for page in client.get_paginator("list_versions_by_function").paginate(FunctionName=name):
        for version in page.get("Versions", []):
            description = version.get("Description") or ""
            if version["Version"] == "$LATEST":
                found.memory_mb = version.get("MemorySize")
                env = (version.get("Environment") or {}).get("Variables") or {}
                found.cold_start_variable = COLD_START_VARIABLE in env
            elif description.startswith(mark):
                found.versions.append(version["Version"])
                match = _ORIGINAL_MEMORY.search(description)
                if match and found.original_memory_mb is None:
                    found.original_memory_mb = int(match.group(1))
    return found


def remove_leftovers(client: Any, name: str, found: Leftovers) -> list[str]:
    """Delete the aliases, then the versions (an alias pins its version). Returns what failed;
    something already gone is not a failure."""
    steps = [(f"alias {a}", client.delete_alias, {"Name": a}) for a in found.aliases]
    steps += [(f"version {v}", client.delete_function, {"Qualifier": v}) for v in found.versions]
    problems: list[str] = []
    for what, call, kwargs in steps:
        try:
            call(FunctionName=name, **kwargs)
        except ClientError as exc:
            if _error_code(exc) != "ResourceNotFoundException":
                problems.append(f"{what}: {_describe_error(exc)}")
        except BotoCoreError as exc:
            problems.append(f"{what}: {exc}")
    return problems


def _tag_journal(client: Any, arn: str) -> tuple[Journal | None, bool]:
    """The journal tag on a function, and whether its tags could be read at all."""
    try:
        tags = client.list_tags(Resource=arn).get("Tags") or {}
    except ClientError as exc:
        if _error_code(exc) in _NO_TAG_ACCESS:
            return None, False
        raise
    value = tags.get(TAG_KEY)
    return (Journal.from_tag(value, arn) if isinstance(value, str) else None), True


def _find_journal(client: Any, arn: str, found: Leftovers) -> tuple[Journal | None, list[Journal]]:
    """The journal to restore from (the tag, completed by this machine's copy of the same run;
    else a copy whose tag could not be written), and every local copy for the function."""
    tagged, readable = _tag_journal(client, arn)
    if not readable:
        found.notes.append("cannot read the function's tags (lambda:ListTags)")
    local = read_local(arn)
    if tagged is not None:
        same = next((j for j in local if j.run_id == tagged.run_id), None)
        if same is not None:
            tagged = dataclasses.replace(tagged, cold_variable_value=same.cold_variable_value)
        return tagged, local
    # Untagged copies are the only record of their run; tagged ones whose tag is gone are stale
    # (restored from elsewhere), unless the tags cannot be read.
    usable = [j for j in local if not j.tagged or not readable]
    return (usable[0] if usable else None), local


def cleanup(client: Any, name: str, *, alias_prefix: str = DEFAULT_ALIAS_PREFIX) -> Leftovers:
    """Undo what interrupted runs left: $LATEST's memory and environment (from the run journal,
    else from the run's version descriptions), aliases, versions, variant twins (``twins.py``),
    and the journal itself."""
    found = find_leftovers(client, name, alias_prefix=alias_prefix)
    config = client.get_function_configuration(FunctionName=name)
    arn = unqualified_arn(str(config.get("FunctionArn") or name))
    journal, local = _find_journal(client, arn, found)
    env = dict((config.get("Environment") or {}).get("Variables") or {})
    if journal is not None:
        found.journal_run = journal.run_id
        found.original_memory_mb = journal.memory_mb
        current = env.get(COLD_START_VARIABLE)
        if journal.cold_variable_absent:
            found.cold_start_variable = current is not None
        else:  # it was there before the run: put its value back when this machine knows it
            wanted = journal.cold_variable_value
            found.cold_start_variable = wanted is not None and current != wanted
    problems: list[str] = []
    restore_memory = (
        found.original_memory_mb is not None and found.original_memory_mb != found.memory_mb
    )
    if restore_memory or found.cold_start_variable:
        kwargs: dict[str, Any] = {"FunctionName": name}
        if restore_memory:
            kwargs["MemorySize"] = found.original_memory_mb
        if found.cold_start_variable:
            if journal is not None and not journal.cold_variable_absent:
                env[COLD_START_VARIABLE] = str(journal.cold_variable_value)
            else:
                env.pop(COLD_START_VARIABLE, None)
            kwargs["Environment"] = {"Variables": env}
        try:
            _wait_quiet(client, name)
            client.update_function_configuration(**kwargs)
            _wait_quiet(client, name)
        except (ClientError, BotoCoreError, WaiterError) as exc:
            problems.append(f"$LATEST not restored: {_describe_error(exc)}")
    problems += remove_leftovers(client, name, found)
    problems += _remove_twins(client, arn, found)
    if problems:
        raise TargetError(f"cleanup of {name} incomplete: {'; '.join(problems)}")
    if journal is not None and journal.tagged:
        try:
            client.untag_resource(Resource=arn, TagKeys=[TAG_KEY])
        except (ClientError, BotoCoreError) as exc:
            raise TargetError(
                f"cleanup of {name}: restored, but the journal tag was not removed: "
                f"{_describe_error(exc)}"
            ) from None
    for copy in local:
        remove_local(copy)
    return found


def _remove_twins(client: Any, arn: str, found: Leftovers) -> list[str]:
    """Delete the variant twins runs left (found by their Description through ListFunctions)."""
    try:
        found.twins, problems = cleanup_twins(client, arn)
    except ClientError as exc:
        if _error_code(exc) not in _NO_TAG_ACCESS:
            return [f"listing functions for variant twins failed: {_describe_error(exc)}"]
        found.notes.append("cannot list functions (lambda:ListFunctions): variant twins unchecked")
        return []
    except BotoCoreError as exc:
        return [f"listing functions for variant twins failed: {exc}"]
    return problems


def _wait_quiet(client: Any, name: str) -> None:
    """Wait until no configuration update is in progress (a killed run may have left one):
    a few quick polls, then boto3's waiter."""
    for delay in (0.02, 0.05, 0.1, 0.2, 0.4):
        status = client.get_function_configuration(FunctionName=name).get("LastUpdateStatus")
        if status != "InProgress":
            return
        time.sleep(delay)
    client.get_waiter("function_updated").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
