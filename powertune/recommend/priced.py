"""Everything item 5 of the recommendation says in dollars, from one call.

``price_recommendation`` runs the monthly comparison, the headroom check and the
alternatives (arm64, Fargate, logs, Lambda Managed Instances). An alternative the catalog has
no prices for (Fargate, CloudWatch Logs and Managed Instances are priced in few regions) or
whose inputs are unknown is left out with a reason in ``unavailable``: it never fails the
recommendation and is never priced as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from powertune.recommend.architecture import ArchitectureComparison, arm64_compare, arm64_estimate
from powertune.recommend.coldstart import ColdStartAdvice, ColdStartProfile, cold_start_advice
from powertune.recommend.fargate import FargateOption, fargate_alternative
from powertune.recommend.headroom import headroom_warning
from powertune.recommend.logs import LogsOption, log_costs
from powertune.recommend.managed import ManagedInstancesComparison, managed_instances_compare
from powertune.recommend.monthly import MonthlyComparison, monthly_comparison
from powertune.results.model import InvocationsSource, Monthly
from pricing.catalog import Catalog
from pricing.errors import UnknownPricingKey


@dataclass(frozen=True)
class Arm64Twin:
    """What tuning the arm64 twin (``--compare ARN``) recommended: size and mean billed ms."""

    memory_mb: int
    billed_ms: Decimal
    function: str | None = None


@dataclass(frozen=True)
class PricedRecommendation:
    """The month at current and recommended size, the headroom warning, and the alternatives."""

    monthly: MonthlyComparison
    headroom_warning: str | None
    arm64: ArchitectureComparison | None
    fargate: FargateOption | None
    logs: LogsOption | None
    unavailable: dict[str, str] = field(default_factory=dict)  # alternative -> why not priced
    managed_instances: ManagedInstancesComparison | None = None
    cold_starts: ColdStartAdvice | None = None

    @property
    def warnings(self) -> tuple[str, ...]:
        """The headroom warning, and every alternative a price gap left out ("unknown in
        REGION"), so each output says so rather than showing nothing."""
        out = () if self.headroom_warning is None else (self.headroom_warning,)
        return out + self.unknown_prices

    @property
    def unknown_prices(self) -> tuple[str, ...]:
        return tuple(
            f"{name}: {why}" for name, why in self.unavailable.items() if "unknown in " in why
        )

    def alternative_json(self, name: str) -> dict[str, Any] | None:
        """An alternative's JSON; when it was not priced, null money with the reason."""
        option = {
            "arm64": self.arm64,
            "fargate": self.fargate,
            "logs": self.logs,
            "managed_instances": self.managed_instances,
            "cold_starts": self.cold_starts,
        }[name]
        if option is not None:
            return dict(option.to_json())
        why = self.unavailable.get(name)
        return None if why is None else {"monthly_usd": None, "unavailable": why}

    def results_monthly(self, source: InvocationsSource) -> Monthly | None:
        """The results model's ``Monthly`` (None when the traffic is unknown)."""
        if self.monthly.monthly_invocations is None:
            return None
        return Monthly(
            invocations=self.monthly.monthly_invocations,
            invocations_source=source,
            current_usd=self.monthly.current_usd,
            recommended_usd=self.monthly.recommended_usd,
            saving_usd=self.monthly.saving_usd,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "monthly": self.monthly.to_json(),
            "headroom_warning": self.headroom_warning,
            "arm64": None if self.arm64 is None else self.arm64.to_json(),
            "fargate": None if self.fargate is None else self.fargate.to_json(),
            "logs": None if self.logs is None else self.logs.to_json(),
            "managed_instances": self.alternative_json("managed_instances"),
            "cold_starts": self.alternative_json("cold_starts"),
            "unavailable": dict(self.unavailable),
        }


def price_recommendation(
    catalog: Catalog,
    *,
    region: str,
    arch: str,
    current_memory_mb: int,
    current_billed_ms: Decimal,
    recommended_memory_mb: int,
    recommended_billed_ms: Decimal,
    recommended_duration_ms: float | None,
    monthly_invocations: int | None,
    free_tier: bool = False,
    savings_plan: str | None = None,
    ephemeral_mb: int = 512,
    peak_max_memory_used_mb: float | None = None,
    peak_concurrency: float | None = None,
    arm64_twin: Arm64Twin | None = None,
    log_bytes_per_invocation: float | None = None,
    log_retention_days: int | None = None,
    cold_start: ColdStartProfile | None = None,
) -> PricedRecommendation:
    """Price the recommendation for a month of ``monthly_invocations`` (None: unknown traffic).

    ``cold_start`` (the cold share and INIT at the recommended size) adds the cold-start
    advice (``recommend.coldstart``). ``log_retention_days=None`` means the log group never
    expires (the default for the groups
    Lambda creates). Unknown pricing keys for the function's own region and architecture still
    raise: without a Lambda price there is no recommendation in dollars at all.
    """
    monthly = monthly_comparison(
        catalog,
        region=region,
        arch=arch,
        current_memory_mb=current_memory_mb,
        current_billed_ms=current_billed_ms,
        recommended_memory_mb=recommended_memory_mb,
        recommended_billed_ms=recommended_billed_ms,
        monthly_invocations=monthly_invocations,
        free_tier=free_tier,
        savings_plan=savings_plan,
        ephemeral_mb=ephemeral_mb,
    )
    unavailable: dict[str, str] = {}
    plan: dict[str, Any] = {
        "monthly_invocations": monthly_invocations,
        "free_tier": free_tier,
        "savings_plan": savings_plan,
        "ephemeral_mb": ephemeral_mb,
    }

    arm64: ArchitectureComparison | None = None
    try:
        if arch != "x86_64":
            unavailable["arm64"] = f"the function already runs on {arch}"
        elif arm64_twin is not None:
            arm64 = arm64_compare(
                catalog,
                region=region,
                x86_memory_mb=recommended_memory_mb,
                x86_billed_ms=recommended_billed_ms,
                arm64_memory_mb=arm64_twin.memory_mb,
                arm64_billed_ms=arm64_twin.billed_ms,
                arm64_function=arm64_twin.function,
                **plan,
            )
        else:
            arm64 = arm64_estimate(
                catalog,
                region=region,
                memory_mb=recommended_memory_mb,
                billed_ms=recommended_billed_ms,
                **plan,
            )
    except UnknownPricingKey as exc:
        unavailable["arm64"] = str(exc)

    fargate: FargateOption | None = None
    if recommended_duration_ms is None:
        unavailable["fargate"] = "no duration at the recommended size"
    else:
        try:
            fargate = fargate_alternative(
                catalog,
                region=region,
                arch=arch,
                duration_ms=recommended_duration_ms,
                memory_mb=recommended_memory_mb,
                monthly_invocations=monthly_invocations,
                peak_concurrency=peak_concurrency,
                billed_ms=recommended_billed_ms,
                savings_plan=savings_plan,
            )
        except UnknownPricingKey as exc:
            unavailable["fargate"] = str(exc)

    logs: LogsOption | None = None
    if log_bytes_per_invocation is None:
        unavailable["logs"] = "bytes logged per invocation unknown"
    elif monthly_invocations is None:
        unavailable["logs"] = "monthly invocations unknown"
    else:
        try:
            logs = log_costs(
                catalog,
                region=region,
                bytes_per_invocation=log_bytes_per_invocation,
                monthly_invocations=monthly_invocations,
                retention_days=log_retention_days,
                free_tier=free_tier,
            )
        except UnknownPricingKey as exc:
            unavailable["logs"] = str(exc)

    managed: ManagedInstancesComparison | None = None
    if recommended_duration_ms is None:
        unavailable["managed_instances"] = "no duration at the recommended size"
    else:
        try:
            managed = managed_instances_compare(
                catalog,
                region=region,
                arch=arch,
                memory_mb=recommended_memory_mb,
                duration_ms=recommended_duration_ms,
                billed_ms=recommended_billed_ms,
                monthly_invocations=monthly_invocations,
                peak_concurrency=peak_concurrency,
                fargate_monthly_usd=None if fargate is None else fargate.monthly_usd,
                fargate_unavailable=unavailable.get("fargate"),
            )
        except UnknownPricingKey as exc:
            unavailable["managed_instances"] = str(exc)

    advice = None if cold_start is None else cold_start_advice(catalog, cold_start)

    return PricedRecommendation(
        monthly=monthly,
        headroom_warning=headroom_warning(recommended_memory_mb, peak_max_memory_used_mb),
        arm64=arm64,
        fargate=fargate,
        logs=logs,
        unavailable=unavailable,
        managed_instances=managed,
        cold_starts=advice,
    )
