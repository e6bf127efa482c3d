"""Which rates the catalog knows in which region: the region coverage table.

Every rate kind the cost math uses, per region: known (with its source and as-of date, and
whether it is marked verify) or unknown, with the sentence the comparison prints ("... unknown
in REGION"). Nothing here prices anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from pricing.catalog import ARCHITECTURES, LAMBDA_METERS, Catalog, Rate
from pricing.errors import UnknownPricingKey

LOG_METERS = (
    "vended_standard_ingest",
    "vended_infrequent_access_ingest",
    "standard_ingest",
    "infrequent_access_ingest",
    "storage_gb_month",
    "insights_gb_scanned",
)
FARGATE_PLATFORMS = ("linux/x86_64", "linux/arm64", "windows/x86_64", "spot/linux/x86_64")


@dataclass(frozen=True)
class Cell:
    """One rate kind in one region: the rate, or why it is unknown."""

    kind: str
    region: str
    rate: Rate | None
    reason: str | None = None

    @property
    def known(self) -> bool:
        return self.rate is not None

    def label(self) -> str:
        if self.rate is None:
            return "unknown"
        return "verify" if self.rate.verify else "known"


def _kinds(cat: Catalog) -> list[tuple[str, Callable[[str], Rate]]]:
    kinds: list[tuple[str, Callable[[str], Rate]]] = []
    for arch in ARCHITECTURES:
        for meter in LAMBDA_METERS:
            kinds.append((f"lambda {arch} {meter}", partial(_lambda, cat, arch, meter)))
    for meter in LOG_METERS:
        kinds.append((f"logs {meter}", partial(_logs, cat, meter)))
    for platform in FARGATE_PLATFORMS:
        kinds.append((f"fargate {platform}", partial(_fargate, cat, platform)))
    for plan in cat.savings_plans():
        for arch in ARCHITECTURES:
            kinds.append((f"savings plan {plan} {arch}", partial(_plan, cat, plan, arch)))
    return kinds


def _lambda(cat: Catalog, arch: str, meter: str, region: str) -> Rate:
    return cat.lambda_rate(region, arch, meter)


def _logs(cat: Catalog, meter: str, region: str) -> Rate:
    return cat.logs_rate(region, meter)


def _fargate(cat: Catalog, platform: str, region: str) -> Rate:
    return cat.fargate_rate(region, platform, "vcpu_hour")


def _plan(cat: Catalog, plan: str, arch: str, region: str) -> Rate:
    return cat.savings_plan_lambda_rate(plan, region, arch)


def _managed_instances(cat: Catalog, region: str) -> Cell:
    types = cat.managed_instance_types(region)
    if not types:
        return Cell(
            "managed instances EC2",
            region,
            None,
            f"Lambda Managed Instances EC2 prices unknown in {region}",
        )
    return Cell("managed instances EC2", region, cat.managed_instance(region, types[0]).on_demand)


def all_regions(cat: Catalog) -> list[str]:
    """Every region any part of the catalog prices."""
    raw = cat.to_json()
    regions = set(cat.regions()) | set(cat.fargate_regions()) | set(raw["logs"]["regions"])
    regions |= set(cat.managed_instance_regions())
    return sorted(regions)


def coverage(cat: Catalog, regions: list[str] | None = None) -> list[Cell]:
    """A cell per (rate kind, region), regions in order, kinds in catalog order."""
    cells: list[Cell] = []
    for region in regions if regions is not None else all_regions(cat):
        for kind, lookup in _kinds(cat):
            try:
                cells.append(Cell(kind, region, lookup(region)))
            except UnknownPricingKey as exc:
                cells.append(Cell(kind, region, None, str(exc)))
        cells.append(_managed_instances(cat, region))
    return cells


def coverage_table(cells: list[Cell]) -> tuple[list[str], list[str], dict[tuple[str, str], str]]:
    """(kinds, regions, {(kind, region): "known" | "verify" | "unknown"}) for display."""
    kinds = list(dict.fromkeys(c.kind for c in cells))
    regions = list(dict.fromkeys(c.region for c in cells))
    return kinds, regions, {(c.kind, c.region): c.label() for c in cells}


def coverage_markdown(cells: list[Cell]) -> str:
    """The coverage table as markdown: a row per rate kind, a column per region."""
    kinds, regions, labels = coverage_table(cells)
    mark = {"known": "yes", "verify": "yes*", "unknown": "-"}
    lines = [
        "| rate kind | " + " | ".join(regions) + " |",
        "|---|" + "---|" * len(regions),
    ]
    for kind in kinds:
        lines.append(f"| {kind} | " + " | ".join(mark[labels[(kind, r)]] for r in regions) + " |")
    known = sum(1 for c in cells if c.known)
    lines.append("")
    lines.append(
        f"yes = known, yes* = known but marked verify, - = unknown; {known} of {len(cells)} "
        "(kind, region) cells known"
    )
    return "\n".join(lines) + "\n"
