"""Plan the template changes for a result's targets across the files given.

Each format's parser is imported where a file of that kind is met, here and only here:
ruamel.yaml (``sam``, ``serverless``) for YAML and JSON templates, python-hcl2 and lark
(``terraform``) for .tf/.tfvars; a SAM preview never loads hcl2, a Terraform one never ruamel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from powertune.apply import code
from powertune.apply.errors import TemplateError
from powertune.apply.match import Outcome, Site, match
from powertune.apply.plan import Change, Edit, FilePlan, Plan
from powertune.apply.targets import Target
from powertune.apply.text import read_text

_YAML = (".yaml", ".yml", ".template")
_TERRAFORM = (".tf", ".tfvars")


def detect(path: Path, text: str) -> str:
    """sam-yaml, sam-json, serverless, terraform or code, from the name and the content."""
    return _detect(path, text)[0]


def _detect(path: Path, text: str) -> tuple[str, Any]:
    """``detect``'s kind, with the YAML document it parsed to tell (None for other kinds): the
    scan reads that document rather than parsing the file again."""
    name = path.name.lower()
    if name.endswith(_TERRAFORM):
        return "terraform", None
    if name.endswith(code.EXTENSIONS):
        return "code", None
    if name.endswith(".tf.json"):
        raise TemplateError(f"{path}: Terraform JSON is not supported: pass the .tf files")
    if name.endswith(".json"):
        return "sam-json", None
    if name.endswith(_YAML) or text.lstrip().startswith(("AWSTemplateFormatVersion", "Resources")):
        from powertune.apply import sam, serverless

        doc = sam.load_yaml(path, text)
        if sam.is_template(doc):
            return "sam-yaml", doc
        if serverless.is_serverless(doc):
            return "serverless", doc
        raise TemplateError(
            f"{path}: neither a SAM/CloudFormation template (no Resources) nor a serverless.yml "
            "(no functions)"
        )
    raise TemplateError(
        f"{path}: unknown kind of file (expected .yaml/.yml/.json templates, .tf/.tfvars, or "
        f"code: {', '.join(code.EXTENSIONS)})"
    )


# Not walked when a directory is given: dependencies, build output, tool state.
_SKIP_DIRS = {
    "node_modules",
    "cdk.out",
    ".aws-sam",
    ".serverless",
    ".terraform",
    "vendor",
    "venv",
    ".venv",
    "__pycache__",
    "dist",
    "build",
    "target",
}
MAX_FILES = 5000
MAX_BYTES = 2_000_000


def expand(paths: Sequence[Path]) -> list[tuple[Path, bool]]:
    """Files to read, each with whether it was named (a directory's files are found)."""
    out: list[tuple[Path, bool]] = []
    for path in paths:
        if not path.is_dir():
            out.append((path, True))
            continue
        found = []
        for item in sorted(path.rglob("*")):
            parts = set(item.relative_to(path).parts[:-1])
            if parts & _SKIP_DIRS or any(p.startswith(".") for p in parts):
                continue
            wanted = item.name.lower().endswith((*_YAML, ".json", *_TERRAFORM, *code.EXTENSIONS))
            if wanted and item.is_file() and item.stat().st_size <= MAX_BYTES:
                found.append(item)
        if len(found) > MAX_FILES:
            raise TemplateError(f"{path}: over {MAX_FILES} candidate files: name the templates")
        out += [(f, False) for f in found]
    return out


def scan(
    paths: Sequence[Path],
    params: Mapping[str, str],
    notes: list[str] | None = None,
    tfvars: Sequence[Path] = (),
) -> tuple[list[Site], dict[Path, str]]:
    """Sites of every file; a named file that is not a template is an error, a found one is
    skipped (parse errors in found files are noted)."""
    texts: dict[Path, str] = {}
    sites: list[Site] = []
    tf_files: list[tuple[Path, str]] = []
    trees: dict[Path, Any] = {}
    skipped = 0
    for path, named in expand(paths):
        if path in texts:
            continue
        try:
            text = read_text(path)
            kind, doc = _detect(path, text)
            if kind == "terraform":
                from powertune.apply import terraform

                trees[path] = terraform.parse(path, text)  # alone: the set is scanned together
                found: list[Site] = []
                tf_files.append((path, text))
            elif kind == "sam-yaml":
                from powertune.apply import sam

                found = sam.scan_yaml(path, text, params, doc)
            elif kind == "sam-json":
                from powertune.apply import sam

                found = sam.scan_json(path, text, params)
            elif kind == "serverless":
                from powertune.apply import serverless

                found = serverless.scan(path, text, params, doc)
            else:
                found = code.scan(path, text)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
            # A shape no check above foresaw: still one line naming the file, not a traceback.
            if named:
                raise TemplateError(f"{path}: cannot read this template ({exc!r:.80})") from None
            skipped += 1
            continue
        except TemplateError as exc:
            if named:
                raise
            skipped += 1
            if "not valid" in str(exc) and notes is not None:
                notes.append(f"skipped {exc}")
            continue
        texts[path] = text
        sites += found
    if tfvars or tf_files:
        sites += _terraform_sites(tf_files, params, tfvars, trees, texts)
    if skipped and notes is not None:
        notes.append(f"skipped {skipped} file(s) found in directories that are not templates")
    return sites, texts


def _terraform_sites(
    tf_files: list[tuple[Path, str]],
    params: Mapping[str, str],
    tfvars: Sequence[Path],
    trees: dict[Path, Any],
    texts: dict[Path, str],
) -> list[Site]:
    """The Terraform files' sites, scanned together with the --tfvars files (read into
    ``texts``)."""
    from powertune.apply import terraform

    given = []
    for path in tfvars:
        if not path.name.endswith(".tfvars"):
            raise TemplateError(f"{path}: --tfvars takes a .tfvars file")
        text = texts.get(path) or read_text(path)
        terraform.parse(path, text)
        texts[path] = text
        given.append((path, text))
    if given and not tf_files:
        raise TemplateError(f"{tfvars[0]}: --tfvars, and no Terraform .tf files given")
    return terraform.scan(tf_files, params, given, trees) if tf_files else []


def plan_templates(
    targets: Sequence[Target],
    paths: Sequence[Path],
    *,
    mapping: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    tfvars: Sequence[Path] = (),
) -> Plan:
    """What setting each target's memory in ``paths`` takes: edits, suggestions, unmatched.
    ``tfvars``: the -var-files of the environment the result was measured in."""
    notes: list[str] = []
    sites, texts = scan(paths, params or {}, notes, tfvars)
    found = match(targets, sites, dict(mapping or {}))
    plan = Plan(unmatched=list(found.unmatched), notes=notes)
    files: dict[Path, FilePlan] = {p: FilePlan(p, t) for p, t in texts.items()}
    try:
        outcomes = _outcomes(found.pairs)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise TemplateError(f"cannot place the memory setting ({exc!r:.80})") from None
    for target, site, how in found.pairs:
        if not target.applies:
            plan.refused.append(
                f"{site.path}:{site.line}: {site.key} ({target.name}): not applied, the gate "
                f"would refuse it; {target.label()}"
            )
            continue
        try:
            outcome = outcomes.get(id(target)) or site.plan(target.memory_mb)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise TemplateError(
                f"{site.path}:{site.line}: {site.key}: cannot place the memory setting "
                f"({exc!r:.80})"
            ) from None
        path = outcome.path or site.path
        where = outcome.where or site.key
        at = f"{path}:{outcome.line or site.line}"
        if outcome.suggestion is not None:
            plan.suggestions.append(
                f"{at}: {where} ({target.name}): {outcome.suggestion} "
                f"(suggested {target.memory_mb} MB)"
            )
            continue
        file_plan = files[path]
        if _conflicts(file_plan.edits, outcome.edits):
            plan.suggestions.append(
                f"{at}: {where} ({target.name}): the value is shared with another function; "
                f"set {target.memory_mb} MB by hand"
            )
            continue
        if outcome.old == target.memory_mb or (
            outcome.old is None and outcome.inherited == target.memory_mb
        ):
            how_set = "" if outcome.old is not None else " (inherited)"
            plan.notes.append(
                f"{at}: {where} ({target.name}): already {target.memory_mb} MB{how_set}"
            )
            continue
        file_plan.edits += [e for e in outcome.edits if e not in file_plan.edits]
        note = "; ".join(x for x in (outcome.note, f"matched by {how}") if x)
        file_plan.changes.append(
            Change(
                function=target.name,
                where=where,
                path=str(path),
                line=outcome.line or site.line,
                old=outcome.old,
                new=target.memory_mb,
                note=note,
                context=target.label(),
            )
        )
    plan.files = [f for f in files.values() if f.edits]
    return plan


def _outcomes(pairs: Sequence[tuple[Target, Site, str]]) -> dict[int, Outcome]:
    """Outcomes of the sites that plan all their functions at once (Terraform blocks with
    several deployments), by id of the target; the gate's refusals are not in the request."""
    groups: dict[int, tuple[Site, list[Target]]] = {}
    for target, site, _ in pairs:
        if site.plan_group is not None and target.applies:
            groups.setdefault(id(site), (site, []))[1].append(target)
    out: dict[int, Outcome] = {}
    for site, members in groups.values():
        assert site.plan_group is not None
        results = site.plan_group([(t.physical_name, t.memory_mb) for t in members])
        out.update({id(t): r for t, r in zip(members, results, strict=True)})
    return out


def _conflicts(existing: list[Edit], new: list[Edit]) -> bool:
    """Two different edits of the same bytes (or insertions at the same point)."""
    return any(
        a != b and (a.start == b.start or (a.start < b.end and b.start < a.end))
        for a in new
        for b in existing
    )
