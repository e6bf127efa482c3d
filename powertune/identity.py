"""A Lambda function's identity: (account, region, name), whatever way it was named.

A function is named by name (``orders``), by name and qualifier (``orders:live``), by partial ARN
(``123456789012:function:orders``) or by ARN, with or without a version or alias. Memory belongs
to the function, not to a version or alias, so every one of those forms is the same function to
tune or to apply to. This module is the one place that computes it: fleets deduplicate, results
refuse duplicates and apply checks a function's account and region through it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from powertune.errors import InputError

_NAME = r"(?P<name>[A-Za-z0-9_-]{1,64})"
_QUALIFIER = r"(?::(?P<qualifier>[A-Za-z0-9$_-]{1,128}))?"
_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    rf"function:{_NAME}{_QUALIFIER}$"
)
_PARTIAL = re.compile(rf"^(?P<account>\d{{12}}):function:{_NAME}{_QUALIFIER}$")
_PLAIN = re.compile(rf"^{_NAME}{_QUALIFIER}$")


@dataclass(frozen=True, order=True)
class FunctionId:
    """One function. ``account`` or ``region`` None: not known from how it was named."""

    account: str | None
    region: str | None
    name: str
    partition: str = "aws"

    @property
    def arn(self) -> str | None:
        """The unqualified ARN, when account and region are known."""
        if self.account and self.region:
            return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{self.name}"
        return None

    def complete(self, account: str | None, region: str | None) -> FunctionId:
        """Fill what is unknown (a bare name is in the caller's account and region)."""
        return replace(self, account=self.account or account, region=self.region or region)

    def same(self, other: FunctionId) -> bool:
        """The same function, where both sides know a field; a field unknown on either side
        does not tell them apart."""
        return (
            self.name == other.name
            and (self.region is None or other.region is None or self.region == other.region)
            and (self.account is None or other.account is None or self.account == other.account)
        )

    def describe(self) -> str:
        return self.arn or (f"{self.name} ({self.region})" if self.region else self.name)


@dataclass(frozen=True)
class FunctionRef:
    """A function as the user named it: its identity and the version or alias given, if any."""

    id: FunctionId
    qualifier: str | None = None
    text: str = ""

    @property
    def name(self) -> str:
        return self.id.name

    @property
    def region(self) -> str | None:
        return self.id.region

    @property
    def account(self) -> str | None:
        return self.id.account

    @property
    def arn(self) -> str | None:
        return self.id.arn


def parse(value: str) -> FunctionRef:
    """A name, ``name:qualifier``, a partial ARN or an ARN (qualified or not)."""
    text = value.strip() if isinstance(value, str) else ""
    for pattern in (_ARN, _PARTIAL, _PLAIN):
        match = pattern.match(text)
        if match:
            groups = match.groupdict()
            ident = FunctionId(
                account=groups.get("account"),
                region=groups.get("region"),
                name=groups["name"],
                partition=groups.get("partition") or "aws",
            )
            return FunctionRef(ident, groups.get("qualifier"), text)
    raise InputError(
        f"not a Lambda function name or ARN: {value!r} "
        "(names: 1-64 letters, digits, '-' or '_'; "
        "ARNs: arn:aws:lambda:REGION:ACCOUNT:function:NAME)"
    )


def from_arn(arn: str) -> FunctionId:
    """The identity of an ARN Lambda returned (``FunctionArn``); raises InputError if it is not
    a function ARN."""
    ref = parse(arn)
    if ref.id.arn is None:
        raise InputError(f"not a Lambda function ARN: {arn!r}")
    return ref.id


def of(name: str, arn: str | None = None, region: str | None = None) -> FunctionId:
    """The identity a result records for a function: its ARN when it has one, else its name in
    ``region``."""
    if arn:
        with contextlib.suppress(InputError):
            found = parse(arn).id
            if found.arn is not None:
                return found
    with contextlib.suppress(InputError):
        return parse(name).id.complete(None, region)
    return FunctionId(account=None, region=region, name=name)


def duplicates(ids: Iterable[tuple[str, FunctionId]]) -> list[tuple[str, str]]:
    """Pairs of labels naming the same function (``same``), in the order met."""
    seen: list[tuple[str, FunctionId]] = []
    found: list[tuple[str, str]] = []
    for label, ident in ids:
        twin = next((first for first, other in seen if other.same(ident)), None)
        if twin is not None:
            found.append((twin, label))
        else:
            seen.append((label, ident))
    return found


def unique(
    entries: Iterable[str], *, account: str | None, region: str | None
) -> tuple[list[str], list[tuple[str, str]]]:
    """``entries`` with every function once (the first way it was named kept), and the pairs
    dropped as naming a function already there. ``account`` and ``region`` are the caller's,
    what a bare name means."""
    kept: list[tuple[str, FunctionId]] = []
    dropped: list[tuple[str, str]] = []
    for entry in entries:
        ident = parse(entry).id.complete(account, region)
        twin = next((first for first, other in kept if other.same(ident)), None)
        if twin is None:
            kept.append((entry, ident))
        else:
            dropped.append((twin, entry))
    return [entry for entry, _ in kept], dropped
