"""Notification sender (SNS/EventBridge event): tell the customer their order's status.

I/O: renders a short message per channel and hands each to the provider (SMS, e-mail, push),
each call ~30-60 ms. Almost no CPU.
"""

from __future__ import annotations

import os
import string
import time
from typing import Any

PROVIDER_S = float(os.environ.get("PROVIDER_MS", "40")) / 1000
TEMPLATES = {
    "confirmed": string.Template("Order $order_id confirmed at $location: $total."),
    "ready": string.Template("Order $order_id is ready for pickup at $location."),
}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    detail = event.get("detail") or {}
    template = TEMPLATES.get(detail.get("status", "confirmed"), TEMPLATES["confirmed"])
    text = template.safe_substitute(detail)
    sent = []
    for channel in detail.get("channels", ["sms", "email"]):
        time.sleep(PROVIDER_S)  # the provider's API
        sent.append({"channel": channel, "chars": len(text)})
    return {"sent": sent}
