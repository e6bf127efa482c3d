"""AWS sessions the way the AWS CLI v2 and the SDKs resolve them.

boto3 reads only ``AWS_DEFAULT_REGION``; the AWS CLI v2 and the other SDKs read ``AWS_REGION``
first. The order here is the CLI's: ``--region``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the
profile's region. An unknown profile is bad input (exit 2) in every command.
"""

from __future__ import annotations

import os

import boto3
from botocore.exceptions import ConfigParseError, ProfileNotFound

from powertune.errors import InputError


def env_region() -> str | None:
    """``AWS_REGION``, else ``AWS_DEFAULT_REGION`` (empty counts as unset)."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def resolve_region(region: str | None) -> str | None:
    """The region a flag names, else the environment's (the profile's is boto3's to find)."""
    return region or env_region()


def session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A boto3 session for ``profile`` in ``region`` (resolved as the AWS CLI does). The config
    and credentials files are read now: an unknown profile or a file that does not parse is
    bad input (exit 2) here, not a traceback from the first client."""
    named = profile or env_profile()
    try:
        made = boto3.Session(profile_name=profile, region_name=resolve_region(region))
        _ = made.available_profiles  # parses ~/.aws/config and ~/.aws/credentials now
    except ProfileNotFound:
        raise InputError(
            f"unknown AWS profile {named!r}: not in ~/.aws/config or ~/.aws/credentials"
        ) from None
    except ConfigParseError as exc:
        raise InputError(f"the AWS configuration does not parse: {exc}") from None
    return made


def env_profile() -> str | None:
    """The profile the environment names, in botocore's order: ``AWS_DEFAULT_PROFILE``, else
    ``AWS_PROFILE``."""
    for name in ("AWS_DEFAULT_PROFILE", "AWS_PROFILE"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None
