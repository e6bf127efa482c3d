"""Twin functions: a temporary copy of a function with one variant changed (``variants.py``).

``plan_twins`` reads the function (GetFunction), checks every variant (the handler's runtime
family, an image's architecture from ECR, each layer's CompatibleArchitectures and
CompatibleRuntimes, the package size) and fetches the zip package once, all before anything is
created. ``Twins`` then creates each twin, waits until it is Active, and deletes it; used as a
context manager (``twins_of``) it deletes them on the way out, a stop signal included
(``stopping.deferred``).

The journal of a twin is its Description (``powertune twin of=ARN run=... variant=...``), as the
tuning versions' is theirs: ``find_twins`` lists them with ListFunctions, so ``powertune cleanup``
deletes a twin left by a killed run from any machine. The live function is only read.
"""

from __future__ import annotations

import ipaddress
import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from powertune import stopping
from powertune.errors import InputError
from powertune.tune.targets.interface import TargetError
from powertune.tune.targets.journal import unqualified_arn
from powertune.tune.targets.variants import (
    TWIN_INFIX,
    Variant,
    refusal,
    twin_description,
    twin_mark,
    twin_name,
    twin_request,
)

# CreateFunction takes a zip of at most 50 MB in the request; larger ones go through S3.
DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024
# An unzipped package is at most 250 MB, so no zip Lambda accepted is larger.
MAX_PACKAGE_BYTES = 250 * 1024 * 1024
TWIN_TAG = "powertune:twin-of"
MAX_TAGS = 50  # per function
MAX_CONFIG_BYTES = 1024 * 1024  # an image's config blob (a few KB)
FETCH_TIMEOUT_S = 60.0
_DENIED = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})
_NEEDED = (
    "a variant needs lambda:GetFunction, lambda:GetLayerVersion, lambda:CreateFunction, "
    "lambda:DeleteFunction and iam:PassRole on the function's role"
)
_MANIFEST_LISTS = (
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)
_MANIFEST_TYPES = (
    *_MANIFEST_LISTS,
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)
_DOCKER_ARCH = {"x86_64": "amd64", "arm64": "arm64"}

Fetcher = Callable[[str, int], bytes]


class VariantRefused(InputError):
    """A variant that cannot be measured on this function; nothing was created."""


@dataclass(frozen=True)
class TwinPlan:
    """One twin, checked and ready to create."""

    variant: Variant
    name: str
    request: dict[str, Any]  # CreateFunction's request, Code included


@dataclass
class Twins:
    """The twins of one run: ``create`` each, ``delete`` them all (idempotent)."""

    client: Any
    plans: list[TwinPlan]
    s3: Any = None
    bucket: str | None = None
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    wait_s: float = 300.0

    def create(self, plan: TwinPlan) -> dict[str, Any]:
        """Create one twin and wait until it is Active; its configuration."""
        request = dict(plan.request)
        key = None
        if self.bucket is not None and "ZipFile" in request["Code"]:
            key = f"powertune/twins/{plan.name}.zip"
            _aws(
                f"uploading {plan.name}'s package to s3://{self.bucket}",
                self.s3.put_object,
                Bucket=self.bucket,
                Key=key,
                Body=request["Code"]["ZipFile"],
            )
            request["Code"] = {"S3Bucket": self.bucket, "S3Key": key}
        # Recorded before the call: an interrupt or a lost answer must still delete it.
        self.created.append(plan.name)
        try:
            self.client.create_function(**request)
        except ClientError as exc:
            self.created.remove(plan.name)  # an error answer: nothing was created
            raise TargetError(f"CreateFunction {plan.name} failed: {_explain(exc)}") from None
        except BotoCoreError as exc:
            raise TargetError(f"CreateFunction {plan.name} failed: {exc}") from None
        finally:
            if key is not None:  # Lambda has its own copy once CreateFunction answered
                with suppress(ClientError, BotoCoreError):
                    self.s3.delete_object(Bucket=self.bucket, Key=key)
        return self._wait_active(plan.name)

    def delete(self) -> list[str]:
        """Delete every twin created so far; what could not be deleted (gone is not a failure)."""
        problems = []
        while self.created:
            name = self.created[-1]
            problem = delete_twin(self.client, name)
            if problem:
                problems.append(problem)
            else:
                self.deleted.append(name)
            self.created.pop()
        return problems

    def said_deleted(self) -> str | None:
        """``deleted twin NAME`` (``deleted twins A, B``) for what was deleted; None for none."""
        if not self.deleted:
            return None
        names = sorted(self.deleted, key=[p.name for p in self.plans].index)
        return f"deleted twin{'s' if len(names) > 1 else ''} {', '.join(names)}"

    def _wait_active(self, name: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.wait_s
        delay = 0.02
        while True:
            config = _aws(
                f"GetFunctionConfiguration {name}",
                self.client.get_function_configuration,
                FunctionName=name,
            )
            state = config.get("State")
            if state in (None, "Active"):
                return dict(config)
            if state == "Failed":
                reason = config.get("StateReason") or "no reason given"
                raise TargetError(f"twin {name} failed to start: {reason}")
            if time.monotonic() > deadline:
                raise TargetError(f"twin {name} was still {state} after {self.wait_s:.0f} s")
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def plan_twins(
    client: Any,
    function: str,
    variants: tuple[Variant, ...] | list[Variant],
    run_id: str,
    *,
    bucket: str | None = None,
    ecr: Any = None,
    fetch: Fetcher | None = None,
    direct_limit: int = DIRECT_UPLOAD_LIMIT,
) -> list[TwinPlan]:
    """Check every variant against the function and build each twin's request; raises
    VariantRefused (exit 2) or TargetError (exit 3) before anything is created."""
    found = _aws(f"GetFunction {function}", client.get_function, FunctionName=function)
    config = found.get("Configuration") or {}
    name = str(config.get("FunctionName") or function)
    arn = unqualified_arn(str(config.get("FunctionArn") or name))
    reasons = [r for v in variants if (r := refusal(config, v)) is not None]
    if (config.get("Environment") or {}).get("Error"):
        error = config["Environment"]["Error"]
        reasons.append(
            f"{name}'s environment variables cannot be read ({error.get('ErrorCode')}: "
            f"{error.get('Message')}): a twin would run without them"
        )
    for variant in variants:
        reasons += _layer_refusals(client, config, variant)
        if config.get("PackageType") == "Image" and variant.architecture:
            reasons += _image_refusals(ecr, found, variant, fetch or fetch_package)
    if reasons:
        raise VariantRefused("; ".join(reasons) + " (nothing was created)")
    code = _code(found, name, bucket=bucket, fetch=fetch or fetch_package, limit=direct_limit)
    plans = []
    for variant in variants:
        twin = twin_name(name, variant, run_id)
        description = twin_description(arn, variant, run_id)
        tags = _twin_tags(found.get("Tags") or {}, arn)
        request = twin_request(
            found, variant, name=twin, description=description, code=code, tags=tags
        )
        plans.append(TwinPlan(variant=variant, name=twin, request=request))
    return plans


@contextmanager
def twins_of(
    client: Any,
    plans: list[TwinPlan],
    *,
    s3: Any = None,
    bucket: str | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> Iterator[Twins]:
    """The run's twins, deleted on the way out (a stop signal waits for the deletion; a second
    one abandons it, and ``powertune cleanup`` finishes it)."""
    twins = Twins(client=client, plans=plans, s3=s3, bucket=bucket)
    try:
        yield twins
    except BaseException:
        with stopping.deferred(say):
            problems = twins.delete()
        if (done := twins.said_deleted()) is not None:  # a stop deletes them too: say so
            say(done)
        for problem in problems:  # the error under way is the one to report; these are warnings
            say(f"{problem}: not deleted, run `powertune cleanup` on the function")
        raise
    with stopping.deferred(say):
        problems = twins.delete()
    if (done := twins.said_deleted()) is not None:
        say(done)
    if problems:
        raise TargetError(
            f"twins not deleted: {'; '.join(problems)}. Run `powertune cleanup` on the "
            "function to finish."
        )


def _twin_tags(function_tags: dict[str, str], arn: str) -> dict[str, str]:
    """The function's own tags (cost allocation, and the tags a tag policy may require on every
    new function), without AWS's and powertune's, plus the twin's mark."""
    kept = {
        k: v
        for k, v in function_tags.items()
        if not k.startswith(("aws:", "powertune:")) and isinstance(v, str)
    }
    if len(arn) <= 256:
        kept[TWIN_TAG] = arn
    return dict(list(kept.items())[:MAX_TAGS])


# -- cleanup --------------------------------------------------------------------------------


def find_twins(client: Any, function_arn: str) -> list[str]:
    """The twins runs left for a function: functions whose Description is a twin mark for it."""
    mark = twin_mark(unqualified_arn(function_arn))
    names = []
    for page in client.get_paginator("list_functions").paginate():
        for function in page.get("Functions", []):
            name = function.get("FunctionName") or ""
            if TWIN_INFIX in name and (function.get("Description") or "").startswith(mark):
                names.append(name)
    return sorted(names)


def delete_twin(client: Any, name: str) -> str | None:
    """Delete one twin; a problem line, or None (already gone counts as deleted)."""
    try:
        client.delete_function(FunctionName=name)
    except ClientError as exc:
        if _code_of(exc) == "ResourceNotFoundException":
            return None
        return f"twin {name}: {_explain(exc)}"
    except BotoCoreError as exc:
        return f"twin {name}: {exc}"
    return None


def cleanup_twins(client: Any, function_arn: str) -> tuple[list[str], list[str]]:
    """Delete every twin left for a function: (deleted, problems)."""
    deleted, problems = [], []
    for name in find_twins(client, function_arn):
        problem = delete_twin(client, name)
        if problem:
            problems.append(problem)
        else:
            deleted.append(name)
    return deleted, problems


# -- the package ------------------------------------------------------------------------------


def fetch_package(url: str, max_bytes: int = MAX_PACKAGE_BYTES) -> bytes:
    """GetFunction's Code.Location or an image blob's URL (pre-signed https URLs; plain http
    only to a loopback endpoint, as the local runtime serves it), at most ``max_bytes``."""
    parts = urlsplit(url)
    loopback = _is_loopback(parts.hostname or "")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise TargetError(f"a code or image location is not an https URL: {parts.scheme}://")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
            data: bytes = response.read(max_bytes + 1)
    except OSError as exc:
        raise TargetError(f"downloading from {parts.hostname} failed: {exc}") from None
    if len(data) > max_bytes:
        raise TargetError(f"the download from {parts.hostname} is larger than {max_bytes} bytes")
    return data


def _code(
    found: dict[str, Any], name: str, *, bucket: str | None, fetch: Fetcher, limit: int
) -> dict[str, Any]:
    config = found.get("Configuration") or {}
    code = found.get("Code") or {}
    if config.get("PackageType") == "Image":
        # ImageUri, not ResolvedImageUri: the latter is the manifest for the current architecture;
        # the former lets Lambda pick the variant's from the index
        uri = code.get("ImageUri")
        if not uri:
            raise TargetError(f"GetFunction gave no image URI for {name}")
        return {"ImageUri": uri}
    size = int(config.get("CodeSize") or 0)
    if size > limit and bucket is None:
        raise VariantRefused(
            f"{name}'s package is {size / 1024 / 1024:.1f} MB, over the {limit / 1024 / 1024:.0f} "
            "MB CreateFunction takes directly: name a bucket for the twins' code (nothing was "
            "created)"
        )
    location = code.get("Location")
    if not location:
        raise TargetError(f"GetFunction gave no code location for {name}")
    data = fetch(location, MAX_PACKAGE_BYTES)
    if not data.startswith(b"PK"):
        raise TargetError(f"{name}'s package (from its code location) is not a zip file")
    if len(data) > limit and bucket is None:
        raise VariantRefused(
            f"{name}'s package is {len(data) / 1024 / 1024:.1f} MB, over the "
            f"{limit / 1024 / 1024:.0f} MB CreateFunction takes directly: name a bucket for "
            "the twins' code (nothing was created)"
        )
    return {"ZipFile": data}


# -- checks that read AWS ---------------------------------------------------------------------


def _layer_refusals(client: Any, config: dict[str, Any], variant: Variant) -> list[str]:
    """A layer that declares its architectures or runtimes without the variant's."""
    reasons = []
    for layer in config.get("Layers") or []:
        arn = layer.get("Arn") or ""
        layer_arn, _, number = arn.rpartition(":")
        if not number.isdigit():
            reasons.append(f"{variant.label}: layer {arn!r} is not a layer version ARN")
            continue
        try:
            info = client.get_layer_version(LayerName=layer_arn, VersionNumber=int(number))
        except ClientError as exc:
            reasons.append(
                f"{variant.label}: layer {arn} cannot be checked ({_explain(exc)}); "
                "refusing rather than guessing"
            )
            continue
        except BotoCoreError as exc:
            raise TargetError(f"GetLayerVersion {arn} failed: {exc}") from None
        arches = info.get("CompatibleArchitectures") or []
        if variant.architecture and arches and variant.architecture not in arches:
            reasons.append(
                f"{variant.label}: layer {arn} is built for {', '.join(arches)} only "
                f"(CompatibleArchitectures); publish a {variant.architecture} version of it"
            )
        runtimes = info.get("CompatibleRuntimes") or []
        if variant.runtime and runtimes and variant.runtime not in runtimes:
            reasons.append(
                f"{variant.label}: layer {arn} declares runtimes {', '.join(runtimes)}, "
                f"not {variant.runtime} (CompatibleRuntimes)"
            )
    return reasons


def _image_refusals(ecr: Any, found: dict[str, Any], variant: Variant, fetch: Fetcher) -> list[str]:
    """Lambda runs single-architecture images only, so the image the function names (its tag
    may since point at a new build) must itself be built for the variant's architecture."""
    config = found.get("Configuration") or {}
    current = (config.get("Architectures") or ["x86_64"])[0]
    wanted = variant.architecture
    if wanted is None or wanted == current:
        return []
    uri = str((found.get("Code") or {}).get("ImageUri") or "")
    prefix = f"{variant.label}: {config.get('FunctionName')} is a container image"
    if ecr is None:
        return [f"{prefix} and its architecture cannot be read here (no ECR client)"]
    try:
        image = image_manifest(ecr, uri)
        if manifest_architectures(image.manifest) is not None:
            return [
                f"{prefix} whose URI {uri} names a multi-architecture index; Lambda runs "
                f"single-architecture images only: push a {wanted} build"
            ]
        built_for = image_architecture(ecr, image, fetch)
    except (ClientError, BotoCoreError, ValueError, TargetError) as exc:
        detail = _explain(exc) if isinstance(exc, ClientError) else str(exc)
        return [f"{prefix} whose architecture cannot be checked ({detail})"]
    if built_for != _DOCKER_ARCH[wanted]:
        return [
            f"{prefix} built for {built_for} ({uri}); Lambda runs an image on its own "
            f"architecture only: push a {wanted} build"
        ]
    return []


@dataclass(frozen=True)
class EcrImage:
    registry: str
    repository: str
    manifest: dict[str, Any]


def image_manifest(ecr: Any, uri: str) -> EcrImage:
    """The manifest of an ECR image URI (``ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG`` or
    ``...@sha256:...``), an index when the URI names one."""
    host, _, rest = uri.partition("/")
    if ".dkr.ecr." not in host or not rest:
        raise ValueError(f"{uri!r} is not an ECR image URI")
    if "@" in rest:
        repository, _, digest = rest.partition("@")
        image_id = {"imageDigest": digest}
    else:
        repository, _, tag = rest.rpartition(":")
        image_id = {"imageTag": tag}
    registry = host.split(".")[0]
    answer = ecr.batch_get_image(
        registryId=registry,
        repositoryName=repository,
        imageIds=[image_id],
        acceptedMediaTypes=list(_MANIFEST_TYPES),
    )
    images = answer.get("images") or []
    if not images:
        failures = answer.get("failures") or [{}]
        raise ValueError(failures[0].get("failureReason") or "image not found")
    manifest = json.loads(images[0].get("imageManifest") or "{}")
    if not isinstance(manifest, dict):
        raise ValueError("the manifest is not a JSON object")
    return EcrImage(registry=registry, repository=repository, manifest=manifest)


def image_architecture(ecr: Any, image: EcrImage, fetch: Fetcher) -> str:
    """A single-platform image's architecture (docker's name: amd64, arm64), from its config
    blob (the manifest itself does not say)."""
    digest = (image.manifest.get("config") or {}).get("digest")
    if not isinstance(digest, str):
        raise ValueError("the manifest names no config blob")
    answer = ecr.get_download_url_for_layer(
        registryId=image.registry, repositoryName=image.repository, layerDigest=digest
    )
    blob = json.loads(fetch(str(answer.get("downloadUrl") or ""), MAX_CONFIG_BYTES) or b"{}")
    architecture = blob.get("architecture") if isinstance(blob, dict) else None
    if not isinstance(architecture, str):
        raise ValueError("the image's config names no architecture")
    return architecture


def manifest_architectures(manifest: dict[str, Any]) -> set[str] | None:
    """The architectures an image index lists (docker names: amd64, arm64); None for a
    single-platform manifest, whose architecture is in its config blob, not here."""
    media = manifest.get("mediaType")
    entries = manifest.get("manifests")
    if media not in _MANIFEST_LISTS and not isinstance(entries, list):
        return None
    found = set()
    for entry in entries or []:
        platform = entry.get("platform") if isinstance(entry, dict) else None
        linux = isinstance(platform, dict) and platform.get("os", "linux") == "linux"
        if linux and isinstance(platform.get("architecture"), str):  # type: ignore[union-attr]
            found.add(platform["architecture"])  # type: ignore[index]
    return found


# -- helpers ----------------------------------------------------------------------------------


def _aws(what: str, method: Any, **kwargs: Any) -> Any:
    try:
        return method(**kwargs)
    except ClientError as exc:
        raise TargetError(f"{what} failed: {_explain(exc)}") from None
    except BotoCoreError as exc:
        raise TargetError(f"{what} failed: {exc}") from None


def _explain(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "error")), str(error.get("Message", ""))
    if code in _DENIED or "not authorized" in message:
        if "iam:PassRole" in message:
            return f"not allowed to pass the function's role to Lambda (iam:PassRole): {message}"
        return f"access denied ({message}); {_NEEDED}"
    return f"{code}: {message}".rstrip(": ")


def _code_of(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
