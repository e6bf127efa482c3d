"""Shared CLI plumbing: one error line on stderr and a distinct exit code, never a traceback."""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import typer

from powertune.errors import PowertuneError
from powertune.files import check_output_path, open_atomic
from pricing.errors import PricingError

F = TypeVar("F", bound=Callable[..., Any])

# The AWS options every command that calls AWS shares, with the same help and meaning.
REGION_HELP = (
    "AWS region (default: AWS_REGION, then AWS_DEFAULT_REGION, then the profile's region)."
)
PROFILE_HELP = "AWS named profile (default: AWS_PROFILE); an unknown one is exit 2."
ENDPOINT_HELP = "Lambda's endpoint only (a local runtime, moto, LocalStack)."
MONITORING_ENDPOINT_HELP = "CloudWatch and CloudWatch Logs endpoint (default: AWS's own)."

EXIT_USAGE = 2
EXIT_TOOL = 3


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise."""
    print(f"powertune: error: {message}", file=sys.stderr)
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn powertune's and pricing's errors (and a few OS ones) into one stderr line and an
    exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = func(*args, **kwargs)
            sys.stdout.flush()  # a full disk or closed pipe shows here, not at exit
            return result
        except (PowertuneError, PricingError) as exc:  # both carry their exit code
            raise fail(str(exc), exc.exit_code) from None
        except FileNotFoundError as exc:
            raise fail(f"no such file: {exc.filename}", EXIT_USAGE) from None
        except IsADirectoryError as exc:
            raise fail(f"is a directory: {exc.filename}", EXIT_USAGE) from None
        except PermissionError as exc:
            raise fail(f"permission denied: {exc.filename}", EXIT_TOOL) from None
        except RecursionError:
            raise fail("input nested too deeply to read", EXIT_TOOL) from None
        except UnicodeDecodeError as exc:
            raise fail(f"input is not UTF-8 text ({exc.reason})", EXIT_USAGE) from None
        except BrokenPipeError:
            # stdout closed early (for example piped into `head`): not an error worth a line.
            _silence_stdout()
            sys.stderr.close()
            raise typer.Exit(0) from None
        except OSError as exc:
            if exc.errno not in _WRITE_ERRORS:
                raise
            if exc.filename is None:  # standard output (a file's errors name the file)
                _silence_stdout()
            where = exc.filename or "standard output"
            raise fail(f"cannot write {where}: {exc.strerror or exc}", EXIT_TOOL) from None

    return wrapper  # type: ignore[return-value]


# Errors of a write that failed on the way out (the disk, the device, the pipe), not a bad input.
_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EPIPE}


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush of what is
    still buffered does not fail again (and print its own traceback) after our one line."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def verbosity(quiet: bool, verbose: bool) -> int:
    """-1 quiet, 0 normal, 1 verbose; -q and -v together is a usage error."""
    if quiet and verbose:
        raise fail("--quiet and --verbose exclude each other")
    return -1 if quiet else 1 if verbose else 0


OUTPUT_HELP = "Write the output to FILE instead of standard output (- for stdout)."


def output_option() -> Any:
    """``--output/-o FILE|-``: the one output convention of every command that prints a result
    (with ``--format`` for its shape)."""
    return typer.Option(None, "--output", "-o", metavar="FILE|-", help=OUTPUT_HELP)


@contextlib.contextmanager
def write_output(path: str | None) -> Iterator[None]:
    """Standard output goes to ``path`` (``-`` or None: stays standard output), streamed into a
    temporary file that replaces ``path`` only once the command succeeded (``open_atomic``), so a
    failed run leaves no half file and memory does not grow with the output. The path is
    checked before the command runs."""
    if path is None or path == "-":
        yield
        return
    check_output_path(path)
    with open_atomic(path) as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        with contextlib.redirect_stdout(text):
            yield
        text.flush()
        text.detach()  # the handle is open_atomic's to close


def writes_output(func: F) -> F:
    """For a command with an ``output`` parameter (``output_option()``): its standard output
    goes there."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with write_output(kwargs.get("output")):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
