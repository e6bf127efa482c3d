"""The functions of a SAM or CloudFormation template, as the local runtime creates them.

What ``sam local start-lambda`` reads, without Docker: every ``AWS::Serverless::Function`` and
``AWS::Lambda::Function``, with ``Globals.Function`` applied (``IgnoreGlobals`` honoured), its
code folder (``CodeUri`` / a ``Code`` path, relative to the template), handler, runtime, memory,
timeout, environment and architectures. Values are resolved to concrete text: a parameter to its
``--parameter`` value or its ``Default``; pseudo parameters to the local runtime's region,
account and stack name; ``!Sub`` and ``!Join`` over those; a ``!Ref`` to another resource to its
logical ID (as ``sam local`` does). An environment variable whose value cannot be known locally
(``!GetAtt``, ``!ImportValue`` ...) is left out, and the function says so in its notes.

A function the local runtime cannot run (another runtime, a container image, code in S3) is kept
with the reason, so that the caller can say it in one line instead of failing the template.

Physical names follow CloudFormation's rule: ``FunctionName`` when set; otherwise, with a stack
name, ``STACK-LogicalId-SUFFIX`` (the parts shortened to fit 64 characters, SUFFIX 12 letters and
digits: stable here, derived from the stack and the logical ID, where CloudFormation's is random);
without one, the logical ID, as ``sam local`` names it.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from powertune.errors import InputError
from powertune.local.packaging import FUNCTION_NAME

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
MAX_TEMPLATE_BYTES = 1 << 20  # CloudFormation's own limit for a template is 1 MB (S3)
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
_SUFFIX_CHARS = string.ascii_uppercase + string.ascii_lowercase + string.digits
_GLOBAL_KEYS = (
    "CodeUri",
    "Handler",
    "Runtime",
    "MemorySize",
    "Timeout",
    "Environment",
    "Architectures",
    "PackageType",
    "EphemeralStorage",
)


class TemplateInputError(InputError):
    """The template cannot be read or resolved (exit 2, the file and the reason named)."""


class _Unresolved(Exception):
    """A value the local runtime cannot know (a resource attribute, an import ...)."""


@dataclass(frozen=True)
class TemplateFunction:
    """One function of the template. ``reason`` is None when the local runtime can run it."""

    logical_id: str
    name: str  # its physical name
    code_path: Path | None
    handler: str | None
    runtime: str | None
    memory_mb: int
    timeout_s: int
    environment: dict[str, str] = field(default_factory=dict)
    architectures: tuple[str, ...] = ("x86_64",)
    ephemeral_mb: int = 512
    reason: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def runnable(self) -> bool:
        return self.reason is None

    def create_settings(self) -> dict[str, Any]:
        """CreateFunction fields other than the name, handler and code."""
        return {
            "Runtime": self.runtime,
            "MemorySize": self.memory_mb,
            "Timeout": self.timeout_s,
            "Environment": {"Variables": dict(self.environment)},
            "Architectures": list(self.architectures),
            "EphemeralStorage": {"Size": self.ephemeral_mb},
        }


def load_template(
    path: str | Path,
    *,
    stack_name: str | None = None,
    parameters: Mapping[str, str] | None = None,
    region: str = "us-east-1",
    account: str = "123456789012",
) -> list[TemplateFunction]:
    """Every function of the template at ``path``, in the template's order."""
    source = Path(path)
    document = _read(source)
    resources = document.get("Resources")
    if not isinstance(resources, Mapping) or not resources:
        raise TemplateInputError(f"{source}: no Resources section")
    if stack_name is not None and not _stack_name_ok(stack_name):
        raise TemplateInputError(
            f"--stack-name {stack_name!r}: a stack name is letters, digits and '-', "
            "starting with a letter, at most 128 characters"
        )
    values = _Values(document, parameters or {}, stack_name or "local", region, account, source)
    globals_ = document.get("Globals") or {}
    function_globals = globals_.get("Function") if isinstance(globals_, Mapping) else None
    found: list[TemplateFunction] = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, Mapping) or resource.get("Type") not in FUNCTION_TYPES:
            continue
        found.append(
            _function(
                str(logical_id),
                resource,
                function_globals if isinstance(function_globals, Mapping) else {},
                values,
                source.parent,
                stack_name,
            )
        )
    if not found:
        raise TemplateInputError(
            f"{source}: no AWS::Serverless::Function or AWS::Lambda::Function resource"
        )
    names = [f.name for f in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TemplateInputError(f"{source}: two functions are named {', '.join(twice)}")
    return found


def _stack_name_ok(name: str) -> bool:
    return (
        0 < len(name) <= 128
        and name[0].isascii()
        and name[0].isalpha()
        and all(c.isascii() and (c.isalnum() or c == "-") for c in name)
    )


def _read(source: Path) -> dict[str, Any]:
    try:
        if not source.is_file():
            raise TemplateInputError(f"--template: no such file: {source}")
        if source.stat().st_size > MAX_TEMPLATE_BYTES:
            raise TemplateInputError(f"{source}: larger than a template may be (1 MB)")
        text = source.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise TemplateInputError(f"{source}: not UTF-8 text") from None
    except OSError as exc:
        raise TemplateInputError(f"--template: cannot read {source}: {exc.strerror}") from None
    try:
        loaded = _yaml().load(text)
    except (YAMLError, ValueError, RecursionError) as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise TemplateInputError(f"{source}{where}: not a valid template: {problem}") from None
    if not isinstance(loaded, dict):
        raise TemplateInputError(f"{source}: not a template (expected a mapping at the top)")
    return loaded


def _yaml() -> YAML:
    """A safe loader that turns CloudFormation's short forms (``!Ref X``) into long ones."""
    yaml = YAML(typ="safe", pure=True)

    def short_form(loader: Any, suffix: str, node: Any) -> dict[str, Any]:
        if hasattr(node, "value") and isinstance(node.value, str):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node.value, list) and node.value and isinstance(node.value[0], tuple):
            value = loader.construct_mapping(node, deep=True)
        else:
            value = loader.construct_sequence(node, deep=True)
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{suffix}": value}

    yaml.constructor.add_multi_constructor("!", short_form)
    return yaml


class _Values:
    """Concrete values for the local runtime: parameters, pseudo parameters, Sub, Join."""

    def __init__(
        self,
        document: Mapping[str, Any],
        overrides: Mapping[str, str],
        stack: str,
        region: str,
        account: str,
        source: Path,
    ) -> None:
        params = document.get("Parameters")
        params = params if isinstance(params, Mapping) else {}
        resources = document.get("Resources")
        self.resources = set(resources) if isinstance(resources, Mapping) else set()
        unknown = sorted(set(overrides) - set(params))
        if unknown:
            raise TemplateInputError(f"{source}: --parameter {unknown[0]}: no such parameter")
        self.params: dict[str, str | None] = {}
        for name, spec in params.items():
            default = spec.get("Default") if isinstance(spec, Mapping) else None
            given = overrides.get(str(name))
            value = given if given is not None else default
            self.params[str(name)] = None if value is None else _text(value)
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::StackName": stack,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account}:stack/{stack}/local",
        }
        self.source = source

    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            value = self.params[name]
            if value is None:
                raise TemplateInputError(
                    f"{self.source}: parameter {name} has no Default: give --parameter {name}=VALUE"
                )
            return value
        if name in self.resources:
            return name  # as `sam local`: a resource's Ref is its logical ID
        raise _Unresolved(f"!Ref {name}")

    def text(self, value: Any, depth: int = 0) -> str:
        """``value`` as concrete text, or _Unresolved."""
        if depth > 20:
            raise _Unresolved("nested too deep")
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return _text(value)
        if isinstance(value, Mapping) and len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref" and isinstance(arg, str):
                return self.ref(arg)
            if fn == "Fn::Sub":
                return self._sub(arg, depth)
            if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
                sep, items = arg
                if isinstance(sep, str) and isinstance(items, list):
                    return sep.join(self.text(item, depth + 1) for item in items)
            raise _Unresolved(str(fn))
        raise _Unresolved(type(value).__name__)

    def _sub(self, arg: Any, depth: int) -> str:
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping):
            pattern, names = arg
            local = {str(k): self.text(v, depth + 1) for k, v in names.items()}
        else:
            pattern, local = arg, {}
        if not isinstance(pattern, str):
            raise _Unresolved("Fn::Sub")

        def one(found: re.Match[str]) -> str:
            var = found.group(1)
            if var.startswith("!"):
                return "${" + var[1:] + "}"  # ${!Literal} is a literal ${Literal}
            if var in local:
                return local[var]
            if "." in var:
                raise _Unresolved(f"${{{var}}}")
            return self.ref(var)

        return _SUB_VAR.sub(one, pattern)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)


def _merged(props: Mapping[str, Any], globals_: Mapping[str, Any], is_sam: bool) -> dict:
    """A SAM function's properties with Globals.Function applied (IgnoreGlobals honoured)."""
    if not is_sam:
        return dict(props)
    ignore = props.get("IgnoreGlobals")
    if ignore == "*":
        return dict(props)
    ignored = set(ignore) if isinstance(ignore, list) else {ignore} if ignore else set()
    merged = {k: v for k, v in globals_.items() if k in _GLOBAL_KEYS and k not in ignored}
    for key, value in props.items():
        if key == "Environment" and isinstance(merged.get("Environment"), Mapping):
            env = dict(merged["Environment"].get("Variables") or {})
            if isinstance(value, Mapping):
                env.update(value.get("Variables") or {})
            merged["Environment"] = {"Variables": env}
        else:
            merged[key] = value
    return merged


def _function(
    logical_id: str,
    resource: Mapping[str, Any],
    globals_: Mapping[str, Any],
    values: _Values,
    base: Path,
    stack_name: str | None,
) -> TemplateFunction:
    is_sam = resource.get("Type") == "AWS::Serverless::Function"
    raw_props = resource.get("Properties") or {}
    if not isinstance(raw_props, Mapping):
        raise TemplateInputError(f"{values.source}: {logical_id}: Properties is not a mapping")
    props = _merged(raw_props, globals_, is_sam)
    where = f"{values.source}: {logical_id}"
    notes: list[str] = []

    def number(key: str, default: int) -> int:
        raw = props.get(key)
        return default if raw is None else number_of(values, raw, f"{where}: {key}")

    name = _physical_name(logical_id, props, values, stack_name, where)
    memory = number("MemorySize", 128)
    timeout = number("Timeout", 3)
    ephemeral_spec = props.get("EphemeralStorage")
    ephemeral = 512
    if isinstance(ephemeral_spec, Mapping) and "Size" in ephemeral_spec:
        ephemeral = number_of(values, ephemeral_spec["Size"], f"{where}: EphemeralStorage.Size")
    runtime = _optional_text(values, props.get("Runtime"), f"{where}: Runtime")
    handler = _optional_text(values, props.get("Handler"), f"{where}: Handler")
    arch_value = props.get("Architectures") or ["x86_64"]
    architectures = tuple(
        _optional_text(values, a, f"{where}: Architectures") or "x86_64"
        for a in (arch_value if isinstance(arch_value, list) else [arch_value])
    )
    environment: dict[str, str] = {}
    env_spec = props.get("Environment")
    variables = env_spec.get("Variables") if isinstance(env_spec, Mapping) else None
    if isinstance(variables, Mapping):
        for key, raw in variables.items():
            try:
                environment[str(key)] = values.text(raw)
            except _Unresolved as exc:
                notes.append(f"environment variable {key} left out: {exc} is not known locally")
    code_path, reason = _code(props, is_sam, values, base, where)
    if reason is None:
        reason = _not_runnable(props, runtime, handler)
    return TemplateFunction(
        logical_id=logical_id,
        name=name,
        code_path=code_path,
        handler=handler,
        runtime=runtime,
        memory_mb=memory,
        timeout_s=timeout,
        environment=environment,
        architectures=architectures,
        ephemeral_mb=ephemeral,
        reason=reason,
        notes=tuple(notes),
    )


def number_of(values: _Values, raw: Any, where: str) -> int:
    try:
        return int(values.text(raw))
    except (_Unresolved, ValueError):
        raise TemplateInputError(f"{where} is not a whole number known locally") from None


def _optional_text(values: _Values, raw: Any, where: str) -> str | None:
    if raw is None:
        return None
    try:
        return values.text(raw)
    except _Unresolved as exc:
        raise TemplateInputError(f"{where} cannot be resolved locally ({exc})") from None


def _not_runnable(props: Mapping[str, Any], runtime: str | None, handler: str | None) -> str | None:
    if props.get("PackageType") == "Image":
        return "a container image (the local runtime runs Zip packages)"
    if runtime is None:
        return "no Runtime"
    if not runtime.startswith("python"):
        return f"runtime {runtime} (the local runtime runs Python handlers only)"
    if not handler or "." not in handler:
        return f"handler {handler!r} is not module.function"
    return None


def _code(
    props: Mapping[str, Any], is_sam: bool, values: _Values, base: Path, where: str
) -> tuple[Path | None, str | None]:
    """The function's code folder (or file), or why the local runtime has none."""
    raw = props.get("CodeUri") if is_sam else props.get("Code")
    if props.get("PackageType") == "Image" or "ImageUri" in props:
        return None, "a container image (the local runtime runs Zip packages)"
    if raw is None and is_sam and "InlineCode" in props:
        return None, "InlineCode (give the code a CodeUri folder to run it locally)"
    if isinstance(raw, Mapping) and not set(raw) & {"Ref", "Fn::Sub", "Fn::Join"}:
        if "ImageUri" in raw:
            return None, "a container image (the local runtime runs Zip packages)"
        if "ZipFile" in raw:
            return None, "inline ZipFile code (give the code a folder to run it locally)"
        return None, "code in S3 (point CodeUri at the local folder to run it locally)"
    if raw is None:
        raise TemplateInputError(f"{where}: no {'CodeUri' if is_sam else 'Code'}")
    try:
        text = values.text(raw)
    except _Unresolved as exc:
        raise TemplateInputError(f"{where}: its code path cannot be resolved ({exc})") from None
    if text.startswith("s3://"):
        return None, "code in S3 (point CodeUri at the local folder to run it locally)"
    path = (base / text).resolve()
    if not path.exists():
        raise TemplateInputError(
            f"{where}: {'CodeUri' if is_sam else 'Code'} {text}: no such folder or file ({path})"
        )
    return path, None


def _physical_name(
    logical_id: str,
    props: Mapping[str, Any],
    values: _Values,
    stack_name: str | None,
    where: str,
) -> str:
    if props.get("FunctionName") is not None:
        try:
            name = values.text(props["FunctionName"])
        except _Unresolved as exc:
            raise TemplateInputError(
                f"{where}: FunctionName cannot be resolved locally ({exc})"
            ) from None
        if not FUNCTION_NAME.match(name):
            raise TemplateInputError(
                f"{where}: FunctionName {name!r} is not a Lambda function name "
                "(1-64 letters, digits, - or _)"
            )
        return name
    if not FUNCTION_NAME.match(logical_id):
        raise TemplateInputError(f"{where}: the logical ID is not a usable function name")
    if stack_name is None:
        return logical_id
    return cloudformation_name(stack_name, logical_id)


def cloudformation_name(stack: str, logical_id: str) -> str:
    """``STACK-LogicalId-SUFFIX`` within 64 characters, as CloudFormation names a function."""
    digest = hashlib.sha256(f"{stack}/{logical_id}".encode()).digest()
    suffix = "".join(_SUFFIX_CHARS[b % len(_SUFFIX_CHARS)] for b in digest[:12])
    room = 64 - len(suffix) - 2
    stack_part, id_part = stack, logical_id
    while len(stack_part) + len(id_part) > room:  # shorten the longer part first
        if len(stack_part) >= len(id_part):
            stack_part = stack_part[:-1]
        else:
            id_part = id_part[:-1]
    return f"{stack_part}-{id_part}-{suffix}"
