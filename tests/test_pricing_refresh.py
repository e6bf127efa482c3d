"""`pricing refresh` against botocore Stubber: the exact Price List / Savings Plans requests, and
PriceList entries shaped like the real ones (JSON strings, terms.OnDemand.priceDimensions with
beginRange/endRange, "Inf" for the last tier)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from pricing.catalog import Catalog, load_catalog
from pricing.cost import fargate_cost, monthly_lambda_cost, savings_plans
from pricing.errors import PricingError, UnknownPricingKey
from pricing.refresh import rate_from_price_list, refresh_catalog, strip_region_prefix

D = Decimal
TODAY = date(2026, 11, 27)
TERM = "JRTCKXETXF"  # the OnDemand offer term code AWS uses


def price_list_entry(
    sku: str,
    service: str,
    usagetype: str,
    dims: list[tuple[str, str, str]],
    *,
    group: str = "",
    region: str = "us-east-1",
    unit: str = "Lambda-GB-Second",
    family: str = "Serverless",
) -> str:
    """One PriceList element as the API returns it: a JSON *string*."""
    dimensions = {
        f"{sku}.{TERM}.{i:010d}": {
            "unit": unit,
            "endRange": end,
            "description": f"{usagetype} {begin}-{end}",
            "appliesTo": [],
            "rateCode": f"{sku}.{TERM}.{i:010d}",
            "beginRange": begin,
            "pricePerUnit": {"USD": usd},
        }
        for i, (begin, end, usd) in enumerate(dims)
    }
    return json.dumps(
        {
            "product": {
                "productFamily": family,
                "attributes": {
                    "regionCode": region,
                    "servicecode": service,
                    "usagetype": usagetype,
                    "group": group,
                    "location": "US East (N. Virginia)",
                    "locationType": "AWS Region",
                },
                "sku": sku,
            },
            "serviceCode": service,
            "terms": {
                "OnDemand": {
                    f"{sku}.{TERM}": {
                        "priceDimensions": dimensions,
                        "sku": sku,
                        "effectiveDate": "2026-11-01T00:00:00Z",
                        "offerTermCode": TERM,
                        "termAttributes": {},
                    }
                }
            },
            "version": "20261101000000",
            "publicationDate": "2026-11-01T00:00:00Z",
        }
    )


def params(service: str, region: str = "us-east-1", token: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ServiceCode": service,
        "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    if token:
        out["NextToken"] = token
    return out


LAMBDA_PAGE_1 = [
    price_list_entry(
        "AAA1",
        "AWSLambda",
        "Lambda-GB-Second",
        [
            ("0", "6000000000", "0.0000166668"),
            ("6000000000", "15000000000", "0.0000150001"),
            ("15000000000", "Inf", "0.0000133335"),
        ],
        group="AWS-Lambda-Duration",
    ),
    price_list_entry(
        "AAA2",
        "AWSLambda",
        "Request",
        [("0", "Inf", "0.0000002000")],
        group="AWS-Lambda-Requests",
        unit="Requests",
    ),
]
LAMBDA_PAGE_2 = [
    price_list_entry(
        "AAA3",
        "AWSLambda",
        "Lambda-GB-Second-ARM",
        [
            ("7500000000", "18750000000", "0.0000120001"),  # dimensions come in any order
            ("0", "7500000000", "0.0000133334"),
            ("18750000000", "Inf", "0.0000106667"),
        ],
        group="AWS-Lambda-Duration-ARM",
    ),
    price_list_entry(
        "AAA4",
        "AWSLambda",
        "Lambda-Edge-GB-Second",
        [("0", "Inf", "0.00005001")],
        group="AWS-Lambda-Edge-Duration",  # Lambda@Edge: not ours, ignored
    ),
    price_list_entry(
        "AAA5",
        "AWSLambda",
        "Lambda-Provisioned-Concurrency",
        [("0", "Inf", "0.0000041668")],
        group="AWS-Lambda-Provisioned-Concurrency",
    ),
]
ECS_PAGE = [
    price_list_entry(
        "BBB1",
        "AmazonECS",
        "USE1-Fargate-vCPU-Hours:perCPU",
        [("0", "Inf", "0.0404800000")],
        unit="hours",
        family="Compute",
    ),
    price_list_entry(
        "BBB2",
        "AmazonECS",
        "USE1-Fargate-GB-Hours",
        [("0", "Inf", "0.0044450000")],
        unit="hours",
        family="Compute",
    ),
    price_list_entry(
        "BBB3",
        "AmazonECS",
        "USE1-SpotUsage-Fargate-vCPU-Hours:perCPU",
        [("0", "Inf", "0.0121440000")],
        unit="hours",
        family="Compute",
    ),
    price_list_entry(
        "BBB4",
        "AmazonECS",
        "USE1-SpotUsage-Fargate-GB-Hours",
        [("0", "Inf", "0.0013335000")],
        unit="hours",
        family="Compute",
    ),
]
LOGS_PAGE = [
    price_list_entry(
        "CCC1",
        "AmazonCloudWatch",
        "USE1-DataProcessing-Bytes",
        [("0", "5", "0.0000000000"), ("5", "Inf", "0.5000000000")],  # 5 GB free tier first
        unit="GB",
        family="Data Payload",
    ),
    price_list_entry(
        "CCC2",
        "AmazonCloudWatch",
        "USE1-VendedLog-Bytes",
        [
            ("0", "10240", "0.5000000000"),
            ("10240", "30720", "0.2500000000"),
            ("30720", "51200", "0.1000000000"),
            ("51200", "Inf", "0.0500000000"),
        ],
        unit="GB",
        family="Data Payload",
    ),
    price_list_entry(
        "CCC3",
        "AmazonCloudWatch",
        "USE1-CW:MetricMonitorUsage",
        [("0", "10000", "0.30")],  # metrics: not a logs meter, ignored
        unit="Metrics",
        family="Metric",
    ),
]


def offering_rate(
    rate: str, usage: str, product: str, payment: str, years: int, region: str = "us-east-1"
) -> dict[str, Any]:
    return {
        "savingsPlanOffering": {
            "offeringId": f"{payment}-{years}-{product}",
            "paymentOption": payment,
            "planType": "Compute",
            "durationSeconds": years * 31_536_000,
            "currency": "USD",
            "planDescription": f"{years} year {payment} Compute Savings Plan",
        },
        "rate": rate,
        "unit": "Lambda-GB-Second" if product == "Lambda" else "Hrs",
        "productType": product,
        "serviceCode": "AWSLambda" if product == "Lambda" else "AmazonECS",
        "usageType": usage,
        "operation": "Invoke" if product == "Lambda" else "",
        "properties": [{"name": "region", "value": region}],
    }


SP_EXPECTED = {
    "savingsPlanTypes": ["Compute"],
    "products": ["Lambda", "Fargate"],
    "filters": [{"name": "region", "values": ["us-east-1"]}],
    "maxResults": 1000,
}


def clients() -> tuple[Any, Any]:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return session.client("pricing", region_name="us-east-1"), session.client(
        "savingsplans", region_name="us-east-1"
    )


def stub_everything(pricing_stub: Stubber, sp_stub: Stubber) -> None:
    pricing_stub.add_response(
        "get_products",
        {"FormatVersion": "aws_v1", "PriceList": LAMBDA_PAGE_1, "NextToken": "page-2"},
        params("AWSLambda"),
    )
    pricing_stub.add_response(
        "get_products",
        {"FormatVersion": "aws_v1", "PriceList": LAMBDA_PAGE_2},
        params("AWSLambda", token="page-2"),
    )
    pricing_stub.add_response(
        "get_products", {"FormatVersion": "aws_v1", "PriceList": ECS_PAGE}, params("AmazonECS")
    )
    pricing_stub.add_response(
        "get_products",
        {"FormatVersion": "aws_v1", "PriceList": LOGS_PAGE},
        params("AmazonCloudWatch"),
    )
    sp_stub.add_response(
        "describe_savings_plans_offering_rates",
        {
            "searchResults": [
                offering_rate("0.0000147", "Lambda-GB-Second", "Lambda", "No Upfront", 1),
                offering_rate("0.0000117", "Lambda-GB-Second-ARM", "Lambda", "No Upfront", 1),
                offering_rate("0.0000142", "Lambda-GB-Second", "Lambda", "Partial Upfront", 1),
                offering_rate(
                    "0.0000999", "Lambda-GB-Second", "Lambda", "No Upfront", 1, "eu-west-9"
                ),
            ],
            "nextToken": "sp-2",
        },
        SP_EXPECTED,
    )
    sp_stub.add_response(
        "describe_savings_plans_offering_rates",
        {
            "searchResults": [
                offering_rate(
                    "0.019430", "USE1-Fargate-vCPU-Hours:perCPU", "Fargate", "All Upfront", 3
                ),
                offering_rate("0.002134", "USE1-Fargate-GB-Hours", "Fargate", "All Upfront", 3),
            ]
        },
        {**SP_EXPECTED, "nextToken": "sp-2"},
    )


@pytest.fixture
def refreshed() -> Catalog:
    pricing, sp = clients()
    with Stubber(pricing) as pricing_stub, Stubber(sp) as sp_stub:
        stub_everything(pricing_stub, sp_stub)
        cat = refresh_catalog(
            load_catalog(),
            regions=["us-east-1"],
            pricing_client=pricing,
            savingsplans_client=sp,
            today=TODAY,
        )
        pricing_stub.assert_no_pending_responses()
        sp_stub.assert_no_pending_responses()
    return cat


def test_refresh_replaces_lambda_rates_with_price_list_tiers(refreshed: Catalog) -> None:
    assert refreshed.version == "2026-11-27"
    x86 = refreshed.lambda_rate("us-east-1", "x86_64", "duration")
    assert [(t.begin, t.end, t.usd) for t in x86.tiers] == [
        (D(0), D(6_000_000_000), D("0.0000166668")),
        (D(6_000_000_000), D(15_000_000_000), D("0.0000150001")),
        (D(15_000_000_000), None, D("0.0000133335")),
    ]
    assert (x86.source, x86.as_of, x86.verify) == ("aws-price-list-api", "2026-11-27", False)
    arm = refreshed.lambda_rate("us-east-1", "arm64", "duration")
    assert [t.begin for t in arm.tiers] == [D(0), D(7_500_000_000), D(18_750_000_000)]
    assert refreshed.lambda_rate("us-east-1", "x86_64", "provisioned_concurrency").first == D(
        "0.0000041668"
    )
    # Not returned by the API: kept from the base catalog with its original provenance.
    snap = refreshed.lambda_rate("us-east-1", "x86_64", "snapstart_cache")
    assert (snap.source, snap.first) == ("lambda-pricing-page", D("0.0000015046"))
    assert refreshed.lambda_rate("eu-west-1", "x86_64", "duration").source == "aws-billing-facts"


def test_refresh_reads_fargate_spot_and_log_tiers(refreshed: Catalog) -> None:
    spot = fargate_cost(
        refreshed, region="us-east-1", vcpu=D(1), memory_gb=D(2), hours=D(10), spot=True
    )
    assert spot.item("vCPU (spot)").rate == D("0.012144")
    ingest = refreshed.logs_rate("us-east-1", "standard_ingest")
    assert [(t.begin, t.end, t.usd) for t in ingest.tiers] == [(D(0), None, D("0.5"))]
    vended = refreshed.logs_rate("us-east-1", "vended_standard_ingest")
    assert [t.end for t in vended.tiers] == [D(10240), D(30720), D(51200), None]


def test_refresh_reads_savings_plans_for_lambda_and_fargate(refreshed: Catalog) -> None:
    assert "compute-1yr-partial-upfront" in savings_plans(refreshed)
    est = monthly_lambda_cost(
        refreshed,
        region="us-east-1",
        arch="x86_64",
        memory_mb=1024,
        billed_ms_avg=D(100),
        invocations=1_000_000,
        savings_plan="compute-1yr-partial-upfront",
    )
    assert est.item("duration (compute-1yr-partial-upfront)").rate == D("0.0000142")
    fargate = fargate_cost(
        refreshed,
        region="us-east-1",
        vcpu=D(1),
        memory_gb=D(2),
        hours=D(1),
        savings_plan="compute-3yr-all-upfront",
    )
    assert fargate.item("vCPU (compute-3yr-all-upfront)").rate == D("0.01943")
    assert fargate.item("memory (compute-3yr-all-upfront)").rate == D("0.002134")
    plan = refreshed.savings_plan("compute-1yr-partial-upfront")
    assert "eu-west-9" not in plan["lambda"]  # a region we did not ask for is ignored


def test_refreshed_catalog_round_trips_through_a_file(refreshed: Catalog, tmp_path: Any) -> None:
    path = tmp_path / "refreshed.json"
    path.write_text(json.dumps(refreshed.to_json()), "utf-8")
    again = load_catalog(path)
    assert again.version == "2026-11-27"
    assert "aws-savings-plans-api" in again.sources


def test_aws_errors_become_pricing_errors() -> None:
    pricing, sp = clients()
    with Stubber(pricing) as stub:
        stub.add_client_error(
            "get_products",
            service_error_code="ThrottlingException",
            service_message="Rate exceeded",
            expected_params=params("AWSLambda"),
        )
        with pytest.raises(PricingError, match=r"pricing refresh failed.*Rate exceeded") as info:
            refresh_catalog(
                load_catalog(),
                regions=["us-east-1"],
                pricing_client=pricing,
                savingsplans_client=sp,
            )
    assert info.value.exit_code == 3


def test_a_region_without_lambda_prices_is_rejected() -> None:
    pricing, sp = clients()
    with Stubber(pricing) as stub:
        stub.add_response(
            "get_products",
            {"FormatVersion": "aws_v1", "PriceList": []},
            params("AWSLambda", region="xx-nowhere-1"),
        )
        with pytest.raises(UnknownPricingKey, match="no Lambda prices for region 'xx-nowhere-1'"):
            refresh_catalog(
                load_catalog(),
                regions=["xx-nowhere-1"],
                pricing_client=pricing,
                savingsplans_client=sp,
            )


def test_pricing_endpoint_region_is_checked() -> None:
    with pytest.raises(UnknownPricingKey, match=r"us-east-1, eu-central-1, ap-south-1"):
        refresh_catalog(load_catalog(), pricing_region="eu-west-1")


def test_price_list_helpers() -> None:
    assert strip_region_prefix("USE1-Fargate-GB-Hours") == "Fargate-GB-Hours"
    assert strip_region_prefix("EUC1-Lambda-GB-Second-ARM") == "Lambda-GB-Second-ARM"
    assert strip_region_prefix("Lambda-GB-Second") == "Lambda-GB-Second"
    assert strip_region_prefix("VendedLog-Bytes") == "VendedLog-Bytes"
    entry = json.loads(LAMBDA_PAGE_1[1])
    rate = rate_from_price_list(entry, "request", "aws-price-list-api", "2026-11-27")
    assert rate["tiers"] == [{"from": "0", "to": None, "usd": "0.0000002"}]
    del entry["terms"]["OnDemand"]
    with pytest.raises(PricingError, match="no OnDemand term"):
        rate_from_price_list(entry, "request", "aws-price-list-api", "2026-11-27")
