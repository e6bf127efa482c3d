"""Functions, versions and aliases of the local runtime, with Lambda's rules for each call.

A published version is an immutable snapshot of ``$LATEST`` (code and configuration) at publish
time. A configuration update leaves ``LastUpdateStatus`` at ``InProgress`` for ``update_seconds``
(so boto3's ``function_updated`` waiters have something to wait for), during which another update
or a publish is refused with ResourceConflictException, as on Lambda.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import re
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from powertune.local import unzip
from powertune.local.errors import ApiError, invalid, not_found
from powertune.local.limits import MAX_LIST_ITEMS, MAX_ZIPPED_BYTES
from powertune.models.cpu_share import MAX_MEMORY_MB, MIN_MEMORY_MB

ACCOUNT = "123456789012"
LATEST = "$LATEST"
FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ALIAS_NAME = re.compile(r"^(?!^[0-9]+$)[a-zA-Z0-9_-]{1,128}$")
_ARN = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?"
    r"(?P<name>[a-zA-Z0-9_-]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?$"
)
# An account's default concurrency (1,000) less the 100 Lambda keeps unreserved.
MAX_RESERVED = 900
DEFAULT_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
# Lambda's Python runtime identifiers (its Runtime enum, deprecated ones included: an old template
# still names them), and the host's. Lambda refuses any other identifier (python3.99, python3.1);
# so does the local runtime, which runs the host's Python whatever the identifier.
PYTHON_RUNTIMES = tuple(
    dict.fromkeys(("python2.7", *(f"python3.{minor}" for minor in range(6, 15)), DEFAULT_RUNTIME))
)


def check_runtime(runtime: str) -> None:
    """Lambda's answer to a runtime it does not have; the local runtime serves Python only."""
    if not runtime.startswith("python"):
        raise invalid(f"Runtime {runtime} is not served by the local runtime (Python only).")
    if runtime not in PYTHON_RUNTIMES:
        raise invalid(
            f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy "
            f"enum value set: [{', '.join(PYTHON_RUNTIMES)}] (the local runtime's Python runtimes)"
        )


def function_arn(region: str, name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def split_name(raw: str) -> tuple[str, str | None]:
    """A function name, partial ARN or full ARN, with an optional ``:qualifier``."""
    found = _ARN.match(raw)
    if found is None:
        raise invalid(
            f"1 validation error detected: Value '{raw}' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
            "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
        )
    return found["name"], found["qualifier"]


def _now_text() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


@dataclass(frozen=True)
class Config:
    """One version's configuration and code (``$LATEST`` is replaced on every update)."""

    name: str
    version: str
    runtime: str
    handler: str
    role: str
    code_dir: Path
    code_sha256: str
    code_size: int
    description: str
    timeout: int
    memory_mb: int
    env_vars: dict[str, str]
    ephemeral_mb: int
    log_format: str
    log_group: str
    architectures: tuple[str, ...]
    last_modified: str
    revision_id: str

    def same_function(self, other: Config) -> bool:
        """Whether publishing ``other`` would change nothing (code and configuration)."""
        ignore = {"version", "description", "last_modified", "revision_id"}
        return all(
            getattr(self, f.name) == getattr(other, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ignore
        )

    def to_api(self, region: str, last_update_status: str) -> dict[str, Any]:
        qualifier = None if self.version == LATEST else self.version
        logging: dict[str, Any] = {"LogFormat": self.log_format, "LogGroup": self.log_group}
        if self.log_format == "JSON":
            logging.update({"ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"})
        return {
            "FunctionName": self.name,
            "FunctionArn": function_arn(region, self.name, qualifier),
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code_size,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory_mb,
            "LastModified": self.last_modified,
            "CodeSha256": self.code_sha256,
            "Version": self.version,
            "Environment": {"Variables": dict(self.env_vars)},
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": self.revision_id,
            "State": "Active",
            "LastUpdateStatus": last_update_status,
            "PackageType": "Zip",
            "Architectures": list(self.architectures),
            "EphemeralStorage": {"Size": self.ephemeral_mb},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": logging,
        }


@dataclass
class Alias:
    name: str
    version: str
    description: str
    revision_id: str

    def to_api(self, region: str, function: str) -> dict[str, Any]:
        return {
            "AliasArn": function_arn(region, function, self.name),
            "Name": self.name,
            "FunctionVersion": self.version,
            "Description": self.description,
            "RevisionId": self.revision_id,
        }


@dataclass
class Function:
    latest: Config
    versions: dict[str, Config] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    next_version: int = 1
    update_until: float = 0.0  # monotonic time the current update finishes
    reserved: int | None = None  # PutFunctionConcurrency (None: unreserved)

    def update_status(self) -> str:
        return "InProgress" if time.monotonic() < self.update_until else "Successful"


class Registry:
    """All functions of one local server. Every method is one API call (thread-safe)."""

    def __init__(
        self,
        code_root: Path,
        *,
        update_seconds: float = 0.1,
        on_retire: Callable[[str, str | None], None] = lambda name, version: None,
        max_memory_mb: int = MAX_MEMORY_MB,
    ) -> None:
        self._code_root = code_root
        self._max_memory_mb = max_memory_mb  # an account quota (new accounts: 3008 MB)
        self._update_seconds = update_seconds
        self._on_retire = on_retire  # (name, version or None for all): end its environments
        self._lock = threading.RLock()
        self._functions: dict[str, Function] = {}
        # other names a function answers to (a template's logical IDs, as `sam local` does)
        self._other_names: dict[str, str] = {}

    # --- helpers ---------------------------------------------------------------------------
    def add_name(self, other: str, name: str) -> None:
        """Let function ``name`` also answer to ``other`` (a template's logical ID)."""
        if not FUNCTION_NAME.match(other):
            raise invalid(f"Invalid function name: {other!r} (1-64 letters, digits, - or _)")
        with self._lock:
            if other != name and other not in self._functions:
                self._other_names[other] = name

    def _split(self, raw_name: str) -> tuple[str, str | None]:
        """``split_name``, with another name the function answers to turned into its own."""
        name, qualifier = split_name(raw_name)
        return self._other_names.get(name, name), qualifier

    def _function(self, name: str, region: str) -> Function:
        function = self._functions.get(name)
        if function is None:
            raise not_found(function_arn(region, name))
        return function

    def resolve(self, raw_name: str, qualifier: str | None, region: str) -> Config:
        """The configuration an invocation of ``name[:qualifier]`` runs."""
        name, inline = self._split(raw_name)
        qualifier = qualifier or inline or LATEST
        with self._lock:
            function = self._function(name, region)
            if qualifier == LATEST:
                return function.latest
            if qualifier in function.aliases:
                qualifier = function.aliases[qualifier].version
                if qualifier == LATEST:
                    return function.latest
            config = function.versions.get(qualifier)
            if config is None:
                raise not_found(function_arn(region, name, qualifier))
            return config

    def _store_code(self, zip_bytes: bytes) -> tuple[Path, str, int]:
        if len(zip_bytes) > MAX_ZIPPED_BYTES:
            raise ApiError(
                "RequestEntityTooLargeException",
                f"Zipped size must be smaller than {MAX_ZIPPED_BYTES} bytes",
                413,
            )
        digest = hashlib.sha256(zip_bytes)
        target = self._code_root / digest.hexdigest()
        if not target.exists():
            staging = self._code_root / f".{uuid.uuid4().hex}"
            unzip.extract(zip_bytes, staging)
            try:
                staging.rename(target)
            except OSError:  # the same code, unpacked at the same time by another call
                shutil.rmtree(staging, ignore_errors=True)
        return target, base64.b64encode(digest.digest()).decode(), len(zip_bytes)

    # --- functions -------------------------------------------------------------------------
    def create_function(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        _check_types(body)
        name = body.get("FunctionName", "")
        if not FUNCTION_NAME.match(name):
            raise invalid(f"Invalid function name: {name!r} (1-64 letters, digits, - or _)")
        if body.get("PackageType", "Zip") != "Zip":
            raise invalid("The local runtime runs Zip packages only.")
        runtime = body.get("Runtime") or DEFAULT_RUNTIME
        check_runtime(runtime)
        if not body.get("Handler"):
            raise invalid("Handler is required for Zip functions.")
        code = body.get("Code") or {}
        if not isinstance(code, dict) or "ZipFile" not in code:
            raise invalid("Code.ZipFile is required by the local runtime.")
        zip_bytes = _blob(code["ZipFile"], "Code.ZipFile")
        code_dir, sha, size = self._store_code(zip_bytes)
        settings = _settings(body, defaults=None, name=name, max_memory_mb=self._max_memory_mb)
        config = _new_config(name, runtime, body, code_dir, sha, size, settings)
        with self._lock:
            if name in self._functions:
                raise ApiError(
                    "ResourceConflictException",
                    f"Function already exist: {name}",
                )
            function = Function(config)
            self._functions[name] = function
            if body.get("Publish"):
                published = self._publish(function, body.get("Description"))
                return published.to_api(region, "Successful")
            return config.to_api(region, "Successful")

    def get_configuration(self, raw_name: str, qualifier: str | None, region: str) -> dict:
        name, inline = self._split(raw_name)
        qualifier = qualifier or inline
        with self._lock:
            function = self._function(name, region)
            if qualifier in (None, LATEST):
                return function.latest.to_api(region, function.update_status())
            if qualifier in function.aliases:
                qualifier = function.aliases[qualifier].version
                if qualifier == LATEST:
                    return function.latest.to_api(region, function.update_status())
            config = function.versions.get(qualifier)
            if config is None:
                raise not_found(function_arn(region, name, qualifier))
            return config.to_api(region, "Successful")

    def get_function(
        self, raw_name: str, qualifier: str | None, region: str, code_url: str
    ) -> dict[str, Any]:
        configuration = self.get_configuration(raw_name, qualifier, region)
        found: dict[str, Any] = {
            "Configuration": configuration,
            "Code": {"RepositoryType": "S3", "Location": code_url},
            "Tags": {},  # the server fills in the function's tags (local/tags.py)
        }
        reserved = self.reserved_concurrency(self._split(raw_name)[0])
        if reserved is not None:
            found["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
        return found

    # --- reserved concurrency ----------------------------------------------------------------
    def reserved_concurrency(self, name: str) -> int | None:
        with self._lock:
            function = self._functions.get(name)
            return None if function is None else function.reserved

    def put_concurrency(self, raw_name: str, value: Any, region: str) -> dict[str, Any]:
        """PutFunctionConcurrency (``value`` None: DeleteFunctionConcurrency)."""
        name, _ = self._split(raw_name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RESERVED
        ):
            raise invalid(
                f"1 validation error detected: Value '{value}' at 'reservedConcurrentExecutions' "
                f"failed to satisfy constraint: Member must have value between 0 and "
                f"{MAX_RESERVED}"
            )
        with self._lock:
            self._function(name, region).reserved = value
        return {} if value is None else {"ReservedConcurrentExecutions": value}

    def get_concurrency(self, raw_name: str, region: str) -> dict[str, Any]:
        name, _ = self._split(raw_name)
        with self._lock:
            reserved = self._function(name, region).reserved
        return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}

    def list_functions(self, region: str, marker: str | None, max_items: int | None) -> dict:
        with self._lock:
            items = [
                self._functions[n].latest.to_api(region, self._functions[n].update_status())
                for n in sorted(self._functions)
            ]
        return _page(items, "Functions", marker, max_items)

    def code_dir(self, name: str) -> Path | None:
        with self._lock:
            function = self._functions.get(name)
            return None if function is None else function.latest.code_dir

    def update_configuration(self, raw_name: str, body: dict[str, Any], region: str) -> dict:
        name, _ = self._split(raw_name)
        _check_types(body)
        with self._lock:
            function = self._function(name, region)
            current = function.latest
            if function.update_status() == "InProgress":
                raise _in_progress(region, name)
            settings = _settings(
                body, defaults=current, name=name, max_memory_mb=self._max_memory_mb
            )
            if "Runtime" in body:
                check_runtime(body["Runtime"])
            changed = dataclasses.replace(
                current,
                handler=body.get("Handler", current.handler),
                runtime=body.get("Runtime", current.runtime),
                role=body.get("Role", current.role),
                last_modified=_now_text(),
                revision_id=str(uuid.uuid4()),
                **settings,
            )
            function.latest = changed
            function.update_until = time.monotonic() + self._update_seconds
            self._on_retire(name, LATEST)  # new configuration, new environments
            return changed.to_api(region, function.update_status())

    def delete_function(self, raw_name: str, qualifier: str | None, region: str) -> None:
        name, inline = self._split(raw_name)
        qualifier = qualifier or inline
        with self._lock:
            function = self._function(name, region)
            if qualifier is None:
                del self._functions[name]
                self._other_names = {k: v for k, v in self._other_names.items() if v != name}
                self._on_retire(name, None)
                return
            if qualifier == LATEST:
                raise invalid("$LATEST version cannot be deleted without deleting the function.")
            if qualifier in function.aliases:
                raise invalid("Deletion of aliases is not supported by DeleteFunction.")
            if qualifier not in function.versions:
                raise not_found(function_arn(region, name, qualifier))
            users = sorted(a.name for a in function.aliases.values() if a.version == qualifier)
            if users:
                raise ApiError(
                    "ResourceConflictException",
                    f"Unable to delete version because the following aliases reference it: {users}",
                )
            del function.versions[qualifier]
            self._on_retire(name, qualifier)

    # --- versions --------------------------------------------------------------------------
    def publish_version(self, raw_name: str, body: dict[str, Any], region: str) -> dict:
        name, _ = self._split(raw_name)
        with self._lock:
            function = self._function(name, region)
            if function.update_status() == "InProgress":
                raise _in_progress(region, name)
            expected = body.get("CodeSha256")
            if expected and expected != function.latest.code_sha256:
                raise invalid("CodeSHA256 does not match the function's current code.")
            return self._publish(function, body.get("Description")).to_api(region, "Successful")

    def _publish(self, function: Function, description: str | None) -> Config:
        if function.versions:
            newest = function.versions.get(str(function.next_version - 1))
            if newest is not None and newest.same_function(function.latest):
                return newest  # Lambda publishes nothing when nothing changed
        version = str(function.next_version)
        function.next_version += 1
        snapshot = dataclasses.replace(
            function.latest,
            version=version,
            description=function.latest.description if description is None else description,
            last_modified=_now_text(),
            revision_id=str(uuid.uuid4()),
        )
        function.versions[version] = snapshot
        return snapshot

    def list_versions(
        self, raw_name: str, region: str, marker: str | None, max_items: int | None
    ) -> dict[str, Any]:
        name, _ = self._split(raw_name)
        with self._lock:
            function = self._function(name, region)
            items = [function.latest.to_api(region, function.update_status())]
            items += [
                function.versions[v].to_api(region, "Successful")
                for v in sorted(function.versions, key=int)
            ]
        return _page(items, "Versions", marker, max_items)

    # --- aliases ---------------------------------------------------------------------------
    def create_alias(self, raw_name: str, body: dict[str, Any], region: str) -> dict:
        name, _ = self._split(raw_name)
        alias_name = body.get("Name", "")
        if not ALIAS_NAME.match(alias_name):
            raise invalid(f"Invalid alias name: {alias_name!r}")
        with self._lock:
            function = self._function(name, region)
            version = self._existing_version(function, body.get("FunctionVersion", ""), region)
            if alias_name in function.aliases:
                raise ApiError(
                    "ResourceConflictException",
                    f"Alias already exists: {function_arn(region, name, alias_name)}",
                )
            alias = Alias(alias_name, version, body.get("Description", ""), str(uuid.uuid4()))
            function.aliases[alias_name] = alias
            return alias.to_api(region, name)

    def _existing_version(self, function: Function, version: str, region: str) -> str:
        if version != LATEST and version not in function.versions:
            raise not_found(function_arn(region, function.latest.name, version))
        return version

    def _alias(self, function: Function, alias_name: str, region: str) -> Alias:
        alias = function.aliases.get(alias_name)
        if alias is None:
            raise ApiError(
                "ResourceNotFoundException",
                f"Alias not found: {function_arn(region, function.latest.name, alias_name)}",
            )
        return alias

    def get_alias(self, raw_name: str, alias_name: str, region: str) -> dict:
        name, _ = self._split(raw_name)
        with self._lock:
            function = self._function(name, region)
            return self._alias(function, alias_name, region).to_api(region, name)

    def update_alias(self, raw_name: str, alias_name: str, body: dict, region: str) -> dict:
        name, _ = self._split(raw_name)
        with self._lock:
            function = self._function(name, region)
            alias = self._alias(function, alias_name, region)
            if "FunctionVersion" in body:
                alias.version = self._existing_version(function, body["FunctionVersion"], region)
            if "Description" in body:
                alias.description = body["Description"]
            alias.revision_id = str(uuid.uuid4())
            return alias.to_api(region, name)

    def delete_alias(self, raw_name: str, alias_name: str, region: str) -> None:
        name, _ = self._split(raw_name)
        with self._lock:
            function = self._function(name, region)
            self._alias(function, alias_name, region)
            del function.aliases[alias_name]

    def list_aliases(
        self,
        raw_name: str,
        region: str,
        version: str | None,
        marker: str | None,
        max_items: int | None,
    ) -> dict[str, Any]:
        name, _ = self._split(raw_name)
        with self._lock:
            function = self._function(name, region)
            items = [
                a.to_api(region, name)
                for a in sorted(function.aliases.values(), key=lambda a: a.name)
                if version is None or a.version == version
            ]
        return _page(items, "Aliases", marker, max_items)


# The JSON type of each request field the registry reads (a wrong one is a 400, as on Lambda).
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "FunctionName": str,
    "Runtime": str,
    "Handler": str,
    "Role": str,
    "Description": str,
    "Code": dict,
    "Environment": dict,
    "LoggingConfig": dict,
    "EphemeralStorage": dict,
    "Architectures": list,
    "Tags": dict,
    "Publish": bool,
    "MemorySize": int,
    "Timeout": int,
}


def _check_types(body: dict[str, Any]) -> None:
    """Refuse a request whose fields have the wrong JSON type before any of them is used."""
    for key, kind in _FIELD_TYPES.items():
        value = body.get(key)
        if value is not None and not isinstance(value, kind):
            raise ApiError(
                "InvalidRequestContentException",
                f"Could not parse request body into json: {key} has the wrong type",
            )
    for key in ("Environment", "LoggingConfig"):
        inner = body.get(key) or {}
        values = inner.get("Variables") if key == "Environment" else inner
        if values is not None and (
            not isinstance(values, dict)
            or not all(isinstance(v, str | None) for v in values.values())
        ):
            raise ApiError(
                "InvalidRequestContentException",
                f"Could not parse request body into json: {key} has the wrong type",
            )
    architectures = body.get("Architectures") or []
    if not all(a in ("x86_64", "arm64") for a in architectures) or len(architectures) > 1:
        raise invalid(f"Architectures must be one of x86_64 or arm64, not {architectures}")


def _blob(value: Any, what: str) -> bytes:
    """A base64 blob field, decoded strictly (a bad one is a 400, never a 500)."""
    if not isinstance(value, str):
        raise ApiError("InvalidRequestContentException", f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(
            "InvalidRequestContentException", f"Could not parse {what} as base64: {exc}"
        ) from None


def max_items(raw: str | None) -> int | None:
    """A list call's MaxItems query parameter (1-10,000), None when absent."""
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIST_ITEMS:
        raise invalid(
            f"1 validation error detected: Value '{raw}' at 'maxItems' failed to satisfy "
            f"constraint: Member must have value between 1 and {MAX_LIST_ITEMS}"
        )
    return int(raw)


def _in_progress(region: str, name: str) -> ApiError:
    return ApiError(
        "ResourceConflictException",
        "The operation cannot be performed at this time. An update is in progress for resource: "
        + function_arn(region, name),
    )


def _page(items: list[dict], key: str, marker: str | None, max_items: int | None) -> dict:
    start = int(marker) if marker and marker.isdigit() else 0
    size = max_items or 50
    result: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        result["NextMarker"] = str(start + size)
    return result


def _new_config(
    name: str,
    runtime: str,
    body: dict[str, Any],
    code_dir: Path,
    sha: str,
    size: int,
    settings: dict[str, Any],
) -> Config:
    return Config(
        name=name,
        version=LATEST,
        runtime=runtime,
        handler=body["Handler"],
        role=body.get("Role", f"arn:aws:iam::{ACCOUNT}:role/powertune-local"),
        code_dir=code_dir,
        code_sha256=sha,
        code_size=size,
        architectures=tuple(body.get("Architectures") or ["x86_64"]),
        last_modified=_now_text(),
        revision_id=str(uuid.uuid4()),
        **settings,
    )


def _settings(
    body: dict[str, Any], defaults: Config | None, name: str, max_memory_mb: int = MAX_MEMORY_MB
) -> dict[str, Any]:
    """The updatable settings of a create or update request, validated as Lambda does."""
    memory = body.get("MemorySize", defaults.memory_mb if defaults else 128)
    if not isinstance(memory, int) or not MIN_MEMORY_MB <= memory <= max_memory_mb:
        above = isinstance(memory, int) and memory > max_memory_mb
        raise invalid(
            f"1 validation error detected: Value '{memory}' at 'memorySize' failed to satisfy "
            f"constraint: Member must have value {'less' if above else 'greater'}"
            f" than or equal to {max_memory_mb if above else MIN_MEMORY_MB}"
        )
    timeout = body.get("Timeout", defaults.timeout if defaults else 3)
    if not isinstance(timeout, int) or not 1 <= timeout <= 900:
        raise invalid(f"Timeout must be between 1 and 900 seconds, not {timeout}.")
    ephemeral = (body.get("EphemeralStorage") or {}).get(
        "Size", defaults.ephemeral_mb if defaults else 512
    )
    if not isinstance(ephemeral, int) or not 512 <= ephemeral <= 10240:
        raise invalid(f"EphemeralStorage.Size must be between 512 and 10240 MB, not {ephemeral}.")
    if "Environment" in body:
        env_vars = dict((body["Environment"] or {}).get("Variables") or {})
    else:
        env_vars = dict(defaults.env_vars) if defaults else {}
    logging = body.get("LoggingConfig") or {}
    log_format = logging.get("LogFormat", defaults.log_format if defaults else "Text")
    if log_format not in ("Text", "JSON"):
        raise invalid(f"LogFormat must be Text or JSON, not {log_format}.")
    log_group = logging.get("LogGroup", defaults.log_group if defaults else f"/aws/lambda/{name}")
    return {
        "memory_mb": memory,
        "timeout": timeout,
        "ephemeral_mb": ephemeral,
        "env_vars": env_vars,
        "log_format": log_format,
        "log_group": log_group,
        "description": body.get("Description", defaults.description if defaults else ""),
    }
