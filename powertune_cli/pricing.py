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
from powertune.files import check_output_path, write_atomic
from powertune_cli.common import handle_errors, output_option, writes_output
from pricing.catalog import ARCHITECTURES, LAMBDA_METERS, Catalog, load_catalog
from pricing.cost import (
    CENT,
    Estimate,
    fargate_cost,
    managed_instances_cost,
    money_str,
    monthly_lambda_cost,
    provisioned_month_cost,
    snapstart_billing,
    snapstart_cost,
)
from pricing.coverage import Cell, all_regions, coverage, coverage_markdown
from pricing.errors import PricingInputError

app = typer.Typer(
    help="The pricing catalog and cost estimates (Lambda, Fargate, logs, Managed Instances)."
)

CATALOG_HELP = (
    "A pricing catalog file (from `powertune pricing refresh`); default: the packaged one."
)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


class CoverageFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


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
def _unknown_reason(cat: Catalog, region: str, arch: str, meter: str) -> str | None:
    try:
        cat.lambda_rate(region, arch, meter)
    except PricingInputError as exc:
        return str(exc)
    return None


def _rate_json(cat: Catalog, region: str, arch: str, meter: str) -> dict[str, Any] | None:
    try:
        rate = cat.lambda_rate(region, arch, meter)
    except PricingInputError:
        return None  # unknown is null, never 0; the reason goes under "unknown"
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


def _print_coverage(cat: Catalog, regions: list[str], fmt: CoverageFormat) -> None:
    cells = coverage(cat, regions)
    if fmt is CoverageFormat.markdown:
        sys.stdout.write(coverage_markdown(cells))
        return
    if fmt is CoverageFormat.json:
        _print_json(
            {
                "catalog_version": cat.version,
                "cells": [
                    {
                        "region": c.region,
                        "kind": c.kind,
                        "status": c.label(),
                        "source": None if c.rate is None else c.rate.source,
                        "as_of": None if c.rate is None else c.rate.as_of,
                        "reason": c.reason,
                    }
                    for c in cells
                ],
            }
        )
        return
    groups = ["lambda x86_64", "lambda arm64", "logs", "fargate", "savings plan", "managed inst"]
    table = Table(
        title=f"Region coverage, catalog {cat.version} (known/kinds; * = some marked verify)"
    )
    table.add_column("region")
    for group in groups:
        table.add_column(group, justify="right")
    for r in regions:
        row = [r]
        for group in groups:
            mine = [c for c in cells if c.region == r and _group(c) == group]
            known = sum(1 for c in mine if c.known)
            star = "*" if any(c.rate is not None and c.rate.verify for c in mine) else ""
            row.append(f"{known}/{len(mine)}{star}")
        table.add_row(*row)
    console = Console()
    console.print(table)
    console.print('unknown means the comparison says so ("unknown in REGION"), never $0')


def _group(cell: Cell) -> str:
    for prefix in ("lambda x86_64", "lambda arm64", "logs", "fargate", "savings plan"):
        if cell.kind.startswith(prefix):
            return prefix
    return "managed inst"


@app.command("show", epilog="Example: powertune pricing show --region eu-west-1")
@handle_errors
@writes_output
def show(
    region: str | None = typer.Option(None, "--region", help="One region (default: all)."),
    fmt: CoverageFormat = typer.Option(
        CoverageFormat.table, "--format", "-f", help="table or json (markdown: --coverage only)."
    ),
    output: str | None = output_option(),
    show_coverage: bool = typer.Option(
        False, "--coverage", help="Which rate kinds are known in which region."
    ),
    catalog: str | None = catalog_option(),
) -> None:
    """Show prices per region: Lambda by architecture (table and JSON), plus Fargate and
    CloudWatch Logs rates (JSON), each with its source, as-of date and verify flag; with
    --coverage, which rate kinds are known in which region."""
    cat = catalog_from_option(catalog)
    if show_coverage:
        known = all_regions(cat)
        if region is not None and region not in known:
            raise InputError(
                f"no prices at all for region {region!r} in pricing catalog {cat.version}; "
                f"known: {', '.join(known)}"
            )
        _print_coverage(cat, [region] if region is not None else known, fmt)
        return
    if fmt is CoverageFormat.markdown:
        raise InputError("--format markdown needs --coverage")
    regions = cat.regions()
    if region is not None:
        if region not in all_regions(cat):
            cat.lambda_region(region)  # raises UnknownPricingKey naming the known regions
        regions = [region]  # a region with logs or Fargate rates only: Lambda "unknown in" it
    if fmt is CoverageFormat.json:
        raw = cat.to_json()
        wanted = (
            set(regions)
            if region is not None
            else set(cat.fargate_regions())
            | set(raw["logs"]["regions"])
            | set(cat.managed_instance_regions())
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
                "managed_instances": {
                    r: v
                    for r, v in raw.get("managed_instances", {}).get("regions", {}).items()
                    if r in wanted
                },
                "unknown": {
                    r: {
                        a: {
                            m: why
                            for m in LAMBDA_METERS
                            if (why := _unknown_reason(cat, r, a, m)) is not None
                        }
                        for a in ARCHITECTURES
                    }
                    for r in regions
                },
                "sources": cat.sources,
            }
        )
        return
    table = Table(title=f"Lambda prices, catalog {cat.version} (USD; * = verify)")
    for column in ("region", "arch", "per GB-s (tier 1)", "per 1M requests", "PC per GB-s"):
        table.add_column(column, justify="left" if column in ("region", "arch") else "right")
    for r in regions:
        for a in ARCHITECTURES:
            cells = []
            for meter, per in (
                ("duration", 1),
                ("requests", 1_000_000),
                ("provisioned_concurrency", 1),
            ):
                rate = _rate_json(cat, r, a, meter)
                cells.append(
                    f"unknown in {r}"
                    if rate is None
                    else money_str(Decimal(rate["tiers"][0]["usd"]) * per)
                    + ("*" if rate["verify"] else "")
                )
            table.add_row(r, a, *cells)
    Console().print(table)
    if region is not None and region not in cat.regions():
        Console().print(
            f"Lambda prices are unknown in {region}; its Fargate and CloudWatch Logs rates: "
            "--format json"
        )


# -- estimate ---------------------------------------------------------------------------------
@app.command(
    "estimate",
    epilog="Example: powertune pricing estimate --memory 1024 --duration-ms 120 "
    "--invocations 5000000",
)
@handle_errors
@writes_output
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
        False,
        "--free-tier/--no-free-tier",
        help="Subtract the monthly free tier (1M requests, 400,000 GB-s). Off by default, as "
        "in `tune` (most accounts use it up elsewhere); on for AWS's pricing examples.",
    ),
    savings_plan: str | None = typer.Option(
        None,
        "--savings-plan",
        metavar="PLAN",
        help="A Compute Savings Plan id, e.g. "
        "compute-1yr-no-upfront (see `pricing show --format json`).",
    ),
    log_gb: str | None = typer.Option(
        None, "--log-gb", help="Log GB ingested per month.", rich_help_panel="Logs"
    ),
    log_retention_months: int | None = typer.Option(
        None,
        "--log-retention-months",
        min=1,
        help="Log retention (default: never expire).",
        rich_help_panel="Logs",
    ),
    provisioned_concurrency: int | None = typer.Option(
        None,
        "--provisioned-concurrency",
        min=1,
        help="Provisioned concurrency configured.",
        rich_help_panel="Provisioned concurrency",
    ),
    provisioned_hours: str | None = typer.Option(
        None,
        "--provisioned-hours",
        help="Hours a month it is configured (5-minute steps).",
        rich_help_panel="Provisioned concurrency",
    ),
    provisioned_invocations: str | None = typer.Option(
        None,
        "--provisioned-invocations",
        help="Of --invocations, those served by provisioned concurrency (default: all).",
        rich_help_panel="Provisioned concurrency",
    ),
    provisioned_duration_ms: str | None = typer.Option(
        None,
        "--provisioned-duration-ms",
        help="Average billed ms of those (default: --duration-ms).",
        rich_help_panel="Provisioned concurrency",
    ),
    snapstart: bool = typer.Option(
        False, "--snapstart", help="Add SnapStart cache + restores.", rich_help_panel="SnapStart"
    ),
    snapstart_active_hours: str | None = typer.Option(
        None,
        "--snapstart-active-hours",
        help="Hours the SnapStart version is active this month (3-hour minimum).",
        rich_help_panel="SnapStart",
    ),
    restore_rate: str | None = typer.Option(
        None,
        "--restore-rate",
        help="Share of invocations restored from the snapshot (0-1).",
        rich_help_panel="SnapStart",
    ),
    runtime: str | None = typer.Option(
        None,
        "--runtime",
        help="Runtime id (python3.12, java21, dotnet8): Java managed runtimes pay no SnapStart.",
        rich_help_panel="SnapStart",
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.table, "--format", "-f", help="Output format: table or json."
    ),
    output: str | None = output_option(),
    catalog: str | None = catalog_option(),
) -> None:
    """Monthly cost of a Lambda workload: on demand, or with provisioned concurrency
    (--provisioned-*), plus SnapStart (--snapstart). No free tier unless --free-tier (the
    same default as tune)."""
    cat = catalog_from_option(catalog)
    billed = parse_decimal(duration_ms, "--duration-ms")
    count = parse_decimal(invocations, "--invocations")
    _check_combination(
        provisioned=(provisioned_concurrency, provisioned_hours),
        pc_flags=(provisioned_hours, provisioned_invocations, provisioned_duration_ms),
        snapstart=snapstart,
        snap_flags=(snapstart_active_hours, restore_rate),
        log_gb=log_gb,
    )
    where: dict[str, Any] = {"region": region, "arch": arch, "memory_mb": memory}
    if provisioned_concurrency is not None:
        assert provisioned_hours is not None
        result = provisioned_month_cost(
            cat,
            **where,
            concurrency=provisioned_concurrency,
            hours=parse_decimal(provisioned_hours, "--provisioned-hours"),
            invocations=count,
            billed_ms_avg=billed,
            provisioned_invocations=_decimal_or_none(
                provisioned_invocations, "--provisioned-invocations"
            ),
            provisioned_billed_ms=_decimal_or_none(
                provisioned_duration_ms, "--provisioned-duration-ms"
            ),
            free_tier=free_tier,
            ephemeral_mb=ephemeral_mb,
            savings_plan=savings_plan,
        )
    else:
        result = monthly_lambda_cost(
            cat,
            **where,
            billed_ms_avg=billed,
            invocations=count,
            ephemeral_mb=ephemeral_mb,
            free_tier=free_tier,
            savings_plan=savings_plan,
            log_gb=_decimal_or_none(log_gb, "--log-gb"),
            log_retention_months=log_retention_months,
        )
    if snapstart:
        result = _with_snapstart(
            cat, result, where, count, runtime, snapstart_active_hours, restore_rate
        )
    flags = {"free_tier": free_tier, "savings_plan": savings_plan}
    extras = {"provisioned_concurrency": provisioned_concurrency, "snapstart": snapstart}
    _show_estimate(cat, result, fmt, {**where, **flags, **extras})


def _show_estimate(cat: Catalog, result: Estimate, fmt: OutputFormat, what: dict[str, Any]) -> None:
    if fmt is OutputFormat.json:
        head = {k: what[k] for k in ("region", "arch", "memory_mb")}
        rest = {k: v for k, v in what.items() if k not in head}
        _print_json(
            {"catalog_version": cat.version, "currency": cat.currency, **head, **rest}
            | result.to_json()
        )
        return
    free = "free tier applied" if what["free_tier"] else "no free tier"
    _print_estimate(
        f"Lambda {what['memory_mb']} MB {what['arch']} in {what['region']}, per month",
        result,
        f"catalog {cat.version}; {free}; exact values in --format json",
    )


def _decimal_or_none(text: str | None, flag: str) -> Decimal | None:
    return None if text is None else parse_decimal(text, flag)


def _check_combination(
    *,
    provisioned: tuple[int | None, str | None],
    pc_flags: tuple[str | None, ...],
    snapstart: bool,
    snap_flags: tuple[str | None, ...],
    log_gb: str | None,
) -> None:
    """The flag combinations `pricing estimate` cannot price, refused before any math."""
    concurrency, hours = provisioned
    if concurrency is None and any(f is not None for f in pc_flags):
        raise InputError(
            "--provisioned-hours/-invocations/-duration-ms need --provisioned-concurrency N"
        )
    if not snapstart and any(f is not None for f in snap_flags):
        raise InputError("--snapstart-active-hours and --restore-rate need --snapstart")
    if concurrency is not None:
        if hours is None:
            raise InputError("--provisioned-concurrency needs --provisioned-hours H")
        if log_gb is not None:
            raise InputError("--log-gb is not priced together with --provisioned-concurrency")
    if snapstart and any(f is None for f in snap_flags):
        raise InputError("--snapstart needs --snapstart-active-hours H and --restore-rate F")


def _with_snapstart(
    cat: Catalog,
    result: Estimate,
    where: dict[str, Any],
    count: Decimal,
    runtime: str | None,
    active_hours: str | None,
    restore_rate: str | None,
) -> Estimate:
    """``result`` plus SnapStart's cache and restores (none on Java managed runtimes)."""
    assert active_hours is not None and restore_rate is not None
    rate = parse_decimal(restore_rate, "--restore-rate")
    if rate > 1:
        raise InputError(f"--restore-rate is a share of invocations (0-1), got {restore_rate}")
    billing = snapstart_billing(runtime)
    if billing == "unsupported":
        raise InputError(f"SnapStart does not support runtime {runtime!r}")
    if billing == "free":
        note = f"SnapStart cache and restores are not charged on {runtime}"
        return Estimate.of(result.items, (*result.notes, note))
    return result + snapstart_cost(
        cat,
        **where,
        active_hours=parse_decimal(active_hours, "--snapstart-active-hours"),
        restores=count * rate,
    )


# -- managed instances ------------------------------------------------------------------------
@app.command(
    "managed-instances",
    epilog="Example: powertune pricing managed-instances --instance-type m7g.xlarge "
    "--instance-hours 730 --requests 10000000",
)
@handle_errors
@writes_output
def managed_instances(
    instance_type: str = typer.Option(..., "--instance-type", help="EC2 type, e.g. m7g.xlarge."),
    instance_hours: str = typer.Option(
        ..., "--instance-hours", help="Instance-hours a month (all instances together)."
    ),
    requests: str = typer.Option(..., "--requests", help="Requests a month."),
    discount_pct: str | None = typer.Option(
        None,
        "--discount-pct",
        help="Savings Plan / Reserved Instance discount on the EC2 price, in percent.",
    ),
    discounted_hourly_usd: str | None = typer.Option(
        None,
        "--discounted-hourly-usd",
        help="The hourly rate you pay under a plan (instead of --discount-pct).",
    ),
    ec2_hourly_usd: str | None = typer.Option(
        None,
        "--ec2-hourly-usd",
        help="EC2 on-demand hourly rate, for a type or region the catalog lacks.",
    ),
    region: str = typer.Option("us-east-1", "--region", help="AWS region."),
    fmt: OutputFormat = typer.Option(
        OutputFormat.table, "--format", "-f", help="Output format: table or json."
    ),
    output: str | None = output_option(),
    catalog: str | None = catalog_option(),
) -> None:
    """Monthly cost of Lambda Managed Instances: requests + EC2 instances + the management
    fee (a percentage of the EC2 on-demand price); no duration charge."""
    cat = catalog_from_option(catalog)
    result = managed_instances_cost(
        cat,
        region=region,
        instance_type=instance_type,
        instance_hours=parse_decimal(instance_hours, "--instance-hours"),
        requests=parse_decimal(requests, "--requests"),
        discount_pct=None
        if discount_pct is None
        else parse_decimal(discount_pct, "--discount-pct"),
        discounted_hourly_usd=None
        if discounted_hourly_usd is None
        else parse_decimal(discounted_hourly_usd, "--discounted-hourly-usd"),
        on_demand_hourly_usd=None
        if ec2_hourly_usd is None
        else parse_decimal(ec2_hourly_usd, "--ec2-hourly-usd", positive=True),
    )
    if fmt is OutputFormat.json:
        _print_json(
            {
                "catalog_version": cat.version,
                "currency": cat.currency,
                "region": region,
                "instance_type": instance_type,
                **result.to_json(),
            }
        )
        return
    _print_estimate(
        f"Lambda Managed Instances on {instance_type} in {region}, per month",
        result,
        f"catalog {cat.version}; no duration charge; exact values in --format json",
    )


# -- fargate ----------------------------------------------------------------------------------
@app.command(
    "fargate",
    epilog="Example: powertune pricing fargate --vcpu 1 --memory-gb 2 --hours 730",
)
@handle_errors
@writes_output
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
    fmt: OutputFormat = typer.Option(
        OutputFormat.table, "--format", "-f", help="Output format: table or json."
    ),
    output: str | None = output_option(),
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
@app.command(
    "refresh", epilog="Example: powertune pricing refresh --region eu-west-1 --output catalog.json"
)
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

    if output is not None:
        check_output_path(output)  # before the API calls, not after them
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
