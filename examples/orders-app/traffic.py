"""The orders app's traffic: how many invocations an order causes, and a simulated day of it.

3.8M orders a year across 60 locations. Per order: one call to the order API, one payment
message, two notifications (confirmed, ready) and three menu views that ask the recommender.
Per location: one nightly report a day and about 40 new dish photos a month.

    python traffic.py --print-monthly          # the monthly invocations per function
    python traffic.py --endpoint-url URL --scale 0.005 --logs logs/
        # sends a day of traffic scaled by SCALE to a `powertune local serve --template`,
        # then writes each function's log events as `aws logs filter-log-events` prints them
        # (logs/<function>/events.json), which `powertune analyze --from-logs` reads
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ORDERS_PER_YEAR = 3_800_000
LOCATIONS = 60
DAYS_PER_MONTH = 365 / 12
EVENTS = Path(__file__).parent / "events"

# invocations per order, by logical ID (and the event each is sent)
PER_ORDER = {
    "OrderApiFunction": 1.0,
    "PaymentWorkerFunction": 1.0,
    "NotifierFunction": 2.0,
    "RecommenderFunction": 3.0,
}
# invocations per location per month
PER_LOCATION_MONTH = {
    "NightlyReportFunction": DAYS_PER_MONTH,
    "MenuImageFunction": 40.0,
}
EVENT_FILE = {
    "OrderApiFunction": "order_api.json",
    "PaymentWorkerFunction": "payment_worker.json",
    "NotifierFunction": "notifier.json",
    "RecommenderFunction": "recommender.json",
    "NightlyReportFunction": "nightly_report.json",
    "MenuImageFunction": "menu_image.json",
}


def monthly_invocations() -> dict[str, int]:
    orders_per_month = ORDERS_PER_YEAR / 12
    out = {k: round(v * orders_per_month) for k, v in PER_ORDER.items()}
    out.update({k: round(v * LOCATIONS) for k, v in PER_LOCATION_MONTH.items()})
    return out


def day_of_traffic(scale: float) -> list[str]:
    """The logical IDs to invoke for one day at ``scale``, shuffled as a day mixes them."""
    per_day = {k: v / DAYS_PER_MONTH * scale for k, v in monthly_invocations().items()}
    calls = [k for k, n in per_day.items() for _ in range(max(1, math.ceil(n)))]
    random.Random(7).shuffle(calls)
    return calls


def _client(service: str, endpoint_url: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def send_day(endpoint_url: str, scale: float, logs: Path) -> dict:
    client = _client("lambda", endpoint_url)
    # the local runtime answers to logical IDs, as `sam local` does; logs are by physical name
    names = {
        k: client.get_function(FunctionName=k)["Configuration"]["FunctionName"] for k in EVENT_FILE
    }
    payloads = {k: (EVENTS / f).read_bytes() for k, f in EVENT_FILE.items()}
    calls = day_of_traffic(scale)

    def invoke(logical_id: str) -> str | None:
        answer = client.invoke(FunctionName=names[logical_id], Payload=payloads[logical_id])
        return answer.get("FunctionError")

    with ThreadPoolExecutor(max_workers=4) as pool:
        errors = [e for e in pool.map(invoke, calls) if e]
    export_logs(endpoint_url, names.values(), logs)
    counts = {k: calls.count(k) for k in sorted(set(calls))}
    return {"invocations": counts, "errors": len(errors)}


def export_logs(endpoint_url: str, functions: Iterable[str], logs: Path) -> None:
    client = _client("logs", endpoint_url)
    for name in functions:
        events: list[dict] = []
        for page in client.get_paginator("filter_log_events").paginate(
            logGroupName=f"/aws/lambda/{name}"
        ):
            events.extend(page["events"])
        folder = logs / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "events.json").write_text(json.dumps({"events": events}, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--print-monthly", action="store_true")
    parser.add_argument("--endpoint-url")
    parser.add_argument("--scale", type=float, default=0.005)
    parser.add_argument("--logs", type=Path, default=Path("logs"))
    args = parser.parse_args()
    if args.print_monthly:
        print(json.dumps(monthly_invocations(), indent=2))
        return
    if not args.endpoint_url:
        parser.error("--endpoint-url is required to send traffic")
    print(json.dumps(send_day(args.endpoint_url, args.scale, args.logs), indent=2))


if __name__ == "__main__":
    main()
