"""The local runtime's HTTP layer under hostile or broken clients: sizes checked before reading,
malformed lengths refused, quiet clients timed out, a bounded number of connection threads, and
no error logged when a client hangs up."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import powertune.local.server as server_module
from powertune.local import LocalLambda

HANDLER = Path(__file__).parent / "functions" / "touch_then_wait"
INVOKE = "/2015-03-31/functions/fn/invocations"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalLambda]:
    monkeypatch.setattr(server_module._Handler, "idle_timeout_s", 0.5)
    monkeypatch.setattr(server_module._Handler, "request_deadline_s", 1.0)
    monkeypatch.setattr(server_module, "MAX_CONNECTIONS", 4)
    with LocalLambda(cpu="model") as running:
        running.add_function("fn", str(HANDLER), MemorySize=128, Timeout=30)
        yield running


def _connect(server: LocalLambda) -> socket.socket:
    port = int(server.endpoint_url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock


def _response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _request(path: str, length: str, body: bytes = b"") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
    return head.encode() + body


def test_an_oversized_body_is_refused_413_before_it_is_read(server: LocalLambda) -> None:
    with _connect(server) as sock:
        sock.sendall(_request(INVOKE, str(300 * 1024 * 1024)))  # and not one byte of body
        started = time.monotonic()
        reply = _response(sock)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b"RequestTooLargeException" in reply
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "99999999999999999999"])
def test_a_malformed_content_length_is_400(server: LocalLambda, length: str) -> None:
    with _connect(server) as sock:
        sock.sendall(_request(INVOKE, length))
        reply = _response(sock)
    assert reply.startswith(b"HTTP/1.1 400") or reply.startswith(b"HTTP/1.1 413"), reply[:200]
    if length != "99999999999999999999":
        assert reply.startswith(b"HTTP/1.1 400")


def test_a_client_that_stops_sending_is_timed_out(server: LocalLambda) -> None:
    with _connect(server) as sock:
        sock.sendall(_request(INVOKE, "100", b'{"wait'))  # 6 of 100 bytes, then silence
        sock.settimeout(10)
        started = time.monotonic()
        while sock.recv(65536):
            pass
        assert time.monotonic() - started < 5  # closed by the server, not by our timeout


def test_connections_past_the_pool_get_503_not_a_thread(server: LocalLambda) -> None:
    idle = [_connect(server) for _ in range(4)]
    try:
        time.sleep(0.1)
        with _connect(server) as extra:
            extra.sendall(_request(INVOKE, "2", b"{}"))
            assert _response(extra).startswith(b"HTTP/1.1 503")
    finally:
        for sock in idle:
            sock.close()
    time.sleep(1.0)  # the idle ones time out and give their slots back
    with _connect(server) as again:
        again.sendall(_request(INVOKE, "2", b"{}"))
        assert _response(again).startswith(b"HTTP/1.1 200")


def test_a_client_hanging_up_mid_invoke_logs_no_error(
    server: LocalLambda, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="powertune.local")
    for _ in range(3):
        with _connect(server) as sock:
            sock.sendall(_request(INVOKE, "15", b'{"wait_s": 0.3}'))
        # closed before the answer: writing it fails with a broken pipe / reset
    time.sleep(1.0)
    with _connect(server) as sock:
        sock.sendall(_request(INVOKE, "2", b"{}"))
        assert _response(sock).startswith(b"HTTP/1.1 200")
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert errors == [], [r.getMessage() for r in errors]
    assert not any(r.exc_info for r in caplog.records if r.levelno >= logging.ERROR)
