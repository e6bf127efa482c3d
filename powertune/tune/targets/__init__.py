"""Targets: where invocations go (AWS Lambda through boto3, recorded measurements)."""

from powertune.tune.targets.interface import (
    FunctionInfo,
    Sample,
    SizeRejected,
    Target,
    TargetError,
    Throttled,
)

__all__ = ["FunctionInfo", "Sample", "SizeRejected", "Target", "TargetError", "Throttled"]
