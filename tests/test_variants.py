"""Variant specs (`--variant arch=arm64,runtime=python3.13`), twin names and the twin's
CreateFunction request built from a GetFunction answer: no AWS call."""

from __future__ import annotations

from typing import Any

import pytest

from powertune.errors import InputError
from powertune.tune.targets.variants import (
    FUNCTION_NAME_MAX,
    Variant,
    parse_variant,
    parse_variants,
    refusal,
    runtime_family,
    twin_description,
    twin_name,
    twin_request,
)

ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders"


def test_each_key_alone_and_combined() -> None:
    assert parse_variant("arch=arm64") == Variant(architecture="arm64")
    assert parse_variant("runtime=python3.13") == Variant(runtime="python3.13")
    both = parse_variant(" runtime=nodejs22.x , arch=arm64 ")
    assert both == Variant(architecture="arm64", runtime="nodejs22.x")
    assert both.label == "arch=arm64,runtime=nodejs22.x"
    assert both.slug == "arm64-nodejs22x"


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ("arch=arm", "'arm'"),
        ("cpu=arm64", "'cpu'"),
        ("runtime=python", "'python'"),
        ("runtime=cobol9", "'cobol9'"),
        ("arch", "'arch'"),
        ("arch=", "'arch='"),
        ("arch=arm64,arch=x86_64", "arch given twice"),
        ("", "empty"),
    ],
)
def test_bad_specs_are_an_input_error_naming_the_part(spec: str, named: str) -> None:
    with pytest.raises(InputError, match=named.replace("(", r"\(")):
        parse_variant(spec)


def test_the_same_variant_twice_is_refused() -> None:
    with pytest.raises(InputError, match="given twice"):
        parse_variants(["arch=arm64", "arch=arm64"])
    assert len(parse_variants(["arch=arm64", "runtime=python3.13"])) == 2


@pytest.mark.parametrize(
    ("runtime", "family"),
    [
        ("python3.9", "python"),
        ("python3.13", "python"),
        ("python2.7", "python"),
        ("ruby2.7", "ruby"),
        ("nodejs22.x", "nodejs"),
        ("java21", "java"),
        ("java8.al2", "java"),
        ("dotnet8", "dotnet"),
        ("ruby3.3", "ruby"),
        ("provided.al2023", "provided"),
        ("provided", "provided"),
        ("go1.x", "provided"),
        ("python", None),
        ("nodejs", None),
        ("dotnetcore3.1", None),
        ("python3.13; rm", None),
        ("python3.13\n", None),
        (None, None),
    ],
)
def test_runtime_families(runtime: str | None, family: str | None) -> None:
    assert runtime_family(runtime) == family


def test_twin_names_are_deterministic_distinct_and_fit_64_characters() -> None:
    arm = Variant(architecture="arm64")
    name = twin_name("orders", arm, "run1")
    assert name.startswith("orders-pt-arm64-") and name == twin_name("orders", arm, "run1")
    assert name != twin_name("orders", arm, "run2")
    assert name != twin_name("orders", Variant(runtime="python3.13"), "run1")
    long = "f" * 64
    both = Variant(architecture="arm64", runtime="nodejs22.x")
    cut = twin_name(long, both, "run1")
    assert (
        len(cut) == FUNCTION_NAME_MAX and cut.endswith(cut[-6:]) and "-pt-arm64-nodejs22x-" in cut
    )


def _found(**config: Any) -> dict[str, Any]:
    base = {
        "FunctionName": "orders",
        "FunctionArn": ARN,
        "Runtime": "python3.12",
        "Role": "arn:aws:iam::123456789012:role/orders",
        "Handler": "app.handler",
        "Timeout": 30,
        "MemorySize": 1024,
        "Environment": {"Variables": {"TABLE": "orders"}},
        "TracingConfig": {"Mode": "Active"},
        "EphemeralStorage": {"Size": 2048},
        "Architectures": ["x86_64"],
        "PackageType": "Zip",
        "Layers": [{"Arn": "arn:aws:lambda:eu-west-1:123456789012:layer:deps:3", "CodeSize": 1}],
        "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"], "VpcId": "vpc-1"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/custom/orders"},
        "CodeSize": 10,
        "Version": "$LATEST",
    }
    base.update(config)
    return {"Configuration": base, "Code": {"Location": "https://example/code.zip"}}


def test_a_twin_copies_the_configuration_with_only_the_variant_changed() -> None:
    found = _found()
    arm = Variant(architecture="arm64")
    request = twin_request(
        found,
        arm,
        name="orders-pt-arm64-abc123",
        description=twin_description(ARN, arm, "run1"),
        code={"ZipFile": b"PK"},
    )
    assert request == {
        "FunctionName": "orders-pt-arm64-abc123",
        "Description": f"powertune twin of={ARN} run=run1 variant=arch=arm64",
        "Code": {"ZipFile": b"PK"},
        "PackageType": "Zip",
        "Publish": False,
        "Role": "arn:aws:iam::123456789012:role/orders",
        "Timeout": 30,
        "MemorySize": 1024,
        "Handler": "app.handler",
        "Runtime": "python3.12",
        "Architectures": ["arm64"],
        "Environment": {"Variables": {"TABLE": "orders"}},
        "Layers": ["arn:aws:lambda:eu-west-1:123456789012:layer:deps:3"],
        "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
        "TracingConfig": {"Mode": "Active"},
        "EphemeralStorage": {"Size": 2048},
        "LoggingConfig": {"LogFormat": "Text"},  # its own log group, not the function's
    }
    runtime = twin_request(found, Variant(runtime="python3.13"), name="t", description="d", code={})
    assert runtime["Runtime"] == "python3.13" and runtime["Architectures"] == ["x86_64"]


def test_an_image_twin_keeps_the_image_and_its_image_config() -> None:
    found = _found(
        PackageType="Image",
        Runtime=None,
        Handler=None,
        ImageConfigResponse={"ImageConfig": {"Command": ["app.handler"]}},
    )
    request = twin_request(
        found, Variant(architecture="arm64"), name="t", description="d", code={"ImageUri": "u"}
    )
    assert request["Code"] == {"ImageUri": "u"} and request["PackageType"] == "Image"
    assert request["ImageConfig"] == {"Command": ["app.handler"]}
    assert "Runtime" not in request and "Handler" not in request


@pytest.mark.parametrize(
    ("config", "variant", "reason"),
    [
        ({}, Variant(runtime="nodejs22.x"), "handler app.handler is python code"),
        ({"Runtime": "nodejs20.x"}, Variant(runtime="python3.13"), "is nodejs code"),
        ({}, Variant(architecture="x86_64"), "already is x86_64"),
        ({"PackageType": "Image"}, Variant(runtime="python3.13"), "container image"),
    ],
)
def test_refusals_without_an_aws_call(
    config: dict[str, Any], variant: Variant, reason: str
) -> None:
    found = refusal(_found(**config)["Configuration"], variant)
    assert found is not None and reason in found


def test_same_family_upgrades_and_architecture_moves_are_not_refused() -> None:
    config = _found()["Configuration"]
    assert refusal(config, Variant(runtime="python3.13")) is None
    assert refusal(config, Variant(architecture="arm64", runtime="python3.13")) is None
    assert (
        refusal(_found(Runtime="provided.al2")["Configuration"], Variant(runtime="provided.al2023"))
        is None
    )
