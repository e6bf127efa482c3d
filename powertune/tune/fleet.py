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

from botocore.exceptions import NoRegionError

from powertune import identity
from powertune.errors import InputError, PowertuneError
from powertune.files import make_dir
from powertune.results.model import FailedFunction, FunctionResult, Result
from powertune.tune.fleet_merge import (  # one Result for many functions
    combine,
    merge_parts,
)
from powertune.tune.plan import DEFAULT_CONCURRENCY, RunPlan
from powertune.tune.run import Hooks, Ready, prepare, run
from powertune.tune.targets.interface import Target
from powertune.tune.targets.journal import STATE_DIR_SOURCE
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
    # an unusable one (under a regular file, no permission): one line, exit 3
    make_dir(path.parent, what=f"the state directory ({STATE_DIR_SOURCE})")
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
    try:
        lam = session.client("lambda", endpoint_url=flags.endpoint_url)
        cfn = (
            session.client("cloudformation", endpoint_url=flags.endpoint_url)
            if selection.stack
            else None
        )
    except NoRegionError:
        raise InputError(
            "no AWS region: pass --region, or set AWS_REGION or a profile's region"
        ) from None
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
