"""Which functions to analyse: ListFunctions (paginated), names, a prefix and tag filters."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from powertune.errors import InputError, PowertuneError

# ListTags is one call per function; a few in flight keep a big account fast without
# tripping Lambda's control-plane rate limit (retried by the client anyway).
TAG_WORKERS = 8
LIST_PAGE_SIZE = 50  # ListFunctions' maximum MaxItems


class InventoryError(PowertuneError):
    """Lambda could not be listed or read (exit code 3)."""


@dataclass(frozen=True)
class FunctionConfig:
    """A function's configuration as found, plus where its logs go."""

    name: str
    arn: str
    region: str
    memory_mb: int
    architecture: str  # "x86_64" | "arm64"
    timeout_s: int
    runtime: str | None
    package_type: str  # "Zip" | "Image"
    log_format: str  # "Text" | "JSON"
    log_group: str
    ephemeral_mb: int = 512

    @classmethod
    def from_api(cls, config: dict[str, Any], region: str) -> FunctionConfig:
        """From one ListFunctions / GetFunctionConfiguration entry."""
        name = config["FunctionName"]
        logging = config.get("LoggingConfig") or {}
        archs = config.get("Architectures") or ["x86_64"]
        return cls(
            name=name,
            arn=config.get("FunctionArn", ""),
            region=region,
            memory_mb=int(config.get("MemorySize", 128)),
            architecture=archs[0],
            timeout_s=int(config.get("Timeout", 3)),
            runtime=config.get("Runtime"),
            package_type=config.get("PackageType", "Zip"),
            log_format=logging.get("LogFormat", "Text"),
            log_group=logging.get("LogGroup") or f"/aws/lambda/{name}",
            ephemeral_mb=int((config.get("EphemeralStorage") or {}).get("Size", 512)),
        )


def parse_tag_filters(pairs: Iterable[str]) -> dict[str, str]:
    """``["team=api", "env=prod"]`` -> ``{"team": "api", "env": "prod"}``; bad pairs are input."""
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--tag wants KEY=VALUE, got {pair!r}")
        tags[key] = value
    return tags


def _aws_error(action: str, exc: Exception) -> InventoryError:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return InventoryError(f"Lambda {action} failed: {err.get('Code')}: {err.get('Message')}")
    return InventoryError(f"Lambda {action} failed: {exc}")


def _region_of(client: Any) -> str:
    return str(client.meta.region_name or "us-east-1")


def list_functions(
    lambda_client: Any,
    *,
    names: Sequence[str] = (),
    prefix: str | None = None,
    tags: dict[str, str] | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> list[FunctionConfig]:
    """The functions to analyse, sorted by name.

    Named functions are read one by one (a missing name is an input error); otherwise every
    function of the region is listed, page by page, and ``prefix`` filters the names. ``tags``
    keeps only functions carrying every KEY=VALUE (one ListTags call per remaining function).
    """
    region = _region_of(lambda_client)
    found: list[FunctionConfig] = []
    try:
        if names:
            for name in names:
                try:
                    config = lambda_client.get_function_configuration(FunctionName=name)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                        raise InputError(f"no such function: {name}") from None
                    raise
                found.append(FunctionConfig.from_api(config, region))
        else:
            pages = lambda_client.get_paginator("list_functions").paginate(
                PaginationConfig={"PageSize": LIST_PAGE_SIZE}
            )
            for page in pages:
                for config in page.get("Functions", []):
                    found.append(FunctionConfig.from_api(config, region))
                if on_progress:
                    on_progress(f"listed {len(found)} functions")
    except (ClientError, BotoCoreError) as exc:
        raise _aws_error("ListFunctions", exc) from exc
    if prefix:
        found = [f for f in found if f.name.startswith(prefix)]
    if tags:
        found = _filter_by_tags(lambda_client, found, tags)
    return sorted(found, key=lambda f: f.name)


def _filter_by_tags(
    lambda_client: Any, functions: list[FunctionConfig], wanted: dict[str, str]
) -> list[FunctionConfig]:
    def matches(function: FunctionConfig) -> bool:
        try:
            have = lambda_client.list_tags(Resource=function.arn).get("Tags", {})
        except (ClientError, BotoCoreError) as exc:
            raise _aws_error("ListTags", exc) from exc
        return all(have.get(k) == v for k, v in wanted.items())

    with ThreadPoolExecutor(max_workers=TAG_WORKERS) as pool:
        keep = list(pool.map(matches, functions))
    return [f for f, ok in zip(functions, keep, strict=True) if ok]
