"""Terraform: ``memory_size`` in ``aws_lambda_function`` resources and Lambda module calls.

python-hcl2 parses each file into a lark tree whose nodes carry their offsets; apply reads the
values from the tree and edits only the digits of ``memory_size`` (or of the variable default,
tfvars value, local or map entry it comes from), or adds one ``memory_size = N`` line. Comments,
alignment and everything else stay as written.

The files are grouped as Terraform groups them: a directory of .tf files is a module (its
variables, locals and ``terraform.tfvars`` / ``*.auto.tfvars``); any other .tfvars is a
``-var-file``, one environment each (``--tfvars FILE`` names the one in use). A local module
called from the files given takes its inputs from each call. Every function a block creates (each
environment, workspace, ``count`` / ``for_each`` instance and module call) is a *deployment*
(``tfeval``); a value is changed only when every deployment it sets is in the result with the
same recommendation, and a name that fits several environments with different settings is
ambiguous: a message, no edit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# python-hcl2 7.x: its parses() is the lark tree with token offsets (8.x also installs a
# top-level `cli` package that shadows powertune's cli.py, hence the <8 pin in pyproject).
import hcl2
from lark import Tree
from lark.exceptions import LarkError, UnexpectedInput

from powertune.apply.deploy import MB, Deployment, GroupPlanner, Source
from powertune.apply.errors import TemplateError
from powertune.apply.match import Parts, Site, parts_pattern, parts_text
from powertune.apply.plan import Edit, display
from powertune.apply.text import Lines
from powertune.apply.tfeval import (
    UNK,
    Attr,
    Block,
    Env,
    Evaluator,
    Module,
    Py,
    Scope,
    Step,
    ident,
    label,
    ref,
    span,
    subtrees,
    tokens,
    unwrap,
)

DEFAULT_MB = 128  # the provider's (and terraform-aws-modules/lambda's) default
_NEIGHBOURS = ("timeout", "runtime", "handler")  # else after the last attribute
_AUTO = re.compile(r"^(terraform\.tfvars|.*\.auto\.tfvars)$")
MAX_DEPLOYMENTS = 500  # per block: beyond it, a for_each is left to the user


def parse(path: Path, text: str) -> Tree:
    try:
        # python-hcl2's grammar knows only \n: a CRLF file is read with each \r as a space, so
        # every offset stays the file's own.
        tree: Tree = hcl2.parses(text.replace("\r\n", " \n"))
        return tree
    except UnexpectedInput as exc:
        first = str(exc).splitlines()[0]
        raise TemplateError(
            f"{path}:{exc.line}:{exc.column}: not valid HCL: {first[:120]}"
        ) from None
    except (LarkError, ValueError, RecursionError) as exc:
        raise TemplateError(f"{path}: not valid HCL: {str(exc).splitlines()[0][:120]}") from None


def _attribute(node: Tree, path: Path, lines: Lines) -> Attr:
    name = ident(node.children[0]) or ""
    expr = next(c for c in node.children[1:] if isinstance(c, Tree))
    return Attr(name, node, expr, path, lines)


def _read(path: Path, tree: Tree, lines: Lines) -> tuple[list[Block], dict[str, Attr]]:
    """Top-level blocks and top-level attributes (what a .tfvars holds)."""
    body = next((c for c in tree.children if isinstance(c, Tree) and c.data == "body"), None)
    blocks: list[Block] = []
    top: dict[str, Attr] = {}
    for child in body.children if body is not None else []:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            attr = _attribute(child, path, lines)
            top[attr.name] = attr
        elif child.data == "block":
            kind = ident(child.children[0]) or ""
            labels = [
                label(c)
                for c in child.children[1:]
                if isinstance(c, Tree) and c.data in ("string", "identifier")
            ]
            inner = next(c for c in child.children if isinstance(c, Tree) and c.data == "body")
            attrs = {}
            for item in inner.children:
                if isinstance(item, Tree) and item.data == "attribute":
                    attr = _attribute(item, path, lines)
                    attrs[attr.name] = attr
            blocks.append(Block(kind, labels, attrs, path, lines, child, inner))
    return blocks, top


def _local_source(block: Block) -> Path | None:
    source = block.attrs.get("source")
    if source is None:
        return None
    node = unwrap(source.expr)
    text = label(node) if isinstance(node, Tree) and node.data == "string" else ""
    if text.startswith(("./", "../")):
        return (block.path.parent / text).resolve()
    return None


class Config:
    """Every module (directory) of the files given, with their tfvars and their callers."""

    def __init__(
        self,
        files: Sequence[tuple[Path, str]],
        params: Mapping[str, str],
        tfvars: Sequence[tuple[Path, str]] = (),
        trees: Mapping[Path, Tree] | None = None,
    ) -> None:
        self.eval = Evaluator(params)
        self.params = params
        self.modules: dict[Path, Module] = {}
        self.lines: dict[Path, Lines] = {}
        loose: list[tuple[Path, dict[str, Attr]]] = []
        given = {p.resolve() for p, _ in tfvars}
        for path, text in files:
            tree = (trees or {}).get(path) or parse(path, text)  # parsed once, when read
            lines = self.lines[path] = Lines(text)
            blocks, top = _read(path, tree, lines)
            if path.name.endswith(".tfvars"):
                if path.resolve() not in given:
                    loose.append((path, top))
                continue
            module = self.modules.setdefault(path.parent.resolve(), Module(path.parent))
            module.texts.append(text)
            for found in tree.iter_subtrees():
                if found.data == "get_attr_expr_term" and (got := ref(found)):
                    module.uses[got] += 1
                    module.uses_workspace |= got == ("terraform", "workspace")
            for block in blocks:
                if block.kind == "variable" and block.labels:
                    module.defaults[block.labels[0]] = block.attrs.get("default")
                elif block.kind == "locals":
                    module.locals.update(block.attrs)
                else:
                    module.blocks.append(block)
        self.given: list[tuple[Path, dict[str, Attr]]] = []
        for path, text in tfvars:
            self.lines[path] = Lines(text)
            self.given.append((path, _read(path, parse(path, text), self.lines[path])[1]))
        for path, values in loose:
            self._attach(path, values)
        for module in self.modules.values():
            for block in module.blocks:
                target = _local_source(block) if block.kind == "module" else None
                if target is not None and target in self.modules:
                    self.modules[target].callers.append((module, block))
        for module in self.modules.values():
            if module.uses_workspace:
                module.workspaces = self._workspace_keys(module)

    def _attach(self, path: Path, values: dict[str, Attr]) -> None:
        """A tfvars file belongs to the module of its directory (auto-loaded or a -var-file),
        else to the nearest enclosing one, else to every module declaring its variables."""
        for directory in (path.parent.resolve(), *path.parent.resolve().parents):
            module = self.modules.get(directory)
            if module is None:
                continue
            auto = directory == path.parent.resolve() and _AUTO.match(path.name)
            (module.base if auto else module.var_files).append((path, values))
            module.base.sort(key=lambda item: (item[0].name != "terraform.tfvars", item[0].name))
            return
        for module in self.modules.values():
            if set(values) & set(module.defaults):
                module.var_files.append((path, values))

    def _workspace_keys(self, module: Module) -> set[str]:
        """Workspaces the module names: the keys of maps it indexes by terraform.workspace."""
        scope = Scope(module, Env("", tuple(module.base)))
        keys: set[str] = set()
        texts = [b.node for b in module.blocks] + [a.expr for a in module.locals.values()]
        for root in texts:
            for node in root.iter_subtrees():
                base: Any = None
                if node.data == "index_expr_term" and len(node.children) == 2:
                    index = subtrees(node.children[1])
                    if index and ref(unwrap(index[0])) == ("terraform", "workspace"):
                        base = node.children[0]
                elif node.data == "function_call" and ident(node.children[0]) == "lookup":
                    args = self.eval.arguments(node)
                    if len(args) >= 2 and ref(unwrap(args[1])) == ("terraform", "workspace"):
                        base = args[0]
                if base is not None:
                    value = self.eval.value(base, scope)
                    if isinstance(value, dict):
                        keys |= set(value)
        return keys

    # --- environments and deployments ----------------------------------------------------
    def envs(self, module: Module) -> list[Env]:
        """One environment per -var-file (the one --tfvars names is chosen, the others still
        count: a value they share is theirs too), each with every workspace the module names."""
        base = tuple(module.base)
        given = {p.resolve() for p, _ in self.given}
        others = [(p, v) for p, v in module.var_files if p.resolve() not in given]
        names = [p.name for p, _ in [*module.var_files, *self.given]]

        def label(path: Path) -> str:  # envs/dev/terraform.tfvars beside envs/prod/...
            return path.name if names.count(path.name) == 1 else f"{path.parent.name}/{path.name}"

        envs = [Env(label(p), (*base, (p, v)), chosen=not self.given) for p, v in others]
        if self.given:
            envs.insert(
                0, Env(", ".join(label(p) for p, _ in self.given), base + tuple(self.given))
            )
        envs = envs or [Env("", base)]
        if not self.given:
            envs = [Env(e.label, e.files, e.workspace, self._param_fits(module, e)) for e in envs]
        wanted = self.params.get("terraform.workspace")
        names = sorted(module.workspaces | ({wanted} if wanted else set()))
        if module.uses_workspace and names:
            envs = [
                Env(
                    ", ".join(x for x in (e.label, f"workspace {w}") if x),
                    e.files,
                    w,
                    e.chosen and (wanted is None or w == wanted),
                )
                for e in envs
                for w in names
            ]
        return envs

    def _param_fits(self, module: Module, env: Env) -> bool:
        """No --param var.x=v contradicts the value this environment's tfvars give x."""
        for key, wanted in self.params.items():
            name = key[len("var.") :] if key.startswith("var.") else None
            found = [v[name] for _, v in env.files if name in v] if name else []
            if found and self.eval.value(found[-1].expr, Scope(module, env)) != wanted:
                return False
        return True

    def scopes(self, module: Module, depth: int = 0) -> list[tuple[str, Scope]]:
        """(label, scope) for each way the module is deployed: per environment for a root
        module, per call (and its environments) for a local module called from the files."""
        if not module.callers or depth > 10:
            return [(e.label, Scope(module, e)) for e in self.envs(module)]
        out = []
        for caller_module, block in module.callers:
            for where, outer in self.scopes(caller_module, depth + 1):
                for instance, inner in self.instances(block, outer):
                    call = f"{block.address}{instance} at {display(block.path)}:{block.line}"
                    text = ", ".join(x for x in (call, where) if x)
                    out.append((text, Scope(module, outer.env, (block, inner))))
        return out

    def instances(self, block: Block, scope: Scope) -> list[tuple[str, Scope]]:
        """("[0]" / '["a"]' / "", scope) for each instance of a count / for_each block; one
        with an unknown index when they cannot be known here."""
        if "count" in block.attrs:
            count = self.eval.value(block.attrs["count"].expr, scope)
            if isinstance(count, bool) or not isinstance(count, int):
                if _at_most_one(block.attrs["count"].expr):
                    return [("", scope.with_instance(index=0))]
                return [("[?]", scope.with_instance(index=UNK))]
            return [(f"[{i}]", scope.with_instance(index=i)) for i in range(min(count, 1000))]
        if "for_each" in block.attrs:
            expr = block.attrs["for_each"].expr
            got = self.eval.deref(expr, scope)
            pairs: list[tuple[Any, Any]] = []
            if not isinstance(got, Py) and isinstance(got[0], Tree) and got[0].data == "object":
                node, where = got
                for elem in subtrees(node):
                    key = self.eval.key_of(elem, where)
                    if key is UNK:
                        return [("[?]", scope.with_instance(key=UNK))]
                    pairs.append((key, (subtrees(elem)[-1], where)))
            else:
                value = self.eval.value(expr, scope)
                if isinstance(value, dict):
                    pairs = [(k, Py(v)) for k, v in value.items()]
                elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                    pairs = [(v, Py(v)) for v in value]
                else:
                    return [("[?]", scope.with_instance(key=UNK))]
            return [(f'["{k}"]', scope.with_instance(key=k, value=v)) for k, v in pairs]
        return [("", scope)]


def _at_most_one(node: Any) -> bool:
    """``cond ? 1 : 0`` (the usual on/off switch, ``a && b ? 1 : 0`` too): a conditional whose
    only numbers are 0 and 1, with no arithmetic or function call that could make more."""
    node = unwrap(node)
    if not isinstance(node, Tree) or not any(t.data == "conditional" for t in node.iter_subtrees()):
        return False
    if any(t.data == "function_call" for t in node.iter_subtrees()):
        return False
    numbers = {
        "".join(str(x) for x in tokens(t)) for t in node.iter_subtrees() if t.data == "int_lit"
    }
    arithmetic = {str(t) for t in tokens(node) if t.type == "BINARY_OP"} & {"+", "-", "*", "/", "%"}
    return numbers <= {"0", "1"} and not arithmetic


def scan(
    files: Sequence[tuple[Path, str]],
    params: Mapping[str, str],
    tfvars: Sequence[tuple[Path, str]] = (),
    trees: Mapping[Path, Tree] | None = None,
) -> list[Site]:
    config = Config(files, params, tfvars, trees)
    sites = []
    for module in config.modules.values():
        for block in module.blocks:
            if block.kind == "resource" and block.labels[:1] == ["aws_lambda_function"]:
                key = f"aws_lambda_function.{block.labels[1] if len(block.labels) > 1 else ''}"
            elif block.kind == "module" and "function_name" in block.attrs:
                called = _local_source(block)
                if called is not None and called in config.modules:
                    continue  # its functions are the resources of that module, read from there
                key = f"module.{block.labels[0] if block.labels else ''}"
            else:
                continue
            deployments = _deployments(config, module, block)
            if not deployments:
                continue  # count = 0 / for_each = {} everywhere: no function
            names = tuple(dict.fromkeys(d.name for d in deployments if d.name))
            patterns = tuple(
                dict.fromkeys(d.pattern for d in deployments if d.pattern and not d.name)
            )
            planner = _Planner(config, block, deployments)
            sites.append(
                Site(
                    key=key,
                    path=block.path,
                    line=block.line,
                    kind="terraform " + block.kind,
                    names=names,
                    patterns=patterns,
                    plan=planner.plan_one,
                    plan_group=planner.plan,
                    shared=len(deployments) > 1,
                )
            )
    return sites


def _deployments(config: Config, module: Module, block: Block) -> list[Deployment]:
    out = []
    for env, scope in config.scopes(module):
        for instance, inner in config.instances(block, scope):
            parts: Parts = [None]
            if "function_name" in block.attrs:
                parts = config.eval.parts(block.attrs["function_name"].expr, inner)
            exact = parts_text(parts)
            pattern = parts_pattern(parts) if exact is None else None
            where = block.address + instance
            out.append(Deployment(where, env, exact, pattern, inner, inner.env.chosen))
            if len(out) > MAX_DEPLOYMENTS:
                return out
    return out


class _Planner(GroupPlanner):
    """Plans one block for the result functions matched to it, deployment by deployment."""

    hint = "--tfvars FILE, --param var.NAME=VALUE or --param terraform.workspace=NAME"

    def __init__(self, config: Config, block: Block, deployments: list[Deployment]) -> None:
        super().__init__(block.address, block.line, deployments)
        self.config = config
        self.block = block

    def how(self, missing: list[Deployment]) -> str:
        attrs = self.block.attrs
        if "for_each" in attrs:
            return (
                "to size them apart give each instance its own value, e.g. a map keyed like the "
                f"for_each: memory_size = lookup(var.memory_sizes, each.key, {DEFAULT_MB})"
            )
        if "count" in attrs and any(d.where != self.block.address for d in missing):
            return (
                "to size them apart give each instance its own value, e.g. a list indexed like "
                "the count: memory_size = var.memory_sizes[count.index]"
            )
        if any(d.env.startswith("module.") for d in missing):
            return "to size them apart set memory_size in each module call"
        return (
            "to size environments apart set memory_size = var.memory_size and give it a "
            "value in each environment's tfvars"
        )

    def memory_line(self) -> int:
        attr = self.block.attrs.get("memory_size")
        return attr.line if attr is not None else self.block.line

    # --- where one deployment's memory is written ----------------------------------------
    def source(self, d: Deployment) -> Source | str:
        """The Source, or a message with {mb} for the size (what to do by hand)."""
        assert isinstance(d.scope, Scope)
        if d.where.endswith("[?]"):
            what = "for_each" if "for_each" in self.block.attrs else "count"
            return (
                f"{what} of {self.block.address} is not known from the files given, so it may "
                f"create several functions: set memory_size = {{mb}} by hand"
            )
        attr = self.block.attrs.get("memory_size")
        if attr is None:
            return self._insert()
        trail: list[Step] = []
        got = self.config.eval.deref(attr.expr, d.scope, trail)
        first = trail[0] if trail else None
        if isinstance(got, Py):
            if first is not None and first.kind == "var" and first.where == "missing":
                return _missing_var(first.name, self.block)
            if first is not None and first.where == "--param":
                return f"memory_size comes from --param var.{first.name}: set it to {{mb}} there"
            if not trail:
                return "memory_size is an expression: set it to {mb} by hand"
            return (
                f"memory_size = {_chain(trail)}, not known from the files given: set {{mb}} by hand"
            )
        node, _ = got
        literal = _int_literal(node)
        if not trail:
            if literal is None:
                return "memory_size is an expression: set it to {mb} by hand"
            start, end, old = literal
            return Source(
                ("literal", str(attr.path), start),
                Edit(start, end, MB),
                attr.path,
                attr.line,
                old,
                "",
                f"memory_size in {attr.path.name}:{attr.line}",
            )
        for n, step in enumerate(trail):
            if step.module is not None and step.module.uses[(step.kind, step.name)] > 1:
                uses = step.module.uses[(step.kind, step.name)]
                if n == 0 and _one_member(step, attr):
                    continue  # var.config.memory: that member is used here only
                return (
                    f"memory_size = {_chain(trail)} (used {uses} times): set this function's "
                    f"memory_size = {{mb}} or change {step.name} by hand"
                )
        last = next((s for s in reversed(trail) if s.kind == "var"), None)
        if (
            last is not None
            and last.where == "default"
            and last.module is not None
            and not last.module.callers
            and "modules" in last.module.directory.parts
        ):
            return (
                f"memory_size = var.{last.name}, the default of a shared module "
                f"({last.module.directory}): every caller of the module gets it; set "
                f"memory_size = {{mb}} where this function's module is called (pass the "
                "calling files too, to have it done)"
            )
        if literal is None:
            return (
                f"memory_size = {_chain(trail)} (not a plain number): set this function's "
                f"memory_size = {{mb}} or change it by hand"
            )
        start, end, old = literal
        path = _path_of(trail, attr)
        lines = self.config.lines.get(path)
        line = lines.line_of(start) + 1 if lines else attr.line
        return Source(
            ("value", str(path), start),
            Edit(start, end, MB),
            path,
            line,
            old,
            _note(trail, self.block),
            f"{_chain(trail)} ({path.name}:{line})",
        )

    def _insert(self) -> Source | str:
        edit = insertion(self.block)
        if edit is None:
            return "no memory_size: add memory_size = {mb}"
        lines = self.block.lines
        return Source(
            ("insert", str(self.block.path), span(self.block.node)[0]),
            edit,
            self.block.path,
            lines.line_of(edit.start) + 1,
            None,
            f"default {DEFAULT_MB} MB: set on the function",
            f"a new memory_size in {self.block.address}",
            inherited=DEFAULT_MB,
        )


def _one_member(step: Step, attr: Attr) -> bool:
    """``memory_size = var.config.memory`` (or ``local.sizes["api"]``): the object is used
    elsewhere, but this member of it only here and the object never whole."""
    assert step.module is not None
    start, end = attr.span
    written = attr.lines.text[start:end].strip()
    root = f"{step.kind}.{step.name}"
    if not written.startswith((root + ".", root + "[")) or not re.fullmatch(
        r"[\w.\[\]\"-]+", written
    ):
        return False
    texts = step.module.texts
    member = re.compile(re.escape(written) + r"(?![\w.\[])")
    whole = re.compile(rf"\b{re.escape(root)}\b(?![\w.\[-])")
    return sum(len(member.findall(t)) for t in texts) == 1 and not any(
        whole.search(t) for t in texts
    )


def _chain(trail: list[Step]) -> str:
    out = ""
    for step in trail:
        if step.kind in ("var", "local"):
            out = out or f"{step.kind}.{step.name}"
        elif step.kind == "each":
            out = out or "each.value"
        elif step.kind == "index":
            out += f'["{step.name}"]'
    return out or "an expression"


def _path_of(trail: list[Step], attr: Attr) -> Path:
    for step in reversed(trail):
        if step.path is not None:
            return step.path
    return attr.path


def _note(trail: list[Step], block: Block) -> str:
    last_var = next((s for s in reversed(trail) if s.kind in ("var", "local")), None)
    if last_var is None:
        return ""
    if last_var.kind == "local":
        return f"local {last_var.name}, used only by this function"
    if last_var.where.startswith("tfvars"):
        where = last_var.where[len("tfvars ") :]
        return f"the tfvars value of {last_var.name} ({where}), used only by this function"
    if last_var.where.startswith("caller"):
        return f"{last_var.name} in {last_var.where[7:]}, used only by this function"
    return (
        f"the default of variable {last_var.name} (a caller that sets {last_var.name} overrides "
        "it), used only by this function"
    )


def _missing_var(name: str, block: Block) -> str:
    return (
        f"memory_size = var.{name}, and no variable {name} in the files given: pass its "
        f"variables.tf, or set {name} = {{mb}} where the module is called"
    )


def _int_literal(node: Any) -> tuple[int, int, int] | None:
    """(start, end, value) of the digits of a bare or quoted integer literal."""
    node = unwrap(node)
    if isinstance(node, Tree) and node.data == "int_lit":
        digits = "".join(str(t) for t in tokens(node))
        if digits.isdigit():
            start, end = span(node)
            return start, end, int(digits)
    if isinstance(node, Tree) and node.data == "string":
        # "512": Terraform converts it to a number; edit the digits inside the quotes.
        found = list(tokens(node))
        if len(found) == 1 and str(found[0]).isdigit() and found[0].type == "STRING_CHARS":
            token = found[0]
            if token.start_pos is not None and token.end_pos is not None:
                return token.start_pos, token.end_pos, int(str(token))
    return None


def insertion(block: Block) -> Edit | None:
    """A ``memory_size = N`` line (N filled in later) with the block's own indentation: after
    a usual neighbour, else after the last attribute on lines of its own, else at the block's
    start. None when the block's body shares a line with its braces."""
    lines = block.lines
    nl = lines.newline
    own = [a for a in block.attrs.values() if _own_lines(a)]
    preferred = [block.attrs[n] for n in _NEIGHBOURS if n in block.attrs and block.attrs[n] in own]
    for attr in preferred[:1] or own[-1:]:
        start, end = span(attr.node)
        at = end if lines.text[end - 1 : end] == "\n" else lines.next_line_start(lines.line_of(end))
        lead = nl if at == len(lines.text) and not lines.text.endswith("\n") else ""
        indent = lines.indent_of(lines.line_of(start))
        return Edit(at, at, f"{lead}{indent}memory_size = {{mb}}{'' if lead else nl}")
    body_start = span(block.node)[0]
    brace = lines.text.find("{", body_start)
    if brace < 0:
        return None
    rest = lines.text[brace + 1 : lines.next_line_start(lines.line_of(brace))].strip()
    if rest and not rest.startswith(("#", "//")):
        return None  # `resource "x" "y" { a = 1 }` on one line: left to the user
    at = lines.next_line_start(lines.line_of(brace))
    inner = next(
        (
            lines.indent_of(n)
            for n in range(lines.line_of(brace) + 1, len(lines.starts))
            if lines.text[lines.starts[n] : lines.next_line_start(n)].strip()
        ),
        "",
    )
    outer = lines.indent_of(lines.line_of(body_start))
    indent = inner if len(inner) > len(outer) else outer + "  "
    if at >= len(lines.text) or brace >= span(block.node)[1] - 1:
        return None
    return Edit(at, at, f"{indent}memory_size = {{mb}}{nl}")


def _own_lines(attr: Attr) -> bool:
    """The attribute starts its line and nothing but a comment follows it on its last line."""
    lines = attr.lines
    start, end = span(attr.node)
    if lines.text[lines.starts[lines.line_of(start)] : start].strip():
        return False
    if lines.text[end - 1 : end] == "\n":
        return True  # a heredoc ends with its newline
    after = lines.text[end : lines.next_line_start(lines.line_of(end))].strip()
    return not after or after.startswith(("#", "//"))
