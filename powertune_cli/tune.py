"""`powertune tune` (measure, fit, recommend) and `powertune cleanup` (undo an interrupted run)."""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from powertune.errors import InputError
from powertune.plan import (
    REFERENCE_GRID,
    parse_function,
    parse_memory,
    parse_money,
    parse_payload,
    parse_payloads_file,
    parse_power_tuning_input,
)
from powertune.result_builder import BuildOptions, Traffic, build_result
from powertune.results import Replay, Run, write_result
from powertune.results.jsonio import dumps_result
from powertune.search.adaptive import AdaptiveSearch
from powertune.search.grid import GridSearch
from powertune.search.interface import Search
from powertune.targets.interface import FunctionInfo, Sample, Target
from powertune.tuner import Observer, Tuner, TuneSettings
from powertune_cli.common import handle_errors

err = Console(stderr=True)


class SearchKind(str, enum.Enum):
    adaptive = "adaptive"
    grid = "grid"


class StrategyKind(str, enum.Enum):
    cost = "cost"
    speed = "speed"
    balanced = "balanced"
    slo = "slo"


class CpuKind(str, enum.Enum):
    auto = "auto"
    cgroup = "cgroup"
    model = "model"


class ProgressObserver(Observer):
    """Shows the run on stderr with a rich progress bar."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=quiet,
        )
        self.task = self.progress.add_task("starting", total=0)
        self.current = ""

    def __enter__(self) -> ProgressObserver:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _log(self, text: str) -> None:
        if not self.quiet:
            self.progress.console.print(text, highlight=False)

    def on_start(self, info: FunctionInfo) -> None:
        self._log(
            f"tuning {info.name} ({info.architecture}, {info.region}, "
            f"now {info.memory_mb} MB, log format {info.log_format})"
        )

    def on_configure(self, memory_mb: int) -> None:
        self.progress.update(self.task, description=f"configuring {memory_mb} MB")
        self._log(f"configuring {memory_mb} MB")

    def on_planned(self, count: int) -> None:
        total = (self.progress.tasks[0].total or 0) + count
        self.progress.update(self.task, total=total, description="invoking")

    def on_sample(self, sample: Sample, *, warmup: bool) -> None:
        if not warmup:
            self.progress.advance(self.task)

    def on_skip(self, memory_mb: int, reason: str) -> None:
        self._log(f"[yellow]skipping {memory_mb} MB: {reason}[/yellow]")

    def on_message(self, text: str) -> None:
        err.print(text, highlight=False)

    def on_restore(self, state: str) -> None:
        if state == "start":
            self.progress.update(self.task, description="restoring")
            self._log("restoring the configuration; deleting tuning aliases and versions")
        else:
            self._log("restored: original configuration back, tuning aliases and versions deleted")


def _split_csv(value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split(",") if v.strip())


def _search(
    kind: SearchKind,
    sizes: list[int] | None,
    invocations: int,
    info: FunctionInfo,
    catalog: Any,
    *,
    strategy: str,
    tolerance: float,
    confidence: float,
    seed: int,
    max_invocations: int | None,
    max_spend: Decimal | None,
    balanced_weight: float,
    max_p95_ms: float | None,
    percentile: int,
) -> Search:
    if kind is SearchKind.grid:
        return GridSearch(sizes or REFERENCE_GRID, invocations)
    low, high = (min(sizes), max(sizes)) if sizes else (128, 10240)
    if low == high:
        raise InputError("--search adaptive needs a memory range, e.g. --memory 128..3008")
    return AdaptiveSearch(
        low,
        high,
        tolerance=tolerance,
        confidence=confidence,
        strategy=strategy,
        catalog=catalog,
        region=info.region,
        arch=info.architecture,
        seed=seed,
        max_invocations=max_invocations,
        max_spend_usd=float(max_spend) if max_spend is not None else None,
        balanced_weight=balanced_weight,
        max_p95_ms=max_p95_ms,
        percentile=percentile,
    )


@contextlib.contextmanager
def _local_target(
    spec: str,
    *,
    cpu: CpuKind,
    memory_mb: int,
    timeout_s: int,
    concurrency: int,
    alias_prefix: str,
) -> Iterator[tuple[Target, dict[str, Any]]]:
    """Start the embedded runtime, deploy the handler, and reach it through boto3 like AWS."""
    import boto3

    from powertune.local import LocalLambda
    from powertune.targets.aws import AwsLambdaTarget

    path = Path(spec.split(":", 1)[0])
    if not path.exists():
        raise InputError(f"--local: no such handler file or directory: {path}")
    name = "powertune-local-" + "".join(c if c.isalnum() else "-" for c in path.stem)[:40]
    with LocalLambda(cpu=cpu.value, concurrency=max(concurrency, 1) * 2) as server:
        server.add_function(name, spec, MemorySize=memory_mb, Timeout=timeout_s)
        session = boto3.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
        )
        target = AwsLambdaTarget(
            name,
            boto3_session=session,
            endpoint_url=server.endpoint_url,
            alias_prefix=alias_prefix,
            log_wait_s=5.0,
        )
        provenance = {"target": "local", "endpoint_url": server.endpoint_url}
        provenance["cpu_mode"] = server.cpu_mode
        err.print(
            f"local runtime at {server.endpoint_url}, CPU mode: {server.cpu_mode} "
            f"({server.cpu_reason})",
            highlight=False,
        )
        yield target, provenance


def _dry_run(
    target: Target, search: Search, settings: TuneSettings, catalog: Any, invocations: int
) -> None:
    from pricing.cost import invocation_cost

    info = target.describe()
    if isinstance(search, GridSearch):
        sizes = search.sizes
        counts = {m: invocations + settings.warmup for m in sizes}
        description = f"grid search: {len(sizes)} sizes x {invocations} invocations"
    else:
        assert isinstance(search, AdaptiveSearch)
        sizes = list(search.initial)
        counts = {m: 0 for m in sizes}
        description = (
            f"adaptive search over {search.min_mb}-{search.max_mb} MB: starts at "
            f"{', '.join(map(str, sizes))} MB, stops at {search.tolerance:.0%} tolerance "
            f"({search.confidence:.0%} confidence) or {search.max_invocations} invocations"
        )
        per = search.max_invocations // max(len(sizes), 1)
        counts = {m: per for m in sizes}
    timeout_ms = (info.timeout_s or 900) * 1000

    def price(memory: int, billed: int) -> Decimal:
        return invocation_cost(
            catalog,
            region=info.region,
            arch=info.architecture,
            memory_mb=memory,
            billed_ms=billed,
            ephemeral_mb=info.ephemeral_mb,
        )

    worst = sum((price(m, timeout_ms) * n for m, n in counts.items()), Decimal(0))
    per_100ms = sum((price(m, 100) * n for m, n in counts.items()), Decimal(0))
    print(f"plan for {info.name} ({info.architecture}, {info.region}, now {info.memory_mb} MB):")
    print(f"  {description}")
    print(f"  sizes: {', '.join(f'{m} MB' for m in sizes)}")
    print(f"  invocations: up to {sum(counts.values())} (warm-ups included)")
    print(f"  spend: ${per_100ms:.6f} for every 100 ms of average duration;")
    print(f"         at most ${worst:.4f} if every call ran to its {timeout_ms // 1000} s timeout")
    print("  nothing was changed (--dry-run)")


def register(app: typer.Typer) -> None:
    app.command("tune")(tune)
    app.command("cleanup")(cleanup_command)


@handle_errors
def tune(
    function: str | None = typer.Argument(
        None, help="Function name or ARN (a qualified ARN tunes its function)."
    ),
    memory: str | None = typer.Option(
        None,
        "--memory",
        help="Sizes `128,256,512` or a range `128..3008` "
        "(adaptive default 128..10240; grid default the reference grid).",
    ),
    invocations: int | None = typer.Option(
        None, "--invocations", min=1, help="Invocations per size (grid search; default 10)."
    ),
    search_kind: SearchKind | None = typer.Option(
        None,
        "--search",
        help="adaptive (fit, stop when sure) or grid (every size, like aws-lambda-power-tuning).",
    ),
    strategy: StrategyKind | None = typer.Option(None, "--strategy", help="Default: cost."),
    balanced_weight: float | None = typer.Option(
        None, "--balanced-weight", min=0.0, max=1.0, help="0 = all speed, 1 = all cost (0.5)."
    ),
    max_p95_ms: float | None = typer.Option(
        None, "--max-p95-ms", help="Latency limit for --strategy slo."
    ),
    percentile: int = typer.Option(
        95, "--percentile", help="95 or 99: the percentile --max-p95-ms limits."
    ),
    tolerance: float | None = typer.Option(
        None, "--tolerance", help="Stop when the choice is within this of the best cost (0.01)."
    ),
    confidence: float = typer.Option(0.95, "--confidence"),
    payload: str | None = typer.Option(None, "--payload", help="JSON payload, or @file."),
    payloads: str | None = typer.Option(
        None,
        "--payloads",
        help='File: [{"payload": ..., "weight": n}] or JSONL (one payload per invocation).',
    ),
    warmup: int = typer.Option(
        1, "--warmup", min=0, help="Invocations per size before measuring (discarded)."
    ),
    cold_starts: bool = typer.Option(
        False,
        "--cold-starts",
        help="Every measured invocation is a cold start (a fresh version each).",
    ),
    allowed_errors: str | None = typer.Option(
        None, "--allowed-errors", help="Error types that do not disqualify a size, comma-separated."
    ),
    concurrency: int = typer.Option(
        10, "--concurrency", min=1, help="Invocations in flight at once."
    ),
    max_spend: str | None = typer.Option(
        None, "--max-spend", help="Stop before the run spends more than this (USD)."
    ),
    max_invocations: int | None = typer.Option(None, "--max-invocations", min=1),
    region: str | None = typer.Option(None, "--region"),
    profile: str | None = typer.Option(None, "--profile"),
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", help="Another Lambda endpoint (a local runtime, moto, LocalStack)."
    ),
    local: str | None = typer.Option(
        None,
        "--local",
        help="PATH[:module.handler]: start the embedded runtime, deploy the handler and tune it.",
    ),
    local_memory: int = typer.Option(
        1024, "--local-memory", help="The --local function's configured memory (MB)."
    ),
    local_timeout: int = typer.Option(
        60, "--local-timeout", help="The --local function's timeout (s)."
    ),
    cpu: CpuKind = typer.Option(
        CpuKind.auto, "--cpu", help="--local CPU control: auto, cgroup or model."
    ),
    replay: str | None = typer.Option(
        None,
        "--replay",
        help="Tune recorded measurements: a CSV file or an aws-lambda-power-tuning result URL.",
    ),
    extrapolate: bool = typer.Option(
        False, "--extrapolate", help="--replay: allow sizes outside the recorded range."
    ),
    arch: str = typer.Option("x86_64", "--arch", help="--replay: the architecture to price."),
    from_power_tuning: str | None = typer.Option(
        None, "--from-power-tuning", help="Read aws-lambda-power-tuning's input JSON."
    ),
    alias_prefix: str = typer.Option("powertune-", "--alias-prefix"),
    compare: str | None = typer.Option(
        None, "--compare", help="An arm64 twin (name or ARN): measure it at the recommended size."
    ),
    monthly_invocations: int | None = typer.Option(
        None,
        "--monthly-invocations",
        min=0,
        help="Traffic for $/month (default: CloudWatch over --days).",
    ),
    days: int = typer.Option(14, "--days", help="CloudWatch window for the function's traffic."),
    free_tier: bool = typer.Option(
        False,
        "--free-tier/--no-free-tier",
        help="Apply the monthly free tier to $/month (off: most accounts use it up elsewhere).",
    ),
    savings_plan: str | None = typer.Option(
        None, "--savings-plan", help="Price $/month under a Compute Savings Plan."
    ),
    catalog_path: str | None = typer.Option(
        None, "--catalog", help="A pricing catalog from `powertune pricing refresh`."
    ),
    json_out: str | None = typer.Option(
        None, "--json", help="Write the result JSON to FILE, or - for stdout."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the plan and the spend estimate; change nothing."
    ),
    seed: int = typer.Option(0, "--seed"),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
    config_path: str | None = typer.Option(
        None, "--config", help="powertune.toml (default: found from the working directory)."
    ),
    baseline: str | None = typer.Option(
        None, "--baseline", help="Gate this run against a baseline result (exit 1 on regression)."
    ),
    max_cost_increase: str | None = typer.Option(
        None, "--max-cost-increase", help="With --baseline (5%)."
    ),
    max_p95_increase: str | None = typer.Option(
        None, "--max-p95-increase", help="With --baseline (10%)."
    ),
    max_monthly_increase: str | None = typer.Option(
        None, "--max-monthly-increase", help="With --baseline: USD per month."
    ),
    junit: str | None = typer.Option(None, "--junit", help="With --baseline: write JUnit XML."),
    markdown: str | None = typer.Option(
        None, "--markdown", help="With --baseline: write markdown."
    ),
) -> None:
    """Measure a function across memory sizes, fit duration against memory, and recommend."""
    from powertune.config import load_config
    from pricing.catalog import load_catalog

    trim = 0.2
    config = load_config(config_path)
    name_for_config = function or (Path(local.split(":", 1)[0]).stem if local else None)
    own = config.for_function(name_for_config) if name_for_config else config.defaults
    settings_file = own.with_flags(
        memory=memory,
        invocations=invocations,
        search=search_kind.value if search_kind else None,
        strategy=strategy.value if strategy else None,
        balanced_weight=balanced_weight,
        max_p95_ms=max_p95_ms,
        tolerance=tolerance,
        monthly_invocations=monthly_invocations,
    )
    memory = settings_file.memory
    invocations = settings_file.invocations or 10
    search_kind = SearchKind(settings_file.search or "adaptive")
    strategy = StrategyKind(settings_file.strategy or "cost")
    balanced_weight = (
        settings_file.balanced_weight if settings_file.balanced_weight is not None else 0.5
    )
    max_p95_ms = settings_file.max_p95_ms
    if max_p95_ms is None and settings_file.max_p99_ms is not None:
        max_p95_ms, percentile = settings_file.max_p99_ms, 99
    tolerance = settings_file.tolerance if settings_file.tolerance is not None else 0.01
    monthly_invocations = settings_file.monthly_invocations
    if payload is None and payloads is None:
        if settings_file.payload is not None:
            payload = settings_file.payload
        elif settings_file.payload_file is not None:
            payload = "@" + settings_file.payload_file
        payloads = settings_file.payloads_file
    if from_power_tuning:
        pt = parse_power_tuning_input(from_power_tuning)
        function = function or pt.function
        memory = memory or ",".join(map(str, pt.memory))
        invocations = pt.invocations
        payload_set = pt.payloads
        strategy = StrategyKind(pt.strategy)
        balanced_weight = pt.balanced_weight
        cold_starts = cold_starts or pt.cold_starts
        search_kind = SearchKind.grid
        trim = pt.trim
        if pt.concurrency is not None:
            concurrency = pt.concurrency
        for note in pt.notes:
            err.print(f"note: {note}", highlight=False)
        sleep_ms = pt.sleep_ms
    else:
        sleep_ms = 0
        if payload and payloads:
            raise InputError("use --payload or --payloads, not both")
        payload_set = parse_payloads_file(payloads) if payloads else parse_payload(payload)
    sources = [s for s in (function, local, replay) if s]
    if len(sources) != 1:
        raise InputError("name one function to tune: FUNCTION, --local PATH or --replay FILE")
    if strategy is StrategyKind.slo and not max_p95_ms:
        raise InputError("--strategy slo needs --max-p95-ms")
    if percentile not in (95, 99):
        raise InputError("--percentile must be 95 or 99")
    if not 0 < tolerance < 1 or not 0 < confidence < 1:
        raise InputError("--tolerance and --confidence must be between 0 and 1")
    if function:
        parse_function(function)  # a bad name fails before anything is touched
    sizes = parse_memory(memory, step=64) if memory else None
    if sizes and search_kind is SearchKind.grid and memory and ".." in memory:
        sizes = parse_memory(memory, step=128)
    spend_limit = parse_money(max_spend, "--max-spend")
    catalog = load_catalog(catalog_path)
    settings = TuneSettings(
        concurrency=concurrency,
        warmup=warmup,
        cold_starts=cold_starts,
        allowed_errors=_split_csv(allowed_errors),
        max_spend_usd=spend_limit,
        max_invocations=max_invocations,
        sleep_between_ms=sleep_ms,
    )
    with contextlib.ExitStack() as stack:
        if local:
            target, provenance = stack.enter_context(
                _local_target(
                    local,
                    cpu=cpu,
                    memory_mb=local_memory,
                    timeout_s=local_timeout,
                    concurrency=concurrency,
                    alias_prefix=alias_prefix,
                )
            )
        elif replay:
            from powertune.targets.replay import ReplayTarget

            target = ReplayTarget(
                replay,
                extrapolate=extrapolate,
                seed=seed,
                architecture=arch,
                region=region or "us-east-1",
            )
            provenance = {"target": "replay"}
        else:
            from powertune.targets.aws import AwsLambdaTarget

            assert function is not None
            target = AwsLambdaTarget(
                function,
                region=region,
                profile=profile,
                endpoint_url=endpoint_url,
                alias_prefix=alias_prefix,
                max_connections=max(concurrency, 10),
            )
            provenance = {"target": "aws", "endpoint_url": endpoint_url}
        info = target.describe()
        if replay and sizes is None:
            low, high = target.memory_range  # type: ignore[attr-defined]
            sizes = [low, high] if search_kind is SearchKind.adaptive else None
        search = _search(
            search_kind,
            sizes,
            invocations,
            info,
            catalog,
            strategy=strategy.value,
            tolerance=tolerance,
            confidence=confidence,
            seed=seed,
            max_invocations=max_invocations,
            max_spend=spend_limit,
            balanced_weight=balanced_weight,
            max_p95_ms=max_p95_ms,
            percentile=percentile,
        )
        if dry_run:
            _dry_run(target, search, settings, catalog, invocations)
            return
        observer = stack.enter_context(ProgressObserver(quiet=quiet))
        outcome = Tuner(
            target, search, payload_set, settings, catalog=catalog, observer=observer
        ).run()
        observer.__exit__(None, None, None)
        traffic = _traffic(
            monthly_invocations, days, info, provenance, region, profile, endpoint_url
        )
        memory_range = (
            (min(sizes), max(sizes)) if sizes and search_kind is SearchKind.adaptive else None
        )
        replay_info = None
        if replay:
            prov = target.provenance
            replay_info = Replay(
                source=str(prov.get("source", replay)),
                rows=int(prov.get("rows", 0)),
                noise_model=prov.get("noise_model"),
            )
        run = Run(
            target=provenance["target"],
            endpoint_url=provenance.get("endpoint_url"),
            cpu_mode=provenance.get("cpu_mode"),
            replay=replay_info,
            search=search_kind.value,
            strategy=strategy.value,
            payload_sha256=payload_set.sha256,
            tolerance=tolerance if search_kind is SearchKind.adaptive else None,
            confidence=confidence if search_kind is SearchKind.adaptive else None,
            stop_reason=outcome.stop_reason,
        )
        options = BuildOptions(
            strategy=strategy.value,
            balanced_weight=balanced_weight,
            max_p95_ms=max_p95_ms,
            percentile=percentile,
            trim=trim,
            free_tier=free_tier,
            savings_plan=savings_plan,
            seed=seed,
            memory_range=memory_range,
        )
        if compare:
            twin = _measure_twin(
                compare,
                outcome=outcome,
                search=search,
                catalog=catalog,
                options=options,
                payloads=payload_set,
                settings=settings,
                invocations=invocations,
                region=region,
                profile=profile,
                endpoint_url=endpoint_url,
                alias_prefix=alias_prefix,
                quiet=quiet,
            )
            options = dataclasses.replace(options, arm64_twin=twin)
        result = build_result(
            outcome,
            search=search,
            catalog=catalog,
            run=run,
            options=options,
            traffic=traffic,
            payload_sha256=payload_set.sha256,
        )
    _emit(result, json_out)
    if baseline:
        _gate(
            result,
            baseline,
            config,
            max_cost_increase,
            max_p95_increase,
            max_monthly_increase,
            junit,
            markdown,
        )


def _gate(
    result: Any,
    baseline: str,
    config: Any,
    max_cost_increase: str | None,
    max_p95_increase: str | None,
    max_monthly_increase: str | None,
    junit: str | None,
    markdown: str | None,
) -> None:
    """`tune --baseline`: the same verdict `powertune gate` gives, from this run's result."""
    from powertune.config import parse_percent, parse_usd
    from powertune.gate import compare_to_baseline_file, thresholds_from
    from powertune_cli.report import emit_verdict

    thresholds = thresholds_from(
        config.gate,
        max_cost_increase=parse_percent(max_cost_increase, what="--max-cost-increase")
        if max_cost_increase
        else None,
        max_p95_increase=parse_percent(max_p95_increase, what="--max-p95-increase")
        if max_p95_increase
        else None,
        max_monthly_increase_usd=parse_usd(max_monthly_increase, what="--max-monthly-increase")
        if max_monthly_increase
        else None,
    )
    verdict = compare_to_baseline_file(baseline, result, thresholds)
    emit_verdict(
        verdict,
        junit=Path(junit) if junit else None,
        markdown=Path(markdown) if markdown else None,
    )
    if verdict.exit_code:
        raise typer.Exit(verdict.exit_code)


def _measure_twin(
    function: str,
    *,
    outcome: Any,
    search: Search,
    catalog: Any,
    options: BuildOptions,
    payloads: Any,
    settings: TuneSettings,
    invocations: int,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    alias_prefix: str,
    quiet: bool,
) -> Any:
    """Measure the arm64 twin at the size recommended for the function (same payloads), for an
    exact architecture comparison instead of an estimate."""
    from powertune.recommend.priced import Arm64Twin
    from powertune.result_builder import decide
    from powertune.targets.aws import AwsLambdaTarget

    decision = decide(outcome, search, catalog, options)
    if decision is None:
        raise InputError("--compare: nothing was measured on the function to compare with")
    memory = decision.choice.memory_mb
    twin = AwsLambdaTarget(
        function,
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        alias_prefix=alias_prefix,
    )
    architecture = twin.describe().architecture
    if architecture != "arm64":
        raise InputError(f"--compare names an arm64 twin; {twin.name} is {architecture}")
    with ProgressObserver(quiet=quiet) as observer:
        measured = Tuner(
            twin,
            GridSearch([memory], max(invocations, 10)),
            payloads,
            settings,
            catalog=catalog,
            observer=observer,
        ).run()
    billed = [
        s.billed_ms
        for s in measured.observations.samples.get(memory, [])
        if s.ok and not s.cold and s.billed_ms
    ]
    if not billed:
        raise InputError(
            f"--compare: {twin.name} gave no successful warm invocation at {memory} MB"
        )
    mean = Decimal(sum(billed)) / len(billed)
    return Arm64Twin(memory_mb=memory, billed_ms=mean, function=twin.name)


def _traffic(
    monthly: int | None,
    days: int,
    info: FunctionInfo,
    provenance: dict[str, Any],
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
) -> Traffic:
    if monthly is not None:
        return Traffic(monthly_invocations=monthly, source="flag")
    if provenance["target"] != "aws":
        return Traffic()
    from powertune.collectors.metrics import function_traffic
    from powertune.errors import PowertuneError

    try:
        import boto3

        session = boto3.Session(profile_name=profile, region_name=region or info.region)
        found = function_traffic(
            info.name,
            days=days,
            boto3_session=session,
            region=region or info.region,
            endpoint_url=endpoint_url,
        )
    except PowertuneError as exc:
        err.print(
            f"note: no traffic from CloudWatch ({exc}); pass --monthly-invocations for $/month",
            highlight=False,
        )
        return Traffic()
    return Traffic(
        monthly_invocations=found.monthly_invocations,
        source="cloudwatch",
        peak_concurrency=found.peak_concurrency,
        log_bytes_per_invocation=found.log_bytes_per_invocation,
    )


def _emit(result: Any, json_out: str | None) -> None:
    from powertune.outputs import render_table

    if json_out == "-":
        sys.stdout.write(dumps_result(result))
        err.print(render_table(result), highlight=False)
        return
    if json_out:
        write_result(result, json_out)
        err.print(f"wrote {json_out}", highlight=False)
    print(render_table(result))


@handle_errors
def cleanup_command(
    function: str = typer.Argument(..., help="Function name or ARN."),
    alias_prefix: str = typer.Option("powertune-", "--alias-prefix"),
    region: str | None = typer.Option(None, "--region"),
    profile: str | None = typer.Option(None, "--profile"),
    endpoint_url: str | None = typer.Option(None, "--endpoint-url"),
) -> None:
    """Remove what an interrupted run left: tuning aliases and versions, a changed memory size."""
    from powertune.targets.aws import AwsLambdaTarget, cleanup

    target = AwsLambdaTarget(
        function,
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        alias_prefix=alias_prefix,
    )
    try:
        found = cleanup(target.client, target.name, alias_prefix=alias_prefix)
    except Exception as exc:  # botocore errors: one line, exit 3
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, ClientError | BotoCoreError):
            from powertune.targets.interface import TargetError

            raise TargetError(f"cleanup of {target.name} failed: {exc}") from None
        raise
    if found.empty:
        print(f"{target.name}: nothing to clean up")
        return
    parts = []
    if found.original_memory_mb is not None and found.original_memory_mb != found.memory_mb:
        parts.append(f"memory {found.memory_mb} -> {found.original_memory_mb} MB")
    if found.cold_start_variable:
        parts.append("removed the cold-start environment variable")
    if found.aliases:
        parts.append(f"deleted aliases {', '.join(found.aliases)}")
    if found.versions:
        parts.append(f"deleted versions {', '.join(found.versions)}")
    print(f"{target.name}: " + "; ".join(parts))
