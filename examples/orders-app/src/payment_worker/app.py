"""Payment worker (SQS batch): charge each order through the payment provider.

Waits on a downstream call: the provider's API answers in ~100-250 ms. The request is signed
(HMAC-SHA256) as payment APIs require; the signing is the only CPU work.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import time
from typing import Any

SECRET = os.environ.get("PROVIDER_SECRET", "local-secret").encode()
PROVIDER_MS = float(os.environ.get("PROVIDER_MS", "150"))


def _charge(order: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    body = json.dumps({"amount": order["total"], "currency": "USD", "ref": order["order_id"]})
    signature = hmac.new(SECRET, body.encode(), hashlib.sha256).hexdigest()
    time.sleep(PROVIDER_MS / 1000 * rng.uniform(0.7, 1.6))  # the provider's answer
    return {"order_id": order["order_id"], "signature": signature[:12], "status": "captured"}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    rng = random.Random(len(event.get("Records", [])))
    results = [_charge(json.loads(r["body"]), rng) for r in event.get("Records", [])]
    return {"batchItemFailures": [], "charged": len(results)}
