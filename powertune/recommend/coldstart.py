"""Cold starts in dollars and milliseconds, and what the alternatives cost.

From a function's cold share (cold starts / invocations), its INIT billed time and its traffic:

- **INIT share of the bill.** Since 1 Aug 2025 an on-demand cold start bills ceil(init +
  duration), so INIT is part of the bill: cold starts a month x INIT GB-s, priced like any other
  duration (``pricing.cost.monthly_lambda_cost``), over the month's total.
- **p99 with cold starts.** A cold invocation takes INIT + duration. Measured when the records
  are at hand (``latency_p99_ms``); otherwise estimated from the percentiles: when more than 1%
  of invocations are cold, the p99 falls among them, at their (1 - 0.01 / cold share) quantile,
  read as the median duration plus INIT interpolated between its mean (taken as the median) and
  its p99 (and never below the warm p99).
- **SnapStart** (Java 11+, Python 3.12+, .NET 8+; ZIP packages): restores replace INIT.
  Python and .NET pay the cache (per GB-s while a version is active, 3-hour minimum) and each
  restore (per GB); Java managed runtimes pay neither. A restore also bills its Billed Restore
  Duration: measured when RESTORE records exist, else assumed to be ASSUMED_RESTORE_FRACTION of
  INIT (an assumption, said so), with the break-even restore duration beside it, and the INIT
  duration above which SnapStart costs less than INIT (a restore costs as much as ~8 s of 1 GB
  duration in us-east-1, so for Python and .NET SnapStart is mostly a latency fix).
- **Provisioned Concurrency**: N environments kept initialised all month (720 h: traffic by
  hour is unknown). Arrivals are taken as Poisson at the mean concurrency, so the share that
  finds all N busy is Erlang's loss formula; those run on demand as now (cold starts and all),
  the rest bill at the provisioned duration rate without INIT. N is the cheapest count up to
  the one that leaves under 1% on demand (at least the peak concurrency when it is known).
  The utilisation break-even (PC rate / (on-demand rate - provisioned duration rate), about
  60% in us-east-1) is beside the utilisation N would see.
- **Lazy initialisation** hint where INIT is at least LAZY_INIT_SHARE of the bill.

All money comes from ``pricing``; an alternative the catalog cannot price in the region is
left out with its reason ("... unknown in REGION"), never priced as 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal
from typing import Any

from powertune.errors import InputError
from powertune.results.codec import to_plain
from powertune.results.model import ColdStarts, ProvisionedAlternative, SnapStartAlternative
from pricing.catalog import Catalog
from pricing.cost import (
    monthly_lambda_cost,
    provisioned_break_even_utilisation,
    provisioned_month_cost,
    snapstart_billing,
    snapstart_cost,
)
from pricing.errors import UnknownPricingKey

HOURS_PER_MONTH = 720  # the 30-day month traffic is scaled to
MS_PER_MONTH = Decimal(HOURS_PER_MONTH * 3600 * 1000)
ASSUMED_RESTORE_FRACTION = Decimal("0.25")  # of INIT, when no Restore Duration was measured
LAZY_INIT_SHARE = Decimal("0.2")  # INIT at least this share of the bill: say lazy init
LAZY_INIT_SAVING_FRACTION = Decimal("0.5")  # of the INIT cost, for ranking the hint
P99 = 0.99
MAX_INIT_MS = 10_000  # INIT lasts at most 10 s (on demand)
SPILL_TARGET = 0.01  # size PC so that under 1% of invocations find every environment busy
MAX_PC = 10_000
MS = Decimal("0.001")


@dataclass(frozen=True)
class ColdStartProfile:
    """What the records say about one function's cold starts, at one memory size."""

    region: str
    arch: str
    memory_mb: int
    monthly_invocations: int | None
    reports: int  # REPORT records in the sample
    cold_starts: int  # of them with an Init Duration
    billed_avg_ms: Decimal  # mean Billed Duration over all records (INIT included)
    init_avg_ms: Decimal | None
    init_p99_ms: float | None = None
    duration_p50_ms: float | None = None
    duration_p99_ms: float | None = None
    latency_p99_ms: float | None = None  # p99 of duration + INIT, when measured per record
    restore_billed_avg_ms: Decimal | None = None  # measured SnapStart Billed Restore Duration
    runtime: str | None = None
    package_type: str = "Zip"
    peak_concurrency: float | None = None
    duration_avg_ms: float | None = None
    ephemeral_mb: int = 512
    snapstart_versions: int = 1  # published versions kept active (each pays the cache)

    @classmethod
    def from_share(cls, cold_share: float | Decimal, **fields: Any) -> ColdStartProfile:
        """A profile from a cold share (e.g. ``--cold-share``) rather than record counts."""
        share = Decimal(repr(cold_share)) if isinstance(cold_share, float) else cold_share
        if not Decimal(0) <= share <= 1:
            raise InputError(f"cold share must be within [0, 1], got {cold_share}")
        scale = 1_000_000
        cold = int((share * scale).to_integral_value())
        return cls(reports=scale, cold_starts=cold, **fields)

    @property
    def cold_share(self) -> Decimal:
        return Decimal(self.cold_starts) / Decimal(self.reports) if self.reports else Decimal(0)

    @property
    def warm_billed_ms(self) -> Decimal:
        """Mean billed ms of an invocation without its INIT."""
        init = self.init_avg_ms or Decimal(0)
        return max(Decimal(1), self.billed_avg_ms - self.cold_share * init).quantize(MS)


@dataclass(frozen=True)
class SnapStartOption:
    billing: str  # "charged" | "free" (Java) | "unknown" (priced as charged)
    restore_billed_ms: Decimal
    restore_basis: str  # "measured" | "assumed"
    cache_usd: Decimal
    restore_usd: Decimal
    monthly_usd: Decimal  # the whole month with SnapStart
    saving_usd: Decimal  # against paying INIT; negative: SnapStart costs more
    break_even_restore_ms: int | None  # restore billed ms at which SnapStart stops paying
    break_even_init_ms: int | None  # INIT (ms) above which SnapStart pays; None: never <= 10 s
    p99_ms: float | None
    notes: tuple[str, ...] = ()

    def record(self) -> SnapStartAlternative:
        return SnapStartAlternative(
            billing=self.billing,
            restore_billed_ms=self.restore_billed_ms,
            restore_basis=self.restore_basis,
            cache_usd=self.cache_usd,
            restore_usd=self.restore_usd,
            monthly_usd=self.monthly_usd,
            saving_usd=self.saving_usd,
            break_even_restore_ms=self.break_even_restore_ms,
            break_even_init_ms=self.break_even_init_ms,
            p99_ms=self.p99_ms,
            notes=self.notes,
        )

    def to_json(self) -> dict[str, Any]:
        return dict(to_plain(self.record()))


@dataclass(frozen=True)
class ProvisionedOption:
    concurrency: int
    concurrency_basis: str  # "peak" | "average"
    hours: int
    utilisation: Decimal  # average busy share of the provisioned environments
    break_even_utilisation: Decimal | None
    pc_rate_usd_per_gb_s: Decimal
    pc_duration_rate_usd_per_gb_s: Decimal
    monthly_usd: Decimal
    saving_usd: Decimal
    spill_share: Decimal  # of invocations that find every environment busy: on demand
    environments_for_all: int  # to leave under SPILL_TARGET on demand
    monthly_usd_for_all: Decimal
    p99_ms: float | None  # with the cold starts that still happen on demand
    notes: tuple[str, ...] = ()

    def record(self) -> ProvisionedAlternative:
        return ProvisionedAlternative(
            concurrency=self.concurrency,
            concurrency_basis=self.concurrency_basis,
            hours=self.hours,
            utilisation=self.utilisation.quantize(Decimal("0.0001")),
            break_even_utilisation=None
            if self.break_even_utilisation is None
            else self.break_even_utilisation.quantize(Decimal("0.0001")),
            pc_rate_usd_per_gb_s=self.pc_rate_usd_per_gb_s,
            pc_duration_rate_usd_per_gb_s=self.pc_duration_rate_usd_per_gb_s,
            monthly_usd=self.monthly_usd,
            saving_usd=self.saving_usd,
            spill_share=self.spill_share,
            environments_for_all=self.environments_for_all,
            monthly_usd_for_all=self.monthly_usd_for_all,
            p99_ms=self.p99_ms,
            notes=self.notes,
        )

    def to_json(self) -> dict[str, Any]:
        return dict(to_plain(self.record()))


@dataclass(frozen=True)
class ColdStartAdvice:
    """A function's cold starts priced, and the alternatives that remove them."""

    profile: ColdStartProfile
    cold_share: Decimal
    cold_starts_per_month: int | None
    init_billed_ms: Decimal | None
    monthly_usd: Decimal | None  # the month as billed now (INIT included)
    init_monthly_usd: Decimal | None
    init_share: Decimal | None  # of the month's bill
    p99_warm_ms: float | None
    p99_with_cold_ms: float | None
    p99_basis: str  # "measured" | "estimated" | "warm only" | "unknown"
    snapstart: SnapStartOption | None
    provisioned: ProvisionedOption | None
    lazy_init: bool
    lazy_init_usd: Decimal | None
    unavailable: dict[str, str]

    def record(self) -> ColdStarts:
        """As the result carries it."""
        return ColdStarts(
            cold_share=self.cold_share.quantize(Decimal("0.000001")),
            cold_starts_per_month=self.cold_starts_per_month,
            init_billed_ms=self.init_billed_ms,
            monthly_usd=self.monthly_usd,
            init_monthly_usd=self.init_monthly_usd,
            init_share=None
            if self.init_share is None
            else self.init_share.quantize(Decimal("0.0001")),
            p99_warm_ms=self.p99_warm_ms,
            p99_with_cold_ms=self.p99_with_cold_ms,
            p99_basis=self.p99_basis,
            snapstart=None if self.snapstart is None else self.snapstart.record(),
            provisioned_concurrency=None if self.provisioned is None else self.provisioned.record(),
            lazy_init=self.lazy_init,
            lazy_init_usd=self.lazy_init_usd,
            unavailable=dict(self.unavailable),
        )

    def to_json(self) -> dict[str, Any]:
        return dict(to_plain(self.record()))


class _NotApplicable(Exception):
    """An alternative that does not apply to this function (the reason is the message)."""


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def p99_with_cold(profile: ColdStartProfile) -> tuple[float | None, str]:
    """(p99 latency with cold starts, basis): see the module docstring."""
    if profile.latency_p99_ms is not None:
        return profile.latency_p99_ms, "measured"
    share = float(profile.cold_share)
    warm = profile.duration_p99_ms
    if share <= 1 - P99:
        return warm, "warm only" if warm is not None else "unknown"
    median = profile.duration_p50_ms
    init_mean = None if profile.init_avg_ms is None else float(profile.init_avg_ms)
    if median is None or init_mean is None:
        return None, "unknown"
    q = 1 - (1 - P99) / share  # the quantile of the cold invocations the p99 falls on
    init_p99 = profile.init_p99_ms if profile.init_p99_ms is not None else init_mean
    if q <= 0.5:
        init_q = init_mean
    else:
        init_q = init_mean + (init_p99 - init_mean) * min(1.0, (q - 0.5) / (P99 - 0.5))
    # A cold invocation is a warm one plus INIT, so the mix is never faster than warm alone.
    return round(max(median + init_q, warm or 0.0), 3), "estimated"


def _month(
    catalog: Catalog, profile: ColdStartProfile, billed_ms: Decimal, invocations: int | Decimal
) -> Decimal:
    return monthly_lambda_cost(
        catalog,
        region=profile.region,
        arch=profile.arch,
        memory_mb=profile.memory_mb,
        billed_ms_avg=billed_ms,
        invocations=invocations,
        ephemeral_mb=profile.ephemeral_mb,
    ).total_usd


def _snapstart(
    catalog: Catalog, profile: ColdStartProfile, monthly: int, current: Decimal
) -> SnapStartOption:
    billing = snapstart_billing(profile.runtime)
    notes: list[str] = []
    if profile.package_type != "Zip" or billing == "unsupported":
        what = "container images" if profile.package_type != "Zip" else profile.runtime
        raise _NotApplicable(f"SnapStart does not support {what}")
    if billing == "unknown":
        notes.append(
            "runtime unknown: priced as Python 3.12+/.NET 8+ (cache and restores charged); Java "
            "11+ pays neither; Node.js, Ruby, Go, custom runtimes and images cannot use SnapStart"
        )
    init = profile.init_avg_ms or Decimal(0)
    if profile.restore_billed_avg_ms is not None:
        restore, basis = profile.restore_billed_avg_ms, "measured"
    else:
        restore, basis = (init * ASSUMED_RESTORE_FRACTION).quantize(MS), "assumed"
        notes.append(
            f"restore duration assumed {ASSUMED_RESTORE_FRACTION:%} of INIT; measure it with "
            "a published SnapStart version (RESTORE_REPORT records)"
        )
    share = profile.cold_share
    cold = Decimal(monthly) * share
    warm = profile.warm_billed_ms

    def with_restore(restore_ms: Decimal) -> Decimal:
        return _month(catalog, profile, (warm + share * restore_ms).quantize(MS), monthly)

    cache = restores = Decimal(0)
    if billing != "free":
        fees = snapstart_cost(
            catalog,
            region=profile.region,
            arch=profile.arch,
            memory_mb=profile.memory_mb,
            active_hours=Decimal(HOURS_PER_MONTH * profile.snapstart_versions),
            restores=cold.to_integral_value(rounding=ROUND_CEILING),
        )
        cache, restores = fees.item("snapstart cache").usd, fees.item("snapstart restore").usd
        notes.extend(fees.notes)
    fixed = cache + restores
    total = with_restore(restore) + fixed

    # The restore billed ms at which SnapStart costs what INIT costs now (bisection on whole ms;
    # the month is monotonic in it).
    def dearer(restore_ms: int) -> bool:
        return with_restore(Decimal(restore_ms)) + fixed >= current

    break_even: int | None = None
    if not dearer(0):
        top = max(1, _ceil(init)) * 4
        break_even = top if not dearer(top) else _first_true(0, top, dearer) - 1
    break_even_init = _break_even_init(catalog, profile, monthly, fixed, basis, restore)
    snap_profile = replace(profile, init_avg_ms=restore, init_p99_ms=None, latency_p99_ms=None)
    return SnapStartOption(
        billing=billing,
        restore_billed_ms=restore,
        restore_basis=basis,
        cache_usd=cache,
        restore_usd=restores,
        monthly_usd=total,
        saving_usd=current - total,
        break_even_restore_ms=break_even,
        break_even_init_ms=break_even_init,
        p99_ms=p99_with_cold(snap_profile)[0],
        notes=tuple(dict.fromkeys(notes)),
    )


def _break_even_init(
    catalog: Catalog,
    profile: ColdStartProfile,
    monthly: int,
    fixed: Decimal,
    basis: str,
    restore: Decimal,
) -> int | None:
    """The INIT billed ms above which SnapStart (fees ``fixed``, restores as assumed or
    measured) costs less than paying INIT, for this traffic; None if not even at MAX_INIT_MS."""
    share, warm = profile.cold_share, profile.warm_billed_ms

    def gain(init_ms: int) -> Decimal:
        restore_ms = restore if basis == "measured" else Decimal(init_ms) * ASSUMED_RESTORE_FRACTION
        paying = _month(catalog, profile, (warm + share * init_ms).quantize(MS), monthly)
        snap = _month(catalog, profile, (warm + share * restore_ms).quantize(MS), monthly)
        return paying - snap - fixed

    if gain(MAX_INIT_MS) <= 0:
        return None
    return _first_true(0, MAX_INIT_MS, lambda init_ms: gain(init_ms) > 0)


def _first_true(lo: int, hi: int, ok: Callable[[int], bool]) -> int:
    """The least integer in (lo, hi] where ``ok`` holds, for ``ok`` monotone (false, then true)
    and taken as true at ``hi`` (which it never calls): bisection."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def erlang_b(servers: int, load: float) -> float:
    """The share of Poisson arrivals that find all ``servers`` busy at offered ``load``
    (mean concurrency): Erlang's loss formula, by its stable recursion."""
    blocked = 1.0
    for n in range(1, servers + 1):
        blocked = load * blocked / (n + load * blocked)
    return blocked


def _provisioned(
    catalog: Catalog, profile: ColdStartProfile, monthly: int, current: Decimal
) -> ProvisionedOption:
    duration = profile.duration_avg_ms
    if duration is None or duration <= 0:
        raise _NotApplicable("no mean duration: concurrency unknown")
    average = Decimal(monthly) * Decimal(repr(duration)) / MS_PER_MONTH
    load = float(average)
    # Fewest environments that serve all but SPILL_TARGET of the invocations (the loss
    # formula's recursion, one step per environment added).
    enough, blocked = 1, load / (1 + load)
    while blocked > SPILL_TARGET and enough < MAX_PC:
        enough += 1
        blocked = load * blocked / (enough + load * blocked)
    if profile.peak_concurrency is not None:
        enough = max(enough, math.ceil(profile.peak_concurrency))
    share = profile.cold_share

    def month(n: int) -> tuple[Decimal, float, list[str]]:
        spill = erlang_b(n, load)
        served = (Decimal(monthly) * Decimal(repr(1 - spill))).to_integral_value()
        estimate = provisioned_month_cost(
            catalog,
            region=profile.region,
            arch=profile.arch,
            memory_mb=profile.memory_mb,
            concurrency=n,
            hours=Decimal(HOURS_PER_MONTH),
            invocations=monthly,
            billed_ms_avg=profile.billed_avg_ms,  # what spills runs on demand, colds and all
            provisioned_invocations=served,
            provisioned_billed_ms=profile.warm_billed_ms,
        )
        return estimate.total_usd, spill, list(estimate.notes)

    # The cheapest N up to ``enough`` (fewer environments spill more onto on-demand). The month
    # is convex in N (each environment added serves fewer of the spilled invocations), so the
    # first N whose successor costs no less is the cheapest: found by bisection.
    costs: dict[int, tuple[Decimal, float, list[str]]] = {}

    def cost(n: int) -> Decimal:
        if n not in costs:
            costs[n] = month(n)
        return costs[n][0]

    concurrency = _first_true(0, enough, lambda n: cost(n + 1) >= cost(n))
    cost(enough)
    total, spill, notes = costs[concurrency]
    notes.append(
        f"Poisson arrivals at mean concurrency {load:.2f}: {concurrency} environment(s) serve "
        f"{1 - spill:.1%} of invocations, the rest run on demand "
        f"({share * Decimal(repr(spill)):.2%} still start cold); {enough} would leave under "
        f"{SPILL_TARGET:.0%} on demand for ${costs[enough][0]:.2f}/month"
    )
    served_load = average * Decimal(repr(1 - spill))
    pc = catalog.lambda_rate(profile.region, profile.arch, "provisioned_concurrency").first
    pd = catalog.lambda_rate(profile.region, profile.arch, "provisioned_duration").first
    after = replace(
        profile,
        cold_starts=round(profile.cold_starts * spill),
        latency_p99_ms=None,
    )
    return ProvisionedOption(
        concurrency=concurrency,
        concurrency_basis="peak" if profile.peak_concurrency is not None else "average",
        hours=HOURS_PER_MONTH,
        utilisation=min(Decimal(1), served_load / concurrency),
        break_even_utilisation=provisioned_break_even_utilisation(
            catalog, profile.region, profile.arch
        ),
        pc_rate_usd_per_gb_s=pc,
        pc_duration_rate_usd_per_gb_s=pd,
        monthly_usd=total,
        saving_usd=current - total,
        spill_share=Decimal(repr(round(spill, 6))),
        environments_for_all=enough,
        monthly_usd_for_all=costs[enough][0],
        p99_ms=p99_with_cold(after)[0],
        notes=tuple(dict.fromkeys(notes)),
    )


def cold_start_advice(catalog: Catalog, profile: ColdStartProfile) -> ColdStartAdvice:
    """Price a function's cold starts and the alternatives (see the module docstring)."""
    if profile.reports < 0 or not 0 <= profile.cold_starts <= profile.reports:
        raise InputError(
            f"cold starts must be 0-{profile.reports} (the REPORT count), got {profile.cold_starts}"
        )
    if profile.monthly_invocations is not None and profile.monthly_invocations < 0:
        raise InputError(f"monthly invocations must be >= 0, got {profile.monthly_invocations}")
    share = profile.cold_share
    monthly = profile.monthly_invocations
    init = profile.init_avg_ms.quantize(MS) if profile.init_avg_ms is not None else None
    p99, basis = p99_with_cold(profile)
    unavailable: dict[str, str] = {}
    current = init_usd = init_share = lazy_usd = None
    snapstart: SnapStartOption | None = None
    provisioned: ProvisionedOption | None = None
    cold_per_month = None if monthly is None else int(Decimal(monthly) * share)
    if monthly is None:
        unavailable["money"] = "monthly invocations unknown"
    elif init is None or profile.cold_starts == 0:
        unavailable["money"] = "no cold starts in the records"
        current = _month(catalog, profile, profile.billed_avg_ms, monthly)
    else:
        current = _month(catalog, profile, profile.billed_avg_ms, monthly)
        init_usd = _month(catalog, profile, init, Decimal(monthly) * share) - _month(
            catalog, profile, Decimal(0), Decimal(monthly) * share
        )  # duration only: the cold starts' requests are paid either way
        init_share = init_usd / current if current > 0 else None
        try:
            snapstart = _snapstart(catalog, profile, monthly, current)
        except (_NotApplicable, UnknownPricingKey) as exc:
            unavailable["snapstart"] = str(exc)
        try:
            provisioned = _provisioned(catalog, profile, monthly, current)
        except (_NotApplicable, UnknownPricingKey) as exc:
            unavailable["provisioned_concurrency"] = str(exc)
    lazy = init_share is not None and init_share >= LAZY_INIT_SHARE
    if lazy and init_usd is not None:
        lazy_usd = init_usd * LAZY_INIT_SAVING_FRACTION
    return ColdStartAdvice(
        profile=profile,
        cold_share=share,
        cold_starts_per_month=cold_per_month,
        init_billed_ms=init,
        monthly_usd=current,
        init_monthly_usd=init_usd,
        init_share=init_share,
        p99_warm_ms=profile.duration_p99_ms,
        p99_with_cold_ms=p99,
        p99_basis=basis,
        snapstart=snapstart,
        provisioned=provisioned,
        lazy_init=lazy,
        lazy_init_usd=lazy_usd,
        unavailable=unavailable,
    )
