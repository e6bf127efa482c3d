"""Order API (API Gateway proxy event): validate an order, price it, store it.

Light and I/O-bound: most of its time is the write to the orders table, simulated here as a
fixed downstream latency (DynamoDB PutItem answers in ~10-20 ms from Lambda).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

TABLE_WRITE_S = float(os.environ.get("TABLE_WRITE_MS", "15")) / 1000
TAX = Decimal(os.environ.get("TAX_RATE", "0.0825"))


def _price(items: list[dict[str, Any]]) -> dict[str, str]:
    subtotal = sum(
        (Decimal(str(item["unit_price"])) * int(item["quantity"]) for item in items), Decimal(0)
    )
    tax = (subtotal * TAX).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {"subtotal": str(subtotal), "tax": str(tax), "total": str(subtotal + tax)}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    body = json.loads(event.get("body") or "{}")
    items = body.get("items") or []
    if not items or not body.get("location"):
        return {"statusCode": 400, "body": json.dumps({"error": "location and items required"})}
    order_id = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    priced = _price(items)
    time.sleep(TABLE_WRITE_S)  # PutItem on the orders table
    return {"statusCode": 201, "body": json.dumps({"order_id": order_id, **priced})}
