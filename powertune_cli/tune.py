"""`powertune tune` (measure, fit, recommend) and `powertune cleanup` (undo an interrupted run)."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from pathlib import Path
from typing import Any

import typer

from powertune import validate
from powertune.errors import InputError
from powertune.results import Replay, Run, write_result
from powertune.results.jsonio import dumps_result
from powertune.tune.build import BuildOptions, build_result
from powertune.tune.plan import (
    parse_function,
    parse_memory,
    parse_money,
    parse_payload,
    parse_payloads_file,
    parse_power_tuning_input,
)
from powertune.tune.tuner import Tuner, TuneSettings, require_measured
from powertune_cli.common import handle_errors
from powertune_cli.progress import ProgressObserver, err
from powertune_cli.tune_setup import (
    CpuKind,
    SearchKind,
    StrategyKind,
    find_traffic,
    local_target,
    make_search,
    measure_twin,
    print_dry_run,
)


def _split_csv(value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split(",") if v.strip())


def register(app: typer.Typer) -> None:
    from powertune_cli.cleanup import cleanup_command

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
        help="A range `128..3008`, or sizes `128,256,512` (the adaptive search then chooses "
        "among them only), or `recorded` with --replay (the replay's measured sizes). "
        "Default: adaptive 128..10240, grid the reference grid.",
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
    confirm: int | None = typer.Option(
        None,
        "--confirm",
        min=0,
        help="After an adaptive search, measure the recommended size (and with --baseline the "
        "baseline's) until each has N invocations, so a gate can tell a real change from noise "
        "(30 makes a decisive CI gate).",
    ),
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
    from powertune.tune.config import load_config
    from pricing.catalog import load_catalog

    trim = 0.2
    config = load_config(config_path)
    name_for_config = function or (Path(local.split(":", 1)[0]).stem if local else None)
    own = config.for_function(name_for_config) if name_for_config else config.defaults
    settings_file = own.with_flags(
        memory=memory,
        invocations=invocations,
        confirm=confirm,
        search=search_kind.value if search_kind else None,
        strategy=strategy.value if strategy else None,
        balanced_weight=balanced_weight,
        max_p95_ms=max_p95_ms,
        tolerance=tolerance,
        monthly_invocations=monthly_invocations,
    )
    memory = settings_file.memory
    invocations = settings_file.invocations or 10
    confirm = settings_file.confirm or 0
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
    recorded = memory is not None and memory.strip() == "recorded"
    if recorded and not replay:
        raise InputError(
            "--memory recorded needs --replay (the sizes a replay has measurements of)"
        )
    sizes = parse_memory(memory, step=64) if memory and not recorded else None
    candidates = recorded or (memory is not None and ".." not in memory)
    if confirm and search_kind is SearchKind.grid:
        raise InputError(
            "--confirm (or confirm in powertune.toml) is for the adaptive search; "
            "a grid measures --invocations"
        )
    if sizes and search_kind is SearchKind.grid and memory and ".." in memory:
        sizes = parse_memory(memory, step=128)
    spend_limit = parse_money(max_spend, "--max-spend")
    validate.tune_numbers(
        days=days,
        max_p95_ms=max_p95_ms,
        balanced_weight=balanced_weight,
        local_memory_mb=local_memory,
        local_timeout_s=local_timeout,
    )
    validate.endpoint_url(endpoint_url)
    validate.region(region)
    validate.alias_prefix(alias_prefix)
    if memory is not None and not memory.strip():
        raise InputError("--memory: empty (a range 128..3008 or sizes 128,256)")
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
                local_target(
                    local,
                    cpu=cpu,
                    memory_mb=local_memory,
                    timeout_s=local_timeout,
                    concurrency=concurrency,
                    alias_prefix=alias_prefix,
                )
            )
        elif replay:
            from powertune.tune.targets.replay import ReplayTarget

            target = ReplayTarget(
                replay,
                extrapolate=extrapolate,
                seed=seed,
                architecture=arch,
                region=region or "us-east-1",
            )
            provenance = {"target": "replay"}
        else:
            from powertune.tune.targets.aws import AwsLambdaTarget

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
        validate.priceable(catalog, info.region, info.architecture, savings_plan)
        if recorded:
            sizes = [int(m) for m in target.sizes]  # type: ignore[attr-defined]
        elif replay and sizes is None:
            low, high = target.memory_range  # type: ignore[attr-defined]
            sizes = [low, high] if search_kind is SearchKind.adaptive else None
        search = make_search(
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
            candidates=candidates,
            confirm=confirm,
            confirm_sizes=_baseline_sizes(baseline, info.name) if confirm else (),
        )
        if dry_run:
            print_dry_run(target, search, settings, catalog, invocations)
            return
        observer = stack.enter_context(ProgressObserver(quiet=quiet))
        outcome = Tuner(
            target, search, payload_set, settings, catalog=catalog, observer=observer
        ).run()
        observer.__exit__(None, None, None)
        require_measured(outcome)  # every size failed: exit 3 with the reasons
        traffic = find_traffic(
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
            twin = measure_twin(
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


def _baseline_sizes(baseline: str | None, name: str) -> tuple[int, ...]:
    """The size the baseline recommended for this function (a gate compares there), if any.
    An unreadable baseline is the gate's to report, after the run."""
    if not baseline:
        return ()
    from powertune.errors import PowertuneError
    from powertune.results import load_result

    try:
        found = load_result(baseline).function(name)
    except (PowertuneError, OSError, ValueError):
        return ()
    rec = found.recommendation if found else None
    return (rec.memory_mb,) if rec else ()


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
    from powertune.gate.compare import compare_to_baseline_file, thresholds_from
    from powertune.tune.config import parse_percent, parse_usd
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
        allow_missing=True,  # a baseline of several functions: this run tunes one of them
    )
    verdict = compare_to_baseline_file(baseline, result, thresholds)
    emit_verdict(
        verdict,
        junit=Path(junit) if junit else None,
        markdown=Path(markdown) if markdown else None,
    )
    if verdict.exit_code:
        raise typer.Exit(verdict.exit_code)


def _emit(result: Any, json_out: str | None) -> None:
    from powertune_cli.table import render_table

    if json_out == "-":
        sys.stdout.write(dumps_result(result))
        err.print(render_table(result), highlight=False)
        return
    if json_out:
        write_result(result, json_out)
        err.print(f"wrote {json_out}", highlight=False)
    print(render_table(result))
