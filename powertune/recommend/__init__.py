"""The recommendation in dollars per month: current vs recommended size, headroom, arm64,
Fargate, logs and Lambda Managed Instances (cold starts: ``recommend.coldstart``). Pure
functions over plain numbers and the pricing API (no price lives here)."""

from powertune.recommend.architecture import ArchitectureComparison, arm64_compare, arm64_estimate
from powertune.recommend.fargate import FargateOption, fargate_alternative
from powertune.recommend.headroom import headroom_warning, min_safe_memory_mb
from powertune.recommend.logs import LogsCost, LogsOption, log_costs
from powertune.recommend.managed import ManagedInstancesComparison, managed_instances_compare
from powertune.recommend.monthly import LambdaMonthly, MonthlyComparison, monthly_comparison
from powertune.recommend.priced import Arm64Twin, PricedRecommendation, price_recommendation

__all__ = [
    "ArchitectureComparison",
    "Arm64Twin",
    "FargateOption",
    "LambdaMonthly",
    "LogsCost",
    "LogsOption",
    "ManagedInstancesComparison",
    "MonthlyComparison",
    "PricedRecommendation",
    "arm64_compare",
    "arm64_estimate",
    "fargate_alternative",
    "headroom_warning",
    "log_costs",
    "managed_instances_compare",
    "min_safe_memory_mb",
    "monthly_comparison",
    "price_recommendation",
]
