"""Usage errors as one line on stderr (exit 2), instead of typer's multi-line boxes.

``OneLineErrors`` is the root command class: it runs the command tree in click's non-standalone
mode and turns every click error (unknown option, bad value, missing argument) into
``powertune: error: <message> (see `<command> --help`)``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer.core
from typer import Abort, Exit

try:  # typer < 0.22 depends on click; later versions vendor it
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - depends on the typer installed
    from typer._click.exceptions import (  # type: ignore[no-redef, unused-ignore]
        ClickException,
        NoArgsIsHelpError,
        UsageError,
    )

EXIT_USAGE = 2
MAX_MESSAGE = 300


def one_line(text: str) -> str:
    """Collapse whitespace (and cap the length: a message can quote user input)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_MESSAGE else flat[: MAX_MESSAGE - 3] + "..."


class OneLineErrors(typer.core.TyperGroup):
    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as exc:
            exc.show()  # `powertune` alone (or a group alone): the help it asked for
            sys.exit(exc.exit_code)
        except UsageError as exc:
            hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            print(f"powertune: error: {one_line(exc.format_message())}{hint}", file=sys.stderr)
            sys.exit(EXIT_USAGE)
        except ClickException as exc:
            print(f"powertune: error: {one_line(exc.format_message())}", file=sys.stderr)
            sys.exit(exc.exit_code)
        except Abort:
            print("powertune: interrupted", file=sys.stderr)
            sys.exit(130)
        except Exit as exc:
            sys.exit(exc.exit_code)
        sys.exit(code if isinstance(code, int) else 0)
