"""What the function's logs cost a month, and what a retention policy or the IA class saves.

Model (all rates from ``pricing.cost.log_cost``):
- Ingestion: bytes per invocation × invocations (1 GB = 1024³ bytes), at the vended-log tiers
  Lambda logs pay since May 2025. The tiers count this function alone; a real account sums all
  its vended logs, so a large account pays less per GB.
- Storage under a retention of D days is in steady state: D / 30 months of ingestion are stored
  at any time.
- "Never expire" (no retention) never reaches a steady state: storage grows by one month of
  ingestion every month. We price the month after ``NEVER_EXPIRE_HORIZON_MONTHS`` (12) months of
  logging, and report how much the bill grows each further month.
- The savings: the same logs under ``suggested_retention_days`` (default 30, only when that is
  shorter than the current retention), and the same logs ingested as Infrequent Access (half the
  ingestion price; no metric filters, Live Tail or subscription filters).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from powertune.errors import InputError
from powertune.recommend.monthly import check_invocations, priced_items
from powertune.results.codec import to_plain
from powertune.results.model import LogsAlternative, LogsMonth
from pricing.catalog import Catalog
from pricing.cost import LineItem, log_cost

BYTES_PER_GB = Decimal(1024**3)
DAYS_PER_MONTH = Decimal(30)
NEVER_EXPIRE_HORIZON_MONTHS = 12
SUGGESTED_RETENTION_DAYS = 30


@dataclass(frozen=True)
class LogsCost:
    """One way of keeping the logs, for a month."""

    log_class: str  # "standard" | "infrequent_access"
    retention_days: int | None  # None: never expire
    stored_months: Decimal  # months of ingestion held in storage in the priced month
    ingestion_usd: Decimal
    storage_usd: Decimal
    total_usd: Decimal
    items: tuple[LineItem, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. rates the catalog marks "verify"

    def record(self) -> LogsMonth:
        """As the result carries it."""
        return LogsMonth(
            log_class=self.log_class,
            retention_days=self.retention_days,
            stored_months=self.stored_months,
            ingestion_usd=self.ingestion_usd,
            storage_usd=self.storage_usd,
            total_usd=self.total_usd,
            items=priced_items(self.items),
            notes=self.notes,
        )

    def to_json(self) -> dict[str, Any]:
        return to_plain(self.record())


@dataclass(frozen=True)
class LogsOption:
    """The logs' month now, and the two cheaper ways of keeping them."""

    region: str
    bytes_per_invocation: Decimal
    monthly_invocations: int
    ingest_gb: Decimal
    current: LogsCost
    with_retention: LogsCost | None  # None when the current retention is already as short
    retention_saving_usd: Decimal | None
    infrequent_access: LogsCost
    infrequent_access_saving_usd: Decimal
    growth_usd_per_month: Decimal | None  # never expire only: the bill's growth each month
    storage_model: str

    def record(self) -> LogsAlternative:
        """As the result carries it."""
        return LogsAlternative(
            region=self.region,
            bytes_per_invocation=self.bytes_per_invocation,
            monthly_invocations=self.monthly_invocations,
            ingest_gb=self.ingest_gb,
            current_usd=self.current.total_usd,
            retention_saving_usd=self.retention_saving_usd,
            infrequent_access_saving_usd=self.infrequent_access_saving_usd,
            growth_usd_per_month=self.growth_usd_per_month,
            storage_model=self.storage_model,
            current=self.current.record(),
            with_retention=None if self.with_retention is None else self.with_retention.record(),
            infrequent_access=self.infrequent_access.record(),
        )

    def to_json(self) -> dict[str, Any]:
        return to_plain(self.record())


def stored_months(retention_days: int | None) -> Decimal:
    if retention_days is None:
        return Decimal(NEVER_EXPIRE_HORIZON_MONTHS)
    return Decimal(retention_days) / DAYS_PER_MONTH


def price_logs(
    catalog: Catalog,
    *,
    region: str,
    ingest_gb: Decimal,
    retention_days: int | None,
    log_class: str,
    free_tier: bool,
) -> LogsCost:
    months = stored_months(retention_days)
    estimate = log_cost(
        catalog,
        region=region,
        ingest_gb=ingest_gb,
        retention_months=months,
        log_class=log_class,
        vended=True,
        free_tier=free_tier,
    )
    ingestion_only = log_cost(
        catalog,
        region=region,
        ingest_gb=ingest_gb,
        retention_months=Decimal(0),
        log_class=log_class,
        vended=True,
        free_tier=free_tier,
    ).total_usd
    return LogsCost(
        log_class=log_class,
        retention_days=retention_days,
        stored_months=months,
        ingestion_usd=ingestion_only,
        storage_usd=estimate.total_usd - ingestion_only,
        total_usd=estimate.total_usd,
        items=tuple(estimate.items),
        notes=tuple(estimate.notes),
    )


def log_costs(
    catalog: Catalog,
    *,
    region: str,
    bytes_per_invocation: float | Decimal,
    monthly_invocations: int,
    retention_days: int | None,
    suggested_retention_days: int = SUGGESTED_RETENTION_DAYS,
    free_tier: bool = False,
) -> LogsOption:
    """The logs' monthly cost under ``retention_days`` (None: never expire) and the savings.

    ``free_tier`` takes CloudWatch's monthly 5 GB allowance off (off by default, like Lambda's:
    it is per account and usually used up by other log groups).

    See the module docstring for how storage (and never-expire growth) is modelled.
    """
    check_invocations(monthly_invocations)
    if monthly_invocations is None:
        raise InputError("monthly invocations are needed to price the logs")
    per_invocation = Decimal(str(bytes_per_invocation))
    if not per_invocation.is_finite() or per_invocation < 0:
        raise InputError(f"bytes per invocation must be ≥ 0, got {bytes_per_invocation}")
    for name, days in (
        ("retention", retention_days),
        ("suggested retention", suggested_retention_days),
    ):
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days <= 0):
            raise InputError(f"{name} must be a positive number of days, got {days!r}")

    ingest_gb = per_invocation * monthly_invocations / BYTES_PER_GB
    common: dict[str, Any] = {"region": region, "ingest_gb": ingest_gb, "free_tier": free_tier}
    current = price_logs(catalog, retention_days=retention_days, log_class="standard", **common)

    with_retention: LogsCost | None = None
    retention_saving: Decimal | None = None
    if retention_days is None or retention_days > suggested_retention_days:
        with_retention = price_logs(
            catalog, retention_days=suggested_retention_days, log_class="standard", **common
        )
        retention_saving = current.total_usd - with_retention.total_usd

    infrequent = price_logs(
        catalog, retention_days=retention_days, log_class="infrequent_access", **common
    )

    growth: Decimal | None = None
    if retention_days is None:
        # What one more month of stored logs adds to the bill, priced by pricing itself.
        next_month = {**common, "retention_months": Decimal(NEVER_EXPIRE_HORIZON_MONTHS + 1)}
        this_month = {**common, "retention_months": Decimal(NEVER_EXPIRE_HORIZON_MONTHS)}
        growth = (
            log_cost(catalog, vended=True, **next_month).total_usd
            - log_cost(catalog, vended=True, **this_month).total_usd
        )
        model = (
            f"never expire: storage after {NEVER_EXPIRE_HORIZON_MONTHS} months of logging, "
            "growing every month"
        )
    else:
        model = f"steady state: {retention_days} days of logs stored"

    return LogsOption(
        region=region,
        bytes_per_invocation=per_invocation,
        monthly_invocations=monthly_invocations,
        ingest_gb=ingest_gb,
        current=current,
        with_retention=with_retention,
        retention_saving_usd=retention_saving,
        infrequent_access=infrequent,
        infrequent_access_saving_usd=current.total_usd - infrequent.total_usd,
        growth_usd_per_month=growth,
        storage_model=model,
    )
