"""The pricing catalog: load it (packaged or refreshed), validate it, and look rates up.

The catalog is data (``pricing/data/catalog.json``): every rate carries its unit, its tiers
(``from``/``to`` ranges like the Price List's beginRange/endRange), its source and as-of date, and a
``verify`` flag where the figure is a default that ``powertune pricing refresh`` should overwrite.
All figures are decimal strings and become :class:`~decimal.Decimal`; nothing here does money math.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from pricing.errors import PricingError, UnknownPricingKey
from pricing.readfile import read_bounded_text
from pricing.schemacheck import Problem, compile_schema

CATALOG_ENV = "POWERTUNE_CATALOG"
"""Environment variable naming a catalog file; used when no path is given explicitly."""

ARCHITECTURES = ("x86_64", "arm64")
LAMBDA_METERS = (
    "duration",
    "requests",
    "ephemeral_storage",
    "provisioned_concurrency",
    "provisioned_duration",
    "snapstart_cache",
    "snapstart_restore",
)
FARGATE_OSES = ("linux", "windows")
REFRESH_HINT = "run `powertune pricing refresh` and pass its file with --catalog"

# Bounds on what a catalog may hold (the packaged one is ~200 KB, at most 4 tiers a rate, rates
# under $1 a unit): anything far past them is a broken or hostile file, refused before any math.
MAX_CATALOG_BYTES = 16 << 20
MAX_CATALOG_NODES = 500_000  # JSON values, counted before the schema walks them
MAX_TIERS = 64  # the schema's maxItems for a rate's tiers
MAX_RATE_USD = Decimal(1_000_000)  # per unit; the largest real rate is a few dollars an hour
MAX_TASK_SIZES = 4096  # Fargate (vCPU, memory) pairs a catalog's ranges may expand to


@dataclass(frozen=True)
class Tier:
    """One price band: ``usd`` per unit for monthly usage in [begin, end); end None = no cap."""

    begin: Decimal
    end: Decimal | None
    usd: Decimal


@dataclass(frozen=True)
class Rate:
    """A catalog rate with its provenance. A flat rate is a single tier from 0 to no cap."""

    unit: str
    tiers: tuple[Tier, ...]
    source: str
    as_of: str
    verify: bool = False
    note: str | None = None

    @property
    def first(self) -> Decimal:
        """The first-tier price (what one more unit costs at low monthly volume)."""
        return self.tiers[0].usd

    @property
    def tiered(self) -> bool:
        return len(self.tiers) > 1

    def split(
        self, quantity: Decimal, already_used: Decimal = Decimal(0)
    ) -> list[tuple[Tier, Decimal]]:
        """Spread ``quantity`` over the tiers, starting after ``already_used`` units this month.

        Returns (tier, units in that tier) for every tier that receives units, in order.
        """
        out: list[tuple[Tier, Decimal]] = []
        start = already_used
        stop = already_used + quantity
        for tier in self.tiers:
            lo = max(start, tier.begin)
            hi = stop if tier.end is None else min(stop, tier.end)
            if hi > lo:
                out.append((tier, hi - lo))
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rate:
        tiers = tuple(
            Tier(
                Decimal(t["from"]), None if t["to"] is None else Decimal(t["to"]), Decimal(t["usd"])
            )
            for t in data["tiers"]
        )
        return cls(
            unit=data["unit"],
            tiers=tiers,
            source=data["source"],
            as_of=data["as_of"],
            verify=bool(data.get("verify", False)),
            note=data.get("note"),
        )


@dataclass(frozen=True)
class InstanceType:
    """An EC2 instance type for Lambda Managed Instances: its size and on-demand hourly rate."""

    name: str
    architecture: str
    vcpu: int
    memory_gib: Decimal
    on_demand: Rate


def _known(names: Iterable[str]) -> str:
    names = sorted(names)
    return ", ".join(names) if names else "none"


class Catalog:
    """A validated pricing catalog. Immutable; build one with :func:`load_catalog`."""

    def __init__(self, data: Mapping[str, Any], origin: str = "<memory>") -> None:
        validate_catalog(data, origin)
        self._data = json.loads(json.dumps(data))  # private deep copy: callers cannot mutate us
        self.origin = origin
        self._rates: dict[tuple[str, ...], Rate] = {}
        self._task_sizes: list[tuple[Decimal, Decimal]] | None = None

    # -- identity ---------------------------------------------------------------------------
    @property
    def version(self) -> str:
        return str(self._data["version"])

    @property
    def currency(self) -> str:
        return str(self._data["currency"])

    @property
    def sources(self) -> dict[str, dict[str, str]]:
        return dict(self._data["sources"])

    def to_json(self) -> dict[str, Any]:
        """The catalog as plain JSON data (a copy), e.g. to write a refreshed catalog."""
        return json.loads(json.dumps(self._data))

    def _rate(self, key: tuple[str, ...], raw: Mapping[str, Any]) -> Rate:
        rate = self._rates.get(key)
        if rate is None:
            rate = self._rates[key] = Rate.from_json(raw)
        return rate

    # -- Lambda -----------------------------------------------------------------------------
    def regions(self) -> list[str]:
        """Regions with Lambda prices."""
        return sorted(self._data["lambda"]["regions"])

    def lambda_region(self, region: str) -> Mapping[str, Any]:
        regions = self._data["lambda"]["regions"]
        if region not in regions:
            raise UnknownPricingKey(
                f"Lambda prices unknown in {region} (unknown region {region!r} in pricing "
                f"catalog {self.version}; known: {_known(regions)})"
            )
        return regions[region]

    def lambda_rate(self, region: str, arch: str, meter: str) -> Rate:
        """The Lambda rate for ``meter`` (one of LAMBDA_METERS) in a region and architecture."""
        check_arch(arch)
        per_arch = self.lambda_region(region)
        meters = per_arch.get(arch, {})
        if meter not in meters:
            where = [
                r for r, a in self._data["lambda"]["regions"].items() if meter in a.get(arch, {})
            ]
            raise UnknownPricingKey(
                f"Lambda {meter.replace('_', ' ')} price for {arch} unknown in {region} in "
                f"pricing catalog {self.version} (known in: {_known(where)}); {REFRESH_HINT}"
            )
        return self._rate(("lambda", region, arch, meter), meters[meter])

    @property
    def free_tier_requests(self) -> Decimal:
        return Decimal(self._data["lambda"]["free_tier"]["requests"])

    @property
    def free_tier_gb_seconds(self) -> Decimal:
        return Decimal(self._data["lambda"]["free_tier"]["gb_seconds"])

    # -- Fargate ----------------------------------------------------------------------------
    def fargate_regions(self) -> list[str]:
        return sorted(self._data["fargate"]["regions"])

    def fargate_rate(self, region: str, platform: str, meter: str) -> Rate:
        """A Fargate rate; ``platform`` is "linux/x86_64", "windows/x86_64", "spot/linux/arm64"."""
        regions = self._data["fargate"]["regions"]
        if region not in regions:
            raise UnknownPricingKey(
                f"Fargate prices unknown in {region} (unknown region {region!r} for Fargate in "
                f"pricing catalog {self.version}; known: {_known(regions)})"
            )
        entry = regions[region].get(platform)
        if entry is None or meter not in entry:
            where = [r for r, p in regions.items() if meter in p.get(platform, {})]
            raise UnknownPricingKey(
                f"Fargate {platform} {meter.replace('_', ' ')} price unknown in {region} in "
                f"pricing catalog {self.version} (known in: {_known(where)})"
            )
        return self._rate(("fargate", region, platform, meter), entry[meter])

    def fargate_ephemeral_rate(self, region: str) -> Rate:
        regions = self._data["fargate"]["regions"]
        raw = regions.get(region, {}).get("ephemeral_gb_hour")
        if raw is None:
            where = [r for r, p in regions.items() if "ephemeral_gb_hour" in p]
            raise UnknownPricingKey(
                f"Fargate ephemeral storage price unknown in {region} in pricing catalog "
                f"{self.version} (known in: {_known(where)})"
            )
        return self._rate(("fargate", region, "ephemeral"), raw)

    def fargate_minimum_seconds(self, os_name: str) -> int:
        return int(self._data["fargate"]["minimum_seconds"][os_name])

    @property
    def fargate_included_ephemeral_gb(self) -> Decimal:
        return Decimal(self._data["fargate"]["included_ephemeral_gb"])

    def fargate_task_sizes(self) -> list[tuple[Decimal, Decimal]]:
        """Every valid (vCPU, memory GB) pair, smallest first (computed once: the catalog is
        immutable, and the Fargate alternative asks for them per function)."""
        if self._task_sizes is None:
            self._task_sizes = self._build_task_sizes()
        return list(self._task_sizes)

    def _build_task_sizes(self) -> list[tuple[Decimal, Decimal]]:
        sizes: list[tuple[Decimal, Decimal]] = []
        for entry in self._data["fargate"]["task_sizes"]:
            vcpu = Decimal(entry["vcpu"])
            mem = entry["memory_gb"]
            if isinstance(mem, list):
                sizes.extend((vcpu, Decimal(m)) for m in mem)
            else:
                value, stop, step = Decimal(mem["min"]), Decimal(mem["max"]), Decimal(mem["step"])
                while value <= stop:
                    sizes.append((vcpu, value))
                    value += step
        return sorted(sizes)

    # -- CloudWatch Logs --------------------------------------------------------------------
    def logs_rate(self, region: str, meter: str) -> Rate:
        regions = self._data["logs"]["regions"]
        if region not in regions:
            raise UnknownPricingKey(
                f"CloudWatch Logs prices unknown in {region} (unknown region {region!r} for "
                f"CloudWatch Logs in pricing catalog {self.version}; known: {_known(regions)})"
            )
        if meter not in regions[region]:
            raise UnknownPricingKey(
                f"CloudWatch Logs {meter.replace('_', ' ')} price unknown in {region} in pricing "
                f"catalog {self.version}; known: {_known(regions[region])}"
            )
        return self._rate(("logs", region, meter), regions[region][meter])

    @property
    def logs_free_tier_gb(self) -> Decimal:
        return Decimal(self._data["logs"]["free_tier_gb"])

    # -- Lambda Managed Instances -----------------------------------------------------------
    def managed_instance_regions(self) -> list[str]:
        return sorted(self._data.get("managed_instances", {}).get("regions", {}))

    def managed_instance_types(self, region: str) -> list[str]:
        return sorted(self._data.get("managed_instances", {}).get("regions", {}).get(region, {}))

    def managed_instance(self, region: str, instance_type: str) -> InstanceType:
        """An EC2 instance type Lambda Managed Instances can run on, with its on-demand rate."""
        regions = self._data.get("managed_instances", {}).get("regions", {})
        entry = regions.get(region, {}).get(instance_type)
        if entry is None:
            where = [r for r, types in regions.items() if instance_type in types]
            raise UnknownPricingKey(
                f"EC2 price for {instance_type} unknown in {region} in pricing catalog "
                f"{self.version} (known in: {_known(where)}; types known in {region}: "
                f"{_known(regions.get(region, {}))}); pass its hourly rate with --ec2-hourly-usd"
            )
        return InstanceType(
            name=instance_type,
            architecture=str(entry["architecture"]),
            vcpu=int(entry["vcpu"]),
            memory_gib=Decimal(entry["memory_gib"]),
            on_demand=self._rate(("mi", region, instance_type), entry["ec2_on_demand"]),
        )

    @property
    def managed_instance_fee_pct(self) -> Decimal:
        """The management fee, a percentage of the EC2 on-demand price."""
        section = self._data.get("managed_instances")
        if section is None:
            raise UnknownPricingKey(
                f"no Lambda Managed Instances prices in pricing catalog {self.version}"
            )
        return Decimal(section["management_fee_pct"])

    def managed_instance_requests_rate(self) -> Rate:
        section = self._data.get("managed_instances")
        if section is None:
            raise UnknownPricingKey(
                f"no Lambda Managed Instances prices in pricing catalog {self.version}"
            )
        return self._rate(("mi", "requests"), section["requests"])

    # -- Savings Plans ----------------------------------------------------------------------
    def savings_plans(self) -> list[str]:
        return sorted(self._data["savings_plans"])

    def savings_plan(self, plan: str) -> Mapping[str, Any]:
        plans = self._data["savings_plans"]
        if plan not in plans:
            raise UnknownPricingKey(f"unknown savings plan {plan!r}; known: {_known(plans)}")
        return plans[plan]

    def savings_plan_lambda_rate(self, plan: str, region: str, arch: str) -> Rate:
        check_arch(arch)
        entry = self.savings_plan(plan)["lambda"]
        raw = entry.get(region, {}).get(arch, {}).get("duration")
        if raw is None:
            raise UnknownPricingKey(
                f"Lambda rate for savings plan {plan} ({arch}) unknown in {region}; known regions: "
                f"{_known(r for r, a in entry.items() if arch in a)}"
            )
        return self._rate(("sp", plan, "lambda", region, arch), raw)

    def savings_plan_fargate_rate(self, plan: str, region: str, platform: str, meter: str) -> Rate:
        entry = self.savings_plan(plan)["fargate"]
        raw = entry.get(region, {}).get(platform, {}).get(meter)
        if raw is None:
            known = [r for r, p in entry.items() if platform in p]
            raise UnknownPricingKey(
                f"Fargate {platform} rate for savings plan {plan} unknown in {region} in pricing "
                f"catalog {self.version} (known regions: {_known(known)}); {REFRESH_HINT}"
            )
        return self._rate(("sp", plan, "fargate", region, platform, meter), raw)


def check_arch(arch: str) -> None:
    if arch not in ARCHITECTURES:
        raise UnknownPricingKey(f"unknown architecture {arch!r}; known: {', '.join(ARCHITECTURES)}")


# -- validation -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    text = resources.files("pricing").joinpath("data/catalog.schema.json").read_text("utf-8")
    return dict(json.loads(text))


@functools.cache
def _quick_check() -> Callable[[Any], Problem | None] | None:
    return compile_schema(_schema())


def _json_path(parts: Iterable[Any]) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _iter_rates(data: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Every rate object in the catalog with its JSON path (rates are the dicts with "tiers")."""

    def walk(node: Any, path: list[Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
        if isinstance(node, Mapping):
            if "tiers" in node and "unit" in node:
                yield _json_path(path), node
                return
            for key, value in node.items():
                yield from walk(value, [*path, key])
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, [*path, i])

    yield from walk(data, [])


def _precheck(data: Mapping[str, Any], origin: str) -> None:
    """Refuse a catalog too large to validate quickly (the schema walks every value), before
    the schema does: a count of JSON values and of each rate's tiers, in one bounded walk."""
    stack: list[tuple[Any, str]] = [(data, "$")]
    seen = 0
    while stack:
        node, path = stack.pop()
        seen += 1
        if seen > MAX_CATALOG_NODES:
            raise PricingError(
                f"invalid pricing catalog {origin}: more than {MAX_CATALOG_NODES} JSON values"
            )
        if isinstance(node, Mapping):
            tiers = node.get("tiers")
            if isinstance(tiers, list) and len(tiers) > MAX_TIERS:
                raise PricingError(
                    f"invalid pricing catalog {origin}: {path}.tiers: {len(tiers)} tiers, more "
                    f"than {MAX_TIERS}"
                )
            stack.extend((v, f"{path}.{k}") for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))


def _check_task_sizes(data: Mapping[str, Any], origin: str) -> None:
    """Each memory range steps forward, and all of them expand to a bounded number of sizes."""
    count = 0
    for i, entry in enumerate(data["fargate"]["task_sizes"]):
        mem = entry["memory_gb"]
        if isinstance(mem, list):
            count += len(mem)
            continue
        low, high, step = Decimal(mem["min"]), Decimal(mem["max"]), Decimal(mem["step"])
        where = f"invalid pricing catalog {origin}: $.fargate.task_sizes[{i}].memory_gb"
        if step <= 0:
            raise PricingError(f"{where}.step: must be above 0")
        if high < low:
            raise PricingError(f"{where}.max: below its min")
        count += int((high - low) / step) + 1
        if count > MAX_TASK_SIZES:
            raise PricingError(f"{where}: more than {MAX_TASK_SIZES} task sizes in all")


def validate_catalog(data: Mapping[str, Any], origin: str = "<memory>") -> None:
    """Raise PricingError naming the JSON path of the first problem; return None when valid."""
    _precheck(data, origin)
    quick = _quick_check()  # pricing.schemacheck: jsonschema only to word a refusal
    problem = quick(data) if quick is not None else ("$", "")
    if problem is not None:
        import jsonschema

        validator = jsonschema.Draft202012Validator(_schema())
        error = jsonschema.exceptions.best_match(validator.iter_errors(data))
        if error is not None:
            raise PricingError(
                f"invalid pricing catalog {origin}: {_json_path(error.absolute_path)}: "
                f"{error.message}"
            )
        if quick is not None:  # (never: tests/test_schemacheck.py)
            raise PricingError(f"invalid pricing catalog {origin}: {problem[0]}: {problem[1]}")
    sources = data["sources"]
    for path, rate in _iter_rates(data):
        if rate["source"] not in sources:
            raise PricingError(
                f"invalid pricing catalog {origin}: {path}.source: unknown source "
                f"{rate['source']!r} (declare it under $.sources)"
            )
        tiers = rate["tiers"]
        expected = Decimal(0)
        for i, tier in enumerate(tiers):
            if Decimal(tier["usd"]) > MAX_RATE_USD:
                raise PricingError(
                    f"invalid pricing catalog {origin}: {path}.tiers[{i}].usd: {tier['usd']} is "
                    f"above {MAX_RATE_USD} USD per unit"
                )
            begin = Decimal(tier["from"])
            end = None if tier["to"] is None else Decimal(tier["to"])
            last = i == len(tiers) - 1
            if begin != expected:
                raise PricingError(
                    f"invalid pricing catalog {origin}: {path}.tiers[{i}].from: expected "
                    f"{expected}, got {begin} (tiers must be contiguous from 0)"
                )
            if (end is None) != last or (end is not None and end <= begin):
                raise PricingError(
                    f"invalid pricing catalog {origin}: {path}.tiers[{i}].to: only the last tier "
                    "is open-ended and every range must be non-empty"
                )
            expected = end if end is not None else expected
    _check_task_sizes(data, origin)


# -- loading ----------------------------------------------------------------------------------
def default_catalog_path() -> Path:
    """The catalog shipped inside the package."""
    return Path(str(resources.files("pricing").joinpath("data/catalog.json")))


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, _mtime_ns: int, _size: int) -> Catalog:
    text = read_bounded_text(path, "pricing catalog", max_bytes=MAX_CATALOG_BYTES)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PricingError(
            f"pricing catalog {path} is not valid JSON: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno}"
        ) from None
    except (ValueError, RecursionError):  # huge integers, absurd nesting
        raise PricingError(f"pricing catalog {path} is not usable JSON") from None
    if not isinstance(data, dict):
        raise PricingError(f"pricing catalog {path} must hold a JSON object")
    return Catalog(data, origin=path)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate a catalog: ``path``, else $POWERTUNE_CATALOG, else the packaged default.

    Catalogs are immutable and cached per file (keyed by modification time), so every module may
    call this freely. A missing file raises FileNotFoundError (the CLI maps it to exit code 2);
    an unreadable or invalid one raises PricingError.
    """
    if path is None or str(path) == "":
        env = os.environ.get(CATALOG_ENV)
        path = Path(env) if env else default_catalog_path()
    resolved = Path(path).expanduser()
    stat = resolved.stat()  # FileNotFoundError / IsADirectoryError surface as themselves
    if resolved.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(resolved))
    return _load_cached(str(resolved.resolve()), stat.st_mtime_ns, stat.st_size)
