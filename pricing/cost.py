"""All of powertune's money math, in Decimal: Lambda, Fargate, CloudWatch Logs, Savings Plans.

Nothing here rounds money: line items and totals are exact products of catalog rates, and only
display code rounds to the cent (``Estimate.rounded_total``). Rates come from a
:class:`pricing.catalog.Catalog`; an unknown region, architecture, OS or plan raises
``UnknownPricingKey`` naming what the catalog knows.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from pricing.catalog import FARGATE_OSES, Catalog, Rate, check_arch
from pricing.errors import PricingInputError, UnknownPricingKey

__all__ = [
    "Estimate",
    "InvalidPricingInput",
    "LineItem",
    "async_requests",
    "billed_ms_for",
    "duration_price",
    "fargate_cost",
    "fargate_task_sizes",
    "gb_seconds",
    "invocation_cost",
    "log_cost",
    "money_str",
    "monthly_lambda_cost",
    "provisioned_concurrency_cost",
    "request_price",
    "savings_plans",
    "snapstart_cost",
]

MB_PER_GB = Decimal(1024)
MS_PER_SECOND = Decimal(1000)
SECONDS_PER_HOUR = Decimal(3600)
INCLUDED_EPHEMERAL_MB = 512
MIN_MEMORY_MB, MAX_MEMORY_MB = 128, 10240
MAX_EPHEMERAL_MB = 10240
INIT_BILLING_FROM = date(2025, 8, 1)
"""From this day INIT is billed for on-demand ZIP functions on managed runtimes too."""
PROVISIONED_ROUNDING_SECONDS = 300  # provisioned concurrency is billed in 5-minute steps
SNAPSTART_CACHE_MINIMUM_SECONDS = 3 * 3600  # each active version pays at least 3 hours of cache
CENT = Decimal("0.01")

# Wide enough that no product of a rate, a GB-s figure and an invocation count is ever rounded.
_MATH = Context(prec=60)


class InvalidPricingInput(PricingInputError):
    """A quantity the pricing math cannot accept (negative, out of range, invalid task size)."""


def _dec(value: int | float | str | Decimal, what: str) -> Decimal:
    """A Decimal from user input; floats go through repr so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        out = value
    elif isinstance(value, numbers.Integral):  # int, and numpy integers
        out = Decimal(int(value))
    elif isinstance(value, float):
        out = Decimal(repr(float(value)))
    else:
        out = Decimal(value)
    if not out.is_finite() or out < 0:
        raise InvalidPricingInput(f"{what} must be a finite number >= 0, got {value}")
    return out


JSON_PLACES = Decimal("1e-30")  # exact for rate x GB-s products; cuts endless quotients


def money_str(value: Decimal) -> str:
    """A decimal string without exponent or trailing zeros ("2.733338", "18", "0"), at most 30
    decimal places (divisions by 3,600 do not terminate)."""
    with localcontext(_MATH):
        text = format(value.quantize(JSON_PLACES).normalize(), "f")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class LineItem:
    """One line of a bill: ``quantity`` ``unit`` at ``rate`` USD per unit = ``usd``."""

    name: str
    quantity: Decimal
    unit: str
    rate: Decimal
    usd: Decimal
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "quantity": money_str(self.quantity),
            "unit": self.unit,
            "rate": money_str(self.rate),
            "usd": money_str(self.usd),
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Estimate:
    """A priced bill: its line items and their exact sum (round only to display)."""

    items: tuple[LineItem, ...]
    total_usd: Decimal
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, items: Iterable[LineItem], notes: Iterable[str] = ()) -> Estimate:
        items = tuple(items)
        with localcontext(_MATH):
            total = sum((i.usd for i in items), Decimal(0))
        return cls(items, total, tuple(dict.fromkeys(notes)))

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate.of(self.items + other.items, self.notes + other.notes)

    @property
    def rounded_total(self) -> Decimal:
        """The total rounded half-up to the cent, as AWS's examples display it."""
        return self.total_usd.quantize(CENT, rounding=ROUND_HALF_UP)

    def item(self, name: str) -> LineItem:
        """The line item called ``name`` (KeyError if absent)."""
        for i in self.items:
            if i.name == name:
                return i
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "total_usd": money_str(self.total_usd),
            "items": [i.to_json() for i in self.items],
        }
        if self.notes:
            out["notes"] = list(self.notes)
        return out


class _Bill:
    """Collects line items, and a note for every rate used that the catalog marks verify."""

    def __init__(self, cat: Catalog) -> None:
        self.cat = cat
        self.items: list[LineItem] = []
        self.notes: list[str] = []

    def watch(self, rate: Rate, what: str) -> Rate:
        if rate.verify:
            self.notes.append(f"{what} rate is marked verify in pricing catalog {self.cat.version}")
        return rate

    def add(
        self, name: str, quantity: Decimal, unit: str, rate: Decimal, note: str | None = None
    ) -> None:
        self.items.append(LineItem(name, quantity, unit, rate, quantity * rate, note))

    def add_tiered(
        self,
        name: str,
        rate: Rate,
        quantity: Decimal,
        unit: str,
        already_used: Decimal = Decimal(0),
        note: str | None = None,
    ) -> None:
        parts = rate.split(quantity, already_used)
        if not parts:
            self.add(name, Decimal(0), unit, rate.first, note)
            return
        for tier, qty in parts:
            index = rate.tiers.index(tier) + 1
            label = (
                name
                if not rate.tiered or (len(parts) == 1 and index == 1)
                else f"{name} tier {index}"
            )
            self.add(label, qty, unit, tier.usd, note)

    def estimate(self) -> Estimate:
        return Estimate.of(self.items, self.notes)


@contextmanager
def _exact() -> Iterator[None]:
    with localcontext(_MATH):
        yield


# -- Lambda -----------------------------------------------------------------------------------
def _check_memory(memory_mb: int) -> None:
    if isinstance(memory_mb, bool) or not isinstance(memory_mb, numbers.Integral):
        raise InvalidPricingInput(f"memory must be a whole number of MB, got {memory_mb!r}")
    if not MIN_MEMORY_MB <= memory_mb <= MAX_MEMORY_MB:
        raise InvalidPricingInput(
            f"memory must be {MIN_MEMORY_MB}-{MAX_MEMORY_MB} MB, got {memory_mb} MB"
        )


def _check_ephemeral(ephemeral_mb: int) -> None:
    if not INCLUDED_EPHEMERAL_MB <= ephemeral_mb <= MAX_EPHEMERAL_MB:
        raise InvalidPricingInput(
            f"ephemeral storage must be {INCLUDED_EPHEMERAL_MB}-{MAX_EPHEMERAL_MB} MB, "
            f"got {ephemeral_mb} MB"
        )


def gb_seconds(memory_mb: int, billed_ms: int | Decimal) -> Decimal:
    """GB-seconds of one invocation: memory (1 GB = 1,024 MB) times billed seconds. Exact."""
    with _exact():
        memory = _dec(memory_mb, "memory")
        return memory * _dec(billed_ms, "billed duration") / (MB_PER_GB * MS_PER_SECOND)


def _init_is_billed(package_type: str, managed_runtime: bool, on: date | None) -> bool:
    if on is None or on >= INIT_BILLING_FROM:
        return True
    # Before Aug 2025 only ZIP functions on managed runtimes had a free INIT.
    return package_type != "Zip" or not managed_runtime


def billed_ms_for(
    duration_ms: float,
    init_ms: float | None = None,
    *,
    package_type: str = "Zip",
    managed_runtime: bool = True,
    billed_restore_ms: float | None = None,
    on: date | None = None,
) -> int:
    """Billed milliseconds of one on-demand invocation, as the REPORT line's Billed Duration.

    Duration is rounded up to the next 1 ms. A cold start (``init_ms`` given) bills
    ceil(init + duration): since 1 Aug 2025 for every package type and runtime, before that
    (``on`` earlier than INIT_BILLING_FROM) only for container images and custom runtimes.
    A SnapStart restore bills ceil(duration + billed restore duration) and no INIT.
    """
    total = _dec(duration_ms, "duration")
    if billed_restore_ms is not None:
        total += _dec(billed_restore_ms, "billed restore duration")
    elif init_ms is not None and _init_is_billed(package_type, managed_runtime, on):
        total += _dec(init_ms, "init duration")
    return max(1, int(total.to_integral_value(rounding=ROUND_CEILING)))


ASYNC_INCLUDED_BYTES = 256 * 1024
ASYNC_CHUNK_BYTES = 64 * 1024
ASYNC_MAX_BYTES = 1024 * 1024


def async_requests(event_bytes: int) -> int:
    """Requests billed for one asynchronous event: one up to 256 KB, plus one per further 64 KB
    chunk (events up to 1 MB)."""
    if event_bytes < 0 or event_bytes > ASYNC_MAX_BYTES:
        raise InvalidPricingInput(
            f"an asynchronous event is 0-{ASYNC_MAX_BYTES} bytes, got {event_bytes}"
        )
    extra = max(0, event_bytes - ASYNC_INCLUDED_BYTES)
    return 1 + -(-extra // ASYNC_CHUNK_BYTES)


def duration_price(cat: Catalog, region: str, arch: str) -> Decimal:
    """First-tier on-demand price per GB-s."""
    return cat.lambda_rate(region, arch, "duration").first


def request_price(cat: Catalog, region: str, arch: str) -> Decimal:
    """Price of a single request."""
    return cat.lambda_rate(region, arch, "requests").first


def invocation_cost(
    cat: Catalog,
    *,
    region: str,
    arch: str,
    memory_mb: int,
    billed_ms: int | Decimal,
    ephemeral_mb: int = INCLUDED_EPHEMERAL_MB,
    include_request: bool = True,
) -> Decimal:
    """First-tier on-demand price of one invocation: duration + extra ephemeral storage + request
    fee."""
    _check_memory(memory_mb)
    _check_ephemeral(ephemeral_mb)
    with _exact():
        cost = gb_seconds(memory_mb, billed_ms) * duration_price(cat, region, arch)
        if ephemeral_mb > INCLUDED_EPHEMERAL_MB:
            storage = cat.lambda_rate(region, arch, "ephemeral_storage").first
            cost += gb_seconds(ephemeral_mb - INCLUDED_EPHEMERAL_MB, billed_ms) * storage
        if include_request:
            cost += request_price(cat, region, arch)
        return cost


def _savings_plan_ratio(cat: Catalog, plan: str, region: str, arch: str) -> tuple[Rate, Decimal]:
    """The plan's duration rate and its ratio to the on-demand first tier (for PC meters)."""
    rate = cat.savings_plan_lambda_rate(plan, region, arch)
    return rate, rate.first / duration_price(cat, region, arch)


def monthly_lambda_cost(
    cat: Catalog,
    *,
    region: str,
    arch: str,
    memory_mb: int,
    billed_ms_avg: Decimal,
    invocations: int | Decimal,
    ephemeral_mb: int = INCLUDED_EPHEMERAL_MB,
    free_tier: bool = False,
    savings_plan: str | None = None,
    log_gb: Decimal | None = None,
    log_retention_months: int | None = None,
    account_gb_seconds: Decimal = Decimal(0),
) -> Estimate:
    """Monthly on-demand cost of one function: requests, duration (tiers), storage, logs.

    ``free_tier`` subtracts the monthly 1M requests and 400,000 GB-s first (they are per
    account, so leave it off when other functions already use them). ``account_gb_seconds`` is
    duration the account already ran this month on this architecture in this region, so the
    function lands in the right tier. A Savings Plan bills covered duration at the plan's rate
    (requests and ephemeral storage stay on demand). ``log_gb`` adds vended-log ingestion and
    storage via :func:`log_cost`.
    """
    _check_memory(memory_mb)
    _check_ephemeral(ephemeral_mb)
    check_arch(arch)
    bill = _Bill(cat)
    with _exact():
        count = _dec(invocations, "invocations")
        billed = _dec(billed_ms_avg, "average billed duration")
        used = _dec(account_gb_seconds, "account GB-seconds")

        requests = bill.watch(cat.lambda_rate(region, arch, "requests"), "Lambda requests")
        billable = max(Decimal(0), count - cat.free_tier_requests) if free_tier else count
        note = f"after {cat.free_tier_requests:,} free requests" if free_tier else None
        bill.add("requests", billable, "requests", requests.first, note)

        total_gbs = count * gb_seconds(memory_mb, billed)
        gbs = max(Decimal(0), total_gbs - cat.free_tier_gb_seconds) if free_tier else total_gbs
        note = f"after {cat.free_tier_gb_seconds:,} free GB-s" if free_tier else None
        if savings_plan is not None:
            plan_rate = bill.watch(
                cat.savings_plan_lambda_rate(savings_plan, region, arch), "savings plan"
            )
            label = f"duration ({savings_plan})"
            bill.add(label, gbs, "GB-s", plan_rate.first, note)
        else:
            duration = bill.watch(cat.lambda_rate(region, arch, "duration"), "Lambda duration")
            bill.add_tiered("duration", duration, gbs, "GB-s", already_used=used, note=note)

        if ephemeral_mb > INCLUDED_EPHEMERAL_MB:
            storage = bill.watch(
                cat.lambda_rate(region, arch, "ephemeral_storage"), "Lambda ephemeral storage"
            )
            extra = count * gb_seconds(ephemeral_mb - INCLUDED_EPHEMERAL_MB, billed)
            bill.add("ephemeral storage", extra, "GB-s", storage.first)

        estimate = bill.estimate()
        if log_gb is not None:
            estimate += log_cost(
                cat,
                region=region,
                ingest_gb=log_gb,
                retention_months=log_retention_months,
                vended=True,
            )
        return estimate


def provisioned_concurrency_cost(
    cat: Catalog,
    *,
    region: str,
    arch: str,
    memory_mb: int,
    concurrency: int,
    hours: Decimal,
    invocations: int | Decimal = 0,
    billed_ms_avg: Decimal = Decimal(0),
    savings_plan: str | None = None,
) -> Estimate:
    """Provisioned concurrency for ``hours`` (billed in 5-minute steps) plus the invocations it
    served: requests and duration at the provisioned rate. The free tier never applies here.
    A Savings Plan discounts both provisioned meters by its duration discount.
    """
    _check_memory(memory_mb)
    bill = _Bill(cat)
    with _exact():
        seconds = _dec(hours, "hours") * SECONDS_PER_HOUR
        steps = (seconds / PROVISIONED_ROUNDING_SECONDS).to_integral_value(rounding=ROUND_CEILING)
        seconds = steps * PROVISIONED_ROUNDING_SECONDS
        gb = _dec(memory_mb, "memory") / MB_PER_GB
        pc = bill.watch(cat.lambda_rate(region, arch, "provisioned_concurrency"), "provisioned")
        pd = bill.watch(cat.lambda_rate(region, arch, "provisioned_duration"), "provisioned")
        ratio, note = Decimal(1), None
        if savings_plan is not None:
            plan_rate, ratio = _savings_plan_ratio(cat, savings_plan, region, arch)
            bill.watch(plan_rate, "savings plan")
            note = f"{savings_plan}: duration discount applied"
        count = _dec(invocations, "invocations")
        bill.add(
            "provisioned concurrency",
            _dec(concurrency, "concurrency") * gb * seconds,
            "GB-s",
            pc.first * ratio,
            note,
        )
        bill.add(
            "duration (provisioned)",
            count * gb_seconds(memory_mb, billed_ms_avg),
            "GB-s",
            pd.first * ratio,
            note,
        )
        bill.add("requests", count, "requests", request_price(cat, region, arch))
        return bill.estimate()


def snapstart_cost(
    cat: Catalog,
    *,
    region: str,
    arch: str,
    memory_mb: int,
    active_hours: Decimal,
    restores: int | Decimal,
) -> Estimate:
    """SnapStart cache (per GB-s the version is active, 3-hour minimum) and restores (per GB).

    Not for Java managed runtimes, where SnapStart is free: do not call it for them.
    """
    _check_memory(memory_mb)
    bill = _Bill(cat)
    with _exact():
        gb = _dec(memory_mb, "memory") / MB_PER_GB
        seconds = max(
            _dec(active_hours, "active hours") * SECONDS_PER_HOUR,
            Decimal(SNAPSTART_CACHE_MINIMUM_SECONDS),
        )
        cache = bill.watch(cat.lambda_rate(region, arch, "snapstart_cache"), "SnapStart")
        restore = bill.watch(cat.lambda_rate(region, arch, "snapstart_restore"), "SnapStart")
        bill.add("snapstart cache", gb * seconds, "GB-s", cache.first)
        bill.add("snapstart restore", _dec(restores, "restores") * gb, "GB", restore.first)
        return bill.estimate()


# -- Fargate ----------------------------------------------------------------------------------
def fargate_task_sizes(cat: Catalog) -> list[tuple[Decimal, Decimal]]:
    """Valid Fargate (vCPU, memory GB) pairs."""
    return cat.fargate_task_sizes()


def _check_task_size(cat: Catalog, vcpu: Decimal, memory_gb: Decimal) -> None:
    sizes = cat.fargate_task_sizes()
    if (vcpu, memory_gb) in sizes:
        return
    for_cpu = [m for c, m in sizes if c == vcpu]
    if for_cpu:
        valid = ", ".join(money_str(m) for m in for_cpu)
        raise InvalidPricingInput(
            f"no Fargate task size {money_str(vcpu)} vCPU / {money_str(memory_gb)} GB; "
            f"valid memory for {money_str(vcpu)} vCPU: {valid} GB"
        )
    cpus = ", ".join(money_str(c) for c in sorted({c for c, _ in sizes}))
    raise InvalidPricingInput(f"no Fargate task size with {money_str(vcpu)} vCPU; valid: {cpus}")


def fargate_cost(
    cat: Catalog,
    *,
    region: str,
    vcpu: Decimal,
    memory_gb: Decimal,
    hours: Decimal,
    arch: str = "x86_64",
    os: str = "linux",
    tasks: int = 1,
    ephemeral_gb: int | Decimal = 20,
    spot: bool = False,
    savings_plan: str | None = None,
    runs: int = 1,
) -> Estimate:
    """Fargate cost of ``tasks`` tasks each running ``hours`` in total, split into ``runs`` runs.

    Each run is billed per second (rounded up) with a minimum (1 minute on Linux, 5 on
    Windows). vCPU, memory, the Windows licence fee and ephemeral storage above the included
    20 GB are separate line items. A Savings Plan covers vCPU and memory only.
    """
    check_arch(arch)
    if os not in FARGATE_OSES:
        raise UnknownPricingKey(
            f"unknown operating system {os!r}; known: {', '.join(FARGATE_OSES)}"
        )
    if spot and savings_plan is not None:
        raise InvalidPricingInput("Fargate Spot and a Savings Plan cannot be combined")
    if runs < 1 or tasks < 0:
        raise InvalidPricingInput("runs must be >= 1 and tasks >= 0")
    bill = _Bill(cat)
    with _exact():
        cpu, mem = _dec(vcpu, "vCPU"), _dec(memory_gb, "memory GB")
        _check_task_size(cat, cpu, mem)
        per_run = (_dec(hours, "hours") * SECONDS_PER_HOUR / runs).to_integral_value(
            rounding=ROUND_CEILING
        )
        per_run = max(per_run, Decimal(cat.fargate_minimum_seconds(os)))
        task_hours = Decimal(tasks) * runs * per_run / SECONDS_PER_HOUR
        platform = f"{os}/{arch}"
        key = f"spot/{platform}" if spot else platform
        vcpu_rate = bill.watch(cat.fargate_rate(region, key, "vcpu_hour"), "Fargate vCPU")
        gb_rate = bill.watch(cat.fargate_rate(region, key, "gb_hour"), "Fargate memory")
        label = " (spot)" if spot else ""
        if savings_plan is not None:
            vcpu_rate = bill.watch(
                cat.savings_plan_fargate_rate(savings_plan, region, platform, "vcpu_hour"),
                "savings plan",
            )
            gb_rate = bill.watch(
                cat.savings_plan_fargate_rate(savings_plan, region, platform, "gb_hour"),
                "savings plan",
            )
            label = f" ({savings_plan})"
        bill.add(f"vCPU{label}", cpu * task_hours, "vCPU-hours", vcpu_rate.first)
        bill.add(f"memory{label}", mem * task_hours, "GB-hours", gb_rate.first)
        if os == "windows":
            licence = cat.fargate_rate(region, key, "os_license_vcpu_hour")
            bill.add("Windows OS licence", cpu * task_hours, "vCPU-hours", licence.first)
        extra = _dec(ephemeral_gb, "ephemeral GB") - cat.fargate_included_ephemeral_gb
        if extra > 0:
            storage = bill.watch(cat.fargate_ephemeral_rate(region), "Fargate ephemeral storage")
            bill.add("ephemeral storage", extra * task_hours, "GB-hours", storage.first)
        return bill.estimate()


# -- CloudWatch Logs --------------------------------------------------------------------------
LOG_CLASSES = ("standard", "infrequent_access")


def log_cost(
    cat: Catalog,
    *,
    region: str,
    ingest_gb: Decimal,
    retention_months: int | Decimal | None,
    log_class: str = "standard",
    vended: bool = True,
    free_tier: bool = False,
    stored_gb: Decimal | None = None,
    insights_gb_scanned: Decimal | None = None,
    horizon_months: int = 12,
    account_vended_gb: Decimal = Decimal(0),
) -> Estimate:
    """One month of CloudWatch Logs for ``ingest_gb`` GB ingested per month.

    Lambda logs are vended logs with monthly volume tiers (1 TB = 1,024 GB); other logs pay the
    flat ingestion rate. Storage in a steady month is what ``retention_months`` months of
    ingestion occupy (``stored_gb`` is one month's stored size, default ``ingest_gb``). With no
    retention ("Never Expire") storage keeps growing: the estimate shows month
    ``horizon_months``. ``free_tier`` subtracts the 5 GB allowance from ingestion, storage and
    scanned data.
    """
    if log_class not in LOG_CLASSES:
        raise UnknownPricingKey(f"unknown log class {log_class!r}; known: {', '.join(LOG_CLASSES)}")
    bill = _Bill(cat)
    with _exact():
        free = cat.logs_free_tier_gb if free_tier else Decimal(0)
        gb = _dec(ingest_gb, "log GB")
        meter = f"vended_{log_class}_ingest" if vended else f"{log_class}_ingest"
        kind = ("vended, " if vended else "") + log_class.replace("_", " ")
        ingest = bill.watch(cat.logs_rate(region, meter), "CloudWatch Logs ingestion")
        bill.add_tiered(
            f"log ingestion ({kind})",
            ingest,
            max(Decimal(0), gb - free),
            "GB",
            already_used=_dec(account_vended_gb, "account vended GB") if vended else Decimal(0),
        )
        per_month = gb if stored_gb is None else _dec(stored_gb, "stored GB")
        if retention_months is None:
            months, note = Decimal(horizon_months), f"never expire: month {horizon_months}"
        else:
            months, note = _dec(retention_months, "retention months"), None
        storage = bill.watch(cat.logs_rate(region, "storage_gb_month"), "CloudWatch Logs storage")
        stored = max(Decimal(0), per_month * months - free)
        bill.add("log storage", stored, "GB-month", storage.first, note)
        if insights_gb_scanned is not None:
            scan = bill.watch(cat.logs_rate(region, "insights_gb_scanned"), "Logs Insights")
            scanned = max(Decimal(0), _dec(insights_gb_scanned, "scanned GB") - free)
            bill.add("Logs Insights scans", scanned, "GB", scan.first)
        return bill.estimate()


# -- Savings Plans ----------------------------------------------------------------------------
def savings_plans(cat: Catalog) -> list[str]:
    """Savings Plan ids the catalog has rates for, e.g. "compute-1yr-no-upfront"."""
    return cat.savings_plans()
