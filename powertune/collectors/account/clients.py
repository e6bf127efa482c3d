"""boto3 clients for the analysis, built the same way everywhere (an explicit client wins)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from powertune import validate

# Adaptive retries absorb the account-wide API rate limits (ListTags, GetMetricData) that
# a thousand-function sweep runs into; Logs Insights concurrency is handled by the runner.
DEFAULT_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, max_pool_connections=16)


def make_client(
    service: str,
    *,
    region: str | None = None,
    boto3_session: boto3.session.Session | None = None,
    boto_config: Config | None = None,
    endpoint_url: str | None = None,
) -> Any:
    """A boto3 client for ``service`` from the session (or a default one) with overrides."""
    endpoint_url = validate.endpoint_url(endpoint_url)
    session = boto3_session or boto3.session.Session(region_name=region)
    config = DEFAULT_CONFIG.merge(boto_config) if boto_config else DEFAULT_CONFIG
    return session.client(service, region_name=region, endpoint_url=endpoint_url, config=config)
