"""The HTTP face of the local runtime: Lambda's REST API and CloudWatch Logs' JSON API on one port.

Clients are boto3 (or the AWS CLI) with ``endpoint_url``; signatures are not checked (any dummy
credentials work), the region comes from the SigV4 credential scope. There is no authentication:
bind to loopback unless the network is trusted.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import contextlib
import io
import json
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from powertune.errors import InputError
from powertune.local.capacity import HostCpus, available_cpus
from powertune.local.contention import RUNTIME_PATH, ContentionMeter, RuntimeInfo
from powertune.local.cpu import CpuControl
from powertune.local.errors import ApiError
from powertune.local.invoker import Invoker
from powertune.local.limits import (
    IDLE_TIMEOUT_S,
    MAX_API_BODY,
    MAX_ASYNC_PAYLOAD,
    MAX_CLIENT_CONTEXT,
    MAX_CPUS,
    MAX_SYNC_PAYLOAD,
    REQUEST_DEADLINE_S,
    SEND_DEADLINE_S,
)
from powertune.local.logstore import LogStore
from powertune.local.packaging import package_function, parse_function_spec
from powertune.local.registry import Registry, max_items
from powertune.local.sandbox import MemoryControl
from powertune.local.stacks import StackStore
from powertune.local.tags import TagStore, parse_function_arn
from powertune.models.cpu_share import MAX_MEMORY_MB
from powertune.validate import number

if TYPE_CHECKING:
    from powertune.local.template import TemplateFunction

log = logging.getLogger("powertune.local")

MAX_CONNECTIONS = 256  # connection threads at once; more are answered 503 at once
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_WORKDIR_PREFIX = "powertune-local-"
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
_FUNCTIONS = "/2015-03-31/functions"
# PutFunctionConcurrency and DeleteFunctionConcurrency use 2017-10-31, GetFunctionConcurrency
# 2019-09-30.
_CONCURRENCY_PREFIXES = ("/2017-10-31/functions/", "/2019-09-30/functions/")
_TAGS = "/2017-03-31/tags/"


def _placement_cpus(mode: str, count: float) -> list[int]:
    """The CPUs environments are placed on (``admission``): in cgroup mode, when the CPUs this
    process has are whole ones it may pin to; none otherwise (model mode measures CPU time, so
    where it ran does not matter; a fractional cgroup quota has no CPU to pin to)."""
    getaffinity = getattr(os, "sched_getaffinity", None)
    if mode != "cgroup" or getaffinity is None:
        return []
    cpus = sorted(getaffinity(0))
    return cpus if len(cpus) == count else []


_MALFORMED = re.compile(r"[0-9]{1,12}")  # ASCII digits only: int() also takes "١٢" and "1_0"


class _DeadlineReader(io.RawIOBase):
    """A connection's reads, bounded per request rather than per read: a request must arrive
    whole within REQUEST_DEADLINE_S of its first byte (one byte every few seconds no longer
    holds a thread forever); between requests a keep-alive connection may idle IDLE_TIMEOUT_S."""

    def __init__(self, sock: socket.socket, request_s: float, idle_s: float) -> None:
        self._sock = sock
        self._request_s = request_s
        self._idle_s = idle_s
        self.deadline: float | None = None  # None: no request started yet
        self.expired = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.deadline is None:
            self._sock.settimeout(self._idle_s)
        else:
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.expired = True
                raise TimeoutError("request deadline passed")
            self._sock.settimeout(left)
        try:
            count = self._sock.recv_into(buffer)
        except TimeoutError:
            self.expired = self.deadline is not None
            raise
        if count and self.deadline is None:
            self.deadline = time.monotonic() + self._request_s
        return count


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stalls
    timeout = None  # reads are bounded by _DeadlineReader, writes by SEND_DEADLINE_S
    request_deadline_s = REQUEST_DEADLINE_S
    idle_timeout_s = IDLE_TIMEOUT_S
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the plain reader: replaced by one with a whole-request deadline
        self._reader = _DeadlineReader(
            self.connection, self.request_deadline_s, self.idle_timeout_s
        )
        self.rfile = io.BufferedReader(self._reader)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def handle_one_request(self) -> None:
        self._reader.deadline = None
        self._reader.expired = False
        super().handle_one_request()  # a read timeout there closes the connection
        if self._reader.expired:
            self.close_connection = True
            self._late()

    def _late(self) -> None:
        """Answer a request that did not arrive in time (best effort: the client may be gone)."""
        error = ApiError("RequestTimeoutException", "The request did not arrive in time.", 408)
        body = json.dumps(error.lambda_body()).encode()
        head = (
            "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nx-amzn-errortype: {error.code}\r\n"
            "Connection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            self.connection.settimeout(1.0)
            self.connection.sendall(head.encode() + body)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    # --- entry points ----------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _body(self) -> bytes | None:
        """The request body, its length checked before a byte of it is read; None when the
        request was refused (413, 400) and the connection is to be closed."""
        given = self.headers.get_all("Content-Length") or []
        if self.headers.get("Transfer-Encoding"):
            if given:  # both: which one frames the body is ambiguous (request smuggling)
                self._refuse(
                    400, "InvalidRequestContentException", "Transfer-Encoding with Content-Length"
                )
            else:
                self._refuse(411, "InvalidRequestContentException", "Content-Length is required")
            return None
        texts = {text.strip() for text in given} or {"0"}
        text = texts.pop()
        if texts or not _MALFORMED.fullmatch(text):
            self._refuse(400, "InvalidRequestContentException", "malformed Content-Length")
            return None
        length = int(text)
        invoke = urlsplit(self.path).path.endswith("/invocations")
        limit = MAX_SYNC_PAYLOAD if invoke else MAX_API_BODY
        if length > limit:
            code = "RequestTooLargeException" if invoke else "InvalidRequestContentException"
            self._refuse(413, code, f"Request must be smaller than {limit} bytes")
            return None
        body = self.rfile.read(length) if length else b""
        if len(body) != length:  # the client closed before sending all it announced
            self.close_connection = True
            return None
        return body

    def _refuse(self, status: int, code: str, message: str) -> None:
        self.close_connection = True  # the unread body must not be taken for the next request
        self._reader.deadline = None  # nothing more is read from this connection
        error = ApiError(code, message, status)
        headers = {"x-amzn-errortype": code, "Connection": "close"}
        self._send_json(status, error.lambda_body(), headers)

    def _dispatch(self, method: str) -> None:
        try:
            self._serve(method)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the client hung up or went quiet: nobody to answer

    def _serve(self, method: str) -> None:
        body = self._body()
        if body is None:
            return
        target = self.headers.get("X-Amz-Target", "")
        if method == "POST" and target.startswith("Logs_20140328."):
            self._logs(target.split(".", 1)[1], body)
            return
        if method == "POST" and self.path in ("/", "") and b"Action=" in body:
            status, answer = self.server.local.stacks.handle(body)  # CloudFormation's query API
            self._send(status, answer, "text/xml")
            return
        try:
            self._lambda(method, body)
        except ApiError as exc:
            self._send_json(
                exc.status,
                exc.lambda_body(),
                {"x-amzn-errortype": exc.code},
            )
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            raise
        except Exception as exc:  # a bug here must not kill the connection without an answer
            log.exception("local runtime failed on %s %s", method, self.path)
            error = ApiError("ServiceException", f"local runtime error: {exc}", 500)
            self._send_json(500, error.lambda_body(), {"x-amzn-errortype": error.code})

    # --- responses -------------------------------------------------------------------------
    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.connection.settimeout(SEND_DEADLINE_S)  # whole sendall calls, not each chunk
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        headers = dict(headers or {})
        # Lambda answers a synchronous Invoke with the invocation's own request id.
        self.send_header("x-amzn-RequestId", headers.pop("x-amzn-RequestId", str(uuid.uuid4())))
        self.send_header("x-powertune-cpu-mode", self.server.local.cpu_mode)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _send_json(self, status: int, data: Any, headers: Mapping[str, str] | None = None) -> None:
        body = b"" if data is None else json.dumps(data).encode()
        self._send(status, body, headers=headers)

    def _region(self) -> str:
        found = _REGION.search(self.headers.get("Authorization", ""))
        return found.group(1) if found else "us-east-1"

    # --- CloudWatch Logs -------------------------------------------------------------------
    def _logs(self, operation: str, body: bytes) -> None:
        content_type = "application/x-amz-json-1.1"
        try:
            params = json.loads(body or b"{}")
            result = self.server.local.logs.handle(operation, params)
        except ApiError as exc:
            payload = json.dumps({"__type": exc.code, "message": exc.message}).encode()
            self._send(exc.status, payload, content_type)
            return
        except ValueError:
            payload = json.dumps({"__type": "SerializationException"}).encode()
            self._send(400, payload, content_type)
            return
        self._send(200, json.dumps(result).encode(), content_type)

    # --- Lambda ----------------------------------------------------------------------------
    def _lambda(self, method: str, body: bytes) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        local = self.server.local
        registry = local.registry
        region = self._region()
        if parts.path.startswith("/local-code/") and method == "GET":
            self._code(unquote(parts.path[len("/local-code/") :]).removesuffix(".zip"))
            return
        if parts.path == RUNTIME_PATH and method == "GET":
            self._send_json(200, local.runtime_info().to_json())
            return
        if parts.path.startswith(_CONCURRENCY_PREFIXES):
            self._concurrency(method, parts.path, body, region)
            return

        def json_body() -> dict[str, Any]:
            try:
                data = json.loads(body or b"{}")
            except ValueError as exc:
                raise ApiError("InvalidRequestContentException", f"bad JSON: {exc}") from exc
            if not isinstance(data, dict):
                raise ApiError("InvalidRequestContentException", "the body must be a JSON object")
            return data

        if parts.path.startswith(_TAGS):
            self._tags(method, unquote(parts.path[len(_TAGS) :]), parts.query, json_body)
            return
        if not parts.path.startswith(_FUNCTIONS):
            raise ApiError("UnknownOperationException", f"no route for {method} {parts.path}", 404)
        segments = [unquote(s) for s in parts.path[len(_FUNCTIONS) :].split("/") if s]
        qualifier = query.get("Qualifier")

        if not segments:
            if method == "POST":
                data = json_body()
                created = registry.create_function(data, region)
                if data.get("Tags"):  # CreateFunction's Tags, as TagResource would set them
                    local.tags.tag(region, created["FunctionName"], data["Tags"])
                self._send_json(201, created)
                return
            if method == "GET":
                self._send_json(
                    200,
                    registry.list_functions(
                        region, query.get("Marker"), max_items(query.get("MaxItems"))
                    ),
                )
                return
            raise ApiError("UnknownOperationException", f"no route for {method} {parts.path}", 404)
        name, rest = segments[0], segments[1:]
        route = (method, rest[0] if rest else "", len(rest))
        if route == ("GET", "", 0):
            url = f"{local.endpoint_url}/local-code/{name}.zip"
            found = registry.get_function(name, qualifier, region, url)
            found["Tags"] = local.tags.get(region, found["Configuration"]["FunctionName"])
            self._send_json(200, found)
        elif route == ("DELETE", "", 0):
            registry.delete_function(name, qualifier, region)
            if qualifier is None and ":" not in name:
                local.tags.forget(region, name)
            self._send(204, b"")
        elif route == ("GET", "configuration", 1):
            self._send_json(200, registry.get_configuration(name, qualifier, region))
        elif route == ("PUT", "configuration", 1):
            self._send_json(200, registry.update_configuration(name, json_body(), region))
        elif route == ("POST", "versions", 1):
            self._send_json(201, registry.publish_version(name, json_body(), region))
        elif route == ("GET", "versions", 1):
            self._send_json(
                200,
                registry.list_versions(
                    name, region, query.get("Marker"), max_items(query.get("MaxItems"))
                ),
            )
        elif route == ("POST", "aliases", 1):
            self._send_json(201, registry.create_alias(name, json_body(), region))
        elif route == ("GET", "aliases", 1):
            self._send_json(
                200,
                registry.list_aliases(
                    name,
                    region,
                    query.get("FunctionVersion"),
                    query.get("Marker"),
                    max_items(query.get("MaxItems")),
                ),
            )
        elif route == ("GET", "aliases", 2):
            self._send_json(200, registry.get_alias(name, rest[1], region))
        elif route == ("PUT", "aliases", 2):
            self._send_json(200, registry.update_alias(name, rest[1], json_body(), region))
        elif route == ("DELETE", "aliases", 2):
            registry.delete_alias(name, rest[1], region)
            self._send(204, b"")
        elif route == ("POST", "invocations", 1):
            self._invoke(name, qualifier, body, region)
        else:
            raise ApiError("UnknownOperationException", f"no route for {method} {parts.path}", 404)

    def _concurrency(self, method: str, path: str, body: bytes, region: str) -> None:
        """Put/Get/DeleteFunctionConcurrency: a function's reserved concurrency."""
        segments = [unquote(s) for s in path.split("/") if s]
        if len(segments) != 4 or segments[3] != "concurrency":
            raise ApiError("UnknownOperationException", f"no route for {method} {path}", 404)
        registry = self.server.local.registry
        name = segments[2]
        if method == "PUT":
            try:
                data = json.loads(body or b"{}")
            except ValueError as exc:
                raise ApiError("InvalidRequestContentException", f"bad JSON: {exc}") from exc
            value = data.get("ReservedConcurrentExecutions") if isinstance(data, dict) else None
            self._send_json(200, registry.put_concurrency(name, value, region))
        elif method == "GET":
            self._send_json(200, registry.get_concurrency(name, region))
        elif method == "DELETE":
            registry.put_concurrency(name, None, region)
            self._send(204, b"")
        else:
            raise ApiError("UnknownOperationException", f"no route for {method} {path}", 404)

    def _tags(self, method: str, arn: str, query: str, json_body: Any) -> None:
        """TagResource (POST), ListTags (GET), UntagResource (DELETE ?tagKeys=...)."""
        local = self.server.local
        region, name = parse_function_arn(arn)
        local.registry.get_configuration(name, None, region)  # ResourceNotFound if none
        if method == "GET":
            self._send_json(200, {"Tags": local.tags.get(region, name)})
        elif method == "POST":
            local.tags.tag(region, name, json_body().get("Tags"))
            self._send(204, b"")
        elif method == "DELETE":
            keys = parse_qs(query).get("tagKeys", [])
            local.tags.untag(region, name, keys)
            self._send(204, b"")
        else:
            raise ApiError("UnknownOperationException", f"no route for {method} tags", 404)

    def _code(self, name: str) -> None:
        code_dir = self.server.local.registry.code_dir(name)
        if code_dir is None:
            raise ApiError("ResourceNotFoundException", f"no code for {name}")
        self._send(200, package_function(code_dir), "application/zip")

    def _invoke(self, name: str, qualifier: str | None, body: bytes, region: str) -> None:
        local = self.server.local
        kind = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if kind not in ("RequestResponse", "Event", "DryRun"):
            raise ApiError("InvalidParameterValueException", f"Unknown InvocationType: {kind}")
        limit = MAX_ASYNC_PAYLOAD if kind == "Event" else MAX_SYNC_PAYLOAD
        if len(body) > limit:
            raise ApiError(
                "RequestTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
            )
        config = local.registry.resolve(name, qualifier, region)
        client_context = _client_context(self.headers.get("X-Amz-Client-Context"))
        if body:
            try:
                json.loads(body)
            except ValueError as exc:
                raise ApiError(
                    "InvalidRequestContentException",
                    f"Could not parse request body into json: {exc}",
                ) from exc
        if kind == "DryRun":
            self._send(204, b"")
            return
        if kind == "Event":
            request_id = local.invoker.invoke_async(config, body, region)
            headers = {"X-Amz-Executed-Version": config.version, "x-amzn-RequestId": request_id}
            self._send(202, b"", headers=headers)
            return
        result = local.invoker.invoke(config, body, region, client_context, qualifier)
        payload = result.payload
        headers = {
            "X-Amz-Executed-Version": result.executed_version,
            "x-amzn-RequestId": result.request_id,
            "x-powertune-queue-ms": f"{result.queue_ms:.1f}",
        }
        if len(payload) > MAX_SYNC_PAYLOAD:
            payload = json.dumps(
                {
                    "errorMessage": "Response payload size exceeded maximum allowed payload size "
                    f"({MAX_SYNC_PAYLOAD} bytes).",
                    "errorType": "Function.ResponseSizeTooLarge",
                }
            ).encode()
            headers["X-Amz-Function-Error"] = "Unhandled"
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if self.headers.get("X-Amz-Log-Type") == "Tail":
            headers["X-Amz-Log-Result"] = result.log_tail
        self._send(200, payload, headers=headers)


def _client_context(raw: str | None) -> str | None:
    """X-Amz-Client-Context: base64 of a JSON object, at most 3,583 bytes (as Lambda checks)."""
    if raw is None:
        return None
    message = "Client context must be a valid Base64-encoded JSON object."
    if len(raw) > MAX_CLIENT_CONTEXT:
        raise ApiError(
            "InvalidParameterValueException",
            f"Client context must be smaller than {MAX_CLIENT_CONTEXT} bytes",
        )
    try:
        decoded = json.loads(base64.b64decode(raw, validate=True))
    except (ValueError, binascii.Error):
        raise ApiError("InvalidRequestContentException", message) from None
    if not isinstance(decoded, dict):
        raise ApiError("InvalidRequestContentException", message)
    return raw


def _remove_stale_workdirs() -> None:
    """Remove the code directories of local runtimes that died without cleaning up."""
    for workdir in Path(tempfile.gettempdir()).glob(f"{_WORKDIR_PREFIX}*-*"):
        pid = workdir.name[len(_WORKDIR_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists() and Path("/proc/self").exists():
            shutil.rmtree(workdir, ignore_errors=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    local: LocalLambda

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        self.connections: set[socket.socket] = set()  # open keep-alive connections
        self.connections_lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # A bounded pool: past MAX_CONNECTIONS, a connection gets a 503 instead of a thread.
        if not self.slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                    b"x-amzn-errortype: TooManyRequestsException\r\nConnection: close\r\n\r\n"
                )
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def close_connections(self) -> None:
        with self.connections_lock:
            open_now = list(self.connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (at exit, or on a read timeout) is not the server's problem.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class LocalLambda:
    """A Lambda-compatible endpoint in this process: ``with LocalLambda() as server: ...``.

    ``functions`` maps names to ``path/to/dir_or_file.py[:module.handler]``; they are created
    (128 MB, 3 s, Text logs) before the server answers. ``cpu`` is ``auto`` (cgroup when
    possible), ``cgroup`` or ``model``; ``cpu_mode`` says which one is in use. ``concurrency``
    is an account concurrency limit (TooManyRequestsException above it). ``update_seconds`` is
    how long a configuration update stays ``InProgress``. ``max_memory_mb`` emulates an account's
    memory quota (new accounts are held to 3,008 MB until they ask for more).

    Invocations run at once only while their CPU shares fit in ``cpus`` (default: the CPUs this
    process may really use, ``capacity.available_cpus``); the rest wait, unbilled. A version
    keeps at most ``environments_per_version`` environments (default: one per whole CPU), so
    concurrent invocations reuse warm ones; ``lanes`` is that number.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        cpu: str = "auto",
        concurrency: int | None = None,
        functions: Mapping[str, str] | None = None,
        *,
        update_seconds: float = 0.1,
        max_memory_mb: int = MAX_MEMORY_MB,
        cpus: float | None = None,
        environments_per_version: int | None = None,
        allow_remote: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.warnings: list[str] = []
        if host not in LOOPBACK:
            if not allow_remote:
                raise InputError(
                    f"refusing to listen on {host}: the local runtime has no authentication and "
                    "runs code as this user; pass --allow-remote if the network is trusted"
                )
            self.warnings.append(
                f"listening on {host}: the local runtime has no authentication, and anyone who "
                "can reach it can run code as this user"
            )
        self._specs = [parse_function_spec(n, t) for n, t in (functions or {}).items()]
        _remove_stale_workdirs()
        if cpus is not None:
            cpus = number(cpus, "--cpus", low=0.0, low_open=True, high=MAX_CPUS)
        if environments_per_version is not None and environments_per_version < 1:
            raise InputError("environments_per_version must be at least 1")
        found = available_cpus()
        self.host_cpus = HostCpus(cpus, f"set to {cpus} CPUs ({found.source})") if cpus else found
        self.lanes = environments_per_version or max(1, int(self.host_cpus.count + 1e-9))
        self._stopped = False
        self._memory: MemoryControl | None = None
        self._workdir: Path | None = None
        self._cpu = CpuControl(cpu, host_cpus=self.host_cpus.count)
        try:  # whatever fails from here on, no cgroup or folder is left behind
            self._memory = MemoryControl()
            self._workdir = Path(tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{os.getpid()}-"))
            self.code_root = self._workdir / "code"  # each deployment package, unpacked
            self.code_root.mkdir()
        except BaseException:
            self._release()
            raise
        self._meter = ContentionMeter()
        self.logs = LogStore()
        self.tags = TagStore()
        self.stacks = StackStore()
        self.invoker = Invoker(
            self._cpu,
            self.logs,
            concurrency=concurrency,
            capacity=self.host_cpus.count,
            lanes=self.lanes,
            reserved=lambda name: self.registry.reserved_concurrency(name),
            cpus=_placement_cpus(self._cpu.mode, self.host_cpus.count),
            memory=self._memory,
        )
        self.registry = Registry(
            self.code_root,
            update_seconds=update_seconds,
            on_retire=self.invoker.retire,
            max_memory_mb=max_memory_mb,
        )
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def cpu_mode(self) -> str:
        """The CPU mode actually in use: ``cgroup`` or ``model``."""
        return self._cpu.mode

    @property
    def cpu_reason(self) -> str:
        """Why that mode (the cgroup used, or why none could be)."""
        return self._cpu.reason

    @property
    def memory_reason(self) -> str:
        """How an environment's memory limit covers its processes (a cgroup, or polling)."""
        return self._memory.reason if self._memory is not None else "not started"

    def runtime_info(self) -> RuntimeInfo:
        """CPU mode, available CPUs and the contention seen since the runtime started."""
        invoker = self.invoker
        return self._meter.read(
            cpu_mode=self.cpu_mode,
            host=self.host_cpus,
            lanes=self.lanes,
            stats=invoker.scheduler.snapshot(),
            throttles=invoker.throttles,
            env_cpu_s=invoker.env_cpu_s,
        )

    @property
    def endpoint_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the local runtime is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._httpd.server_address[1]}"

    def add_function(self, name: str, target: str, **settings: Any) -> dict[str, Any]:
        """Create ``name`` from ``path[:handler]``; ``settings`` are CreateFunction fields."""
        spec = parse_function_spec(name, target)
        return self._create(spec.name, spec.path, spec.handler, settings)

    def add_template_function(
        self, function: TemplateFunction, stack_name: str | None = None
    ) -> dict[str, Any]:
        """Create a template's function under its physical name; it also answers to its logical
        ID, and with ``stack_name`` is listed in that stack (CloudFormation's
        ListStackResources). One the local runtime cannot run is an InputError with the reason."""
        if function.reason is not None or function.code_path is None:
            raise InputError(f"{function.logical_id}: not runnable locally: {function.reason}")
        assert function.handler is not None
        created = self._create(
            function.name, function.code_path, function.handler, function.create_settings()
        )
        self.registry.add_name(function.logical_id, function.name)
        if stack_name is not None:
            self.stacks.add(stack_name, [(function.logical_id, function.name)])
        return created

    def _create(self, name: str, path: Path, handler: str, settings: dict[str, Any]) -> dict:
        body = {
            "FunctionName": name,
            "Handler": handler,
            "Code": {"ZipFile": base64.b64encode(package_function(path)).decode()},
            **settings,
        }
        return self.registry.create_function(body, "us-east-1")

    def start(self) -> str:
        """Create the configured functions, start serving; returns the endpoint URL."""
        if self._stopped:
            raise RuntimeError("a stopped local runtime cannot start again")
        atexit.register(self.stop)  # an exit that skips stop() still ends workers and cgroups
        for spec in self._specs:
            self._create(spec.name, spec.path, spec.handler, {})
        family_host = self.host
        server_class = _Server
        if ":" in family_host:

            class _Server6(_Server):
                address_family = socket.AF_INET6

            server_class = _Server6
        self._httpd = server_class((family_host, self.port), _Handler)
        self._httpd.local = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="powertune-local",
            daemon=True,
        )
        self._thread.start()
        log.info(
            "local runtime at %s, cpu mode %s (%s)",
            self.endpoint_url,
            self.cpu_mode,
            self.cpu_reason,
        )
        return self.endpoint_url

    def stop(self) -> None:
        """Stop serving, end every worker process (and theirs), remove cgroups and the code
        directory. Safe to call more than once, and from any exit path."""
        if self._stopped:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        try:
            if self._httpd is not None:
                self._httpd.shutdown()
                self._httpd.server_close()
                self._httpd.close_connections()  # idle keep-alive threads see EOF and end
        finally:  # even when interrupted: no worker, cgroup or code directory left behind
            try:
                self.invoker.close()
            finally:
                self._release()

    def _release(self) -> None:
        """Remove the cgroups and the code directory (the workers must be gone)."""
        try:
            if self._memory is not None:
                self._memory.close()
        finally:
            self._cpu.close()
            if self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> LocalLambda:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __str__(self) -> str:
        return self.endpoint_url
