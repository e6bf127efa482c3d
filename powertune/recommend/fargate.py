"""Fargate as an alternative: the task size and count that would carry the function's load 24/7.

The model, in the function's own terms:
- Each concurrent execution needs the CPU share its Lambda memory size gave (memory / 1,769 vCPU,
  at most 6) and the function's memory; a task can run several executions side by side.
- Load to carry: ``peak_concurrency`` when known, else the average concurrency
  (invocations × duration ÷ the month), which does not cover bursts.
- Tasks run 24/7 for a 30-day month (720 h), the same month the traffic is scaled to.
- Every valid task size (``pricing.cost.fargate_task_sizes``) whose vCPU ≥ the share and whose
  memory ≥ the function's is tried; the cheapest fleet wins, the smaller task on a tie.
- Break-even: Lambda costs ~c per invocation (its average price at this traffic, no free tier;
  both sides under the Savings Plan when one is given and the catalog prices it); a task of
  size t costs F_t a month and carries at most C_t invocations a month at the same
  peak-to-average ratio. Fargate is cheaper above min(F_t / c) over the sizes with
  F_t / c ≤ C_t; with no such size it never is (None).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from powertune.errors import InputError
from powertune.models.cpu_share import MAX_VCPUS, MB_PER_VCPU
from powertune.recommend.monthly import check_invocations, priced_items
from powertune.results.codec import to_plain
from powertune.results.model import FargateAlternative
from pricing.catalog import Catalog
from pricing.cost import Estimate, LineItem, fargate_cost, fargate_task_sizes, monthly_lambda_cost
from pricing.errors import UnknownPricingKey

HOURS_PER_MONTH = 720  # 30 days, the month traffic is scaled to
MS_PER_MONTH = Decimal(HOURS_PER_MONTH * 3600 * 1000)
# Lambda's price per invocation is read at this volume when the traffic is unknown or zero.
REFERENCE_INVOCATIONS = 1_000_000


@dataclass(frozen=True)
class TaskSize:
    vcpu: Decimal
    memory_gb: Decimal


@dataclass(frozen=True)
class FargateOption:
    """The cheapest Fargate fleet for the load, its month, and where it beats Lambda."""

    region: str
    arch: str
    lambda_memory_mb: int
    vcpu_per_execution: Decimal
    concurrency: Decimal
    concurrency_basis: str  # "peak" | "average" | "unknown"
    task_vcpu: Decimal
    task_memory_gb: Decimal
    tasks: int
    hours_per_month: int
    monthly_usd: Decimal
    lambda_monthly_usd: Decimal | None  # the same traffic on Lambda at this size, on demand
    break_even_invocations: int | None  # per month; None: Fargate is never cheaper
    savings_plan: str | None = None  # the plan both sides were priced under, if any
    items: tuple[LineItem, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. rates the catalog marks "verify"

    @property
    def cheaper(self) -> str | None:
        if self.lambda_monthly_usd is None:
            return None
        return "fargate" if self.monthly_usd < self.lambda_monthly_usd else "lambda"

    def record(self) -> FargateAlternative:
        """As the result carries it."""
        return FargateAlternative(
            region=self.region,
            architecture=self.arch,
            lambda_memory_mb=self.lambda_memory_mb,
            vcpu_per_execution=self.vcpu_per_execution,
            concurrency=self.concurrency,
            concurrency_basis=self.concurrency_basis,
            task_vcpu=self.task_vcpu,
            task_memory_gb=self.task_memory_gb,
            tasks=self.tasks,
            hours_per_month=self.hours_per_month,
            monthly_usd=self.monthly_usd,
            lambda_monthly_usd=self.lambda_monthly_usd,
            cheaper=self.cheaper,
            break_even_invocations=self.break_even_invocations,
            savings_plan=self.savings_plan,
            items=priced_items(self.items),
            notes=self.notes,
        )

    def to_json(self) -> dict[str, Any]:
        return to_plain(self.record())


def valid_sizes(catalog: Catalog, share: Decimal, memory_gb: Decimal) -> list[TaskSize]:
    """Task sizes that run one execution at least as fast as Lambda did, smallest first."""
    sizes = [
        TaskSize(vcpu=vcpu, memory_gb=memory)
        for vcpu, memory in fargate_task_sizes(catalog)
        if vcpu >= share and memory >= memory_gb
    ]
    return sorted(sizes, key=lambda s: (s.vcpu, s.memory_gb))


def fargate_plan(
    catalog: Catalog, *, region: str, arch: str, plan: str | None
) -> tuple[str | None, tuple[str, ...]]:
    """The plan to price both sides under: ``plan`` if the catalog has Fargate rates for it."""
    if plan is None:
        return None, ()
    smallest = min(fargate_task_sizes(catalog))
    try:
        fargate_cost(
            catalog,
            region=region,
            vcpu=smallest[0],
            memory_gb=smallest[1],
            hours=Decimal(1),
            arch=arch,
            savings_plan=plan,
        )
    except UnknownPricingKey:
        note = f"savings plan {plan} not applied: no Fargate rate for it in the catalog"
        return None, (note,)
    return plan, ()


def vcpu_per_execution(memory_mb: int) -> Decimal:
    """The CPU share Lambda gives ``memory_mb`` (Decimal: it multiplies into money)."""
    return min(Decimal(memory_mb) / Decimal(str(MB_PER_VCPU)), Decimal(str(MAX_VCPUS)))


def ceil_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def fargate_alternative(
    catalog: Catalog,
    *,
    region: str,
    arch: str,
    duration_ms: float | Decimal,
    memory_mb: int,
    monthly_invocations: int | None,
    peak_concurrency: float | None = None,
    billed_ms: Decimal | None = None,
    savings_plan: str | None = None,
) -> FargateOption:
    """The Fargate fleet that carries the function's load, priced for a month (see module doc).

    ``duration_ms`` is the mean duration at ``memory_mb``; ``billed_ms`` (default: it rounded up
    to the millisecond) prices the Lambda side of the break-even. ``savings_plan`` applies to
    both sides; when the catalog has no Fargate rate for it both are priced on demand instead
    (and a note says so), so the comparison stays like for like.
    """
    check_invocations(monthly_invocations)
    duration = Decimal(str(duration_ms))
    if not duration.is_finite() or duration <= 0:
        raise InputError(f"duration must be a positive number of ms, got {duration_ms}")
    if memory_mb <= 0:
        raise InputError(f"memory must be a positive number of MB, got {memory_mb}")
    if peak_concurrency is not None and not peak_concurrency > 0:
        raise InputError(f"peak concurrency must be positive, got {peak_concurrency}")
    billed = Decimal(math.ceil(duration)) if billed_ms is None else Decimal(billed_ms)

    share = vcpu_per_execution(memory_mb)
    memory_gb = Decimal(memory_mb) / 1024
    average = (
        Decimal(monthly_invocations) * duration / MS_PER_MONTH
        if monthly_invocations is not None
        else None
    )
    if peak_concurrency is not None:
        concurrency, basis = max(Decimal(str(peak_concurrency)), average or Decimal(0)), "peak"
    elif average is not None:
        concurrency, basis = average, "average"
    else:
        concurrency, basis = Decimal(1), "unknown"
    # Peak-to-average ratio, kept when the traffic grows towards the break-even.
    burst = concurrency / average if average else Decimal(1)

    sizes = valid_sizes(catalog, share, memory_gb)
    if not sizes:
        raise InputError(f"no Fargate task size has {share:.3f} vCPU and {memory_mb} MB")

    plan, plan_notes = fargate_plan(catalog, region=region, arch=arch, plan=savings_plan)
    priced: dict[tuple[TaskSize, int], Estimate] = {}

    def fleet(size: TaskSize, tasks: int) -> Estimate:
        if (size, tasks) not in priced:
            priced[size, tasks] = fargate_cost(
                catalog,
                region=region,
                vcpu=size.vcpu,
                memory_gb=size.memory_gb,
                hours=Decimal(HOURS_PER_MONTH),
                arch=arch,
                tasks=tasks,
                savings_plan=plan,
            )
        return priced[size, tasks]

    def tasks_for(size: TaskSize) -> int:
        by_cpu = ceil_int(concurrency * share / size.vcpu)
        by_memory = ceil_int(concurrency * memory_gb / size.memory_gb)
        return max(1, by_cpu, by_memory)

    # Cheapest fleet; ``min`` keeps the first (smallest) size on a tie.
    size = min(sizes, key=lambda s: fleet(s, tasks_for(s)).total_usd)
    tasks = tasks_for(size)
    estimate = fleet(size, tasks)

    def on_lambda(invocations: int) -> Decimal:
        return monthly_lambda_cost(
            catalog,
            region=region,
            arch=arch,
            memory_mb=memory_mb,
            billed_ms_avg=billed,
            invocations=invocations,
            savings_plan=plan,
        ).total_usd

    lambda_monthly = None if monthly_invocations is None else on_lambda(monthly_invocations)
    reference = monthly_invocations or REFERENCE_INVOCATIONS
    monthly = lambda_monthly if lambda_monthly is not None and monthly_invocations else None
    per_invocation = (monthly if monthly is not None else on_lambda(reference)) / reference

    break_even: int | None = None
    if per_invocation > 0:
        for candidate in sizes:
            per_task = fleet(candidate, 1).total_usd
            executions = min(candidate.vcpu / share, candidate.memory_gb / memory_gb)
            capacity = executions * MS_PER_MONTH / duration / burst
            at = per_task / per_invocation
            if at <= capacity and (break_even is None or ceil_int(at) < break_even):
                break_even = ceil_int(at)

    return FargateOption(
        region=region,
        arch=arch,
        lambda_memory_mb=memory_mb,
        vcpu_per_execution=share,
        concurrency=concurrency,
        concurrency_basis=basis,
        task_vcpu=size.vcpu,
        task_memory_gb=size.memory_gb,
        tasks=tasks,
        hours_per_month=HOURS_PER_MONTH,
        monthly_usd=estimate.total_usd,
        lambda_monthly_usd=lambda_monthly,
        break_even_invocations=break_even,
        savings_plan=plan,
        items=tuple(estimate.items),
        notes=(*plan_notes, *estimate.notes),
    )
