"""Which functions a fleet run tunes: names, a prefix, tags, a CloudFormation stack, the top of
an analysis, and a deterministic shard of them.

Selection only reads (ListFunctions, ListTags, ListStackResources); nothing here changes a
function. The selection is sorted by name so that a shard and a resumed run see the same list.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from powertune import identity
from powertune.errors import InputError, PowertuneError


class SelectionError(PowertuneError):
    """The account could not be asked which functions to tune (exit code 3)."""


@dataclass(frozen=True)
class Selection:
    """The functions a run names, as the flags give them."""

    names: tuple[str, ...] = ()
    prefix: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    stack: str | None = None
    from_analysis: str | None = None
    top: int | None = None
    shard: tuple[int, int] | None = None  # (K, N): the K-th of N shares, 1-based
    run_id: str | None = None  # names the run its shards belong to (default: ``run_key``)

    @property
    def is_fleet(self) -> bool:
        """More than one function, or functions found rather than named."""
        found = self.prefix or self.tags or self.stack or self.from_analysis or self.shard
        return len(self.names) > 1 or bool(found)


def parse_tag(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--tag: expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    k, sep, n = text.partition("/")
    try:
        share, count = int(k), int(n)
    except ValueError:
        raise InputError(f"--shard: expected K/N like 2/5, got {text!r}") from None
    if not sep or count < 1 or not 1 <= share <= count or count > 10_000:
        raise InputError(f"--shard: expected K/N with 1 <= K <= N, got {text!r}")
    return share, count


def parse_run_id(text: str | None) -> str | None:
    """``--run-id``: 1-128 letters, digits and ``._:-`` (a CI run number, a date)."""
    if text is None:
        return None
    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", text):
        raise InputError(f"--run-id: 1-128 letters, digits, '.', '_', ':' or '-', got {text!r}")
    return text


def shard_of(name: str, count: int) -> int:
    """The 1-based shard a function belongs to: a stable hash of its name (not Python's
    randomised hash), so every machine of a matrix agrees without talking to the others."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(names: list[str], shard: tuple[int, int] | None) -> list[str]:
    """The names of the shard: by the function's name, however it was given (name or ARN)."""
    if shard is None:
        return names
    share, count = shard
    return [n for n in names if shard_of(identity.parse(n).name, count) == share]


def one_each(
    names: list[str], lambda_client: Any, note: Callable[[str], None] | None = None
) -> list[str]:
    """``names`` with every function once (``powertune.identity``): a name, its ARN (with or
    without a version or alias) and ``name:alias`` are one function, tuned once. A bare name is
    the caller's account and the client's region; the account is asked of Lambda only when an
    ARN shares a bare name's name."""
    refs = {n: identity.parse(n) for n in names}  # a malformed name is a usage error here
    region = getattr(getattr(lambda_client, "meta", None), "region_name", None)
    account = None
    with_account = {r.name for r in refs.values() if r.account}
    bare = [n for n, r in refs.items() if r.account is None and r.name in with_account]
    if bare:
        try:
            config = _call(
                "GetFunctionConfiguration", lambda_client.get_function_configuration,
                FunctionName=bare[0],
            )  # fmt: skip
            found = identity.from_arn(str(config.get("FunctionArn", "")))
            account, region = found.account, found.region or region
        except PowertuneError:
            pass  # unknown: a bare name then matches an ARN of its name in its region
    kept, dropped = identity.unique(names, account=account, region=region)
    for first, again in dropped:
        if note is not None:
            note(f"note: {again} is the same function as {first}: tuned once")
    return kept


def select(
    selection: Selection,
    lambda_client: Any,
    cfn_client: Any | None = None,
    note: Callable[[str], None] | None = None,
) -> list[str]:
    """The selection's functions, sorted and each once (``one_each``), then its shard."""
    return shard_selection(select_all(selection, lambda_client, cfn_client, note), selection)


def shard_selection(names: list[str], selection: Selection) -> list[str]:
    """The shard's share of the whole selection (an empty share is a usage error)."""
    mine = in_shard(names, selection.shard)
    if not mine and selection.shard:
        k, n = selection.shard
        raise InputError(f"shard {k}/{n} holds none of the {len(names)} selected functions")
    return mine


def select_all(
    selection: Selection,
    lambda_client: Any,
    cfn_client: Any | None = None,
    note: Callable[[str], None] | None = None,
) -> list[str]:
    """Every function of the selection, sorted and each once, before sharding."""
    found: set[str] = set(selection.names)
    listed: list[dict[str, Any]] | None = None
    if selection.prefix is not None or (selection.tags and not _named(selection)):
        listed = _list_functions(lambda_client)
        if selection.prefix is not None:
            found |= {
                f["FunctionName"] for f in listed if f["FunctionName"].startswith(selection.prefix)
            }
        else:
            found |= {f["FunctionName"] for f in listed}
    if selection.stack:
        found |= set(stack_functions(cfn_client, selection.stack))
    if selection.from_analysis:
        found |= set(top_of_analysis(selection.from_analysis, selection.top))
    if selection.tags:
        found = {n for n in found if _has_tags(lambda_client, n, selection.tags, listed)}
    names = one_each(sorted(found), lambda_client, note) if found else []
    if not names:
        raise InputError("no function matches the selection (names, --prefix, --tag, --stack)")
    return names


def _named(selection: Selection) -> bool:
    return bool(selection.names or selection.stack or selection.from_analysis)


def _call(what: str, call: Any, **params: Any) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call(**params)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise SelectionError(f"{what}: {error.get('Code')}: {error.get('Message')}") from None
    except BotoCoreError as exc:
        raise SelectionError(f"{what}: {exc}") from None


def _list_functions(client: Any) -> list[dict[str, Any]]:
    functions: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        params = {"Marker": marker} if marker else {}
        page = _call("ListFunctions", client.list_functions, **params)
        functions.extend(page.get("Functions", []))
        marker = page.get("NextMarker")
        if not marker:
            return functions


def _has_tags(
    client: Any, name: str, tags: tuple[tuple[str, str], ...], listed: list[dict[str, Any]] | None
) -> bool:
    arn = next((f["FunctionArn"] for f in listed or [] if f["FunctionName"] == name), None)
    if arn is None:
        config = _call(
            "GetFunctionConfiguration", client.get_function_configuration, FunctionName=name
        )
        arn = config["FunctionArn"]
    own = _call("ListTags", client.list_tags, Resource=arn).get("Tags", {})
    return all(own.get(k) == v for k, v in tags)


def stack_functions(cfn_client: Any, stack: str) -> list[str]:
    """The physical ids (function names) of a stack's AWS::Lambda::Function resources."""
    if cfn_client is None:
        raise InputError("--stack needs CloudFormation (no client)")
    names: list[str] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"StackName": stack}
        if token:
            params["NextToken"] = token
        page = _call("ListStackResources", cfn_client.list_stack_resources, **params)
        for res in page.get("StackResourceSummaries", []):
            if res.get("ResourceType") == "AWS::Lambda::Function" and res.get("PhysicalResourceId"):
                names.append(res["PhysicalResourceId"])
        token = page.get("NextToken")
        if not token:
            return names


def top_of_analysis(path: str, top: int | None) -> list[str]:
    """The functions an analysis ranks highest: by the dollars a month its findings put at
    stake, then by how unsure those are (a wide bound: a tuning run learns most), then by the
    function's own $/month (unknown money ranks last)."""
    from powertune.validate import loads, read_text

    data = loads(read_text(path, "--from-analysis"), path)
    if not isinstance(data, dict) or not isinstance(data.get("functions"), list):
        raise InputError(f"{path}: not an analysis (`powertune analyze --json`): no functions")
    at_stake: dict[str, Decimal] = {}
    unsure: dict[str, Decimal] = {}  # the width of the findings' bounds: what a run would learn
    for finding in data.get("findings") or []:
        name = finding.get("function") if isinstance(finding, dict) else None
        if isinstance(name, str) and name != "*":
            at_stake[name] = at_stake.get(name, Decimal(0)) + _usd(finding.get("monthly_usd"))
            details = finding.get("details") if isinstance(finding.get("details"), dict) else {}
            width = abs(
                _usd(details.get("saving_if_all_cpu_usd"))
                - _usd(details.get("saving_if_all_io_usd"))
            )
            unsure[name] = unsure.get(name, Decimal(0)) + width
    current = {
        f["name"]: _usd(f.get("current_monthly_usd"))
        for f in data["functions"]
        if isinstance(f, dict) and isinstance(f.get("name"), str)
    }
    ranked = sorted(
        current,
        key=lambda n: (-at_stake.get(n, Decimal(0)), -unsure.get(n, Decimal(0)), -current[n], n),
    )
    return ranked[:top] if top else ranked


def _usd(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
    return amount if amount.is_finite() else Decimal(0)


def selection_key(names: list[str], extra: dict[str, Any]) -> str:
    """A short digest naming one fleet run (its functions and settings) for its journal."""
    text = json.dumps({"names": names, **extra}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# Flags that differ between the machines of one sharded run without changing what is measured.
_NOT_THE_RUN = ("function", "baseline", "profile")


def run_key(names: list[str], flags: dict[str, Any]) -> str:
    """The run id every shard of one run computes alike, without talking to the others: a
    digest of the whole selection (before sharding) and the run's settings. A run repeated with
    the same settings gets the same id; ``--run-id`` names runs apart (a CI run number)."""
    settings = {k: v for k, v in flags.items() if k not in _NOT_THE_RUN}
    return "sel-" + selection_key(names, {"flags": settings})
