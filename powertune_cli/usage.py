"""The root command's behaviour: one-line usage errors, commands loaded on use, grouped help.

``OneLineErrors`` runs the command tree in click's non-standalone mode and turns every click
error (unknown option, bad value, missing argument) into
``powertune: error: <message> (see `<command> --help`)``. ``LazyCommands`` lists the commands
from their names and summaries and builds one only when it is run, completed or asked for its
help. ``PanelHelp`` prints a command's options in sections (typer's ``rich_help_panel``), in
click's plain layout.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import typer.core
from typer import Abort, Exit

from powertune_cli.coerce import defer

try:  # typer < 0.22 depends on click; later versions vendor it
    from click import Command, Context, HelpFormatter
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError
    from click.shell_completion import CompletionItem
    from click.utils import make_default_short_help
except ImportError:  # pragma: no cover - depends on the typer installed
    from typer._click import (  # type: ignore[no-redef, unused-ignore]
        Command,
        Context,
        HelpFormatter,
    )
    from typer._click.exceptions import (  # type: ignore[no-redef, unused-ignore]
        ClickException,
        NoArgsIsHelpError,
        UsageError,
    )
    from typer._click.shell_completion import (  # type: ignore[no-redef, unused-ignore]
        CompletionItem,
    )
    from typer._click.utils import (  # type: ignore[no-redef, unused-ignore]
        make_default_short_help,
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


class LazyCommands(OneLineErrors):
    """A root group whose commands are built on first use: ``over(summaries, load)`` makes the
    class (typer takes a class), ``load(name)`` builds a command when it runs, completes or
    shows its help. Listing them (help, completion of a command name) reads ``summaries`` only.
    Its own options parse as PanelHelp's do."""

    summaries: ClassVar[Mapping[str, str]] = {}
    load: ClassVar[Callable[[str], Command | None]]

    def get_params(self, ctx: Context) -> list[Any]:
        return defer(super().get_params(ctx))

    @classmethod
    def over(
        cls, summaries: Mapping[str, str], load: Callable[[str], Command | None]
    ) -> type[LazyCommands]:
        members = {"summaries": dict(summaries), "load": staticmethod(load)}
        return type(cls.__name__, (cls,), members)

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.summaries)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in self.commands and cmd_name in self.summaries:
            command = type(self).load(cmd_name)
            if command is not None:
                self.commands[cmd_name] = command
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:  # typer suggests from the commands built so far: use them all
            import difflib

            close = difflib.get_close_matches(args[0], list(self.summaries)) if args else []
            if close and "Did you mean" not in exc.message:
                exc.message = (
                    exc.message.rstrip(".")
                    + ". Did you mean "
                    + ", ".join(repr(name) for name in close)
                    + "?"
                )
            raise

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in self.summaries)
        rows = [(name, make_default_short_help(s, limit)) for name, s in self.summaries.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: Context, incomplete: str) -> list[CompletionItem]:
        names = [
            CompletionItem(name, help=summary)
            for name, summary in self.summaries.items()
            if name.startswith(incomplete)
        ]
        # the root's own options (--version, --help, ...), as click completes them
        return names + super(typer.core.TyperGroup, self).shell_complete(ctx, incomplete)


class PanelGroup(typer.core.TyperGroup):
    """A command group (``logs``, ``pricing``): its options parse as PanelHelp's do."""

    def get_params(self, ctx: Context) -> list[Any]:
        return defer(super().get_params(ctx))


class PanelHelp(typer.core.TyperCommand):
    """Help with the options in sections by purpose (their ``rich_help_panel``), in the order
    the sections first appear in the signature; options without one come first. Values parse
    without pydantic where typer's answer is plain (powertune_cli.coerce)."""

    def get_params(self, ctx: Context) -> list[Any]:
        return defer(super().get_params(ctx))

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        arguments: list[tuple[str, str]] = []
        sections: dict[str, list[tuple[str, str]]] = {"Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append(record)
            else:
                panel = getattr(param, "rich_help_panel", None) or "Options"
                sections.setdefault(panel, []).append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
