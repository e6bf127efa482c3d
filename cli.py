"""The ``powertune`` command: a typer app that wires the sub-commands together.

Each command group lives in its own module under ``powertune_cli/``. This file is the one place
that decides what a command loads: ``COMMANDS`` names each command's module, and that module is
imported only when the command runs (or shows its help), so ``--version``, a completion or a
light command never pays for the numeric stack, boto3 or the local runtime. It is also the
console-script entry point.
"""

from __future__ import annotations

import sys

try:  # Ctrl-C while the interpreter loads typer: one line, no traceback (main() takes over next)
    import importlib
    import os
    from dataclasses import dataclass

    import typer

    from powertune import __version__, stopping
    from powertune_cli.usage import Command, LazyCommands, PanelGroup, PanelHelp
except KeyboardInterrupt:  # pragma: no cover - timing-dependent; tests/test_cli_startup.py
    print("powertune: interrupted (Ctrl-C)", file=sys.stderr)
    sys.exit(130)


@dataclass(frozen=True)
class Part:
    """Where a command lives: ``powertune_cli.<module>``, either a typer sub-app (``app``) or a
    ``register(app)`` function adding top-level commands; ``summary`` is its line in
    ``powertune --help`` (tests/test_cli_startup.py checks it matches the command's own help)."""

    module: str
    attr: str
    summary: str


COMMANDS: dict[str, Part] = {
    "tune": Part(
        "tune",
        "register",
        "Measure a function (or a fleet) across memory sizes, fit duration against memory, "
        "and recommend.",
    ),
    "cleanup": Part(
        "tune",
        "register",
        "Remove what an interrupted run left: tuning aliases and versions, a changed memory size,"
        " variant twin functions.",
    ),
    "report": Part(
        "report",
        "register",
        "Render a result file: terminal table, markdown, self-contained HTML page or JSON.",
    ),
    "gate": Part(
        "report",
        "register",
        "Compare a result with a baseline: pass, warn or fail per function and check.",
    ),
    "analyze": Part(
        "analyze",
        "register",
        "Rank every function's findings by the dollars a month at stake, without invoking any.",
    ),
    "apply": Part(
        "apply",
        "register",
        "Apply a result's recommended memory to templates or to the live functions.",
    ),
    "merge": Part(
        "merge",
        "register",
        "Join the results of a sharded fleet run (`tune --shard K/N`) into one result.",
    ),
    "logs": Part(
        "logs", "app", "Read Lambda platform log records (REPORT, INIT_REPORT, RESTORE_REPORT)."
    ),
    "pricing": Part(
        "pricing",
        "app",
        "The pricing catalog and cost estimates (Lambda, Fargate, logs, Managed Instances).",
    ),
    "local": Part(
        "local",
        "app",
        "Run Lambda handlers locally behind Lambda's own API (no AWS account needed).",
    ),
}


def _grouped_help(part: typer.Typer) -> typer.Typer:
    """Every command of ``part`` prints its options in sections by purpose (PanelHelp), in
    click's plain layout as the root does (typer's own default would draw rich boxes)."""
    part.rich_markup_mode = None
    for info in part.registered_commands:
        if info.cls in (None, typer.core.TyperCommand):  # (typer fills in its default)
            info.cls = PanelHelp
    for group in part.registered_groups:
        if getattr(group.cls, "value", group.cls) in (None, typer.core.TyperGroup):  # (a default)
            group.cls = PanelGroup
        if group.typer_instance is not None:
            _grouped_help(group.typer_instance)
    return part


def load_command(name: str) -> Command | None:
    """The click command ``name``, built from its module (imported now, not before)."""
    part = COMMANDS.get(name)
    if part is None:
        return None
    module = importlib.import_module(f"powertune_cli.{part.module}")
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)
    if part.attr == "app":
        holder.add_typer(getattr(module, part.attr), name=name)
    else:
        module.register(holder)
    return typer.main.get_group(_grouped_help(holder)).commands.get(name)


app = typer.Typer(
    name="powertune",
    help="Find the right memory size (and architecture) for AWS Lambda functions, in $ per month.",
    no_args_is_help=True,
    # `powertune --install-completion` / `--show-completion` for bash, zsh, fish, PowerShell
    add_completion=True,
    pretty_exceptions_enable=False,
    # usage errors: one line, exit 2; commands load on use (COMMANDS above)
    cls=LazyCommands.over({name: part.summary for name, part in COMMANDS.items()}, load_command),
    # click's plain help: rich's boxed panels truncate long option names at 80 columns
    rich_markup_mode=None,
    # -h as well as --help, in every command; help wraps at the terminal's width (at most 100)
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version(value: bool) -> None:
    if value:
        print(f"powertune {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """powertune: tune, price and gate AWS Lambda memory settings."""


def _invoke() -> int | str | None:
    try:
        app()
    except SystemExit as exc:
        return exc.code
    except KeyboardInterrupt:
        return 130
    return 0


def main() -> None:
    """Console-script entry point. SIGINT, SIGTERM and SIGHUP all stop a run the same way, from
    the first line: a stop while a command loads is exit 128 + the signal with one line."""
    stopping.install()
    try:
        code = _invoke()
    except KeyboardInterrupt:  # a second stop signal while the first one unwinds
        code = 130
    stopping.leave()  # from here on, another stop signal ends the process at once
    signum = stopping.received()
    if signum is None:
        sys.exit(code)
    if code == 0:  # the command handled the signal itself (`local serve` stops cleanly)
        os._exit(0)
    # Stopped: the function is restored by now. Exit at once, without joining the threads of
    # invocations still in flight (their results are discarded; Lambda allows 900 s each).
    try:
        print(f"powertune: interrupted ({stopping.name(signum)})", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(stopping.exit_code())


if __name__ == "__main__":
    main()
