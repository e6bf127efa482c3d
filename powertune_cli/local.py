"""`powertune local serve`: the embedded Lambda-compatible runtime as a long-running server."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import typer

from powertune.errors import InputError, PowertuneError
from powertune.local import LocalLambda
from powertune.local.cpu import CPU_MODES
from powertune.local.packaging import parse_function_option
from powertune_cli.common import handle_errors

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
) -> None:
    """Serve the Lambda and CloudWatch Logs APIs until interrupted (Ctrl-C)."""
    if not 0 <= port <= 65535:
        raise InputError(f"--port must be within 0-65535, not {port}")
    specs = [parse_function_option(option) for option in function]
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

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        try:
            server.start()
        except OSError as exc:
            server.stop()
            raise PowertuneError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
        _say(f"listening on {server.endpoint_url}")
        _say(f"cpu mode: {server.cpu_mode} ({server.cpu_reason})")
        _say(
            f"{server.host_cpus.count:g} CPUs ({server.host_cpus.source}): invocations beyond "
            f"their CPU shares wait, unbilled; {server.lanes} environments per version"
        )
        for spec in specs:
            _say(f"function {spec.name}: {spec.path} ({spec.handler})")
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        _say("stopping")
        server.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
