"""The embedded Lambda-compatible runtime: real Python handlers behind Lambda's own API.

    with LocalLambda(functions={"fn": "examples/functions/cpu_bound"}) as server:
        client = boto3.client("lambda", endpoint_url=server.endpoint_url, ...)
        client.invoke(FunctionName="fn", LogType="Tail")

One port serves the Lambda REST API (functions, versions, aliases, Invoke) and the CloudWatch Logs
read calls (FilterLogEvents, GetLogEvents, Describe*) on ``/aws/lambda/NAME``. Invocations run in
warm worker processes (``environment``), at most one per CPU per version, and only as many at
once as the CPUs this process really has can give their full share (``admission``,
``capacity``); the others wait, unbilled. CPU follows memory through a cgroup quota or a model of
one (``cpu``, ``server.cpu_mode`` says which); ``server.runtime_info()`` (and
``GET /_powertune/runtime``) says what CPUs it has and what contention it saw; memory above
the configured size ends the environment with Runtime.OutOfMemory; REPORT records are written as
Lambda writes them (``records``). ``package_function`` zips a handler for CreateFunction.
Every response carries ``x-powertune-cpu-mode``; INIT_START records name the CPU mode too.
"""

from powertune.local.packaging import package_function
from powertune.local.server import LocalLambda

__all__ = ["LocalLambda", "package_function"]
