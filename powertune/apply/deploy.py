"""One definition, several functions: environments, stages, workspaces, count / for_each
instances, module calls. Each is a ``Deployment`` with its resolved name and the ``Source`` its
memory comes from; ``GroupPlanner`` decides for every result function matched to the definition
at once: a source shared by several deployments is edited only when all of them are in the
result with the same size, and a function whose name fits deployments with different sources is
ambiguous (a message, no edit).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from powertune.apply.match import Outcome
from powertune.apply.plan import Edit

MB = "{mb}"  # where a message or an edit takes the recommended size
SHOWN = 4  # deployments named in a message; the rest are counted


def _more(items: list[str]) -> str:
    return f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""


@dataclass
class Deployment:
    where: str  # the block's address with its instance: aws_lambda_function.w["a"]
    env: str  # the environment / module call it is deployed through ("" for the only one)
    name: str | None
    pattern: re.Pattern[str] | None
    scope: Any = None  # the format's view of the variables in this deployment
    # The environment the result was measured in (--tfvars, --param opt:stage) is this one's;
    # True for all when none is named. A deployment not chosen is never the result's function.
    chosen: bool = True

    def fits(self, wanted: str) -> bool:
        if not self.chosen:
            return False
        return self.name == wanted or bool(self.pattern and self.pattern.fullmatch(wanted))

    @property
    def shown(self) -> str:
        """The name, or its pattern with ``*`` for the parts not known here."""
        if self.name:
            return self.name
        if self.pattern is None:
            return "(name not known)"
        return re.sub(r"\\(.)", r"\1", self.pattern.pattern.replace(".+?", "*"))

    def describe(self) -> str:
        return f"{self.shown} ({', '.join(x for x in (self.where, self.env) if x)})"


@dataclass(frozen=True)
class Source:
    """Where a deployment's memory is written (or would be added): deployments with the same
    ``key`` change together."""

    key: tuple[Any, ...]
    edit: Edit
    path: Path
    line: int
    old: int | None
    note: str
    what: str  # for messages: "memory_size in main.tf:12", "var.memory (dev.tfvars:2)"
    inherited: int | None = None  # when the edit adds a setting: the size without it


class GroupPlanner(ABC):
    """Plans one definition's deployments; the format module says where each one's memory is
    written (``source``) and how to size them apart (``how``)."""

    hint = "--param"  # how to say which deployment is meant

    def __init__(self, address: str, line: int, deployments: list[Deployment]) -> None:
        self.address = address
        self.line = line
        self.deployments = deployments

    @abstractmethod
    def source(self, d: Deployment) -> Source | str:
        """The Source, or a message with {mb} for the size (what to do by hand)."""

    @abstractmethod
    def how(self, missing: list[Deployment]) -> str:
        """How to give the deployments in ``missing`` their own sizes."""

    def memory_line(self) -> int:
        return self.line

    def plan_one(self, mb: int) -> Outcome:
        """``Site.plan``: one size, no name (every chosen deployment is meant)."""
        return self.plan([("", mb)])[0]

    def plan(self, requests: Sequence[tuple[str, int]]) -> list[Outcome]:
        """One outcome per (function name, size) matched to this block, decided together: a
        value several deployments share changes only when all of them ask for the same size."""
        sources = [self.source(d) for d in self.deployments]
        by_request: list[list[int]] = []
        for name, _ in requests:
            fit = [i for i, d in enumerate(self.deployments) if name and d.fits(name)]
            chosen = [i for i, d in enumerate(self.deployments) if d.chosen]
            by_request.append(fit or chosen or list(range(len(self.deployments))))
        return [
            self._outcome(name, mb, matched, requests, sources)
            for (name, mb), matched in zip(requests, by_request, strict=True)
        ]

    def _outcome(
        self,
        name: str,
        mb: int,
        matched: list[int],
        requests: Sequence[tuple[str, int]],
        sources: list[Source | str],
    ) -> Outcome:
        mine = [sources[i] for i in matched]
        refused = next((s for s in mine if isinstance(s, str)), None)
        if refused is not None:
            return Outcome(line=self.memory_line(), suggestion=refused.replace(MB, str(mb)))
        if len({s.key for s in mine if isinstance(s, Source)}) > 1:
            envs = ", ".join(self.deployments[i].describe() for i in matched)
            return Outcome(
                line=self.line,
                suggestion=f"{name or 'the function'} fits {len(matched)} deployments of this "
                f"definition, each with its own memory setting ({envs}): say which with "
                f"{self.hint}",
            )
        source = mine[0]
        assert isinstance(source, Source)
        shared = [i for i, s in enumerate(sources) if isinstance(s, Source) and s.key == source.key]
        missing = [i for i in shared if not self._covered(i, mb, requests)]
        if missing:
            return Outcome(
                line=source.line,
                path=source.path,
                suggestion=self._shared(source, mb, missing, requests),
            )
        wheres = {self.deployments[i].where for i in matched}
        where = wheres.pop() if len(wheres) == 1 else self.address
        return Outcome(
            [Edit(source.edit.start, source.edit.end, source.edit.new.replace(MB, str(mb)))],
            old=source.old,
            line=source.line,
            note=source.note,
            path=source.path,
            inherited=source.inherited,
            where=where if where != self.address else None,
        )

    def _covered(self, i: int, mb: int, requests: Sequence[tuple[str, int]]) -> bool:
        """Deployment i is in the result with size ``mb`` (the only deployment of a definition,
        or the only one in the chosen environment, is covered by whatever was matched to the
        definition, --map included)."""
        chosen = [d for d in self.deployments if d.chosen]
        alone = len(chosen) == 1 and self.deployments[i].chosen
        return any(
            size == mb and (alone or bool(name and self.deployments[i].fits(name)))
            for name, size in requests
        )

    def _shared(
        self, source: Source, mb: int, missing: list[int], requests: Sequence[tuple[str, int]]
    ) -> str:
        others: dict[str, list[str]] = {}  # one entry per function, with its environments
        for i in missing:
            d = self.deployments[i]
            got = next((m for n, m in requests if n and d.fits(n)), None)
            state = "not in the result" if got is None else f"recommended {got} MB"
            envs = others.setdefault(f"{d.shown} ({d.where}{{envs}}) {state}", [])
            envs += [d.env] if d.env else []
        listed = [
            k.replace("{envs}", f", {', '.join(v[:SHOWN])}{_more(v)}" if v else "")
            for k, v in others.items()
        ]
        if len(listed) > SHOWN:
            listed = [*listed[:SHOWN], f"{len(listed) - SHOWN} more"]
        how = self.how([self.deployments[i] for i in missing])
        return (
            f"{source.what} also sets {'; '.join(listed)}: not changed ({mb} MB would apply "
            f"to all of them); {how}"
        )
