"""Invocations on the local runtime through boto3: warm environments, REPORT records, logs,
errors, timeouts, out-of-memory, concurrency, and clean shutdown."""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from powertune.local import LocalLambda
from powertune.logs import parse_record

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "functions"

HANDLERS = {
    "probe.py": """
import os

def handler(event, context):
    print("hello from", context.function_name)
    return {"pid": os.getpid(), "memory": context.memory_limit_in_mb}
""",
    "boom.py": """
def handler(event, context):
    raise ValueError("boom: " + str(event.get("why")))
""",
    "noisy.py": """
def handler(event, context):
    for i in range(400):
        print(f"line {i:04d} " + "x" * 40)
    return "done"
""",
    "broken.py": "import module_that_does_not_exist\n",
    "odd.py": """
import os

def handler(event, context):
    if event.get("exit"):
        os._exit(3)
    if event.get("set"):
        return {1, 2}
    return {"pid": os.getpid()}
""",
    "big.py": """
def handler(event, context):
    return "x" * (7 * 1024 * 1024)
""",
}

REPORT_TEXT = re.compile(
    r"^REPORT RequestId: (?P<id>[0-9a-f-]{36})\tDuration: (?P<d>\d+\.\d\d) ms\t"
    r"Billed Duration: (?P<b>\d+) ms\tMemory Size: (?P<m>\d+) MB\tMax Memory Used: (?P<u>\d+) MB\t"
    r"(?:Init Duration: (?P<i>\d+\.\d\d) ms\t)?"
    r"(?:Status: (?P<s>\w+)\t(?:Error Type: (?P<e>[\w.]+)\t)?)?\n$"
)


def _invoke(client: object, **kwargs: object) -> dict:
    """Invoke and read the payload at once (an unread payload keeps its connection open)."""
    response = client.invoke(**kwargs)  # type: ignore[attr-defined]
    response["Body"] = response["Payload"].read()
    return response


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("handlers")
    for name, text in HANDLERS.items():
        (path / name).write_text(text)
    return path


@pytest.fixture(scope="module")
def server(code: Path) -> Iterator[LocalLambda]:
    functions = {
        "probe": f"{code / 'probe.py'}:probe.handler",
        "boom": f"{code / 'boom.py'}:boom.handler",
        "noisy": f"{code / 'noisy.py'}:noisy.handler",
        "broken": f"{code / 'broken.py'}:broken.handler",
        "odd": f"{code / 'odd.py'}:odd.handler",
        "big": f"{code / 'big.py'}:big.handler",
        "io": str(EXAMPLES / "io_wait"),
        "hungry": str(EXAMPLES / "memory_hungry"),
    }
    with LocalLambda(cpu="model", functions=functions, update_seconds=0.05) as running:
        yield running


def _session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


def _client(server: LocalLambda, service: str = "lambda") -> object:
    return _session().client(
        service,
        endpoint_url=server.endpoint_url,
        config=Config(retries={"max_attempts": 1}, read_timeout=30),
    )


@pytest.fixture(scope="module")
def client(server: LocalLambda) -> Iterator[object]:
    made = _client(server)
    yield made
    made.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def logs(server: LocalLambda) -> Iterator[object]:
    made = _client(server, "logs")
    yield made
    made.close()  # type: ignore[attr-defined]


def _tail(response: dict) -> str:
    return base64.b64decode(response["LogResult"]).decode()


def _report(response: dict) -> re.Match[str]:
    last = _tail(response).splitlines(keepends=True)[-1]
    found = REPORT_TEXT.match(last)
    assert found is not None, last
    return found


def _update(client: object, name: str, **settings: object) -> None:
    client.update_function_configuration(FunctionName=name, **settings)  # type: ignore[attr-defined]
    client.get_waiter("function_updated_v2").wait(  # type: ignore[attr-defined]
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 40}
    )


def test_cold_then_warm_with_exact_report_records(client: object) -> None:
    first = _invoke(client, FunctionName="probe", LogType="Tail", Payload=b"{}")  # type: ignore[attr-defined]
    second = _invoke(client, FunctionName="probe", LogType="Tail")  # type: ignore[attr-defined]
    assert first["StatusCode"] == 200 and "FunctionError" not in first
    cold, warm = _report(first), _report(second)
    assert cold["i"] is not None and warm["i"] is None  # Init Duration only on the cold start
    # Billed = ceil(duration + init), whole ms (INIT billed since Aug 2025).
    expected = -(-(float(cold["d"]) * 100 + float(cold["i"]) * 100) // 100)
    assert int(cold["b"]) == max(int(expected), 1)
    assert int(warm["b"]) == max(-(-round(float(warm["d"]) * 100) // 100), 1)
    assert cold["m"] == "128" and 5 <= int(cold["u"]) <= 128
    assert cold["s"] is None
    # The same warm environment (process) answered both.
    assert json.loads(first["Body"])["pid"] == json.loads(second["Body"])["pid"]
    tail = _tail(first)
    assert tail.startswith("INIT_START ")
    assert f"START RequestId: {cold['id']} Version: $LATEST\n" in tail
    assert "hello from probe\n" in tail and f"END RequestId: {cold['id']}\n" in tail
    assert first["ResponseMetadata"]["HTTPHeaders"]["x-powertune-cpu-mode"] == "model"


def test_every_record_parses_back_to_the_numbers_written(client: object) -> None:
    for _ in range(2):
        response = _invoke(client, FunctionName="probe", LogType="Tail")  # type: ignore[attr-defined]
        written = _report(response)
        record = parse_record(_tail(response).splitlines()[-1])
        assert record is not None
        assert record.duration_ms == pytest.approx(float(written["d"]))
        assert record.billed_ms == int(written["b"])
        assert record.memory_mb == int(written["m"])
        assert record.max_memory_mb == int(written["u"])
        assert (record.init_ms is None) == (written["i"] is None)


def test_every_platform_line_parses_in_both_formats(
    server: LocalLambda, client: object, code: Path
) -> None:
    from powertune.logs.records import End, Report, Start

    server.add_function("formats", f"{code / 'boom.py'}:boom.handler")
    for fmt in ("Text", "JSON"):
        _update(client, "formats", LoggingConfig={"LogFormat": fmt})  # a new, cold environment
        response = _invoke(client, FunctionName="formats", Payload=b"{}", LogType="Tail")
        lines = _tail(response).splitlines()
        parsed = [parse_record(line) for line in lines]
        kinds = [type(r) for r in parsed if r is not None]
        assert kinds == [Start, End, Report], (fmt, lines)
        start, end, report = (r for r in parsed if r is not None)
        assert start.request_id == end.request_id == report.request_id  # type: ignore[union-attr]
        assert start.version == "$LATEST"  # type: ignore[union-attr]
        assert report.init_ms is not None  # type: ignore[union-attr]


def test_configuration_change_means_new_environments(client: object) -> None:
    before = json.loads(_invoke(client, FunctionName="probe")["Body"])  # type: ignore[attr-defined]
    _update(client, "probe", MemorySize=256)
    after = _invoke(client, FunctionName="probe", LogType="Tail")  # type: ignore[attr-defined]
    body = json.loads(after["Body"])
    assert body["memory"] == "256" and body["pid"] != before["pid"]
    assert _report(after)["i"] is not None  # cold again
    assert _report(after)["m"] == "256"


def test_each_version_keeps_its_own_warm_environment(client: object) -> None:
    client.publish_version(FunctionName="odd")  # type: ignore[attr-defined]
    _update(client, "odd", MemorySize=200)
    second = client.publish_version(FunctionName="odd")["Version"]  # type: ignore[attr-defined]
    first = str(int(second) - 1)
    client.create_alias(FunctionName="odd", Name="powertune-200", FunctionVersion=second)  # type: ignore[attr-defined]

    def pid(**kwargs: object) -> int:
        return json.loads(_invoke(client, FunctionName="odd", **kwargs)["Body"])["pid"]

    by_first = [pid(Qualifier=first) for _ in range(2)]
    by_alias = [pid(Qualifier="powertune-200") for _ in range(2)]
    by_second = pid(Qualifier=second)
    assert by_first[0] == by_first[1]
    assert by_alias[0] == by_alias[1] == by_second  # the alias runs that version's environment
    assert by_first[0] != by_second
    client.delete_alias(FunctionName="odd", Name="powertune-200")  # type: ignore[attr-defined]
    client.delete_function(FunctionName="odd", Qualifier=second)  # type: ignore[attr-defined]
    with pytest.raises(ProcessLookupError):  # deleting the version ended its environment
        os.kill(by_second, 0)


def test_handler_exception_is_unhandled_with_lambdas_error_body(client: object) -> None:
    response = _invoke(client, FunctionName="boom", Payload=b'{"why": "testing"}', LogType="Tail")  # type: ignore[attr-defined]
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    body = json.loads(response["Body"])
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "boom: testing"
    assert isinstance(body["stackTrace"], list)
    assert "[ERROR] ValueError: boom: testing" in _tail(response)
    assert _report(response)["s"] is None  # the environment survives a handler's exception


def test_import_error_is_reported_as_lambda_does(client: object) -> None:
    response = _invoke(client, FunctionName="broken", LogType="Tail")  # type: ignore[attr-defined]
    assert response["FunctionError"] == "Unhandled"
    body = json.loads(response["Body"])
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert "module_that_does_not_exist" in body["errorMessage"]
    report = _report(response)
    assert (report["s"], report["e"]) == ("error", "Runtime.ImportModuleError")


def test_unserialisable_results_and_dying_runtimes(client: object) -> None:
    marshal = _invoke(client, FunctionName="odd", Payload=b'{"set": true}')
    assert marshal["FunctionError"] == "Unhandled"
    assert json.loads(marshal["Body"])["errorType"] == "Runtime.MarshalError"

    died = _invoke(client, FunctionName="odd", Payload=b'{"exit": true}', LogType="Tail")
    assert died["FunctionError"] == "Unhandled"
    report = _report(died)
    assert (report["s"], report["e"]) == ("error", "Runtime.ExitError")
    assert "Runtime exited with error: exit status 3" in json.loads(died["Body"])["errorMessage"]

    # A warm environment killed from outside is replaced by a cold one, not reported as an error.
    pid = json.loads(_invoke(client, FunctionName="odd")["Body"])["pid"]
    os.kill(pid, 9)
    time.sleep(0.2)
    after = _invoke(client, FunctionName="odd", LogType="Tail")
    assert "FunctionError" not in after
    assert _report(after)["i"] is not None
    assert json.loads(after["Body"])["pid"] != pid


def test_log_result_is_the_last_4_kb_with_report_last(client: object) -> None:
    response = _invoke(client, FunctionName="noisy", LogType="Tail")  # type: ignore[attr-defined]
    raw = base64.b64decode(response["LogResult"])
    assert len(raw) == 4096
    assert not raw.decode().startswith("START")  # pushed out by the noise
    assert raw.decode().splitlines()[-1].startswith("REPORT RequestId: ")
    assert "LogResult" not in _invoke(client, FunctionName="noisy")  # type: ignore[attr-defined]


def test_dry_run_event_and_request_errors(client: object, logs: object) -> None:
    dry = _invoke(client, FunctionName="probe", InvocationType="DryRun")  # type: ignore[attr-defined]
    assert dry["StatusCode"] == 204
    event = _invoke(client, FunctionName="io", InvocationType="Event", Payload=b'{"wait_ms": 10}')  # type: ignore[attr-defined]
    assert event["StatusCode"] == 202
    with pytest.raises(ClientError) as bad_json:
        _invoke(client, FunctionName="probe", Payload=b"{not json")  # type: ignore[attr-defined]
    assert bad_json.value.response["Error"]["Code"] == "InvalidRequestContentException"
    with pytest.raises(ClientError) as too_large:
        _invoke(client, FunctionName="probe", Payload=b'"' + b"x" * (6 * 1024 * 1024) + b'"')  # type: ignore[attr-defined]
    assert too_large.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert too_large.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    big = _invoke(client, FunctionName="big")  # type: ignore[attr-defined]
    assert big["FunctionError"] == "Unhandled"
    assert json.loads(big["Body"])["errorType"] == "Function.ResponseSizeTooLarge"
    # The Event invocation ran in the background and wrote its REPORT.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = logs.filter_log_events(  # type: ignore[attr-defined]
            logGroupName="/aws/lambda/io", filterPattern="REPORT"
        )["events"]
        if found:
            break
        time.sleep(0.05)
    assert len(found) == 1


def test_logs_api_filters_and_reads_streams(client: object, logs: object) -> None:
    response = _invoke(client, FunctionName="probe", LogType="Tail")  # type: ignore[attr-defined]
    request_id = _report(response)["id"]
    found = logs.filter_log_events(  # type: ignore[attr-defined]
        logGroupName="/aws/lambda/probe", filterPattern=f'"REPORT RequestId: {request_id}"'
    )["events"]
    assert len(found) == 1
    assert found[0]["message"] == _tail(response).splitlines(keepends=True)[-1]
    stream = found[0]["logStreamName"]
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", stream)
    events = logs.get_log_events(  # type: ignore[attr-defined]
        logGroupName="/aws/lambda/probe", logStreamName=stream, startFromHead=True
    )["events"]
    assert any(e["message"].startswith(f"START RequestId: {request_id}") for e in events)
    paged = logs.filter_log_events(logGroupName="/aws/lambda/probe", limit=1)  # type: ignore[attr-defined]
    assert len(paged["events"]) == 1 and "nextToken" in paged
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/pro")["logGroups"]  # type: ignore[attr-defined]
    assert [g["logGroupName"] for g in groups] == ["/aws/lambda/probe"]
    with pytest.raises(ClientError) as missing:
        logs.filter_log_events(logGroupName="/aws/lambda/nothing")  # type: ignore[attr-defined]
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_json_log_format_writes_platform_report(client: object, logs: object) -> None:
    _update(client, "boom", LoggingConfig={"LogFormat": "JSON"})
    _invoke(client, FunctionName="boom")  # type: ignore[attr-defined]
    _update(client, "probe", LoggingConfig={"LogFormat": "JSON"})
    response = _invoke(client, FunctionName="probe", LogType="Tail")  # type: ignore[attr-defined]
    last = json.loads(_tail(response).splitlines()[-1])
    assert last["type"] == "platform.report"
    metrics = last["record"]["metrics"]
    assert set(metrics) == {
        "durationMs",
        "billedDurationMs",
        "memorySizeMB",
        "maxMemoryUsedMB",
        "initDurationMs",
    }
    assert last["record"]["status"] == "success"
    record = parse_record(_tail(response).splitlines()[-1])
    assert record is not None and record.billed_ms == metrics["billedDurationMs"]
    assert record.init_ms == pytest.approx(metrics["initDurationMs"])
    found = logs.filter_log_events(  # type: ignore[attr-defined]
        logGroupName="/aws/lambda/boom", filterPattern='{ $.type = "platform.report" }'
    )["events"]
    assert len(found) == 1
    # A handler's own exception is caught by the runtime: the platform reports success.
    assert json.loads(found[0]["message"])["record"]["status"] == "success"
    assert "errorType" not in json.loads(found[0]["message"])["record"]


def test_the_collector_finds_reports_in_both_log_formats(client: object, logs: object) -> None:
    from powertune.collectors.cloudwatch import find_report

    for name, fmt in (("io", "Text"), ("probe", "JSON")):
        config = client.get_function_configuration(FunctionName=name)  # type: ignore[attr-defined]
        if config["LoggingConfig"]["LogFormat"] != fmt:
            _update(client, name, LoggingConfig={"LogFormat": fmt})
        response = _invoke(client, FunctionName=name, Payload=b"{}", LogType="Tail")  # type: ignore[attr-defined]
        last = _tail(response).splitlines()[-1]
        written = parse_record(last)
        assert written is not None
        found = find_report(logs, f"/aws/lambda/{name}", written.request_id, log_format=fmt)
        assert found is not None
        assert (found.duration_ms, found.billed_ms, found.max_memory_mb) == (
            written.duration_ms,
            written.billed_ms,
            written.max_memory_mb,
        )


def test_timeout_ends_the_environment(client: object) -> None:
    _update(client, "io", Timeout=1)
    response = _invoke(
        client,  # type: ignore[attr-defined]
        FunctionName="io",
        Payload=b'{"wait_ms": 3000}',
        LogType="Tail",
    )
    assert response["FunctionError"] == "Unhandled"
    report = _report(response)
    assert (report["d"], report["s"], report["e"]) == ("1000.00", "timeout", None)
    assert "Task timed out after 1.00 seconds" in _tail(response)
    assert "Task timed out" in json.loads(response["Body"])["errorMessage"]
    after = _invoke(client, FunctionName="io", Payload=b'{"wait_ms": 1}', LogType="Tail")  # type: ignore[attr-defined]
    assert _report(after)["i"] is not None  # a new environment


def test_out_of_memory_at_128_and_fine_at_512(client: object) -> None:
    response = _invoke(client, FunctionName="hungry", Payload=b'{"mb": 200}', LogType="Tail")  # type: ignore[attr-defined]
    assert response["FunctionError"] == "Unhandled"
    report = _report(response)
    assert (report["s"], report["e"], report["u"]) == ("error", "Runtime.OutOfMemory", "128")
    assert json.loads(response["Body"])["errorType"] == "Runtime.OutOfMemory"
    _update(client, "hungry", MemorySize=512)
    fine = _invoke(client, FunctionName="hungry", Payload=b'{"mb": 200}', LogType="Tail")  # type: ignore[attr-defined]
    assert "FunctionError" not in fine
    assert json.loads(fine["Body"])["held_mb"] == 200
    assert 200 <= int(_report(fine)["u"]) <= 512


def test_concurrency_limit_throttles(code: Path) -> None:
    io_dir = str(EXAMPLES / "io_wait")
    with LocalLambda(cpu="model", concurrency=1, functions={"io": io_dir}) as limited:
        client = _client(limited)
        slow = threading.Thread(
            target=_invoke,
            args=(client,),
            kwargs={"FunctionName": "io", "Payload": b'{"wait_ms": 1500}'},
        )
        slow.start()
        deadline = time.monotonic() + 5
        while limited.invoker.environment_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        with pytest.raises(ClientError) as throttled:
            _invoke(client, FunctionName="io", Payload=b'{"wait_ms": 1}')  # type: ignore[attr-defined]
        slow.join()
        client.close()  # type: ignore[attr-defined]
    assert throttled.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_concurrent_invocations_get_their_own_environments(code: Path) -> None:
    probe = f"{code / 'probe.py'}:probe.handler"
    functions = {"probe": probe, "io": str(EXAMPLES / "io_wait")}
    # Up to environments_per_version concurrent invocations of a version run side by side.
    with LocalLambda(cpu="model", functions=functions, environments_per_version=3) as s:
        client = _client(s)
        results: list[dict] = []

        def call() -> None:
            results.append(_invoke(client, FunctionName="io", Payload=b'{"wait_ms": 400}'))  # type: ignore[attr-defined]

        threads = [threading.Thread(target=call) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert s.invoker.environment_count() == 3
        pid = json.loads(_invoke(client, FunctionName="probe")["Body"])["pid"]  # type: ignore[attr-defined]
        assert all(r["StatusCode"] == 200 for r in results)
        client.close()  # type: ignore[attr-defined]
    # Stopping the server ends every worker process.
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
