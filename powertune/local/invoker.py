"""Runs invocations: admission by CPU share, warm environments per version, concurrency limits,
logs and REPORT records.

Each (function, version, revision) has its own pool of environments (``admission``): an admitted
invocation takes an idle one (warm) or starts a new one (cold: its INIT is reported as Init
Duration and billed). An environment runs one invocation at a time; a version has at most
``lanes`` of them, and invocations beyond what the CPUs can run at their full share wait, unbilled.
Reserved concurrency (PutFunctionConcurrency) and the account limit throttle synchronous
invocations with TooManyRequestsException, as Lambda does.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from powertune.local import records
from powertune.local.admission import Closed, Scheduler, Ticket
from powertune.local.cpu import CpuControl
from powertune.local.environment import Environment, Outcome
from powertune.local.errors import ApiError
from powertune.local.events import EventPool
from powertune.local.logstore import LogStore
from powertune.local.registry import Config, function_arn
from powertune.local.sandbox import MemoryControl
from powertune.models.cpu_share import vcpu_share

log = logging.getLogger("powertune.local")

TAIL_BYTES = 4096
MAX_IDLE_ENVIRONMENTS = 32  # beyond this many idle workers, the oldest are ended


@dataclass
class InvokeResult:
    """What the HTTP layer turns into an Invoke response."""

    payload: bytes
    executed_version: str
    function_error: str | None
    log_tail: str  # base64 of the last 4 KB of the invocation's log
    request_id: str
    report: records.Report
    queue_ms: float = 0.0  # waited for CPU share or a warm environment (not billed)


class Invoker:
    """Admits invocations by CPU share (``admission``), runs them in warm environments, writes
    their logs. ``concurrency`` is an account-level limit (TooManyRequestsException above it);
    ``reserved(name)`` a function's reserved concurrency (None: unreserved)."""

    def __init__(
        self,
        cpu: CpuControl,
        logs: LogStore,
        *,
        concurrency: int | None = None,
        region_of_env: str = "us-east-1",
        capacity: float = 1.0,
        lanes: int = 1,
        reserved: Callable[[str], int | None] = lambda name: None,
        cpus: Sequence[int] = (),
        memory: MemoryControl | None = None,
    ) -> None:
        self.cpu = cpu
        self.memory = memory
        self.logs = logs
        self.concurrency = concurrency
        self._region = region_of_env
        self._reserved = reserved
        self._lock = threading.Lock()
        self._busy: set[Environment] = set()
        self._in_flight = 0
        self._in_flight_by_name: dict[str, int] = {}
        self._closed = False
        self.scheduler: Scheduler[Environment] = Scheduler(
            capacity, lanes, max_idle=MAX_IDLE_ENVIRONMENTS, cpus=cpus
        )
        self._cpus = frozenset(cpus)
        self.throttles = 0
        self.events = EventPool()
        self.env_cpu_s = 0.0  # CPU time the environments spent, INIT included

    # --- environments ----------------------------------------------------------------------
    @staticmethod
    def _key(config: Config) -> tuple[str, str, str]:
        return (config.name, config.version, config.revision_id)

    def retire(self, name: str, version: str | None) -> None:
        """End the environments of ``name`` (one version, or all): its code or config changed."""

        def match(key: object) -> bool:
            assert isinstance(key, tuple)
            return bool(key[0] == name and (version is None or key[1] == version))

        for env in self.scheduler.retire(match):
            env.kill()

    def _new_environment(self, config: Config, region: str) -> Environment:
        today = datetime.now(timezone.utc).strftime("%Y/%m/%d")
        stream = f"{today}/[{config.version}]{uuid.uuid4().hex}"
        env_vars = {
            **config.env_vars,
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": config.version,
            "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_LOG_FORMAT": config.log_format,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
            "LAMBDA_TASK_ROOT": str(config.code_dir),
            "TZ": ":UTC",
            "POWERTUNE_LOCAL_CPU_MODE": self.cpu.mode,
        }
        env = Environment(
            code_dir=config.code_dir,
            handler=config.handler,
            memory_mb=config.memory_mb,
            log_format=config.log_format,
            env_vars=env_vars,
            cpu=self.cpu,
            log_stream=stream,
            memory=self.memory,
        )
        return env

    # --- invocations -----------------------------------------------------------------------
    def _acquire_slot(self, name: str, *, throttle: bool = True) -> None:
        with self._lock:
            if self._closed:
                raise ApiError("ServiceException", "The local runtime is shutting down.")
            reserved = self._reserved(name) if throttle else None
            if reserved is not None and self._in_flight_by_name.get(name, 0) >= reserved:
                self.throttles += 1
                raise ApiError(
                    "TooManyRequestsException",
                    "Rate Exceeded.",
                    reason="ReservedFunctionConcurrentInvocationLimitExceeded",
                )
            if throttle and self.concurrency is not None and self._in_flight >= self.concurrency:
                self.throttles += 1
                raise ApiError(
                    "TooManyRequestsException",
                    "Rate Exceeded.",
                    reason="ConcurrentInvocationLimitExceeded",
                )
            self._in_flight += 1
            self._in_flight_by_name[name] = self._in_flight_by_name.get(name, 0) + 1

    def _release_slot(self, name: str) -> None:
        with self._lock:
            self._in_flight -= 1
            left = self._in_flight_by_name.get(name, 1) - 1
            if left > 0:
                self._in_flight_by_name[name] = left
            else:
                self._in_flight_by_name.pop(name, None)

    def invoke(
        self,
        config: Config,
        payload: bytes,
        region: str,
        client_context: str | None = None,
        qualifier: str | None = None,
    ) -> InvokeResult:
        self._acquire_slot(config.name)
        try:
            return self._run(config, payload, region, client_context, qualifier=qualifier)
        finally:
            self._release_slot(config.name)

    def invoke_async(self, config: Config, payload: bytes, region: str) -> str:
        """Event invocation: queued now, run by the event pool (errors only reach the logs).
        Lambda queues events past a function's concurrency instead of throttling them; so do we,
        up to the queue's bound (``events``), past which the caller is throttled."""
        request_id = str(uuid.uuid4())

        def run() -> None:
            try:
                self._acquire_slot(config.name, throttle=False)
            except ApiError:
                return  # shutting down: Lambda would retry an event later, there is no later
            try:
                self._run(config, payload, region, None, request_id)
            except ApiError:
                pass  # shutting down, as above
            except Exception:
                log.exception("event invocation %s of %s failed", request_id, config.name)
            finally:
                self._release_slot(config.name)

        if not self.events.submit(run, len(payload)):
            with self._lock:
                self.throttles += 1
            raise ApiError(
                "TooManyRequestsException",
                "Rate Exceeded: too many Event invocations are waiting.",
                reason="ConcurrentInvocationLimitExceeded",
            )
        return request_id

    def _admit(self, config: Config) -> Ticket[Environment]:
        try:
            return self.scheduler.admit(self._key(config), vcpu_share(config.memory_mb))
        except Closed:
            raise ApiError("ServiceException", "The local runtime is shutting down.") from None

    def _run(
        self,
        config: Config,
        payload: bytes,
        region: str,
        client_context: str | None,
        request_id: str | None = None,
        qualifier: str | None = None,
    ) -> InvokeResult:
        request_id = request_id or str(uuid.uuid4())
        lines: list[tuple[int, str]] = []

        def log(text: str) -> None:
            now = int(time.time() * 1000)
            for line in text.splitlines():
                lines.append((now, line + "\n"))

        ticket = self._admit(config)  # waits for CPU share and an environment: never billed
        env = ticket.env
        if env is not None and env.exited():  # died while idle (killed from outside)
            env.kill()
            self.scheduler.replace_dead(ticket)
            env = None
        keep = False
        try:
            cold = env is None
            if env is None:
                env = self._new_environment(config, region)
            if self._cpus:
                pin(env.pid, {ticket.cpu} if ticket.cpu is not None else self._cpus)
            with self._lock:
                if self._closed:
                    raise ApiError("ServiceException", "The local runtime is shutting down.")
                self._busy.add(env)
            result, keep = self._run_in(
                env, cold, config, payload, region, client_context, request_id, qualifier, log
            )
            result.queue_ms = ticket.wait_s * 1000.0
        finally:  # never leave a half-used environment behind
            if env is not None:
                with self._lock:
                    self._busy.discard(env)
                    keep = keep and not self._closed
            for doomed in self.scheduler.finish(ticket, env, keep=keep):
                doomed.kill()
        self.logs.append(config.log_group, env.log_stream, lines)
        result.log_tail = _tail(lines)
        return result

    def _run_in(
        self,
        env: Environment,
        cold: bool,
        config: Config,
        payload: bytes,
        region: str,
        client_context: str | None,
        request_id: str,
        qualifier: str | None,
        log: Callable[[str], None],
    ) -> tuple[InvokeResult, bool]:
        """Run one invocation in ``env``; returns the result and whether ``env`` stays warm."""
        fmt = config.log_format
        init: Outcome | None = None
        if cold:
            log(records.init_start_record(config.version, fmt, _now_ms(), self.cpu.mode))
            init = env.init()
            self._count_cpu(init.cpu_s)
            log(init.logs)
        log(records.start_record(request_id, config.version, fmt, _now_ms()))
        if init is not None and init.status != "success":
            init_ms: float | None = init.duration_ms
            outcome = Outcome(
                "error",
                0.0,
                payload=init.payload,
                error_type=init.error_type,
                error_message=init.error_message,
                max_memory_mb=init.max_memory_mb,
            )
            if init.status == "timeout":
                outcome.error_type = "Runtime.InitTimeout"
        else:
            init_ms = None if init is None else init.duration_ms
            header = {
                "request_id": request_id,
                "function_name": config.name,
                "version": config.version,
                "invoked_arn": function_arn(region, config.name, qualifier),
                "log_group": config.log_group,
                "log_stream": env.log_stream,
                "client_context": client_context,
            }
            outcome = env.invoke(header, payload, float(config.timeout))
            self._count_cpu(outcome.cpu_s)
            log(outcome.logs)
        if outcome.status == "timeout":
            log(f"{records.iso_time(_now_ms())} {request_id} {outcome.error_message}")
        elif outcome.status == "error":
            log(f"RequestId: {request_id} Error: {outcome.error_message}\n{outcome.error_type}")
        end = records.end_record(request_id, fmt, _now_ms(), _done_status(outcome))
        if end:
            log(end)
        report = records.Report(
            request_id=request_id,
            duration_ms=outcome.duration_ms,
            memory_mb=config.memory_mb,
            max_memory_mb=outcome.max_memory_mb or env.max_memory_mb(),
            init_ms=init_ms,
            status=_done_status(outcome),
            error_type=outcome.error_type if outcome.status == "error" else None,
        )
        if fmt == "JSON":
            log(records.report_json(report, _now_ms()))
        else:
            log(records.report_text(report))
        result = InvokeResult(
            payload=_error_payload(outcome, request_id),
            executed_version=config.version,
            function_error=None if outcome.status == "success" else "Unhandled",
            log_tail="",
            request_id=request_id,
            report=report,
        )
        return result, outcome.alive_after

    def _count_cpu(self, cpu_s: float) -> None:
        with self._lock:
            self.env_cpu_s += cpu_s

    def close(self) -> None:
        """End every environment (idle now; busy ones are killed here, their runs end)."""
        with self._lock:
            self._closed = True
            busy = list(self._busy)
        try:
            for env in self.scheduler.close() + busy:
                env.kill()
        finally:
            self.events.close()

    def environment_count(self) -> int:
        return self.scheduler.environment_count()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _done_status(outcome: Outcome) -> str:
    # The runtime caught the handler's exception and reported it: for the platform that is a
    # successful run (platform.runtimeDone and platform.report say "success"; the text REPORT
    # has no Status). Only a runtime that died, ran out of memory or timed out is not.
    return "success" if outcome.status == "handler_error" else outcome.status


def _error_payload(outcome: Outcome, request_id: str) -> bytes:
    if outcome.status in ("success", "handler_error") or outcome.payload:
        return outcome.payload
    return json.dumps(
        {
            "errorType": outcome.error_type,
            "errorMessage": f"RequestId: {request_id} Error: {outcome.error_message}",
        }
    ).encode()


def _tail(lines: list[tuple[int, str]]) -> str:
    text = "".join(message for _, message in lines).encode()
    return base64.b64encode(text[-TAIL_BYTES:]).decode()


def pin(pid: int, cpus: Iterable[int]) -> None:
    """Every thread of ``pid`` onto ``cpus`` (a thread started by an earlier invocation keeps
    its own affinity otherwise). Best effort: a thread that just ended is skipped."""
    wanted = set(cpus)
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        tids = [pid]
    for tid in tids:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(tid, wanted)
