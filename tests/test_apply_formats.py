"""Layouts beyond the examples: CRLF, flow style, anchors and merge keys, shared parameters and
variables, tfvars, locals, ambiguous names, and the position-keeping JSON reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from apply_results import Fn, make_result
from hypothesis import given, settings
from hypothesis import strategies as st

from powertune.apply import jsonpos, plan_templates, targets_from_result
from powertune.apply.errors import TemplateError
from powertune.apply.plan import Plan


def flat(name: str, orig: int, rec: int) -> Fn:
    return Fn(name, orig, rec, {orig: 120.0, rec: 121.0})


def plan_for(tmp_path: Path, files: dict[str, str], fns: list[Fn], **kw: object) -> Plan:
    paths = []
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
        paths.append(path)
    targets, _ = targets_from_result(make_result(fns))
    return plan_templates(targets, paths, **kw)  # type: ignore[arg-type]


def new_text(plan: Plan, name: str) -> str | None:
    return next((f.new_text() for f in plan.files if f.path.name == name), None)


SAM_HEAD = "Transform: AWS::Serverless-2016-10-31\nResources:\n"


def test_crlf_stays_crlf_and_the_added_line_uses_it(tmp_path: Path) -> None:
    text = (
        SAM_HEAD + "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      FunctionName: crlf-fn\n      Handler: a.b\n      Timeout: 3\n      CodeUri: x/\n"
    ).replace("\n", "\r\n")
    plan = plan_for(tmp_path, {"t.yaml": text}, [flat("crlf-fn", 128, 128)])
    assert not plan.files  # already at the default 128 MB? no: there is no MemorySize
    plan = plan_for(tmp_path, {"t.yaml": text}, [flat("crlf-fn", 512, 256)])
    out = new_text(plan, "t.yaml")
    assert out == text.replace("Timeout: 3\r\n", "Timeout: 3\r\n      MemorySize: 256\r\n")


def test_no_trailing_newline_after_the_neighbour(tmp_path: Path) -> None:
    text = (
        SAM_HEAD
        + "  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: eof\n      Timeout: 3"
    )
    plan = plan_for(tmp_path, {"t.yaml": text}, [flat("eof", 512, 256)])
    assert new_text(plan, "t.yaml") == text + "\n      MemorySize: 256"


@pytest.mark.parametrize(
    ("props", "needle"),
    [
        ("    Properties: {FunctionName: f1, Handler: a.b}\n", "flow style"),
        (
            "    Properties:\n      FunctionName: f1\n      MemorySize: !If [Big, 2048, 512]\n",
            "Fn::If",
        ),
        ("    Properties:\n      FunctionName: f1\n      MemorySize: &mem 512\n", "by hand"),
    ],
)
def test_values_apply_will_not_edit_become_suggestions(
    tmp_path: Path, props: str, needle: str
) -> None:
    text = SAM_HEAD + "  Fn:\n    Type: AWS::Serverless::Function\n" + props
    plan = plan_for(tmp_path, {"t.yaml": text}, [flat("f1", 1024, 512)])
    assert not plan.files
    assert len(plan.suggestions) == 1 and needle in plan.suggestions[0]
    assert "suggested 512 MB" in plan.suggestions[0]


def test_a_shared_parameter_is_not_edited(tmp_path: Path) -> None:
    text = (
        "Parameters:\n  Mem:\n    Type: Number\n    Default: 1024\nResources:\n"
        "  A:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: a\n"
        "      MemorySize: !Ref Mem\n"
        "  B:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: b\n"
        "      MemorySize: {Ref: Mem}\n"
    )
    plan = plan_for(tmp_path, {"t.yaml": text}, [flat("a", 1024, 512)])
    assert not plan.files
    assert "used 2 times" in plan.suggestions[0]
    assert "--parameter-overrides Mem=512" in plan.suggestions[0]


def test_sub_with_variables_and_pseudo_parameters_matches_by_pattern(tmp_path: Path) -> None:
    text = (
        SAM_HEAD + "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      FunctionName: !Sub\n        - '${App}-${AWS::Region}-worker'\n"
        "        - App: shop\n      MemorySize: 1024\n"
    )
    plan = plan_for(tmp_path, {"t.yaml": text}, [flat("shop-eu-west-1-worker", 1024, 512)])
    assert new_text(plan, "t.yaml") == text.replace("MemorySize: 1024", "MemorySize: 512")
    assert plan.changes[0].note == "matched by pattern"
    # Given the region, the name is exact.
    plan = plan_for(
        tmp_path,
        {"t.yaml": text},
        [flat("shop-eu-west-1-worker", 1024, 512)],
        params={"AWS::Region": "eu-west-1"},
    )
    assert plan.changes[0].note == "matched by name"


def test_two_result_functions_fitting_one_pattern_are_left_to_map(tmp_path: Path) -> None:
    text = (
        SAM_HEAD + "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      FunctionName: !Sub '${AWS::StackName}-api'\n      MemorySize: 1024\n"
    )
    fns = [flat("prod-api", 1024, 512), flat("dev-api", 1024, 512)]
    plan = plan_for(tmp_path, {"t.yaml": text}, fns)
    assert not plan.files
    assert all("settle with --map" in line for line in plan.unmatched) and len(plan.unmatched) == 2
    plan = plan_for(tmp_path, {"t.yaml": text}, fns, mapping={"prod-api": "Fn"})
    assert new_text(plan, "t.yaml") == text.replace("MemorySize: 1024", "MemorySize: 512")


# --- serverless.yml ----------------------------------------------------------------------
SLS = """service: shop
provider:
  name: aws
  stage: dev
defaults: &defaults
  memorySize: 1024
  timeout: 6
custom:
  mem: 512
functions:
  a:
    <<: *defaults
    handler: a.run
  b:
    handler: b.run
    memorySize: ${self:custom.mem}
  c:
    handler: c.run
    memorySize: ${self:custom.mem}
"""


def test_serverless_merge_key_gets_its_own_setting_and_the_anchor_stays(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, {"serverless.yml": SLS}, [flat("shop-dev-a", 1024, 512)])
    assert new_text(plan, "serverless.yml") == SLS.replace(
        "    handler: a.run\n", "    handler: a.run\n    memorySize: 512\n"
    )
    assert "merge key" in plan.changes[0].note


def test_serverless_shared_custom_value_is_a_suggestion(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, {"serverless.yml": SLS}, [flat("shop-dev-b", 512, 256)])
    assert not plan.files
    assert "used 2 times" in plan.suggestions[0]


def test_serverless_functions_from_another_file_is_a_template_error(tmp_path: Path) -> None:
    text = "service: shop\nprovider:\n  name: aws\nfunctions: ${file(./functions.yml)}\n"
    with pytest.raises(TemplateError, match="pass the file that defines them"):
        plan_for(tmp_path, {"serverless.yml": text}, [flat("x", 512, 256)])


# --- Terraform ---------------------------------------------------------------------------
TF = """resource "aws_lambda_function" "a" {
  function_name = "a-${var.env}"
  memory_size   = var.mem
}

resource "aws_lambda_function" "b" {
  function_name = "b"
  memory_size   = local.b_mem
}

resource "aws_lambda_function" "c" {
  function_name = "c"
  memory_size   = var.shared
}

resource "aws_lambda_function" "d" {
  function_name = "d"
  memory_size   = var.shared
}

locals {
  b_mem = 2048 # big
}

variable "env" {
  default = "dev"
}

variable "mem" {
  default = 1024
}

variable "shared" {
  default = 512
}
"""


def test_tfvars_wins_over_the_default(tmp_path: Path) -> None:
    tfvars = 'env = "prod"\nmem = 1536 # prod size\n'
    files = {"main.tf": TF, "prod.tfvars": tfvars}
    plan = plan_for(tmp_path, files, [flat("a-prod", 1536, 1024)])
    assert new_text(plan, "main.tf") is None
    assert new_text(plan, "prod.tfvars") == tfvars.replace("1536", "1024")


def test_a_local_used_once_is_edited_and_a_shared_variable_is_not(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, {"main.tf": TF}, [flat("b", 2048, 1024), flat("c", 512, 256)])
    assert new_text(plan, "main.tf") == TF.replace("b_mem = 2048 # big", "b_mem = 1024 # big")
    assert len(plan.suggestions) == 1 and "var.shared (used 2 times)" in plan.suggestions[0]


def test_terraform_bad_hcl_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"main.tf:3:"):
        plan_for(tmp_path, {"main.tf": 'resource "a" "b" {\n  x = 1\n  y = = 2\n}\n'}, [])


# --- the position-keeping JSON reader ---------------------------------------------------
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(json_values, st.sampled_from([None, 0, 2]))
def test_jsonpos_reads_what_json_reads_and_every_span_is_its_value(
    value: object, indent: int | None
) -> None:
    text = json.dumps(value, indent=indent)
    node = jsonpos.parse(text)
    assert node.plain() == json.loads(text)
    stack = [node]
    while stack:
        current = stack.pop()
        assert json.loads(text[current.start : current.end]) == current.plain()
        if current.kind == "object":
            stack.extend(v for _, _, v in current.members)
        elif current.kind == "array":
            stack.extend(current.value)


def test_the_tie_band_reason_is_shown_when_the_result_has_one(tmp_path: Path) -> None:
    result = make_result([flat("f1", 1024, 512)], tmp_path / "r.json")
    raw = json.loads((tmp_path / "r.json").read_text())
    without, _ = targets_from_result(result, raw=raw)
    assert "tie band" not in without[0].label()
    reason = "cost is flat from 512 to 1024 MB; 1024 MB is 2x faster for +0.8%"
    raw["functions"][0]["recommendation"]["tie_band"] = {"band": 0.01, "reason": reason}
    with_reason, _ = targets_from_result(result, raw=raw)
    assert f"tie band: {reason}" in with_reason[0].label()
    assert "confidence: within 1% at 95%" in with_reason[0].label()


CFN_FN = (
    "Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: f1\n"
)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        # Not integers: a suggestion, never "512.5" or "512e3".
        ("t.yaml", CFN_FN + "      MemorySize: 1.5\n", None),
        ("t.yaml", CFN_FN + "      MemorySize: 0x400\n", None),
        (
            "t.json",
            '{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": '
            '{"FunctionName": "f1", "MemorySize": 1e3}}}}',
            None,
        ),
        # Quoted numbers are numbers to CloudFormation and Terraform.
        ("t.yaml", CFN_FN + "      MemorySize: '1024'\n", CFN_FN + "      MemorySize: '512'\n"),
        (
            "main.tf",
            'resource "aws_lambda_function" "x" {\n  function_name = "f1"\n'
            '  memory_size = "1024"\n}\n',
            'resource "aws_lambda_function" "x" {\n'
            '  function_name = "f1"\n  memory_size = "512"\n}\n',
        ),
        # A byte-order mark stays where it is.
        (
            "t.json",
            '\ufeff{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": '
            '{"FunctionName": "f1", "MemorySize": 1024}}}}',
            '\ufeff{"Resources": {"F": {"Type": '
            '"AWS::Lambda::Function", "Properties": {"FunctionName": "f1", "MemorySize": 512}}}}',
        ),
    ],
)
def test_only_integer_literals_are_edited(
    tmp_path: Path, name: str, text: str, expected: str | None
) -> None:
    plan = plan_for(tmp_path, {name: text}, [flat("f1", 1024, 512)])
    assert new_text(plan, name) == expected
    if expected is None:
        assert len(plan.suggestions) == 1 and "by hand" in plan.suggestions[0]


def test_pulumi_function_and_a_construct_with_two_memory_settings(tmp_path: Path) -> None:
    text = (
        'import * as aws from "@pulumi/aws";\n'
        'const api = new aws.lambda.Function("orders-api", {\n'
        '    runtime: "nodejs20.x",\n'
        "    memorySize: 1024,\n"
        "});\n"
        'const twice = new aws.lambda.Function("twice", {\n'
        "    memorySize: isProd ? 2048 : 512,\n"
        "    environment: { variables: { memorySize: 1 } },\n"
        "});\n"
    )
    plan = plan_for(
        tmp_path, {"index.ts": text}, [flat("orders-api", 1024, 512), flat("twice", 2048, 1024)]
    )
    assert new_text(plan, "index.ts") == text.replace("memorySize: 1024", "memorySize: 512")
    assert len(plan.suggestions) == 1
    assert "index.ts:7" in plan.suggestions[0] and "lines 7, 8" in plan.suggestions[0]


def test_terraform_json_is_named_as_unsupported(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="Terraform JSON is not supported"):
        plan_for(tmp_path, {"main.tf.json": '{"resource": {}}'}, [])


def test_pseudo_parameters_match_only_their_shape(tmp_path: Path) -> None:
    text = (
        SAM_HEAD + "  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      FunctionName: !Sub 'jobs-${AWS::AccountId}'\n      MemorySize: 1024\n"
    )
    plan = plan_for(tmp_path, {"t.yaml": text}, [flat("jobs-staging", 1024, 512)])
    assert not plan.files and plan.unmatched
    plan = plan_for(tmp_path, {"t.yaml": text}, [flat("jobs-123456789012", 1024, 512)])
    assert new_text(plan, "t.yaml") == text.replace("MemorySize: 1024", "MemorySize: 512")


def test_terraform_one_line_block_is_not_broken(tmp_path: Path) -> None:
    text = 'resource "aws_lambda_function" "x" { function_name = "one" }\n'
    plan = plan_for(tmp_path, {"main.tf": text}, [flat("one", 512, 256)])
    assert not plan.files
    assert "add memory_size = 256" in plan.suggestions[0]


def test_a_resource_id_that_is_not_a_string_is_a_template_error(tmp_path: Path) -> None:
    text = (
        "Resources:\n  1:\n    Type: AWS::Lambda::Function\n    Properties:\n      MemorySize: 1\n"
    )
    with pytest.raises(TemplateError, match="resource id 1 is not a string"):
        plan_for(tmp_path, {"t.yaml": text}, [flat("f1", 1024, 512)])


EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "apply"
_NAMES = ["thumbnails-prod-resize", "exporter-prod", "orders-prod-get", "pipeline-prod-resize"]
_MUTANTS = [
    "{",
    "}",
    "[",
    "]",
    ":",
    '"',
    "'",
    "!",
    "&a",
    "*a",
    "${",
    "\n",
    "  ",
    "#",
    "=",
    "<<: *x\n",
]


def test_mangled_examples_give_a_plan_or_a_template_error_never_a_crash(tmp_path: Path) -> None:
    """Seeded mutations of the examples (lines dropped, doubled, characters inserted or cut)."""
    import random

    targets, _ = targets_from_result(make_result([flat(n, 1024, 512) for n in _NAMES]), force=True)
    sources = [
        EXAMPLES / "sam" / "template.yaml",
        EXAMPLES / "sam" / "template.json",
        EXAMPLES / "serverless" / "serverless.yml",
        EXAMPLES / "terraform" / "main.tf",
        EXAMPLES / "cdk" / "stack.ts",
    ]
    rng = random.Random(19)
    outcomes = {"plan": 0, "error": 0}
    for _ in range(200):
        source = rng.choice(sources)
        text = source.read_text()
        at = rng.randrange(len(text))
        choice = rng.randrange(3)
        if choice == 0:
            text = text[:at] + rng.choice(_MUTANTS) + text[at:]
        elif choice == 1:
            text = text[:at] + text[at + rng.randint(1, 20) :]
        else:
            text = text[:at]
        path = tmp_path / source.name
        path.write_text(text)
        try:
            plan = plan_templates(targets, [path])
            for file in plan.files:
                file.diff()
            outcomes["plan"] += 1
        except TemplateError as exc:
            assert str(exc).startswith(str(path)), exc
            outcomes["error"] += 1
    assert outcomes["plan"] and outcomes["error"]
