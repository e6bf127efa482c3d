"""`powertune pricing`: show the catalog, price a Lambda or Fargate workload, refresh the catalog.

Every command takes ``--catalog FILE`` (a refreshed catalog); without it $POWERTUNE_CATALOG, then
the catalog shipped with powertune. JSON output carries money as exact decimal strings; tables
round to the cent.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from powertune.errors import InputError
from powertune.files import write_atomic
from powertune_cli.common import handle_errors
from pricing.catalog import ARCHITECTURES, LAMBDA_METERS, Catalog, load_catalog
from pricing.cost import (
    CENT,
    Estimate,
    fargate_cost,
    money_str,
    monthly_lambda_cost,
)

app = typer.Typer(help="The pricing catalog and cost estimates (Lambda, Fargate, logs).")

CATALOG_HELP = (
    "A pricing catalog file (from `powertune pricing refresh`); default: the packaged one."
)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


def catalog_option() -> Any:
    """A ``--catalog FILE`` option for any command: ``catalog: str | None = catalog_option()``,
    then ``catalog_from_option(catalog)``."""
    return typer.Option(None, "--catalog", metavar="FILE", help=CATALOG_HELP)


def catalog_from_option(path: str | None) -> Catalog:
    """The catalog for a ``--catalog`` option value (None: $POWERTUNE_CATALOG or packaged)."""
    return load_catalog(path)


MAX_QUANTITY = Decimal(10) ** 15


def parse_decimal(text: str, flag: str, *, positive: bool = False) -> Decimal:
    """A non-negative Decimal from a flag value, or InputError naming the flag."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(f"{flag} must be a number, got {text!r}") from None
    if not value.is_finite() or value < 0 or (positive and value == 0):
        raise InputError(f"{flag} must be a number {'>' if positive else '>='} 0, got {text}")
    if value > MAX_QUANTITY:  # 1e999999 is finite, and overflows the cost math's context
        raise InputError(f"{flag} must be at most {MAX_QUANTITY:,}, got {text[:40]}")
    return value


def _cents(value: Decimal) -> str:
    return f"${value.quantize(CENT):,}"


def _quantity(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.001')).normalize():,f}"
    return text


def _print_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _print_estimate(title: str, estimate: Estimate, caption: str) -> None:
    table = Table(title=title, caption=caption)
    table.add_column("item")
    table.add_column("quantity", justify="right")
    table.add_column("unit")
    table.add_column("rate (USD)", justify="right")
    table.add_column("USD", justify="right")
    for item in estimate.items:
        table.add_row(
            item.name,
            _quantity(item.quantity),
            item.unit,
            money_str(item.rate),
            _cents(item.usd),
        )
    table.add_section()
    table.add_row("total", "", "", "", _cents(estimate.total_usd))
    console = Console()
    console.print(table)
    for note in estimate.notes:
        console.print(f"note: {note}")


# -- show -------------------------------------------------------------------------------------
def _rate_json(cat: Catalog, region: str, arch: str, meter: str) -> dict[str, Any] | None:
    try:
        rate = cat.lambda_rate(region, arch, meter)
    except InputError:
        return None  # unknown is null, never 0
    return {
        "unit": rate.unit,
        "tiers": [
            {
                "from": money_str(t.begin),
                "to": None if t.end is None else money_str(t.end),
                "usd": money_str(t.usd),
            }
            for t in rate.tiers
        ],
        "source": rate.source,
        "as_of": rate.as_of,
        "verify": rate.verify,
    }


@app.command("show")
@handle_errors
def show(
    region: str | None = typer.Option(None, "--region", help="One region (default: all)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
    catalog: str | None = catalog_option(),
) -> None:
    """Show prices per region: Lambda by architecture (table and JSON), plus Fargate and
    CloudWatch Logs rates (JSON), each with its source, as-of date and verify flag."""
    cat = catalog_from_option(catalog)
    regions = cat.regions()
    if region is not None:
        cat.lambda_region(region)  # raises UnknownPricingKey naming the known regions
        regions = [region]
    if fmt is OutputFormat.json:
        raw = cat.to_json()
        wanted = (
            set(regions)
            if region is not None
            else set(cat.fargate_regions()) | set(raw["logs"]["regions"])
        )
        _print_json(
            {
                "catalog_version": cat.version,
                "currency": cat.currency,
                "savings_plans": cat.savings_plans(),
                "lambda": {
                    r: {
                        a: {m: _rate_json(cat, r, a, m) for m in LAMBDA_METERS}
                        for a in ARCHITECTURES
                    }
                    for r in regions
                },
                "fargate": {r: v for r, v in raw["fargate"]["regions"].items() if r in wanted},
                "logs": {r: v for r, v in raw["logs"]["regions"].items() if r in wanted},
                "sources": cat.sources,
            }
        )
        return
    table = Table(title=f"Lambda prices, catalog {cat.version} (USD; * = verify)")
    for column in ("region", "arch", "per GB-s (tier 1)", "per 1M requests", "PC per GB-s"):
        table.add_column(column, justify="left" if column in ("region", "arch") else "right")
    for r in regions:
        for a in ARCHITECTURES:
            duration = cat.lambda_rate(r, a, "duration")
            requests = cat.lambda_rate(r, a, "requests")
            pc = _rate_json(cat, r, a, "provisioned_concurrency")
            table.add_row(
                r,
                a,
                money_str(duration.first) + ("*" if duration.verify else ""),
                money_str(requests.first * 1_000_000) + ("*" if requests.verify else ""),
                "unknown" if pc is None else pc["tiers"][0]["usd"] + ("*" if pc["verify"] else ""),
            )
    Console().print(table)


# -- estimate ---------------------------------------------------------------------------------
@app.command("estimate")
@handle_errors
def estimate(
    memory: int = typer.Option(..., "--memory", min=128, max=10240, help="Memory in MB."),
    duration_ms: str = typer.Option(
        ..., "--duration-ms", help="Average billed duration per invocation, in ms."
    ),
    invocations: str = typer.Option(..., "--invocations", help="Invocations per month."),
    arch: str = typer.Option("x86_64", "--arch", help="Architecture: x86_64 or arm64."),
    region: str = typer.Option("us-east-1", "--region", help="AWS region."),
    ephemeral_mb: int = typer.Option(
        512, "--ephemeral-mb", min=512, max=10240, help="Ephemeral storage in MB."
    ),
    free_tier: bool = typer.Option(
        True,
        "--free-tier/--no-free-tier",
        help="Subtract the monthly free tier (1M requests, 400,000 GB-s). On by default, as in "
        "AWS's pricing examples; turn it off when other functions already use it.",
    ),
    savings_plan: str | None = typer.Option(
        None,
        "--savings-plan",
        metavar="PLAN",
        help="A Compute Savings Plan id, e.g. "
        "compute-1yr-no-upfront (see `pricing show --format json`).",
    ),
    log_gb: str | None = typer.Option(None, "--log-gb", help="Log GB ingested per month."),
    log_retention_months: int | None = typer.Option(
        None, "--log-retention-months", min=1, help="Log retention (default: never expire)."
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
    catalog: str | None = catalog_option(),
) -> None:
    """Monthly cost of an on-demand Lambda workload (free tier applied unless --no-free-tier)."""
    cat = catalog_from_option(catalog)
    result = monthly_lambda_cost(
        cat,
        region=region,
        arch=arch,
        memory_mb=memory,
        billed_ms_avg=parse_decimal(duration_ms, "--duration-ms"),
        invocations=parse_decimal(invocations, "--invocations"),
        ephemeral_mb=ephemeral_mb,
        free_tier=free_tier,
        savings_plan=savings_plan,
        log_gb=None if log_gb is None else parse_decimal(log_gb, "--log-gb"),
        log_retention_months=log_retention_months,
    )
    if fmt is OutputFormat.json:
        _print_json(
            {
                "catalog_version": cat.version,
                "currency": cat.currency,
                "region": region,
                "arch": arch,
                "memory_mb": memory,
                "free_tier": free_tier,
                "savings_plan": savings_plan,
                **result.to_json(),
            }
        )
        return
    free = "free tier applied" if free_tier else "no free tier"
    _print_estimate(
        f"Lambda {memory} MB {arch} in {region}, per month",
        result,
        f"catalog {cat.version}; {free}; exact values in --format json",
    )


# -- fargate ----------------------------------------------------------------------------------
@app.command("fargate")
@handle_errors
def fargate(
    vcpu: str = typer.Option(..., "--vcpu", help="vCPUs per task (0.25, 0.5, 1, 2, 4, 8, 16)."),
    memory_gb: str = typer.Option(..., "--memory-gb", help="Memory per task in GB."),
    hours: str = typer.Option(..., "--hours", help="Running hours per task."),
    arch: str = typer.Option("x86_64", "--arch", help="CPU architecture: x86_64 or arm64."),
    os_name: str = typer.Option("linux", "--os", help="Operating system: linux or windows."),
    tasks: int = typer.Option(1, "--tasks", min=1, help="Number of tasks."),
    runs: int = typer.Option(
        1, "--runs", min=1, help="Separate runs the hours are split into (minimum charge each)."
    ),
    ephemeral_gb: int = typer.Option(
        20, "--ephemeral-gb", min=20, max=200, help="Ephemeral storage per task in GB."
    ),
    spot: bool = typer.Option(False, "--spot", help="Fargate Spot prices."),
    savings_plan: str | None = typer.Option(
        None, "--savings-plan", metavar="PLAN", help="A Compute Savings Plan id."
    ),
    region: str = typer.Option("us-east-1", "--region", help="AWS region."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format."),
    catalog: str | None = catalog_option(),
) -> None:
    """Cost of Fargate tasks of one size for a running time (per-second billing)."""
    cat = catalog_from_option(catalog)
    result = fargate_cost(
        cat,
        region=region,
        vcpu=parse_decimal(vcpu, "--vcpu", positive=True),
        memory_gb=parse_decimal(memory_gb, "--memory-gb", positive=True),
        hours=parse_decimal(hours, "--hours"),
        arch=arch,
        os=os_name,
        tasks=tasks,
        ephemeral_gb=ephemeral_gb,
        spot=spot,
        savings_plan=savings_plan,
        runs=runs,
    )
    if fmt is OutputFormat.json:
        _print_json(
            {
                "catalog_version": cat.version,
                "currency": cat.currency,
                "region": region,
                "arch": arch,
                "os": os_name,
                "tasks": tasks,
                **result.to_json(),
            }
        )
        return
    _print_estimate(
        f"Fargate {vcpu} vCPU / {memory_gb} GB {os_name}/{arch} in {region}",
        result,
        f"catalog {cat.version}; {tasks} task(s) x {hours} h",
    )


# -- refresh ----------------------------------------------------------------------------------
@app.command("refresh")
@handle_errors
def refresh(
    regions: list[str] | None = typer.Option(
        None, "--region", help="Region to refresh (repeatable; default: the catalog's regions)."
    ),
    output: Path | None = typer.Option(
        None, "--output", help="Write the catalog here (default: standard output)."
    ),
    pricing_region: str = typer.Option(
        "us-east-1",
        "--pricing-region",
        help="Price List API endpoint region: us-east-1, eu-central-1 or ap-south-1.",
    ),
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", help="Override the Price List API endpoint (tests, proxies)."
    ),
    savingsplans_endpoint_url: str | None = typer.Option(
        None, "--savingsplans-endpoint-url", help="Override the Savings Plans API endpoint."
    ),
    catalog: str | None = typer.Option(
        None, "--catalog", metavar="FILE", help="Base catalog to update (default: packaged)."
    ),
) -> None:
    """Rebuild the catalog from the AWS Price List Query API and the Savings Plans API."""
    from pricing.refresh import refresh_catalog  # boto3 clients only when refreshing

    base = catalog_from_option(catalog)
    refreshed = refresh_catalog(
        base,
        regions=regions or None,
        pricing_region=pricing_region,
        endpoint_url=endpoint_url,
        savingsplans_endpoint_url=savingsplans_endpoint_url,
    )
    text = json.dumps(refreshed.to_json(), indent=1) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)  # only once there is a valid catalog to write
        print(f"powertune: wrote pricing catalog {refreshed.version} to {output}", file=sys.stderr)
