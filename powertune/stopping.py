"""Stop signals: SIGINT, SIGTERM and SIGHUP all mean "stop, put the function back, exit".

SIGTERM is what CI runners send on cancel and what ``docker stop`` and Kubernetes send; SIGHUP
comes when the terminal goes away. ``install`` makes each of them raise ``Stopped`` (a
KeyboardInterrupt, so every ``finally`` that restores runs) in the main thread; ``deferred``
holds them off while a restore runs (a second signal abandons it). ``exit_code`` is 128 + the
first signal's number, as shells report a process killed by it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
_first: int | None = None


class Stopped(KeyboardInterrupt):
    """A stop signal arrived."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def received() -> int | None:
    """The first stop signal this process received, if any."""
    return _first


def exit_code() -> int:
    return 128 + (_first if _first is not None else signal.SIGINT)


def name(signum: int) -> str:
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


def _note(signum: int) -> None:
    global _first
    if _first is None:
        _first = signum


def _raise_stopped(signum: int, frame: Any) -> None:
    _note(signum)
    raise Stopped(signum)


def install() -> None:
    """Make every stop signal raise Stopped in the main thread (from the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in STOP_SIGNALS:
        with contextlib.suppress(ValueError, OSError):
            if signum == signal.SIGHUP and signal.getsignal(signum) == signal.SIG_IGN:
                continue  # started under nohup: keep ignoring hang-ups
            signal.signal(signum, _raise_stopped)


@contextlib.contextmanager
def deferred(say: Callable[[str], None]) -> Iterator[None]:
    """While a restore runs, a first stop signal is noted (the restore goes on); a second one
    abandons it. When a signal came, Stopped is raised once the block is done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    seen: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        _note(signum)
        seen.append(signum)
        if len(seen) == 1:
            again = "press Ctrl-C again" if signum == signal.SIGINT else "send it again"
            say(f"restoring the function; {again} to abandon the restore")
            return
        say("restore abandoned: run `powertune cleanup FUNCTION` to finish it")
        raise Stopped(signum)

    previous: dict[signal.Signals, Any] = {}
    try:
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not in the main interpreter
        for number, old in previous.items():
            signal.signal(number, old)
        yield
        return
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
    if seen:
        raise Stopped(seen[0])  # the user asked to stop; the restore finished first


def _exit_now(signum: int, frame: Any) -> None:
    first = _first is None
    _note(signum)
    if first:  # nothing said so far: the one line
        with contextlib.suppress(OSError):
            os.write(2, f"powertune: interrupted ({name(signum)})\n".encode())
    os._exit(exit_code())


def leave() -> None:
    """The command is done (or stopping): another stop signal ends the process at once, with
    no traceback from half-finished clean-up code (a second Ctrl-C while the first unwinds)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in STOP_SIGNALS:
        with contextlib.suppress(ValueError, OSError):
            if signal.getsignal(signum) == signal.SIG_IGN:
                continue
            signal.signal(signum, _exit_now)
