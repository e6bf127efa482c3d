"""The frozen dataclasses of a tuning Result (schema version 1).

Plain data: the reports and the gate read these (or their JSON), never the tuner's internals.
Statistics (``results.stats``) and JSON (``results.jsonio``) build on this module, never the
other way round.
Money is ``Decimal`` (a decimal string in JSON); durations are float milliseconds; unknown is
``None`` (null in JSON), never 0. Collections are tuples so a Result is immutable end to end.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from powertune import identity
from powertune.types import Sample

SCHEMA_VERSION = "1"
_VERSION_RE = r"^1(\.[0-9]+)?$"  # a later 1.x writer stays readable (the gate warns)
_UTC_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"

TargetKind = Literal["aws", "local", "replay"]
SearchKind = Literal["adaptive", "grid"]
MeasurementStatus = Literal["measured", "skipped"]
SampleStatus = Literal["success", "error", "timeout"]
ModelStatus = Literal["fitted", "failed"]
RecommendationSource = Literal["model", "measured"]
InvocationsSource = Literal["cloudwatch", "flag"]
# "stopped": a budget (--max-invocations, --max-spend) ended the side-by-side measurement before
# the twin had a usable size: no figures, and no finding either
VariantStatus = Literal["measured", "fails", "stopped"]
ChangeBasis = Literal["month", "invocation"]

MoneyInterval = tuple[Decimal, Decimal]
Interval = tuple[float, float]


def utc_now_iso() -> str:
    """Now, as ISO 8601 UTC with a ``Z`` (what ``generated_at`` carries)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, kw_only=True)
class Pricing:
    """Which catalog priced the result."""

    catalog_version: str
    region: str
    currency: str = field(default="USD", metadata={"schema": {"type": "string", "const": "USD"}})


@dataclass(frozen=True, kw_only=True)
class Replay:
    """Where a replayed run's measurements came from."""

    source: str
    rows: int
    noise_model: str | None = None


@dataclass(frozen=True, kw_only=True)
class LocalRuntime:
    """How far to trust a local run: the CPUs the embedded runtime had and the contention seen.

    ``queued`` invocations waited for CPU share or a warm environment (never billed);
    ``steal`` is the share of host CPU time the hypervisor took; ``other_load_cpus`` the CPUs
    other processes kept busy on average. Figures from a loaded host deserve less trust.
    """

    available_cpus: float
    cpu_source: str
    lanes: int
    cold_starts: int
    queued: int
    queue_wait_ms_total: float
    queue_wait_ms_max: float
    peak_share: float
    over_host: int = 0
    steal: float | None = None
    other_load_cpus: float | None = None
    load_average: float | None = None


@dataclass(frozen=True, kw_only=True)
class Run:
    """How the run was made: target, search, strategy and the stopping rule's settings."""

    target: TargetKind
    endpoint_url: str | None = None
    cpu_mode: str | None = None
    local: LocalRuntime | None = field(default=None, metadata={"omit_none": True})
    replay: Replay | None = None
    search: SearchKind
    strategy: str
    payload_sha256: str | None = None
    tolerance: float | None = None
    confidence: float | None = None
    stop_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class SampleRecord:
    """One invocation's REPORT, as stored in the result (its memory size is the measurement's)."""

    request_id: str | None = None
    duration_ms: float
    billed_ms: int | None = None
    init_ms: float | None = None
    max_memory_mb: int | None = None
    status: SampleStatus = "success"
    error_type: str | None = None
    cold: bool = False
    payload_index: int = 0
    log_bytes: int | None = None
    restore_ms: float | None = field(default=None, metadata={"omit_none": True})  # SnapStart
    billed_restore_ms: int | None = field(default=None, metadata={"omit_none": True})
    allowed: bool | None = field(default=None, metadata={"omit_none": True})  # allowed error

    @classmethod
    def from_sample(cls, sample: Sample) -> SampleRecord:
        status = sample.status if sample.status in ("success", "error", "timeout") else "error"
        return cls(
            duration_ms=float(sample.duration_ms),
            billed_ms=sample.billed_ms,
            init_ms=sample.init_ms,
            max_memory_mb=sample.max_memory_mb,
            status=status,  # type: ignore[arg-type]
            error_type=sample.error_type,
            cold=sample.cold,
            payload_index=sample.payload_index,
            request_id=sample.request_id,
            log_bytes=sample.log_bytes,
            restore_ms=sample.restore_ms,
            billed_restore_ms=sample.billed_restore_ms,
            allowed=True if sample.allowed else None,
        )

    def to_sample(self, memory_mb: int) -> Sample:
        """Back to the target interface's Sample (``cold`` follows ``init_ms`` and
        ``restore_ms`` there)."""
        return Sample(
            memory_mb=memory_mb,
            duration_ms=self.duration_ms,
            billed_ms=self.billed_ms,
            init_ms=self.init_ms,
            max_memory_mb=self.max_memory_mb,
            status=self.status,
            error_type=self.error_type,
            request_id=self.request_id,
            payload_index=self.payload_index,
            log_bytes=self.log_bytes,
            restore_ms=self.restore_ms,
            billed_restore_ms=self.billed_restore_ms,
            allowed=bool(self.allowed),
        )

    @property
    def ok(self) -> bool:
        return (self.status == "success" and self.error_type is None) or bool(self.allowed)


@dataclass(frozen=True, kw_only=True)
class DurationStats:
    """Duration (ms) of the successful invocations; ``mean`` is the run's trimmed mean.

    ``trim`` of the fastest and of the slowest are left out of ``mean`` (nothing when ``trim``
    is absent); ``ci95`` is the t-interval of that mean, percentiles are over all of them."""

    mean: float
    p50: float
    p90: float
    p95: float
    p99: float
    ci95: Interval | None = None
    trim: float | None = field(default=None, metadata={"omit_none": True})


@dataclass(frozen=True, kw_only=True)
class BilledStats:
    mean: float
    p50: float
    p95: float


@dataclass(frozen=True, kw_only=True)
class InitStats:
    mean: float
    max: float


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """One memory size: measured (with statistics) or skipped (with a reason)."""

    memory_mb: int
    status: MeasurementStatus
    skip_reason: str | None = None
    invocations: int = 0
    errors: int = 0
    cold_starts: int = 0
    duration_ms: DurationStats | None = None
    billed_ms: BilledStats | None = None
    init_ms: InitStats | None = None
    max_memory_used_mb: int | None = None
    cost_per_invocation_usd: Decimal | None = None
    cost_ci95_usd: MoneyInterval | None = None
    samples: tuple[SampleRecord, ...] = ()

    @property
    def measured(self) -> bool:
        return self.status == "measured"

    def to_samples(self) -> list[Sample]:
        return [r.to_sample(self.memory_mb) for r in self.samples]


@dataclass(frozen=True, kw_only=True)
class Criterion:
    """How the model was chosen (``aic``, ``cv_rmse``, ...) and its value."""

    name: str
    value: float


@dataclass(frozen=True, kw_only=True)
class CurvePoint:
    """The fitted model at one memory size, with its 95% intervals."""

    memory_mb: int
    duration_ms: float
    duration_lo: float | None = None
    duration_hi: float | None = None
    duration_p95: float | None = None
    duration_p95_hi: float | None = None
    cost_per_invocation_usd: Decimal | None = None
    cost_lo_usd: Decimal | None = None
    cost_hi_usd: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class Model:
    """The duration-vs-memory fit, or why it failed (then the recommendation uses measurements)."""

    status: ModelStatus
    name: str | None = None
    params: dict[str, float] = field(default_factory=dict)
    criterion: Criterion | None = None
    failure_reason: str | None = None
    curve: tuple[CurvePoint, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Monthly:
    """Dollars per month at the function's traffic: current size vs recommended."""

    invocations: int
    invocations_source: InvocationsSource
    current_usd: Decimal | None
    recommended_usd: Decimal | None
    saving_usd: Decimal | None


@dataclass(frozen=True, kw_only=True)
class Alternative:
    """What another strategy would have chosen."""

    memory_mb: int
    cost_per_invocation_usd: Decimal | None = None
    duration_ms_p95: float | None = None
    # $/month at the recommendation's traffic, priced like it (tiers, free tier, Savings Plan)
    monthly_usd: Decimal | None = field(default=None, metadata={"omit_none": True})


@dataclass(frozen=True, kw_only=True)
class PricedItem:
    """One line of a priced month: ``quantity`` ``unit`` at ``rate`` USD per unit = ``usd``."""

    name: str
    quantity: Decimal | None = None
    unit: str | None = None
    rate: Decimal | None = None
    usd: Decimal | None = None
    note: str | None = field(default=None, metadata={"omit_none": True})


# The priced alternatives below were open objects in early v1 files: every field may be missing
# there (unknown is None), so those files still load.


@dataclass(frozen=True, kw_only=True)
class LambdaMonth:
    """One memory size priced for a month: the line items and their total."""

    memory_mb: int | None = None
    billed_ms_avg: Decimal | None = None
    total_usd: Decimal | None = None
    items: tuple[PricedItem, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Arm64Comparison:
    """A month on x86_64 against a month on arm64 (an estimate, or measured on a twin)."""

    estimate: bool | None = None
    basis: str | None = field(default=None, metadata={"omit_none": True})
    region: str | None = None
    monthly_invocations: int | None = None
    x86_64_usd: Decimal | None = None
    arm64_usd: Decimal | None = None
    saving_usd: Decimal | None = None  # positive when arm64 is cheaper
    saving_pct: Decimal | None = None
    arm64_function: str | None = None
    x86_64: LambdaMonth | None = None
    arm64: LambdaMonth | None = None


@dataclass(frozen=True, kw_only=True)
class FargateAlternative:
    """The cheapest Fargate fleet for the load, its month, and where it beats Lambda."""

    region: str | None = None
    architecture: str | None = None
    lambda_memory_mb: int | None = None
    vcpu_per_execution: Decimal | None = None
    concurrency: Decimal | None = None
    concurrency_basis: str | None = None
    task_vcpu: Decimal | None = None
    task_memory_gb: Decimal | None = None
    tasks: int | None = None
    hours_per_month: int | None = None
    monthly_usd: Decimal | None = None
    lambda_monthly_usd: Decimal | None = None
    cheaper: str | None = None
    break_even_invocations: int | None = None
    savings_plan: str | None = None
    items: tuple[PricedItem, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class LogsMonth:
    """One way of keeping the logs, for a month (``retention_days`` None: never expire)."""

    log_class: str | None = None
    retention_days: int | None = None
    stored_months: Decimal | None = None
    ingestion_usd: Decimal | None = None
    storage_usd: Decimal | None = None
    total_usd: Decimal | None = None
    items: tuple[PricedItem, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class LogsAlternative:
    """The logs' month now, and the two cheaper ways of keeping them."""

    region: str | None = None
    bytes_per_invocation: Decimal | None = None
    monthly_invocations: int | None = None
    ingest_gb: Decimal | None = None
    current_usd: Decimal | None = None
    retention_saving_usd: Decimal | None = None
    infrequent_access_saving_usd: Decimal | None = None
    growth_usd_per_month: Decimal | None = None
    storage_model: str | None = None
    current: LogsMonth | None = None
    with_retention: LogsMonth | None = None
    infrequent_access: LogsMonth | None = None


@dataclass(frozen=True, kw_only=True)
class ManagedInstancesAlternative:
    """The cheapest Lambda Managed Instances fleet for the load, against Lambda and Fargate."""

    region: str | None = None
    architecture: str | None = None
    instance_type: str | None = None
    instances: int | None = None
    vcpu_needed: Decimal | None = None
    monthly_usd: Decimal | None = None
    lambda_monthly_usd: Decimal | None = None
    fargate_monthly_usd: Decimal | None = None
    cheapest: str | None = None  # "lambda" | "managed_instances" | "fargate"; None: unknown
    break_even_invocations: int | None = None  # above it Managed Instances beat Lambda
    cpu_bound_fraction: Decimal | None = None
    items: tuple[PricedItem, ...] = ()
    notes: tuple[str, ...] = ()
    unavailable: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SnapStartAlternative:
    """SnapStart against paying INIT: cache while a version is active, a restore per cold start."""

    billing: str | None = None  # "charged" | "free" (Java) | "unknown" (priced as charged)
    restore_billed_ms: Decimal | None = None
    restore_basis: str | None = None  # "measured" | "assumed"
    cache_usd: Decimal | None = None
    restore_usd: Decimal | None = None
    monthly_usd: Decimal | None = None
    saving_usd: Decimal | None = None  # negative: SnapStart costs more
    break_even_restore_ms: int | None = None
    break_even_init_ms: int | None = None
    p99_ms: float | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProvisionedAlternative:
    """Provisioned Concurrency sized for the load: utilisation, break-even, p99 after."""

    concurrency: int | None = None
    concurrency_basis: str | None = None  # "peak" | "average"
    hours: int | None = None
    utilisation: Decimal | None = None
    break_even_utilisation: Decimal | None = None
    pc_rate_usd_per_gb_s: Decimal | None = None
    pc_duration_rate_usd_per_gb_s: Decimal | None = None
    monthly_usd: Decimal | None = None
    saving_usd: Decimal | None = None
    spill_share: Decimal | None = None
    environments_for_all: int | None = None
    monthly_usd_for_all: Decimal | None = None
    p99_ms: float | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ColdStarts:
    """The function's cold starts priced (INIT billed), and what would remove them."""

    cold_share: Decimal | None = None
    cold_starts_per_month: int | None = None
    init_billed_ms: Decimal | None = None
    monthly_usd: Decimal | None = None  # the month as billed now, INIT included
    init_monthly_usd: Decimal | None = None
    init_share: Decimal | None = None  # of the month's bill
    p99_warm_ms: float | None = None
    p99_with_cold_ms: float | None = None
    p99_basis: str | None = None  # "measured" | "estimated" | "warm only" | "unknown"
    snapstart: SnapStartAlternative | None = None
    provisioned_concurrency: ProvisionedAlternative | None = None
    lazy_init: bool | None = None
    lazy_init_usd: Decimal | None = None
    unavailable: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Recommendation:
    """The size to use and why, with arm64, Fargate and logs priced beside it."""

    strategy: str
    memory_mb: int
    source: RecommendationSource
    cost_per_invocation_usd: Decimal | None
    cost_interval_usd: MoneyInterval | None = None
    duration_ms_p50: float | None
    duration_ms_p95: float | None
    duration_p95_interval: Interval | None = None
    knee_mb: int | None = None
    warnings: tuple[str, ...] = ()
    monthly: Monthly | None = None
    alternatives: dict[str, Alternative] | None = None
    arm64: Arm64Comparison | None = None
    fargate: FargateAlternative | None = None
    logs: LogsAlternative | None = None
    managed_instances: ManagedInstancesAlternative | None = field(
        default=None, metadata={"omit_none": True}
    )
    cold_starts: ColdStarts | None = field(default=None, metadata={"omit_none": True})
    # alternatives left unpriced, and why ("Fargate prices unknown in eu-north-1 ...")
    unavailable: dict[str, str] | None = field(default=None, metadata={"omit_none": True})
    # why not the strictly cheapest size (the tie band), in words
    reason: str | None = field(default=None, metadata={"omit_none": True})
    # cost/slo: the band the choice was made within
    tie_band: float | None = field(default=None, metadata={"omit_none": True})
    # cost/slo, when the tie went past the cheapest: the strictly cheapest size, and the cost the
    # choice may give up against it as a 95% interval of fractions ([0.0, 0.021]: up to 2.1%)
    cheapest_mb: int | None = field(default=None, metadata={"omit_none": True})
    given_up: Interval | None = field(default=None, metadata={"omit_none": True})
    # where $/invocation and $/month come from: measured | model
    basis: str | None = field(default=None, metadata={"omit_none": True})
    # share of invocations priced with INIT billed
    cold_share: float | None = field(default=None, metadata={"omit_none": True})


@dataclass(frozen=True, kw_only=True)
class PricedSize:
    """One size on the function's priced curve: the figures the decision, the alternatives, every
    table, the chart and the JSON read for it (no output prices a size on its own).

    ``basis`` is what the figures rest on: the model (fitted across the sizes, measured ones
    pulled towards their own samples) or the measured size's own samples. ``tied``: the run
    cannot tell this size's cost from the cheapest at its confidence (``cost``/``slo``).
    ``note``: why it was not chosen, where it looks cheaper and faster than the recommendation.
    """

    memory_mb: int
    basis: RecommendationSource
    measured: bool  # this exact size was measured
    cost_per_invocation_usd: Decimal
    cost_interval_usd: MoneyInterval | None = None
    duration_ms_p50: float
    duration_ms_p95: float
    duration_p95_interval: Interval | None = None
    tied: bool | None = field(default=None, metadata={"omit_none": True})
    note: str | None = field(default=None, metadata={"omit_none": True})


@dataclass(frozen=True, kw_only=True)
class VariantSide:
    """One side of a variant's comparison: the function, or the variant's twin, at the size its
    own decision chose on the side-by-side measurement, with that measurement's figures."""

    function: str
    architecture: str
    runtime: str | None = None
    memory_mb: int
    invocations: int  # measured there, side by side (warm-ups left out)
    cost_per_invocation_usd: Decimal | None = None
    cost_interval_usd: MoneyInterval | None = None
    duration_ms_p95: float | None = None
    duration_p95_interval: Interval | None = None
    monthly_usd: Decimal | None = None  # at the function's traffic, at this side's own rates


@dataclass(frozen=True, kw_only=True)
class VariantResult:
    """A variant (``--variant arch=arm64``) measured on a temporary twin, side by side with the
    function (the same sizes and payloads, invocations interleaved), decided and priced at its
    own rates; or, when the twin fails at invocation, that finding."""

    variant: str  # the spec: arch=arm64,runtime=python3.13
    architecture: str
    runtime: str | None = None
    twin: str  # the twin function's name (deleted at the end of the run)
    status: VariantStatus
    # "fails: Runtime.ImportModuleError in 10 of 10 invocations"; when "stopped", why
    failure: str | None = None
    rounds: int  # interleaved rounds measured (one invocation per size and function each)
    strategy: str
    variant_side: VariantSide | None = None  # the twin at its own recommended size
    function_side: VariantSide | None = None  # the function, measured beside it, decided alike
    monthly_invocations: int | None = None
    monthly_change_usd: Decimal | None = None  # negative: the variant is cheaper
    # the change in $/month at the function's traffic ("month"), or per invocation when the
    # traffic is unknown ("invocation"), in percent; negative: the variant is cheaper
    change_pct: Decimal | None = None
    change_basis: ChangeBasis | None = None
    p95_change_pct: float | None = None  # negative: the variant is faster
    # the variant's effect alone, where the two choices differ: the twin at the function's size
    same_size: VariantSide | None = field(default=None, metadata={"omit_none": True})
    same_size_change_pct: Decimal | None = field(default=None, metadata={"omit_none": True})
    same_size_p95_change_pct: float | None = field(default=None, metadata={"omit_none": True})
    measurements: tuple[Measurement, ...] = ()  # the twin's sizes
    priced: tuple[PricedSize, ...] = ()  # the twin's own priced curve
    function_measurements: tuple[Measurement, ...] = ()  # the function, measured side by side
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FunctionResult:
    """Everything measured and concluded about one function."""

    name: str
    arn: str | None = None
    region: str
    architecture: str
    original_memory_mb: int
    payload_sha256: str | None = None
    measurements: tuple[Measurement, ...] = ()
    model: Model | None = None
    recommendation: Recommendation | None = None
    # The one priced curve: every size an output shows, with its figures (smallest first)
    priced: tuple[PricedSize, ...] = field(default=(), metadata={"omit_empty": True})
    # --variant: each variant measured on a twin beside the function (none: the field is left out)
    variants: tuple[VariantResult, ...] = field(default=(), metadata={"omit_empty": True})

    def measurement(self, memory_mb: int) -> Measurement | None:
        return next((m for m in self.measurements if m.memory_mb == memory_mb), None)

    def priced_size(self, memory_mb: int) -> PricedSize | None:
        return next((p for p in self.priced if p.memory_mb == memory_mb), None)

    def measured(self) -> list[Measurement]:
        """The measured sizes, smallest first."""
        return sorted((m for m in self.measurements if m.measured), key=lambda m: m.memory_mb)


@dataclass(frozen=True, kw_only=True)
class FailedFunction:
    """A function of a fleet run that could not be tuned (errors, throttles, permissions):
    reported, put back, and the other functions' run went on."""

    name: str
    reason: str
    restored: bool  # its configuration was found as it was before the run


@dataclass(frozen=True, kw_only=True)
class Tuning:
    """What the run itself cost."""

    invocations: int
    billed_gb_s: float
    spend_usd: Decimal | None
    wall_s: float


@dataclass(frozen=True, kw_only=True)
class Shard:
    """Which share of a sharded fleet run a result holds: the ``index``-th of ``count``, out of
    ``selected`` functions in the whole run (what ``merge`` checks the parts against)."""

    index: int
    count: int
    selected: int


@dataclass(frozen=True, kw_only=True)
class Result:
    """A tuning run's result: the document `report` renders and `gate` compares."""

    schema_version: str = field(
        default=SCHEMA_VERSION, metadata={"schema": {"type": "string", "pattern": _VERSION_RE}}
    )
    tool_version: str
    generated_at: str = field(metadata={"schema": {"type": "string", "pattern": _UTC_RE}})
    pricing: Pricing
    run: Run
    functions: tuple[FunctionResult, ...]
    tuning: Tuning
    failed: tuple[FailedFunction, ...] | None = field(default=None, metadata={"omit_none": True})
    # the fleet run this result belongs to (every shard of one run carries the same id);
    # None in files written before run ids: unknown
    run_id: str | None = field(default=None, metadata={"omit_none": True})
    shard: Shard | None = field(default=None, metadata={"omit_none": True})

    def function(self, name: str) -> FunctionResult | None:
        return next((f for f in self.functions if f.name == name), None)

    def duplicate_names(self) -> list[str]:
        """Names given to more than one function (tuned or failed), in the order met."""
        seen: set[str] = set()
        twice: list[str] = []
        for name in [f.name for f in self.functions] + [f.name for f in self.failed or ()]:
            if name in seen and name not in twice:
                twice.append(name)
            seen.add(name)
        return twice

    def duplicate_functions(self) -> list[tuple[str, str]]:
        """Pairs of entries naming one function (``powertune.identity``: the same name, and the
        same account and region where both say), as JSON paths."""
        entries = [
            (f"$.functions[{i}] ({f.name})", identity.of(f.name, f.arn, f.region))
            for i, f in enumerate(self.functions)
        ]
        return identity.duplicates(entries)
