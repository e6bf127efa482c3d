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

EXAMPLE = Path(__file__).parents[1] / "examples" / "github-actions"


def _workflow() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((EXAMPLE / "powertune-gate.yml").read_text())


def test_workflow_uses_oidc_and_the_comment_marker() -> None:
    wf = _workflow()
    assert wf["permissions"]["id-token"] == "write"
    assert wf["permissions"]["pull-requests"] == "write"
    steps = wf["jobs"]["gate"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
    script = next(s["with"]["script"] for s in steps if "github-script" in s.get("uses", ""))
    assert f"'{GATE_MARKER}'" in script and "updateComment" in script
    gate_run = next(s["run"] for s in steps if s.get("id") == "gate")
    assert "GITHUB_STEP_SUMMARY" in gate_run


def test_every_flag_the_workflow_passes_to_powertune_exists() -> None:
    runs = " ".join(s.get("run", "") for s in _workflow()["jobs"]["gate"]["steps"])
    text = runs.replace("\\\n", " ")
    runner = CliRunner()
    seen = set()
    for command in ("tune", "gate", "report"):
        helptext = runner.invoke(app, [command, "--help"], terminal_width=200).output
        for line in re.findall(rf"powertune {command} ([^\n]*)", text):
            for flag in re.findall(r"(--[a-z-]+)", line):
                assert flag in helptext, f"{command} has no {flag}"
                seen.add((command, flag))
    assert ("tune", "--invocations") in seen and ("gate", "--markdown") in seen


def test_example_config_and_policies_load() -> None:
    config = load_config(EXAMPLE / "powertune.toml")
    assert config.gate.max_cost_increase == 0.05
    assert config.for_function("orders-api-staging").strategy == "slo"
    for name in ("trust-policy.json", "permissions-policy.json"):
        policy = json.loads((EXAMPLE / "iam" / name).read_text())
        assert policy["Version"] == "2012-10-17"
