"""The GitHub Actions example stays in step with the gate it drives."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from cli import app
from powertune.outputs import GATE_MARKER
from powertune.tune.config import load_config

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "github-actions"


def _workflow() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((EXAMPLE / "powertune-gate.yml").read_text())


def _action() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "action.yml").read_text())


def _steps() -> list[dict]:  # type: ignore[type-arg]
    """The workflow's steps and the composite action's, where the powertune commands run."""
    return [*_workflow()["jobs"]["gate"]["steps"], *_action()["runs"]["steps"]]


def test_workflow_uses_the_action_with_oidc_and_the_comment_marker() -> None:
    wf = _workflow()
    assert wf["permissions"]["id-token"] == "write"
    assert wf["permissions"]["pull-requests"] == "write"
    mine = next(s for s in wf["jobs"]["gate"]["steps"] if s.get("id") == "powertune")
    assert mine["uses"].split("@")[0].endswith("/powertune")
    assert set(mine["with"]) <= set(_action()["inputs"])  # every input it passes exists
    action = _action()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
    script = next(s["with"]["script"] for s in steps if "github-script" in s.get("uses", ""))
    assert f"'{GATE_MARKER}'" in script and "updateComment" in script
    gate_run = next(s["run"] for s in steps if s.get("id") == "gate")
    assert "GITHUB_STEP_SUMMARY" in gate_run and "--baseline-optional" in gate_run


def test_action_installs_from_its_checkout_and_skips_forks() -> None:
    steps = _action()["runs"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert 'pip install --quiet "${{ github.action_path }}"' in runs
    assert "pip install powertune" not in runs  # no package index has it
    oidc = next(s for s in steps if s.get("id") == "oidc")
    assert "ACTIONS_ID_TOKEN_REQUEST_URL" in oidc["run"] and "skip=true" in oidc["run"]
    assert "GITHUB_STEP_SUMMARY" in oidc["run"]
    for step in steps[1:]:
        assert "steps.oidc.outputs.skip != 'true'" in step.get("if", ""), step.get("name")
    # inputs reach the shell through env, never pasted into the script
    for step in steps:
        assert "${{ inputs." not in step.get("run", ""), step.get("name")


def test_every_flag_the_workflow_passes_to_powertune_exists() -> None:
    runs = " ".join(s.get("run", "") for s in _steps())
    wf_args = next(s for s in _workflow()["jobs"]["gate"]["steps"] if s.get("id") == "powertune")
    runs += " powertune tune " + wf_args["with"]["tune-args"].replace("\n", " ")
    runs += " powertune tune " + str(_action()["inputs"]["tune-args"]["default"])
    text = runs.replace("\\\n", " ")
    runner = CliRunner()
    seen = set()
    for command in ("tune", "gate", "report"):
        helptext = runner.invoke(app, [command, "--help"], terminal_width=200).output
        lines = re.findall(rf"powertune {command} ([^\n]*)", text)
        # flags a step collects in a bash array first, e.g. first=(--baseline-optional)
        for step in _steps():
            for name, flag in re.findall(r"(\w+)=\((--[a-z-]+)", step.get("run", "")):
                if any(f'"${{{name}[@]}}"' in line for line in lines):
                    lines.append(flag)
        for line in lines:
            for flag in re.findall(r"(--[a-z-]+)", line):
                assert flag in helptext, f"{command} has no {flag}"
                seen.add((command, flag))
    assert ("tune", "--invocations") in seen and ("gate", "--markdown") in seen
    assert ("gate", "--baseline-optional") in seen and ("gate", "--json") in seen
    assert ("tune", "--payload") in seen and ("tune", "--max-spend") in seen


def test_example_config_and_policies_load() -> None:
    config = load_config(EXAMPLE / "powertune.toml")
    assert config.gate.max_cost_increase == 0.05
    assert config.for_function("orders-api-staging").strategy == "slo"
    for name in ("trust-policy.json", "permissions-policy.json"):
        policy = json.loads((EXAMPLE / "iam" / name).read_text())
        assert policy["Version"] == "2012-10-17"


def test_iam_policy_is_versions_and_aliases_only() -> None:
    policy = json.loads((EXAMPLE / "iam" / "permissions-policy.json").read_text())
    for statement in policy["Statement"]:
        actions = statement["Action"]
        resources = statement["Resource"]
        resources = resources if isinstance(resources, list) else [resources]
        if "lambda:DeleteFunction" in actions or "lambda:InvokeFunction" in actions:
            # qualified ARNs only: versions and aliases, never the function itself
            assert all(r.endswith(":*") for r in resources), statement
    granted = {a for s in policy["Statement"] for a in s["Action"]}
    assert {"lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"} <= granted
