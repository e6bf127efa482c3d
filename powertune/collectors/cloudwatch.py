"""Find an invocation's REPORT record in CloudWatch Logs when the Invoke tail did not hold it."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from powertune.logs.parse import ParseStats, try_parse_record
from powertune.logs.records import Report


def find_report(
    logs_client: Any,
    log_group: str,
    request_id: str,
    *,
    log_format: str = "Text",
    start_time_ms: int | None = None,
    wait_s: float = 30.0,
    poll_s: float = 1.0,
) -> Report | None:
    """The REPORT record of ``request_id``, polling while CloudWatch ingests it (None if absent).

    Uses FilterLogEvents with a pattern that matches only that request's report, in either log
    format; the log group is ``/aws/lambda/NAME`` unless the function logs elsewhere.
    """
    if log_format.upper() == "JSON":
        pattern = f'{{ $.type = "platform.report" && $.record.requestId = "{request_id}" }}'
    else:
        pattern = f'"REPORT RequestId: {request_id}"'
    deadline = time.monotonic() + wait_s
    stats = ParseStats()
    while True:
        kwargs: dict[str, Any] = {"logGroupName": log_group, "filterPattern": pattern}
        if start_time_ms is not None:
            kwargs["startTime"] = start_time_ms
        try:
            for page in logs_client.get_paginator("filter_log_events").paginate(**kwargs):
                for event in page.get("events", []):
                    record = try_parse_record(event.get("message", ""), stats)
                    if isinstance(record, Report) and record.request_id == request_id:
                        return record
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
        except BotoCoreError:
            raise
        if time.monotonic() >= deadline:
            return None
        time.sleep(poll_s)
