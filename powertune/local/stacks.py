"""CloudFormation's ``ListStackResources`` for the stacks a template was served as.

``local serve --template T --stack-name S`` makes stack S known here, so that
``powertune tune --stack S --endpoint-url URL`` (whose CloudFormation client goes to the same
endpoint) finds its functions as it would on AWS. The query protocol: a form-encoded request,
an XML answer; a SAM function is listed as the ``AWS::Lambda::Function`` it becomes.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

_NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
FORM = "application/x-www-form-urlencoded"


class StackStore:
    """Stack name -> its functions' (logical ID, physical name), in template order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stacks: dict[str, list[tuple[str, str]]] = {}
        self._created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def add(self, stack: str, functions: Sequence[tuple[str, str]]) -> None:
        with self._lock:
            self._stacks.setdefault(stack, []).extend(functions)

    def handle(self, body: bytes) -> tuple[int, bytes]:
        """(HTTP status, XML body) for one query-protocol request."""
        params: Mapping[str, list[str]] = parse_qs(body.decode("utf-8", "replace"))
        action = (params.get("Action") or [""])[0]
        if action != "ListStackResources":
            return 400, _error("InvalidAction", f"{action or 'no action'}: not served locally")
        stack = (params.get("StackName") or [""])[0]
        with self._lock:
            found = self._stacks.get(stack)
            members = list(found) if found is not None else None
        if members is None:
            return 400, _error("ValidationError", f"Stack with id {stack} does not exist")
        rows = "".join(
            "<member>"
            f"<LogicalResourceId>{escape(logical)}</LogicalResourceId>"
            f"<PhysicalResourceId>{escape(physical)}</PhysicalResourceId>"
            "<ResourceType>AWS::Lambda::Function</ResourceType>"
            f"<LastUpdatedTimestamp>{self._created}</LastUpdatedTimestamp>"
            "<ResourceStatus>CREATE_COMPLETE</ResourceStatus>"
            "</member>"
            for logical, physical in members
        )
        return 200, (
            f'<ListStackResourcesResponse xmlns="{_NS}"><ListStackResourcesResult>'
            f"<StackResourceSummaries>{rows}</StackResourceSummaries>"
            "</ListStackResourcesResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</ListStackResourcesResponse>"
        ).encode()


def _error(code: str, message: str) -> bytes:
    return (
        f'<ErrorResponse xmlns="{_NS}"><Error><Type>Sender</Type><Code>{escape(code)}</Code>'
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()
