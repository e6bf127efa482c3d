"""Terraform layouts as teams write them (and serverless.yml stages): per-environment tfvars,
terraform.tfvars and *.auto.tfvars, workspaces, count / for_each, local modules, and a new
memory_size next to any neighbour. Nothing is written that would change a function the result
does not ask for."""

from __future__ import annotations

from pathlib import Path

import hcl2
import pytest
from apply_results import Fn, make_result

from powertune.apply import plan_templates, targets_from_result
from powertune.apply.plan import Plan


def flat(name: str, orig: int, rec: int) -> Fn:
    """Downsizing an I/O-bound function: the gate passes it."""
    return Fn(name, orig, rec, {orig: 120.0, rec: 121.0})


def write(root: Path, files: dict[str, str]) -> list[Path]:
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
        paths.append(path)
    return paths


def plan_for(root: Path, files: dict[str, str], fns: list[Fn], **kw: object) -> Plan:
    write(root, files)
    targets, _ = targets_from_result(make_result(fns))
    return plan_templates(targets, [root], **kw)  # type: ignore[arg-type]


def edited(plan: Plan) -> dict[str, str]:
    """ "dir/name" (or "name" at the top) -> new text of every file the plan changes."""
    return {
        (f.path.name if f.path.parent.name.startswith("test_") else _rel(f.path)): f.new_text()
        for f in plan.files
    }


def _rel(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


# --- environments ------------------------------------------------------------------------
ENV_MAIN = """variable "app" {
  type    = string
  default = "orders"
}

variable "env" {
  type = string
}

variable "memory" {
  type    = number
  default = 128
}

resource "aws_lambda_function" "api" {
  function_name = "${var.app}-${var.env}"
  role          = aws_iam_role.lambda.arn
  handler       = "app.handler"
  runtime       = "python3.12"
  memory_size   = var.memory
}
"""
DEV = 'env    = "dev"\nmemory = 1024 # dev\n'
PROD = 'env    = "prod"\nmemory = 2048 # prod\n'


def test_the_dev_functions_size_lands_in_dev_tfvars_only(tmp_path: Path) -> None:
    files = {
        "infra/main.tf": ENV_MAIN,
        "infra/envs/dev.tfvars": DEV,
        "infra/envs/prod.tfvars": PROD,
    }
    plan = plan_for(tmp_path, files, [flat("orders-dev", 1024, 512)])
    assert edited(plan) == {"envs/dev.tfvars": DEV.replace("1024", "512")}
    assert plan.changes[0].note.startswith("the tfvars value of memory (dev.tfvars)")
    # Both in the result: each environment's file gets its own size.
    plan = plan_for(
        tmp_path, files, [flat("orders-dev", 1024, 512), flat("orders-prod", 2048, 1536)]
    )
    assert edited(plan) == {
        "envs/dev.tfvars": DEV.replace("1024", "512"),
        "envs/prod.tfvars": PROD.replace("2048", "1536"),
    }
    assert not plan.suggestions and not plan.unmatched


def test_a_name_that_does_not_say_the_environment_is_ambiguous_until_tfvars_says(
    tmp_path: Path,
) -> None:
    main = ENV_MAIN.replace('"${var.app}-${var.env}"', '"orders"')
    files = {"main.tf": main, "envs/dev.tfvars": DEV, "envs/prod.tfvars": PROD}
    plan = plan_for(tmp_path, files, [flat("orders", 1024, 512)])
    assert not plan.files
    assert len(plan.suggestions) == 1
    assert "dev.tfvars" in plan.suggestions[0] and "prod.tfvars" in plan.suggestions[0]
    assert "--tfvars FILE" in plan.suggestions[0]
    plan = plan_for(
        tmp_path, files, [flat("orders", 1024, 512)], tfvars=[tmp_path / "envs" / "dev.tfvars"]
    )
    assert edited(plan) == {"envs/dev.tfvars": DEV.replace("1024", "512")}


def test_the_environment_from_a_var_param(tmp_path: Path) -> None:
    main = ENV_MAIN.replace('"${var.app}-${var.env}"', '"orders"')
    files = {"main.tf": main, "envs/dev.tfvars": DEV, "envs/prod.tfvars": PROD}
    plan = plan_for(tmp_path, files, [flat("orders", 1024, 512)], params={"var.env": "dev"})
    assert edited(plan) == {"envs/dev.tfvars": DEV.replace("1024", "512")}
    # A literal every environment shares: prod (env = "prod" in its tfvars) still counts.
    shared = main.replace("memory_size   = var.memory", "memory_size   = 1024")
    files["main.tf"] = shared
    plan = plan_for(tmp_path, files, [flat("orders", 1024, 512)], params={"var.env": "dev"})
    assert not plan.files and "prod.tfvars" in plan.suggestions[0]


def test_the_environment_from_tfvars_and_a_param(tmp_path: Path) -> None:
    main = ENV_MAIN.replace('"${var.app}-${var.env}"', '"orders"')
    files = {"main.tf": main, "envs/dev.tfvars": DEV, "envs/prod.tfvars": PROD}
    plan = plan_for(
        tmp_path,
        files,
        [flat("orders", 2048, 1024)],
        tfvars=[tmp_path / "envs" / "prod.tfvars"],
        params={"var.app": "orders"},
    )
    assert edited(plan) == {"envs/prod.tfvars": PROD.replace("2048", "1024")}


def test_auto_tfvars_wins_over_terraform_tfvars(tmp_path: Path) -> None:
    auto = "memory = 1536\n"
    files = {
        "main.tf": ENV_MAIN.replace("type = string\n}", 'default = "prod"\n}'),
        "terraform.tfvars": "memory = 512\n",
        "prod.auto.tfvars": auto,
    }
    plan = plan_for(tmp_path, files, [flat("orders-prod", 1536, 1024)])
    assert edited(plan) == {"prod.auto.tfvars": "memory = 1024\n"}


def test_a_literal_every_environment_shares_changes_only_when_all_agree(tmp_path: Path) -> None:
    main = ENV_MAIN.replace("memory_size   = var.memory", "memory_size   = 1024")
    files = {"main.tf": main, "envs/dev.tfvars": DEV, "envs/prod.tfvars": PROD}
    plan = plan_for(tmp_path, files, [flat("orders-dev", 1024, 512)])
    assert not plan.files
    (line,) = plan.suggestions
    assert "orders-prod" in line and "prod.tfvars" in line and "not in the result" in line
    assert "memory_size = var.memory_size" in line
    plan = plan_for(
        tmp_path, files, [flat("orders-dev", 1024, 512), flat("orders-prod", 1024, 512)]
    )
    assert edited(plan) == {"main.tf": main.replace("= 1024", "= 512")}
    # --tfvars says the result is dev's; prod.tfvars is still there, and shares the literal.
    plan = plan_for(
        tmp_path, files, [flat("orders-dev", 1024, 512)], tfvars=[tmp_path / "envs" / "dev.tfvars"]
    )
    assert not plan.files and "prod.tfvars" in plan.suggestions[0]


# --- workspaces --------------------------------------------------------------------------
WORKSPACE = """locals {
  memory = {
    dev  = 256
    prod = 1024 # peak traffic
  }
}

resource "aws_lambda_function" "api" {
  function_name = "api-${terraform.workspace}"
  role          = "arn:aws:iam::123456789012:role/api"
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  memory_size   = local.memory[terraform.workspace]
}

resource "aws_lambda_function" "worker" {
  function_name = "worker-${terraform.workspace}"
  role          = "arn:aws:iam::123456789012:role/api"
  memory_size   = lookup(var.worker_memory, terraform.workspace, 512)
}

variable "worker_memory" {
  type    = map(number)
  default = { dev = 128, prod = 2048 }
}
"""


def test_a_workspace_layout_edits_the_entry_of_that_workspace(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        {"main.tf": WORKSPACE},
        [flat("api-prod", 1024, 768), flat("worker-prod", 2048, 1024)],
    )
    expected = WORKSPACE.replace("prod = 1024 # peak", "prod = 768 # peak").replace(
        "prod = 2048 }", "prod = 1024 }"
    )
    assert edited(plan) == {"main.tf": expected}
    assert not plan.suggestions
    # Named on the command line, as `terraform workspace select dev` would.
    plan = plan_for(
        tmp_path,
        {"main.tf": WORKSPACE},
        [flat("api-dev", 256, 128)],
        params={"terraform.workspace": "dev"},
    )
    assert edited(plan) == {"main.tf": WORKSPACE.replace("dev  = 256", "dev  = 128")}


# --- count and for_each ------------------------------------------------------------------
COUNT = """resource "aws_lambda_function" "worker" {
  count         = 2
  function_name = "worker-${count.index}"
  role          = "arn:aws:iam::123456789012:role/w"
  handler       = "w.handler"
  memory_size   = 1024
}
"""


def test_count_refuses_one_instance_and_edits_when_all_agree(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, {"main.tf": COUNT}, [flat("worker-0", 1024, 512)])
    assert not plan.files
    (line,) = plan.suggestions
    assert "worker-1" in line and "aws_lambda_function.worker[1]" in line
    assert "not in the result" in line and "count.index" in line
    plan = plan_for(
        tmp_path, {"main.tf": COUNT}, [flat("worker-0", 1024, 512), flat("worker-1", 1024, 768)]
    )
    assert not plan.files and len(plan.suggestions) == 2
    assert all("recommended" in s for s in plan.suggestions)
    plan = plan_for(
        tmp_path, {"main.tf": COUNT}, [flat("worker-0", 1024, 512), flat("worker-1", 1024, 512)]
    )
    assert edited(plan) == {"main.tf": COUNT.replace("= 1024", "= 512")}
    assert {c.where for c in plan.changes} == {
        "aws_lambda_function.worker[0]",
        "aws_lambda_function.worker[1]",
    }


FOR_EACH = """resource "aws_lambda_function" "fn" {
  for_each = {
    resize = "resize.handler"
    thumbs = "thumbs.handler"
  }
  function_name = "img-${each.key}"
  role          = "arn:aws:iam::123456789012:role/img"
  handler       = each.value
  runtime       = "python3.12"
}
"""


def test_for_each_names_the_instances_and_adds_the_line_when_all_agree(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, {"main.tf": FOR_EACH}, [flat("img-resize", 1024, 512)])
    assert not plan.files
    (line,) = plan.suggestions
    assert 'img-thumbs (aws_lambda_function.fn["thumbs"]) not in the result' in line
    assert "map keyed like the for_each" in line and "each.key" in line
    plan = plan_for(
        tmp_path,
        {"main.tf": FOR_EACH},
        [flat("img-resize", 128, 256), flat("img-thumbs", 128, 256)],
        mapping={},
    )
    # Upsizing an I/O-bound function is a gate refusal: both refused, nothing written.
    assert not plan.files and len(plan.refused) == 2
    cpu = [
        Fn("img-resize", 1024, 512, {1024: 100.0, 512: 101.0}),
        Fn("img-thumbs", 1024, 512, {1024: 100.0, 512: 101.0}),
    ]
    plan = plan_for(tmp_path, {"main.tf": FOR_EACH}, cpu)
    assert edited(plan) == {
        "main.tf": FOR_EACH.replace(
            '  runtime       = "python3.12"\n',
            '  runtime       = "python3.12"\n  memory_size = 512\n',
        )
    }


def test_for_each_with_its_own_sizes_edits_the_instances_entry(tmp_path: Path) -> None:
    text = """locals {
  functions = {
    resize = { handler = "resize.handler", memory = 1024 }
    thumbs = { handler = "thumbs.handler", memory = 2048 }
  }
}

resource "aws_lambda_function" "fn" {
  for_each      = local.functions
  function_name = "img-${each.key}"
  role          = "arn:aws:iam::123456789012:role/img"
  handler       = each.value.handler
  memory_size   = each.value.memory
}
"""
    plan = plan_for(tmp_path, {"main.tf": text}, [flat("img-thumbs", 2048, 1024)])
    assert edited(plan) == {"main.tf": text.replace("memory = 2048", "memory = 1024")}
    assert plan.changes[0].where == 'aws_lambda_function.fn["thumbs"]'


def test_an_unknown_for_each_is_left_to_the_user(tmp_path: Path) -> None:
    text = FOR_EACH.replace(
        '{\n    resize = "resize.handler"\n    thumbs = "thumbs.handler"\n  }', "var.handlers"
    )
    plan = plan_for(tmp_path, {"main.tf": text}, [flat("img-resize", 1024, 512)])
    assert not plan.files
    assert "for_each of aws_lambda_function.fn is not known" in plan.suggestions[0]


@pytest.mark.parametrize(
    "switch", ["var.create ? 1 : 0", "local.create && var.create_function && !var.layer ? 1 : 0"]
)
def test_count_as_an_on_off_switch_is_one_function(tmp_path: Path, switch: str) -> None:
    text = COUNT.replace("count         = 2", f"count         = {switch}").replace(
        "worker-${count.index}", "worker"
    )
    plan = plan_for(tmp_path, {"main.tf": text}, [flat("worker", 1024, 512)])
    assert edited(plan) == {"main.tf": text.replace("= 1024", "= 512")}


def test_references_in_a_cycle_are_unknown_not_a_crash(tmp_path: Path) -> None:
    text = COUNT.replace("count         = 2", "count         = length(local.a)") + (
        "locals {\n  a = local.b[0]\n  b = [local.a[0]]\n}\n"
    )
    plan = plan_for(tmp_path, {"main.tf": text}, [flat("worker-0", 1024, 512)])
    assert (
        not plan.files
        and "count of aws_lambda_function.worker is not known" in (plan.suggestions[0])
    )


# --- insertion next to any attribute -----------------------------------------------------
@pytest.mark.parametrize(
    ("block", "after"),
    [
        # A module call with quoted neighbours only (terraform-aws-modules/lambda).
        (
            'module "api" {\n  source  = "terraform-aws-modules/lambda/aws"\n  version = "~> 7.0"\n'
            '\n  function_name = "api"\n  handler       = "index.handler"\n'
            '  runtime       = "nodejs20.x"\n  source_path   = "../src/api"\n\n'
            '  tags = {\n    Team = "core"\n  }\n}\n',
            '  runtime       = "nodejs20.x"\n',
        ),
        # A resource whose last settings are a heredoc and an expression.
        (
            'resource "aws_lambda_function" "x" {\n  function_name = "api"\n'
            "  role = jsonencode({\n    a = 1\n  })\n  description = <<EOT\nlong\nEOT\n}\n",
            "long\nEOT\n",
        ),
        # Only quoted strings and no usual neighbour: after the last one, its indentation.
        (
            'resource "aws_lambda_function" "x" {\n    image_uri = "repo:latest"\n'
            '    function_name = "api"\n    package_type = "Image"\n}\n',
            '    package_type = "Image"\n',
        ),
    ],
)
def test_a_new_memory_size_goes_next_to_any_neighbour(
    tmp_path: Path, block: str, after: str
) -> None:
    plan = plan_for(tmp_path, {"main.tf": block}, [flat("api", 1024, 512)])
    (new,) = edited(plan).values()
    indent = "  " if "EOT" in after else after[: len(after) - len(after.lstrip())]
    assert new == block.replace(after, f"{after}{indent}memory_size = 512\n", 1)
    assert hcl2.loads(new)  # still valid HCL


def test_a_block_of_nested_blocks_gets_the_line_at_its_start(tmp_path: Path) -> None:
    text = (
        'module "api" {\n  source = "terraform-aws-modules/lambda/aws"\n}\n'
        'resource "aws_lambda_function" "x" { # one function\n'
        "  environment {\n    variables = { A = 1 }\n  }\n"
        '  function_name = "${var.name}"\n}\n'
    )
    plan = plan_for(
        tmp_path, {"main.tf": text}, [flat("api", 1024, 512)], params={"var.name": "api"}
    )
    (new,) = edited(plan).values()
    assert new == text.replace(
        '  function_name = "${var.name}"\n',
        '  function_name = "${var.name}"\n  memory_size = 512\n',
    )


# --- local modules -----------------------------------------------------------------------
MODULE_MAIN = """resource "aws_lambda_function" "this" {
  function_name = var.function_name
  role          = var.role
  memory_size   = var.memory_size
}
"""
MODULE_VARS = """variable "function_name" {
  type = string
}

variable "role" {
  type = string
}

variable "memory_size" {
  type    = number
  default = 1024
}
"""


def caller(*names: str) -> str:
    return "".join(
        f'module "{n}" {{\n  source        = "./modules/fn"\n  function_name = "{n}"\n'
        '  role          = "arn"\n}\n\n'
        for n in names
    )


def test_a_local_module_used_once_has_its_default_changed(tmp_path: Path) -> None:
    files = {
        "main.tf": caller("orders"),
        "modules/fn/main.tf": MODULE_MAIN,
        "modules/fn/variables.tf": MODULE_VARS,
    }
    plan = plan_for(tmp_path, files, [flat("orders", 1024, 512)])
    assert edited(plan) == {"fn/variables.tf": MODULE_VARS.replace("= 1024", "= 512")}


def test_a_module_default_every_caller_shares_is_refused_and_points_at_the_callers(
    tmp_path: Path,
) -> None:
    files = {
        "main.tf": caller("orders", "billing"),
        "modules/fn/main.tf": MODULE_MAIN,
        "modules/fn/variables.tf": MODULE_VARS,
    }
    plan = plan_for(tmp_path, files, [flat("orders", 1024, 512)])
    assert not plan.files
    (line,) = plan.suggestions
    assert "billing (aws_lambda_function.this, module.billing at " in line
    assert "/main.tf:7)" in line
    assert "set memory_size in each module call" in line
    # A caller that sets its own size is changed there, not in the module.
    files["main.tf"] = caller("orders", "billing").replace(
        '  function_name = "orders"\n', '  function_name = "orders"\n  memory_size   = 2048\n'
    )
    plan = plan_for(tmp_path, files, [flat("orders", 2048, 1024)])
    assert edited(plan) == {"main.tf": files["main.tf"].replace("2048", "1024")}


# --- serverless.yml stages ---------------------------------------------------------------
SLS_PARAMS = """service: shop
provider:
  name: aws
  stage: ${opt:stage, 'dev'}
params:
  default:
    memory: 512
  prod:
    memory: 2048 # Black Friday
functions:
  api:
    handler: api.run
    memorySize: ${param:memory}
  report:
    handler: report.run
    memorySize: ${self:custom.reportMemory.${sls:stage}}
  ping:
    handler: ping.run
    memorySize: 256
custom:
  reportMemory:
    dev: 1024
    prod: 3008
"""


def test_serverless_params_per_stage_edit_that_stage_only(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        {"serverless.yml": SLS_PARAMS},
        [flat("shop-prod-api", 2048, 1024), flat("shop-prod-report", 3008, 1536)],
    )
    expected = SLS_PARAMS.replace("memory: 2048", "memory: 1024").replace(
        "prod: 3008", "prod: 1536"
    )
    assert edited(plan) == {"serverless.yml": expected}
    # dev has no params entry of its own: its value is params.default, which only dev uses.
    plan = plan_for(tmp_path, {"serverless.yml": SLS_PARAMS}, [flat("shop-dev-api", 512, 256)])
    assert edited(plan) == {"serverless.yml": SLS_PARAMS.replace("memory: 512", "memory: 256")}


def test_serverless_a_literal_every_stage_shares_needs_every_stage(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, {"serverless.yml": SLS_PARAMS}, [flat("shop-dev-ping", 256, 128)])
    assert not plan.files
    (line,) = plan.suggestions
    assert "shop-prod-ping (ping, stage prod) not in the result" in line
    assert "${param:memory}" in line
    # Naming the stage says where the result was measured; prod still shares the literal.
    plan = plan_for(
        tmp_path,
        {"serverless.yml": SLS_PARAMS},
        [flat("shop-dev-ping", 256, 128)],
        params={"opt:stage": "dev"},
    )
    assert not plan.files and "stage prod" in plan.suggestions[0]
    both = [flat("shop-dev-ping", 256, 128), flat("shop-prod-ping", 256, 128)]
    plan = plan_for(tmp_path, {"serverless.yml": SLS_PARAMS}, both)
    assert edited(plan) == {
        "serverless.yml": SLS_PARAMS.replace("memorySize: 256", "memorySize: 128")
    }


def test_a_module_default_without_its_callers_is_refused(tmp_path: Path) -> None:
    files = {
        "modules/fn/main.tf": MODULE_MAIN,
        "modules/fn/variables.tf": MODULE_VARS,
    }
    plan = plan_for(
        tmp_path, files, [flat("orders", 1024, 512)], params={"var.function_name": "orders"}
    )
    assert not plan.files
    (line,) = plan.suggestions
    assert (
        "the default of a shared module" in line
        and "where this function's module is called" in line
    )
    assert "memory_size = 512" in line


def test_a_crlf_file_with_tabs_keeps_both(tmp_path: Path) -> None:
    text = (
        'resource "aws_lambda_function" "x" {\r\n\tfunction_name = "api" # n\r\n'
        '\thandler = "a.b"\r\n}\r\n'
    )
    plan = plan_for(tmp_path, {"main.tf": text}, [flat("api", 1024, 512)])
    assert edited(plan) == {
        "main.tf": text.replace(
            '\thandler = "a.b"\r\n', '\thandler = "a.b"\r\n\tmemory_size = 512\r\n'
        )
    }


def test_one_member_of_a_shared_object_is_this_functions_own(tmp_path: Path) -> None:
    text = """variable "config" {
  default = {
    memory  = 1024
    timeout = 30
  }
}

resource "aws_lambda_function" "x" {
  function_name = "api"
  memory_size   = var.config.memory
  timeout       = var.config.timeout
}
"""
    plan = plan_for(tmp_path, {"main.tf": text}, [flat("api", 1024, 512)])
    assert edited(plan) == {"main.tf": text.replace("memory  = 1024", "memory  = 512")}
    # Passed whole to something else: it may be read there too.
    shared = text + 'output "config" {\n  value = var.config\n}\n'
    plan = plan_for(tmp_path, {"main.tf": shared}, [flat("api", 1024, 512)])
    assert not plan.files and "used 3 times" in plan.suggestions[0]


def test_per_environment_directories_of_terraform_tfvars(tmp_path: Path) -> None:
    main = ENV_MAIN.replace('"${var.app}-${var.env}"', '"orders"')
    files = {
        "main.tf": main,
        "envs/dev/terraform.tfvars": DEV,
        "envs/prod/terraform.tfvars": PROD,
    }
    plan = plan_for(tmp_path, files, [flat("orders", 1024, 512)])
    assert not plan.files
    assert "dev/terraform.tfvars" in plan.suggestions[0]
    assert "prod/terraform.tfvars" in plan.suggestions[0]
    plan = plan_for(
        tmp_path,
        files,
        [flat("orders", 1024, 512)],
        tfvars=[tmp_path / "envs" / "dev" / "terraform.tfvars"],
    )
    assert edited(plan) == {"dev/terraform.tfvars": DEV.replace("1024", "512")}


def test_for_each_over_a_for_expression_names_its_instances(tmp_path: Path) -> None:
    text = """locals {
  functions = [
    { name = "resize", handler = "resize.handler" },
    { name = "thumbs", handler = "thumbs.handler" },
    { name = "legacy", handler = "legacy.handler", enabled = false },
  ]
}

resource "aws_lambda_function" "fn" {
  for_each      = { for f in local.functions : f.name => f if lookup(f, "enabled", true) }
  function_name = "img-${each.key}"
  role          = "arn:aws:iam::123456789012:role/img"
  handler       = each.value.handler
  memory_size   = 1024
}
"""
    plan = plan_for(tmp_path, {"main.tf": text}, [flat("img-resize", 1024, 512)])
    assert not plan.files
    (line,) = plan.suggestions
    assert 'img-thumbs (aws_lambda_function.fn["thumbs"]) not in the result' in line
    assert "legacy" not in line
    plan = plan_for(
        tmp_path, {"main.tf": text}, [flat("img-resize", 1024, 512), flat("img-thumbs", 1024, 512)]
    )
    assert edited(plan) == {"main.tf": text.replace("= 1024", "= 512")}
