"""powertune.toml / [tool.powertune]: per-function settings, gate thresholds, flags on top."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from powertune.errors import InputError
from powertune.gate.compare import Thresholds, thresholds_from
from powertune.tune.config import ConfigError, find_config, load_config, parse_percent, parse_usd

TOML = """
strategy = "cost"
memory = [128, 256, 512]
invocations = 50
tolerance = "1%"

[gate]
max-cost-increase = "5%"
max_p95_increase = 12.5
max-monthly-increase = "$25.50"

[functions.orders-api]
payload-file = "events/order.json"
strategy = "slo"
max-p95-ms = 300
memory = "128..3008"

[functions.thumbnailer]
payload = { bucket = "b", key = "k.png" }
"""


def test_powertune_toml_per_function_over_defaults(tmp_path: Path) -> None:
    path = tmp_path / "powertune.toml"
    path.write_text(TOML)
    config = load_config(path)
    orders = config.for_function("orders-api")
    assert (orders.strategy, orders.memory, orders.invocations) == ("slo", "128..3008", 50)
    assert orders.max_p95_ms == 300.0 and orders.tolerance == pytest.approx(0.01)
    assert orders.payload_file == str(tmp_path / "events" / "order.json")
    thumb = config.for_function("thumbnailer")
    assert thumb.payload == '{"bucket":"b","key":"k.png"}' and thumb.memory == "128,256,512"
    assert config.for_function("other").strategy == "cost"
    assert config.gate.max_cost_increase == pytest.approx(0.05)
    assert config.gate.max_p95_increase == pytest.approx(0.125)
    assert config.gate.max_monthly_increase_usd == Decimal("25.50")


def test_flags_override_the_file(tmp_path: Path) -> None:
    path = tmp_path / "powertune.toml"
    path.write_text(TOML)
    settings = (
        load_config(path)
        .for_function("orders-api")
        .with_flags(strategy="speed", memory=None, invocations=10)
    )
    assert (settings.strategy, settings.memory, settings.invocations) == ("speed", "128..3008", 10)
    th = thresholds_from(load_config(path).gate, max_p95_increase=0.3)
    assert th.max_p95_increase == 0.3 and th.max_cost_increase == pytest.approx(0.05)
    assert th.max_monthly_increase_usd == Decimal("25.50")
    assert thresholds_from(None) == Thresholds()


def test_pyproject_tool_section_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.powertune]\nstrategy = "balanced"\nbalanced-weight = 0.3\n'
    )
    sub = tmp_path / "src" / "pkg"
    sub.mkdir(parents=True)
    assert find_config(sub) == tmp_path / "pyproject.toml"
    config = load_config(find_config(sub))
    assert config.defaults.strategy == "balanced" and config.defaults.balanced_weight == 0.3


def test_no_config_is_an_empty_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    config = load_config(None)
    assert config.path is None and config.functions == {} and config.defaults.strategy is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("strategi = 'cost'\n", "unknown setting 'strategi'"),
        ("[gate]\nmax-cost-increase = 'lots'\n", "expected a percentage"),
        ("[gate]\nmax-monthly-increase = -3\n", "non-negative"),
        ("invocations = 0\n", "positive integer"),
        ("memory = [128, 'x']\n", "list of integers"),
        ("[functions.a]\nnope = 1\n", "functions.a: unknown setting 'nope'"),
        ("strategy = \n", "not valid TOML"),
    ],
)
def test_bad_settings_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "powertune.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(path) in str(info.value) and info.value.exit_code == 2


def test_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_percent_and_dollar_parsing() -> None:
    assert parse_percent("5%") == pytest.approx(0.05)
    assert parse_percent(" 7.5 % ") == pytest.approx(0.075)
    assert parse_percent(10) == pytest.approx(0.10)
    assert parse_usd("$1,250.10") == Decimal("1250.10")
    assert parse_usd(0.1) == Decimal("0.1")
    with pytest.raises(InputError):
        parse_percent("-1%")
    with pytest.raises(InputError):
        parse_usd("NaN")
