"""Retention and stored bytes of the functions' log groups (DescribeLogGroups, paginated)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from powertune.collectors.account.usage import LogGroupInfo
from powertune.errors import PowertuneError

LAMBDA_PREFIX = "/aws/lambda/"


class LogGroupsError(PowertuneError):
    """CloudWatch Logs could not be read (exit code 3)."""


def _info(group: dict[str, Any]) -> LogGroupInfo:
    stored = group.get("storedBytes")
    return LogGroupInfo(
        name=group["logGroupName"],
        retention_days=group.get("retentionInDays"),
        stored_bytes=int(stored) if stored is not None else None,
        log_class=group.get("logGroupClass"),
    )


def describe_log_groups(logs_client: Any, names: Iterable[str]) -> dict[str, LogGroupInfo]:
    """The wanted log groups that exist, by name (a function never invoked has none).

    Lambda's default groups come from one paginated listing under ``/aws/lambda/``; custom
    groups (LoggingConfig.LogGroup) are looked up by their own name as a prefix.
    """
    wanted = set(names)
    prefixes = [LAMBDA_PREFIX] if any(n.startswith(LAMBDA_PREFIX) for n in wanted) else []
    prefixes += sorted(n for n in wanted if not n.startswith(LAMBDA_PREFIX))
    found: dict[str, LogGroupInfo] = {}
    paginator = logs_client.get_paginator("describe_log_groups")
    try:
        for prefix in prefixes:
            for page in paginator.paginate(logGroupNamePrefix=prefix):
                for group in page.get("logGroups", []):
                    if group["logGroupName"] in wanted:
                        found[group["logGroupName"]] = _info(group)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise LogGroupsError(
            f"CloudWatch Logs DescribeLogGroups failed: {err.get('Code')}: {err.get('Message')}"
        ) from exc
    except BotoCoreError as exc:
        raise LogGroupsError(f"CloudWatch Logs DescribeLogGroups failed: {exc}") from exc
    return found
