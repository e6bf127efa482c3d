"""The packaged catalog: coverage, provenance, validation on load, and unknown-key errors."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pricing.catalog import (
    CATALOG_ENV,
    LAMBDA_METERS,
    Catalog,
    default_catalog_path,
    load_catalog,
)
from pricing.errors import PricingError, UnknownPricingKey

D = Decimal
REQUIRED_REGIONS = [
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-south-1",
    "ap-northeast-1",
    "sa-east-1",
    # regions whose Lambda rates differ from the base ones
    "af-south-1",
    "ap-east-1",
    "eu-south-1",
    "me-south-1",
    "me-central-1",
]

# The calculator data (with Price List rate codes) prices requests above $0.20 per 1M here;
# aws-billing-facts.md says 0.20, so these carry verify and a note.
HIGHER_REQUEST_PRICE = {
    "af-south-1": D("0.00000027"),
    "ap-east-1": D("0.00000028"),
    "eu-south-1": D("0.00000023"),
    "me-south-1": D("0.00000025"),
}


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


@pytest.fixture
def raw() -> dict[str, Any]:
    return dict(json.loads(default_catalog_path().read_text("utf-8")))


def write(tmp_path: Path, data: Any, name: str = "catalog.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_packaged_catalog_covers_the_required_regions_and_both_architectures(cat: Catalog) -> None:
    assert cat.version == "2026-09-01"
    assert cat.currency == "USD"
    assert set(REQUIRED_REGIONS) <= set(cat.regions())
    for region in REQUIRED_REGIONS:
        for arch in ("x86_64", "arm64"):
            assert cat.lambda_rate(region, arch, "duration").first > 0
            expected = HIGHER_REQUEST_PRICE.get(region, D("0.0000002"))
            assert cat.lambda_rate(region, arch, "requests").first == expected


def test_us_east_1_lambda_rates_and_tiers_match_the_pricing_page(cat: Catalog) -> None:
    x86 = cat.lambda_rate("us-east-1", "x86_64", "duration")
    arm = cat.lambda_rate("us-east-1", "arm64", "duration")
    assert [(t.begin, t.end, t.usd) for t in x86.tiers] == [
        (D(0), D(6_000_000_000), D("0.0000166667")),
        (D(6_000_000_000), D(15_000_000_000), D("0.0000150000")),
        (D(15_000_000_000), None, D("0.0000133334")),
    ]
    assert [t.end for t in arm.tiers] == [D(7_500_000_000), D(18_750_000_000), None]
    assert arm.first == D("0.0000133334")
    for meter in LAMBDA_METERS:
        assert cat.lambda_rate("us-east-1", "x86_64", meter).verify is False
    assert cat.lambda_rate("us-east-1", "x86_64", "provisioned_concurrency").first == D(
        "0.0000041667"
    )
    assert cat.lambda_rate("eu-central-1", "x86_64", "provisioned_concurrency").first == D(
        "0.0000050147"
    )
    assert cat.lambda_rate("af-south-1", "arm64", "duration").first == D("0.00001768")
    assert cat.free_tier_requests == D(1_000_000)
    assert cat.free_tier_gb_seconds == D(400_000)


def test_figures_the_reference_calls_verify_are_marked_verify(cat: Catalog) -> None:
    assert cat.lambda_rate("sa-east-1", "x86_64", "duration").verify is True
    assert cat.fargate_rate("us-east-1", "windows/x86_64", "vcpu_hour").verify is True
    assert cat.fargate_rate("eu-west-1", "spot/linux/x86_64", "vcpu_hour").verify is True
    assert cat.fargate_rate("us-east-1", "linux/x86_64", "vcpu_hour").verify is False
    assert "partial" not in " ".join(cat.savings_plans())  # unknown rates are absent, not zero


def test_every_rate_names_a_declared_source_and_an_as_of_date(raw: dict[str, Any]) -> None:
    sources = raw["sources"]
    seen = 0

    def walk(node: Any) -> None:
        nonlocal seen
        if isinstance(node, dict):
            if "tiers" in node:
                seen += 1
                assert node["source"] in sources
                assert len(node["as_of"]) == 10
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(raw)
    assert seen > 100


def test_fargate_task_sizes_follow_the_ecs_table(cat: Catalog) -> None:
    sizes = cat.fargate_task_sizes()
    assert (D("0.25"), D("0.5")) in sizes
    assert (D("0.25"), D("3")) not in sizes
    assert [m for c, m in sizes if c == D(8)] == [D(v) for v in range(16, 61, 4)]
    assert [m for c, m in sizes if c == D(16)][-1] == D(120)
    assert len([m for c, m in sizes if c == D(4)]) == 23  # 8..30 GB in 1 GB steps


def test_unknown_region_architecture_and_plan_name_what_is_known(cat: Catalog) -> None:
    with pytest.raises(UnknownPricingKey, match=r"unknown region 'mars-1'.*known: af-south-1"):
        cat.lambda_rate("mars-1", "x86_64", "duration")
    with pytest.raises(UnknownPricingKey, match=r"unknown architecture 'ppc'.*x86_64, arm64"):
        cat.lambda_rate("us-east-1", "ppc", "duration")
    with pytest.raises(UnknownPricingKey, match=r"unknown savings plan 'gold'.*compute-1yr"):
        cat.savings_plan("gold")
    with pytest.raises(UnknownPricingKey, match=r"known in: us-east-1\).*pricing refresh"):
        cat.lambda_rate("us-west-2", "x86_64", "snapstart_cache")
    with pytest.raises(UnknownPricingKey, match=r"unknown region 'ap-southeast-5' for Fargate"):
        cat.fargate_rate("ap-southeast-5", "linux/x86_64", "vcpu_hour")
    with pytest.raises(UnknownPricingKey, match=r"^Lambda prices unknown in mars-1 "):
        cat.lambda_rate("mars-1", "arm64", "requests")
    assert UnknownPricingKey.exit_code == 2


def test_catalog_copies_its_input(raw: dict[str, Any]) -> None:
    cat = Catalog(raw)
    raw["lambda"]["regions"]["us-east-1"]["x86_64"]["duration"]["tiers"][0]["usd"] = "1"
    assert cat.lambda_rate("us-east-1", "x86_64", "duration").first == D("0.0000166667")
    assert cat.to_json()["version"] == cat.version


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["lambda"]["regions"]["us-east-1"]["x86_64"]["requests"]["tiers"][0].update(
                usd="0.2e-6"
            ),
            r"\$\.lambda\.regions\.us-east-1\.x86_64\.requests\.tiers\[0\]\.usd",
        ),
        (lambda d: d.pop("fargate"), r"'fargate' is a required property"),
        (
            lambda d: d["lambda"]["regions"]["us-east-1"]["x86_64"]["duration"]["tiers"][1].update(
                {"from": "5000000000"}
            ),
            r"tiers\[1\]\.from: expected 6000000000, got 5000000000",
        ),
        (
            lambda d: d["logs"]["regions"]["us-east-1"]["storage_gb_month"].update(source="blog"),
            r"storage_gb_month\.source: unknown source 'blog'",
        ),
        (
            lambda d: d["lambda"]["regions"]["us-east-1"]["x86_64"]["duration"]["tiers"][2].update(
                to="99"
            ),
            r"only the last tier is open-ended",
        ),
        (lambda d: d["lambda"]["regions"].update({"moon-base-1": {}}), r"moon-base-1"),
    ],
)
def test_invalid_catalogs_are_rejected_with_the_json_path(
    tmp_path: Path, raw: dict[str, Any], mutate: Any, message: str
) -> None:
    mutate(raw)
    path = write(tmp_path, raw)
    with pytest.raises(PricingError, match=message) as info:
        load_catalog(path)
    assert str(path) in str(info.value)
    assert info.value.exit_code == 3


def test_broken_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    with pytest.raises(PricingError, match=r"not valid JSON.*line 1 column 2"):
        load_catalog(bad)
    with pytest.raises(PricingError, match="must hold a JSON object"):
        load_catalog(write(tmp_path, [1, 2], "list.json"))
    with pytest.raises(FileNotFoundError):
        load_catalog(tmp_path / "absent.json")
    with pytest.raises(IsADirectoryError):
        load_catalog(tmp_path)


def test_load_from_path_env_and_default_with_cache(
    tmp_path: Path, raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    assert load_catalog() is load_catalog(None)  # cached: one parse per file version
    raw["version"] = "2099-01-01-test"
    path = write(tmp_path, raw)
    assert load_catalog(str(path)).version == "2099-01-01-test"
    monkeypatch.setenv(CATALOG_ENV, str(path))
    assert load_catalog().version == "2099-01-01-test"
    raw["version"] = "2099-02-02-test"
    path.write_text(json.dumps(raw), "utf-8")
    os.utime(path, ns=(1, 2_000_000_000_000_000_000))  # a new mtime: the cache must not serve it
    assert load_catalog(path).version == "2099-02-02-test"
