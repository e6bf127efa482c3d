"""Lambda's own limits, as the local runtime enforces them (one place for every figure).

Sources: the Lambda quotas page (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits):
250 MB unzipped deployment package, 50 MB zipped direct upload, 6 MB synchronous request and
response payloads, 1 MB asynchronous (Event) payloads. Limits Lambda does not state (how long a
client may take to send a request, how many events wait) are the runtime's own, chosen so that a
hostile or broken client costs bounded memory, threads and time.
"""

from __future__ import annotations

MB = 1024 * 1024

# --- Lambda's -------------------------------------------------------------------------------
MAX_SYNC_PAYLOAD = 6 * MB  # RequestResponse request and response
MAX_ASYNC_PAYLOAD = 1 * MB  # Event request
MAX_UNZIPPED_BYTES = 262_144_000  # "Unzipped size must be smaller than 262144000 bytes"
MAX_ZIPPED_BYTES = 50 * MB  # CreateFunction's Code.ZipFile, direct upload
MAX_API_BODY = 70 * MB  # a 50 MB zip, base64-encoded, and the rest of CreateFunction's JSON
MAX_CLIENT_CONTEXT = 3583  # X-Amz-Client-Context, base64-encoded
MAX_LIST_ITEMS = 10_000  # MaxItems of ListFunctions, ListVersionsByFunction, ListAliases

# --- the runtime's own ----------------------------------------------------------------------
REQUEST_DEADLINE_S = 60.0  # the whole request (line, headers, body), from its first byte
IDLE_TIMEOUT_S = 30.0  # a keep-alive connection with no request started
SEND_DEADLINE_S = 60.0  # writing one whole response to a client that does not read
MAX_ZIP_ENTRIES = 100_000  # files in one deployment package
MAX_LOG_BYTES = 4 * MB  # one invocation's captured output; the rest is cut with a notice
REPLY_GRACE_S = 30.0  # a worker that started its reply must finish sending it within this
EVENT_WORKERS = 8  # threads running Event invocations (they wait for CPU share anyway)
MAX_QUEUED_EVENTS = 1_000  # Event invocations waiting; more get TooManyRequestsException
MAX_QUEUED_EVENT_BYTES = 64 * MB  # their payloads, together
MAX_CPUS = 1024.0  # --cpus: more than any host this runs on, and finite
