"""Shared CLI plumbing: one error line on stderr and a distinct exit code, never a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from powertune.errors import PowertuneError
from pricing.errors import PricingError

F = TypeVar("F", bound=Callable[..., Any])

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
            return func(*args, **kwargs)
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
            sys.stderr.close()
            raise typer.Exit(0) from None

    return wrapper  # type: ignore[return-value]
