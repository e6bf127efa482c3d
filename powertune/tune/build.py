"""Turn a tuning run's observations into a Result: measurements, the fitted model, the choice
per strategy, and the recommendation priced in dollars per month.

Every price comes from ``pricing/`` (directly or through ``costing`` and ``recommend``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import numpy as np

from powertune import __version__
from powertune.models.fit import Fit, FitFailure
from powertune.recommend.coldstart import ColdStartProfile
from powertune.recommend.monthly import price_size
from powertune.recommend.priced import Arm64Twin, price_recommendation
from powertune.results.model import (
    Alternative,
    Criterion,
    CurvePoint,
    FunctionResult,
    Measurement,
    Model,
    PricedSize,
    Pricing,
    Recommendation,
    Result,
    Run,
    Tuning,
    VariantResult,
    VariantSide,
    utc_now_iso,
)
from powertune.results.stats import measurement_from_samples, skipped_measurement
from powertune.tune.decide.costcurve import (
    CostCurve,
    NothingToPrice,
    cost_curve,
    priced_samples,
)
from powertune.tune.decide.decision import DecideContext, Decision, measured_decision
from powertune.tune.decide.priced import priced_curve
from powertune.tune.decide.strategies import DEFAULT_TIE_BAND, STRATEGIES, Choice, choose
from powertune.tune.plan import (
    DEFAULT_BALANCED_WEIGHT,
    DEFAULT_PERCENTILE,
    DEFAULT_STRATEGY,
    DEFAULT_TRIM,
    SCORING_POWERTUNE,
)
from powertune.tune.search.interface import Search
from powertune.tune.sidebyside import Arm as SideBySideArm
from powertune.tune.sidebyside import SideBySide
from powertune.tune.tuner import TuneOutcome, skip_reason
from powertune.types import FunctionInfo, Observations


@dataclass(frozen=True)
class TrafficFigures:
    """The function's real traffic, for dollars per month (None where unknown)."""

    monthly_invocations: int | None = None
    source: str = "flag"  # "flag" | "cloudwatch"
    peak_concurrency: float | None = None
    log_bytes_per_invocation: float | None = None
    log_retention_days: int | None = None


@dataclass(frozen=True)
class BuildOptions:
    strategy: str = DEFAULT_STRATEGY
    balanced_weight: float = DEFAULT_BALANCED_WEIGHT
    max_p95_ms: float | None = None
    percentile: int = DEFAULT_PERCENTILE
    trim: float = DEFAULT_TRIM
    cold_share: float = 0.0
    free_tier: bool = False
    savings_plan: str | None = None
    seed: int = 0
    memory_range: tuple[int, int] | None = None
    arm64_twin: Arm64Twin | None = None
    tie_band: float = DEFAULT_TIE_BAND  # cost/slo: the fastest within this of the cheapest
    scoring: str = SCORING_POWERTUNE  # or aws-lambda-power-tuning's own (``strategies``)


def decide_context(outcome: TuneOutcome, catalog: Any, options: BuildOptions) -> DecideContext:
    """The context a search decides in: this function's prices and the run's strategy."""
    info = outcome.info
    return DecideContext(
        catalog=catalog,
        region=info.region,
        arch=info.architecture,
        ephemeral_mb=info.ephemeral_mb,
        current_mb=info.memory_mb,
        strategy=options.strategy,
        balanced_weight=options.balanced_weight,
        max_p95_ms=options.max_p95_ms,
        percentile=options.percentile,
        tie_band=options.tie_band,
        scoring=options.scoring,
        trim=options.trim,
        cold_share=options.cold_share,
        seed=options.seed,
        memory_range=options.memory_range,
    )


def decide(
    outcome: TuneOutcome, search: Search, catalog: Any, options: BuildOptions
) -> Decision | None:
    """The fit, cost curve and choice (``Search.decide``); None when nothing usable was
    measured."""
    return search.decide(outcome.observations, decide_context(outcome, catalog, options))


def build_result(
    outcome: TuneOutcome,
    *,
    search: Search,
    catalog: Any,
    run: Run,
    options: BuildOptions,
    traffic: TrafficFigures | None = None,
    payload_sha256: str | None = None,
    variants: tuple[VariantResult, ...] = (),
) -> Result:
    """The Result of one function's run (validated against the schema when written)."""
    info = outcome.info
    obs = outcome.observations
    sizes = sorted(set(obs.samples) | set(obs.skipped))  # a rejected size has no samples
    rows = _row_curve(outcome, catalog, options)
    measurements = tuple(_measurement(m, obs, rows, options.trim) for m in sizes)
    decision = decide(outcome, search, catalog, options)
    model = _model(decision) if decision is not None else None
    traffic = traffic or TrafficFigures()
    others = _alternative_choices(decision, options) if decision is not None else {}
    priced = (
        priced_curve(decision, info.memory_mb, others, measurements) if decision is not None else ()
    )
    recommendation = (
        _recommendation(decision, outcome, catalog, options, traffic, measurements, priced, others)
        if decision is not None
        else None
    )
    if recommendation is not None:
        recommendation = _arm64_measured(recommendation, info, variants)
    function = FunctionResult(
        name=info.name,
        arn=info.arn,
        region=info.region,
        architecture=info.architecture,
        original_memory_mb=info.memory_mb,
        payload_sha256=payload_sha256,
        measurements=measurements,
        model=model,
        recommendation=recommendation,
        priced=priced,
        variants=variants,
    )
    return Result(
        run_id=uuid.uuid4().hex,  # a fleet gives every function and shard its own run's id
        tool_version=__version__,
        generated_at=utc_now_iso(),
        pricing=Pricing(catalog_version=catalog.version, region=info.region),
        run=run,
        functions=(function,),
        tuning=Tuning(
            invocations=outcome.invocations,
            billed_gb_s=float(outcome.billed_gb_s),
            spend_usd=outcome.spend_usd,
            wall_s=round(outcome.wall_s, 3),
        ),
    )


def _row_curve(outcome: TuneOutcome, catalog: Any, options: BuildOptions) -> CostCurve | None:
    """The measured sizes priced from their own samples, as a grid's decision prices them (the
    run's trimmed mean of what the REPORTs billed, plus the cold-start share's INIT): a row and
    a choice made on the measurements are one figure. None when nothing succeeded."""
    info = outcome.info
    try:
        return cost_curve(
            None,
            outcome.observations,
            catalog=catalog,
            region=info.region,
            arch=info.architecture,
            cold_share=options.cold_share,
            trim=options.trim,
            ephemeral_mb=info.ephemeral_mb,
            seed=options.seed,
        )
    except NothingToPrice:
        return None


def _measurement(
    memory_mb: int, obs: Observations, rows: CostCurve | None, trim: float
) -> Measurement:
    samples = obs.samples.get(memory_mb, [])
    if memory_mb in obs.skipped:
        return skipped_measurement(memory_mb, obs.skipped[memory_mb], samples)
    cost = interval = None
    if rows is not None and memory_mb in rows.memory_mb:
        cost, lo, hi = rows.decimal_cost(memory_mb)
        interval = (lo, hi) if len(priced_samples(samples)) >= 2 else None  # none from one
    return measurement_from_samples(
        memory_mb, samples, cost_per_invocation=cost, cost_ci95=interval, trim=trim
    )


def _model(decision: Decision) -> Model:
    fit = decision.fit
    if not isinstance(fit, Fit):
        reason = fit.reason if isinstance(fit, FitFailure) else "no model fitted"
        return Model(status="failed", failure_reason=reason)
    points = []
    for memory in decision.shown.memory_mb:
        # One figure per size: where the decision's own curve is the model, its figures.
        on_decision = decision.basis == "model" and int(memory) in decision.curve.memory_mb
        curve = decision.curve if on_decision else decision.shown
        i = curve.index(int(memory))
        p95, _p95_lo, p95_hi = curve.quantiles.get(95, (None, None, None))
        cost, cost_lo, cost_hi = curve.decimal_cost(int(memory))
        points.append(
            CurvePoint(
                memory_mb=int(memory),
                duration_ms=round(float(curve.mean[i]), 3),
                duration_lo=round(float(curve.mean_lo[i]), 3),
                duration_hi=round(float(curve.mean_hi[i]), 3),
                duration_p95=None if p95 is None else round(float(p95[i]), 3),
                duration_p95_hi=None if p95_hi is None else round(float(p95_hi[i]), 3),
                cost_per_invocation_usd=cost,
                cost_lo_usd=cost_lo,
                cost_hi_usd=cost_hi,
            )
        )
    criterion = fit.criterion or {}
    name = str(criterion.get("name", "aicc"))
    value = criterion.get("value")
    return Model(
        status="fitted",
        name=fit.name,
        params={k: float(v) for k, v in fit.params.items()},
        criterion=Criterion(name=name, value=float(value)) if value is not None else None,
        curve=tuple(points),
    )


def _recommendation(
    decision: Decision,
    outcome: TuneOutcome,
    catalog: Any,
    options: BuildOptions,
    traffic: TrafficFigures,
    measurements: tuple[Measurement, ...],
    sizes: tuple[PricedSize, ...],
    others: dict[str, Choice],
) -> Recommendation:
    info = outcome.info
    choice = decision.choice
    curve = decision.curve
    alternatives: dict[str, Alternative] = {}
    for strategy, other in others.items():
        at = next(p for p in sizes if p.memory_mb == other.memory_mb)
        other_month = _month(catalog, info, curve, other.memory_mb, traffic, options)
        alternatives[strategy] = Alternative(
            memory_mb=at.memory_mb,
            cost_per_invocation_usd=at.cost_per_invocation_usd,
            duration_ms_p95=at.duration_ms_p95,
            monthly_usd=other_month,
        )
    # One basis: the choice, its $/invocation and $/month come from the curve it was made on;
    # only a current size that curve lacks is priced from the model, and the result says so.
    current_billed = _expected_billed(curve, info.memory_mb)
    basis = f"{curve.source}"
    if current_billed is None and decision.display is not None:
        current_billed = _expected_billed(decision.display, info.memory_mb)
        if current_billed is not None:
            basis += f"; the current {info.memory_mb} MB from the model (not measured)"
    if current_billed is None:
        lo, hi = int(min(curve.memory_mb)), int(max(curve.memory_mb))
        where = f"is outside the measured sizes ({lo}-{hi} MB)" if lo != hi else "was not measured"
        basis += f"; the current {info.memory_mb} MB {where}, so it is not priced"
    recommended_billed = _expected_billed(curve, choice.memory_mb)
    peak_memory = max(
        (m.max_memory_used_mb for m in measurements if m.max_memory_used_mb is not None),
        default=None,
    )
    warnings: list[str] = []
    if decision.evidence:
        warnings.append(decision.evidence)
    if choice.floor_mb and int(min(curve.memory_mb)) < choice.floor_mb:
        warnings.append(
            f"no size below {choice.floor_mb} MB was a candidate: a smaller size ran out of "
            "memory and none between was measured, so the function may not fit there"
        )
    init_priced = float(curve.init_ms[curve.index(choice.memory_mb)]) > 0
    if curve.cold_share > 0 and not init_priced:
        warnings.append(
            f"no INIT was measured (no cold start seen at any size): the {curve.cold_share:.0%} "
            "cold-start share is priced with 0 ms of INIT; --cold-starts measures it"
        )
    if choice.strategy == "slo" and choice.slo_met is False:
        warnings.append(
            f"no size meets p{choice.percentile} <= {choice.slo_ms} ms; the fastest is shown"
        )
    monthly = arm64 = fargate = logs = managed = cold = None
    unavailable: dict[str, str] | None = None
    if recommended_billed is not None:
        priced = price_recommendation(
            catalog,
            region=info.region,
            arch=info.architecture,
            current_memory_mb=info.memory_mb,
            current_billed_ms=current_billed if current_billed is not None else recommended_billed,
            recommended_memory_mb=choice.memory_mb,
            recommended_billed_ms=recommended_billed,
            recommended_duration_ms=choice.duration_mean,
            monthly_invocations=traffic.monthly_invocations,
            free_tier=options.free_tier,
            savings_plan=options.savings_plan,
            ephemeral_mb=info.ephemeral_mb,
            peak_max_memory_used_mb=peak_memory,
            peak_concurrency=traffic.peak_concurrency,
            arm64_twin=options.arm64_twin,
            log_bytes_per_invocation=traffic.log_bytes_per_invocation
            if traffic.log_bytes_per_invocation is not None
            else _log_bytes(outcome),
            log_retention_days=traffic.log_retention_days,
            cold_start=_cold_start(
                options, info, choice, recommended_billed, traffic, measurements
            ),
        )
        warnings.extend(priced.warnings)
        monthly = priced.results_monthly(traffic.source)  # type: ignore[arg-type]
        if monthly is not None and current_billed is None:
            # The current size was not measured nor predicted: no "current" dollars.
            monthly = type(monthly)(
                invocations=monthly.invocations,
                invocations_source=monthly.invocations_source,
                current_usd=None,
                recommended_usd=monthly.recommended_usd,
                saving_usd=None,
            )
        arm64 = priced.arm64.record() if priced.arm64 else None
        fargate = priced.fargate.record() if priced.fargate else None
        logs = priced.logs.record() if priced.logs else None
        managed = priced.managed_instances.record() if priced.managed_instances else None
        cold = priced.cold_starts.record() if priced.cold_starts else None
        unavailable = dict(priced.unavailable) or None
    at = next(p for p in sizes if p.memory_mb == choice.memory_mb)  # the one figure
    return Recommendation(
        strategy=choice.strategy,
        memory_mb=choice.memory_mb,
        source=at.basis,
        cost_per_invocation_usd=at.cost_per_invocation_usd,
        cost_interval_usd=at.cost_interval_usd,
        duration_ms_p50=at.duration_ms_p50,
        duration_ms_p95=at.duration_ms_p95,
        duration_p95_interval=at.duration_p95_interval,
        knee_mb=choice.knee_mb,
        warnings=tuple(warnings),
        monthly=monthly,
        alternatives=alternatives or None,
        arm64=arm64,
        fargate=fargate,
        logs=logs,
        managed_instances=managed,
        cold_starts=cold,
        unavailable=unavailable,
        reason=choice.reason,
        tie_band=choice.tie_band if choice.cheapest_mb is not None else None,
        cheapest_mb=choice.cheapest_mb if choice.cheapest_mb != choice.memory_mb else None,
        given_up=_fractions(choice.given_up),
        basis=basis,
        cold_share=curve.cold_share if init_priced else None,
    )


def _fractions(interval: tuple[float, float] | None) -> tuple[float, float] | None:
    """A cost interval as JSON carries it: fractions to 1e-6 (0.021 is 2.1%)."""
    return None if interval is None else (round(interval[0], 6), round(interval[1], 6))


def _arm64_measured(
    rec: Recommendation, info: FunctionInfo, variants: tuple[VariantResult, ...]
) -> Recommendation:
    """Where a variant measured arm64 alone (the function's runtime, another architecture), it is
    the result's arm64 figure: the estimate (the x86_64 durations priced at arm64 rates) is left
    out, so no output shows two arm64 months. The x86_64 month stays (the Savings Plan line reads
    it); ``arm64_function`` names the twin and ``basis`` points at the variant."""
    a = rec.arm64
    measured = next(
        (
            v
            for v in variants
            if v.status != "stopped"  # a finding either way: figures, or a twin that fails
            and v.architecture == "arm64"
            and info.architecture != "arm64"
            and v.runtime == info.runtime
        ),
        None,
    )
    if a is None or not a.estimate or measured is None:  # --compare's measurement stays
        return rec
    basis = (
        f"measured on twin {measured.twin} beside the function: see variants ({measured.variant}); "
        "the estimate from the x86_64 durations is left out"
    )
    arm64 = replace(
        a,
        estimate=False,
        basis=basis,
        arm64_usd=None,
        saving_usd=None,
        saving_pct=None,
        arm64=None,
        arm64_function=measured.twin,
    )
    return replace(rec, arm64=arm64)


def _alternative_choices(decision: Decision, options: BuildOptions) -> dict[str, Choice]:
    """What the other strategies pick on the decision's curve (the SLO one only with an SLO)."""
    out: dict[str, Choice] = {}
    for strategy in STRATEGIES:
        if strategy == decision.choice.strategy or (strategy == "slo" and not options.max_p95_ms):
            continue
        out[strategy] = choose(
            strategy,
            decision.curve,
            balanced_weight=options.balanced_weight,
            max_p95_ms=options.max_p95_ms,
            percentile=options.percentile,
            tie_band=options.tie_band,
            scoring=options.scoring,
            claim_bands=decision.choice.claim_bands,
            floor_mb=decision.choice.floor_mb,
        )
    return out


def _cold_start(
    options: BuildOptions,
    info: Any,
    choice: Any,
    billed: Decimal,
    traffic: TrafficFigures,
    measurements: tuple[Measurement, ...],
) -> ColdStartProfile | None:
    """The cold-start inputs at the recommended size: the cold share asked for and the INIT
    measured there (None without either)."""
    at = next((m for m in measurements if m.memory_mb == choice.memory_mb), None)
    if options.cold_share <= 0 or at is None or at.init_ms is None:
        return None
    return ColdStartProfile.from_share(
        options.cold_share,
        region=info.region,
        arch=info.architecture,
        memory_mb=choice.memory_mb,
        monthly_invocations=traffic.monthly_invocations,
        billed_avg_ms=billed,
        init_avg_ms=Decimal(repr(at.init_ms.mean)).quantize(Decimal("0.001")),
        duration_p50_ms=choice.duration_p50,
        duration_avg_ms=choice.duration_mean,
        runtime=info.runtime,
        package_type=info.package_type or "Zip",
        peak_concurrency=traffic.peak_concurrency,
        ephemeral_mb=info.ephemeral_mb,
    )


def _month(
    catalog: Any,
    info: Any,
    curve: CostCurve,
    memory_mb: int,
    traffic: TrafficFigures,
    options: BuildOptions,
) -> Decimal | None:
    """``memory_mb`` for a month at the traffic, from ``curve``'s expected billed duration, priced
    like the recommendation (tiers, free tier, Savings Plan); None when either is unknown."""
    billed = _expected_billed(curve, memory_mb)
    if billed is None:
        return None
    return price_size(
        catalog,
        region=info.region,
        arch=info.architecture,
        memory_mb=memory_mb,
        billed_ms=billed,
        monthly_invocations=traffic.monthly_invocations,
        free_tier=options.free_tier,
        savings_plan=options.savings_plan,
        ephemeral_mb=info.ephemeral_mb,
    ).total_usd


def _expected_billed(curve: CostCurve, memory_mb: int) -> Decimal | None:
    if not np.any(curve.memory_mb == memory_mb):
        return None
    return Decimal(repr(round(curve.expected_billed_ms(memory_mb), 3)))


def _log_bytes(outcome: TuneOutcome) -> float | None:
    sizes = [
        s.log_bytes
        for samples in outcome.observations.samples.values()
        for s in samples
        if s.log_bytes is not None
    ]
    return float(np.mean(sizes)) if sizes else None


# -- variants (``tune --variant``) ----------------------------------------------------------------


def variant_results(
    side: SideBySide,
    catalog: Any,
    options: BuildOptions,
    traffic: TrafficFigures | None = None,
    *,
    notes: tuple[str, ...] = (),
    function_mb: int | None = None,
) -> tuple[VariantResult, ...]:
    """Each twin of ``side`` (the function is its first arm) against the function, each priced
    at its own rates from the side-by-side measurement (the measured sizes' own samples). The
    twin's size is its own decision's (the run's strategy); the function's is ``function_mb``
    (the run's recommendation) where the side-by-side measured it, else its own decision there.
    A twin with no usable size is a finding."""
    traffic = traffic or TrafficFigures()
    function, *twins = side.arms
    base = _side_decision(function, catalog, options)
    theirs = base.at(function_mb, catalog, options, traffic) or base.at(
        base.chosen, catalog, options, traffic
    )
    out = []
    for arm in twins:
        info = arm.info
        assert info is not None
        own = _side_decision(arm, catalog, options)
        mine = own.at(own.chosen, catalog, options, traffic)
        failures = _failures(arm)
        common = {
            "variant": arm.label,
            "architecture": info.architecture,
            "runtime": info.runtime,
            "twin": info.name,
            "rounds": side.rounds,
            "strategy": options.strategy,
            "monthly_invocations": traffic.monthly_invocations,
            "measurements": own.measurements,
            "function_measurements": base.measurements,
        }
        if mine is None:
            stopped = not failures and side.stop_reason is not None  # no finding: a budget
            out.append(
                VariantResult(
                    status="stopped" if stopped else "fails",
                    failure=f"not measured: the side-by-side measurement stopped early: "
                    f"{side.stop_reason}"
                    if stopped
                    else failures or "fails: nothing was measured",
                    notes=notes,
                    **common,  # type: ignore[arg-type]
                )
            )
            continue
        # the variant's effect alone: the twin at the function's chosen size, when it differs
        same = None
        if theirs is not None and theirs.memory_mb != mine.memory_mb:
            same = own.at(theirs.memory_mb, catalog, options, traffic)
        there = _change(same, theirs) if same is not None else {}
        out.append(
            VariantResult(
                status="measured",
                failure=failures,
                variant_side=mine,
                function_side=theirs,
                same_size=same,
                same_size_change_pct=there.get("change_pct"),
                same_size_p95_change_pct=there.get("p95_change_pct"),
                priced=own.priced,
                notes=_slo_unmet(own) + notes,
                **_change(mine, theirs),
                **common,  # type: ignore[arg-type]
            )
        )
    return tuple(out)


def _slo_unmet(side: _SideDecision) -> tuple[str, ...]:
    """The twin's note when no size of it meets the SLO (its choice is then its fastest, which
    on a flat curve is noise): the function's recommendation warns alike."""
    choice = side.decision.choice if side.decision is not None else None
    if choice is None or choice.strategy != "slo" or choice.slo_met is not False:
        return ()
    return (
        f"no size of the twin meets p{choice.percentile} <= {choice.slo_ms} ms; its fastest is "
        "shown",
    )


@dataclass(frozen=True)
class _SideDecision:
    info: FunctionInfo
    measurements: tuple[Measurement, ...]
    decision: Decision | None = None
    priced: tuple[PricedSize, ...] = ()

    @property
    def chosen(self) -> int | None:
        return self.decision.choice.memory_mb if self.decision is not None else None

    def at(
        self, memory_mb: int | None, catalog: Any, options: BuildOptions, traffic: TrafficFigures
    ) -> VariantSide | None:
        """This side at ``memory_mb`` from its own priced curve (None when that lacks it)."""
        row = next((p for p in self.priced if p.memory_mb == memory_mb), None)
        if row is None or self.decision is None:
            return None
        info, memory = self.info, row.memory_mb
        monthly = _month(catalog, info, self.decision.curve, memory, traffic, options)
        measured = next((m for m in self.measurements if m.memory_mb == memory), None)
        return VariantSide(
            function=info.name,
            architecture=info.architecture,
            runtime=info.runtime,
            memory_mb=memory,
            invocations=measured.invocations if measured is not None else 0,
            cost_per_invocation_usd=row.cost_per_invocation_usd,
            cost_interval_usd=row.cost_interval_usd,
            duration_ms_p95=row.duration_ms_p95,
            duration_p95_interval=row.duration_p95_interval,
            monthly_usd=monthly,
        )


def _side_decision(arm: SideBySideArm, catalog: Any, options: BuildOptions) -> _SideDecision:
    """One arm decided as a grid decides (``measured_decision``), at its own architecture; a size
    with failed invocations is left out, as the tuner leaves it out of a run."""
    info = arm.info
    assert info is not None
    obs = _judged(arm.observations)
    context = replace(decide_context(_as_outcome(info, obs), catalog, options), current_mb=None)
    rows = _curve_of(info, obs, catalog, options)
    sizes = sorted(set(obs.samples) | set(obs.skipped))
    measurements = tuple(_measurement(m, obs, rows, options.trim) for m in sizes)
    decision = measured_decision(obs, context)
    if decision is None:
        return _SideDecision(info=info, measurements=measurements)
    priced = priced_curve(decision, None, {}, measurements)
    return _SideDecision(info=info, measurements=measurements, decision=decision, priced=priced)


def _judged(observations: Observations) -> Observations:
    """A copy with each size that had failed invocations marked skipped, with the reason (an
    allowed error is already marked on its sample, so none is named here)."""
    skipped = dict(observations.skipped)
    for memory, samples in observations.samples.items():
        if memory not in skipped:
            reason = skip_reason(samples, frozenset())
            if reason:
                skipped[memory] = reason
    return replace(observations, skipped=skipped)


def _as_outcome(info: FunctionInfo, observations: Observations) -> TuneOutcome:
    return TuneOutcome(info=info, observations=observations)


def _curve_of(
    info: FunctionInfo, observations: Observations, catalog: Any, options: BuildOptions
) -> CostCurve | None:
    return _row_curve(_as_outcome(info, observations), catalog, options)


def _failures(arm: SideBySideArm) -> str | None:
    """``fails: Runtime.ImportModuleError in 10 of 10 invocations`` (None when none failed)."""
    samples = [s for v in arm.observations.samples.values() for s in v]
    failed = [s for s in samples if not s.ok]
    if not failed:
        return None
    types = ", ".join(sorted({s.error_type or s.status for s in failed}))
    return f"fails: {types} in {len(failed)} of {len(samples)} invocations"


def _change(variant: VariantSide, function: VariantSide | None) -> dict[str, Any]:
    """The variant against the function: $/month (or per invocation) and p95, in percent."""
    if function is None:
        return {}
    out: dict[str, Any] = {}
    if variant.monthly_usd is not None and function.monthly_usd is not None:
        out["monthly_change_usd"] = variant.monthly_usd - function.monthly_usd
        out["change_pct"] = _pct(variant.monthly_usd, function.monthly_usd)
        out["change_basis"] = "month" if out["change_pct"] is not None else None
    elif variant.cost_per_invocation_usd is not None and function.cost_per_invocation_usd:
        out["change_pct"] = _pct(variant.cost_per_invocation_usd, function.cost_per_invocation_usd)
        out["change_basis"] = "invocation"
    if variant.duration_ms_p95 is not None and function.duration_ms_p95:
        change = (variant.duration_ms_p95 / function.duration_ms_p95 - 1) * 100
        out["p95_change_pct"] = round(change, 1)
    return out


def _pct(new: Decimal, old: Decimal) -> Decimal | None:
    if not old:
        return None
    return ((new - old) / old * 100).quantize(Decimal("0.1"))
