"""An execution environment: one warm worker process for one function version.

The server side of ``_worker.py``: spawns it (the INIT phase), sends it invocations, and watches
it while it runs, as Lambda does: resident memory above the configured size ends it
(Runtime.OutOfMemory), running past the timeout ends it (Status: timeout).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from powertune.local.cpu import CpuControl, cgroup_duration_s, model_duration_s
from powertune.local.limits import MAX_LOG_BYTES, MAX_SYNC_PAYLOAD, REPLY_GRACE_S
from powertune.local.sandbox import MemoryControl, kill_members, kill_tree, tree_rss_bytes

WORKER_SCRIPT = Path(__file__).with_name("_worker.py")
INIT_LIMIT_S = 10.0  # Lambda's INIT phase limit
POLL_S = 0.005  # how often a running environment's memory is checked
TREE_POLLS = 10  # without a memory cgroup, its children's memory is added every 10th poll
_FRAME_PREFIX = struct.Struct(">II")  # header length, body length (see _worker.py)
_PREFIX = _FRAME_PREFIX.size
# A reply frame's bounds: the worker cuts logs at MAX_LOG_BYTES characters (JSON escaping can
# make one character six bytes) and refuses payloads above MAX_SYNC_PAYLOAD.
MAX_REPLY_HEADER = 6 * MAX_LOG_BYTES + (1 << 20)
MAX_REPLY_BODY = MAX_SYNC_PAYLOAD + (1 << 20)
_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")


@dataclass
class Outcome:
    """What one phase (init or invoke) of an environment produced."""

    status: str  # "success" | "handler_error" | "error" | "timeout"
    duration_ms: float
    logs: str = ""
    payload: bytes = b""
    error_type: str | None = None
    error_message: str | None = None
    max_memory_mb: int = 0
    cpu_s: float = 0.0  # the worker's CPU time in this phase (all threads)

    @property
    def alive_after(self) -> bool:
        """Whether the environment survives (Lambda keeps it after a handler's own exception)."""
        return self.status in ("success", "handler_error")


class Environment:
    """One worker process. Not thread-safe: the pool hands it to one invocation at a time."""

    def __init__(
        self,
        *,
        code_dir: Path,
        handler: str,
        memory_mb: int,
        log_format: str,
        env_vars: dict[str, str],
        cpu: CpuControl,
        log_stream: str,
        memory: MemoryControl | None = None,
    ) -> None:
        self.memory_mb = memory_mb
        self.log_stream = log_stream
        self._cpu = cpu
        self._memory = memory
        self._limit_bytes = memory_mb * 1024 * 1024
        self._procs_file: Path | None = None
        self._memory_group: Path | None = None
        self.alive = False
        try:
            self._procs_file = cpu.new_group(memory_mb)
            self._memory_group = memory.new_group(memory_mb) if memory is not None else None
            self._start(code_dir, handler, log_format, env_vars)
        except BaseException:
            for fd in (getattr(self, "_to_child", -1), getattr(self, "_from_child", -1)):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._remove_groups()  # a failed start leaves no cgroup or pipe behind
            raise

    def _start(
        self, code_dir: Path, handler: str, log_format: str, env_vars: dict[str, str]
    ) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        environ = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
        environ.update(env_vars)
        environ.update(
            {
                "_PT_IN_FD": str(to_child_r),
                "_PT_OUT_FD": str(from_child_w),
                "_PT_CODE_DIR": str(code_dir),
                "_PT_HANDLER": handler,
                "_PT_LOG_FORMAT": log_format,
                "_PT_MEASURE_WAIT": "1" if self._cpu.mode == "model" else "0",
                "_PT_MAX_LOG": str(MAX_LOG_BYTES),
                "_PT_MAX_PAYLOAD": str(MAX_SYNC_PAYLOAD),
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        joins = [str(group / "cgroup.procs") for group in self._groups()]
        if joins:
            environ["_PT_CGROUP_PROCS"] = os.pathsep.join(joins)
        self._spawned = time.perf_counter()
        try:
            self._process = subprocess.Popen(
                [sys.executable, str(WORKER_SCRIPT)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=environ,
                cwd=str(code_dir),
                pass_fds=(to_child_r, from_child_w),
                start_new_session=True,  # Ctrl-C on the server reaches the server, not workers
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.pid = self._process.pid
        self.alive = True

    def _groups(self) -> list[Path]:
        """The cgroup directories this environment's processes live in."""
        groups = [self._memory_group] if self._memory_group is not None else []
        if self._procs_file is not None:
            groups.append(self._procs_file.parent)
        return groups

    def _remove_groups(self) -> None:
        self._cpu.remove_group(self._procs_file)
        if self._memory is not None:
            self._memory.remove_group(self._memory_group)

    def _oom_killed(self, before: int) -> bool:
        """Whether the kernel killed one of its processes for memory since ``before``."""
        return self._memory is not None and self._memory.oom_kills(self._memory_group) > before

    def _oom_count(self) -> int:
        return 0 if self._memory is None else self._memory.oom_kills(self._memory_group)

    # --- phases ----------------------------------------------------------------------------
    def init(self) -> Outcome:
        """Wait for the handler import; a failure or OOM here ends the environment."""
        result = self._wait_frame(self._spawned + INIT_LIMIT_S, self._spawned)
        wall_s = time.perf_counter() - self._spawned
        if isinstance(result, Outcome):
            return result
        header, _ = result
        cpu_s = float(header.get("cpu_s", 0.0))
        duration = self._duration_ms(wall_s, cpu_s)
        if not header["ok"]:
            self.kill()
            error = header["error"]
            return Outcome(
                "error",
                duration,
                logs=header.get("logs", ""),
                payload=json.dumps(error).encode(),
                error_type=error["errorType"],
                error_message=error["errorMessage"],
                max_memory_mb=self.max_memory_mb(),
                cpu_s=cpu_s,
            )
        return Outcome("success", duration, logs=header.get("logs", ""), cpu_s=cpu_s)

    def invoke(self, header: dict[str, Any], payload: bytes, timeout_s: float) -> Outcome:
        started = time.perf_counter()
        header = {**header, "timeout_s": timeout_s, "memory_mb": self.memory_mb}
        try:
            self._send(header, payload)
        except OSError:  # the worker died while idle (killed from outside)
            code = self._process.poll()
            self.kill()
            return self._crashed(started, code if code is not None else -9)
        result = self._wait_frame(started + timeout_s, started)
        if isinstance(result, Outcome):
            return result
        reply, body = result
        self._reported_kb = int(reply.get("peak_kb", 0))
        if self._peak_bytes() > self._limit_bytes:  # a spike between two polls still counts
            self.kill()
            return self._out_of_memory(started)
        duration = self._duration_ms(
            float(reply["wall_s"]), float(reply["cpu_s"]), float(reply.get("wait_s", 0.0))
        )
        memory = self.max_memory_mb()
        if duration > timeout_s * 1000:  # the model stretched it past the timeout
            self.kill()
            return self._timeout(timeout_s, reply.get("logs", ""))
        cpu_s = float(reply["cpu_s"])
        if reply["ok"]:
            return Outcome(
                "success", duration, reply.get("logs", ""), body, max_memory_mb=memory, cpu_s=cpu_s
            )
        error = reply["error"]
        return Outcome(
            "handler_error",
            duration,
            reply.get("logs", ""),
            body,
            error_type=error["errorType"],
            error_message=error["errorMessage"],
            max_memory_mb=memory,
            cpu_s=cpu_s,
        )

    # --- plumbing --------------------------------------------------------------------------
    def _duration_ms(self, wall_s: float, cpu_s: float, wait_s: float = 0.0) -> float:
        if self._cpu.mode == "model":
            wall_s = model_duration_s(wall_s, cpu_s, self.memory_mb, wait_s, self._cpu.host_cpus)
        else:
            wall_s = cgroup_duration_s(wall_s, cpu_s, self.memory_mb)
        return wall_s * 1000.0

    def _send(self, header: dict[str, Any], body: bytes) -> None:
        head = json.dumps(header).encode()
        view = memoryview(struct.pack(">II", len(head), len(body)) + head + body)
        while view:
            view = view[os.write(self._to_child, view) :]

    def _wait_frame(
        self, deadline: float, started: float
    ) -> tuple[dict[str, Any], bytes] | Outcome:
        """Read one reply frame, or end the environment on OOM, timeout or crash.

        The worker writes its reply only when the handler is done (its own clock measured the
        duration), so once the first byte is here the deadline no longer applies: the transfer
        gets REPLY_GRACE_S of its own. The buffer grows in place (linear in the reply's size)."""
        buffer = bytearray()
        need = _PREFIX
        sizes: tuple[int, int] | None = None
        transfer_deadline: float | None = None
        ooms = self._oom_count()
        polls = 0
        while True:
            if len(buffer) >= need:
                if sizes is None:
                    sizes = _FRAME_PREFIX.unpack(buffer[:_PREFIX])
                    if sizes[0] > MAX_REPLY_HEADER or sizes[1] > MAX_REPLY_BODY:
                        self.kill()  # not our worker's frame: someone wrote to its pipe
                        return self._crashed(started, -signal.SIGKILL)
                    need = _PREFIX + sizes[0] + sizes[1]
                    continue
                if self._oom_killed(ooms):  # a child of the handler went over: Lambda's sandbox
                    self.kill()  # would have held them all to the limit
                    return self._out_of_memory(started)
                header = json.loads(bytes(buffer[_PREFIX : _PREFIX + sizes[0]]))
                return header, bytes(buffer[_PREFIX + sizes[0] : need])
            now = time.perf_counter()
            limit = deadline if transfer_deadline is None else transfer_deadline
            if now >= limit:
                self.kill()
                return self._timeout(deadline - started, "")
            ready, _, _ = select.select([self._from_child], [], [], min(POLL_S, limit - now))
            if ready:
                chunk = os.read(self._from_child, min(need - len(buffer), 1 << 20))
                if not chunk:
                    code = self._process.wait()
                    self.kill()
                    if self._oom_killed(ooms):
                        return self._out_of_memory(started)
                    return self._crashed(started, code)
                if transfer_deadline is None:
                    transfer_deadline = time.perf_counter() + REPLY_GRACE_S
                buffer += chunk
                continue
            polls += 1
            if self._rss_bytes() > self._limit_bytes or (
                polls % TREE_POLLS == 0
                and (self._memory is None or not self._memory.enforced)
                and tree_rss_bytes(self.pid) > self._limit_bytes
            ):
                self.kill()
                return self._out_of_memory(started)

    def _timeout(self, timeout_s: float, logs: str) -> Outcome:
        return Outcome(
            "timeout",
            timeout_s * 1000.0,
            logs,
            error_type="Sandbox.Timedout",
            error_message=f"Task timed out after {timeout_s:.2f} seconds",
            max_memory_mb=self._last_hwm_mb,
        )

    def _out_of_memory(self, started: float) -> Outcome:
        return Outcome(
            "error",
            (time.perf_counter() - started) * 1000.0,
            error_type="Runtime.OutOfMemory",
            error_message="Runtime exited with error: signal: killed",
            max_memory_mb=self.memory_mb,
        )

    def _crashed(self, started: float, code: int) -> Outcome:
        how = (
            f"signal: {signal.Signals(-code).name.lower()[3:]}"
            if code < 0
            else f"exit status {code}"
        )
        return Outcome(
            "error",
            (time.perf_counter() - started) * 1000.0,
            error_type="Runtime.ExitError",
            error_message=f"Runtime exited with error: {how}",
            max_memory_mb=self._last_hwm_mb,
        )

    _last_hwm_mb = 0

    def _status_kb(self) -> dict[str, int]:
        values: dict[str, int] = {}
        with contextlib.suppress(OSError, ValueError), open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, amount = line.split(":", 1)
                    values[key] = int(amount.split()[0])
        return values

    def _rss_bytes(self) -> int:
        values = self._status_kb()
        if "VmHWM" in values:
            self._last_hwm_mb = -(-values["VmHWM"] // 1024)
        return values.get("VmRSS", 0) * 1024

    _reported_kb = 0  # the worker's own peak figure (getrusage), where /proc is missing

    def _peak_bytes(self) -> int:
        values = self._status_kb()
        # Linux: VmHWM. ru_maxrss is no use there: it keeps the forking server's size across exec.
        peak_kb = values.get("VmHWM", self._reported_kb)
        if peak_kb:
            self._last_hwm_mb = -(-peak_kb // 1024)
        return peak_kb * 1024

    def max_memory_mb(self) -> int:
        """Peak resident memory of the environment so far, in MB (rounded up)."""
        self._peak_bytes()
        return max(min(self._last_hwm_mb, self.memory_mb), 1)

    def exited(self) -> bool:
        """Whether the worker ended on its own (or was killed from outside) while idle."""
        return self._process.poll() is not None

    def kill(self) -> None:
        """End the worker and remove its cgroup. Safe to call twice."""
        if not self.alive:
            return
        self.alive = False
        kill_tree(self.pid, self._groups())  # its children too, wherever they went
        with contextlib.suppress(OSError):
            self._process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        kill_members(self._groups())  # one that forked while the tree was killed
        self._remove_groups()
