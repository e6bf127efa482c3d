"""Targets: where invocations go (AWS Lambda through boto3, recorded measurements).

What a target reports (FunctionInfo, Sample) lives in ``powertune.types``.
"""

from powertune.tune.targets.interface import SizeRejected, Target, TargetError, Throttled

__all__ = ["SizeRejected", "Target", "TargetError", "Throttled"]
