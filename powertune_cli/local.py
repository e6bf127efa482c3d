"""`powertune local serve`: the embedded Lambda-compatible runtime as a long-running server."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

import typer

from powertune.errors import InputError, PowertuneError
from powertune.local import LocalLambda
from powertune.local.cpu import CPU_MODES
from powertune.local.errors import ApiError
from powertune.local.packaging import parse_function_option
from powertune_cli.common import handle_errors

if TYPE_CHECKING:
    from powertune.local.template import TemplateFunction

app = typer.Typer(
    help="Run Lambda handlers locally behind Lambda's own API (no AWS account needed).",
    no_args_is_help=True,
)


def _say(message: str) -> None:
    print(f"powertune local: {message}", file=sys.stderr, flush=True)


@app.command("serve", epilog="Example: powertune local serve -f orders=./handler.py --port 9001")
@handle_errors
def serve(
    host: str = typer.Option(
        "127.0.0.1", help="Address to bind (loopback unless you trust the network)."
    ),
    port: int = typer.Option(9001, help="Port to listen on (0 picks a free one)."),
    function: list[str] = typer.Option(
        [],
        "--function",
        "-f",
        help="NAME=PATH[:module.handler], PATH a handler directory or .py file. Repeatable.",
    ),
    cpu: str = typer.Option("auto", help=f"CPU that follows memory: {'|'.join(CPU_MODES)}."),
    concurrency: int | None = typer.Option(
        None, min=1, help="Most simultaneous invocations (TooManyRequestsException above)."
    ),
    cpus: float | None = typer.Option(
        None,
        help="CPUs to give the environments (default: what this process may use); invocations "
        "beyond their shares wait, unbilled.",
    ),
    allow_remote: bool = typer.Option(
        False,
        "--allow-remote",
        help="Allow a --host other than loopback (there is no authentication: trusted networks).",
    ),
    template: str | None = typer.Option(
        None,
        "--template",
        "-t",
        metavar="FILE",
        help="A SAM or CloudFormation template: serve every function in it (Globals applied), "
        "by its physical name and its logical ID.",
    ),
    stack_name: str | None = typer.Option(
        None,
        "--stack-name",
        help="With --template: name functions without a FunctionName as CloudFormation does "
        "(STACK-LogicalId-SUFFIX); without it, by their logical IDs, as `sam local`.",
    ),
    parameter: list[str] = typer.Option(
        [],
        "--parameter",
        metavar="KEY=VALUE",
        help="With --template: a template parameter's value (default: its Default). Repeatable.",
    ),
) -> None:
    """Serve the Lambda and CloudWatch Logs APIs until interrupted (Ctrl-C).

    Example: powertune local serve --template template.yaml --stack-name orders
    """
    if not 0 <= port <= 65535:
        raise InputError(f"--port must be within 0-65535, not {port}")
    specs = [parse_function_option(option) for option in function]
    template_functions = _template_functions(template, stack_name, parameter)
    server = LocalLambda(
        host=host,
        port=port,
        cpu=cpu,
        concurrency=concurrency,
        cpus=cpus,
        allow_remote=allow_remote,
        functions={spec.name: f"{spec.path}:{spec.handler}" for spec in specs},
    )
    for warning in server.warnings:
        _say(f"warning: {warning}")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {}
    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None and signal.getsignal(signum) != signal.SIG_IGN:  # nohup: ignore
            previous[signum] = signal.signal(signum, on_signal)
    try:  # every way out (a failed start, Ctrl-C, a signal) ends workers, cgroups and folders
        try:
            lines = [_create(server, found, stack_name) for found in template_functions]
            server.start()
        except OSError as exc:
            raise PowertuneError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
        _say(f"listening on {server.endpoint_url}")
        _say(f"cpu mode: {server.cpu_mode} ({server.cpu_reason})")
        _say(f"memory: {server.memory_reason}")
        _say(
            f"{server.host_cpus.count:g} CPUs ({server.host_cpus.source}): invocations beyond "
            f"their CPU shares wait, unbilled; {server.lanes} environments per version"
        )
        for spec in specs:
            _say(f"function {spec.name}: {spec.path} ({spec.handler})")
        for text in lines:
            for line in text.splitlines():
                _say(line)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        _say("stopping")
    finally:
        try:
            server.stop()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _create(server: LocalLambda, found: TemplateFunction, stack_name: str | None) -> str:
    """Create one template function; the line that says what it is (or why it is not run)."""
    if not found.runnable:
        return f"function {found.name} ({found.logical_id}): not runnable locally: {found.reason}"
    try:
        server.add_template_function(found, stack_name)
    except OSError as exc:
        raise InputError(f"{found.logical_id}: cannot read {found.code_path}: {exc}") from exc
    except ApiError as exc:
        raise InputError(f"{found.logical_id}: {exc.message}") from exc
    line = (
        f"function {found.name} ({found.logical_id}): {found.code_path} "
        f"({found.handler}, {found.memory_mb} MB, {found.timeout_s} s)"
    )
    return "\n".join([line, *(f"  {found.logical_id}: {note}" for note in found.notes)])


def _template_functions(
    template: str | None, stack_name: str | None, parameter: list[str]
) -> list[TemplateFunction]:
    if template is None:
        if stack_name is not None or parameter:
            raise InputError("--stack-name and --parameter go with --template")
        return []
    from powertune.local.template import load_template

    values: dict[str, str] = {}
    for option in parameter:
        key, sep, value = option.partition("=")
        if not sep or not key:
            raise InputError(f"bad --parameter {option!r}: expected KEY=VALUE")
        values[key] = value
    return load_template(template, stack_name=stack_name, parameters=values)
