"""The frozen dataclasses of a tuning Result (schema version 1).

Plain data: the reports and the gate read these (or their JSON), never the tuner's internals.
Money is ``Decimal`` (a decimal string in JSON); durations are float milliseconds; unknown is
``None`` (null in JSON), never 0. Collections are tuples so a Result is immutable end to end.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from powertune.tune.targets.interface import Sample

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
class Run:
    """How the run was made: target, search, strategy and the stopping rule's settings."""

    target: TargetKind
    endpoint_url: str | None = None
    cpu_mode: str | None = None
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
        )

    def to_sample(self, memory_mb: int) -> Sample:
        """Back to the target interface's Sample (``cold`` follows ``init_ms`` there)."""
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
        )

    @property
    def ok(self) -> bool:
        return self.status == "success" and self.error_type is None


@dataclass(frozen=True, kw_only=True)
class DurationStats:
    """Duration (ms) of the successful invocations; ``ci95`` is the t-interval of the mean."""

    mean: float
    p50: float
    p90: float
    p95: float
    p99: float
    ci95: Interval | None = None


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

    @classmethod
    def from_samples(
        cls,
        memory_mb: int,
        samples: Any,
        *,
        cost_per_invocation: Decimal | None = None,
        cost_ci95: MoneyInterval | None = None,
        keep_samples: bool = True,
    ) -> Measurement:
        """Statistics of ``samples`` (target Samples or SampleRecords) at ``memory_mb``.

        Money is priced by ``pricing/`` and passed in; this only summarises the timings.
        """
        from powertune.results.stats import measurement_from_samples

        return measurement_from_samples(
            memory_mb,
            samples,
            cost_per_invocation=cost_per_invocation,
            cost_ci95=cost_ci95,
            keep_samples=keep_samples,
        )

    @classmethod
    def skipped(
        cls, memory_mb: int, reason: str, samples: Any = (), *, keep_samples: bool = True
    ) -> Measurement:
        """A size that was not measured, and why (out of memory, timeout, error rate, throttled)."""
        from powertune.results.stats import as_records

        records = as_records(samples)
        return cls(
            memory_mb=memory_mb,
            status="skipped",
            skip_reason=reason,
            invocations=len(records),
            errors=sum(1 for r in records if not r.ok),
            cold_starts=sum(1 for r in records if r.cold),
            samples=records if keep_samples else (),
        )

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


@dataclass(frozen=True, kw_only=True)
class Recommendation:
    """The size to use and why; arm64/fargate/logs are recommend.py's open objects."""

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
    arm64: dict[str, Any] | None = None
    fargate: dict[str, Any] | None = None
    logs: dict[str, Any] | None = None
    reason: str | None = None  # why not the strictly cheapest size (the tie band), in words
    tie_band: float | None = None  # cost/slo: the band the choice was made within
    basis: str | None = None  # where $/invocation and $/month come from: measured | model
    cold_share: float | None = None  # share of invocations priced with INIT billed


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

    def measurement(self, memory_mb: int) -> Measurement | None:
        return next((m for m in self.measurements if m.memory_mb == memory_mb), None)

    def measured(self) -> list[Measurement]:
        """The measured sizes, smallest first."""
        return sorted((m for m in self.measurements if m.measured), key=lambda m: m.memory_mb)


@dataclass(frozen=True, kw_only=True)
class Tuning:
    """What the run itself cost."""

    invocations: int
    billed_gb_s: float
    spend_usd: Decimal | None
    wall_s: float


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

    def function(self, name: str) -> FunctionResult | None:
        return next((f for f in self.functions if f.name == name), None)

    def to_json(self) -> dict[str, Any]:
        from powertune.results.jsonio import result_to_json

        return result_to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], *, source: str | None = None) -> Result:
        from powertune.results.jsonio import result_from_json

        return result_from_json(data, source=source)
