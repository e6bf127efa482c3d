"""Variant twins through real boto3 clients: against the embedded runtime (the package really is
fetched from GetFunction's code location and the twin really runs) and moto (layers, images,
buckets); botocore Stubber only for AccessDenied on iam:PassRole."""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber
from local_runtime import lambda_client
from moto import mock_aws

from powertune import stopping
from powertune.local import LocalLambda
from powertune.tune.targets.aws import AwsLambdaTarget, cleanup
from powertune.tune.targets.interface import TargetError
from powertune.tune.targets.twins import (
    TWIN_TAG,
    Twins,
    VariantRefused,
    fetch_package,
    find_twins,
    manifest_architectures,
    plan_twins,
    twins_of,
)
from powertune.tune.targets.variants import Variant, parse_variant, twin_description

ARM = Variant(architecture="arm64")
HANDLER = "import platform\n\ndef handler(event, context):\n    return {'echo': event, 'v': 7}\n"


# -- the embedded runtime -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[LocalLambda]:
    with LocalLambda(cpu="model") as running:
        yield running


_counter = iter(range(10_000))


def _deploy(server: LocalLambda, tmp_path: Path, **settings: Any) -> str:
    name = f"orders-{next(_counter)}"
    source = tmp_path / name / "app.py"
    source.parent.mkdir(parents=True)
    source.write_text(HANDLER)
    server.add_function(
        name,
        f"{source}:app.handler",
        MemorySize=1024,
        Timeout=30,
        Environment={"Variables": {"TABLE": "orders"}},
        EphemeralStorage={"Size": 1024},
        **settings,
    )
    return name


def _gone(client: Any, name: str) -> bool:
    try:
        client.get_function(FunctionName=name)
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "ResourceNotFoundException"
    return False


def _invoke(client: Any, name: str) -> Any:
    answer = client.invoke(FunctionName=name, Payload=b'{"n": 1}')
    return json.loads(answer["Payload"].read())


_SAME = (
    "Handler",
    "Role",
    "Timeout",
    "MemorySize",
    "Environment",
    "EphemeralStorage",
    "CodeSha256",
)


def test_a_twin_is_the_function_with_only_the_variant_changed_and_is_deleted(
    server: LocalLambda, tmp_path: Path
) -> None:
    client = lambda_client(server)
    name = _deploy(server, tmp_path)
    arn = client.get_function_configuration(FunctionName=name)["FunctionArn"]
    client.tag_resource(Resource=arn, Tags={"team": "orders", "powertune:journal": "run=x"})
    original = client.get_function_configuration(FunctionName=name)
    both = parse_variant("arch=arm64,runtime=python3.13")
    plans = plan_twins(client, name, [ARM, both], "run1")
    assert [p.name for p in plans] == [
        p.name for p in plan_twins(client, name, [ARM, both], "run1")
    ]
    with twins_of(client, plans) as twins:
        configs = [twins.create(plan) for plan in plans]
        for plan, config in zip(plans, configs, strict=True):
            assert config["State"] == "Active" and config["FunctionName"] == plan.name
            assert {k: config[k] for k in _SAME} == {k: original[k] for k in _SAME}
            assert config["Architectures"] == ["arm64"]
            assert config["Description"] == twin_description(
                original["FunctionArn"], plan.variant, "run1"
            )
            # the code came from the function's code location: the twin answers as it does
            assert _invoke(client, plan.name) == _invoke(client, name) == {"echo": {"n": 1}, "v": 7}
        assert configs[0]["Runtime"] == original["Runtime"]
        assert configs[1]["Runtime"] == "python3.13"
        tags = client.get_function(FunctionName=plans[0].name)["Tags"]
        assert tags == {"team": "orders", TWIN_TAG: original["FunctionArn"]}
        assert find_twins(client, original["FunctionArn"]) == sorted(p.name for p in plans)
    assert all(_gone(client, p.name) for p in plans)
    after = client.get_function_configuration(FunctionName=name)
    after.pop("ResponseMetadata"), original.pop("ResponseMetadata")
    assert after == original  # only read


def test_a_stop_inside_the_run_deletes_the_twin(server: LocalLambda, tmp_path: Path) -> None:
    client = lambda_client(server)
    name = _deploy(server, tmp_path)
    plans = plan_twins(client, name, [ARM], "run-stop")
    said: list[str] = []
    with pytest.raises(stopping.Stopped), twins_of(client, plans, say=said.append) as twins:
        twins.create(plans[0])
        raise stopping.Stopped(signal.SIGTERM)
    assert _gone(client, plans[0].name)
    assert said == [f"deleted twin {plans[0].name}"]  # a stop says so too, as a run's end does


def test_a_handler_the_runtime_cannot_use_is_refused_before_anything_is_created(
    server: LocalLambda, tmp_path: Path
) -> None:
    client = lambda_client(server)
    name = _deploy(server, tmp_path)
    before = client.list_functions()["Functions"]
    with pytest.raises(VariantRefused, match=r"handler app\.handler is python code.*nodejs22\.x"):
        plan_twins(client, name, [ARM, parse_variant("runtime=nodejs22.x")], "run1")
    assert client.list_functions()["Functions"] == before


def test_a_package_over_the_direct_upload_limit_needs_a_bucket(
    server: LocalLambda, tmp_path: Path
) -> None:
    client = lambda_client(server)
    name = _deploy(server, tmp_path)
    with pytest.raises(VariantRefused, match="name a bucket"):
        plan_twins(client, name, [ARM], "run1", direct_limit=16)


def test_cleanup_deletes_a_twin_a_killed_run_left_and_nothing_else(
    server: LocalLambda, tmp_path: Path
) -> None:
    client = lambda_client(server)
    name = _deploy(server, tmp_path)
    arn = client.get_function_configuration(FunctionName=name)["FunctionArn"]
    plans = plan_twins(client, name, [ARM], "killed")
    Twins(client=client, plans=plans).create(plans[0])  # and the run dies: nothing deletes it
    # a function of the user's whose name looks like a twin's stays
    lookalike = _deploy(server, tmp_path)
    client.update_function_configuration(FunctionName=lookalike, Description="orders-pt-arm64 x")
    found = cleanup(client, name)
    assert found.twins == [plans[0].name] and not found.empty
    assert _gone(client, plans[0].name) and not _gone(client, lookalike)
    assert find_twins(client, arn) == [] and cleanup(client, name).empty


_CHILD = """
import sys, time, boto3
from powertune import stopping
from powertune.tune.targets.twins import plan_twins, twins_of
from powertune.tune.targets.variants import Variant
stopping.install()
client = boto3.client("lambda", endpoint_url=sys.argv[1], region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
plans = plan_twins(client, sys.argv[2], [Variant(architecture="arm64")], "sig")
try:
    with twins_of(client, plans) as twins:
        twins.create(plans[0])
        print(plans[0].name, flush=True)
        time.sleep(60)
except stopping.Stopped:
    sys.exit(stopping.exit_code())
"""


def _child(server: LocalLambda, name: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true"}
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_CHILD), server.endpoint_url, name],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    twin = child.stdout.readline().strip()
    assert twin.startswith(f"{name}-pt-arm64-")
    return child, twin


def test_sigterm_deletes_the_twin_and_kill_9_leaves_it_for_cleanup(
    server: LocalLambda, tmp_path: Path
) -> None:
    client = lambda_client(server)
    name = _deploy(server, tmp_path)
    child, twin = _child(server, name)
    assert not _gone(client, twin)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 128 + signal.SIGTERM
    assert child.stdout is not None
    child.stdout.close()
    assert _gone(client, twin)

    child, twin = _child(server, name)
    child.kill()
    child.wait(timeout=30)
    assert child.stdout is not None
    child.stdout.close()
    time.sleep(0.05)
    assert not _gone(client, twin)
    done = _cli_cleanup(server, name)  # the command, as a user on any machine runs it
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{name}: deleted variant twins {twin}"
    assert _gone(client, twin)
    again = _cli_cleanup(server, name)
    assert again.returncode == 0 and "nothing to clean up" in again.stdout


def _cli_cleanup(server: LocalLambda, name: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return subprocess.run(
        [sys.executable, "-m", "cli", "cleanup", name, "--endpoint-url", server.endpoint_url],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# -- moto: layers, images, buckets, and what AWS refuses ------------------------------------------


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
        yield {"role": role["Role"]["Arn"], "lambda": boto3.client("lambda")}


def _function(aws: dict[str, Any], name: str = "orders", **settings: Any) -> None:
    aws["lambda"].create_function(
        FunctionName=name,
        Role=aws["role"],
        MemorySize=1024,
        Timeout=30,
        **settings,
    )


def _layer(client: Any, arches: list[str]) -> str:
    answer = client.publish_layer_version(
        LayerName="deps",
        Content={"ZipFile": _zip()},
        CompatibleRuntimes=["python3.12"],
        CompatibleArchitectures=arches,
    )
    return str(answer["LayerVersionArn"])


def _zip_function(aws: dict[str, Any], **settings: Any) -> None:
    _function(
        aws, Runtime="python3.12", Handler="app.handler", Code={"ZipFile": _zip()}, **settings
    )


def _the_zip(url: str, limit: int) -> bytes:
    """moto's code location is an S3 URL it does not serve: the package as it was uploaded."""
    assert url.startswith("https://") and limit > 0
    return _zip()


def test_a_layer_without_the_target_architecture_is_refused(aws: dict[str, Any]) -> None:
    client = aws["lambda"]
    _zip_function(aws, Layers=[_layer(client, ["x86_64"])])
    with pytest.raises(VariantRefused, match=r"layer .*:layer:deps:1 is built for x86_64 only"):
        plan_twins(client, "orders", [ARM], "run1", fetch=_the_zip)
    with pytest.raises(VariantRefused, match=r"declares runtimes python3\.12, not python3\.13"):
        plan_twins(client, "orders", [parse_variant("runtime=python3.13")], "run1", fetch=_the_zip)
    assert [f["FunctionName"] for f in client.list_functions()["Functions"]] == ["orders"]


def test_a_layer_with_the_target_architecture_is_carried_over(aws: dict[str, Any]) -> None:
    client = aws["lambda"]
    layer = _layer(client, ["x86_64", "arm64"])
    _zip_function(aws, Layers=[layer])
    plans = plan_twins(client, "orders", [ARM], "run1", fetch=_the_zip)
    with twins_of(client, plans) as twins:
        config = twins.create(plans[0])
        assert [x["Arn"] for x in config["Layers"]] == [layer]
        assert config["Architectures"] == ["arm64"] and config["Runtime"] == "python3.12"
    assert [f["FunctionName"] for f in client.list_functions()["Functions"]] == ["orders"]


def test_a_big_package_goes_through_the_named_bucket_and_is_removed_from_it(
    aws: dict[str, Any],
) -> None:
    client, s3 = aws["lambda"], boto3.client("s3")
    s3.create_bucket(Bucket="deploys")
    _zip_function(aws)
    plans = plan_twins(
        client, "orders", [ARM], "run1", fetch=_the_zip, direct_limit=16, bucket="deploys"
    )
    with twins_of(client, plans, s3=s3, bucket="deploys") as twins:
        config = twins.create(plans[0])
        assert (
            config["CodeSha256"]
            == client.get_function_configuration(FunctionName="orders")["CodeSha256"]
        )
    assert s3.list_objects_v2(Bucket="deploys").get("KeyCount") == 0


_INDEX = "application/vnd.oci.image.index.v1+json"


def _image(aws: dict[str, Any], manifest: dict[str, Any], media: str) -> str:
    ecr = boto3.client("ecr")
    repo = ecr.create_repository(repositoryName="orders")["repository"]["repositoryUri"]
    ecr.put_image(
        repositoryName="orders",
        imageManifest=json.dumps(manifest),
        imageManifestMediaType=media,
        imageTag="v1",
    )
    _function(aws, PackageType="Image", Code={"ImageUri": f"{repo}:v1"})
    return str(repo)


def _platforms(*arches: str) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": _INDEX,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + str(i) * 64,
                "size": 1,
                "platform": {"architecture": a, "os": "linux"},
            }
            for i, a in enumerate(arches)
        ],
    }


def test_an_image_uri_naming_an_index_is_refused(aws: dict[str, Any]) -> None:
    """Lambda runs single-architecture images only: an index cannot be a twin's image."""
    client, ecr = aws["lambda"], boto3.client("ecr")
    _image(aws, _platforms("amd64", "arm64"), _INDEX)
    with pytest.raises(VariantRefused, match="names a multi-architecture index"):
        plan_twins(client, "orders", [ARM], "run1", ecr=ecr)
    with pytest.raises(VariantRefused, match="cannot be read here"):
        plan_twins(client, "orders", [ARM], "run1", ecr=None)
    with pytest.raises(VariantRefused, match="its runtime is in the image"):
        plan_twins(client, "orders", [parse_variant("runtime=python3.13")], "run1", ecr=ecr)
    assert [f["FunctionName"] for f in client.list_functions()["Functions"]] == ["orders"]


_SINGLE = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {
        "mediaType": "application/vnd.oci.image.config.v1+json",
        "digest": "sha256:" + "c" * 64,
        "size": 9,
    },
    "layers": [],
}


@contextlib.contextmanager
def _blob_server(body: bytes) -> Iterator[str]:
    """A loopback stand-in for the pre-signed S3 URL ECR hands out for a blob."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/blob"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize(("built_for", "accepted"), [("arm64", True), ("amd64", False)])
def test_a_single_architecture_image_is_used_only_when_built_for_the_variant(
    aws: dict[str, Any], built_for: str, accepted: bool
) -> None:
    """The function's tag may point at a newer build than the one it runs: its config blob
    says which architecture that build is for (ECR's calls stubbed: moto has no blob URLs)."""
    repo = _image(aws, _SINGLE, _SINGLE["mediaType"])
    ecr = boto3.client("ecr")
    config = json.dumps({"architecture": built_for, "os": "linux"}).encode()
    with _blob_server(config) as url, Stubber(ecr) as stub:
        stub.add_response(
            "batch_get_image",
            {"images": [{"imageManifest": json.dumps(_SINGLE)}]},
            {
                "registryId": repo.split(".")[0],
                "repositoryName": "orders",
                "imageIds": [{"imageTag": "v1"}],
                "acceptedMediaTypes": ANY,
            },
        )
        stub.add_response(
            "get_download_url_for_layer",
            {"downloadUrl": url, "layerDigest": _SINGLE["config"]["digest"]},
            {
                "registryId": repo.split(".")[0],
                "repositoryName": "orders",
                "layerDigest": _SINGLE["config"]["digest"],
            },
        )
        if accepted:
            plans = plan_twins(aws["lambda"], "orders", [ARM], "run1", ecr=ecr)
            assert plans[0].request["Code"] == {"ImageUri": f"{repo}:v1"}
            assert plans[0].request["Architectures"] == ["arm64"]
        else:
            with pytest.raises(VariantRefused, match=f"built for amd64 \\({repo}:v1\\)"):
                plan_twins(aws["lambda"], "orders", [ARM], "run1", ecr=ecr)
        stub.assert_no_pending_responses()


def test_manifest_architectures_reads_indexes_only() -> None:
    assert manifest_architectures(_platforms("amd64", "arm64")) == {"amd64", "arm64"}
    single = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}
    assert manifest_architectures(single) is None


def test_no_permission_to_pass_the_role_is_one_clear_line(aws: dict[str, Any]) -> None:
    client = aws["lambda"]
    _zip_function(aws)
    plans = plan_twins(client, "orders", [ARM], "run1", fetch=_the_zip)
    message = (
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: iam:PassRole on "
        f"resource: {aws['role']}"
    )
    with Stubber(client) as stub:
        stub.add_client_error(
            "create_function",
            "AccessDeniedException",
            message,
            403,
            expected_params=plans[0].request,
        )
        with pytest.raises(TargetError) as caught, twins_of(client, plans) as twins:
            twins.create(plans[0])
        stub.assert_no_pending_responses()
    text = str(caught.value)
    assert (
        "iam:PassRole" in text
        and "\n" not in text
        and text.startswith(f"CreateFunction {plans[0].name}")
    )


def test_no_permission_to_read_the_function_names_the_permissions(aws: dict[str, Any]) -> None:
    client = aws["lambda"]
    with Stubber(client) as stub:
        stub.add_client_error("get_function", "AccessDeniedException", "denied", 403)
        with pytest.raises(TargetError, match=r"lambda:GetFunction, .*iam:PassRole"):
            plan_twins(client, "orders", [ARM], "run1")


def _configuration(name: str, state: str, reason: str = "") -> dict[str, Any]:
    answer: dict[str, Any] = {"FunctionName": name, "State": state}
    if reason:
        answer["StateReason"] = reason
    return answer


def test_a_twin_that_fails_to_start_is_reported_and_deleted(aws: dict[str, Any]) -> None:
    client = aws["lambda"]
    _zip_function(aws)
    plans = plan_twins(client, "orders", [ARM], "run1", fetch=_the_zip)
    name = plans[0].name
    with Stubber(client) as stub:
        stub.add_response("create_function", {"FunctionName": name}, plans[0].request)
        stub.add_response("get_function_configuration", _configuration(name, "Pending"))
        reason = "Lambda was unable to configure your subnets"
        stub.add_response("get_function_configuration", _configuration(name, "Failed", reason))
        stub.add_response("delete_function", {}, {"FunctionName": name})
        failed = pytest.raises(TargetError, match=f"twin {name} failed to start: {reason}")
        with failed, twins_of(client, plans) as twins:
            twins.create(plans[0])
        stub.assert_no_pending_responses()


def test_no_permission_to_delete_a_twin_says_to_run_cleanup(aws: dict[str, Any]) -> None:
    client = aws["lambda"]
    _zip_function(aws)
    plans = plan_twins(client, "orders", [ARM], "run1", fetch=_the_zip)
    name = plans[0].name
    said: list[str] = []
    with Stubber(client) as stub:
        stub.add_response("create_function", {"FunctionName": name}, plans[0].request)
        stub.add_response("get_function_configuration", _configuration(name, "Active"))
        stub.add_client_error("delete_function", "AccessDeniedException", "no", 403)
        with pytest.raises(TargetError) as caught, twins_of(client, plans, say=said.append) as t:
            t.create(plans[0])
        stub.assert_no_pending_responses()
    text = str(caught.value)
    assert f"twin {name}: access denied" in text and "lambda:DeleteFunction" in text
    assert "powertune cleanup" in text and "\n" not in text and said == []


def test_the_package_is_fetched_only_over_https_or_loopback_and_bounded(
    server: LocalLambda, tmp_path: Path
) -> None:
    client = lambda_client(server)
    name = _deploy(server, tmp_path)
    location = client.get_function(FunctionName=name)["Code"]["Location"]
    package = fetch_package(location)
    assert package.startswith(b"PK") and b"app.py" in package
    with pytest.raises(TargetError, match="larger than 16 bytes"):
        fetch_package(location, 16)
    with pytest.raises(TargetError, match="not an https URL"):
        fetch_package("http://example.com/code.zip")
    with pytest.raises(TargetError, match="not an https URL"):
        fetch_package("file:///etc/passwd")


def test_the_tuning_target_measures_a_twin_as_it_measures_the_function(
    server: LocalLambda, tmp_path: Path
) -> None:
    """What the run will do with a twin: tune it through the same target, then delete it."""
    client = lambda_client(server)
    name = _deploy(server, tmp_path)
    plans = plan_twins(client, name, [ARM], "measured")
    session = boto3.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    )
    with twins_of(client, plans) as twins:
        twins.create(plans[0])
        target = AwsLambdaTarget(
            plans[0].name, boto3_session=session, endpoint_url=server.endpoint_url, log_wait_s=2
        )
        assert target.describe().architecture == "arm64"
        try:
            for memory in (512, 1024):
                target.prepare(memory)
                sample = target.invoke(memory, b'{"n": 2}')
                assert sample.status == "success" and sample.memory_mb == memory
                assert sample.billed_ms is not None and sample.billed_ms > 0
        finally:
            target.restore()
    assert _gone(client, plans[0].name)
    assert client.get_function_configuration(FunctionName=name)["MemorySize"] == 1024
