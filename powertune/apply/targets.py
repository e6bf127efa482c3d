"""What a result asks to apply: per function the recommended size, and whether the gate agrees."""

from __future__ import annotations

from dataclasses import dataclass

from powertune import identity
from powertune.apply.policy import Verdict, judge
from powertune.gate.compare import Thresholds
from powertune.identity import FunctionId
from powertune.results.model import FunctionResult, Result

MIN_MB, MAX_MB = 128, 10240


@dataclass(frozen=True)
class Target:
    """One function's recommendation, with what the gate says about moving to it."""

    name: str
    arn: str | None
    region: str
    original_mb: int
    memory_mb: int
    verdict: Verdict
    forced: bool = False

    @property
    def applies(self) -> bool:
        return self.verdict.accepted or self.forced

    @property
    def function_identity(self) -> FunctionId:
        """The function (``powertune.identity``: its ARN's account, region and name)."""
        return identity.of(self.name, self.arn, self.region)

    @property
    def physical_name(self) -> str:
        """The function's name (from the ARN when the result names it by ARN)."""
        return self.function_identity.name

    @property
    def function_id(self) -> str:
        """What the Lambda API is called with: the ARN (or name) without a version or alias."""
        return self.function_identity.arn or self.function_identity.name

    @property
    def account(self) -> str | None:
        return self.function_identity.account

    def label(self) -> str:
        """What to print beside a change: the size, confidence, tie-band reason, the gate."""
        parts = [f"{self.name}: {self.original_mb} -> {self.memory_mb} MB", self.verdict.summary()]
        if self.forced and not self.verdict.accepted:
            parts.append("applied anyway (--force)")
        return "; ".join(parts)


def targets_from_result(
    result: Result,
    *,
    thresholds: Thresholds | None = None,
    force: bool = False,
    raw: dict | None = None,
) -> tuple[list[Target], list[str]]:
    """The functions with a usable recommendation, and a line for each without one.

    ``raw`` is the result's JSON: fields a newer writer added (a tie-band reason) are read from
    it when the dataclasses do not have them yet.
    """
    targets: list[Target] = []
    skipped: list[str] = []
    raw_functions = {
        f.get("name"): f for f in (raw or {}).get("functions", []) if isinstance(f, dict)
    }
    for fn in result.functions:
        rec = fn.recommendation
        if rec is None:
            skipped.append(f"{fn.name}: no recommendation in the result: nothing to apply")
            continue
        if not MIN_MB <= rec.memory_mb <= MAX_MB:
            skipped.append(f"{fn.name}: recommended {rec.memory_mb} MB is outside 128..10240 MB")
            continue
        verdict = judge(fn, result, thresholds or Thresholds(), _raw_rec(raw_functions, fn))
        targets.append(
            Target(
                name=fn.name,
                arn=fn.arn,
                region=fn.region,
                original_mb=fn.original_memory_mb,
                memory_mb=rec.memory_mb,
                verdict=verdict,
                forced=force,
            )
        )
    return targets, skipped


def _raw_rec(raw_functions: dict, fn: FunctionResult) -> dict:
    found = raw_functions.get(fn.name, {}).get("recommendation")
    return found if isinstance(found, dict) else {}
