"""One Result for many functions: a fleet run's parts combined (``combine``), the shards of a
sharded run joined (``merge_parts``, for ``powertune merge``), and the errors that say which
functions failed.

Plain data over ``powertune.results.model``: joining result files needs none of the tuning
pipeline (numpy, scipy, boto3) that ``powertune.tune.fleet`` runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal

from powertune.errors import InputError, PowertuneError
from powertune.results.model import FailedFunction, Result, Tuning


def combine(
    parts: list[Result],
    *,
    failed: list[FailedFunction] | None = None,
    wall_s: float | None = None,
    order: list[str] | None = None,
) -> Result:
    """One Result holding every part's functions: the run and pricing of the first part, the
    tuning figures summed (wall time: the fleet's own when given)."""
    if not parts and not failed:
        raise InputError("nothing to combine: no function was tuned")
    failures = tuple(failed or ())
    if not parts:
        raise FleetFailed(failures)
    first = parts[0]
    functions = [f for part in parts for f in part.functions]
    rank = {n: i for i, n in enumerate(order or [])}
    functions.sort(key=lambda f: (rank.get(f.name, len(rank)), f.name))
    spends = [p.tuning.spend_usd for p in parts]
    tuning = Tuning(
        invocations=sum(p.tuning.invocations for p in parts),
        billed_gb_s=sum(p.tuning.billed_gb_s for p in parts),
        spend_usd=None
        if any(s is None for s in spends)
        else sum((s for s in spends if s is not None), Decimal(0)),
        wall_s=wall_s if wall_s is not None else sum(p.tuning.wall_s for p in parts),
    )
    previous = tuple(f for p in parts for f in (p.failed or ()))
    all_failed = previous + failures
    return dataclasses.replace(
        first, functions=tuple(functions), tuning=tuning, failed=all_failed or None
    )


class SomeFailed(PowertuneError):
    """The fleet's result is written, but some functions could not be tuned (exit code 3)."""


def check_failures(result: Result) -> None:
    """Raise SomeFailed naming the functions that failed, after the result is out."""
    if not result.failed:
        return
    names = ", ".join(f.name for f in result.failed[:5])
    more = f" and {len(result.failed) - 5} more" if len(result.failed) > 5 else ""
    unrestored = [f.name for f in result.failed if not f.restored]
    tail = f"; NOT restored: {', '.join(unrestored)} (run powertune cleanup)" if unrestored else ""
    raise SomeFailed(
        f"{len(result.failed)} of {len(result.failed) + len(result.functions)} functions "
        f"failed ({names}{more}); see the result's failed list{tail}"
    )


class FleetFailed(PowertuneError):
    """No function of the fleet could be tuned (exit code 3); each one's reason is given."""

    def __init__(self, failed: tuple[FailedFunction, ...]) -> None:
        reasons = "; ".join(f"{f.name}: {f.reason}" for f in failed[:5])
        more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
        super().__init__(f"no function could be tuned: {reasons}{more}")
        self.failed = failed


def merge_parts(
    parts: list[tuple[str, Result]], note: Callable[[str], None] | None = None
) -> Result:
    """Shards of one fleet run joined: the same run id (``check_one_run``), pricing catalog and
    region, search and strategy, and no function in two parts (a part twice, or parts of
    different runs, is refused)."""
    if not parts:
        raise InputError("merge: name the result files to join")
    source0, first = parts[0]
    seen: dict[str, str] = {}
    for source, part in parts:
        for what, mine, theirs in (
            (
                "schema_version",
                part.schema_version.split(".")[0],
                first.schema_version.split(".")[0],
            ),
            ("pricing catalog", part.pricing.catalog_version, first.pricing.catalog_version),
            ("pricing region", part.pricing.region, first.pricing.region),
            ("search", part.run.search, first.run.search),
            ("strategy", part.run.strategy, first.run.strategy),
            ("target", part.run.target, first.run.target),
        ):
            if mine != theirs:
                raise InputError(
                    f"merge: {source} has {what} {mine!r} but {source0} has {theirs!r}: "
                    "not parts of one run"
                )
    run_id = check_one_run(parts, note or (lambda text: None))
    for source, part in parts:
        names = [f.name for f in part.functions] + [f.name for f in part.failed or ()]
        for name in names:
            if name in seen:
                raise InputError(f"merge: {name} is in both {seen[name]} and {source}")
            seen[name] = source
    results = [r for _s, r in parts]
    merged = combine(
        [r for r in results if r.functions] or results[:1],
        wall_s=max(r.tuning.wall_s for r in results),
    )
    failed = tuple(f for r in results for f in (r.failed or ()))
    functions = tuple(sorted(merged.functions, key=lambda f: f.name))
    return dataclasses.replace(
        merged, functions=functions, failed=failed or None, run_id=run_id, shard=None
    )


def check_one_run(parts: list[tuple[str, Result]], note: Callable[[str], None]) -> str | None:
    """The parts' common run id, once they are proven the shards of one run: one id, one N,
    each shard once, and every function of the run present (a shard that selected nothing
    writes no file). Parts written before run ids cannot be checked: a note says so."""
    unknown = [source for source, part in parts if part.run_id is None]
    known = {part.run_id: source for source, part in parts if part.run_id is not None}
    if len(known) > 1:
        (a, a_src), (b, b_src) = list(known.items())[:2]
        raise InputError(
            f"merge: {a_src} is of run {a} but {b_src} of run {b}: not parts of one run"
        )
    if unknown:
        note(
            f"note: merge: {', '.join(unknown[:3])} carr{'ies' if len(unknown) == 1 else 'y'} "
            "no run id (written before run ids): cannot check that the parts are one run's or "
            "that no shard is missing"
        )
        return next(iter(known), None)
    run_id = next(iter(known))
    sharded = [(source, part.shard) for source, part in parts if part.shard is not None]
    if not sharded:
        return run_id
    if len(sharded) != len(parts):
        plain = next(source for source, part in parts if part.shard is None)
        raise InputError(f"merge: {plain} is not a shard (no --shard) but {sharded[0][0]} is")
    first_src, first = sharded[0]
    seen: dict[int, str] = {}
    for source, shard in sharded:
        if (shard.count, shard.selected) != (first.count, first.selected):
            raise InputError(
                f"merge: {source} is shard {shard.index}/{shard.count} of {shard.selected} "
                f"functions but {first_src} is {first.index}/{first.count} of {first.selected}: "
                "not parts of one run"
            )
        if shard.index in seen:
            raise InputError(
                f"merge: shard {shard.index}/{shard.count} is given twice ({seen[shard.index]} "
                f"and {source})"
            )
        seen[shard.index] = source
    present = sum(len(part.functions) + len(part.failed or ()) for _s, part in parts)
    missing = [k for k in range(1, first.count + 1) if k not in seen]
    if present != first.selected and not missing:
        raise InputError(
            f"merge: the parts hold {present} functions but their run selected {first.selected}: "
            "not parts of one run"
        )
    if present != first.selected:
        shown = ", ".join(f"{k}/{first.count}" for k in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise InputError(
            f"merge: the parts hold {present} of the run's {first.selected} functions: "
            f"shard(s) {shown}{more} missing"
        )
    return run_id
