"""Lambda Managed Instances against on-demand Lambda (and Fargate) for a steady function.

Managed Instances bill EC2 instance-hours plus a management fee (a percentage of the EC2
on-demand price) plus requests, with no duration charge (``pricing.cost.
managed_instances_cost``). One execution environment serves many requests at once, so what
sizes the fleet is CPU, not concurrency:

- Load: the average concurrency (invocations x mean duration / the 30-day month), or the peak
  when known.
- CPU it needs: load x the vCPU share Lambda gave the function (memory / 1,769) x
  ``cpu_bound_fraction`` (1.0 = every millisecond was CPU: the upper bound; an I/O-bound
  function needs a fraction of it), kept at ``target_utilisation`` (0.5: AWS sizes capacity
  providers to absorb traffic doubling within five minutes by default).
- Memory: MEMORY_GIB_PER_VCPU per vCPU (the default execution-environment ratio), and at least
  one environment of the function's memory per instance.
- At least MIN_INSTANCES instances (capacity providers spread across availability zones).

Every instance type the catalog prices in the region for the function's architecture is
tried; the cheapest fleet wins. The break-even is the monthly traffic above which Managed
Instances cost less than on-demand Lambda, found by pricing both sides (both step and grow
with traffic, so it is searched, not solved).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from powertune.errors import InputError
from powertune.models.cpu_share import MAX_VCPUS, MB_PER_VCPU
from powertune.recommend.monthly import priced_items
from powertune.results.codec import to_plain
from powertune.results.model import ManagedInstancesAlternative
from pricing.catalog import Catalog
from pricing.cost import Estimate, LineItem, managed_instances_cost, monthly_lambda_cost
from pricing.errors import UnknownPricingKey

HOURS_PER_MONTH = 720
MS_PER_MONTH = Decimal(HOURS_PER_MONTH * 3600 * 1000)
MIN_INSTANCES = 3
MEMORY_GIB_PER_VCPU = Decimal(2)
TARGET_UTILISATION = Decimal("0.5")
MAX_BREAK_EVEN_INVOCATIONS = 10**13


@dataclass(frozen=True)
class ManagedInstancesComparison:
    """The cheapest Managed Instances fleet for the load, against Lambda and Fargate."""

    region: str
    arch: str
    instance_type: str
    instances: int
    vcpu_needed: Decimal
    monthly_usd: Decimal
    lambda_monthly_usd: Decimal | None
    fargate_monthly_usd: Decimal | None
    cheapest: str | None  # "lambda" | "managed_instances" | "fargate"; None: traffic unknown
    break_even_invocations: int | None  # above it Managed Instances beat Lambda; None: never
    cpu_bound_fraction: Decimal
    items: tuple[LineItem, ...] = ()
    notes: tuple[str, ...] = ()
    unavailable: dict[str, str] = field(default_factory=dict)

    def record(self) -> ManagedInstancesAlternative:
        """As the result carries it."""
        return ManagedInstancesAlternative(
            region=self.region,
            architecture=self.arch,
            instance_type=self.instance_type,
            instances=self.instances,
            vcpu_needed=self.vcpu_needed.quantize(Decimal("0.001")),
            monthly_usd=self.monthly_usd,
            lambda_monthly_usd=self.lambda_monthly_usd,
            fargate_monthly_usd=self.fargate_monthly_usd,
            cheapest=self.cheapest,
            break_even_invocations=self.break_even_invocations,
            cpu_bound_fraction=self.cpu_bound_fraction,
            items=priced_items(self.items),
            notes=self.notes,
            unavailable=dict(self.unavailable),
        )

    def to_json(self) -> dict[str, Any]:
        return dict(to_plain(self.record()))


def _fleet(
    catalog: Catalog,
    region: str,
    arch: str,
    memory_mb: int,
    load: Decimal,
    cpu_bound_fraction: Decimal,
) -> tuple[str, int, Decimal, Estimate]:
    share = min(Decimal(memory_mb) / Decimal(str(MB_PER_VCPU)), Decimal(str(MAX_VCPUS)))
    vcpu = load * share * cpu_bound_fraction / TARGET_UTILISATION
    memory = max(vcpu * MEMORY_GIB_PER_VCPU, Decimal(memory_mb) / 1024)
    best: tuple[str, int, Decimal, Estimate] | None = None
    for name in catalog.managed_instance_types(region):
        instance = catalog.managed_instance(region, name)
        if instance.architecture != arch or instance.memory_gib < Decimal(memory_mb) / 1024:
            continue
        count = max(
            MIN_INSTANCES,
            math.ceil(vcpu / instance.vcpu),
            math.ceil(memory / instance.memory_gib),
        )
        estimate = managed_instances_cost(
            catalog,
            region=region,
            instance_type=name,
            instance_hours=count * HOURS_PER_MONTH,
            requests=0,
        )
        if best is None or estimate.total_usd < best[3].total_usd:
            best = (name, count, vcpu, estimate)
    if best is None:
        raise UnknownPricingKey(
            f"Lambda Managed Instances prices for {arch} unknown in {region} (no instance type "
            f"with {memory_mb} MB in the catalog there)"
        )
    return best


def managed_instances_compare(
    catalog: Catalog,
    *,
    region: str,
    arch: str,
    memory_mb: int,
    duration_ms: float | Decimal,
    billed_ms: Decimal,
    monthly_invocations: int | None,
    peak_concurrency: float | None = None,
    cpu_bound_fraction: Decimal = Decimal(1),
    fargate_monthly_usd: Decimal | None = None,
    fargate_unavailable: str | None = None,
) -> ManagedInstancesComparison:
    """Price the function on Managed Instances and say which of the three costs least.

    ``fargate_monthly_usd`` is the Fargate alternative's month when the caller priced it
    (``fargate_unavailable`` says why not otherwise). Raises UnknownPricingKey when the catalog
    has no instance type for the region and architecture.
    """
    if monthly_invocations is not None and monthly_invocations < 0:
        raise InputError(f"monthly invocations must be >= 0, got {monthly_invocations}")
    if not Decimal(0) < cpu_bound_fraction <= 1:
        raise InputError(f"cpu-bound fraction must be in (0, 1], got {cpu_bound_fraction}")
    duration = Decimal(str(duration_ms))
    if not duration.is_finite() or duration <= 0:
        raise InputError(f"duration must be a positive number of ms, got {duration_ms}")

    def load_at(invocations: int) -> Decimal:
        average = Decimal(invocations) * duration / MS_PER_MONTH
        if peak_concurrency is not None and invocations == monthly_invocations:
            return max(average, Decimal(str(peak_concurrency)))
        return average

    def lmi(invocations: int) -> tuple[str, int, Decimal, Estimate]:
        name, count, vcpu, _ = _fleet(
            catalog, region, arch, memory_mb, load_at(invocations), cpu_bound_fraction
        )
        total = managed_instances_cost(
            catalog,
            region=region,
            instance_type=name,
            instance_hours=count * HOURS_PER_MONTH,
            requests=invocations,
        )
        return name, count, vcpu, total

    def on_lambda(invocations: int) -> Decimal:
        return monthly_lambda_cost(
            catalog,
            region=region,
            arch=arch,
            memory_mb=memory_mb,
            billed_ms_avg=billed_ms,
            invocations=invocations,
        ).total_usd

    traffic = monthly_invocations if monthly_invocations is not None else 0
    name, count, vcpu, estimate = lmi(traffic)
    lambda_usd = None if monthly_invocations is None else on_lambda(monthly_invocations)
    unavailable: dict[str, str] = {}
    if fargate_monthly_usd is None and fargate_unavailable:
        unavailable["fargate"] = fargate_unavailable
    cheapest = None
    if lambda_usd is not None:
        options = {"lambda": lambda_usd, "managed_instances": estimate.total_usd}
        if fargate_monthly_usd is not None:
            options["fargate"] = fargate_monthly_usd
        cheapest = min(options, key=lambda k: options[k])
    notes = list(estimate.notes)
    notes.append(
        f"{count} x {name} ({MIN_INSTANCES} at least) for {vcpu:.2f} vCPU at "
        f"{TARGET_UTILISATION:.0%} target utilisation, assuming "
        f"{cpu_bound_fraction:.0%} of the duration is CPU (an I/O-bound function needs less)"
    )
    return ManagedInstancesComparison(
        region=region,
        arch=arch,
        instance_type=name,
        instances=count,
        vcpu_needed=vcpu,
        monthly_usd=estimate.total_usd,
        lambda_monthly_usd=lambda_usd,
        fargate_monthly_usd=fargate_monthly_usd,
        cheapest=cheapest,
        break_even_invocations=_break_even(lambda n: lmi(n)[3].total_usd, on_lambda),
        cpu_bound_fraction=cpu_bound_fraction,
        items=tuple(estimate.items),
        notes=tuple(dict.fromkeys(notes)),
        unavailable=unavailable,
    )


def _break_even(lmi: Any, on_lambda: Any) -> int | None:
    """The least monthly invocations (to 0.1%) from which Managed Instances cost no more than
    Lambda: doubling to bracket the first crossing, then bisection."""
    low, high = 0, 1024
    while lmi(high) > on_lambda(high):
        low, high = high, high * 2
        if high > MAX_BREAK_EVEN_INVOCATIONS:
            return None
    while high - low > max(1, high // 1000):
        mid = (low + high) // 2
        low, high = (low, mid) if lmi(mid) <= on_lambda(mid) else (mid, high)
    return high
