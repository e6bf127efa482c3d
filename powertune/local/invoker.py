"""Runs invocations: warm environments per version, the concurrency limit, logs and REPORT records.

Each (function, version, revision) has its own pool of idle environments; an invocation takes an
idle one (warm) or starts a new one (cold: its INIT is reported as Init Duration and billed). An
environment is used by one invocation at a time, so N concurrent invocations make N environments.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from powertune.local import records
from powertune.local.cpu import CpuControl
from powertune.local.environment import Environment, Outcome
from powertune.local.errors import ApiError
from powertune.local.logstore import LogStore
from powertune.local.registry import Config, function_arn

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


class Invoker:
    def __init__(
        self,
        cpu: CpuControl,
        logs: LogStore,
        *,
        concurrency: int | None = None,
        region_of_env: str = "us-east-1",
    ) -> None:
        self.cpu = cpu
        self.logs = logs
        self.concurrency = concurrency
        self._region = region_of_env
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, str, str], list[Environment]] = {}
        self._busy: set[Environment] = set()
        self._retired: set[tuple[str, str, str]] = set()
        self._keys: dict[int, tuple[str, str, str]] = {}  # id(environment) -> its pool key
        self._in_flight = 0
        self._closed = False

    # --- environments ----------------------------------------------------------------------
    @staticmethod
    def _key(config: Config) -> tuple[str, str, str]:
        return (config.name, config.version, config.revision_id)

    def retire(self, name: str, version: str | None) -> None:
        """End the environments of ``name`` (one version, or all): its code or config changed."""
        with self._lock:
            doomed = []
            for key in list(self._idle):
                if key[0] == name and (version is None or key[1] == version):
                    doomed += self._idle.pop(key)
                    self._retired.add(key)
            for env_key in {self._env_key(e) for e in self._busy}:
                if env_key[0] == name and (version is None or env_key[1] == version):
                    self._retired.add(env_key)
        for env in doomed:
            env.kill()

    def _env_key(self, env: Environment) -> tuple[str, str, str]:
        return self._keys[id(env)]

    def _take(self, config: Config) -> Environment | None:
        """A warm idle environment for ``config`` (newest first), or None for a cold start."""
        with self._lock:
            if self._closed:
                raise ApiError("ServiceException", "The local runtime is shutting down.")
            idle = self._idle.get(self._key(config)) or []
            dead = []
            env = None
            while idle:
                candidate = idle.pop()
                if candidate.exited():
                    dead.append(candidate)
                    continue
                env = candidate
                self._busy.add(env)
                break
        for gone in dead:
            self._keys.pop(id(gone), None)
            gone.kill()  # reap it and remove its cgroup
        return env

    def _give_back(self, env: Environment, keep: bool) -> None:
        with self._lock:
            self._busy.discard(env)
            key = self._keys.get(id(env))
            if keep and env.alive and not self._closed and key not in self._retired:
                self._idle.setdefault(key, []).append(env)  # type: ignore[arg-type]
                surplus = self._surplus()
            else:
                self._keys.pop(id(env), None)
                surplus = [env]
        for old in surplus:
            old.kill()

    def _surplus(self) -> list[Environment]:
        count = sum(len(v) for v in self._idle.values())
        ended = []
        for envs in self._idle.values():
            while envs and count > MAX_IDLE_ENVIRONMENTS:
                ended.append(envs.pop(0))
                count -= 1
        return ended

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
        )
        with self._lock:
            self._keys[id(env)] = self._key(config)
            self._busy.add(env)
        return env

    # --- invocations -----------------------------------------------------------------------
    def _acquire_slot(self) -> None:
        with self._lock:
            if self.concurrency is not None and self._in_flight >= self.concurrency:
                raise ApiError(
                    "TooManyRequestsException",
                    "Rate Exceeded.",
                    reason="ReservedFunctionConcurrentInvocationLimitExceeded",
                )
            self._in_flight += 1

    def _release_slot(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def invoke(
        self,
        config: Config,
        payload: bytes,
        region: str,
        client_context: str | None = None,
        qualifier: str | None = None,
    ) -> InvokeResult:
        self._acquire_slot()
        try:
            return self._run(config, payload, region, client_context, qualifier=qualifier)
        finally:
            self._release_slot()

    def invoke_async(self, config: Config, payload: bytes, region: str) -> str:
        """Event invocation: accepted now, run in the background (errors only reach the logs)."""
        request_id = str(uuid.uuid4())

        def run() -> None:
            try:
                self._run(config, payload, region, None, request_id)
            except ApiError:
                pass  # shutting down: Lambda would retry an event later, there is no later here
            except Exception:
                log.exception("event invocation %s of %s failed", request_id, config.name)

        threading.Thread(target=run, name=f"event-{request_id}", daemon=True).start()
        return request_id

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

        env = self._take(config)
        if env is None:
            env = self._new_environment(config, region)
            cold = True
        else:
            cold = False
        try:
            result, keep = self._run_in(
                env, cold, config, payload, region, client_context, request_id, qualifier, log
            )
        except BaseException:
            self._give_back(env, keep=False)  # never leave a half-used environment behind
            raise
        self._give_back(env, keep=keep)
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

    def close(self) -> None:
        """End every environment (idle now; busy ones as they finish or are killed here)."""
        with self._lock:
            self._closed = True
            envs = [e for idle in self._idle.values() for e in idle] + list(self._busy)
            self._idle.clear()
        for env in envs:
            env.kill()

    def environment_count(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._idle.values()) + len(self._busy)


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
