"""The Lambda client apply uses (an explicit endpoint for the local runtime or moto)."""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ConfigParseError

from powertune import awsenv
from powertune.apply.errors import ApplyError
from powertune.errors import InputError


def lambda_client(region: str | None, profile: str | None, endpoint_url: str | None) -> Any:
    """A retrying Lambda client; the session is ``awsenv``'s, as for every other AWS path (an
    unknown profile is a usage error, exit 2)."""
    try:
        session = awsenv.session(profile, region)
        config = Config(retries={"mode": "standard", "max_attempts": 6}, connect_timeout=10)
        return session.client("lambda", endpoint_url=endpoint_url, config=config)
    except ConfigParseError as exc:  # a malformed ~/.aws/config: the user's file, exit 2
        raise InputError(f"cannot read the AWS configuration: {exc}") from None
    except (BotoCoreError, ValueError) as exc:
        raise ApplyError(f"cannot make a Lambda client: {exc}") from None
