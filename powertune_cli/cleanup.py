"""`powertune cleanup`: undo what an interrupted tuning run left on a function."""

from __future__ import annotations

import sys

import typer

from powertune.tune.plan import DEFAULT_ALIAS_PREFIX
from powertune_cli.common import ENDPOINT_HELP, PROFILE_HELP, REGION_HELP, handle_errors


@handle_errors
def cleanup_command(
    function: str = typer.Argument(..., help="Function name or ARN."),
    alias_prefix: str = typer.Option(
        DEFAULT_ALIAS_PREFIX, "--alias-prefix", help="The prefix of the run's tuning aliases."
    ),
    region: str | None = typer.Option(None, "--region", help=REGION_HELP),
    profile: str | None = typer.Option(None, "--profile", help=PROFILE_HELP),
    endpoint_url: str | None = typer.Option(None, "--endpoint-url", help=ENDPOINT_HELP),
) -> None:
    """Remove what an interrupted run left: tuning aliases and versions, a changed memory size,
    variant twin functions."""
    from powertune.tune.targets.aws import AwsLambdaTarget, cleanup

    target = AwsLambdaTarget(
        function,
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        alias_prefix=alias_prefix,
    )
    try:
        found = cleanup(target.client, target.name, alias_prefix=alias_prefix)
    except Exception as exc:  # botocore errors: one line, exit 3
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, ClientError | BotoCoreError):
            from powertune.tune.targets.interface import TargetError

            raise TargetError(f"cleanup of {target.name} failed: {exc}") from None
        raise
    if found.empty:
        print(f"{target.name}: nothing to clean up")
        return
    parts = []
    if found.original_memory_mb is not None and found.original_memory_mb != found.memory_mb:
        parts.append(f"memory {found.memory_mb} -> {found.original_memory_mb} MB")
    if found.cold_start_variable:
        parts.append("removed the cold-start environment variable")
    if found.aliases:
        parts.append(f"deleted aliases {', '.join(found.aliases)}")
    if found.versions:
        parts.append(f"deleted versions {', '.join(found.versions)}")
    if found.twins:
        parts.append(f"deleted variant twins {', '.join(found.twins)}")
    if found.journal_run:
        parts.append(f"removed the journal of run {found.journal_run}")
    for note in found.notes:
        print(f"powertune: warning: {note}", file=sys.stderr)
    print(f"{target.name}: " + "; ".join(parts))
