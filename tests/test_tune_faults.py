"""Fault injection: Ctrl-C at every stage and a failing endpoint, against a real `powertune tune`
process and the embedded runtime. After each, the function is as found (or `cleanup` makes it so)."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from powertune.local import LocalLambda
from powertune.tune.targets.aws import find_leftovers

ROOT = Path(__file__).resolve().parents[1]
HANDLER = Path(__file__).parent / "functions" / "touch_then_wait"
ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "COLUMNS": "200",
}


@pytest.fixture
def server() -> Iterator[LocalLambda]:
    # Configuration updates stay InProgress for a second, so there is time to interrupt them.
    with LocalLambda(cpu="model", update_seconds=1.0) as running:
        running.add_function("fn", str(HANDLER), MemorySize=1024, Timeout=30)
        yield running


def client(url: str) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="l",
        aws_secret_access_key="l",
    )


def assert_as_found(url: str) -> None:
    lam = client(url)
    assert lam.get_function_configuration(FunctionName="fn")["MemorySize"] == 1024
    assert lam.list_aliases(FunctionName="fn")["Aliases"] == []
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="fn")["Versions"]] == [
        "$LATEST"
    ]


class Run:
    """`powertune tune fn` in its own process, its stderr read line by line."""

    def __init__(self, url: str, payload: str, *extra: str) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli",
                "tune",
                "fn",
                "--endpoint-url",
                url,
                "--search",
                "grid",
                "--memory",
                "128,256",
                "--invocations",
                "2",
                "--concurrency",
                "2",
                "--payload",
                payload,
                *extra,
            ],
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"never saw {text!r}: {''.join(self.lines)}")
            time.sleep(0.02)

    def interrupt(self) -> None:
        self.proc.send_signal(signal.SIGINT)

    def finish(self, timeout: float = 90) -> int:
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)  # the reader drains stderr to its end
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return self.proc.returncode

    @property
    def stderr(self) -> str:
        return "".join(self.lines)


# Ctrl-C (and SIGTERM, SIGHUP, SIGKILL) at each phase: tests/test_tune_signals.py.


def test_one_ctrl_c_during_restore_lets_it_finish(server: LocalLambda) -> None:
    run = Run(server.endpoint_url, '{"wait_s": 0}')
    run.wait_for("restoring the configuration")
    run.interrupt()
    assert run.finish() == 130
    assert "press Ctrl-C again" in run.stderr
    assert_as_found(server.endpoint_url)


def test_two_ctrl_c_during_restore_abandon_it_and_cleanup_finishes(server: LocalLambda) -> None:
    run = Run(server.endpoint_url, '{"wait_s": 0}')
    run.wait_for("restoring the configuration")
    run.interrupt()
    run.wait_for("press Ctrl-C again")
    run.interrupt()
    assert run.finish() == 130
    assert "powertune cleanup" in run.stderr
    assert not find_leftovers(client(server.endpoint_url), "fn").empty  # it really was abandoned
    done = subprocess.run(
        [sys.executable, "-m", "cli", "cleanup", "fn", "--endpoint-url", server.endpoint_url],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "deleted" in done.stdout or "memory" in done.stdout
    assert_as_found(server.endpoint_url)
    again = subprocess.run(
        [sys.executable, "-m", "cli", "cleanup", "fn", "--endpoint-url", server.endpoint_url],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0 and "nothing to clean up" in again.stdout


class _FailingProxy(http.server.ThreadingHTTPServer):
    """Forwards to the runtime; once ``failing`` is set, Invoke calls get a 503 (or a dropped
    connection) as from an endpoint in trouble. Configuration calls keep working."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.failing = False
        self.drop = False
        self.invokes = 0
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: _FailingProxy

    def log_message(self, *args: Any) -> None:
        pass

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.split("?", 1)[0].endswith("/invocations"):
            self.server.invokes += 1
            if self.server.failing:
                if self.server.drop:
                    self.connection.close()
                    return
                payload = b'{"Type":"Service","message":"endpoint in trouble"}'
                self.send_response(503)
                self.send_header("x-amzn-ErrorType", "ServiceException")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
        request = urllib.request.Request(
            self.server.upstream + self.path, data=body or None, method=self.command
        )
        for key, value in self.headers.items():
            if key.lower() not in ("host", "content-length"):
                request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, headers, data = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, headers, data = exc.code, exc.headers, exc.read()
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in (
                "content-length",
                "transfer-encoding",
                "connection",
                "server",
                "date",
            ):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _forward


@pytest.mark.parametrize("drop", [False, True], ids=["503", "connection-dropped"])
def test_endpoint_failure_mid_run_aborts_and_restores(server: LocalLambda, drop: bool) -> None:
    proxy = _FailingProxy(server.endpoint_url)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{proxy.server_address[1]}"
    try:
        run = Run(url, '{"wait_s": 0}')
        run.wait_for("configuring 256 MB")
        proxy.drop = drop
        proxy.failing = True
        code = run.finish()
        assert code == 3, run.stderr
        last = [line for line in run.lines if line.strip()][-1]
        assert last.startswith("powertune: error: Invoke fn:powertune-")
        assert "Traceback" not in run.stderr
        assert_as_found(server.endpoint_url)
    finally:
        proxy.shutdown()
        proxy.server_close()
