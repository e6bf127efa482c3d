"""Variants of a function (``--variant arch=arm64``, ``runtime=python3.13``): what they are, and
the twin function that measures one, built from the function's own GetFunction answer.

No AWS call here: ``twins.py`` fetches, checks and creates. A variant changes only the
architecture and/or the runtime; everything else the twin copies, so a difference in the
measurements is the variant's.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from powertune.errors import InputError

ARCHITECTURES = ("x86_64", "arm64")
VARIANT_KEYS = ("arch", "runtime")
# Lambda's runtime identifiers, by family (new versions appear every year: the pattern, not a list)
_RUNTIME = re.compile(
    r"(?P<family>python|nodejs|java|dotnet|ruby|provided|go)"
    r"(?P<version>\d{1,2}(?:\.\d{1,2}|\.x|\.al2)?|\.al2|\.al2023)?"
)
# Families whose handler names the same thing (a custom runtime's bootstrap serves either)
_FAMILY_OF = {"go": "provided"}
TWIN_MARK = "powertune twin"
TWIN_INFIX = "-pt-"
FUNCTION_NAME_MAX = 64
DESCRIPTION_MAX = 256


@dataclass(frozen=True)
class Variant:
    """One change to measure: an architecture, a runtime, or both."""

    architecture: str | None = None
    runtime: str | None = None

    @property
    def label(self) -> str:
        """``arch=arm64,runtime=python3.13``: the spec, in a fixed order."""
        parts = []
        if self.architecture:
            parts.append(f"arch={self.architecture}")
        if self.runtime:
            parts.append(f"runtime={self.runtime}")
        return ",".join(parts)

    @property
    def slug(self) -> str:
        """A short name part: ``arm64``, ``python313``, ``arm64-nodejs22x``."""
        parts = [p for p in (self.architecture, self.runtime) if p]
        return "-".join(re.sub(r"[^A-Za-z0-9]", "", p) for p in parts)


SHOWN_MAX = 40  # of a bad spec, in its error line (a pasted megabyte stays one short line)


def _shown(text: str) -> str:
    """``'arch=arm64'``, or the start of a long one: ``'aaaa…' (5000 characters)``."""
    if len(text) <= SHOWN_MAX:
        return repr(text)
    return f"{text[:SHOWN_MAX]!r}… ({len(text)} characters)"


def parse_variant(spec: str) -> Variant:
    """``arch=arm64``, ``runtime=python3.13`` or both, comma-separated. Bad keys or values are an
    InputError naming them."""
    values: dict[str, str] = {}
    shown = _shown(spec)
    text = spec.strip()
    if not text:
        raise InputError("--variant: empty (expected arch=arm64 and/or runtime=python3.13)")
    for item in text.split(","):
        key, sep, value = item.strip().partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise InputError(f"--variant {shown}: {_shown(item.strip())} is not KEY=VALUE")
        if key not in VARIANT_KEYS:
            raise InputError(
                f"--variant {shown}: unknown key {_shown(key)} "
                f"(expected {' or '.join(VARIANT_KEYS)})"
            )
        if key in values:
            raise InputError(f"--variant {shown}: {key} given twice")
        values[key] = value
    arch = values.get("arch")
    if arch is not None and arch not in ARCHITECTURES:
        raise InputError(
            f"--variant {shown}: unknown architecture {_shown(arch)} "
            f"(expected {' or '.join(ARCHITECTURES)})"
        )
    runtime = values.get("runtime")
    if runtime is not None and runtime_family(runtime) is None:
        raise InputError(
            f"--variant {shown}: {_shown(runtime)} is not a Lambda runtime identifier "
            "(e.g. python3.13, nodejs22.x, java21, provided.al2023)"
        )
    return Variant(architecture=arch, runtime=runtime)


def parse_variants(specs: list[str] | tuple[str, ...]) -> tuple[Variant, ...]:
    """Every ``--variant``, in order; the same variant twice is an InputError."""
    variants: list[Variant] = []
    for spec in specs:
        variant = parse_variant(spec)
        if variant in variants:
            raise InputError(f"--variant {variant.label} given twice")
        variants.append(variant)
    return tuple(variants)


def runtime_family(runtime: str | None) -> str | None:
    """``python`` for python3.13, ``provided`` for provided.al2023 or go1.x; None when not one."""
    match = _RUNTIME.fullmatch(runtime or "")
    if match is None:
        return None
    family = str(match.group("family"))
    if match.group("version") is None and family != "provided":
        return None
    return _FAMILY_OF.get(family, family)


def twin_name(function_name: str, variant: Variant, run_id: str) -> str:
    """``NAME-pt-arm64-1a2b3c``: the function's name (cut to fit 64 characters), the variant,
    and a digest of both and the run, so two runs never share a twin."""
    digest = hashlib.sha256(f"{function_name}\0{variant.label}\0{run_id}".encode()).hexdigest()
    suffix = f"{TWIN_INFIX}{variant.slug}-{digest[:6]}"
    return twin_prefix(function_name, len(suffix)) + suffix


def twin_prefix(function_name: str, suffix_len: int = 0) -> str:
    """The part of a twin's name that comes from the function's name."""
    return function_name[: max(1, FUNCTION_NAME_MAX - suffix_len)]


def twin_description(function_arn: str, variant: Variant, run_id: str) -> str:
    """The twin's Description: how ``cleanup`` finds it (ListFunctions returns it), from any
    machine, as the tuning versions are found by theirs."""
    text = f"{twin_mark(function_arn)}run={run_id} variant={variant.label}"
    return text[:DESCRIPTION_MAX]


def twin_mark(function_arn: str) -> str:
    return f"{TWIN_MARK} of={function_arn} "


def refusal(configuration: dict[str, Any], variant: Variant) -> str | None:
    """Why this variant cannot be built from this configuration without any AWS call (an image
    asking for a runtime, a handler the runtime cannot use, a variant that changes nothing);
    None when it can."""
    name = configuration.get("FunctionName", "the function")
    current_arch = (configuration.get("Architectures") or ["x86_64"])[0]
    current_runtime = configuration.get("Runtime")
    changes_arch = variant.architecture is not None and variant.architecture != current_arch
    changes_runtime = variant.runtime is not None and variant.runtime != current_runtime
    if not changes_arch and not changes_runtime:
        return (
            f"{variant.label}: {name} already is {current_arch} on {current_runtime or 'an image'}"
        )
    if configuration.get("PackageType") == "Image" and changes_runtime:
        return (
            f"{variant.label}: {name} is a container image; its runtime is in the image, "
            "not a setting"
        )
    if changes_runtime:
        wanted = runtime_family(variant.runtime)
        have = runtime_family(current_runtime)
        if have is None:
            return (
                f"{variant.label}: {name}'s runtime {current_runtime!r} is not one powertune "
                "knows how to compare"
            )
        if wanted != have:
            handler = configuration.get("Handler") or "?"
            return (
                f"{variant.label}: {name}'s handler {handler} is {have} code "
                f"({current_runtime}); {variant.runtime} cannot run it"
            )
    return None


# The configuration a twin copies from GetFunction's answer, field by field.
_COPIED = ("Role", "Timeout", "MemorySize", "KMSKeyArn")


def twin_request(
    found: dict[str, Any],
    variant: Variant,
    *,
    name: str,
    description: str,
    code: dict[str, Any],
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The CreateFunction request of a twin: the function's code (``code``: ZipFile, S3 or
    ImageUri) and configuration from ``found`` (GetFunction's answer), with only the variant
    changed. Not copied: the function's log group (the twin logs to its own), SnapStart,
    reserved concurrency, aliases and versions, event sources."""
    config = found.get("Configuration") or {}
    request: dict[str, Any] = {
        "FunctionName": name,
        "Description": description,
        "Code": code,
        "PackageType": config.get("PackageType") or "Zip",
        "Publish": False,
    }
    for key in _COPIED:
        if config.get(key) is not None:
            request[key] = config[key]
    if request["PackageType"] == "Zip":
        request["Handler"] = config.get("Handler")
        request["Runtime"] = variant.runtime or config.get("Runtime")
    else:
        image = (config.get("ImageConfigResponse") or {}).get("ImageConfig")
        if image:
            request["ImageConfig"] = image
    request["Architectures"] = [
        variant.architecture or (config.get("Architectures") or ["x86_64"])[0]
    ]
    variables = (config.get("Environment") or {}).get("Variables")
    if variables:
        request["Environment"] = {"Variables": dict(variables)}
    layers = [layer["Arn"] for layer in config.get("Layers") or [] if layer.get("Arn")]
    if layers:
        request["Layers"] = layers
    vpc = config.get("VpcConfig") or {}
    if vpc.get("SubnetIds"):
        request["VpcConfig"] = {
            "SubnetIds": list(vpc["SubnetIds"]),
            "SecurityGroupIds": list(vpc.get("SecurityGroupIds") or []),
        }
        if vpc.get("Ipv6AllowedForDualStack") is not None:
            request["VpcConfig"]["Ipv6AllowedForDualStack"] = vpc["Ipv6AllowedForDualStack"]
    tracing = (config.get("TracingConfig") or {}).get("Mode")
    if tracing:
        request["TracingConfig"] = {"Mode": tracing}
    ephemeral = (config.get("EphemeralStorage") or {}).get("Size")
    if ephemeral:
        request["EphemeralStorage"] = {"Size": ephemeral}
    dead_letter = (config.get("DeadLetterConfig") or {}).get("TargetArn")
    if dead_letter:
        request["DeadLetterConfig"] = {"TargetArn": dead_letter}
    file_systems = config.get("FileSystemConfigs")
    if file_systems:
        request["FileSystemConfigs"] = [
            {"Arn": f["Arn"], "LocalMountPath": f["LocalMountPath"]} for f in file_systems
        ]
    logging = config.get("LoggingConfig") or {}
    kept = {
        k: logging[k]
        for k in ("LogFormat", "ApplicationLogLevel", "SystemLogLevel")
        if k in logging
    }
    if kept.get("LogFormat") == "Text":  # log levels are JSON-only: Lambda refuses them on Text
        kept = {"LogFormat": "Text"}
    if kept:
        request["LoggingConfig"] = kept
    if tags:
        request["Tags"] = dict(tags)
    return request
