"""One execution environment: a separate Python process that runs one handler, kept warm.

Run as a script (``python _worker.py``), never imported by the server, so it stays light and the
handler's imports are its own. It joins its CPU cgroup before doing anything else, imports the
handler (the INIT phase), then answers invocations over two pipes:

    frame = 4-byte big-endian header length, 4-byte body length, JSON header, raw body

Handler output (print, logging) is captured per invocation and sent back as log text.
"""

from __future__ import annotations

import os
import sys
import time

_STARTED = time.perf_counter()

# Join the CPU cgroup first so the INIT phase is throttled like the invocations.
# Every cgroup it is given: CPU quota, and memory limit (which then covers its children too).
for _group_procs in filter(None, os.environ.pop("_PT_CGROUP_PROCS", "").split(os.pathsep)):
    with open(_group_procs, "w") as _procs:
        _procs.write(str(os.getpid()))

import contextlib  # noqa: E402
import importlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import struct  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from typing import Any  # noqa: E402

_IN_FD = int(os.environ.pop("_PT_IN_FD"))
_OUT_FD = int(os.environ.pop("_PT_OUT_FD"))
_CODE_DIR = os.environ.pop("_PT_CODE_DIR")
_HANDLER = os.environ.pop("_PT_HANDLER")
_LOG_FORMAT = os.environ.pop("_PT_LOG_FORMAT", "Text")
# Only the CPU model needs run-queue figures; under a cgroup quota reading them would cost the
# handler's own CPU share.
_MEASURE_WAIT = os.environ.pop("_PT_MEASURE_WAIT", "") == "1"
# An invocation's captured output is kept up to _MAX_LOG characters (the server's memory is
# bounded by it); a response above _MAX_PAYLOAD bytes is Lambda's Function.ResponseSizeTooLarge.
_MAX_LOG = int(os.environ.pop("_PT_MAX_LOG", str(4 << 20)))
_MAX_PAYLOAD = int(os.environ.pop("_PT_MAX_PAYLOAD", str(6 << 20)))
_MAX_ERROR = 256 * 1024  # characters of an exception's message kept in the error response


def _read_exact(n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(_IN_FD, n)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _send(header: dict[str, Any], body: bytes = b"") -> None:
    head = json.dumps(header).encode()
    data = struct.pack(">II", len(head), len(body)) + head + body
    view = memoryview(data)
    while view:
        written = os.write(_OUT_FD, view)
        view = view[written:]


def _receive() -> tuple[dict[str, Any], bytes]:
    head_len, body_len = struct.unpack(">II", _read_exact(8))
    header = json.loads(_read_exact(head_len))
    return header, _read_exact(body_len)


class _Capture(io.TextIOBase):
    """Collects what the handler writes, as Lambda collects stdout and stderr."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self._size = 0
        self._dropped = 0
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            room = _MAX_LOG - self._size
            if len(text) > room:
                self._dropped += len(text) - max(room, 0)
                text = text[: max(room, 0)]
            if text:
                self.parts.append(text)
                self._size += len(text)
        return len(text)

    def take(self) -> str:
        with self._lock:
            text = "".join(self.parts)
            if self._dropped:
                text += (
                    f"\n[powertune local: {self._dropped} more characters of output dropped; "
                    f"an invocation's log is kept up to {_MAX_LOG}]\n"
                )
            self.parts = []
            self._size = self._dropped = 0
        return text


class _Context:
    """The subset of the Lambda context object handlers commonly use."""

    def __init__(self, header: dict[str, Any], deadline: float) -> None:
        self.aws_request_id = header["request_id"]
        self.function_name = header["function_name"]
        self.function_version = header["version"]
        self.invoked_function_arn = header["invoked_arn"]
        self.memory_limit_in_mb = str(header["memory_mb"])
        self.log_group_name = header["log_group"]
        self.log_stream_name = header["log_stream"]
        self.client_context = header.get("client_context")
        self.identity = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.perf_counter()) * 1000))


_REQUEST_ID = ""


# --- run-queue delay, for the CPU model --------------------------------------------------------
# /proc/<tid>/schedstat: cumulative on-CPU ns, ns spent runnable but waiting for a CPU, slices.
# The wait is host contention (other processes), not the handler's own I/O, so the model takes it
# out of the wall time. Threads that end during an invocation report their totals as they end.
_ENDED: dict[int, tuple[int, int]] = {}
_ENDED_LOCK = threading.Lock()


def _schedstat(path: str) -> tuple[int, int] | None:
    try:
        with open(path) as stat:
            fields = stat.read().split()
        return int(fields[0]), int(fields[1])
    except (OSError, ValueError, IndexError):
        return None


def _live_threads() -> dict[int, tuple[int, int]]:
    found: dict[int, tuple[int, int]] = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return found
    for tid in tids:
        stat = _schedstat(f"/proc/self/task/{tid}/schedstat")
        if stat is not None:
            found[int(tid)] = stat
    return found


_original_run = threading.Thread.run


def _run_and_record(self: threading.Thread) -> None:
    try:
        _original_run(self)
    finally:
        stat = _schedstat("/proc/thread-self/schedstat")
        if stat is not None:
            with _ENDED_LOCK:
                _ENDED[threading.get_native_id()] = stat


if _MEASURE_WAIT:
    threading.Thread.run = _run_and_record  # type: ignore[method-assign]


def _contention(before: dict[int, tuple[int, int]]) -> tuple[float, int]:
    """Run-queue delay (s) spread over the busy threads, and how many threads were busy."""
    with _ENDED_LOCK:
        after = {**_ENDED, **_live_threads()}
        _ENDED.clear()
    delay_ns, busy = 0, 0
    for tid, (cpu, delay) in after.items():
        cpu0, delay0 = before.get(tid, (0, 0))
        if cpu - cpu0 >= 1_000_000:  # at least 1 ms on a CPU: a thread doing the handler's work
            # Only the working threads' waits count: an idle helper thread's wake-up delays say
            # nothing about the handler, and taking them out made a 20 ms wait report 16 ms.
            delay_ns += max(delay - delay0, 0)
            busy += 1
    return delay_ns / 1e9 / max(busy, 1), max(busy, 1)


class _LambdaFormatter(logging.Formatter):
    """Lambda's Python log line: [LEVEL]\\ttimestamp\\trequest id\\tmessage (or JSON)."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, timezone.utc)
        iso = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
        message = record.getMessage()
        if _LOG_FORMAT == "JSON":
            return json.dumps(
                {
                    "timestamp": iso,
                    "level": record.levelname,
                    "message": message,
                    "logger": record.name,
                    "requestId": _REQUEST_ID,
                }
            )
        return f"[{record.levelname}]\t{iso}\t{_REQUEST_ID}\t{message}"


def _peak_kb() -> int:
    """Peak resident memory in kB, for hosts without /proc (macOS reports bytes)."""
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


class _MarshalError(Exception):
    """The handler returned something JSON cannot carry."""


class _TooLarge(Exception):
    """The handler's response is above Lambda's synchronous payload limit."""


def _error_body(exc: BaseException) -> dict[str, Any]:
    return {
        "errorMessage": str(exc)[:_MAX_ERROR],  # a huge message must not overflow the reply
        "errorType": _ERROR_TYPES.get(type(exc), type(exc).__name__),
        "requestId": _REQUEST_ID,
        "stackTrace": traceback.format_tb(exc.__traceback__)[1:],
    }


_ERROR_TYPES: dict[type[BaseException], str] = {
    _MarshalError: "Runtime.MarshalError",
    _TooLarge: "Function.ResponseSizeTooLarge",
}


def _load_handler(capture: _Capture) -> Any:
    module_name, _, func_name = _HANDLER.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise _InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    handler = getattr(module, func_name, None)
    if handler is None:
        raise _InitError(
            "Runtime.HandlerNotFound", f"Handler '{func_name}' missing on module '{module_name}'"
        )
    return handler


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


# --- the handler's own processes ----------------------------------------------------------------
def _descendants() -> list[int]:
    # sandbox.descendants, written again: this script imports nothing of powertune.
    found, pending = [], [os.getpid()]
    while pending:
        parent = pending.pop()
        try:
            tids = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{parent}/task/{tid}/children") as children:
                    pids = [int(p) for p in children.read().split()]
            except (OSError, ValueError):
                continue
            found += pids
            pending += pids
    return found


def _end_everything() -> None:
    """End this worker's descendants and its process group, then itself."""
    for pid in _descendants():
        with contextlib.suppress(OSError):
            os.kill(pid, 9)
    try:
        os.killpg(0, 9)
    finally:
        os._exit(0)


def _guard() -> None:
    """After INIT (so its cost is in no Duration): become the subreaper of the handler's
    processes (one that double-forks stays in this tree, where the server finds and ends it),
    and end them all if the server dies without ending this worker (SIGKILL, a crash)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (ImportError, OSError, AttributeError):
        pass  # not Linux: the process group still covers what stays in it
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                _end_everything()

    threading.Thread(target=watch, name="powertune-parent-watch", daemon=True).start()


def main() -> None:
    global _REQUEST_ID
    # The handler's stdout goes to the invocation log; fd 1 itself goes nowhere (C-level prints).
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    capture = _Capture()
    sys.stdout = capture
    sys.stderr = capture
    root = logging.getLogger()
    log_handler = logging.StreamHandler(capture)
    log_handler.setFormatter(_LambdaFormatter())
    root.addHandler(log_handler)
    sys.path[0:1] = [_CODE_DIR]  # drop this script's directory, put the function code first
    os.chdir(_CODE_DIR)

    try:
        handler = _load_handler(capture)
    except _InitError as exc:
        _send(
            {
                "ok": False,
                "error": {"errorType": exc.error_type, "errorMessage": str(exc)},
                "logs": capture.take(),
                "cpu_s": time.process_time(),
                "wall_s": time.perf_counter() - _STARTED,
            }
        )
        return
    _send(
        {
            "ok": True,
            "logs": capture.take(),
            "cpu_s": time.process_time(),
            "wall_s": time.perf_counter() - _STARTED,
        }
    )
    _guard()

    while True:
        try:
            header, body = _receive()
        except EOFError:  # the server is gone or ended this environment
            _end_everything()
        _REQUEST_ID = header["request_id"]
        os.environ["_X_AMZN_TRACE_ID"] = header.get("trace_id", "")
        try:
            event = json.loads(body) if body else {}
        except ValueError:
            event = body.decode("utf-8", "replace")
        threads_before = _live_threads() if _MEASURE_WAIT else {}
        started = time.perf_counter()
        cpu_started = time.process_time()
        context = _Context(header, started + header["timeout_s"])
        reply: dict[str, Any] = {"ok": True}
        try:
            result = handler(event, context)
            try:
                payload = json.dumps(result).encode()
            except (TypeError, ValueError) as exc:
                raise _MarshalError(f"Unable to marshal response: {exc}") from None
            if len(payload) > _MAX_PAYLOAD:
                size = len(payload)
                del payload, result
                raise _TooLarge(
                    f"Response payload size ({size} bytes) exceeded maximum allowed payload "
                    f"size ({_MAX_PAYLOAD} bytes)."
                )
        except Exception as exc:
            error = _error_body(exc)
            trace = "".join(traceback.format_exception(exc))
            capture.write(f"[ERROR] {error['errorType']}: {exc}\n{trace}")
            reply = {"ok": False, "error": error}
            payload = json.dumps(error).encode()
        reply["wall_s"] = time.perf_counter() - started
        reply["cpu_s"] = time.process_time() - cpu_started
        if _MEASURE_WAIT:
            reply["wait_s"], reply["busy_threads"] = _contention(threads_before)
        reply["peak_kb"] = _peak_kb()
        reply["logs"] = capture.take()
        _send(reply, payload)


if __name__ == "__main__":
    main()
