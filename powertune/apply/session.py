"""The Lambda client apply uses (an explicit endpoint for the local runtime or moto)."""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError

from powertune import awsenv
from powertune.apply.errors import ApplyError


def lambda_client(region: str | None, profile: str | None, endpoint_url: str | None) -> Any:
    """A retrying Lambda client; the session is ``awsenv``'s, as for every other AWS path (an
    unknown profile is a usage error, exit 2)."""
    session = awsenv.session(profile, region)
    try:
        config = Config(retries={"mode": "standard", "max_attempts": 6}, connect_timeout=10)
        return session.client("lambda", endpoint_url=endpoint_url, config=config)
    except (BotoCoreError, ValueError) as exc:
        raise ApplyError(f"cannot make a Lambda client: {exc}") from None
