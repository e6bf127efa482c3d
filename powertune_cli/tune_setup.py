"""Pieces of `powertune tune`: the search, the targets (AWS, local, the arm64 twin), the
function's traffic, and the dry-run plan."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from powertune.errors import InputError
from powertune.tune.build import BuildOptions, TrafficFigures
from powertune.tune.plan import REFERENCE_GRID
from powertune.tune.search.adaptive import AdaptiveSearch
from powertune.tune.search.grid import GridSearch
from powertune.tune.search.interface import Search
from powertune.tune.targets.interface import FunctionInfo, Target
from powertune.tune.tuner import Tuner, TuneSettings
from powertune_cli.progress import ProgressObserver, err


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


def make_search(
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
    candidates: bool = False,
    confirm: int = 0,
    confirm_sizes: tuple[int, ...] = (),
    tie_band: float | None = None,
    cold_share: float = 0.0,
) -> Search:
    """``candidates``: ``sizes`` is a list to choose from (``--memory 128,256,512`` or
    ``recorded``), not the ends of a range; the adaptive search then measures only those sizes."""
    if kind is SearchKind.grid:
        return GridSearch(sizes or REFERENCE_GRID, invocations)
    low, high = (min(sizes), max(sizes)) if sizes else (128, 10240)
    if low == high:
        raise InputError(
            "--search adaptive needs a memory range or two or more sizes, e.g. --memory 128..3008"
        )
    return AdaptiveSearch(
        low,
        high,
        lattice=sizes if candidates else None,
        confirm=confirm,
        confirm_sizes=confirm_sizes,
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
        tie_band=tie_band,
        cold_share=cold_share,
    )


@contextlib.contextmanager
def local_target(
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
    from powertune.tune.targets.aws import AwsLambdaTarget

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


def print_dry_run(
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
        if search.confirm:
            description += f"; then the chosen size is measured up to {search.confirm} invocations"
        per = search.max_invocations // max(len(sizes), 1)
        counts = {m: per for m in sizes}
        # The chosen size is not known yet: price the confirmations at the dearest size.
        counts[max(sizes)] += search.confirm * (1 + len(search.confirm_sizes))
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


def measure_twin(
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
    from powertune.tune.build import decide
    from powertune.tune.targets.aws import AwsLambdaTarget

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


def find_cold_share(target: Target, info: FunctionInfo, days: int, *, note: bool) -> float:
    """The function's own cold-start share over the last ``days`` days, from its REPORT lines
    (0 when its logs are missing or unreadable: say so, and how to set it)."""
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
        if note:
            err.print(
                f"note: no cold-start share in {target.log_group} over {days} days; INIT is "
                "priced as never billed (set --cold-share F)",
                highlight=False,
            )
        return 0.0
    err.print(
        f"note: {found.share:.1%} of {found.reports} invocations in the last {days} days were "
        "cold starts (the function's REPORT lines): their INIT is priced in (--cold-share F "
        "overrides)",
        highlight=False,
    )
    return found.share


def find_traffic(
    monthly: int | None,
    days: int,
    info: FunctionInfo,
    provenance: dict[str, Any],
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
) -> TrafficFigures:
    if monthly is not None:
        return TrafficFigures(monthly_invocations=monthly, source="flag")
    if provenance["target"] != "aws":
        err.print(
            "note: $/month needs the function's traffic: pass --monthly-invocations N",
            highlight=False,
        )
        return TrafficFigures()
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
        return TrafficFigures()
    return TrafficFigures(
        monthly_invocations=found.monthly_invocations,
        source="cloudwatch",
        peak_concurrency=found.peak_concurrency,
        log_bytes_per_invocation=found.log_bytes_per_invocation,
    )
