"""Findings per function, each with the monthly dollars at stake, from what the account holds.

Every dollar comes from the pricing API through ``powertune.recommend``; this module only decides
which comparisons to make. A finding's ``monthly_usd`` is the saving (or, for failures, the money
spent on invocations that failed) per 30-day month; None when traffic is unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from powertune.analyze.cpu_time import CpuProfile
from powertune.collectors.account.inventory import FunctionConfig
from powertune.collectors.account.usage import LogGroupInfo, Metrics, Usage
from powertune.models.cpu_share import scale_duration
from powertune.recommend import (
    arm64_estimate,
    fargate_alternative,
    log_costs,
    min_safe_memory_mb,
    monthly_comparison,
)
from powertune.recommend.coldstart import ColdStartAdvice, ColdStartProfile, cold_start_advice
from powertune.recommend.fargate import HOURS_PER_MONTH
from powertune.recommend.monthly import price_size
from powertune.results.codec import money, to_plain
from pricing.cost import fargate_cost, fargate_task_sizes
from pricing.errors import UnknownPricingKey

DAYS_PER_MONTH = 30
# Shrink only when the safe size is at least this much smaller: below it the saving is noise.
MIN_SHRINK = 0.8
# Max Memory Used this close to the size risks out-of-memory ends.
NEAR_LIMIT = 0.9
# The share of the duration assumed not to scale with CPU (I/O waits) for the headline estimate;
# the finding also carries the all-CPU and all-I/O bounds.
FIXED_FRACTION = 0.5
# Fargate suits load whose peak concurrency is at most this many times its average.
STEADY_PEAK_RATIO = 3.0
SAVINGS_PLAN = "compute-1yr-no-upfront"  # the least committed Compute Savings Plan

KINDS = (
    "over-provisioned",
    "under-provisioned",
    "timeouts",
    "arm64",
    "log-retention",
    "log-class",
    "savings-plan",
    "fargate",
    "snapstart",
    "provisioned-concurrency",
    "lazy-init",
)


@dataclass(frozen=True)
class Finding:
    """One thing worth doing, and what it is worth a month."""

    function: str  # the function name, or "*" for the whole account
    kind: str  # one of KINDS
    monthly_usd: Decimal | None  # dollars at stake a month; None when traffic is unknown
    summary: str
    estimate: bool  # priced from a model, not measured: a tuning run confirms it
    command: str | None = None  # what to run to confirm or fix it
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = to_plain(self)
        return data


@dataclass(frozen=True)
class FunctionFacts:
    """Everything gathered about one function: configuration, REPORT statistics, metrics."""

    config: FunctionConfig
    usage: Usage | None
    metrics: Metrics = field(default_factory=Metrics)
    log_group: LogGroupInfo | None = None
    window_days: float = 14.0
    cpu: CpuProfile | None = None  # from Lambda Insights: what share of the duration is CPU

    def per_month(self, count: float | None) -> int | None:
        if count is None:
            return None
        return int(
            (
                Decimal(repr(count)) * DAYS_PER_MONTH / Decimal(repr(self.window_days))
            ).to_integral_value()
        )

    @property
    def monthly_invocations(self) -> int | None:
        """From the Invocations metric, else from the REPORT count (same thing, other source)."""
        if self.metrics.invocations is not None:
            return self.per_month(self.metrics.invocations)
        if self.usage is not None and self.usage.reports and not self.usage.partial:
            return self.per_month(self.usage.reports)
        return None

    @property
    def billed_ms(self) -> Decimal | None:
        if self.usage is None or self.usage.billed_avg_ms is None:
            return None
        return Decimal(repr(self.usage.billed_avg_ms)).quantize(Decimal("0.001"))

    def current_monthly_usd(self, catalog: Any) -> Decimal | None:
        """This month's Lambda bill for the function; None when traffic or prices are unknown."""
        billed = self.billed_ms
        if billed is None:
            return None
        try:
            return self._price_now(catalog, billed)
        except UnknownPricingKey:
            return None  # a region the catalog lacks: find_all says so

    def _price_now(self, catalog: Any, billed: Decimal) -> Decimal | None:
        return price_size(
            catalog,
            region=self.config.region,
            arch=self.config.architecture,
            memory_mb=self.config.memory_mb,
            billed_ms=billed,
            monthly_invocations=self.monthly_invocations,
            free_tier=False,
            savings_plan=None,
            ephemeral_mb=self.config.ephemeral_mb,
        ).total_usd


def tune_command(config: FunctionConfig, other_mb: int, monthly_invocations: int | None) -> str:
    """The `powertune tune` run that measures the real curve between the two sizes."""
    low, high = sorted((other_mb, config.memory_mb))
    command = f"powertune tune {config.name} --region {config.region} --memory {low}..{high}"
    if monthly_invocations:
        command += f" --monthly-invocations {monthly_invocations}"
    return command


def _scaled(billed: Decimal, config: FunctionConfig, to_mb: int, fixed: float) -> Decimal:
    ms = scale_duration(float(billed), config.memory_mb, to_mb, fixed_fraction=fixed)
    return Decimal(repr(ms)).quantize(Decimal("0.001"))


PREDICTED_SIZES = (128, 256, 512, 1024, 1769, 3008)


def _predictions(cpu: CpuProfile, duration_ms: float) -> dict[str, list[float]]:
    """Mean duration at other sizes, [estimate, low, high] ms, from the measured CPU share."""
    out: dict[str, list[float]] = {}
    for size in PREDICTED_SIZES:
        mid, low, high = cpu.predict_ms(duration_ms, size)
        out[str(size)] = [round(mid, 1), round(low, 1), round(high, 1)]
    return out


def over_provisioned(facts: FunctionFacts, catalog: Any) -> Finding | None:
    usage, config, billed = facts.usage, facts.config, facts.billed_ms
    if usage is None or usage.max_memory_max_mb is None or billed is None:
        return None
    if usage.partial or usage.shared_log_group:
        return None
    if usage.memory_size_mb is not None and usage.memory_size_mb != config.memory_mb:
        return None  # no REPORT at the configured size yet: its durations are unknown
    if usage.out_of_memory or usage.timeouts:
        return None
    safe = min_safe_memory_mb(usage.max_memory_max_mb)
    if safe > config.memory_mb * MIN_SHRINK:
        return None
    invocations = facts.monthly_invocations

    def saving_at(fixed: float) -> Decimal | None:
        return monthly_comparison(
            catalog,
            region=config.region,
            arch=config.architecture,
            current_memory_mb=config.memory_mb,
            current_billed_ms=billed,
            recommended_memory_mb=safe,
            recommended_billed_ms=_scaled(billed, config, safe, fixed),
            monthly_invocations=invocations,
            ephemeral_mb=config.ephemeral_mb,
        ).saving_usd

    cpu = facts.cpu
    # Measured (Lambda Insights) when we have it; otherwise a guess, and the bounds are 0 and 1.
    fixed = 1.0 - cpu.fraction if cpu else FIXED_FRACTION
    fixed_low, fixed_high = (1.0 - cpu.high, 1.0 - cpu.low) if cpu else (0.0, 1.0)
    headline = saving_at(fixed)
    if headline is not None and headline <= 0:
        return None  # CPU-bound enough that the smaller size would cost more
    return Finding(
        function=config.name,
        kind="over-provisioned",
        monthly_usd=headline,
        summary=(
            f"peak memory {usage.max_memory_max_mb:g} MB of {config.memory_mb} MB: "
            f"{safe} MB keeps 20% headroom"
        ),
        estimate=True,
        command=tune_command(config, safe, invocations),
        details={
            "configured_mb": config.memory_mb,
            "suggested_mb": safe,
            "max_memory_used_mb": usage.max_memory_max_mb,
            "billed_ms_avg": str(billed),
            "estimated_billed_ms_avg": str(_scaled(billed, config, safe, fixed)),
            "fixed_fraction": round(fixed, 4),
            "saving_if_all_cpu_usd": money(saving_at(fixed_low)),
            "saving_if_all_io_usd": money(saving_at(fixed_high)),
            "basis": cpu.basis()
            if cpu
            else (
                f"a guess: {FIXED_FRACTION:.0%} of the duration assumed to wait on I/O (no "
                "Lambda Insights events); CPU-share model from one observed size"
            ),
            "predicted": _predictions(cpu, float(billed)) if cpu else None,
        },
    )


def under_provisioned(facts: FunctionFacts, catalog: Any) -> Finding | None:
    usage, config, billed = facts.usage, facts.config, facts.billed_ms
    if usage is None or usage.max_memory_max_mb is None or usage.shared_log_group:
        return None
    near = usage.max_memory_max_mb >= config.memory_mb * NEAR_LIMIT
    if not (near or usage.out_of_memory):
        return None
    wasted = None
    if usage.out_of_memory and billed is not None:
        wasted = price_size(
            catalog,
            region=config.region,
            arch=config.architecture,
            memory_mb=config.memory_mb,
            billed_ms=billed,
            monthly_invocations=facts.per_month(usage.out_of_memory),
            free_tier=False,
            savings_plan=None,
            ephemeral_mb=config.ephemeral_mb,
        ).total_usd
    suggested = max(min_safe_memory_mb(usage.max_memory_max_mb), config.memory_mb + 1)
    return Finding(
        function=config.name,
        kind="under-provisioned",
        monthly_usd=wasted,
        summary=(
            f"peak memory {usage.max_memory_max_mb:g} MB of {config.memory_mb} MB"
            + (f", {usage.out_of_memory} out-of-memory ends" if usage.out_of_memory else "")
            + f": use at least {suggested} MB"
        ),
        estimate=False,
        command=tune_command(config, suggested, facts.monthly_invocations),
        details={
            "configured_mb": config.memory_mb,
            "max_memory_used_mb": usage.max_memory_max_mb,
            "out_of_memory": usage.out_of_memory,
            "suggested_mb": suggested,
            "at_stake": "invocations that ran out of memory (billed, then failed)",
        },
    )


def timeouts(facts: FunctionFacts, catalog: Any) -> Finding | None:
    usage, config = facts.usage, facts.config
    if usage is None or not usage.timeouts:
        return None
    spent = price_size(
        catalog,
        region=config.region,
        arch=config.architecture,
        memory_mb=config.memory_mb,
        billed_ms=Decimal(config.timeout_s * 1000),
        monthly_invocations=facts.per_month(usage.timeouts),
        free_tier=False,
        savings_plan=None,
        ephemeral_mb=config.ephemeral_mb,
    ).total_usd
    return Finding(
        function=config.name,
        kind="timeouts",
        monthly_usd=spent,
        summary=(
            f"{usage.timeouts} invocation{'s' if usage.timeouts != 1 else ''} "
            f"hit the {config.timeout_s} s timeout"
        ),
        estimate=False,
        details={"timeouts": usage.timeouts, "timeout_s": config.timeout_s},
    )


def arm64(facts: FunctionFacts, catalog: Any) -> Finding | None:
    config, billed = facts.config, facts.billed_ms
    if config.architecture != "x86_64" or billed is None:
        return None
    comparison = arm64_estimate(
        catalog,
        region=config.region,
        memory_mb=config.memory_mb,
        billed_ms=billed,
        monthly_invocations=facts.monthly_invocations,
        ephemeral_mb=config.ephemeral_mb,
    )
    if comparison.saving_usd is not None and comparison.saving_usd <= 0:
        return None
    note = " (container image: rebuild for arm64)" if config.package_type == "Image" else ""
    return Finding(
        function=config.name,
        kind="arm64",
        monthly_usd=comparison.saving_usd,
        summary=f"the same durations on arm64 cost less{note}",
        estimate=True,
        details={"basis": comparison.basis, "saving_pct": money(comparison.saving_pct)},
    )


def log_findings(facts: FunctionFacts, catalog: Any) -> list[Finding]:
    config, invocations = facts.config, facts.monthly_invocations
    incoming = facts.metrics.log_incoming_bytes
    if incoming is None or not facts.metrics.invocations or not invocations:
        return []
    retention = facts.log_group.retention_days if facts.log_group else None
    option = log_costs(
        catalog,
        region=config.region,
        bytes_per_invocation=Decimal(repr(incoming)) / Decimal(repr(facts.metrics.invocations)),
        monthly_invocations=invocations,
        retention_days=retention,
    )
    found = []
    if option.retention_saving_usd and option.retention_saving_usd > 0:
        found.append(
            Finding(
                function=config.name,
                kind="log-retention",
                monthly_usd=option.retention_saving_usd,
                summary=(
                    "logs never expire: storage grows every month"
                    if retention is None
                    else f"logs kept {retention} days"
                ),
                estimate=True,
                command=(
                    f"aws logs put-retention-policy --log-group-name {config.log_group} "
                    "--retention-in-days 30"
                ),
                details={
                    "retention_days": retention,
                    "growth_usd_per_month": money(option.growth_usd_per_month),
                    "ingest_gb": str(option.ingest_gb),
                    "storage_model": option.storage_model,
                },
            )
        )
    if option.infrequent_access_saving_usd > 0 and not (
        facts.log_group and facts.log_group.log_class == "INFREQUENT_ACCESS"
    ):
        found.append(
            Finding(
                function=config.name,
                kind="log-class",
                monthly_usd=option.infrequent_access_saving_usd,
                summary=(
                    "Infrequent Access halves ingestion (no metric filters, Live Tail or "
                    "subscriptions); or filter at the source with log levels"
                ),
                estimate=False,
                details={"ingest_gb": str(option.ingest_gb)},
            )
        )
    return found


_FARGATE_FLOOR: dict[tuple[int, str, str], Decimal] = {}


def fargate_floor(catalog: Any, region: str, arch: str) -> Decimal:
    """A month of the smallest Fargate task: no fleet costs less, so cheaper Lambdas stay put."""
    key = (id(catalog), region, arch)
    if key not in _FARGATE_FLOOR:
        vcpu, memory_gb = min(fargate_task_sizes(catalog))
        _FARGATE_FLOOR[key] = fargate_cost(
            catalog,
            region=region,
            vcpu=vcpu,
            memory_gb=memory_gb,
            hours=Decimal(HOURS_PER_MONTH),
            arch=arch,
        ).total_usd
    return _FARGATE_FLOOR[key]


def fargate(facts: FunctionFacts, catalog: Any) -> Finding | None:
    usage, config = facts.usage, facts.config
    invocations = facts.monthly_invocations
    if usage is None or usage.duration_avg_ms is None or not invocations:
        return None
    # Only steady load suits a fleet that runs around the clock: on average at least one
    # execution busy, and peaks no more than STEADY_PEAK_RATIO times that.
    average = invocations * usage.duration_avg_ms / (HOURS_PER_MONTH * 3_600_000)
    if average < 1:
        return None
    peak = facts.metrics.concurrency_max
    if peak is not None and peak > STEADY_PEAK_RATIO * average:
        return None
    # The fleet search is costly; a Lambda cheaper than the smallest task a month stays put.
    lambda_usd = facts.current_monthly_usd(catalog)
    if lambda_usd is None or lambda_usd <= fargate_floor(
        catalog, config.region, config.architecture
    ):
        return None
    option = fargate_alternative(
        catalog,
        region=config.region,
        arch=config.architecture,
        duration_ms=Decimal(repr(usage.duration_avg_ms)),
        memory_mb=config.memory_mb,
        monthly_invocations=invocations,
        peak_concurrency=facts.metrics.concurrency_max,
        billed_ms=facts.billed_ms,
    )
    if option.cheaper != "fargate" or option.lambda_monthly_usd is None:
        return None
    return Finding(
        function=config.name,
        kind="fargate",
        monthly_usd=option.lambda_monthly_usd - option.monthly_usd,
        summary=(
            f"steady load: {option.tasks} Fargate task(s) of {option.task_vcpu} vCPU / "
            f"{option.task_memory_gb} GB would carry it for less"
        ),
        estimate=True,
        details={
            "concurrency": str(option.concurrency),
            "concurrency_basis": option.concurrency_basis,
            "fargate_usd": money(option.monthly_usd),
            "lambda_usd": money(option.lambda_monthly_usd),
        },
    )


def savings_plan(all_facts: Iterable[FunctionFacts], catalog: Any) -> Finding | None:
    """One account-level finding: what a Compute Savings Plan would save on Lambda duration."""
    total = Decimal(0)
    covered = 0
    for facts in all_facts:
        billed, invocations = facts.billed_ms, facts.monthly_invocations
        if billed is None or invocations is None:
            continue
        config = facts.config
        on_demand, with_plan = (
            price_size(
                catalog,
                region=config.region,
                arch=config.architecture,
                memory_mb=config.memory_mb,
                billed_ms=billed,
                monthly_invocations=invocations,
                free_tier=False,
                savings_plan=plan,
                ephemeral_mb=config.ephemeral_mb,
            ).total_usd
            for plan in (None, SAVINGS_PLAN)
        )
        if on_demand is None or with_plan is None:
            continue
        total += on_demand - with_plan
        covered += 1
    if covered == 0 or total <= 0:
        return None
    return Finding(
        function="*",
        kind="savings-plan",
        monthly_usd=total,
        summary=(
            f"a {SAVINGS_PLAN} Compute Savings Plan covering "
            f"{covered} function{'s' if covered != 1 else ''}"
        ),
        estimate=True,
        details={"plan": SAVINGS_PLAN, "functions": covered},
    )


def cold_start_profile(facts: FunctionFacts) -> ColdStartProfile | None:
    """The cold-start inputs the records hold for a function (None without REPORT records)."""
    usage, config = facts.usage, facts.config
    billed = facts.billed_ms
    if usage is None or billed is None or not usage.reports or usage.shared_log_group:
        return None
    return ColdStartProfile(
        region=config.region,
        arch=config.architecture,
        memory_mb=config.memory_mb,
        monthly_invocations=facts.monthly_invocations,
        reports=usage.reports,
        cold_starts=min(usage.cold_starts, usage.reports),
        billed_avg_ms=billed,
        init_avg_ms=None
        if usage.init_avg_ms is None
        else Decimal(repr(usage.init_avg_ms)).quantize(Decimal("0.001")),
        init_p99_ms=usage.init_p99_ms,
        duration_p50_ms=usage.duration_p50_ms,
        duration_p99_ms=usage.duration_p99_ms,
        latency_p99_ms=usage.latency_p99_ms,
        runtime=config.runtime,
        package_type=config.package_type,
        peak_concurrency=facts.metrics.concurrency_max,
        duration_avg_ms=usage.duration_avg_ms,
        ephemeral_mb=config.ephemeral_mb,
    )


def _cold_details(advice: ColdStartAdvice) -> dict[str, Any]:
    data = advice.to_json()
    keys = (
        *("cold_share", "cold_starts_per_month", "init_billed_ms", "init_monthly_usd"),
        *("init_share", "p99_warm_ms", "p99_with_cold_ms", "p99_basis"),
    )
    return {k: data[k] for k in keys}


def _pct(share: Decimal | None) -> str:
    return "?" if share is None else f"{share * 100:.1f}%"


def cold_start_findings(facts: FunctionFacts, catalog: Any) -> list[Finding]:
    """SnapStart, Provisioned Concurrency and lazy-init findings where they pay, by $/month."""
    profile = cold_start_profile(facts)
    if profile is None or profile.cold_starts == 0 or profile.monthly_invocations is None:
        return []
    advice = cold_start_advice(catalog, profile)
    name, found = facts.config.name, []
    base = _cold_details(advice)
    p99 = advice.p99_with_cold_ms
    latency = f"p99 {p99:g} ms with cold starts" if p99 is not None else "p99 unknown"
    snap = advice.snapstart
    if snap is not None and snap.saving_usd > 0:
        after = "" if snap.p99_ms is None else f" -> ~{snap.p99_ms:g} ms"
        found.append(
            Finding(
                function=name,
                kind="snapstart",
                monthly_usd=snap.saving_usd,
                summary=(
                    f"{_pct(advice.cold_share)} cold starts, INIT {advice.init_billed_ms} ms "
                    f"({_pct(advice.init_share)} of the bill): SnapStart restores cost less "
                    f"({latency}{after})"
                ),
                estimate=True,
                command=(
                    f"aws lambda update-function-configuration --function-name {name} "
                    "--snap-start ApplyOn=PublishedVersions"
                ),
                details={**base, "snapstart": snap.to_json()},
            )
        )
    pc = advice.provisioned
    if pc is not None and pc.saving_usd > 0:
        after = "" if pc.p99_ms is None else f" -> {pc.p99_ms:g} ms"
        found.append(
            Finding(
                function=name,
                kind="provisioned-concurrency",
                monthly_usd=pc.saving_usd,
                summary=(
                    f"{pc.concurrency} provisioned environment(s) all month would be "
                    f"{_pct(pc.utilisation)} busy (break-even {_pct(pc.break_even_utilisation)})"
                    f" and cut cold starts from {_pct(advice.cold_share)} to "
                    f"{_pct(advice.cold_share * pc.spill_share)} ({latency}{after})"
                ),
                estimate=True,
                command=(
                    f"aws lambda put-provisioned-concurrency-config --function-name {name} "
                    f"--qualifier LIVE_ALIAS --provisioned-concurrent-executions {pc.concurrency}"
                ),
                details={**base, "provisioned_concurrency": pc.to_json()},
            )
        )
    if advice.lazy_init:
        found.append(
            Finding(
                function=name,
                kind="lazy-init",
                monthly_usd=advice.lazy_init_usd,
                summary=(
                    f"INIT is {_pct(advice.init_share)} of the bill "
                    f"(${advice.init_monthly_usd:.2f}/month): load modules, clients and models "
                    "on first use, not at import"
                ),
                estimate=True,
                details={
                    **base,
                    "basis": "half of what INIT costs a month, as an assumption: what lazy "
                    "loading saves is the part of INIT the first request does not need",
                },
            )
        )
    return found


_RULES = (
    over_provisioned,
    under_provisioned,
    timeouts,
    arm64,
    fargate,
    log_findings,
    cold_start_findings,
)


def find_all(
    facts: Iterable[FunctionFacts], catalog: Any, problems: list[str] | None = None
) -> list[Finding]:
    """Every finding for every function, ranked by dollars at stake (unknown last).

    A rule the catalog cannot price (a region or architecture it lacks) is skipped for that
    function and said so in ``problems``, rather than failing the whole account.
    """
    facts = list(facts)
    found: list[Finding] = []
    for one in facts:
        for rule in _RULES:
            try:
                result = rule(one, catalog)
            except UnknownPricingKey as exc:
                if problems is not None:
                    problems.append(f"{one.config.name}: {rule.__name__} not priced: {exc}")
                continue
            if isinstance(result, Finding):
                found.append(result)
            elif result:
                found.extend(result)
    try:
        plan = savings_plan(facts, catalog)
    except UnknownPricingKey as exc:
        plan = None
        if problems is not None:
            problems.append(f"savings plan not priced: {exc}")
    if plan is not None:
        found.append(plan)
    return rank(found)


def rank(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (f.monthly_usd is None, -(f.monthly_usd or 0), f.function, f.kind),
    )
