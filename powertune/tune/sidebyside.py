"""Variants measured side by side with the function (``tune --variant``).

After the function's own search, the function and each variant's twin are measured at the sizes
the function measured, with the same payloads, in rounds: every round sends one invocation to
each (size, function or twin), submitted in that order (function, twin, function, twin ...) and
all finished before the next round starts. Host or service drift over the run then hits the
function and its twins alike, and the comparison is between invocations made at the same time.
The function's own search and decision are untouched: this is a second, paired measurement.

Each target is configured (and restored) as the tuner does it (``Target.prepare`` per size,
``Target.restore`` at the end, whatever happens); every invocation is priced at its own
target's architecture. A twin that fails every invocation is kept measuring to the planned count:
the failures are the finding, not a crash.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from powertune import stopping
from powertune.tune.plan import Payloads
from powertune.tune.targets.interface import SizeRejected, Target, TargetError
from powertune.tune.tuner import (
    OUT_OF_MEMORY,
    Observer,
    TuneSettings,
    _mark_allowed,
    _strip_throttles,
    _wait_one,
    invoke_with_retry,
)
from powertune.types import FunctionInfo, Observations, Sample
from pricing.cost import gb_seconds
from pricing.pricer import Pricer


@dataclass
class Arm:
    """The function, or one variant's twin, in the side-by-side measurement."""

    label: str  # "function", or the variant's label (``arch=arm64``)
    target: Target
    info: FunctionInfo | None = None
    observations: Observations = field(default_factory=Observations)
    spend_usd: Decimal = Decimal(0)
    billed_gb_s: Decimal = Decimal(0)
    invocations: int = 0  # warm-ups included
    throttles: int = 0
    pricer: Any = None


@dataclass
class SideBySide:
    """What the side-by-side measurement found: one Arm per target, the function first."""

    arms: list[Arm]
    sizes: tuple[int, ...]
    rounds: int = 0  # rounds completed
    stop_reason: str | None = None
    wall_s: float = 0.0

    @property
    def spend_usd(self) -> Decimal:
        return sum((a.spend_usd for a in self.arms), Decimal(0))

    @property
    def billed_gb_s(self) -> Decimal:
        return sum((a.billed_gb_s for a in self.arms), Decimal(0))

    @property
    def invocations(self) -> int:
        return sum(a.invocations for a in self.arms)


def measure_side_by_side(
    arms: list[Arm],
    sizes: tuple[int, ...],
    rounds: int,
    payloads: Payloads,
    settings: TuneSettings,
    *,
    catalog: Any,
    observer: Observer | None = None,
    spent_usd: Decimal = Decimal(0),
    invoked: int = 0,
) -> SideBySide:
    """Measure ``arms`` (the function first) at ``sizes``, ``rounds`` invocations each, one
    interleaved round at a time; every target is restored on the way out. ``spent_usd`` and
    ``invoked`` (measured invocations, warm-ups left out, as the tuner counts them) are what the
    run already used of its budgets."""
    observer = observer or Observer()
    outcome = SideBySide(arms=arms, sizes=tuple(sizes))
    started = time.monotonic()
    pool = ThreadPoolExecutor(
        max_workers=max(1, settings.concurrency), thread_name_prefix="powertune-side"
    )
    failed = True
    try:
        for arm in arms:
            arm.info = arm.target.describe()
            info = arm.info
            arm.pricer = Pricer(catalog, info.region, info.architecture, info.ephemeral_mb)
        planned = rounds * len(sizes) * len(arms)
        observer.on_planned(planned + settings.warmup * len(sizes) * len(arms))
        for memory in sizes:
            observer.on_configure(memory)  # on the function and every twin, one after another
            for arm in arms:
                _prepare(arm, memory, payloads, settings, pool, observer)
        cycle = payloads.cycle()
        for k in range(rounds):
            reason = _over_budget(outcome, settings, spent_usd, invoked)
            if reason:
                outcome.stop_reason = reason
                break
            index = cycle[k % len(cycle)]
            futures: list[tuple[Arm, int, Future[Any]]] = []
            for memory in sizes:
                for arm in arms:  # function, twin, function, twin ...
                    if memory in arm.observations.skipped:
                        continue
                    future = pool.submit(
                        invoke_with_retry,
                        arm.target,
                        settings,
                        memory,
                        payloads.items[index],
                        index,
                    )
                    futures.append((arm, memory, future))
            for arm, memory, future in futures:
                _record(arm, memory, _wait_one(future), settings, observer, warmup=False)
            for arm in arms:
                arm.observations.current_round += 1
                for memory in sizes:
                    _judge(arm, memory, observer)
            outcome.rounds = k + 1
        failed = False
        return outcome
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        outcome.wall_s = time.monotonic() - started
        _restore(arms, observer, raising=not failed)


def _prepare(
    arm: Arm,
    memory: int,
    payloads: Payloads,
    settings: TuneSettings,
    pool: ThreadPoolExecutor,
    observer: Observer,
) -> None:
    """Configure one size on one target, then its warm-ups (discarded, but priced)."""
    try:
        arm.target.prepare(memory)
    except SizeRejected as exc:
        arm.observations.skipped[memory] = f"rejected by Lambda ({exc})"
        observer.on_skip(memory, f"{arm.label}: {arm.observations.skipped[memory]}")
        return
    cycle = payloads.cycle()
    for w in range(settings.warmup):
        index = cycle[w % len(cycle)]
        call = pool.submit(
            invoke_with_retry, arm.target, settings, memory, payloads.items[index], index
        )
        _record(arm, memory, _wait_one(call), settings, observer, warmup=True)


def _record(
    arm: Arm,
    memory: int,
    result: Sample | Any | int,
    settings: TuneSettings,
    observer: Observer,
    *,
    warmup: bool,
) -> None:
    if isinstance(result, int):  # still throttled after the retries
        arm.throttles += result
        arm.observations.skipped.setdefault(
            memory, f"throttled: still throttled after {settings.throttle_retries} retries"
        )
        return
    sample, throttles = _strip_throttles(result)
    sample = _mark_allowed(sample, settings.allowed_errors)
    arm.throttles += throttles
    arm.invocations += 1
    if sample.billed_ms is not None:
        arm.spend_usd += arm.pricer.invocation(memory, sample.billed_ms)
        arm.billed_gb_s += gb_seconds(memory, sample.billed_ms)
    if not warmup:
        arm.observations.add(sample)
    elif sample.ok and sample.startup_billed_ms:  # an INIT measured, as the tuner keeps it
        arm.observations.warmup_inits.setdefault(memory, []).append(sample.startup_billed_ms)
    observer.on_sample(sample, warmup=warmup)


def _judge(arm: Arm, memory: int, observer: Observer) -> None:
    """A size that ran out of memory or time stops there (both are expensive to repeat); other
    errors are counted to the end: how often a twin fails is the finding."""
    obs = arm.observations
    if memory in obs.skipped:
        return
    samples = obs.samples.get(memory, [])
    if any(s.error_type == OUT_OF_MEMORY for s in samples):
        obs.skipped[memory] = "out of memory"
    elif any(s.status == "timeout" for s in samples):
        obs.skipped[memory] = "timeout"
    else:
        return
    observer.on_skip(memory, f"{arm.label}: {obs.skipped[memory]}")


def _over_budget(
    outcome: SideBySide, settings: TuneSettings, spent_usd: Decimal, invoked: int
) -> str | None:
    """Why the next round would go over --max-invocations or --max-spend (None: it fits). A
    round is priced at the costliest invocation seen for each size and target, plus half."""
    each = [(a, m) for a in outcome.arms for m in outcome.sizes if m not in a.observations.skipped]
    limit = settings.max_invocations  # measured invocations, as the tuner counts them
    measured = sum(a.observations.invocations for a in outcome.arms)
    if limit is not None and invoked + measured + len(each) > limit:
        return f"--max-invocations {limit} reached"
    budget = settings.max_spend_usd
    if budget is None:
        return None
    round_usd = Decimal(0)
    for arm, memory in each:
        billed = [s.billed_ms for s in arm.observations.samples.get(memory, []) if s.billed_ms]
        timeout_ms = ((arm.info.timeout_s if arm.info else None) or 900) * 1000
        worst = int(max(billed) * 1.5) + 1 if billed else timeout_ms
        round_usd += arm.pricer.invocation(memory, worst)
    if spent_usd + outcome.spend_usd + round_usd > budget:
        return f"--max-spend ${budget} reached"
    return None


def _restore(arms: list[Arm], observer: Observer, *, raising: bool) -> None:
    """Put every target back (a stop signal waits for it). The function's problems are raised
    once all were tried, unless an error is already on its way out (then they are said, and it
    goes on). A twin's are not: it is deleted next, whole (``twins_of``), and a twin that cannot
    be deleted is said there, with the function's cleanup to run, not the twin's. "Restored" is
    said only when every target was."""
    problems: list[str] = []
    twin_failed = False

    def say(text: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            observer.on_message(text)

    with stopping.deferred(say):
        with contextlib.suppress(OSError, ValueError):
            observer.on_restore("start")
        for n, arm in enumerate(arms):
            try:
                arm.target.restore()
            except TargetError as exc:
                if n == 0:  # the function (the arms after it are its twins)
                    problems.append(str(exc))
                else:
                    twin_failed = True
        if not problems and not twin_failed:
            with contextlib.suppress(OSError, ValueError):
                observer.on_restore("done")
    if problems and raising:
        raise TargetError("; ".join(problems))
    for problem in problems:
        say(f"warning: {problem}")
