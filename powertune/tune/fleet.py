"""Tune many functions in one run: shared concurrency and spend, isolated failures, resume.

    names = select(selection, lambda_client, cfn_client)        # fleet_select
    result = tune_fleet(names, plan_for, FleetOptions(...), hooks)

Each function gets its own RunPlan (``plan_for(name)``: its powertune.toml section over the
flags) and runs the single-function pipeline (``run.prepare`` + ``run.run``) in a worker
thread, so many functions are configured and measured at once. The run's ``--concurrency`` is
split between the functions in flight, capped by a share of the account's unreserved
concurrency and of each function's reserved concurrency, so production is never starved.
``--max-spend`` is one budget: each function starting is lent a share of what is left and gives
back what it did not spend. A function that fails is recorded in ``Result.failed`` (restored by
its own tuner) and the others go on. Finished functions are appended to a journal file, so
``--resume`` skips them after an interruption.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from powertune import identity
from powertune.errors import InputError, PowertuneError
from powertune.results.model import FailedFunction, FunctionResult, Result, Tuning
from powertune.tune.plan import DEFAULT_CONCURRENCY, RunPlan
from powertune.tune.run import Hooks, Ready, prepare, run
from powertune.tune.targets.interface import Target
from powertune.types import FunctionInfo, Sample

# The share of the account's unreserved concurrency, and of a function's reserved concurrency,
# a tuning run may take: production keeps the rest.
ACCOUNT_SHARE = 0.25
RESERVED_SHARE = 0.25
JOURNAL_NAME = "fleet-{key}.jsonl"


class FleetStopped(PowertuneError):
    """The fleet run was asked to stop: each function in flight stops and is restored."""


@dataclass(frozen=True)
class FleetOptions:
    concurrency: int
    max_spend_usd: Decimal | None = None
    journal: Path | None = None  # finished functions, one Result JSON a line
    resume: bool = False


@dataclass(frozen=True)
class Limits:
    """How many invocations the fleet may have in flight, in all and per function."""

    total: int
    per_function: dict[str, int | None]  # None: no reserved concurrency to respect
    notes: tuple[str, ...] = ()


def read_limits(client: Any, names: list[str], requested: int) -> Limits:
    """``requested`` capped by a share of the account's unreserved concurrency
    (GetAccountSettings) and each function's reserved concurrency (GetFunctionConcurrency).
    An endpoint that answers neither (a local runtime) leaves the request as it is."""
    notes: list[str] = []
    total = requested
    try:
        settings = client.get_account_settings()
        unreserved = settings.get("AccountLimit", {}).get("UnreservedConcurrentExecutions")
    except Exception:
        unreserved = None
        notes.append("the account's unreserved concurrency is unknown; using --concurrency as is")
    if unreserved is not None:
        cap = max(1, int(unreserved * ACCOUNT_SHARE))
        if cap < total:
            notes.append(
                f"--concurrency {requested} capped at {cap}: {ACCOUNT_SHARE:.0%} of the account's "
                f"{unreserved} unreserved concurrency"
            )
            total = cap
    per: dict[str, int | None] = {}
    for name in names:
        try:
            reserved = client.get_function_concurrency(FunctionName=name).get(
                "ReservedConcurrentExecutions"
            )
        except Exception:
            reserved = None
        per[name] = None if reserved is None else int(reserved * RESERVED_SHARE)
    return Limits(total=max(1, total), per_function=per, notes=tuple(notes))


class SpendPool:
    """One --max-spend for the whole fleet: a function starting is lent an equal share of what
    is not yet spent or lent; a function finishing returns what it did not spend."""

    def __init__(self, limit: Decimal | None) -> None:
        self.limit = limit
        self.spent = Decimal(0)
        self._lent = Decimal(0)
        self._lock = threading.Lock()

    def lend(self, waiting: int) -> Decimal | None:
        if self.limit is None:
            return None
        with self._lock:
            share = (self.limit - self.spent - self._lent) / max(waiting, 1)
            share = max(share, Decimal(0))
            self._lent += share
            return share

    def settle(self, lent: Decimal | None, spent: Decimal) -> None:
        with self._lock:
            self.spent += spent
            if lent is not None:
                self._lent -= lent


class _StoppableTarget(Target):
    """The function's target, refusing to go on once the fleet is stopping: the tuner then
    unwinds and restores the function as it does on any error."""

    def __init__(self, inner: Target, stop: threading.Event) -> None:
        self.inner, self.stop = inner, stop

    def _check(self) -> None:
        if self.stop.is_set():
            raise FleetStopped("the fleet run is stopping")

    def describe(self) -> FunctionInfo:
        return self.inner.describe()

    def prepare(self, memory_mb: int) -> None:
        self._check()
        self.inner.prepare(memory_mb)

    def invoke(self, memory_mb: int, payload: bytes, payload_index: int = 0) -> Sample:
        self._check()
        return self.inner.invoke(memory_mb, payload, payload_index)

    def force_cold(self, memory_mb: int) -> None:
        self._check()
        self.inner.force_cold(memory_mb)

    def restore(self) -> None:
        self.inner.restore()

    def __getattr__(self, name: str) -> Any:  # notes, provenance, sizes: the inner target's
        return getattr(self.inner, name)


@dataclass
class _Outcome:
    name: str
    result: Result | None = None
    failure: FailedFunction | None = None
    wall_s: float = 0.0


@dataclass
class FleetProgress:
    """Per-function progress for the user: one line when a function starts and ends."""

    note: Callable[[str], None]
    total: int
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def finished(self, outcome: _Outcome) -> None:
        with self.lock:
            self.done += 1
            head = f"[{self.done}/{self.total}] {outcome.name}"
        if outcome.failure is not None:
            restored = "restored" if outcome.failure.restored else "NOT restored: run cleanup"
            self.note(f"{head}: failed ({outcome.failure.reason}); {restored}")
            return
        assert outcome.result is not None
        rec = outcome.result.functions[0].recommendation
        chosen = f"{rec.memory_mb} MB" if rec else "no recommendation"
        self.note(f"{head}: {chosen} ({outcome.wall_s:.1f} s)")


def tune_fleet(
    names: list[str],
    plan_for: Callable[[str], RunPlan],
    options: FleetOptions,
    hooks: Hooks | None = None,
    *,
    lambda_client: Any = None,
) -> Result:
    """Tune every function of ``names``; one Result holds them all (failures in ``failed``)."""
    hooks = hooks or Hooks()
    region = getattr(getattr(lambda_client, "meta", None), "region_name", None)
    names, twins = identity.unique(names, account=None, region=region)  # each function once
    for first, again in twins:
        hooks.note(f"note: {again} is the same function as {first}: tuned once")
    plans = {name: plan_for(name) for name in names}  # every plan checked before anything runs
    done = _resume(options, names, hooks)
    todo = [n for n in names if n not in done]
    limits = (
        read_limits(lambda_client, todo, options.concurrency)
        if lambda_client is not None
        else Limits(total=options.concurrency, per_function={})
    )
    for note in limits.notes:
        hooks.note(f"note: {note}")
    workers = max(1, min(len(todo), limits.total))
    per_function = max(1, limits.total // workers)
    pool = SpendPool(options.max_spend_usd)
    stop = threading.Event()
    progress = FleetProgress(note=hooks.note, total=len(names), done=len(done))
    started = time.monotonic()
    outcomes: list[_Outcome] = []
    waiting = [len(todo)]
    lock = threading.Lock()

    def one(name: str) -> _Outcome:
        with lock:
            lent = pool.lend(waiting[0])
            waiting[0] -= 1
        cap = limits.per_function.get(name)
        outcome = _tune_one(name, plans[name], per_function, cap, lent, stop, hooks)
        spent = outcome.result.tuning.spend_usd if outcome.result else None
        pool.settle(lent, spent or Decimal(0))
        if outcome.result is not None and options.journal is not None:
            _append(options.journal, outcome.result)
        progress.finished(outcome)
        return outcome

    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="powertune-fleet")
    futures: set[Future[_Outcome]] = {executor.submit(one, n) for n in todo}
    try:
        while futures:
            finished, futures = wait(futures, timeout=0.2, return_when=FIRST_COMPLETED)
            outcomes.extend(f.result() for f in finished)
    except BaseException:
        # A stop (Ctrl-C, SIGTERM): functions not started never start; those in flight stop at
        # their next step and restore themselves before the stop goes on.
        stop.set()
        for f in futures:
            f.cancel()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    return combine(
        [*done.values(), *(o.result for o in outcomes if o.result is not None)],
        failed=[o.failure for o in outcomes if o.failure is not None],
        wall_s=time.monotonic() - started,
        order=names,
    )


def _tune_one(
    name: str,
    plan: RunPlan,
    concurrency: int,
    reserved_cap: int | None,
    lent: Decimal | None,
    stop: threading.Event,
    hooks: Hooks,
) -> _Outcome:
    if reserved_cap is not None and reserved_cap < 1:
        reason = "its reserved concurrency leaves no room to tune without throttling production"
        return _Outcome(name, failure=FailedFunction(name=name, reason=reason, restored=True))
    if lent is not None and lent <= 0:
        reason = "--max-spend spent by the other functions"
        return _Outcome(name, failure=FailedFunction(name=name, reason=reason, restored=True))
    if reserved_cap is not None:
        concurrency = min(concurrency, reserved_cap)
    budget = dataclasses.replace(plan.budget, max_spend_usd=lent if lent is not None else None)
    plan = dataclasses.replace(plan, concurrency=concurrency, budget=budget)
    quiet = Hooks(note=lambda text: None)  # the fleet's own progress lines speak for it
    started = time.monotonic()
    ready: Ready | None = None
    try:
        with prepare(plan, quiet) as ready:
            ready = dataclasses.replace(ready, target=_StoppableTarget(ready.target, stop))
            result = run(ready)
    except Exception as exc:
        restored = _restored(ready)  # its tuner restored it on the way out; check
        reason = _one_line(exc) if isinstance(exc, PowertuneError | OSError) else repr(exc)[:300]
        failure = FailedFunction(name=name, reason=reason, restored=restored)
        return _Outcome(name, failure=failure, wall_s=time.monotonic() - started)
    return _Outcome(name, result=result, wall_s=time.monotonic() - started)


def _restored(ready: Ready | None) -> bool:
    """After a failure: the function's memory is what it was before (nothing was changed if the
    function was never described)."""
    if ready is None:
        return True
    with contextlib.suppress(Exception):
        return ready.target.describe().memory_mb == ready.info.memory_mb
    return False


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


# -- one Result for many functions ----------------------------------------------------------------


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


# -- the journal of finished functions ------------------------------------------------------------


def journal_path(key: str) -> Path:
    from powertune.tune.targets.journal import state_dir

    return state_dir() / "fleet" / JOURNAL_NAME.format(key=key)


def _append(path: Path, result: Result) -> None:
    """One finished function, one line, flushed and synced: a kill loses at most the line."""
    import os

    from powertune.results.jsonio import result_to_json

    line = json.dumps(result_to_json(result), separators=(",", ":"), allow_nan=False) + "\n"
    with _journal_lock, path.open("a", encoding="utf-8") as out:
        out.write(line)
        out.flush()
        os.fsync(out.fileno())


_journal_lock = threading.Lock()


def _resume(options: FleetOptions, names: list[str], hooks: Hooks) -> dict[str, Result]:
    """The finished functions of an interrupted run (``--resume``); otherwise a fresh journal."""
    path = options.journal
    if path is None:
        return {}
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not options.resume:
        if path.exists() and path.stat().st_size:
            hooks.note(
                f"note: replacing an unfinished fleet run's journal ({path}); --resume continues it"
            )
        path.write_text("", encoding="utf-8")
        return {}
    done = dict(_read_journal(path, set(names)))
    if done:
        hooks.note(f"resuming: {len(done)} of {len(names)} functions already tuned ({path})")
    else:
        hooks.note(f"note: nothing to resume in {path}; tuning every function")
    return done


def _read_journal(path: Path, wanted: set[str]) -> Iterator[tuple[str, Result]]:
    from powertune.results.jsonio import loads_result

    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            result = loads_result(line, source=str(path))
        except PowertuneError:
            continue  # a line cut short by a kill: that function is tuned again
        for function in result.functions:
            if function.name in wanted:
                yield function.name, result


def finish_journal(options: FleetOptions) -> None:
    """A finished run needs no journal."""
    if options.journal is not None:
        with contextlib.suppress(OSError):
            options.journal.unlink()


__all__ = [
    "FleetOptions",
    "FunctionResult",
    "combine",
    "finish_journal",
    "journal_path",
    "merge_parts",
    "read_limits",
    "tune_fleet",
]


def tune_selection(
    selection: Any,
    flags: Any,
    config: Any,
    *,
    resume: bool = False,
    hooks: Hooks | None = None,
) -> Result:
    """`tune` for a fleet: find the functions (``fleet_select.select``), give each its own plan
    (its powertune.toml section over ``flags``), tune them all and clear the journal."""
    from powertune import awsenv
    from powertune.results.model import Shard
    from powertune.tune.fleet_select import run_key, select_all, selection_key, shard_selection
    from powertune.tune.plan import parse_money, resolve_plan

    hooks = hooks or Hooks()
    if flags.local or flags.replay:
        raise InputError("a fleet tunes deployed functions: --local and --replay take one")
    session = awsenv.session(flags.profile, flags.region)  # an unknown profile is exit 2
    lam = session.client("lambda", endpoint_url=flags.endpoint_url)
    cfn = (
        session.client("cloudformation", endpoint_url=flags.endpoint_url)
        if selection.stack
        else None
    )
    everything = select_all(selection, lam, cfn, hooks.note)
    names = shard_selection(everything, selection)
    hooks.note(f"fleet: {len(names)} functions")
    run_id = selection.run_id or run_key(everything, dataclasses.asdict(flags))
    shard = None
    if selection.shard is not None:
        shard = Shard(index=selection.shard[0], count=selection.shard[1], selected=len(everything))

    def plan_for(name: str) -> RunPlan:
        return resolve_plan(dataclasses.replace(flags, function=name), config)

    spend = parse_money(flags.max_spend, "--max-spend")
    key = selection_key(names, {"shard": selection.shard, "flags": dataclasses.asdict(flags)})
    options = FleetOptions(
        concurrency=plan_for(names[0]).concurrency or DEFAULT_CONCURRENCY,
        max_spend_usd=spend,
        journal=journal_path(key),
        resume=resume,
    )
    result = tune_fleet(names, plan_for, options, hooks, lambda_client=lam)
    finish_journal(options)
    return dataclasses.replace(result, run_id=run_id, shard=shard)
