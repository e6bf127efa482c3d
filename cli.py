"""The ``powertune`` command: a typer app that wires the sub-commands together.

Each command group lives in its own module under ``powertune_cli/``; this file only assembles them
and is the console-script entry point.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from powertune import __version__, stopping
from powertune_cli.usage import OneLineErrors

app = typer.Typer(
    name="powertune",
    help="Find the right memory size (and architecture) for AWS Lambda functions, in $ per month.",
    no_args_is_help=True,
    # `powertune --install-completion` / `--show-completion` for bash, zsh, fish, PowerShell
    add_completion=True,
    pretty_exceptions_enable=False,
    cls=OneLineErrors,  # usage errors: one line, exit 2
    # click's plain help: rich's boxed panels truncate long option names at 80 columns
    rich_markup_mode=None,
    # -h as well as --help, in every command; help wraps at the terminal's width (at most 100)
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)

# (module under powertune_cli, attribute, sub-command name or None to add commands at top level)
_PARTS: list[tuple[str, str, str | None]] = [
    ("logs", "app", "logs"),
    ("pricing", "app", "pricing"),
    ("local", "app", "local"),
    ("tune", "register", None),
    ("report", "register", None),
    ("analyze", "register", None),
    ("apply", "register", None),
    ("merge", "register", None),
]


def _assemble() -> None:
    for module_name, attr, name in _PARTS:
        try:
            module = importlib.import_module(f"powertune_cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"powertune_cli.{module_name}":
                continue  # that part is not built yet
            raise
        part = getattr(module, attr)
        if name is None:
            part(app)
        else:
            app.add_typer(part, name=name)


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


_assemble()


def main() -> None:
    """Console-script entry point. SIGINT, SIGTERM and SIGHUP all stop a run the same way."""
    stopping.install()
    code: int | str | None = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        code = 130
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
