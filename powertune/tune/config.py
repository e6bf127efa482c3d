"""``powertune.toml`` (or ``[tool.powertune]`` in pyproject.toml): settings that flags override.

    strategy = "cost"                 # defaults for every function
    memory = "128..3008"              # or [128, 256, 512]
    invocations = 50
    confirm = 30                      # adaptive: then 30 invocations at the chosen size
    [gate]
    max-cost-increase = "5%"
    max-p95-increase = "10%"
    max-monthly-increase = "25"       # USD
    [functions.orders-api]            # per function, over the defaults
    payload-file = "events/order.json"
    strategy = "slo"
    max-p95-ms = 300

Keys may use dashes or underscores. Percentages are written "5%" (a bare number also means
percent). Unknown keys are an InputError naming the file and key, so a typo is not ignored.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from powertune.errors import InputError
from powertune.validate import read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_NAMES = ("powertune.toml", ".powertune.toml")
MAX_CONFIG_BYTES = 1 << 20


class ConfigError(InputError):
    """A config file that cannot be read or holds an unknown or malformed setting (exit 2)."""


@dataclass(frozen=True, kw_only=True)
class FunctionSettings:
    """What to tune and how. None means "not set here": the flag or the built-in default wins."""

    memory: str | None = None  # as --memory takes it: "128,256,512" or "128..3008"
    payload: str | None = None  # JSON text
    payload_file: str | None = None  # resolved against the config file's directory
    payloads_file: str | None = None  # weighted payloads or JSONL
    invocations: int | None = None
    confirm: int | None = None  # invocations at the chosen size after an adaptive search
    search: str | None = None
    strategy: str | None = None
    balanced_weight: float | None = None
    max_p95_ms: float | None = None
    max_p99_ms: float | None = None
    tolerance: float | None = None
    monthly_invocations: int | None = None

    def merged(self, over: FunctionSettings) -> FunctionSettings:
        """``over``'s set values on top of these."""
        changes = {
            f.name: getattr(over, f.name)
            for f in dataclasses.fields(over)
            if getattr(over, f.name) is not None
        }
        return dataclasses.replace(self, **changes)

    def with_flags(self, **flags: Any) -> FunctionSettings:
        """Command-line flags override the file; a flag left as None does not."""
        return self.merged(FunctionSettings(**flags))


@dataclass(frozen=True, kw_only=True)
class GateSettings:
    max_cost_increase: float | None = None  # fraction: 0.05 = 5%
    max_p95_increase: float | None = None
    max_monthly_increase_usd: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class Config:
    path: Path | None = None
    defaults: FunctionSettings = field(default_factory=FunctionSettings)
    functions: dict[str, FunctionSettings] = field(default_factory=dict)
    gate: GateSettings = field(default_factory=GateSettings)

    def for_function(self, name: str) -> FunctionSettings:
        """The defaults with ``name``'s own section on top."""
        own = self.functions.get(name)
        return self.defaults.merged(own) if own else self.defaults


def parse_percent(value: str | float | int, *, what: str = "value") -> float:
    """ "5%", "5" or 5 -> 0.05 (the unit is always percent)."""
    text = str(value).strip().removesuffix("%").strip()
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"{what}: expected a percentage like 5%, got {value!r}") from None
    if not math.isfinite(number) or number < 0 or number > 1_000_000:
        raise InputError(f"{what}: expected a percentage from 0 to 1000000%, got {value!r}")
    return number / 100.0


def parse_usd(value: str | float | int, *, what: str = "value") -> Decimal:
    """ "25", "$25.50" or 25 -> Decimal (floats go through str so 0.1 stays 0.1)."""
    text = str(value).strip().removeprefix("$").replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InputError(f"{what}: expected dollars like 25 or 12.50, got {value!r}") from None
    if not amount.is_finite() or amount < 0 or amount > Decimal(10) ** 12:
        raise InputError(f"{what}: must be a non-negative amount up to 10^12, got {value!r}")
    return amount


def find_config(start: Path | None = None) -> Path | None:
    """powertune.toml, or a pyproject.toml with [tool.powertune], in ``start`` or a parent."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in CONFIG_NAMES:
            if (directory / name).is_file():
                return directory / name
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "powertune" in _read_toml(pyproject).get("tool", {}):
            return pyproject
        if (directory / ".git").exists():
            break  # do not wander out of the repository
    return None


def load_config(path: str | Path | None = None) -> Config:
    """Load ``path``, or the config found from the working directory; an empty Config if none."""
    if path is None:
        found = find_config()
        if found is None:
            return Config()
        path = found
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file not found: {path}")
    data = _read_toml(path)
    if path.name == "pyproject.toml" or ("tool" in data and "powertune" in data["tool"]):
        data = data.get("tool", {}).get("powertune", {})
        where = f"{path} [tool.powertune]"
    else:
        where = str(path)
    return _parse(data, path, where)


def _read_toml(path: Path) -> dict[str, Any]:
    # Read bounded (a FIFO, a device or a huge file is refused, not waited on or read forever).
    try:
        text = read_text(path, "config file", max_bytes=MAX_CONFIG_BYTES)
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (ValueError, RecursionError) as exc:  # 4,300+ digit integers, absurd nesting
        raise ConfigError(f"{path}: not usable TOML ({str(exc)[:120]})") from None


def _key(k: str) -> str:
    return k.replace("-", "_")


_SETTING_FIELDS = {f.name: f for f in dataclasses.fields(FunctionSettings)}


def _parse(data: dict[str, Any], path: Path, where: str) -> Config:
    defaults: dict[str, Any] = {}
    functions: dict[str, FunctionSettings] = {}
    gate = GateSettings()
    for raw_key, value in data.items():
        key = _key(raw_key)
        if key == "gate":
            gate = _parse_gate(_table(value, f"{where}: gate"), f"{where}: gate")
        elif key == "functions":
            for name, section in _table(value, f"{where}: functions").items():
                functions[name] = _parse_settings(
                    _table(section, f"{where}: functions.{name}"),
                    path,
                    f"{where}: functions.{name}",
                )
        else:
            defaults[raw_key] = value
    return Config(
        path=path,
        defaults=_parse_settings(defaults, path, where),
        functions=functions,
        gate=gate,
    )


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table")
    return value


def _parse_settings(data: dict[str, Any], path: Path, where: str) -> FunctionSettings:
    out: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = _key(raw_key)
        if key not in _SETTING_FIELDS:
            known = ", ".join(sorted(k.replace("_", "-") for k in _SETTING_FIELDS))
            raise ConfigError(
                f"{where}: unknown setting '{raw_key}' (known: {known}, gate, functions)"
            )
        out[key] = _coerce(key, value, path, f"{where}: {raw_key}")
    return FunctionSettings(**out)


def _coerce(key: str, value: Any, path: Path, where: str) -> Any:
    if key == "memory":
        if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
            return ",".join(str(v) for v in value)
        if isinstance(value, str) and value.strip():
            return value.strip()
        raise ConfigError(f'{where}: expected "128..3008", "128,256" or a list of integers')
    if key == "payload":
        import json

        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if key in ("payload_file", "payloads_file"):
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a path")
        return str((path.parent / value).resolve()) if not Path(value).is_absolute() else value
    if key in ("invocations", "monthly_invocations", "confirm"):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{where}: expected a positive integer")
        return value
    if key in ("balanced_weight", "max_p95_ms", "max_p99_ms"):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise ConfigError(f"{where}: expected a finite non-negative number")
        return float(value)
    if key == "tolerance":
        return _as(parse_percent, value, where)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string")
    return value


def _as(parse: Any, value: Any, where: str) -> Any:
    try:
        return parse(value, what=where)
    except InputError as exc:
        raise ConfigError(str(exc)) from None


def _parse_gate(data: dict[str, Any], where: str) -> GateSettings:
    out: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = _key(raw_key)
        if key in ("max_cost_increase", "max_p95_increase"):
            out[key] = _as(parse_percent, value, f"{where}.{raw_key}")
        elif key in ("max_monthly_increase", "max_monthly_increase_usd"):
            out["max_monthly_increase_usd"] = _as(parse_usd, value, f"{where}.{raw_key}")
        else:
            raise ConfigError(
                f"{where}: unknown setting '{raw_key}' (known: max-cost-increase, "
                "max-p95-increase, max-monthly-increase)"
            )
    return GateSettings(**out)
