"""Which function in a template is which function in the result.

Every format module turns its file into ``Site``s: one per function definition, with the physical
names it can resolve exactly and patterns for names with parts it cannot (a stack name, a stage
from the command line). A result function matches, in this order: ``--map NAME=ID``; an exact
physical name (or ARN); a logical id / address / key equal to its name; a unique pattern.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from powertune.apply.plan import Edit
from powertune.apply.targets import Target
from powertune.errors import InputError


@dataclass
class Outcome:
    """What setting the memory at a site takes: edits, or a suggestion when it is not safe."""

    edits: list[Edit] = field(default_factory=list)
    old: int | None = None
    line: int = 0
    note: str = ""
    suggestion: str | None = None  # set when nothing is edited: what to change by hand
    path: Path | None = None  # the file edited when it is not the site's (a variable's default)
    inherited: int | None = None  # when adding a setting: the size the function has without it
    where: str | None = None  # the instance changed, when not the site's key (w["a"])


@dataclass
class Site:
    """One function defined in a file."""

    key: str  # logical id, Terraform address, serverless key, construct id
    path: Path
    line: int
    kind: str
    names: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    plan: Callable[[int], Outcome] = field(default=lambda mb: Outcome(), repr=False)
    # A definition that makes several functions (environments, count / for_each instances):
    # every result function matched to it is planned at once, (physical name, MB) each.
    plan_group: Callable[[Sequence[tuple[str, int]]], list[Outcome]] | None = field(
        default=None, repr=False
    )
    shared: bool = False  # several result functions may match it

    def describe(self) -> str:
        return f"{self.path}:{self.line} {self.kind} {self.key}"


@dataclass(frozen=True)
class Wild:
    """A name part known only by its shape (a region, an account id)."""

    regex: str


# A name part that is not known statically: a stack name, stage, region, account.
UNKNOWN = None
Parts = list[str | Wild | None]


def parts_pattern(parts: Parts) -> re.Pattern[str] | None:
    """A regex for a name made of literal parts and unknowns; None if nothing is literal."""
    if not any(isinstance(p, str) and p for p in parts):
        return None
    return re.compile(
        "".join(
            ".+?" if p is None else f"(?:{p.regex})" if isinstance(p, Wild) else re.escape(p)
            for p in parts
        )
    )


def parts_text(parts: Parts) -> str | None:
    if any(not isinstance(p, str) for p in parts):
        return None
    return "".join(p for p in parts if isinstance(p, str))


def parse_map(items: Sequence[str]) -> dict[str, str]:
    """``--map NAME=ID`` pairs (NAME: the result's function name or ARN)."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, ident = item.partition("=")
        if not sep or not name.strip() or not ident.strip():
            raise InputError(f"--map expects NAME=ID, got {item!r}")
        out[name.strip()] = ident.strip()
    return out


@dataclass
class Matches:
    pairs: list[tuple[Target, Site, str]] = field(default_factory=list)  # (target, site, how)
    unmatched: list[str] = field(default_factory=list)


def match(targets: Sequence[Target], sites: Sequence[Site], mapping: dict[str, str]) -> Matches:
    out = Matches()
    by_key: dict[str, list[Site]] = {}
    for site in sites:
        by_key.setdefault(site.key, []).append(site)
    for wanted in mapping.values():
        if wanted not in by_key:
            known = ", ".join(sorted(by_key)) or "none"
            raise InputError(f"--map: no function {wanted!r} in the templates (found: {known})")
    known_names = {t.name for t in targets} | {t.arn for t in targets if t.arn}
    for name in mapping:
        if name not in known_names and name not in {t.physical_name for t in targets}:
            raise InputError(f"--map: no function {name!r} in the result")

    tiers: list[tuple[str, Callable[[Target, Site], bool]]] = [
        ("name", lambda t, s: t.physical_name in s.names or (t.arn or "") in s.names),
        ("id", lambda t, s: s.key in (t.name, t.physical_name)),
        ("pattern", lambda t, s: any(p.fullmatch(t.physical_name) for p in s.patterns)),
    ]
    claimed: dict[int, Target] = {}
    for target in targets:
        mapped = mapping.get(target.name) or mapping.get(target.physical_name)
        if mapped is None and target.arn:
            mapped = mapping.get(target.arn)
        if mapped is not None:
            for site in by_key[mapped]:
                out.pairs.append((target, site, f"--map {mapped}"))
                claimed[id(site)] = target
            continue
        found: list[Site] = []
        how = ""
        for tier, test in tiers:
            found = [s for s in sites if (id(s) not in claimed or s.shared) and test(target, s)]
            if found:
                how = tier
                break
        if not found:
            out.unmatched.append(f"{target.name}: not found in the templates (settle with --map)")
            continue
        if len(found) > 1:
            where = ", ".join(s.describe() for s in found)
            out.unmatched.append(f"{target.name}: matches {where}; settle with --map")
            continue
        site = found[0]
        rival = next(
            (t for t in targets if t is not target and how == "pattern" and tiers[2][1](t, site)),
            None,
        )
        if site.shared:
            rival = None  # its planner tells the functions apart (or says they cannot be)
        if rival is not None:
            out.unmatched.append(
                f"{target.name}: {site.describe()} also fits {rival.name}; settle with --map"
            )
            continue
        out.pairs.append((target, site, how))
        claimed[id(site)] = target
    return out
