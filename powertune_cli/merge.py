"""`powertune merge A.json B.json ... > fleet.json`: join the shards of one fleet run."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from powertune.results import load_result
from powertune.results.jsonio import dumps_result, write_result
from powertune.tune.fleet_merge import merge_parts
from powertune_cli.common import handle_errors


def register(app: typer.Typer) -> None:
    app.command("merge", epilog="Example: powertune merge part1.json part2.json -o fleet.json")(
        merge
    )


@handle_errors
def merge(
    parts: Annotated[list[str], typer.Argument(help="Result files of `tune --shard K/N`.")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Join the results of a sharded fleet run (`tune --shard K/N`) into one result."""
    merged = merge_parts(
        [(path, load_result(path)) for path in parts],
        note=lambda text: print(text, file=sys.stderr),
    )
    if output:
        write_result(merged, output)
        return
    sys.stdout.write(dumps_result(merged))
