"""The embedded runtime as the tuning tests reach it: a boto3 Lambda client over loopback, a
function deployed from a handler file, and the check that a run put the function back."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from powertune.local import LocalLambda
from powertune.tune.targets.aws import find_leftovers

_names = itertools.count()


def lambda_client(server: LocalLambda, config: Config | None = None) -> Any:
    """A real boto3 Lambda client for ``server`` (it takes any credentials); ``config`` sets
    botocore's timeouts, retries and pool where a test needs its own."""
    return boto3.client(
        "lambda",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=config,
    )


def deploy(server: LocalLambda, path: Path, memory: int = 1024, timeout: int = 30) -> str:
    """A new function on ``server`` running the handler at ``path``; its name."""
    name = f"fn-{next(_names)}"
    server.add_function(name, str(path), MemorySize=memory, Timeout=timeout)
    return name


def assert_restored(server: LocalLambda, name: str, memory: int = 1024) -> None:
    """The function is back at ``memory`` with no tuning versions, aliases or journal left."""
    client = lambda_client(server)
    assert client.get_function_configuration(FunctionName=name)["MemorySize"] == memory
    assert find_leftovers(client, name).empty
    assert client.list_aliases(FunctionName=name)["Aliases"] == []
