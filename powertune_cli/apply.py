"""``powertune apply``: put a result's recommendations where the configuration lives.

Preview by default (a unified diff on stdout, what and why on stderr); ``--write`` changes the
templates or, with ``--function``, the live functions. ``--write`` is the one switch for both.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from powertune.apply import plan_templates, targets_from_result
from powertune.apply.errors import ApplyError, NotApplied
from powertune.apply.match import parse_map
from powertune.apply.targets import Target
from powertune.errors import InputError
from powertune.gate.compare import thresholds_from
from powertune.results.jsonio import load_result
from powertune.tune.config import load_config
from powertune_cli.common import (
    ENDPOINT_HELP,
    PROFILE_HELP,
    REGION_HELP,
    handle_errors,
)

_HELP = """Apply a result's recommended memory to templates or to the live functions.

Templates (--template, repeatable; a directory is searched): SAM/CloudFormation YAML or JSON,
Terraform .tf/.tfvars, serverless.yml, CDK and other code. Without --write, prints the unified
diff and changes nothing.
Functions are matched by physical name (resolving simple !Sub/Fn::Sub, ${...} and var.x), ARN or
logical id; --map NAME=ID settles the rest.

--function: set the memory through the Lambda API (dry run without --write), refusing a function
whose configuration changed since the result was measured; a tag (powertune:rollback) and a file
under --record-dir record the previous size for --rollback.

Only changes the gate would accept (cost and p95 against the original size, within the gate
thresholds of powertune.toml or unconfirmed by the measurements) are applied unless --force.

Terraform environments: a value from a tfvars file is changed only in the environment the
function is deployed in (from its name, --tfvars FILE or --param var.env=prod).

Exit codes: 0 every recommendation applied (or already there); 4 some recommendation not applied
(unmatched, by hand, ambiguous, refused by the gate); --check: 1 when the templates differ from
the recommendation (nothing written); 2 usage, 3 tool error.
"""


# apply's own exit codes beside 2 (usage) and 3 (AWS or tool error).
EXIT_DRIFT = 1  # --check: the files differ from the recommendation
EXIT_PARTIAL = 4  # some recommendation was not applied: unmatched, by hand, ambiguous, refused


def register(app: typer.Typer) -> None:
    app.command(
        "apply",
        help=_HELP,
        epilog="Example: powertune apply result.json --template template.yaml --write",
    )(apply)


def _params(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param expects NAME=VALUE, got {item!r}")
        out[key.strip()] = value
    return out


def _say(line: str) -> None:
    print(line, file=sys.stderr)


@handle_errors
def apply(
    result_path: Path = typer.Argument(..., metavar="RESULT.json", help="A tuning result."),
    template: list[Path] = typer.Option(
        [],
        "--template",
        "-t",
        help="A template, code file or directory to update (repeatable).",
        rich_help_panel="Templates",
    ),
    function: bool = typer.Option(
        False,
        "--function",
        "--to-function",
        help="Set the live functions' memory instead.",
        rich_help_panel="Live functions",
    ),
    write: bool = typer.Option(
        False, "--write", help="Make the changes (files, or functions with --function)."
    ),
    rollback: bool = typer.Option(
        False,
        "--rollback",
        help="With --function: put back the memory a previous apply changed.",
        rich_help_panel="Live functions",
    ),
    check: bool = typer.Option(
        False,
        "--check",
        help="Write nothing; exit 1 when the templates differ from the recommendation.",
    ),
    tfvars: list[Path] = typer.Option(
        [],
        "--tfvars",
        help="The -var-file of the environment the result was measured in (repeatable, in "
        "order): only its values are read and changed.",
    ),
    force: bool = typer.Option(False, "--force", help="Apply even what the gate would refuse."),
    mapping: list[str] = typer.Option(
        [],
        "--map",
        help="NAME=ID: the result's function NAME is template resource ID.",
        rich_help_panel="Templates",
    ),
    param: list[str] = typer.Option(
        [],
        "--param",
        help="NAME=VALUE for name resolution: a template parameter, AWS::StackName, "
        "opt:stage, var.env (repeatable).",
        rich_help_panel="Templates",
    ),
    record_dir: Path = typer.Option(
        Path(".powertune/applied"),
        "--record-dir",
        help="Where rollback records are kept.",
        rich_help_panel="Live functions",
    ),
    config_path: Path | None = typer.Option(
        None, "--config", help="powertune.toml (its gate thresholds)."
    ),
    region: str | None = typer.Option(None, "--region", help=REGION_HELP, rich_help_panel="AWS"),
    profile: str | None = typer.Option(None, "--profile", help=PROFILE_HELP, rich_help_panel="AWS"),
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", help=ENDPOINT_HELP, rich_help_panel="AWS"
    ),
) -> None:
    if not template and not function:
        raise InputError("nothing to apply to: give --template FILE or --function")
    if check and write:
        raise InputError("--check writes nothing: give --check or --write, not both")
    if tfvars and not template:
        raise InputError("--tfvars goes with --template (the Terraform files it belongs to)")
    if rollback and not function:
        raise InputError("--rollback works with --function (templates: revert with git)")
    mapping_dict = parse_map(mapping)
    params = _params(param)
    config = load_config(config_path)
    result = load_result(result_path)
    raw = json.loads(result_path.read_text(encoding="utf-8"))
    targets, skipped = targets_from_result(
        result, thresholds=thresholds_from(config.gate), force=force, raw=raw
    )
    for line in skipped:
        _say(f"skipped: {line}")
    code = 0
    if template:
        code = _templates(targets, template, mapping_dict, params, write, check, tfvars)
    if function:
        _live(targets, raw, write, rollback, record_dir, region, profile, endpoint_url)
    if code:
        raise typer.Exit(code)


def _templates(
    targets: list[Target],
    paths: list[Path],
    mapping: dict[str, str],
    params: dict[str, str],
    write: bool,
    check: bool = False,
    tfvars: list[Path] | None = None,
) -> int:
    """Plan (and with ``write`` make) the template edits; the exit code they call for."""
    plan = plan_templates(targets, paths, mapping=mapping, params=params, tfvars=tfvars or [])
    written = plan.write() if write else []  # before any output: a failed write is one line
    diff = plan.diff()
    if diff:
        sys.stdout.write(diff)
    verb = "changed" if write else "differs" if check else "would change"
    for change in plan.changes:
        _say(f"{verb}: {change.describe()}; {change.context}")
    for line in plan.suggestions:
        _say(f"by hand: {line}")
    for line in plan.refused:
        _say(f"refused: {line}")
    for line in plan.notes:
        _say(f"note: {line}")
    for line in plan.unmatched:
        _say(f"unmatched: {line}")
    if write:
        _say(f"wrote {len(written)} file(s)" if written else "nothing to change")
    elif check:
        _say(f"check: {len(plan.changes)} setting(s) differ" if diff else "check: up to date")
    elif diff:
        _say("preview only: run with --write to change the files")
    else:
        _say("nothing to change")
    if check and diff:
        return EXIT_DRIFT
    if plan.not_applied:
        _say(f"not applied: {plan.not_applied} recommendation(s), see above (exit {EXIT_PARTIAL})")
        return EXIT_PARTIAL
    return 0


def _live(
    targets: list[Target],
    raw: dict[str, Any],
    write: bool,
    rollback: bool,
    record_dir: Path,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
) -> None:
    """Every target checked first (nothing is written while one is wrong), then each changed;
    a refusal is exit 4 once the others are done."""
    from powertune.apply.live import LiveApplier, LiveStep  # botocore: --function only
    from powertune.apply.record import Record
    from powertune.apply.session import lambda_client

    recorded = {f.get("name"): f for f in raw.get("functions", []) if isinstance(f, dict)}
    clients: dict[str, Any] = {}
    planned: list[tuple[LiveApplier, LiveStep, Record | None]] = []
    for target in targets:
        where = region or target.region
        if where not in clients:
            clients[where] = lambda_client(where, profile, endpoint_url)
        applier = LiveApplier(clients[where], record_dir)
        if rollback:
            step, record = applier.plan_rollback(target, clean=write)
        else:
            step, record = applier.plan(target, recorded.get(target.name)), None
        planned.append((applier, step, record))
    errors = [] if rollback else _unusable_sizes(raw)
    errors += [step.describe() for _a, step, _r in planned if step.action == "error"]
    if len(errors) == 1:
        raise ApplyError(f"{errors[0]}; nothing was changed")
    for line in errors:
        _say(f"error: {line}")
    if errors:
        what = "rolled back" if rollback else "applied"
        message = f"{len(errors)} functions cannot be {what} (see above): nothing was changed"
        raise ApplyError(message)
    refused = 0
    for applier, step, record in planned:
        try:
            refused += _live_step(applier, step, record, write, rollback)
        except NotApplied as exc:
            _say(f"refused: {exc}")
            refused += 1
        for note in applier.notes:
            _say(f"note: {note}")
        applier.notes.clear()
    if not write:
        _say("dry run: run with --write to change the functions")
    if refused:
        raise NotApplied(f"{refused} function(s) refused: see above")


def _unusable_sizes(raw: dict[str, Any]) -> list[str]:
    """Recommendations Lambda would refuse (outside 128..10240 MB): the result is wrong, and no
    function of it is changed."""
    from powertune.apply.targets import MAX_MB, MIN_MB

    out = []
    for fn in raw.get("functions", []):
        rec = fn.get("recommendation") if isinstance(fn, dict) else None
        size = rec.get("memory_mb") if isinstance(rec, dict) else None
        if isinstance(size, int) and not MIN_MB <= size <= MAX_MB:
            out.append(
                f"{fn.get('name')}: recommended {size} MB is outside Lambda's {MIN_MB}..{MAX_MB} MB"
            )
    return out


def _live_step(applier: Any, step: Any, record: Any, write: bool, rollback: bool) -> int:
    """One function's change (or preview); 1 when it was refused."""
    if rollback:
        if step.action == "update" and record is not None and write:
            applier.rollback(step, record)
            _say(f"rolled back: {step.describe()}")
            return 0
        verb = {"update": "would roll back", "refuse": "refused"}.get(step.action, "skip")
        _say(f"{verb}: {step.describe()}")
        return int(step.action == "refuse")
    if step.action == "update" and write:
        record = applier.apply(step)
        _say(f"changed: {step.describe()} (rollback: --rollback; record {record.tag_value()})")
    elif step.action == "update":
        _say(f"would change: {step.describe()}")
    else:
        _say(f"{'refused' if step.action == 'refuse' else 'unchanged'}: {step.describe()}")
        return int(step.action == "refuse" and step.target.verdict.accepted)
    return 0
