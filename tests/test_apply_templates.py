"""`powertune apply --template`: the example templates, edited byte for byte where they must be.

Each test copies examples/apply/ into a temporary directory, writes a result naming the example
functions, and runs the real CLI. Expected files are the originals with the memory lines
changed by hand here, compared as bytes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import hcl2
import pytest
from apply_results import Fn, make_result
from ruamel.yaml import YAML
from typer.testing import CliRunner

from cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "apply"


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(app, ["apply", *map(str, args)])


def flat(orig: int, rec: int) -> Fn:
    """An I/O-bound function: the same duration at both sizes (downsizing is cheaper)."""
    return Fn("", orig, rec, {orig: 120.0, rec: 121.0})


def cpu(orig: int, rec: int) -> Fn:
    """A CPU-bound function: duration falls with memory, cost stays flat (upsizing is free)."""
    return Fn("", orig, rec, {orig: 800.0 * 1024 / orig, rec: 800.0 * 1024 / rec})


def named(name: str, fn: Fn, arn: str | None = None) -> Fn:
    fn.name = name
    fn.arn = arn
    return fn


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "apply")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "apply"


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def one_error_line(result: Any, code: int) -> str:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("powertune: error: ")
    assert "Traceback" not in result.output
    return str(lines[0])


# --- SAM / CloudFormation YAML -----------------------------------------------------------
def sam_result(path: Path) -> None:
    make_result(
        [
            named("thumbnails-prod-resize", cpu(1024, 1536)),  # inherits Globals 1024
            named("thumbnails-prod-orders-api", flat(512, 384)),  # !Ref ApiMemory, used once
            named("thumbnails-prod-export", flat(256, 256)),  # already there
        ],
        path,
    )


def sam_expected(original: str) -> str:
    text = replace_once(
        original,
        "    Default: 512   # only OrdersApiFunction uses it\n",
        "    Default: 384   # only OrdersApiFunction uses it\n",
    )
    return replace_once(
        text,
        "      Handler: app.handler\n      Timeout: 60\n",
        "      Handler: app.handler\n      Timeout: 60\n      MemorySize: 1536\n",
    )


def test_sam_preview_prints_the_diff_and_changes_nothing(work: Path) -> None:
    template = work / "sam" / "template.yaml"
    before = template.read_bytes()
    sam_result(work / "r.json")
    result = run(work / "r.json", "--template", template)
    assert result.exit_code == 0, result.output
    assert template.read_bytes() == before
    changed = [
        line
        for line in result.stdout.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == [
        "-    Default: 512   # only OrdersApiFunction uses it",
        "+    Default: 384   # only OrdersApiFunction uses it",
        "+      MemorySize: 1536",
    ]
    assert "preview only" in result.stderr
    assert "inherited Globals.Function.MemorySize 1024" in result.stderr
    assert "confidence: within 1% at 95%" in result.stderr


def test_sam_write_changes_only_the_memory_lines_then_nothing(work: Path) -> None:
    template = work / "sam" / "template.yaml"
    original = template.read_text()
    sam_result(work / "r.json")
    first = run(work / "r.json", "-t", template, "--write")
    assert first.exit_code == 0, first.output
    assert template.read_bytes() == sam_expected(original).encode()
    doc = YAML(typ="rt").load(template.read_text())
    assert doc["Globals"]["Function"]["MemorySize"] == 1024  # shared: never changed
    assert doc["Resources"]["ResizeFunction"]["Properties"]["MemorySize"] == 1536
    assert "already 256 MB" in first.stderr

    after_first = template.read_bytes()
    second = run(work / "r.json", "-t", template, "--write")
    assert second.exit_code == 0, second.output
    assert template.read_bytes() == after_first
    assert second.stdout == ""
    assert "nothing to change" in second.stderr


def test_sam_unnamed_function_matches_its_generated_name_and_map_settles_the_rest(
    work: Path,
) -> None:
    template = work / "sam" / "template.yaml"
    original = template.read_text()
    make_result(
        [
            named("thumbnails-NightlyReportFunction-Ab12Cd34Ef56", flat(2048, 1024)),
            named("report-legacy", flat(256, 128)),
            named("somebody-else", flat(512, 256)),
        ],
        work / "r.json",
    )
    result = run(
        work / "r.json", "-t", template, "--map", "report-legacy=LegacyExportFunction", "--write"
    )
    assert result.exit_code == 4, result.output  # somebody-else: not applied
    expected = replace_once(
        original,
        "      MemorySize: 2048    # big pandas frames\n",
        "      MemorySize: 1024    # big pandas frames\n",
    )
    expected = replace_once(expected, '      MemorySize: "256"\n', '      MemorySize: "128"\n')
    assert template.read_bytes() == expected.encode()
    assert "unmatched: somebody-else: not found in the templates" in result.stderr


def test_stack_name_given_by_param_resolves_sub_names(work: Path) -> None:
    template = work / "sam" / "template.yaml"
    make_result([named("thumbnails-dev-resize", cpu(1024, 1536))], work / "r.json")
    # Stage defaults to prod: dev only matches when the parameter says so.
    unmatched = run(work / "r.json", "-t", template)
    assert "unmatched: thumbnails-dev-resize" in unmatched.stderr
    matched = run(work / "r.json", "-t", template, "--param", "Stage=dev")
    assert "+      MemorySize: 1536" in matched.stdout


def test_gate_refusal_is_skipped_unless_forced(work: Path) -> None:
    template = work / "sam" / "template.yaml"
    before = template.read_bytes()
    # Upsizing an I/O-bound function: cost +~50%, confirmed by 30 invocations a side.
    make_result([named("thumbnails-prod-resize", flat(1024, 2048))], work / "r.json")
    refused = run(work / "r.json", "-t", template, "--write")
    assert refused.exit_code == 4, refused.output  # a recommendation not applied
    assert template.read_bytes() == before
    assert "the gate would refuse it" in refused.stderr
    assert "gate: fail" in refused.stderr and "cost +" in refused.stderr
    forced = run(work / "r.json", "-t", template, "--write", "--force")
    assert forced.exit_code == 0, forced.output
    assert b"      Timeout: 60\n      MemorySize: 2048\n" in template.read_bytes()
    assert "applied anyway (--force)" in forced.stderr


# --- CloudFormation JSON -----------------------------------------------------------------
def test_cloudformation_json_edits_the_value_and_adds_a_member(work: Path) -> None:
    template = work / "sam" / "template.json"
    original = template.read_text()
    make_result(
        [named("exporter-prod", flat(1536, 1024)), named("importer-prod", cpu(128, 256))],
        work / "r.json",
    )
    result = run(work / "r.json", "-t", template, "--write")
    assert result.exit_code == 0, result.output
    expected = replace_once(original, '"MemorySize": 1536,', '"MemorySize": 1024,')
    expected = replace_once(
        expected,
        '        "FunctionName": { "Fn::Join"',
        '        "MemorySize": 256,\n        "FunctionName": { "Fn::Join"',
    )
    assert template.read_bytes() == expected.encode()
    data = json.loads(template.read_text())
    assert data["Resources"]["ImportFunction"]["Properties"]["MemorySize"] == 256
    again = run(work / "r.json", "-t", template, "--write")
    assert again.stdout == "" and template.read_bytes() == expected.encode()


# --- Terraform ---------------------------------------------------------------------------
def test_terraform_literal_missing_and_variable_defaults(work: Path) -> None:
    main, variables = work / "terraform" / "main.tf", work / "terraform" / "variables.tf"
    main_before, vars_before = main.read_text(), variables.read_text()
    make_result(
        [
            named("pipeline-prod-resize", flat(1024, 640)),  # literal, comment kept
            named("pipeline-prod-thumbs", cpu(128, 256)),  # no memory_size: added
            named("pipeline-prod-ingest", cpu(512, 1024)),  # module, var default used once
        ],
        work / "r.json",
    )
    preview = run(work / "r.json", "-t", main, "-t", variables)
    assert preview.exit_code == 0, preview.output
    assert main.read_text() == main_before and variables.read_text() == vars_before

    result = run(work / "r.json", "-t", main, "-t", variables, "--write")
    assert result.exit_code == 0, result.output
    main_expected = replace_once(
        main_before,
        "  memory_size   = 1024 # tuned 2024-05: 1 vCPU\n",
        "  memory_size   = 640 # tuned 2024-05: 1 vCPU\n",
    )
    main_expected = replace_once(
        main_expected,
        '  filename      = "build/thumbs.zip"\n  timeout       = 10\n',
        '  filename      = "build/thumbs.zip"\n  timeout       = 10\n  memory_size = 256\n',
    )
    vars_expected = replace_once(
        vars_before,
        "  default     = 512 # keep in step with the SQS batch size\n",
        "  default     = 1024 # keep in step with the SQS batch size\n",
    )
    assert main.read_bytes() == main_expected.encode()
    assert variables.read_bytes() == vars_expected.encode()
    assert hcl2.loads(main.read_text())["resource"]  # still valid HCL
    again = run(work / "r.json", "-t", main, "-t", variables, "--write")
    assert again.stdout == "" and "nothing to change" in again.stderr


def test_terraform_variable_without_its_file_is_a_clear_suggestion(work: Path) -> None:
    main = work / "terraform" / "main.tf"
    before = main.read_bytes()
    make_result([named("pipeline-prod-report", cpu(256, 512))], work / "r.json")
    # Without variables.tf the name's var.env is unknown (a wildcard) and the memory's
    # variable is nowhere: nothing is edited, and stderr says where to set it.
    result = run(work / "r.json", "-t", main, "--write")
    assert result.exit_code == 4, result.output  # by hand: not applied
    assert main.read_bytes() == before
    assert "by hand:" in result.stderr
    assert "memory_size = var.default_memory_mb" in result.stderr
    assert "default_memory_mb = 512" in result.stderr


# --- serverless.yml ----------------------------------------------------------------------
def test_serverless_provider_default_literal_and_custom_variable(work: Path) -> None:
    path = work / "serverless" / "serverless.yml"
    original = path.read_text()
    make_result(
        [
            named("orders-prod-create", cpu(512, 1024)),  # inherits provider.memorySize
            named("orders-prod-get", flat(256, 128)),  # literal
            named("orders-prod-queue-worker", cpu(1769, 2048)),  # ${self:custom.workerMemory}
        ],
        work / "r.json",
    )
    result = run(work / "r.json", "-t", path, "--write")
    assert result.exit_code == 0, result.output
    expected = replace_once(
        original,
        "    handler: handler.create # POST /orders\n",
        "    handler: handler.create # POST /orders\n    memorySize: 1024\n",
    )
    expected = replace_once(expected, "    memorySize: 256\n", "    memorySize: 128\n")
    expected = replace_once(
        expected,
        "  workerMemory: 1769   # one full vCPU\n",
        "  workerMemory: 2048   # one full vCPU\n",
    )
    assert path.read_bytes() == expected.encode()
    doc = YAML(typ="rt").load(path.read_text())
    assert doc["provider"]["memorySize"] == 512  # the provider default is shared
    again = run(work / "r.json", "-t", path, "--write")
    assert again.stdout == "" and path.read_bytes() == expected.encode()


def test_serverless_stage_from_the_command_line(work: Path) -> None:
    path = work / "serverless" / "serverless.yml"
    make_result([named("orders-staging-get", flat(256, 128))], work / "r.json")
    assert "unmatched: orders-staging-get" in run(work / "r.json", "-t", path).stderr
    matched = run(work / "r.json", "-t", path, "--param", "opt:stage=staging")
    assert "+    memorySize: 128" in matched.stdout


# --- CDK ---------------------------------------------------------------------------------
def test_cdk_edits_an_unambiguous_literal_and_reports_the_rest(work: Path) -> None:
    stack = work / "cdk" / "stack.ts"
    original = stack.read_text()
    make_result(
        [
            named("cdk-resize", flat(1024, 512)),
            named("ThumbnailsStack-ReportA1B2C3D4-xyzXYZ123", flat(1024, 512)),
        ],
        work / "r.json",
    )
    result = run(work / "r.json", "-t", stack, "--write")
    assert result.exit_code == 4, result.output  # Report: by hand
    expected = replace_once(
        original,
        "      memorySize: 1024, // 1 vCPU-ish\n",
        "      memorySize: 512, // 1 vCPU-ish\n",
    )
    assert stack.read_bytes() == expected.encode()
    line = original.splitlines().index("      memorySize: props?.env ? 2048 : 1024,") + 1
    assert f"stack.ts:{line}: Report" in result.stderr
    assert "suggested 512 MB" in result.stderr


# --- bad input ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("bad.yaml", "Resources:\n  A: [unclosed\n", "not valid YAML"),
        ("bad.json", '{"Resources": {"A": }}', "not valid JSON"),
        ("deep.json", "[" * 5000 + "]" * 5000, "not valid JSON"),
        ("bad.tf", 'resource "aws_lambda_function" "x" {\n  memory_size = \n}\n', "not valid HCL"),
        ("other.yaml", "just: a mapping\n", "neither a SAM"),
        ("notes.txt", "hello\n", "unknown kind of file"),
        ("binary.yaml", "\udcff", "not UTF-8"),
        ("list.json", "[1, 2]", "not a CloudFormation template"),
    ],
)
def test_malformed_templates_are_one_line_exit_2(
    work: Path, name: str, text: str, needle: str
) -> None:
    path = work / name
    if text == "\udcff":
        path.write_bytes(b"Resources: \xff\xfe\n")
    else:
        path.write_text(text)
    before = path.read_bytes()
    make_result([named("x", flat(512, 256))], work / "r.json")
    line = one_error_line(run(work / "r.json", "-t", path, "--write"), 2)
    assert needle in line
    assert path.read_bytes() == before


def test_bad_flags_and_missing_files_are_one_line(work: Path) -> None:
    make_result([named("thumbnails-prod-resize", cpu(1024, 1536))], work / "r.json")
    template = work / "sam" / "template.yaml"
    assert "nothing to apply to" in one_error_line(run(work / "r.json"), 2)
    assert "--map expects NAME=ID" in one_error_line(
        run(work / "r.json", "-t", template, "--map", "x"), 2
    )
    assert "no function 'Nope'" in one_error_line(
        run(work / "r.json", "-t", template, "--map", "thumbnails-prod-resize=Nope"), 2
    )
    assert "no such file" in one_error_line(run(work / "r.json", "-t", work / "missing.yaml"), 2)
    assert "missing.json" in one_error_line(run(work / "missing.json", "-t", template), 3)


def test_a_symlinked_template_keeps_its_link_and_a_read_only_one_is_refused(work: Path) -> None:
    real = work / "sam" / "template.yaml"
    link = work / "linked.yaml"
    link.symlink_to(real)
    make_result([named("thumbnails-prod-resize", cpu(1024, 1536))], work / "r.json")
    result = run(work / "r.json", "-t", link, "--write")
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and b"MemorySize: 1536" in real.read_bytes()

    locked = work / "serverless" / "serverless.yml"
    before = locked.read_bytes()
    locked.chmod(0o444)
    make_result([named("orders-prod-get", flat(256, 128))], work / "r.json")
    try:
        assert "permission denied" in one_error_line(
            run(work / "r.json", "-t", locked, "--write"), 3
        )
        assert locked.read_bytes() == before
    finally:
        locked.chmod(0o644)


def test_cdk_python_construct(work: Path) -> None:
    app_py = work / "app.py"
    app_py.write_text(
        "from aws_cdk import aws_lambda as _lambda\n\n"
        "class Stack(cdk.Stack):\n"
        "    def __init__(self, scope, id):\n"
        "        super().__init__(scope, id)\n"
        "        _lambda.Function(\n"
        '            self, "Resize",  # the image resizer\n'
        '            function_name="py-resize",\n'
        "            memory_size=1024,\n"
        "            handler='app.handler',\n"
        "        )\n"
    )
    before = app_py.read_text()
    make_result([named("py-resize", flat(1024, 512))], work / "r.json")
    result = run(work / "r.json", "-t", app_py, "--write")
    assert result.exit_code == 0, result.output
    assert app_py.read_text() == replace_once(before, "memory_size=1024,", "memory_size=512,")


def test_a_directory_is_searched_and_what_is_not_a_template_is_skipped(work: Path) -> None:
    (work / "package.json").write_text('{"name": "app"}\n')
    (work / ".github").mkdir()
    (work / ".github" / "ci.yml").write_text("on: push\n")
    (work / "node_modules").mkdir()
    (work / "node_modules" / "template.yaml").write_text("Resources: {}\n")
    (work / "broken.yaml").write_text("Resources: [\n")
    before = (work / "terraform" / "variables.tf").read_bytes()
    make_result(
        [named("pipeline-prod-resize", flat(1024, 640)), named("orders-prod-get", flat(256, 128))],
        work / "r.json",
    )
    result = run(work / "r.json", "-t", work, "--write")
    assert result.exit_code == 0, result.output
    assert b"memory_size   = 640 # tuned" in (work / "terraform" / "main.tf").read_bytes()
    assert b"    memorySize: 128\n" in (work / "serverless" / "serverless.yml").read_bytes()
    assert (work / "terraform" / "variables.tf").read_bytes() == before
    assert "broken.yaml" in result.stderr and "not valid YAML" in result.stderr
    assert "not templates" in result.stderr
    assert "ci.yml" not in result.stderr  # hidden directories are not walked
