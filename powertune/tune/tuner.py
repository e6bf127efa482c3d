"""The tuning loop: ask the search what to measure, configure sizes one at a time, invoke in
parallel, retry throttles, skip sizes that cannot run, stay within the budget, always restore.

Configuration steps run on their own thread, one at a time (AWS allows one update at a time);
a size's invocations start as soon as it is configured, while the next size is configured.

The core reports progress to an Observer; it never prints and never imports rich.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

from powertune import stopping
from powertune.errors import InputError, PowertuneError
from powertune.models.cpu_share import scale_duration
from powertune.tune.plan import DEFAULT_CONCURRENCY, DEFAULT_WARMUP, Payloads
from powertune.tune.search.interface import Search
from powertune.tune.targets.interface import SizeRejected, Target, Throttled
from powertune.types import Batch, FunctionInfo, Observations, Sample
from pricing.cost import gb_seconds
from pricing.pricer import Pricer

T = TypeVar("T")
OUT_OF_MEMORY = "Runtime.OutOfMemory"


class BudgetTooSmall(InputError):
    """--max-spend cannot cover even one invocation: the run refuses to start (exit code 2)."""

    @classmethod
    def at(cls, budget: Decimal, memory_mb: int, each: Decimal, timeout_s: int) -> BudgetTooSmall:
        return cls(
            f"--max-spend ${budget} is below the worst case of one invocation at "
            f"{memory_mb} MB (${each:.6f} if it ran to its {timeout_s} s timeout); "
            "raise it, or lower the function's timeout"
        )


class NothingMeasured(PowertuneError):
    """Every size failed (errors, out of memory, timeouts, throttling): no recommendation can be
    made (exit code 3). The function is restored before this is raised."""


def require_measured(outcome: TuneOutcome) -> None:
    """Raise NothingMeasured, with each size's reason, when no size has a usable measurement."""
    obs = outcome.observations
    if any(any(s.ok for s in obs.samples.get(m, [])) for m in obs.measured_sizes()):
        return
    if obs.skipped:
        reasons = "; ".join(f"{m} MB: {why}" for m, why in sorted(obs.skipped.items()))
        raise NothingMeasured(
            f"no memory size could be measured ({reasons}); the function was restored"
        )
    why = f" ({outcome.stop_reason})" if outcome.stop_reason else ""
    raise NothingMeasured(f"nothing was measured{why}; the function was restored")


class Observer:
    """Progress callbacks (all optional). Called from the main thread only."""

    def on_start(self, info: FunctionInfo) -> None: ...
    def on_configure(self, memory_mb: int) -> None: ...
    def on_planned(self, count: int) -> None: ...
    def on_sample(self, sample: Sample, *, warmup: bool) -> None: ...
    def on_skip(self, memory_mb: int, reason: str) -> None: ...
    def on_message(self, text: str) -> None: ...
    def on_restore(self, state: str) -> None: ...  # "start" | "done"


@dataclass(frozen=True)
class TuneSettings:
    """How a run behaves (not what it measures: that is the search's business)."""

    concurrency: int = DEFAULT_CONCURRENCY
    warmup: int = DEFAULT_WARMUP  # per size, discarded (the first one also prices the batch)
    cold_starts: bool = False
    allowed_errors: frozenset[str] = frozenset()
    max_spend_usd: Decimal | None = None
    max_invocations: int | None = None
    throttle_retries: int = 8
    throttle_base_s: float = 0.2
    sleep_between_ms: int = 0


@dataclass
class TuneOutcome:
    """What happened: the observations, the spend, and why the run stopped."""

    info: FunctionInfo
    observations: Observations
    spend_usd: Decimal = Decimal(0)
    billed_gb_s: Decimal = Decimal(0)
    invocations: int = 0  # including warm-ups
    throttles: int = 0
    wall_s: float = 0.0
    configure_s: float = 0.0  # time spent in configuration steps (update, publish, alias)
    stop_reason: str | None = None
    warnings: list[str] = field(default_factory=list)


class Tuner:
    """One tuning run against one target."""

    def __init__(
        self,
        target: Target,
        search: Search,
        payloads: Payloads,
        settings: TuneSettings,
        *,
        catalog: Any,
        observer: Observer | None = None,
    ) -> None:
        self.target = target
        self.search = search
        self.payloads = payloads
        self.settings = settings
        self.catalog = catalog
        self.observer = observer or Observer()
        self._cycle = payloads.cycle()
        self._sent: dict[int, int] = {}
        self._prepared: set[int] = set()
        self._warmup_billed: dict[int, list[int]] = {}  # warm-ups price the batches that follow

    # -- the run ----------------------------------------------------------------------------------

    def run(self) -> TuneOutcome:
        """Measure, then restore the function whatever happened (errors, Ctrl-C)."""
        started = time.monotonic()
        config_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="powertune-config")
        invoke_pool = ThreadPoolExecutor(
            max_workers=max(1, self.settings.concurrency), thread_name_prefix="powertune-invoke"
        )
        self._config_pool = config_pool
        self._invoke_pool = invoke_pool
        self._config_future: Future[Any] | None = None
        outcome: TuneOutcome | None = None
        self._in_flight: dict[Future[Any], tuple[int, Decimal]] = {}
        try:
            info = self._configure_step(self.target.describe)
            outcome = TuneOutcome(info=info, observations=Observations())
            self._pricer = Pricer(self.catalog, info.region, info.architecture, info.ephemeral_mb)
            self.observer.on_start(info)
            for note in getattr(self.target, "notes", ()):
                self.observer.on_message(f"warning: {note}")
            self._loop(outcome)
            return outcome
        except KeyboardInterrupt:
            self._report_abandoned(outcome)
            raise
        finally:
            # In-flight invocations are not waited for: their results are discarded.
            invoke_pool.shutdown(wait=False, cancel_futures=True)
            with stopping.deferred(self._say):
                # A configuration step still in flight must land before restore lists leftovers.
                if self._config_future is not None:
                    with contextlib.suppress(BaseException):
                        self._config_future.result()
                config_pool.shutdown(wait=True)
                self._safely(self.observer.on_restore, "start")
                self.target.restore()
                self._safely(self.observer.on_restore, "done")
            if outcome is not None:
                outcome.wall_s = time.monotonic() - started

    def _safely(self, call: Callable[[str], None], text: str) -> None:
        """Progress output must not stop a restore (SIGHUP: the terminal may be gone)."""
        with contextlib.suppress(OSError, ValueError):
            call(text)

    def _say(self, text: str) -> None:
        self._safely(self.observer.on_message, text)

    def _report_abandoned(self, outcome: TuneOutcome | None) -> None:
        """On a stop: what was spent, and what the invocations still running may yet bill."""
        running = [(f, est) for f, (_m, est) in self._in_flight.items() if not f.done()]
        spent = outcome.spend_usd if outcome is not None else Decimal(0)
        text = f"stopped: ${spent:.6f} spent on {outcome.invocations if outcome else 0} invocations"
        if running:
            bound = sum((est for _f, est in running), Decimal(0))
            text += (
                f"; {len(running)} still running abandoned (results discarded, "
                f"up to about ${bound:.6f} more billed)"
            )
        self._say(text)

    def _loop(self, outcome: TuneOutcome) -> None:
        obs = outcome.observations
        while True:
            batches = [b for b in self.search.next(obs) if b.memory_mb not in obs.skipped]
            if not batches:
                outcome.stop_reason = outcome.stop_reason or self.search.stop_reason()
                return
            obs.current_round += 1
            # Pipelined: a size's invocations start as soon as it is configured, while the next
            # size is being configured (configuration steps stay one at a time).
            in_flight: dict[Future[Any], tuple[int, Decimal]] = {}
            self._in_flight = in_flight
            reason = None
            for batch in batches:
                if batch.memory_mb not in self._prepared:
                    if not self._affordable(batch.memory_mb, outcome, in_flight):
                        reason = reason or f"--max-spend ${self.settings.max_spend_usd} reached"
                        continue
                    self._prepare(batch.memory_mb, outcome)
                if batch.memory_mb in obs.skipped:
                    continue
                fitted, cut = self._within_budget(batch, outcome, in_flight)
                reason = reason or cut
                if fitted:
                    self.observer.on_planned(fitted.count)
                    self._start(fitted, outcome, in_flight)
                self._collect(in_flight, outcome, block=False)
            self._collect(in_flight, outcome, block=True)
            for batch in batches:
                self._judge(batch.memory_mb, outcome)
            obs.spend_usd = float(outcome.spend_usd)
            if reason:
                outcome.stop_reason = reason
                return

    # -- configuration ----------------------------------------------------------------------------

    def _configure_step(self, func: Callable[..., T], *args: Any) -> T:
        """Run a configuration call on the config thread; the main thread waits interruptibly."""
        future = self._config_pool.submit(func, *args)
        self._config_future = future
        return _wait_one(future)

    def _prepare(self, memory_mb: int, outcome: TuneOutcome) -> None:
        self.observer.on_configure(memory_mb)
        started = time.monotonic()
        try:
            self._configure_step(self.target.prepare, memory_mb)
        except SizeRejected as exc:
            # An account held to 3,008 MB, say: that size is out, the rest of the run goes on.
            outcome.observations.skipped[memory_mb] = f"rejected by Lambda ({exc})"
            self.observer.on_skip(memory_mb, outcome.observations.skipped[memory_mb])
            return
        finally:
            outcome.configure_s += time.monotonic() - started
        self._prepared.add(memory_mb)
        warmups = 0 if self.settings.cold_starts else self.settings.warmup
        for _ in range(warmups):
            sample = self._invoke_counted(memory_mb, outcome, warmup=True)
            if sample is None:
                break
            if not sample.ok:
                # A warm-up that fails tells us the size cannot run: judge it on that alone.
                outcome.observations.add(sample)
                self._judge(memory_mb, outcome)
                return

    # -- invocations ------------------------------------------------------------------------------

    def _payload(self, memory_mb: int) -> tuple[bytes, int]:
        k = self._sent.get(memory_mb, 0)
        self._sent[memory_mb] = k + 1
        index = self._cycle[k % len(self._cycle)]
        return self.payloads.items[index], index

    def _invoke_with_retry(
        self, memory_mb: int, payload: bytes, index: int
    ) -> Sample | _ThrottledSample | int:
        return invoke_with_retry(self.target, self.settings, memory_mb, payload, index)

    def _record(
        self, result: Any, memory_mb: int, outcome: TuneOutcome, *, warmup: bool
    ) -> Sample | None:
        if isinstance(result, int):
            outcome.throttles += result
            outcome.observations.skipped[memory_mb] = (
                f"throttled: still throttled after {self.settings.throttle_retries} retries"
            )
            self.observer.on_skip(memory_mb, outcome.observations.skipped[memory_mb])
            return None
        sample, throttles = _strip_throttles(result)
        sample = _mark_allowed(sample, self.settings.allowed_errors)
        outcome.throttles += throttles
        outcome.invocations += 1
        if sample.billed_ms is not None:
            outcome.spend_usd += self._pricer.invocation(memory_mb, sample.billed_ms)
            outcome.billed_gb_s += gb_seconds(memory_mb, sample.billed_ms)
        if not warmup:
            outcome.observations.add(sample)
        else:
            if sample.billed_ms:
                self._warmup_billed.setdefault(memory_mb, []).append(sample.billed_ms)
            startup = sample.startup_billed_ms  # INIT, or a SnapStart restore's billed part
            if sample.ok and startup:
                outcome.observations.warmup_inits.setdefault(memory_mb, []).append(startup)
        self.observer.on_sample(sample, warmup=warmup)
        return sample

    def _invoke_counted(
        self, memory_mb: int, outcome: TuneOutcome, *, warmup: bool
    ) -> Sample | None:
        payload, index = self._payload(memory_mb)
        future = self._invoke_pool.submit(self._invoke_with_retry, memory_mb, payload, index)
        self._in_flight[future] = (memory_mb, self._estimate_cost(memory_mb, outcome))
        result = _wait_one(future)
        self._in_flight.pop(future, None)
        return self._record(result, memory_mb, outcome, warmup=warmup)

    def _start(
        self,
        batch: Batch,
        outcome: TuneOutcome,
        in_flight: dict[Future[Any], tuple[int, Decimal]],
    ) -> None:
        """Start a batch's invocations (cold-start mode: run them, one fresh version each)."""
        memory = batch.memory_mb
        if self.settings.cold_starts:
            for _ in range(batch.count):
                if memory in outcome.observations.skipped:
                    break
                started = time.monotonic()
                self._configure_step(self.target.force_cold, memory)
                outcome.configure_s += time.monotonic() - started
                self._invoke_counted(memory, outcome, warmup=False)
            return
        estimate = self._estimate_cost(memory, outcome)
        for _ in range(batch.count):
            payload, index = self._payload(memory)
            future = self._invoke_pool.submit(self._paced_invoke, memory, payload, index)
            in_flight[future] = (memory, estimate)

    def _collect(
        self,
        in_flight: dict[Future[Any], tuple[int, Decimal]],
        outcome: TuneOutcome,
        *,
        block: bool,
    ) -> None:
        """Record finished invocations; with ``block``, wait for all of them."""
        while in_flight:
            done, _ = wait(
                list(in_flight), timeout=0.25 if block else 0, return_when=FIRST_EXCEPTION
            )
            for future in done:
                memory, _estimate = in_flight.pop(future)
                self._record(future.result(), memory, outcome, warmup=False)
            if not block:
                return

    def _paced_invoke(self, memory_mb: int, payload: bytes, index: int) -> Any:
        if self.settings.sleep_between_ms:
            time.sleep(self.settings.sleep_between_ms / 1000)
        return self._invoke_with_retry(memory_mb, payload, index)

    # -- judging and budgets ----------------------------------------------------------------------

    def _judge(self, memory_mb: int, outcome: TuneOutcome) -> None:
        obs = outcome.observations
        if memory_mb in obs.skipped:
            return
        samples = obs.samples.get(memory_mb, [])
        reason = skip_reason(samples, self.settings.allowed_errors)
        if reason:
            obs.skipped[memory_mb] = reason
            self.observer.on_skip(memory_mb, reason)

    def _within_budget(
        self,
        batch: Batch,
        outcome: TuneOutcome,
        in_flight: dict[Future[Any], tuple[int, Decimal]],
    ) -> tuple[Batch | None, str | None]:
        """Trim a batch to the invocation and spend budgets, counting what is still in flight;
        a reason when something was cut."""
        count, reason = batch.count, None
        limit = self.settings.max_invocations
        if limit is not None:
            left = limit - outcome.observations.invocations - len(in_flight)
            if left < count:
                count, reason = max(left, 0), f"--max-invocations {limit} reached"
        budget = self.settings.max_spend_usd
        if budget is not None and count:
            committed = sum((estimate for _m, estimate in in_flight.values()), Decimal(0))
            left_usd = budget - outcome.spend_usd - committed
            each = self._estimate_cost(batch.memory_mb, outcome)
            fits = count if each <= 0 else min(count, max(int(left_usd / each), 0))
            if fits < count:
                count, reason = fits, f"--max-spend ${budget} reached"
        return (Batch(batch.memory_mb, count) if count else None), reason

    def _affordable(
        self,
        memory_mb: int,
        outcome: TuneOutcome,
        in_flight: dict[Future[Any], tuple[int, Decimal]],
    ) -> bool:
        """Whether one more invocation at ``memory_mb`` (its warm-up) fits the spend budget.

        Before anything was measured the only bound is the function's timeout: a budget below
        one invocation run to the timeout refuses to start.
        """
        budget = self.settings.max_spend_usd
        if budget is None:
            return True
        each = self._estimate_cost(memory_mb, outcome)
        committed = sum((estimate for _m, estimate in in_flight.values()), Decimal(0))
        if outcome.spend_usd + committed + each <= budget:
            return True
        if outcome.invocations == 0 and not in_flight:
            timeout = outcome.info.timeout_s or 900
            raise BudgetTooSmall.at(budget, memory_mb, each, timeout)
        return False

    def _estimate_cost(self, memory_mb: int, outcome: TuneOutcome) -> Decimal:
        """A cautious cost of one more invocation at ``memory_mb``: the slowest seen there, or
        scaled from the nearest measured size, plus half again."""
        obs = outcome.observations
        seen = [s.billed_ms for s in obs.samples.get(memory_mb, []) if s.billed_ms]
        seen += self._warmup_billed.get(memory_mb, [])
        if seen:
            billed = max(seen)
        else:
            known = {m: s for m, s in obs.samples.items() if s}
            if not known:
                timeout = outcome.info.timeout_s or 900
                return self._pricer.invocation(memory_mb, timeout * 1000)
            nearest = min(known, key=lambda m: abs(m - memory_mb))
            slowest = max(s.duration_ms for s in known[nearest])
            billed = int(scale_duration(slowest, nearest, memory_mb)) + 1
        return self._pricer.invocation(memory_mb, int(billed * 1.5) + 1)


def invoke_with_retry(
    target: Target, settings: TuneSettings, memory_mb: int, payload: bytes, index: int
) -> Sample | _ThrottledSample | int:
    """A Sample, or the number of throttles when retries ran out."""
    base = settings.throttle_base_s
    throttles = 0
    for attempt in range(settings.throttle_retries + 1):
        try:
            sample = target.invoke(memory_mb, payload, index)
            if throttles:
                return _ThrottledSample(sample, throttles)
            return sample
        except Throttled:
            throttles += 1
            if attempt == settings.throttle_retries:
                break
            # Exponential backoff with full jitter (AWS Architecture Blog's recommendation).
            time.sleep(random.uniform(0, min(10.0, base * 2**attempt)))
    return throttles


def unsent_payload_notes(observations: Observations, payloads: int) -> list[str]:
    """The measured sizes that never sent some of the payloads (their figures leave those out),
    in one note; none when every size sent every payload."""
    if payloads < 2:
        return []
    short = []
    for memory_mb in sorted(observations.samples):
        sent = {s.payload_index for s in observations.samples[memory_mb]}
        if len(sent) < payloads:
            short.append(f"{memory_mb} MB ({payloads - len(sent)} of {payloads})")
    if not short:
        return []
    return [
        "payloads never measured at some sizes, whose figures leave them out: "
        + ", ".join(short)
        + "; more invocations per size (--max-invocations) or fewer payloads send them all"
    ]


def skip_reason(samples: list[Sample], allowed_errors: frozenset[str]) -> str | None:
    """Why a size cannot be used, from its samples (None when it can)."""
    if not samples:
        return None
    if any(s.error_type == OUT_OF_MEMORY for s in samples):
        return "out of memory"
    if any(s.status == "timeout" for s in samples):
        return "timeout"
    failed = [s for s in samples if not s.ok and s.error_type not in allowed_errors]
    if failed:
        types = ", ".join(sorted({s.error_type or s.status for s in failed}))
        return f"errors: {len(failed)} of {len(samples)} invocations failed ({types})"
    return None


def _mark_allowed(sample: Sample, allowed_errors: frozenset[str]) -> Sample:
    """An error of an allowed type counts as an outcome (timed and priced); running out of
    memory or time never does."""
    if (
        not sample.ok
        and sample.status == "error"
        and sample.error_type in allowed_errors
        and sample.error_type != OUT_OF_MEMORY
    ):
        return replace(sample, allowed=True)
    return sample


@dataclass(frozen=True)
class _ThrottledSample:
    """A sample that needed retries: the throttles are counted, never sampled."""

    sample: Sample
    throttles: int


def _strip_throttles(result: Any) -> tuple[Sample, int]:
    if isinstance(result, _ThrottledSample):
        return result.sample, result.throttles
    return result, 0


def _wait_one(future: Future[T]) -> T:
    """Wait for a future in short slices so that Ctrl-C reaches the main thread promptly."""
    while True:
        try:
            return future.result(timeout=0.25)
        except TimeoutError:
            continue
