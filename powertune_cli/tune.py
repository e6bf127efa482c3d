"""`powertune tune` (measure, fit, recommend) and `powertune cleanup` (undo an interrupted run).

The command maps its flags and powertune.toml to a RunPlan (``powertune.tune.plan``), hands it
to the pipeline (``powertune.tune.run``) and renders what comes back.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from powertune.errors import InputError
from powertune.files import check_output_path
from powertune.results import Result, write_result
from powertune.results.jsonio import dumps_result
from powertune.tune import plan as p
from powertune.tune.config import Config, load_config
from powertune_cli.common import (
    ENDPOINT_HELP,
    MONITORING_ENDPOINT_HELP,
    PROFILE_HELP,
    REGION_HELP,
    handle_errors,
    verbosity,
)

if TYPE_CHECKING:
    from powertune.tune.run import DryRun


class SearchKind(str, enum.Enum):
    adaptive = "adaptive"
    grid = "grid"


class StrategyKind(str, enum.Enum):
    cost = "cost"
    speed = "speed"
    balanced = "balanced"
    slo = "slo"


class ScoringKind(str, enum.Enum):
    powertune = "powertune"
    power_tuning = "power-tuning"


class CpuKind(str, enum.Enum):
    auto = "auto"
    cgroup = "cgroup"
    model = "model"


def register(app: typer.Typer) -> None:
    from powertune_cli.cleanup import cleanup_command

    app.command(
        "tune",
        epilog="Example: powertune tune my-function --memory 256,512,1024 --json result.json",
    )(tune)
    app.command("cleanup", epilog="Example: powertune cleanup my-function --region eu-west-1")(
        cleanup_command
    )


# `tune --help` in sections by purpose; a section shows where its first option is in the
# signature below (search and strategy first, the fleet last). --config and --help stay on top.
_SECTIONS: dict[str, tuple[str, ...]] = {
    "Search": (
        "--memory", "--invocations", "--search", "--tolerance", "--confidence", "--warmup",
        "--cold-starts", "--allowed-errors", "--concurrency", "--seed",
    ),
    "Strategy": ("--strategy", "--balanced-weight", "--max-p95-ms", "--percentile", "--tie-band",
                 "--cold-share"),
    "Payloads": ("--payload", "--payloads"),
    "Spend limits": ("--max-spend", "--max-invocations", "--confirm"),
    "AWS": ("--region", "--profile", "--endpoint-url", "--monitoring-endpoint-url",
            "--alias-prefix", "--compare"),
    "Variants (measured on temporary twins)": ("--variant", "--variant-bucket"),
    "Local runtime": ("--local", "--local-memory", "--local-timeout", "--cpu"),
    "Replay and imports": ("--replay", "--extrapolate", "--arch", "--from-power-tuning"),
    "Pricing and traffic": ("--monthly-invocations", "--days", "--free-tier/--no-free-tier",
                            "--savings-plan", "--catalog"),
    "Output": ("--json", "--format", "--output", "--dry-run", "--power-tuning-url", "--quiet",
               "--verbose"),
    "Gate (with --baseline)": ("--baseline", "--max-cost-increase", "--max-p95-increase",
                               "--max-monthly-increase", "--junit", "--markdown",
                               "--baseline-optional", "--gate-json"),
    "Fleet": ("--prefix", "--tag", "--stack", "--from-analysis", "--top", "--shard", "--resume"),
}  # fmt: skip
_SECTION_OF = {name: title for title, names in _SECTIONS.items() for name in names}


def _opt(*names: str, help: str | None = None, **kw: Any) -> Any:
    return typer.Option(*names, help=help, rich_help_panel=_SECTION_OF.get(names[0]), **kw)


# The flags, one line each in the signature below; None means "not given" (powertune.toml, then
# the default in powertune.tune.plan, decides).
Functions = Annotated[
    list[str] | None,
    typer.Argument(
        help="Function names or ARNs (a qualified ARN tunes its function); several: a fleet run."
    ),
]
Prefix = Annotated[str | None, _opt("--prefix", help="Fleet: every function whose name starts so.")]
Tags = Annotated[
    list[str] | None, _opt("--tag", help="Fleet: functions with this tag, KEY=VALUE (repeatable).")
]
Stack = Annotated[
    str | None, _opt("--stack", help="Fleet: the Lambda functions of a CloudFormation stack.")
]
FromAnalysis = Annotated[
    str | None,
    _opt("--from-analysis", help="Fleet: the functions an `analyze --json` file ranks highest."),
]
Top = Annotated[int | None, _opt("--top", min=1, help="With --from-analysis: the first N.")]
Shard = Annotated[
    str | None, _opt("--shard", help="Fleet: tune the K-th of N shares, K/N (join with merge).")
]
RunId = Annotated[
    str | None,
    _opt(
        "--run-id",
        help="Fleet: the run's id in the result, the same on every shard (default: a digest of "
        "the selection and settings; a CI run number keeps repeated runs apart for merge).",
    ),
]
Resume = Annotated[
    bool, _opt("--resume", help="Fleet: continue an interrupted run; finished functions stay.")
]
Memory = Annotated[
    str | None,
    _opt(
        "--memory",
        help="A range `128..3008`, or sizes `128,256,512` (the adaptive search then chooses "
        "among them only), or `recorded` with --replay (the replay's measured sizes). "
        "Default: adaptive 128..10240, grid the reference grid.",
    ),
]
Invocations = Annotated[
    int | None,
    _opt(
        "--invocations",
        min=1,
        help=f"Invocations per size (grid search; default {p.DEFAULT_INVOCATIONS}).",
    ),
]
Search = Annotated[
    SearchKind | None,
    _opt(
        "--search",
        help="adaptive (fit, stop when sure) or grid (every size, like aws-lambda-power-tuning).",
    ),
]
Strategy = Annotated[
    StrategyKind | None, _opt("--strategy", help=f"Default: {p.DEFAULT_STRATEGY}.")
]
BalancedWeight = Annotated[
    float | None,
    _opt(
        "--balanced-weight",
        min=0.0,
        max=1.0,
        help="w in aws-lambda-power-tuning's balanced score, minimised: "
        "w*cost/maxCost + (1-w)*duration/maxDuration. "
        f"0 = all speed, 1 = all cost ({p.DEFAULT_BALANCED_WEIGHT}).",
    ),
]
MaxP95 = Annotated[float | None, _opt("--max-p95-ms", help="Latency limit for --strategy slo.")]
Percentile = Annotated[
    int,
    _opt(
        "--percentile",
        help="95 or 99: the percentile --max-p95-ms limits.",
    ),
]
Tolerance = Annotated[
    float | None,
    _opt(
        "--tolerance",
        help=f"Stop when the choice is within this of the best cost ({p.DEFAULT_TOLERANCE}).",
    ),
]
Confidence = Annotated[
    float,
    _opt("--confidence", help="Adaptive search: how sure the choice must be before stopping."),
]
TieBand = Annotated[
    float | None,
    _opt(
        "--tie-band",
        help="cost/slo: among sizes within this of the cheapest cost, recommend the fastest "
        f"(default: the tolerance, {p.DEFAULT_TOLERANCE}; 0 = strictly the cheapest).",
    ),
]
Scoring = Annotated[
    ScoringKind | None,
    _opt(
        "--scoring",
        help="How cost/speed/balanced score measured sizes: powertune (cost with the request "
        "fee and INIT share) or power-tuning (exactly as aws-lambda-power-tuning: memory x "
        "billed ms rounded up, no request fee; grid only). Default: power-tuning with "
        "--from-power-tuning, else powertune.",
    ),
]
ColdShare = Annotated[
    float | None,
    _opt(
        "--cold-share",
        help="Share of invocations that start cold (0-1): their measured INIT is billed into "
        "the cost curve, the choice and $/month (default: from the function's logs, else 0; "
        "1 with --cold-starts).",
    ),
]
Payload = Annotated[str | None, _opt("--payload", help="JSON payload, or @file.")]
PayloadsFile = Annotated[
    str | None,
    _opt(
        "--payloads",
        help='File: [{"payload": ..., "weight": n}] or JSONL (one payload per invocation).',
    ),
]
Warmup = Annotated[
    int,
    _opt(
        "--warmup",
        min=0,
        help="Invocations per size before measuring (discarded).",
    ),
]
ColdStarts = Annotated[
    bool,
    _opt("--cold-starts", help="Every measured invocation is a cold start (a fresh version each)."),
]
AllowedErrors = Annotated[
    str | None,
    _opt("--allowed-errors", help="Error types that do not disqualify a size, comma-separated."),
]
Concurrency = Annotated[
    int | None,
    _opt(
        "--concurrency",
        min=1,
        help=f"Invocations in flight at once (default {p.DEFAULT_CONCURRENCY}; --local: what the "
        "runtime runs at once without contention).",
    ),
]
MaxSpend = Annotated[
    str | None, _opt("--max-spend", help="Stop before the run spends more than this (USD).")
]
MaxInvocations = Annotated[
    int | None, _opt("--max-invocations", min=1, help="Stop after N invocations in all.")
]
TimeBudget = Annotated[
    float | None,
    _opt(
        "--time-budget",
        help="--local: invocations are free, so an adaptive search measures (interleaving "
        "rounds across the sizes in the tie) until the decision holds or this many seconds "
        f"pass (default {p.DEFAULT_TIME_BUDGET_S:g}).",
    ),
]
Confirm = Annotated[
    int | None,
    _opt(
        "--confirm",
        min=0,
        help="After an adaptive search, measure the recommended size (and with --baseline the "
        "baseline's) until each has N invocations, so a gate can tell a real change from noise "
        "(30 makes a decisive CI gate).",
    ),
]
Region = Annotated[str | None, _opt("--region", help=REGION_HELP)]
Profile = Annotated[str | None, _opt("--profile", help=PROFILE_HELP)]
EndpointUrl = Annotated[str | None, _opt("--endpoint-url", help=ENDPOINT_HELP)]
MonitoringEndpointUrl = Annotated[
    str | None, _opt("--monitoring-endpoint-url", help=MONITORING_ENDPOINT_HELP)
]
Local = Annotated[
    str | None,
    _opt(
        "--local",
        help="PATH[:module.handler]: start the embedded runtime, deploy the handler and tune it.",
    ),
]
LocalMemory = Annotated[
    int,
    _opt(
        "--local-memory",
        help="The --local function's configured memory (MB).",
    ),
]
LocalTimeout = Annotated[
    int,
    _opt(
        "--local-timeout",
        help="The --local function's timeout (s).",
    ),
]
Cpu = Annotated[
    CpuKind,
    _opt("--cpu", help="--local CPU control: auto, cgroup or model."),
]
Replay = Annotated[
    str | None,
    _opt(
        "--replay",
        help="Tune recorded measurements: a CSV file or an aws-lambda-power-tuning result URL.",
    ),
]
Extrapolate = Annotated[
    bool, _opt("--extrapolate", help="--replay: allow sizes outside the recorded range.")
]
Arch = Annotated[str, _opt("--arch", help="--replay: the architecture to price.")]
FromPowerTuning = Annotated[
    str | None, _opt("--from-power-tuning", help="Read aws-lambda-power-tuning's input JSON.")
]
AliasPrefix = Annotated[
    str, _opt("--alias-prefix", help="Prefix of the tuning aliases (cleanup finds them by it).")
]
Compare = Annotated[
    str | None,
    _opt("--compare", help="An arm64 twin (name or ARN): measure it at the recommended size."),
]
Variant = Annotated[
    list[str] | None,
    _opt(
        "--variant",
        metavar="SPEC",
        help="Also measure the function changed so: arch=arm64, runtime=python3.13, or both "
        "(arch=arm64,runtime=python3.13); repeatable. Each runs on a temporary twin created "
        "from the function's code and configuration, side by side with it at the same sizes "
        "and payloads, priced at its own rates, and deleted at the end.",
    ),
]
VariantBucket = Annotated[
    str | None,
    _opt(
        "--variant-bucket",
        metavar="BUCKET",
        help="An S3 bucket for the twins' code when the package is over 50 MB (the object is "
        "deleted once the twin exists).",
    ),
]
MonthlyInvocations = Annotated[
    int | None,
    _opt(
        "--monthly-invocations",
        min=0,
        help="Traffic for $/month (default: CloudWatch over --days).",
    ),
]
Days = Annotated[
    int,
    _opt(
        "--days",
        help="CloudWatch window for the function's traffic.",
    ),
]
FreeTier = Annotated[
    bool,
    _opt(
        "--free-tier/--no-free-tier",
        help="Apply the monthly free tier to $/month (off: most accounts use it up elsewhere).",
    ),
]
SavingsPlan = Annotated[
    str | None, _opt("--savings-plan", help="Price $/month under a Compute Savings Plan.")
]
CatalogPath = Annotated[
    str | None, _opt("--catalog", help="A pricing catalog from `powertune pricing refresh`.")
]
JsonOut = Annotated[
    str | None,
    _opt("--json", help="Write the result JSON to FILE, or - for stdout (the table still prints)."),
]
OutFormat = Annotated[
    str | None,
    _opt(
        "--format",
        "-f",
        help="What --output gets (or stdout): table, json, markdown or html (default table).",
    ),
]
Output = Annotated[
    str | None, _opt("--output", "-o", metavar="FILE|-", help="Write the --format output here.")
]
PowerTuningUrl = Annotated[
    bool,
    _opt("--power-tuning-url", help="Also print an aws-lambda-power-tuning visualisation URL."),
]
DryRunFlag = Annotated[
    bool, _opt("--dry-run", help="Print the plan and the spend estimate; change nothing.")
]
Seed = Annotated[int, _opt("--seed", help="Random seed (payload order, replay noise).")]
Quiet = Annotated[
    bool,
    _opt(
        "--quiet",
        "-q",
        help="No progress, notes or table (the table still prints without "
        "--json FILE); errors only.",
    ),
]
Verbose = Annotated[
    bool, _opt("--verbose", "-v", help="Also a line per invocation (duration, billed, INIT).")
]
ConfigPath = Annotated[
    str | None,
    _opt("--config", help="powertune.toml (default: found from the working directory)."),
]
Baseline = Annotated[
    str | None,
    _opt("--baseline", help="Gate this run against a baseline result (exit 1 on regression)."),
]
MaxCostIncrease = Annotated[str | None, _opt("--max-cost-increase", help="With --baseline (5%).")]
MaxP95Increase = Annotated[str | None, _opt("--max-p95-increase", help="With --baseline (10%).")]
MaxMonthlyIncrease = Annotated[
    str | None, _opt("--max-monthly-increase", help="With --baseline: USD per month.")
]
BaselineOptional = Annotated[
    bool,
    _opt("--baseline-optional", help="With --baseline: a missing baseline passes with a note."),
]
GateJson = Annotated[
    str | None, _opt("--gate-json", help="With --baseline: write the verdict JSON here.")
]
Junit = Annotated[str | None, _opt("--junit", help="With --baseline: write JUnit XML.")]
Markdown = Annotated[str | None, _opt("--markdown", help="With --baseline: write markdown.")]


@handle_errors
def tune(
    ctx: typer.Context,
    functions: Functions = None,
    memory: Memory = None,
    invocations: Invocations = None,
    search_kind: Search = None,
    strategy: Strategy = None,
    balanced_weight: BalancedWeight = None,
    max_p95_ms: MaxP95 = None,
    percentile: Percentile = p.DEFAULT_PERCENTILE,
    tolerance: Tolerance = None,
    confidence: Confidence = p.DEFAULT_CONFIDENCE,
    tie_band: TieBand = None,
    scoring: Scoring = None,
    cold_share: ColdShare = None,
    payload: Payload = None,
    payloads: PayloadsFile = None,
    warmup: Warmup = p.DEFAULT_WARMUP,
    cold_starts: ColdStarts = False,
    allowed_errors: AllowedErrors = None,
    concurrency: Concurrency = None,
    max_spend: MaxSpend = None,
    max_invocations: MaxInvocations = None,
    time_budget: TimeBudget = None,
    confirm: Confirm = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    monitoring_endpoint_url: MonitoringEndpointUrl = None,
    local: Local = None,
    local_memory: LocalMemory = p.DEFAULT_LOCAL_MEMORY_MB,
    local_timeout: LocalTimeout = p.DEFAULT_LOCAL_TIMEOUT_S,
    cpu: Cpu = CpuKind.auto,
    replay: Replay = None,
    extrapolate: Extrapolate = False,
    arch: Arch = p.DEFAULT_ARCH,
    from_power_tuning: FromPowerTuning = None,
    alias_prefix: AliasPrefix = p.DEFAULT_ALIAS_PREFIX,
    compare: Compare = None,
    variant: Variant = None,
    variant_bucket: VariantBucket = None,
    monthly_invocations: MonthlyInvocations = None,
    days: Days = p.DEFAULT_TRAFFIC_DAYS,
    free_tier: FreeTier = False,
    savings_plan: SavingsPlan = None,
    catalog_path: CatalogPath = None,
    json_out: JsonOut = None,
    out_format: OutFormat = None,
    output: Output = None,
    dry_run: DryRunFlag = False,
    power_tuning_url: PowerTuningUrl = False,
    seed: Seed = 0,
    quiet: Quiet = False,
    verbose: Verbose = False,
    config_path: ConfigPath = None,
    baseline: Baseline = None,
    max_cost_increase: MaxCostIncrease = None,
    max_p95_increase: MaxP95Increase = None,
    max_monthly_increase: MaxMonthlyIncrease = None,
    junit: Junit = None,
    markdown: Markdown = None,
    baseline_optional: BaselineOptional = False,
    gate_json: GateJson = None,
    prefix: Prefix = None,
    tag: Tags = None,
    stack: Stack = None,
    from_analysis: FromAnalysis = None,
    top: Top = None,
    shard: Shard = None,
    run_id: RunId = None,
    resume: Resume = False,
) -> None:
    """Measure a function (or a fleet) across memory sizes, fit duration against memory, and
    recommend."""
    # the pipeline (numpy, scipy, boto3, the local runtime) loads when a run starts, not for help
    from powertune.tune.fleet import tune_selection
    from powertune.tune.fleet_merge import check_failures
    from powertune.tune.fleet_select import Selection, parse_run_id, parse_shard, parse_tag
    from powertune.tune.run import Hooks, prepare, price_dry_run, run
    from powertune_cli.progress import ProgressObserver

    level = verbosity(quiet, verbose)
    for path in (json_out, output):  # a bad path fails now, not after the run it would record
        if path is not None and path != "-":
            check_output_path(path)
    config = load_config(config_path)
    names = tuple(functions or ())
    flags = dataclasses.replace(
        p.TuneFlags.from_params(ctx.params), function=names[0] if names else None
    )
    say = _say(level)
    # each bar's total is its phase's upper bound from the start (the dry run's count), so it
    # does not grow as the search adds sizes and its ETA means something; a bar the dry run did
    # not count (--compare's twin) grows as it plans
    expected: list[int] = []
    hooks = Hooks(
        progress=lambda: ProgressObserver(
            verbosity=level, total=expected.pop(0) if expected else 0
        ),
        note=say,
    )
    selection = Selection(
        names=names,
        prefix=prefix,
        tags=tuple(parse_tag(t) for t in tag or ()),
        stack=stack,
        from_analysis=from_analysis,
        top=top,
        shard=parse_shard(shard),
        run_id=parse_run_id(run_id),
    )
    if selection.is_fleet or resume:
        if dry_run:
            raise InputError("--dry-run takes one function")
        if variant:
            raise InputError("--variant takes one function (a twin is measured beside it)")
        result = tune_selection(selection, flags, config, resume=resume, hooks=hooks)
    else:
        plan = p.resolve_plan(flags, config)
        for note in plan.notes:
            say(f"note: {note}")
        with prepare(plan, hooks) as ready:
            estimate = price_dry_run(ready)
            if dry_run or plan.dry_run:
                _print_dry_run(estimate)
                return
            # one bar per phase: the function's search, then (--variant) the side-by-side rounds
            expected.extend(estimate.phases)
            result = run(ready)
    if out_format is not None or output is not None:
        _emit_as(result, out_format or "table", output, json_out, level)
    else:
        _emit(result, json_out, level)
    if power_tuning_url:
        from powertune_cli.report import print_power_tuning_urls

        print_power_tuning_urls(result)
    check_failures(result)  # a fleet's failed functions: exit 3, after the result is out
    if baseline:
        thresholds = (max_cost_increase, max_p95_increase, max_monthly_increase)
        files = GateFiles(junit, markdown, gate_json, baseline_optional)
        _gate(result, baseline, config, thresholds, files, level)


def _print_dry_run(plan: DryRun) -> None:
    info = plan.info
    print(f"plan for {info.name} ({info.architecture}, {info.region}, now {info.memory_mb} MB):")
    print(f"  {plan.description}")
    print(f"  sizes: {', '.join(f'{m} MB' for m in plan.sizes)}")
    for variant in plan.variants:
        print(f"  variant: {variant}")
    print(f"  invocations: up to {plan.invocations} (warm-ups included)")
    print(f"  spend: ${plan.usd_per_100ms:.6f} for every 100 ms of average duration;")
    worst, timeout = plan.worst_usd, plan.timeout_s
    print(f"         at most ${worst:.4f} if every call ran to its {timeout} s timeout")
    print("  nothing was changed (--dry-run)")


class GateFiles(NamedTuple):
    """What `tune --baseline` writes besides the terminal verdict."""

    junit: str | None
    markdown: str | None
    json: str | None
    baseline_optional: bool


def _gate(
    result: Result,
    baseline: str,
    config: Config,
    thresholds: tuple[str | None, str | None, str | None],
    files: GateFiles,
    verbosity: int,
) -> None:
    """`tune --baseline`: the same verdict `powertune gate` gives, from this run's result."""
    from powertune.gate.compare import compare_to_baseline_file, thresholds_from
    from powertune.tune.config import parse_percent, parse_usd
    from powertune_cli.report import emit_verdict

    cost, p95, monthly = thresholds
    verdict = compare_to_baseline_file(
        baseline,
        result,
        thresholds_from(
            config.gate,
            max_cost_increase=parse_percent(cost, what="--max-cost-increase") if cost else None,
            max_p95_increase=parse_percent(p95, what="--max-p95-increase") if p95 else None,
            max_monthly_increase_usd=parse_usd(monthly, what="--max-monthly-increase")
            if monthly
            else None,
            allow_missing=True,  # a baseline of several functions: this run tunes one of them
        ),
        baseline_optional=files.baseline_optional,
    )
    emit_verdict(
        verdict,
        junit=Path(files.junit) if files.junit else None,
        markdown=Path(files.markdown) if files.markdown else None,
        json_out=Path(files.json) if files.json else None,
        verbosity=verbosity,
    )
    if verdict.exit_code:
        raise typer.Exit(verdict.exit_code)


def _say(level: int) -> Callable[[str], None]:
    """Notes on stderr, unless --quiet; warnings even then (they change how to read the run)."""

    from powertune_cli.progress import err  # the progress bar's console: lines stay above it

    def say(text: str) -> None:
        if level >= 0 or text.startswith("warning:"):
            err.print(text, highlight=False)

    return say


def _emit_as(
    result: Result, form: str, output: str | None, json_out: str | None, level: int
) -> None:
    """`--format F --output FILE|-`: the convention every command shares (report, pricing,
    logs parse); --json FILE still writes the JSON beside it."""
    from powertune_cli.report import ReportFormat, render_as, write_text

    try:
        shape = ReportFormat(form)
    except ValueError:
        raise p.InputError(
            f"--format must be table, json, markdown or html, not {form!r}"
        ) from None
    if json_out:
        write_result(result, json_out)
    write_text(output or "-", render_as(result, shape))
    if output and output != "-":
        _say(level)(f"wrote {output}")


def _emit(result: Result, json_out: str | None, level: int = 0) -> None:
    from powertune_cli.progress import err
    from powertune_cli.table import render_table

    if json_out == "-":
        sys.stdout.write(dumps_result(result))
        if level >= 0:
            err.print(render_table(result), highlight=False)
        return
    if json_out:
        write_result(result, json_out)
        _say(level)(f"wrote {json_out}")
        if level < 0:
            return  # quiet: the result is in the file
    print(render_table(result))
