"""One tuning run, top to bottom: a RunPlan -> target -> search -> tuner -> decide -> Result.

    with prepare(plan) as ready:          # the target opened, the function described, a search
        estimate = price_dry_run(ready)   # --dry-run: what it would spend; nothing changed
        result = run(ready)               # measure, restore, price per month, build the Result

Everything the CLI used to do between parsing flags and printing lives here, so tests reach it
without typer: the embedded runtime for ``--local``, the ``--compare`` arm64 twin, and the
function's traffic from CloudWatch. Progress and notes go to ``Hooks``; nothing here prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from powertune import validate
from powertune.errors import InputError, PowertuneError
from powertune.results.model import Replay, Result, Run, VariantResult
from powertune.tune.build import (
    BuildOptions,
    TrafficFigures,
    build_result,
    decide,
    variant_results,
)
from powertune.tune.plan import DEFAULT_RANGE_MB, REFERENCE_GRID, RunPlan
from powertune.tune.search.adaptive import FREE_MAX_INVOCATIONS, AdaptiveSearch
from powertune.tune.search.grid import GridSearch
from powertune.tune.search.interface import Search
from powertune.tune.sidebyside import Arm, measure_side_by_side
from powertune.tune.targets.interface import Target
from powertune.tune.targets.localfit import (
    DEFAULT_AWS_CONCURRENCY,
    endpoint_runtime,
    fit_concurrency,
    local_record,
    trust_notes,
)
from powertune.tune.targets.variants import Variant, parse_variants
from powertune.tune.tuner import (
    BudgetTooSmall,
    Observer,
    TuneOutcome,
    Tuner,
    TuneSettings,
    require_measured,
    unsent_payload_notes,
)
from powertune.types import FunctionInfo
from pricing.catalog import Catalog, load_catalog
from pricing.pricer import Pricer

if TYPE_CHECKING:
    from powertune.tune.targets.aws import AwsLambdaTarget
    from powertune.tune.targets.twins import TwinPlan


TWIN_MIN_INVOCATIONS = 10  # the --compare twin's mean billed duration needs a few warm calls


def _quiet_progress() -> contextlib.AbstractContextManager[Observer]:
    return contextlib.nullcontext(Observer())


def _no_note(text: str) -> None:
    return None


@dataclass(frozen=True)
class Hooks:
    """Where a run reports: ``progress()`` opens an Observer for each tuner run (the run itself,
    then the ``--compare`` twin); ``note`` gets one line for the user."""

    progress: Callable[[], contextlib.AbstractContextManager[Observer]] = _quiet_progress
    note: Callable[[str], None] = _no_note


@dataclass(frozen=True)
class Ready:
    """A run ready to start: the target open and described, the search built."""

    plan: RunPlan
    target: Target
    info: FunctionInfo
    search: Search
    catalog: Catalog
    sizes: tuple[int, ...] | None  # the sizes the search was built from (None: its defaults)
    kind: str  # "aws" | "local" | "replay"
    endpoint_url: str | None = None
    cpu_mode: str | None = None
    hooks: Hooks = field(default_factory=Hooks)
    concurrency: int = DEFAULT_AWS_CONCURRENCY  # the plan's, or fitted to the target
    runtime: Callable[[], Any] | None = None  # a local runtime's record, read after the run
    cold_share: float = 0.0  # share of invocations priced with INIT billed
    # --variant: each twin checked and ready to create (nothing is created before ``run``)
    twins: tuple[TwinPlan, ...] = ()
    # a fresh target for a function beside this one, reached the same way (the twins, and the
    # function again for the side-by-side measurement)
    make_target: Callable[[str], Target] | None = None
    s3: Any = None  # --variant-bucket's client


@contextlib.contextmanager
def prepare(plan: RunPlan, hooks: Hooks | None = None) -> Iterator[Ready]:
    """Open the plan's target (for ``--local`` the embedded runtime, closed on exit), describe
    the function and build the search."""
    hooks = hooks or Hooks()
    catalog = load_catalog(plan.catalog_path)
    variants = parse_variants(plan.variants)  # bad input before anything starts
    if plan.compare and any(v.architecture == "arm64" and v.runtime is None for v in variants):
        raise InputError(
            "--compare and --variant arch=arm64 both measure arm64: give one (--variant creates "
            "and deletes its own twin)"
        )
    with contextlib.ExitStack() as stack:
        runtime: Callable[[], Any] | None = None
        concurrency = plan.concurrency or DEFAULT_AWS_CONCURRENCY
        make_target: Callable[[str], Target] | None = None
        if plan.target.kind == "local":
            target, endpoint_url, cpu_mode, server = stack.enter_context(_local_target(plan, hooks))
            make_target = functools.partial(_local_function, server, plan)
            runtime = server.runtime_info
            concurrency = fit_concurrency(
                plan.concurrency, server.lanes, server.host_cpus.count, hooks.note
            )
        elif plan.target.kind == "replay":
            target, endpoint_url, cpu_mode = _replay_target(plan), None, None
        else:
            target, endpoint_url, cpu_mode = _aws_target(plan), plan.target.endpoint_url, None
            make_target = functools.partial(_aws_target, plan)
            found = endpoint_runtime(endpoint_url)  # a powertune local runtime behind it?
            if found is not None:
                cpu_mode = found.cpu_mode
                concurrency = fit_concurrency(
                    plan.concurrency, found.lanes, found.available_cpus, hooks.note
                )
                runtime = functools.partial(_refetch, endpoint_url, found)
        info = target.describe()
        validate.priceable(catalog, info.region, info.architecture, plan.savings_plan)
        sizes = _search_sizes(plan, target)
        twins, s3 = _plan_twins(plan, target, info, variants) if variants else ((), None)
        cold_share = (
            plan.cold_share
            if plan.cold_share is not None
            else find_cold_share(target, info, plan.traffic_days, hooks.note)
        )
        yield Ready(
            plan=plan,
            target=target,
            info=info,
            search=make_search(plan, sizes, info, catalog, cold_share),
            catalog=catalog,
            sizes=sizes,
            kind=plan.target.kind,
            endpoint_url=endpoint_url,
            cpu_mode=cpu_mode,
            hooks=hooks,
            concurrency=concurrency,
            runtime=runtime,
            cold_share=cold_share,
            twins=twins,
            make_target=make_target,
            s3=s3,
        )


def find_cold_share(
    target: Target, info: FunctionInfo, days: int, note: Callable[[str], None]
) -> float:
    """The function's own cold-start share over the last ``days`` days, from its REPORT lines
    (0 when its logs are missing or unreadable, or for targets with no logs: say so for AWS)."""
    import time

    from powertune.collectors.coldshare import cold_share_from_logs
    from powertune.tune.targets.aws import AwsLambdaTarget

    if not isinstance(target, AwsLambdaTarget):
        return 0.0
    now = int(time.time() * 1000)
    found = cold_share_from_logs(
        target.logs,
        target.log_group,
        start_time_ms=now - days * 86_400_000,
        end_time_ms=now,
        log_format=info.log_format,
    )
    if found is None:
        note(
            f"note: no cold-start share in {target.log_group} over {days} days; INIT is "
            "priced as never billed (set --cold-share F)"
        )
        return 0.0
    note(
        f"note: {found.share:.1%} of {found.reports} invocations in the last {days} days were "
        "cold starts (the function's REPORT lines): their INIT is priced in (--cold-share F "
        "overrides)"
    )
    return found.share


def _refetch(endpoint_url: str | None, found: Any) -> Any:
    return endpoint_runtime(endpoint_url) or found


def tune(plan: RunPlan, hooks: Hooks | None = None) -> Result:
    """The whole run: prepare, measure, build the Result."""
    with prepare(plan, hooks) as ready:
        return run(ready)


# -- targets --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _local_target(plan: RunPlan, hooks: Hooks) -> Iterator[tuple[Target, str, str, Any]]:
    """Start the embedded runtime, deploy the handler, and reach it through boto3 like AWS."""
    from powertune.local import LocalLambda

    spec = plan.target
    assert spec.local is not None
    path = Path(spec.local.split(":", 1)[0])
    if not path.exists():
        raise InputError(f"--local: no such handler file or directory: {path}")
    name = "powertune-local-" + "".join(c if c.isalnum() else "-" for c in path.stem)[:40]
    # No throttling: invocations beyond what the CPUs run at once wait in the runtime, unbilled.
    with LocalLambda(cpu=spec.cpu) as server:
        server.add_function(
            name, spec.local, MemorySize=spec.local_memory_mb, Timeout=spec.local_timeout_s
        )
        target = _local_function(server, plan, name)
        hooks.note(
            f"local runtime at {server.endpoint_url}, CPU mode: {server.cpu_mode} "
            f"({server.cpu_reason}); {server.host_cpus.count:g} CPUs ({server.host_cpus.source})"
        )
        yield target, server.endpoint_url, server.cpu_mode, server


def _local_function(server: Any, plan: RunPlan, name: str) -> AwsLambdaTarget:
    """A function of the embedded runtime, reached through boto3 as on AWS."""
    import boto3

    from powertune.tune.targets.aws import AwsLambdaTarget

    session = boto3.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    )
    return AwsLambdaTarget(
        name,
        boto3_session=session,
        endpoint_url=server.endpoint_url,
        logs_endpoint_url=server.endpoint_url,  # the embedded runtime serves Logs too
        alias_prefix=plan.target.alias_prefix,
        log_wait_s=5.0,
    )


def _plan_twins(
    plan: RunPlan, target: Target, info: FunctionInfo, variants: tuple[Variant, ...]
) -> tuple[tuple[TwinPlan, ...], Any]:
    """Check every variant and build its twin's request before anything is changed (a refusal
    is one line, exit 2); with it, --variant-bucket's S3 client."""
    from powertune.tune.targets.aws import AwsLambdaTarget
    from powertune.tune.targets.twins import plan_twins

    if not isinstance(target, AwsLambdaTarget):
        raise InputError("--variant needs a deployed or --local function")
    ecr = s3 = None
    if plan.target.kind == "aws":  # the local runtime serves Lambda only: images need ECR
        from powertune import awsenv

        session = awsenv.session(plan.target.profile, plan.target.region or info.region)
        ecr = session.client("ecr", region_name=info.region)
        if plan.variant_bucket is not None:
            s3 = session.client("s3", region_name=info.region)
    found = plan_twins(
        target.client,
        info.name,
        variants,
        target.run_id,
        bucket=plan.variant_bucket,
        ecr=ecr,
    )
    return tuple(found), s3


def _replay_target(plan: RunPlan) -> Target:
    from powertune.tune.plan import DEFAULT_REPLAY_REGION
    from powertune.tune.targets.replay import ReplayTarget

    spec = plan.target
    assert spec.replay is not None
    return ReplayTarget(
        spec.replay,
        extrapolate=spec.extrapolate,
        seed=plan.seed,
        architecture=spec.arch,
        region=spec.region or DEFAULT_REPLAY_REGION,
        name=spec.function,
    )


def _aws_target(plan: RunPlan, function: str | None = None) -> AwsLambdaTarget:
    """The plan's deployed function, or ``function`` (the ``--compare`` twin) beside it."""
    from powertune.tune.targets.aws import AwsLambdaTarget

    spec = plan.target
    name = function or spec.function
    assert name is not None
    return AwsLambdaTarget(
        name,
        region=spec.region,
        profile=spec.profile,
        endpoint_url=spec.endpoint_url,
        logs_endpoint_url=spec.monitoring_endpoint_url,
        alias_prefix=spec.alias_prefix,
        # the twin runs at the same concurrency
        max_connections=max(plan.concurrency or DEFAULT_AWS_CONCURRENCY, 10),
    )


# -- the search -----------------------------------------------------------------------------------


def _search_sizes(plan: RunPlan, target: Target) -> tuple[int, ...] | None:
    """The plan's sizes; for a replay, its recorded sizes (``--memory recorded``) or, adaptive
    and without ``--memory``, its recorded range."""
    if plan.memory.recorded:
        return tuple(target.recorded_sizes or ())
    if target.memory_range and plan.memory.sizes is None and plan.adaptive:
        return tuple(target.memory_range)
    return plan.memory.sizes


def make_search(
    plan: RunPlan,
    sizes: tuple[int, ...] | None,
    info: FunctionInfo,
    catalog: Catalog,
    cold_share: float = 0.0,
) -> Search:
    """The plan's search over ``sizes``: a list to choose from when the plan's memory is one
    (``--memory 128,256,512`` or ``recorded``), the ends of a range otherwise."""
    if not plan.adaptive:
        return GridSearch(list(sizes or REFERENCE_GRID), plan.invocations)
    low, high = (min(sizes), max(sizes)) if sizes else DEFAULT_RANGE_MB
    if low == high:
        raise InputError(
            "--search adaptive needs a memory range or two or more sizes, e.g. --memory 128..3008"
        )
    spec, budget = plan.strategy, plan.budget
    free = plan.target.kind == "local"  # invocations cost nothing but time: measure until it holds
    return AdaptiveSearch(
        low,
        high,
        lattice=list(sizes) if sizes and plan.memory.candidates else None,
        confirm=plan.confirm,
        confirm_sizes=baseline_sizes(plan.baseline, info.name) if plan.confirm else (),
        tolerance=plan.tolerance,
        confidence=plan.confidence,
        strategy=spec.name,
        catalog=catalog,
        region=info.region,
        arch=info.architecture,
        seed=plan.seed,
        max_invocations=budget.max_invocations or (FREE_MAX_INVOCATIONS if free else None),
        max_spend_usd=float(budget.max_spend_usd) if budget.max_spend_usd is not None else None,
        time_budget_s=budget.time_s if free else None,
        balanced_weight=spec.balanced_weight,
        max_p95_ms=spec.max_p95_ms,
        percentile=spec.percentile,
        tie_band=spec.tie_band,
        cold_share=cold_share,
    )


def baseline_sizes(baseline: str | None, name: str) -> tuple[int, ...]:
    """The size the baseline recommended for this function (a gate compares there), if any.
    An unreadable baseline is the gate's to report, after the run."""
    if not baseline:
        return ()
    from powertune.results.jsonio import load_result

    try:
        found = load_result(baseline).function(name)
    except (PowertuneError, OSError, ValueError):
        return ()
    rec = found.recommendation if found else None
    return (rec.memory_mb,) if rec else ()


def tune_settings(plan: RunPlan, concurrency: int | None = None) -> TuneSettings:
    return TuneSettings(
        concurrency=concurrency or plan.concurrency or DEFAULT_AWS_CONCURRENCY,
        warmup=plan.warmup,
        cold_starts=plan.cold_starts,
        allowed_errors=plan.allowed_errors,
        max_spend_usd=plan.budget.max_spend_usd,
        max_invocations=plan.budget.max_invocations
        or (FREE_MAX_INVOCATIONS if plan.target.kind == "local" and plan.adaptive else None),
        sleep_between_ms=plan.sleep_between_ms,
    )


def build_options(
    plan: RunPlan, sizes: tuple[int, ...] | None, cold_share: float = 0.0
) -> BuildOptions:
    spec = plan.strategy
    return BuildOptions(
        strategy=spec.name,
        tie_band=spec.tie_band,
        scoring=spec.scoring,
        cold_share=cold_share,
        balanced_weight=spec.balanced_weight,
        max_p95_ms=spec.max_p95_ms,
        percentile=spec.percentile,
        trim=plan.trim,
        free_tier=plan.free_tier,
        savings_plan=plan.savings_plan,
        seed=plan.seed,
        memory_range=(min(sizes), max(sizes)) if sizes and plan.adaptive else None,
    )


# -- the dry run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DryRun:
    """What a run would measure and spend (``--dry-run``): nothing is changed to find out."""

    info: FunctionInfo
    description: str
    sizes: tuple[int, ...]
    invocations: int  # at most, warm-ups included
    usd_per_100ms: Decimal  # the spend for every 100 ms of average duration
    worst_usd: Decimal  # if every call ran to its timeout
    timeout_s: int
    variants: tuple[str, ...] = ()  # --variant: each twin, in words (its invocations counted)
    side_invocations: int = 0  # of ``invocations``, the side-by-side rounds' (--variant)

    @property
    def phases(self) -> tuple[int, ...]:
        """The invocations of each measuring phase in order (the search, then side by side)."""
        search = self.invocations - self.side_invocations
        return (search, self.side_invocations) if self.side_invocations else (search,)


def price_dry_run(ready: Ready) -> DryRun:
    plan, info, search = ready.plan, ready.info, ready.search
    outline = search.outline(plan.warmup)
    sizes, counts, description = list(outline.counts), outline.counts, outline.description
    timeout_ms = (info.timeout_s or 900) * 1000
    price = Pricer(ready.catalog, info.region, info.architecture, info.ephemeral_mb).invocation
    priced = [(price, counts)]
    words = []
    if ready.twins:  # the function and each twin again, side by side, at the sizes measured
        side = {m: max(plan.invocations, TWIN_MIN_INVOCATIONS) + plan.warmup for m in counts}
        priced.append((price, side))
        for twin in ready.twins:
            arch = (twin.request.get("Architectures") or [info.architecture])[0]
            own = Pricer(ready.catalog, info.region, arch, info.ephemeral_mb).invocation
            priced.append((own, side))
            words.append(
                f"{twin.variant.label} on a temporary twin (created for the run, deleted after),"
                " measured side by side with the function at the sizes it measures"
            )
    return DryRun(
        info=info,
        description=description,
        sizes=tuple(sizes),
        invocations=sum(n for _p, c in priced for n in c.values()),
        usd_per_100ms=sum((p(m, 100) * n for p, c in priced for m, n in c.items()), Decimal(0)),
        worst_usd=sum((p(m, timeout_ms) * n for p, c in priced for m, n in c.items()), Decimal(0)),
        timeout_s=timeout_ms // 1000,
        variants=tuple(words),
        side_invocations=sum(n for _p, c in priced[1:] for n in c.values()),
    )


# -- the run --------------------------------------------------------------------------------------


def run(ready: Ready) -> Result:
    """Measure (the target is restored whatever happens), then decide and price the Result.
    With --variant, the twins are created first and deleted at the end, whatever happens."""
    if not ready.twins:
        return _run(ready)
    from powertune.tune.targets.aws import AwsLambdaTarget
    from powertune.tune.targets.twins import twins_of

    assert isinstance(ready.target, AwsLambdaTarget)
    _check_spend_before_twins(ready)
    plans = list(ready.twins)
    note = ready.hooks.note
    with twins_of(
        ready.target.client, plans, s3=ready.s3, bucket=ready.plan.variant_bucket, say=note
    ) as made:
        for twin in plans:
            note(f"creating twin {twin.name} ({twin.variant.label})")
            made.create(twin)
        return _run(ready)  # twins_of says which twins it deleted, whatever happens


def _check_spend_before_twins(ready: Ready) -> None:
    """A --max-spend below one invocation at the plan's smallest size, run to the function's
    timeout, is refused (as the tuner refuses it) before any twin is created."""
    budget = ready.plan.budget.max_spend_usd
    sizes = _first_sizes(ready)
    if budget is None or not sizes:
        return
    info = ready.info
    memory_mb = min(sizes)
    timeout = info.timeout_s or 900
    pricer = Pricer(ready.catalog, info.region, info.architecture, info.ephemeral_mb)
    each = pricer.invocation(memory_mb, timeout * 1000)
    if each > budget:
        raise BudgetTooSmall.at(budget, memory_mb, each, timeout)


def _first_sizes(ready: Ready) -> tuple[int, ...]:
    """The sizes the plan's search starts with (the dry run's)."""
    return tuple(ready.search.outline(ready.plan.warmup).counts)


def _run(ready: Ready) -> Result:
    plan, hooks = ready.plan, ready.hooks
    settings = tune_settings(plan, ready.concurrency)
    with hooks.progress() as observer:
        outcome = Tuner(
            ready.target,
            ready.search,
            plan.payloads,
            settings,
            catalog=ready.catalog,
            observer=observer,
        ).run()
    require_measured(outcome)  # every size failed: exit 3 with the reasons, already restored
    if plan.adaptive:  # a grid's plan already said so, before anything was invoked
        for note in unsent_payload_notes(outcome.observations, len(plan.payloads.items)):
            hooks.note(f"note: {note}")
    traffic = find_traffic(ready)
    options = build_options(plan, ready.sizes, ready.cold_share)
    if plan.compare:
        twin = measure_twin(ready, outcome, options)
        options = dataclasses.replace(options, arm64_twin=twin)
    variants: tuple[VariantResult, ...] = ()
    if ready.twins:
        variants = measure_variants(ready, outcome, options, traffic)
    return build_result(
        outcome,
        search=ready.search,
        catalog=ready.catalog,
        run=_run_record(ready, outcome),
        options=options,
        traffic=traffic,
        payload_sha256=plan.payloads.sha256,
        variants=variants,
    )


LOCAL_VARIANT_NOTE = (
    "the local runtime runs the host's Python whatever the twin's runtime, and does not emulate "
    "the instruction set: the twin's figures test the flow (create, measure, price, delete), not "
    "the variant's speed"
)


def measure_variants(
    ready: Ready, outcome: TuneOutcome, options: BuildOptions, traffic: TrafficFigures
) -> tuple[VariantResult, ...]:
    """The function and each twin side by side (``sidebyside``) at the sizes the function's own
    run measured, the same payloads, interleaved; each twin decided and priced at its rates. The
    run's totals take in what this spent."""
    plan = ready.plan
    assert ready.make_target is not None
    sizes = tuple(
        m
        for m in outcome.observations.measured_sizes()
        if any(s.ok for s in outcome.observations.samples.get(m, []))
    )
    arms = [Arm(label="function", target=ready.make_target(ready.info.name))]
    arms += [Arm(label=t.variant.label, target=ready.make_target(t.name)) for t in ready.twins]
    rounds = max(plan.invocations, TWIN_MIN_INVOCATIONS)
    labels = ", ".join(t.variant.label for t in ready.twins)
    ready.hooks.note(
        f"measuring {labels} side by side with the function: {len(sizes)} sizes x {rounds} "
        "rounds, invocations interleaved"
    )
    settings = tune_settings(plan, ready.concurrency)
    with ready.hooks.progress() as observer:
        side = measure_side_by_side(
            arms,
            sizes,
            rounds,
            plan.payloads,
            settings,
            catalog=ready.catalog,
            observer=observer,
            spent_usd=outcome.spend_usd,
            invoked=outcome.observations.invocations,
        )
    if side.stop_reason:
        ready.hooks.note(f"note: the side-by-side measurement stopped early: {side.stop_reason}")
    outcome.spend_usd += side.spend_usd
    outcome.billed_gb_s += side.billed_gb_s
    outcome.invocations += side.invocations
    outcome.wall_s += side.wall_s
    local = ready.kind == "local" or ready.runtime is not None
    notes = (LOCAL_VARIANT_NOTE,) if local else ()
    decision = decide(outcome, ready.search, ready.catalog, options)  # the run's choice
    return variant_results(
        side,
        ready.catalog,
        options,
        traffic,
        notes=notes,
        function_mb=decision.choice.memory_mb if decision is not None else None,
    )


def _run_record(ready: Ready, outcome: TuneOutcome) -> Run:
    plan = ready.plan
    replay = None
    if ready.kind == "replay":
        prov = ready.target.provenance
        replay = Replay(
            source=str(prov.get("source", plan.target.replay)),
            rows=int(prov.get("rows", 0)),
            noise_model=prov.get("noise_model"),
        )
    local = None
    if ready.runtime is not None:
        info = ready.runtime()
        for note in trust_notes(info):
            ready.hooks.note(f"warning: {note}")  # how far to trust local figures
        local = local_record(info)
    return Run(
        target=ready.kind,  # type: ignore[arg-type]
        endpoint_url=ready.endpoint_url,
        cpu_mode=ready.cpu_mode,
        local=local,
        replay=replay,
        search=plan.search,  # type: ignore[arg-type]
        strategy=plan.strategy.name,
        payload_sha256=plan.payloads.sha256,
        tolerance=plan.tolerance if plan.adaptive else None,
        confidence=plan.confidence if plan.adaptive else None,
        stop_reason=outcome.stop_reason,
    )


def measure_twin(ready: Ready, outcome: TuneOutcome, options: BuildOptions) -> Any:
    """Measure the arm64 twin at the size recommended for the function (same payloads), for an
    exact architecture comparison instead of an estimate."""
    from powertune.recommend.priced import Arm64Twin

    plan = ready.plan
    assert plan.compare is not None
    decision = decide(outcome, ready.search, ready.catalog, options)
    if decision is None:
        raise InputError("--compare: nothing was measured on the function to compare with")
    memory = decision.choice.memory_mb
    twin = _aws_target(plan, plan.compare)
    architecture, name = twin.describe().architecture, twin.name
    if architecture != "arm64":
        raise InputError(f"--compare names an arm64 twin; {name} is {architecture}")
    with ready.hooks.progress() as observer:
        measured = Tuner(
            twin,
            GridSearch([memory], max(plan.invocations, TWIN_MIN_INVOCATIONS)),
            plan.payloads,
            tune_settings(plan, ready.concurrency),
            catalog=ready.catalog,
            observer=observer,
        ).run()
    billed = [
        s.billed_ms
        for s in measured.observations.samples.get(memory, [])
        if s.ok and not s.cold and s.billed_ms
    ]
    if not billed:
        raise InputError(f"--compare: {name} gave no successful warm invocation at {memory} MB")
    mean = Decimal(sum(billed)) / len(billed)
    return Arm64Twin(memory_mb=memory, billed_ms=mean, function=name)


def find_traffic(ready: Ready) -> TrafficFigures:
    """The function's traffic for dollars per month: the plan's figure, else CloudWatch's
    Invocations over the plan's days (deployed functions only), else unknown."""
    plan, info, note = ready.plan, ready.info, ready.hooks.note
    if plan.monthly_invocations is not None:
        return TrafficFigures(monthly_invocations=plan.monthly_invocations, source="flag")
    if ready.kind != "aws":
        note("note: $/month needs the function's traffic: pass --monthly-invocations N")
        return TrafficFigures()
    from powertune.collectors.metrics import function_traffic

    spec = plan.target
    if spec.endpoint_url and not spec.monitoring_endpoint_url:
        # --endpoint-url is Lambda's: a local runtime or moto there says nothing of AWS's
        # CloudWatch, and asking AWS about a function it may not have is a wrong answer
        note(
            "note: $/month needs the function's traffic: --endpoint-url is Lambda's only; pass "
            "--monitoring-endpoint-url for CloudWatch, or --monthly-invocations N"
        )
        return TrafficFigures()
    try:
        from powertune import awsenv

        session = awsenv.session(spec.profile, spec.region or info.region)
        found = function_traffic(
            info.name,
            days=plan.traffic_days,
            boto3_session=session,
            region=spec.region or info.region,
            # CloudWatch's own endpoint: --endpoint-url is Lambda's (a local runtime has no
            # GetMetricData)
            endpoint_url=spec.monitoring_endpoint_url,
        )
    except PowertuneError as exc:
        note(f"note: no traffic from CloudWatch ({exc}); pass --monthly-invocations for $/month")
        return TrafficFigures()
    return TrafficFigures(
        monthly_invocations=found.monthly_invocations,
        source="cloudwatch",
        peak_concurrency=found.peak_concurrency,
        log_bytes_per_invocation=found.log_bytes_per_invocation,
    )
