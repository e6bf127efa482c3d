"""`local serve --template`: a SAM / CloudFormation template's functions on the local runtime.

Reading (Globals, IgnoreGlobals, parameters, !Sub / !Ref / !Join names, CloudFormation's
physical names, what cannot run locally and why), then serving through real boto3 clients (by
physical name and by logical ID), then the command itself as a real process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from powertune.local import LocalLambda
from powertune.local.template import (
    TemplateInputError,
    cloudformation_name,
    load_template,
)

BIN = Path(sys.executable).parent
ORDERS = Path(__file__).resolve().parents[1] / "examples" / "orders-app"

HANDLER = """
import os

def handler(event, context):
    return {
        "name": context.function_name,
        "memory": int(context.memory_limit_in_mb),
        "stage": os.environ.get("STAGE"),
        "table": os.environ.get("TABLE"),
        "queue": os.environ.get("QUEUE"),
        "flavour": os.environ.get("FLAVOUR"),
    }
"""

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
  Size:
    Type: Number
    Default: 384
  Required:
    Type: String
Globals:
  Function:
    Runtime: python3.12
    Handler: probe.handler
    MemorySize: 256
    Timeout: 20
    Environment:
      Variables:
        STAGE: !Ref Stage
        FLAVOUR: global
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Queue:
    Type: AWS::SQS::Queue
  Api:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub '${AWS::StackName}-api-${Stage}'
      CodeUri: code/
      Environment:
        Variables:
          TABLE: !Ref Table
          QUEUE: !GetAtt Queue.Arn
          FLAVOUR: own
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ./code
      MemorySize: !Ref Size
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: code
      IgnoreGlobals: '*'
      Runtime: python3.11
      Handler: probe.handler
  Joined:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Join ['-', [!Ref 'AWS::StackName', joined]]
      Code: code
      Handler: probe.handler
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/x
  NodeFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: code/
      Runtime: nodejs22.x
      Handler: index.handler
  ImageFn:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest
  S3Fn:
    Type: AWS::Lambda::Function
    Properties:
      Code:
        S3Bucket: bucket
        S3Key: app.zip
      Handler: probe.handler
      Runtime: python3.12
"""


@pytest.fixture()
def app(tmp_path: Path) -> Path:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "probe.py").write_text(HANDLER)
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return tmp_path / "template.yaml"


def _by_id(template: Path, **kwargs: object) -> dict:
    params = {"Required": "x"} | dict(kwargs.pop("parameters", {}))  # type: ignore[arg-type]
    return {f.logical_id: f for f in load_template(template, parameters=params, **kwargs)}


def test_globals_parameters_and_names_are_resolved(app: Path) -> None:
    found = _by_id(app, stack_name="shop")
    api, worker, plain, joined = found["Api"], found["Worker"], found["Plain"], found["Joined"]
    assert api.name == "shop-api-dev"
    assert (api.memory_mb, api.timeout_s, api.runtime) == (256, 20, "python3.12")
    # Globals' variables merged under the function's own; a resource's Ref is its logical ID
    assert api.environment == {"STAGE": "dev", "FLAVOUR": "own", "TABLE": "Table"}
    assert any("QUEUE" in note and "GetAtt" in note for note in api.notes)
    assert worker.memory_mb == 384 and worker.timeout_s == 20
    # IgnoreGlobals '*': Lambda's own defaults, not the Globals' 256 MB / 20 s
    assert (plain.memory_mb, plain.timeout_s, plain.environment) == (128, 3, {})
    assert joined.name == "shop-joined"
    assert joined.memory_mb == 128  # AWS::Lambda::Function takes no Globals
    assert api.code_path == worker.code_path == (app.parent / "code").resolve()


def test_physical_names_follow_cloudformation_or_sam_local(app: Path) -> None:
    with_stack = _by_id(app, stack_name="shop")
    without = _by_id(app)
    assert without["Worker"].name == "Worker"  # sam local: the logical ID
    assert without["Api"].name == "local-api-dev"
    name = with_stack["Worker"].name
    assert name.startswith("shop-Worker-") and len(name) == len("shop-Worker-") + 12
    assert name == cloudformation_name("shop", "Worker")  # stable from run to run
    long = cloudformation_name("s" * 100, "L" * 80)
    assert len(long) == 64 and long.startswith("s") and "-L" in long


def test_parameter_overrides_win_and_unknown_ones_are_refused(app: Path) -> None:
    found = _by_id(app, parameters={"Stage": "prod", "Size": "1024"})
    assert found["Api"].name == "local-api-prod"
    assert found["Api"].environment["STAGE"] == "prod"
    assert found["Worker"].memory_mb == 1024
    with pytest.raises(TemplateInputError, match="no such parameter"):
        load_template(app, parameters={"Nope": "1"})


def test_a_parameter_without_default_is_named_when_a_name_needs_it(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "t.yaml").write_text(
        "Parameters:\n  Env: {Type: String}\nResources:\n  F:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n"
        "      FunctionName: !Sub 'app-${Env}'\n      CodeUri: code\n"
        "      Runtime: python3.12\n      Handler: a.b\n"
    )
    with pytest.raises(TemplateInputError, match=r"parameter Env has no Default: give --parameter"):
        load_template(tmp_path / "t.yaml")


def test_what_cannot_run_locally_is_kept_with_its_reason(app: Path) -> None:
    found = _by_id(app)
    assert found["NodeFn"].reason is not None and "nodejs22.x" in found["NodeFn"].reason
    assert found["ImageFn"].reason is not None and "container image" in found["ImageFn"].reason
    assert found["S3Fn"].reason is not None and "S3" in found["S3Fn"].reason
    assert all(found[k].runnable for k in ("Api", "Worker", "Plain", "Joined"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Resources: {}\n", "no Resources"),
        ("Resources:\n  Q: {Type: AWS::SQS::Queue}\n", "no AWS::Serverless::Function"),
        (
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      CodeUri: missing/\n      Runtime: python3.12\n      Handler: a.b\n",
            r"F: CodeUri missing/: no such folder",
        ),
        (
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      CodeUri: .\n      MemorySize: lots\n      Runtime: python3.12\n"
            "      Handler: a.b\n",
            "MemorySize is not a whole number",
        ),
        ("Resources: [\n", "not a valid template"),
        ("- a list\n", "not a template"),
    ],
)
def test_bad_templates_are_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "t.yaml").write_text(text)
    with pytest.raises(TemplateInputError, match=message):
        load_template(tmp_path / "t.yaml")


def test_the_orders_app_template_reads_whole() -> None:
    found = {f.logical_id: f for f in load_template(ORDERS / "template.yaml", stack_name="orders")}
    assert len(found) == 6 and all(f.runnable for f in found.values())
    assert found["OrderApiFunction"].name == "orders-order-api"
    assert found["OrderApiFunction"].memory_mb == 1024  # from Globals
    assert found["NightlyReportFunction"].memory_mb == 3008


@pytest.fixture()
def served(app: Path) -> Iterator[tuple[LocalLambda, object]]:
    with LocalLambda(cpu="model") as server:
        for function in load_template(app, stack_name="shop", parameters={"Required": "x"}):
            if function.runnable:
                server.add_template_function(function, stack_name="shop")
        client = boto3.client(
            "lambda",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        yield server, client


def test_functions_answer_to_physical_name_and_logical_id(
    served: tuple[LocalLambda, object],
) -> None:
    _, client = served
    by_name = json.loads(client.invoke(FunctionName="shop-api-dev")["Payload"].read())  # type: ignore[attr-defined]
    by_id = json.loads(client.invoke(FunctionName="Api")["Payload"].read())  # type: ignore[attr-defined]
    assert by_name == by_id
    assert by_name["name"] == "shop-api-dev" and by_name["memory"] == 256
    assert (by_name["stage"], by_name["table"], by_name["flavour"]) == ("dev", "Table", "own")
    config = client.get_function_configuration(FunctionName="Worker")  # type: ignore[attr-defined]
    assert config["FunctionName"].startswith("shop-Worker-")
    assert config["MemorySize"] == 384 and config["Timeout"] == 20
    names = {f["FunctionName"] for f in client.list_functions()["Functions"]}  # type: ignore[attr-defined]
    assert "shop-api-dev" in names and "shop-joined" in names
    assert "NodeFn" not in names and not any(n.startswith("shop-NodeFn") for n in names)
    # an update through the logical ID changes the physical function
    client.update_function_configuration(FunctionName="Api", MemorySize=512)  # type: ignore[attr-defined]
    client.get_waiter("function_updated_v2").wait(FunctionName="shop-api-dev")  # type: ignore[attr-defined]
    assert client.get_function_configuration(FunctionName="shop-api-dev")["MemorySize"] == 512  # type: ignore[attr-defined]


def test_the_stack_lists_its_functions_for_tune_stack(
    served: tuple[LocalLambda, object],
) -> None:
    from botocore.exceptions import ClientError

    from powertune.errors import PowertuneError
    from powertune.tune.fleet_select import stack_functions

    server, _ = served
    cfn = boto3.client(
        "cloudformation",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    names = stack_functions(cfn, "shop")
    assert names[0] == "shop-api-dev" and "shop-joined" in names
    assert len(names) == 4  # the runnable ones; NodeFn, ImageFn and S3Fn were not created
    listed = cfn.list_stack_resources(StackName="shop")["StackResourceSummaries"]
    assert {r["LogicalResourceId"] for r in listed} == {"Api", "Worker", "Plain", "Joined"}
    with pytest.raises(ClientError, match="does not exist"):
        cfn.list_stack_resources(StackName="other")
    with pytest.raises(PowertuneError):
        stack_functions(cfn, "other")


def _serve(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    return subprocess.run(
        [str(BIN / "powertune"), "local", "serve", "--port", "0", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_a_missing_code_folder_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  Orders:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src/orders/\n      Runtime: python3.12\n      Handler: app.handler\n"
    )
    done = _serve("--template", "t.yaml", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("powertune:")
    assert "Orders" in lines[0] and "src/orders/" in lines[0]
    assert "Traceback" not in done.stderr


def test_serve_options_that_need_a_template_say_so(tmp_path: Path) -> None:
    done = _serve("--stack-name", "x", cwd=tmp_path)
    assert done.returncode == 2 and "go with --template" in done.stderr
