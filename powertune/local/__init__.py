"""The embedded Lambda-compatible runtime: real Python handlers behind Lambda's API, with CPU and
memory that follow the memory setting. See ``server.LocalLambda`` and ``cpu`` for the CPU model."""

from powertune.local.packaging import package_function
from powertune.local.server import LocalLambda

__all__ = ["LocalLambda", "package_function"]
