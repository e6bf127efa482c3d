"""Rebuild the catalog from AWS: the Price List Query API and the Savings Plans offering rates.

The boto3 ``pricing`` client only answers in us-east-1, eu-central-1 and ap-south-1 (whatever
region is being priced). Every PriceList entry is a JSON string holding ``product.attributes``
(regionCode, usagetype, group) and ``terms.OnDemand[term].priceDimensions[rate]`` with
``beginRange``/``endRange`` ("Inf" for the last tier) and ``pricePerUnit.USD``; tiers are several
price dimensions of one term. Rates found replace the base catalog's; the rest is kept, and the
result is validated like any catalog.

Answers are not trusted: every level is checked to be the JSON type the API documents, every
figure to be a finite decimal within the catalog's bounds (digits and magnitude), each
paginated listing stops at ``MAX_PAGES`` pages and when a token comes back a second time. What
does not fit is one PricingError naming it (exit code 3), never a traceback or an endless loop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from pricing.catalog import MAX_RATE_USD, MAX_TIERS, Catalog
from pricing.cost import money_str
from pricing.errors import PricingError, PricingInputError, UnknownPricingKey

PRICING_REGIONS = ("us-east-1", "eu-central-1", "ap-south-1")
PRICE_LIST_SOURCE = "aws-price-list-api"
SAVINGS_PLANS_SOURCE = "aws-savings-plans-api"
SECONDS_PER_YEAR = 365 * 24 * 3600
MAX_PAGES = 2000  # of one listing (a region's AWSLambda products are a few pages of 100)
MAX_DIGITS = 15  # before and after the point: the catalog's decimal bounds
MAX_RANGE = Decimal(10) ** MAX_DIGITS

# Price List "group" attribute of AWSLambda products → (architecture, catalog meter).
LAMBDA_GROUPS: dict[str, tuple[str, str]] = {}
for _group, _meter in (
    ("AWS-Lambda-Duration", "duration"),
    ("AWS-Lambda-Requests", "requests"),
    ("AWS-Lambda-Provisioned-Concurrency", "provisioned_concurrency"),
    ("AWS-Lambda-Duration-Provisioned", "provisioned_duration"),
    ("AWS-Lambda-Storage-Duration", "ephemeral_storage"),
):
    LAMBDA_GROUPS[_group] = ("x86_64", _meter)
    LAMBDA_GROUPS[f"{_group}-ARM"] = ("arm64", _meter)

# AmazonECS usage types (region prefix removed) → (platform, meter). The Windows licence and
# Spot names follow the pattern of the documented ones; usage types not listed are ignored.
FARGATE_USAGE: dict[str, tuple[str, str]] = {
    "Fargate-vCPU-Hours:perCPU": ("linux/x86_64", "vcpu_hour"),
    "Fargate-GB-Hours": ("linux/x86_64", "gb_hour"),
    "Fargate-ARM-vCPU-Hours:perCPU": ("linux/arm64", "vcpu_hour"),
    "Fargate-ARM-GB-Hours": ("linux/arm64", "gb_hour"),
    "Fargate-Windows-vCPU-Hours:perCPU": ("windows/x86_64", "vcpu_hour"),
    "Fargate-Windows-GB-Hours": ("windows/x86_64", "gb_hour"),
    "Fargate-Windows-OS-Hours:perCPU": ("windows/x86_64", "os_license_vcpu_hour"),
    "SpotUsage-Fargate-vCPU-Hours:perCPU": ("spot/linux/x86_64", "vcpu_hour"),
    "SpotUsage-Fargate-GB-Hours": ("spot/linux/x86_64", "gb_hour"),
    "SpotUsage-Fargate-ARM-vCPU-Hours:perCPU": ("spot/linux/arm64", "vcpu_hour"),
    "SpotUsage-Fargate-ARM-GB-Hours": ("spot/linux/arm64", "gb_hour"),
    "Fargate-EphemeralStorage-GB-Hours": ("", "ephemeral_gb_hour"),
}

# AmazonCloudWatch usage types (region prefix removed) → logs meter.
LOGS_USAGE: dict[str, str] = {
    "DataProcessing-Bytes": "standard_ingest",
    "DataProcessingIA-Bytes": "infrequent_access_ingest",
    "VendedLog-Bytes": "vended_standard_ingest",
    "VendedLogIA-Bytes": "vended_infrequent_access_ingest",
    "TimedStorage-ByteHrs": "storage_gb_month",
    "DataScanned-Bytes": "insights_gb_scanned",
}

LAMBDA_UNITS = {
    "duration": "GB-s",
    "requests": "request",
    "provisioned_concurrency": "GB-s",
    "provisioned_duration": "GB-s",
    "ephemeral_storage": "GB-s",
}
FARGATE_UNITS = {
    "vcpu_hour": "vCPU-hour",
    "gb_hour": "GB-hour",
    "os_license_vcpu_hour": "vCPU-hour",
    "ephemeral_gb_hour": "GB-hour",
}
LOGS_UNITS = {
    "storage_gb_month": "GB-month",
}

_REGION_PREFIX = re.compile(r"^[A-Z]{2,4}[0-9]?-")


def strip_region_prefix(usage_type: str) -> str:
    """ "USE1-Fargate-GB-Hours" → "Fargate-GB-Hours"; us-east-1 Lambda types have no prefix."""
    return _REGION_PREFIX.sub("", usage_type, count=1)


def _decimal(text: Any, what: str, high: Decimal = MAX_RANGE) -> Decimal:
    """A figure of an answer: a decimal string (or number), finite, in [0, high), with at most
    MAX_DIGITS digits after the point once trailing zeros are dropped."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise PricingError(f"Price List entry has a non-numeric {what}: {_show(text)}")
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise PricingError(f"Price List entry has a non-numeric {what}: {_show(text)}") from None
    if not value.is_finite() or value < 0 or value >= high:
        raise PricingError(f"Price List entry has an invalid {what}: {_show(text)}")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DIGITS:
        raise PricingError(
            f"Price List entry has a {what} with more than {MAX_DIGITS} decimals: {_show(text)}"
        )
    return value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _object(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else a PricingError naming ``what``."""
    if not isinstance(value, Mapping):
        raise PricingError(
            f"unexpected AWS pricing answer: {what} is {type(value).__name__}, not an object"
        )
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise PricingError(
            f"unexpected AWS pricing answer: {what} is {type(value).__name__}, not a list"
        )
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise PricingError(
            f"unexpected AWS pricing answer: {what} is {type(value).__name__}, not a string"
        )
    return value


def _attributes(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    product = _object(entry.get("product", {}), "a PriceList item's product")
    return _object(product.get("attributes", {}), "a PriceList item's product.attributes")


def _pages(call: Any, kwargs: dict[str, Any], token_key: str, what: str) -> Iterator[Any]:
    """Every page of a paginated call; a token seen before or more than MAX_PAGES pages is a
    PricingError (an answer that would otherwise loop forever)."""
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        page = _object(call(**kwargs), f"a {what} page")
        yield page
        token = page.get(token_key)
        if not token:
            return
        token = _text(token, f"a {what} page's {token_key}")
        if token in seen:
            raise PricingError(f"{what} returned the same {token_key} twice; stopped")
        seen.add(token)
        kwargs[token_key] = token
    raise PricingError(f"{what} returned more than {MAX_PAGES} pages; stopped")


def rate_from_price_list(entry: Mapping[str, Any], unit: str, source: str, as_of: str) -> dict:
    """A catalog rate (JSON form) from one PriceList entry's on-demand term.

    Several price dimensions are tiers (sorted by beginRange). A leading tier priced at zero is
    a free tier, which the catalog models separately: it is dropped and the ranges shifted.
    """
    terms = _object(_object(entry.get("terms", {}), "terms").get("OnDemand", {}), "OnDemand")
    if not terms:
        sku = _object(entry.get("product", {}), "product").get("sku")
        raise PricingError(f"Price List entry {_show(sku)} has no OnDemand term")
    # When AWS lists more than one term, the most recent effective date wins.
    checked = [_object(t, "an OnDemand term") for t in terms.values()]
    term = max(checked, key=lambda t: str(t.get("effectiveDate", "")))
    dims = []
    found = _object(term.get("priceDimensions", {}), "priceDimensions")
    if len(found) > MAX_TIERS:
        raise PricingError(
            f"Price List entry has {len(found)} price dimensions (at most {MAX_TIERS})"
        )
    for raw in found.values():
        dim = _object(raw, "a price dimension")
        begin = _decimal(dim.get("beginRange", "0"), "beginRange")
        raw_end = dim.get("endRange", "Inf")
        end = None if raw_end in ("Inf", None) else _decimal(raw_end, "endRange")
        price = _object(dim.get("pricePerUnit", {}), "pricePerUnit")
        usd = _decimal(price.get("USD"), "USD price", MAX_RATE_USD)
        dims.append((begin, end, usd))
    dims.sort(key=lambda d: d[0])
    if len(dims) > 1 and dims[0][2] == 0 and dims[0][1] is not None:
        shift = dims[0][1]
        dims = [(b - shift, None if e is None else e - shift, u) for b, e, u in dims[1:]]
    if not dims:
        raise PricingError("Price List entry has no price dimensions")
    return {
        "unit": unit,
        "tiers": [
            {"from": money_str(b), "to": None if e is None else money_str(e), "usd": money_str(u)}
            for b, e, u in dims
        ],
        "source": source,
        "as_of": as_of,
    }


class _Clients:
    def __init__(
        self,
        *,
        pricing_client: Any,
        savingsplans_client: Any,
        boto3_session: boto3.Session | None,
        boto_config: Config | None,
        pricing_region: str,
        endpoint_url: str | None,
        savingsplans_endpoint_url: str | None,
    ) -> None:
        if pricing_region not in PRICING_REGIONS:
            raise UnknownPricingKey(
                f"the Price List API answers only in {', '.join(PRICING_REGIONS)}; "
                f"got {pricing_region!r}"
            )
        session = boto3_session
        if pricing_client is None or savingsplans_client is None:
            session = session or boto3.Session()
        self.pricing = pricing_client or session.client(  # type: ignore[union-attr]
            "pricing", region_name=pricing_region, config=boto_config, endpoint_url=endpoint_url
        )
        self.savingsplans = savingsplans_client or session.client(  # type: ignore[union-attr]
            "savingsplans",
            region_name="us-east-1",
            config=boto_config,
            endpoint_url=savingsplans_endpoint_url,
        )


def _products(client: Any, service_code: str, region: str) -> Iterator[Mapping[str, Any]]:
    """Every PriceList entry of a service in one region, decoded, across pages."""
    kwargs: dict[str, Any] = {
        "ServiceCode": service_code,
        "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    for page in _pages(client.get_products, kwargs, "NextToken", "the Price List API"):
        for text in _list(page.get("PriceList", []), "PriceList"):
            try:
                entry = json.loads(text) if isinstance(text, str) else text
            except json.JSONDecodeError as exc:
                raise PricingError(f"Price List returned invalid JSON: {exc.msg}") from None
            except (ValueError, RecursionError):  # huge integers, absurd nesting
                raise PricingError("Price List returned unusable JSON") from None
            entry = _object(entry, "a PriceList item")
            if _attributes(entry).get("regionCode", region) == region:
                yield entry


def _refresh_lambda(clients: _Clients, data: dict, region: str, as_of: str) -> int:
    found = 0
    regions = data["lambda"]["regions"]
    for entry in _products(clients.pricing, "AWSLambda", region):
        group = _attributes(entry).get("group", "")
        if not isinstance(group, str) or group not in LAMBDA_GROUPS:
            continue
        arch, meter = LAMBDA_GROUPS[group]
        rate = rate_from_price_list(entry, LAMBDA_UNITS[meter], PRICE_LIST_SOURCE, as_of)
        regions.setdefault(region, {}).setdefault(arch, {})[meter] = rate
        found += 1
    return found


def _refresh_fargate(clients: _Clients, data: dict, region: str, as_of: str) -> int:
    found = 0
    entry_for_region = data["fargate"]["regions"].setdefault(region, {})
    for entry in _products(clients.pricing, "AmazonECS", region):
        usage = _usage(_attributes(entry).get("usagetype", ""))
        if usage not in FARGATE_USAGE:
            continue
        platform, meter = FARGATE_USAGE[usage]
        rate = rate_from_price_list(entry, FARGATE_UNITS[meter], PRICE_LIST_SOURCE, as_of)
        if platform:
            entry_for_region.setdefault(platform, {})[meter] = rate
        else:
            entry_for_region[meter] = rate
        found += 1
    # A platform is usable only with both vCPU and memory rates; drop half-found ones.
    for key in [k for k, v in entry_for_region.items() if isinstance(v, dict) and "tiers" not in v]:
        if not {"vcpu_hour", "gb_hour"} <= set(entry_for_region[key]):
            del entry_for_region[key]
    if not entry_for_region:
        del data["fargate"]["regions"][region]
    return found


def _refresh_logs(clients: _Clients, data: dict, region: str, as_of: str) -> int:
    found = 0
    for entry in _products(clients.pricing, "AmazonCloudWatch", region):
        usage = _usage(_attributes(entry).get("usagetype", ""))
        meter = LOGS_USAGE.get(usage)
        if meter is None:
            continue
        rate = rate_from_price_list(entry, LOGS_UNITS.get(meter, "GB"), PRICE_LIST_SOURCE, as_of)
        data["logs"]["regions"].setdefault(region, {})[meter] = rate
        found += 1
    return found


def _usage(value: Any) -> str:
    return strip_region_prefix(value) if isinstance(value, str) else ""


def _plan_terms(offering: Mapping[str, Any]) -> tuple[int, str]:
    """(term in whole years, payment option) of a Savings Plans offering, checked."""
    duration = offering.get("durationSeconds")
    if isinstance(duration, bool) or not isinstance(duration, int | str):
        raise PricingError(
            f"a savings plan offering without a valid durationSeconds: {_show(duration)}"
        )
    seconds = _decimal(duration, "savings plan durationSeconds", Decimal(100 * SECONDS_PER_YEAR))
    years = round(seconds / SECONDS_PER_YEAR)
    if years < 1:
        raise PricingError(f"a savings plan offering of {seconds} s, less than a year")
    payment = _text(offering.get("paymentOption"), "a savings plan's paymentOption")
    if not payment.strip() or len(payment) > 64:
        raise PricingError(f"a savings plan offering with a bad paymentOption: {_show(payment)}")
    return years, payment


def _plan_id(offering: Mapping[str, Any]) -> str:
    years, payment = _plan_terms(offering)
    return f"compute-{years}yr-{payment.lower().replace(' ', '-')}"


def _refresh_savings_plans(clients: _Clients, data: dict, regions: list[str], as_of: str) -> int:
    found = 0
    kwargs: dict[str, Any] = {
        "savingsPlanTypes": ["Compute"],
        "products": ["Lambda", "Fargate"],
        "filters": [{"name": "region", "values": regions}],
        "maxResults": 1000,
    }
    call = clients.savingsplans.describe_savings_plans_offering_rates
    for page in _pages(call, kwargs, "nextToken", "the Savings Plans API"):
        for raw in _list(page.get("searchResults", []), "searchResults"):
            result = _object(raw, "a savings plan offering rate")
            offering = _object(result.get("savingsPlanOffering", {}), "savingsPlanOffering")
            props = {
                _object(p, "a property").get("name"): p.get("value")
                for p in _list(result.get("properties", []), "properties")
            }
            region = props.get("region")
            if region not in regions or offering.get("currency", "USD") != "USD":
                continue
            usage = _usage(result.get("usageType", ""))
            years, payment = _plan_terms(offering)
            plan = data["savings_plans"].setdefault(
                _plan_id(offering),
                {"term_years": years, "payment_option": payment, "lambda": {}, "fargate": {}},
            )
            usd = money_str(_decimal(result.get("rate"), "savings plan rate", MAX_RATE_USD))
            if result.get("productType") == "Lambda" and usage in (
                "Lambda-GB-Second",
                "Lambda-GB-Second-ARM",
            ):
                arch = "arm64" if usage.endswith("-ARM") else "x86_64"
                rate = _flat(usd, "GB-s", as_of)
                plan["lambda"].setdefault(region, {})[arch] = {"duration": rate}
                found += 1
            elif result.get("productType") == "Fargate" and usage in FARGATE_USAGE:
                platform, meter = FARGATE_USAGE[usage]
                if meter in ("vcpu_hour", "gb_hour") and not platform.startswith("spot/"):
                    rate = _flat(usd, FARGATE_UNITS[meter], as_of)
                    plan["fargate"].setdefault(region, {}).setdefault(platform, {})[meter] = rate
                    found += 1
    for plan in data["savings_plans"].values():
        for region_entry in plan["fargate"].values():
            for platform in [p for p, m in region_entry.items() if len(m) < 2]:
                del region_entry[platform]  # a platform needs both vCPU and memory rates
    return found


def _flat(usd: str, unit: str, as_of: str) -> dict[str, Any]:
    return {
        "unit": unit,
        "tiers": [{"from": "0", "to": None, "usd": usd}],
        "source": SAVINGS_PLANS_SOURCE,
        "as_of": as_of,
    }


def refresh_catalog(
    base: Catalog,
    *,
    regions: list[str] | None = None,
    pricing_client: Any = None,
    savingsplans_client: Any = None,
    boto3_session: boto3.Session | None = None,
    boto_config: Config | None = None,
    pricing_region: str = "us-east-1",
    endpoint_url: str | None = None,
    savingsplans_endpoint_url: str | None = None,
    today: date | None = None,
) -> Catalog:
    """A new catalog: ``base`` with every rate the AWS APIs return for ``regions`` replaced.

    An explicit client wins over ``boto3_session``/``boto_config``/``endpoint_url``. AWS errors
    raise PricingError (exit code 3); a region with no Lambda prices raises UnknownPricingKey.
    """
    try:
        clients = _Clients(
            pricing_client=pricing_client,
            savingsplans_client=savingsplans_client,
            boto3_session=boto3_session,
            boto_config=boto_config,
            pricing_region=pricing_region,
            endpoint_url=endpoint_url,
            savingsplans_endpoint_url=savingsplans_endpoint_url,
        )
    except ProfileNotFound as exc:
        raise PricingInputError(f"unknown AWS profile {exc.kwargs.get('profile')!r}") from None
    except BotoCoreError as exc:  # a malformed AWS config file, a bad endpoint URL
        raise PricingInputError(f"cannot set up the AWS clients: {exc}") from None
    as_of = (today or date.today()).isoformat()
    data = base.to_json()
    wanted = list(dict.fromkeys(regions or base.regions()))
    try:
        for region in wanted:
            if not _refresh_lambda(clients, data, region, as_of):
                raise UnknownPricingKey(
                    f"the Price List has no Lambda prices for region {region!r}"
                )
            _refresh_fargate(clients, data, region, as_of)
            _refresh_logs(clients, data, region, as_of)
        _refresh_savings_plans(clients, data, wanted, as_of)
    except (ClientError, BotoCoreError) as exc:
        raise PricingError(f"pricing refresh failed: {exc}") from None
    data["version"] = as_of
    data["generated_by"] = (
        f"powertune pricing refresh on {as_of} for {', '.join(wanted)} (base catalog "
        f"{base.version}; rates not returned by AWS kept from it)"
    )
    data["sources"][PRICE_LIST_SOURCE] = {
        "title": f"AWS Price List Query API (GetProducts via {pricing_region})",
        "url": "https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html",
    }
    data["sources"][SAVINGS_PLANS_SOURCE] = {
        "title": "AWS Savings Plans API (DescribeSavingsPlansOfferingRates, Compute)",
        "url": "https://docs.aws.amazon.com/savingsplans/latest/APIReference/API_DescribeSavingsPlansOfferingRates.html",
    }
    return Catalog(data, origin=f"refresh {as_of}")
