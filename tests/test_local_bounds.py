"""The local runtime stays bounded under hostile or broken input (issue 27): a request must arrive
whole within its deadline, a deployment package within Lambda's unzipped limit, Event invocations
queue within a bound, handler output is cut where Lambda cuts it and read in linear time, and bad
parameters get 400-class answers a boto3 client understands. Real boto3 clients over loopback,
raw sockets where the fault is below what boto3 can send."""

from __future__ import annotations

import base64
import json
import socket
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from local_runtime import lambda_client

import powertune.local.server as server_module
from powertune.local import LocalLambda, package_function
from powertune.local.limits import EVENT_WORKERS, MAX_QUEUED_EVENTS, MAX_UNZIPPED_BYTES

HANDLERS = """
import time

def sleeper(event, context):
    time.sleep(event.get("wait_s", 0))
    return {"ok": True}

def big_response(event, context):
    return "x" * event["bytes"]

def shout(event, context):
    raise ValueError("z" * (20 << 20))

def chatty(event, context):
    line = "y" * 1023
    for _ in range(event["kb"]):
        print(line)
    return {"printed_kb": event["kb"]}
"""


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bounds")
    (path / "h.py").write_text(HANDLERS)
    return path


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, code: Path) -> Iterator[LocalLambda]:
    monkeypatch.setattr(server_module._Handler, "idle_timeout_s", 2.0)
    monkeypatch.setattr(server_module._Handler, "request_deadline_s", 1.0)
    with LocalLambda(cpu="model", cpus=2) as running:
        for name in ("sleeper", "big_response", "chatty", "shout"):
            running.add_function(name, f"{code}:h.{name}", MemorySize=1024, Timeout=10)
        yield running


def _client(server: LocalLambda) -> Any:
    return lambda_client(server, Config(retries={"max_attempts": 1}, read_timeout=60))


def _connect(server: LocalLambda) -> socket.socket:
    port = int(server.endpoint_url.rsplit(":", 1)[1])
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


# --- a request's deadline covers the whole request ---------------------------------------------
def test_a_byte_at_a_time_client_gets_408_at_the_request_deadline(server: LocalLambda) -> None:
    request = (
        b"POST /2015-03-31/functions/sleeper/invocations HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: 2\r\n\r\n{}"
    )
    started = time.monotonic()
    with _connect(server) as sock:
        for byte in request[:-3]:  # each byte well inside the idle timeout, the whole too slow
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break  # the server already answered and closed
            time.sleep(0.05)
            if time.monotonic() - started > 5:
                break
        reply = _read_all(sock)
    elapsed = time.monotonic() - started
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert b"RequestTimeoutException" in reply
    assert elapsed < 4, elapsed  # the 1 s deadline, not one idle timeout per byte
    # and the server still answers a well-behaved client
    answer = _client(server).invoke(FunctionName="sleeper", Payload=b"{}")
    assert json.loads(answer["Payload"].read()) == {"ok": True}


def test_a_body_that_never_completes_gets_408(server: LocalLambda) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"POST /2015-03-31/functions/sleeper/invocations HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 50\r\n\r\n{"
        )
        started = time.monotonic()
        reply = _read_all(sock)
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert time.monotonic() - started < 4


# --- malformed framing and parameters get 400-class answers --------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        b"Content-Length: \xd9\xa1\xd9\xa2\r\n",  # Arabic-Indic digits: int() would take them
        b"Content-Length: 1_0\r\n",
        b"Content-Length: +2\r\n",
        b"Content-Length: 2\r\nContent-Length: 3\r\n",
        b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
    ],
)
def test_a_malformed_content_length_is_answered_400(server: LocalLambda, headers: bytes) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"POST /2015-03-31/functions/sleeper/invocations HTTP/1.1\r\nHost: x\r\n"
            + headers
            + b"\r\n{}"
        )
        reply = _read_all(sock)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert b"InvalidRequestContentException" in reply


def test_bad_max_items_is_a_400_boto3_reads(server: LocalLambda) -> None:
    client = _client(server)
    with pytest.raises(ClientError) as caught:
        client.list_functions(MaxItems=10_001)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    for raw in ("abc", "0", "-1", "1e3", "\u0661"):
        url = f"{server.endpoint_url}/2015-03-31/functions/?MaxItems={urllib.parse.quote(raw)}"
        with pytest.raises(urllib.error.HTTPError) as http:
            urllib.request.urlopen(url, timeout=10)
        with http.value:  # its connection is closed here, not by the garbage collector
            assert http.value.code == 400, raw
            assert http.value.headers["x-amzn-errortype"] == "InvalidParameterValueException"
    assert len(client.list_functions(MaxItems=2)["Functions"]) == 2


def _post_json(server: LocalLambda, path: str, body: Any) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        server.endpoint_url + path, data=json.dumps(body).encode(), method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


@pytest.mark.parametrize(
    "zip_field", ["not base64!", "QUJD=", "QQ", 12, ["a"], base64.b64encode(b"not a zip").decode()]
)
def test_bad_code_is_400_not_500(server: LocalLambda, zip_field: Any) -> None:
    body = {"FunctionName": "bad", "Handler": "h.x", "Code": {"ZipFile": zip_field}}
    status, headers, _ = _post_json(server, "/2015-03-31/functions", body)
    assert status == 400, (zip_field, status)
    assert headers["x-amzn-errortype"] in (
        "InvalidRequestContentException",
        "InvalidParameterValueException",
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"Handler": 5},
        {"Runtime": ["python3.12"]},
        {"Environment": {"Variables": {"A": 1}}},
        {"Environment": "x"},
        {"MemorySize": "128"},
        {"Architectures": ["sparc"]},
    ],
)
def test_fields_of_the_wrong_type_are_400(
    server: LocalLambda, code: Path, fields: dict[str, Any]
) -> None:
    zipped = base64.b64encode(package_function(code)).decode()
    body = {"FunctionName": "typed", "Handler": "h.sleeper", "Code": {"ZipFile": zipped}, **fields}
    status, _, answer = _post_json(server, "/2015-03-31/functions", body)
    assert status == 400, (fields, status, answer)


def test_a_bad_client_context_is_400(server: LocalLambda) -> None:
    client = _client(server)
    for context in ("%%%", base64.b64encode(b"[1]").decode(), "A" * 4000):
        with pytest.raises(ClientError) as caught:
            client.invoke(FunctionName="sleeper", Payload=b"{}", ClientContext=context)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, context
    good = base64.b64encode(json.dumps({"custom": {"a": 1}}).encode()).decode()
    answer = client.invoke(FunctionName="sleeper", Payload=b"{}", ClientContext=good)
    assert answer["StatusCode"] == 200 and json.loads(answer["Payload"].read()) == {"ok": True}


# --- a deployment package stays within 250 MB unzipped -------------------------------------------
def _zip(name: bytes, data: bytes, declared: int, crc: int = 0) -> bytes:
    """A one-file zip of raw deflate ``data``, declaring ``declared`` bytes uncompressed."""
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), declared, len(name), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0x21,
        crc,
        len(data),
        declared,
        len(name),
        0,
        0,
        0,
        0,
        0o644 << 16,
        0,
    )
    offset = len(local) + len(name) + len(data)
    size = len(central) + len(name)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, size, offset, 0)
    return local + name + data + central + name + end


def _zeros_deflated(megabytes: int) -> bytes:
    """Raw deflate of ``megabytes`` MB of zeros, built from one compressed megabyte."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * megabytes + compressor.flush()


def _code_dirs(server: LocalLambda) -> list[Path]:
    return list(server.code_root.iterdir())


def test_a_zip_bomb_is_refused_by_its_headers_and_by_what_it_inflates(server: LocalLambda) -> None:
    client = _client(server)
    before = _code_dirs(server)
    bomb = _zeros_deflated(1024)  # 1 GB of zeros in about 1 MB
    assert len(bomb) < 2 << 20
    honest = _zip(b"bomb.bin", bomb, 1 << 30)
    lying = _zip(b"bomb.bin", bomb, 1000)  # says 1,000 bytes; inflates to 1 GB
    for package in (honest, lying):
        started = time.monotonic()
        with pytest.raises(ClientError) as caught:
            client.create_function(
                FunctionName="bomb",
                Runtime="python3.12",
                Role="arn:aws:iam::123456789012:role/x",
                Handler="bomb.handler",
                Code={"ZipFile": package},
            )
        error = caught.value.response["Error"]
        assert error["Code"] == "InvalidParameterValueException", error
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert time.monotonic() - started < 20
        assert _code_dirs(server) == before  # nothing unpacked is left behind
    assert "Unzipped size must be smaller than 262144000 bytes" in str(
        _refusal(client, _zip(b"b.bin", _zeros_deflated(251), MAX_UNZIPPED_BYTES + (1 << 20)))
    )


def test_the_inflated_size_is_counted_whatever_the_header_says(tmp_path: Path) -> None:
    from powertune.local import unzip
    from powertune.local.errors import ApiError

    data = _zeros_deflated(4)
    for declared in (10, 4 << 20):
        with pytest.raises(ApiError) as caught:
            unzip.extract(_zip(b"f.bin", data, declared), tmp_path / "out", limit=3 << 20)
        assert caught.value.status == 400
        assert not (tmp_path / "out").exists()
    unzip.extract(_zip(b"../../f.bin", data, 4 << 20, zlib.crc32(bytes(4 << 20))), tmp_path / "ok")
    assert (tmp_path / "ok" / "f.bin").stat().st_size == 4 << 20  # inside the target, whole


def _refusal(client: Any, package: bytes) -> ClientError:
    with pytest.raises(ClientError) as caught:
        client.create_function(
            FunctionName="bomb",
            Role="arn:aws:iam::123456789012:role/x",
            Handler="b.handler",
            Code={"ZipFile": package},
        )
    return caught.value


# --- Event invocations queue within a bound ------------------------------------------------------
def test_many_event_invocations_use_a_bounded_pool(server: LocalLambda) -> None:
    client = _client(server)
    threads_before = threading.active_count()
    accepted = throttled = 0
    peak_threads = 0
    payload = json.dumps({"wait_s": 0.2}).encode()
    for _ in range(MAX_QUEUED_EVENTS + 300):
        try:
            answer = client.invoke(FunctionName="sleeper", InvocationType="Event", Payload=payload)
            assert answer["StatusCode"] == 202
            accepted += 1
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "TooManyRequestsException"
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 429
            throttled += 1
        peak_threads = max(peak_threads, threading.active_count())
    assert throttled > 0 and accepted >= MAX_QUEUED_EVENTS
    assert server.invoker.events.threads() <= EVENT_WORKERS
    # connection threads come and go; the events add at most EVENT_WORKERS to them
    assert peak_threads <= threads_before + EVENT_WORKERS + 4, (threads_before, peak_threads)
    # a synchronous call is still served while events wait
    answer = client.invoke(FunctionName="sleeper", Payload=b"{}")
    assert json.loads(answer["Payload"].read()) == {"ok": True}


# --- handler output: Lambda's limits, read in linear time outside the deadline --------------------
def test_a_60_mb_response_is_response_size_too_large_not_a_timeout(server: LocalLambda) -> None:
    client = _client(server)
    answer = client.invoke(FunctionName="big_response", Payload=json.dumps({"bytes": 60 << 20}))
    body = json.loads(answer["Payload"].read())
    assert answer["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Function.ResponseSizeTooLarge", body
    just_under = client.invoke(
        FunctionName="big_response", Payload=json.dumps({"bytes": (6 << 20) - 100})
    )
    assert "FunctionError" not in just_under
    assert len(just_under["Payload"].read()) == (6 << 20) - 98  # the JSON string's quotes


def test_60_mb_of_printed_output_is_cut_not_a_timeout(server: LocalLambda) -> None:
    client = _client(server)
    answer = client.invoke(
        FunctionName="chatty", Payload=json.dumps({"kb": 60 * 1024}), LogType="Tail"
    )
    assert "FunctionError" not in answer, answer["Payload"].read()
    assert json.loads(answer["Payload"].read()) == {"printed_kb": 60 * 1024}
    tail = base64.b64decode(answer["LogResult"]).decode()
    assert "Status: timeout" not in tail and "REPORT RequestId" in tail
    assert "characters of output dropped" in tail


def test_a_20_mb_exception_message_is_cut_and_the_environment_lives(server: LocalLambda) -> None:
    client = _client(server)
    for _ in range(2):
        answer = client.invoke(FunctionName="shout", Payload=b"{}")
        body = json.loads(answer["Payload"].read())
        assert answer["FunctionError"] == "Unhandled"
        assert body["errorType"] == "ValueError"
        assert 0 < len(body["errorMessage"]) <= 256 * 1024
    # a handler's exception keeps its environment warm (as on Lambda): one cold start, not two
    assert server.runtime_info().cold_starts == 1
