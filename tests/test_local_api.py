"""The local runtime's Lambda API, through real boto3 clients: shapes, rules and errors."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError

from powertune.local import LocalLambda, package_function

PROBE = """
import os

def handler(event, context):
    return {
        "memory": int(context.memory_limit_in_mb),
        "env": os.environ.get("FLAVOUR"),
        "version": context.function_version,
        "echo": event,
    }
"""


def _invoke(client: object, **kwargs: object) -> dict:
    """Invoke and read the payload at once (an unread payload keeps its connection open)."""
    response = client.invoke(**kwargs)  # type: ignore[attr-defined]
    response["Body"] = response["Payload"].read()
    return response


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("probe")
    (path / "probe.py").write_text(PROBE)
    return path


@pytest.fixture(scope="module")
def server() -> Iterator[LocalLambda]:
    with LocalLambda(cpu="model", update_seconds=0.3) as running:
        yield running


def _client(server: LocalLambda, **config: object) -> object:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    )
    return session.client(
        "lambda",
        endpoint_url=server.endpoint_url,
        config=Config(retries={"max_attempts": 1}, **config),
    )


@pytest.fixture(scope="module")
def client(server: LocalLambda) -> Iterator[object]:
    made = _client(server)
    yield made
    made.close()  # type: ignore[attr-defined]


def _create(client: object, name: str, probe_dir: Path, **extra: object) -> dict:
    return client.create_function(  # type: ignore[attr-defined]
        FunctionName=name,
        Runtime="python3.11",
        Role="arn:aws:iam::123456789012:role/test",
        Handler="probe.handler",
        Code={"ZipFile": package_function(probe_dir)},
        **extra,
    )


def _code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


def _wait_updated(client: object, name: str) -> None:
    waiter = client.get_waiter("function_updated_v2")  # type: ignore[attr-defined]
    waiter.wait(FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})


def test_create_and_get_function_have_lambdas_shapes(client: object, probe_dir: Path) -> None:
    created = _create(client, "shapes", probe_dir, MemorySize=256, Timeout=7)
    assert created["FunctionArn"] == "arn:aws:lambda:eu-west-1:123456789012:function:shapes"
    assert created["Version"] == "$LATEST"
    assert created["MemorySize"] == 256 and created["Timeout"] == 7
    assert created["State"] == "Active" and created["PackageType"] == "Zip"
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/shapes"}
    assert created["EphemeralStorage"] == {"Size": 512}
    assert len(base64.b64decode(created["CodeSha256"])) == 32

    got = client.get_function(FunctionName="shapes")  # type: ignore[attr-defined]
    assert got["Configuration"]["CodeSha256"] == created["CodeSha256"]
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    by_arn = client.get_function_configuration(  # type: ignore[attr-defined]
        FunctionName=created["FunctionArn"]
    )
    assert by_arn["FunctionName"] == "shapes"
    # The code location serves the same zip that was uploaded.
    import urllib.request

    with urllib.request.urlopen(got["Code"]["Location"]) as answer:
        names = zipfile.ZipFile(io.BytesIO(answer.read())).namelist()
    assert names == ["probe.py"]


def test_create_rejects_bad_names_duplicates_and_memory(client: object, probe_dir: Path) -> None:
    with pytest.raises(ClientError) as bad_name:
        _create(client, "no spaces allowed", probe_dir)
    assert _code(bad_name.value) == "InvalidParameterValueException"
    _create(client, "twice", probe_dir)
    with pytest.raises(ClientError) as duplicate:
        _create(client, "twice", probe_dir)
    assert _code(duplicate.value) == "ResourceConflictException"
    assert duplicate.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(ClientError) as too_big:
        _create(client, "huge", probe_dir, MemorySize=10241)
    assert _code(too_big.value) == "InvalidParameterValueException"


def test_memory_below_128_is_refused_by_the_server(server: LocalLambda, probe_dir: Path) -> None:
    unchecked = _client(server, parameter_validation=False)
    _create(unchecked, "small", probe_dir)
    with pytest.raises(ClientError) as small:
        unchecked.update_function_configuration(FunctionName="small", MemorySize=64)  # type: ignore[attr-defined]
    assert _code(small.value) == "InvalidParameterValueException"
    assert small.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    unchecked.close()  # type: ignore[attr-defined]


def test_update_goes_through_in_progress_and_refuses_overlapping_changes(
    client: object, probe_dir: Path
) -> None:
    _create(client, "updating", probe_dir)
    updated = client.update_function_configuration(  # type: ignore[attr-defined]
        FunctionName="updating",
        MemorySize=512,
        Timeout=10,
        Description="bigger",
        Environment={"Variables": {"FLAVOUR": "x"}},
        EphemeralStorage={"Size": 1024},
        LoggingConfig={"LogFormat": "JSON"},
    )
    assert updated["LastUpdateStatus"] == "InProgress"
    with pytest.raises(ClientError) as conflict:
        client.update_function_configuration(FunctionName="updating", MemorySize=1024)  # type: ignore[attr-defined]
    assert _code(conflict.value) == "ResourceConflictException"
    with pytest.raises(ClientError) as publish_conflict:
        client.publish_version(FunctionName="updating")  # type: ignore[attr-defined]
    assert _code(publish_conflict.value) == "ResourceConflictException"

    _wait_updated(client, "updating")
    config = client.get_function_configuration(FunctionName="updating")  # type: ignore[attr-defined]
    assert config["LastUpdateStatus"] == "Successful"
    assert (config["MemorySize"], config["Timeout"], config["Description"]) == (512, 10, "bigger")
    assert config["Environment"] == {"Variables": {"FLAVOUR": "x"}}
    assert config["EphemeralStorage"] == {"Size": 1024}
    assert config["LoggingConfig"]["LogFormat"] == "JSON"
    # The classic waiter (GetFunctionConfiguration) sees the same state.
    client.get_waiter("function_updated").wait(  # type: ignore[attr-defined]
        FunctionName="updating", WaiterConfig={"Delay": 0.1, "MaxAttempts": 5}
    )


def test_waiter_really_waits_while_in_progress(client: object, probe_dir: Path) -> None:
    _create(client, "waited", probe_dir)
    client.update_function_configuration(FunctionName="waited", MemorySize=300)  # type: ignore[attr-defined]
    with pytest.raises(WaiterError):
        client.get_waiter("function_updated_v2").wait(  # type: ignore[attr-defined]
            FunctionName="waited", WaiterConfig={"Delay": 0.01, "MaxAttempts": 2}
        )
    _wait_updated(client, "waited")


def test_published_versions_are_snapshots_and_aliases_run_them(
    client: object, probe_dir: Path
) -> None:
    _create(client, "snap", probe_dir, MemorySize=256, Environment={"Variables": {"FLAVOUR": "a"}})
    first = client.publish_version(FunctionName="snap", Description="at 256")  # type: ignore[attr-defined]
    assert first["Version"] == "1" and first["Description"] == "at 256"
    assert first["FunctionArn"].endswith(":snap:1")
    client.create_alias(FunctionName="snap", Name="powertune-256", FunctionVersion="1")  # type: ignore[attr-defined]

    client.update_function_configuration(  # type: ignore[attr-defined]
        FunctionName="snap", MemorySize=512, Environment={"Variables": {"FLAVOUR": "b"}}
    )
    _wait_updated(client, "snap")
    second = client.publish_version(FunctionName="snap", Description="at 512")  # type: ignore[attr-defined]
    assert second["Version"] == "2" and second["MemorySize"] == 512
    again = client.publish_version(FunctionName="snap")  # type: ignore[attr-defined]
    assert again["Version"] == "2"  # nothing changed: Lambda publishes nothing new
    client.create_alias(FunctionName="snap", Name="powertune-512", FunctionVersion="2")  # type: ignore[attr-defined]

    old = _invoke(client, FunctionName="snap", Qualifier="powertune-256", Payload=b'{"n": 1}')  # type: ignore[attr-defined]
    assert old["ExecutedVersion"] == "1"
    assert json.loads(old["Body"]) == {
        "memory": 256,
        "env": "a",
        "version": "1",
        "echo": {"n": 1},
    }
    new = _invoke(client, FunctionName="snap", Qualifier="powertune-512")  # type: ignore[attr-defined]
    assert new["ExecutedVersion"] == "2"
    assert json.loads(new["Body"])["memory"] == 512
    by_version = _invoke(client, FunctionName="snap:1")  # type: ignore[attr-defined]
    assert json.loads(by_version["Body"])["env"] == "a"
    latest = _invoke(client, FunctionName="snap")  # type: ignore[attr-defined]
    assert latest["ExecutedVersion"] == "$LATEST"

    versions = client.list_versions_by_function(FunctionName="snap")["Versions"]  # type: ignore[attr-defined]
    assert [(v["Version"], v["MemorySize"]) for v in versions] == [
        ("$LATEST", 512),
        ("1", 256),
        ("2", 512),
    ]
    paged = client.list_versions_by_function(FunctionName="snap", MaxItems=2)  # type: ignore[attr-defined]
    assert len(paged["Versions"]) == 2 and "NextMarker" in paged
    one = client.get_function_configuration(FunctionName="snap", Qualifier="1")  # type: ignore[attr-defined]
    assert one["MemorySize"] == 256 and one["Environment"]["Variables"] == {"FLAVOUR": "a"}


def test_alias_calls_and_version_deletion_rules(client: object, probe_dir: Path) -> None:
    _create(client, "aliased", probe_dir)
    client.publish_version(FunctionName="aliased")  # type: ignore[attr-defined]
    client.update_function_configuration(FunctionName="aliased", MemorySize=200)  # type: ignore[attr-defined]
    _wait_updated(client, "aliased")
    client.publish_version(FunctionName="aliased")  # type: ignore[attr-defined]
    alias = client.create_alias(  # type: ignore[attr-defined]
        FunctionName="aliased", Name="live", FunctionVersion="1", Description="first"
    )
    assert alias["AliasArn"].endswith(":function:aliased:live")
    with pytest.raises(ClientError) as exists:
        client.create_alias(FunctionName="aliased", Name="live", FunctionVersion="1")  # type: ignore[attr-defined]
    assert _code(exists.value) == "ResourceConflictException"
    with pytest.raises(ClientError) as missing_version:
        client.create_alias(FunctionName="aliased", Name="nope", FunctionVersion="9")  # type: ignore[attr-defined]
    assert _code(missing_version.value) == "ResourceNotFoundException"

    assert client.get_alias(FunctionName="aliased", Name="live")["FunctionVersion"] == "1"  # type: ignore[attr-defined]
    moved = client.update_alias(FunctionName="aliased", Name="live", FunctionVersion="2")  # type: ignore[attr-defined]
    assert moved["FunctionVersion"] == "2" and moved["Description"] == "first"
    client.create_alias(FunctionName="aliased", Name="old", FunctionVersion="1")  # type: ignore[attr-defined]
    names = [a["Name"] for a in client.list_aliases(FunctionName="aliased")["Aliases"]]  # type: ignore[attr-defined]
    assert names == ["live", "old"]
    only_v1 = client.list_aliases(FunctionName="aliased", FunctionVersion="1")["Aliases"]  # type: ignore[attr-defined]
    assert [a["Name"] for a in only_v1] == ["old"]

    with pytest.raises(ClientError) as in_use:
        client.delete_function(FunctionName="aliased", Qualifier="1")  # type: ignore[attr-defined]
    assert _code(in_use.value) == "ResourceConflictException"
    client.delete_alias(FunctionName="aliased", Name="old")  # type: ignore[attr-defined]
    with pytest.raises(ClientError) as gone_alias:
        client.get_alias(FunctionName="aliased", Name="old")  # type: ignore[attr-defined]
    assert _code(gone_alias.value) == "ResourceNotFoundException"
    client.delete_function(FunctionName="aliased", Qualifier="1")  # type: ignore[attr-defined]
    with pytest.raises(ClientError) as gone_version:
        client.get_function_configuration(FunctionName="aliased", Qualifier="1")  # type: ignore[attr-defined]
    assert _code(gone_version.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as latest:
        client.delete_function(FunctionName="aliased", Qualifier="$LATEST")  # type: ignore[attr-defined]
    assert _code(latest.value) == "InvalidParameterValueException"
    # Version numbers are never reused.
    client.update_function_configuration(FunctionName="aliased", MemorySize=210)  # type: ignore[attr-defined]
    _wait_updated(client, "aliased")
    assert client.publish_version(FunctionName="aliased")["Version"] == "3"  # type: ignore[attr-defined]

    client.delete_function(FunctionName="aliased")  # type: ignore[attr-defined]
    with pytest.raises(ClientError) as gone:
        client.get_function(FunctionName="aliased")  # type: ignore[attr-defined]
    assert _code(gone.value) == "ResourceNotFoundException"
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "Function not found" in gone.value.response["Error"]["Message"]


def test_list_functions_pages_through_everything(client: object, probe_dir: Path) -> None:
    _create(client, "listed", probe_dir)
    names = [
        f["FunctionName"]
        for page in client.get_paginator("list_functions").paginate(
            PaginationConfig={"PageSize": 2}
        )  # type: ignore[attr-defined]
        for f in page["Functions"]
    ]
    assert "listed" in names and names == sorted(names) and len(names) == len(set(names))


def test_unknown_functions_are_not_found_everywhere(client: object) -> None:
    calls = [
        lambda: client.get_function_configuration(FunctionName="ghost"),  # type: ignore[attr-defined]
        lambda: _invoke(client, FunctionName="ghost"),  # type: ignore[attr-defined]
        lambda: client.update_function_configuration(FunctionName="ghost", MemorySize=256),  # type: ignore[attr-defined]
        lambda: client.publish_version(FunctionName="ghost"),  # type: ignore[attr-defined]
        lambda: client.list_aliases(FunctionName="ghost"),  # type: ignore[attr-defined]
        lambda: client.delete_function(FunctionName="ghost"),  # type: ignore[attr-defined]
    ]
    for call in calls:
        with pytest.raises(client.exceptions.ResourceNotFoundException):  # type: ignore[attr-defined]
            call()


def test_package_function_zips_dirs_and_files_deterministically(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "app.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "lib").mkdir()
    (tmp_path / "pkg" / "lib" / "util.py").write_text("y = 2\n")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"junk")
    zipped = package_function(tmp_path / "pkg")
    assert sorted(zipfile.ZipFile(io.BytesIO(zipped)).namelist()) == ["app.py", "lib/util.py"]
    assert package_function(tmp_path / "pkg") == zipped
    single = zipfile.ZipFile(io.BytesIO(package_function(tmp_path / "pkg" / "app.py")))
    assert single.namelist() == ["app.py"] and single.read("app.py") == b"x = 1\n"


def test_stale_code_directories_of_dead_servers_are_removed() -> None:
    import tempfile

    stale = Path(tempfile.gettempdir()) / "powertune-local-999999999-stale"
    (stale / "code").mkdir(parents=True, exist_ok=True)
    server = LocalLambda(cpu="model")
    try:
        assert not stale.exists()
        assert server._workdir.exists()
    finally:
        server.stop()
    assert not server._workdir.exists()
