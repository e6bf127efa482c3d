"""The CI gate: compare a current Result with a baseline, per function and per check.

A check fails only when the increase exceeds its threshold *and* the measurement noise says the
increase is real at 95%: the raw samples of both results are bootstrapped into an interval of the
change, and a fail needs that interval to lie above zero. An increase past the threshold that the
noise cannot confirm is a warning. This keeps an unchanged function quiet across noisy reruns.

    verdict = compare(load_result("base.json"), load_result("cur.json"), Thresholds())
    verdict.exit_code  # 0 pass (warnings allowed), 1 regression
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import numpy as np

from powertune.config import GateSettings
from powertune.results.model import FunctionResult, Measurement, Result

Status = Literal["pass", "warn", "fail"]
Presence = Literal["compared", "new", "gone"]

_RANK: dict[str, int] = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """Allowed increases. Fractions (0.05 = 5%); the monthly one is US dollars (None = no check)."""

    max_cost_increase: float = 0.05
    max_p95_increase: float = 0.10
    max_monthly_increase_usd: Decimal | None = None
    confidence: float = 0.95
    resamples: int = 2000
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class Check:
    """One comparison. ``change`` is relative (0.2 = +20%) for cost/p95, dollars for monthly."""

    name: Literal["cost", "p95", "monthly"]
    status: Status
    baseline: float | None
    current: float | None
    change: float | None
    interval: tuple[float, float] | None
    threshold: float
    message: str


@dataclass(frozen=True, kw_only=True)
class FunctionVerdict:
    name: str
    presence: Presence
    status: Status
    checks: tuple[Check, ...] = ()
    warnings: tuple[str, ...] = ()
    baseline_memory_mb: int | None = None
    current_memory_mb: int | None = None


@dataclass(frozen=True, kw_only=True)
class Verdict:
    status: Status
    functions: tuple[FunctionVerdict, ...]
    warnings: tuple[str, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def exit_code(self) -> int:
        """0 pass (warnings allowed), 1 regression."""
        return 1 if self.status == "fail" else 0

    def function(self, name: str) -> FunctionVerdict | None:
        return next((f for f in self.functions if f.name == name), None)


def thresholds_from(
    settings: GateSettings | None = None,
    *,
    max_cost_increase: float | None = None,
    max_p95_increase: float | None = None,
    max_monthly_increase_usd: Decimal | None = None,
) -> Thresholds:
    """Thresholds from the config's [gate] section with flags (already parsed) on top."""
    s = settings or GateSettings()
    default = Thresholds()

    def pick(flag: Any, configured: Any, fallback: Any) -> Any:
        return flag if flag is not None else configured if configured is not None else fallback

    return Thresholds(
        max_cost_increase=pick(max_cost_increase, s.max_cost_increase, default.max_cost_increase),
        max_p95_increase=pick(max_p95_increase, s.max_p95_increase, default.max_p95_increase),
        max_monthly_increase_usd=pick(
            max_monthly_increase_usd, s.max_monthly_increase_usd, default.max_monthly_increase_usd
        ),
    )


def regenerate_command(current: Result | None, baseline_path: str) -> str:
    """The command that writes a fresh baseline, built from the current run when there is one."""
    if current is None or not current.functions:
        return f"powertune tune FUNCTION --json {baseline_path}"
    fn = current.functions[0]
    parts = ["powertune", "tune"]
    if current.run.target == "replay" and current.run.replay is not None:
        parts += ["--replay", current.run.replay.source]
    else:
        parts.append(fn.arn or fn.name)
    if current.run.search == "grid":
        sizes = ",".join(
            str(m.memory_mb) for m in sorted(fn.measurements, key=lambda m: m.memory_mb)
        )
        parts += ["--search", "grid", "--memory", sizes]
    parts += ["--strategy", current.run.strategy, "--json", baseline_path]
    if current.run.endpoint_url:
        parts += ["--endpoint-url", current.run.endpoint_url]
    return " ".join(parts)


def compare(baseline: Result, current: Result, thresholds: Thresholds | None = None) -> Verdict:
    """Judge ``current`` against ``baseline``: pass, warn or fail per function and check."""
    th = thresholds or Thresholds()
    rng = np.random.default_rng(th.seed)
    verdicts: list[FunctionVerdict] = []
    base_by_name = {f.name: f for f in baseline.functions}
    for fn in current.functions:
        base = base_by_name.get(fn.name)
        if base is None:
            verdicts.append(
                FunctionVerdict(
                    name=fn.name,
                    presence="new",
                    status="warn",
                    warnings=("new function: not in the baseline, nothing to compare",),
                    current_memory_mb=_rec_mb(fn),
                )
            )
            continue
        verdicts.append(_compare_function(base, fn, baseline, current, th, rng))
    current_names = {f.name for f in current.functions}
    for base in baseline.functions:
        if base.name not in current_names:
            verdicts.append(
                FunctionVerdict(
                    name=base.name,
                    presence="gone",
                    status="warn",
                    warnings=("gone: in the baseline but not in the current result",),
                    baseline_memory_mb=_rec_mb(base),
                )
            )
    warnings = tuple(_result_warnings(baseline, current))
    statuses = [v.status for v in verdicts] + (["warn"] if warnings else [])
    return Verdict(
        status=_worst(statuses), functions=tuple(verdicts), warnings=warnings, thresholds=th
    )


def _worst(statuses: Sequence[str]) -> Status:
    worst = max(statuses, key=lambda s: _RANK[s], default="pass")
    return worst  # type: ignore[return-value]


def _rec_mb(fn: FunctionResult) -> int | None:
    return fn.recommendation.memory_mb if fn.recommendation else None


def _result_warnings(baseline: Result, current: Result) -> list[str]:
    out = []
    if baseline.schema_version != current.schema_version:
        out.append(
            f"schema version differs: baseline {baseline.schema_version}, "
            f"current {current.schema_version}"
        )
    if baseline.pricing.catalog_version != current.pricing.catalog_version:
        out.append(
            f"pricing catalog differs: baseline {baseline.pricing.catalog_version}, "
            f"current {current.pricing.catalog_version} (prices, not code, may explain a change)"
        )
    if baseline.pricing.region != current.pricing.region:
        out.append(
            f"pricing region differs: baseline {baseline.pricing.region}, "
            f"current {current.pricing.region}"
        )
    if baseline.run.target != current.run.target:
        out.append(f"target differs: baseline {baseline.run.target}, current {current.run.target}")
    return out


def _function_warnings(
    base: FunctionResult, cur: FunctionResult, baseline: Result, current: Result
) -> list[str]:
    out = []
    if base.region != cur.region:
        out.append(f"region differs: baseline {base.region}, current {cur.region}")
    if base.architecture != cur.architecture:
        out.append(
            f"architecture differs: baseline {base.architecture}, current {cur.architecture}"
        )
    base_payload = base.payload_sha256 or baseline.run.payload_sha256
    cur_payload = cur.payload_sha256 or current.run.payload_sha256
    if base_payload and cur_payload and base_payload != cur_payload:
        out.append("payload differs from the baseline's: timings may not be comparable")
    br, cr = base.recommendation, cur.recommendation
    if br and cr and br.strategy != cr.strategy:
        out.append(f"strategy differs: baseline {br.strategy}, current {cr.strategy}")
    return out


def _compare_function(
    base: FunctionResult,
    cur: FunctionResult,
    baseline: Result,
    current: Result,
    th: Thresholds,
    rng: np.random.Generator,
) -> FunctionVerdict:
    warnings = _function_warnings(base, cur, baseline, current)
    checks: list[Check] = []
    br, cr = base.recommendation, cur.recommendation
    if br is None or cr is None:
        side = "baseline" if br is None else "current result"
        warnings.append(f"no recommendation in the {side}: nothing to compare")
    else:
        n = th.resamples
        base_cost_f = _noise(base, br.memory_mb, _billed, np.mean, n, rng)
        cur_cost_f = _noise(cur, cr.memory_mb, _billed, np.mean, n, rng)
        checks.append(
            _relative_check(
                "cost",
                _f(br.cost_per_invocation_usd),
                _f(cr.cost_per_invocation_usd),
                base_cost_f,
                cur_cost_f,
                th.max_cost_increase,
                th.confidence,
            )
        )
        size, base_p95, cur_p95 = _p95_pair(base, cur)
        if size is None and br.memory_mb != cr.memory_mb:
            warnings.append(
                f"recommended size moved from {br.memory_mb} to {cr.memory_mb} MB and the "
                "baseline has no p95 at the new size: p95 compared across sizes"
            )
        checks.append(
            _relative_check(
                "p95",
                base_p95,
                cur_p95,
                _noise(base, size or br.memory_mb, _durations, _p95, n, rng),
                _noise(cur, size or cr.memory_mb, _durations, _p95, n, rng),
                th.max_p95_increase,
                th.confidence,
            )
        )
        if th.max_monthly_increase_usd is not None:
            checks.append(
                _monthly_check(
                    _f(br.monthly.recommended_usd) if br.monthly else None,
                    _f(cr.monthly.recommended_usd) if cr.monthly else None,
                    base_cost_f,
                    cur_cost_f,
                    float(th.max_monthly_increase_usd),
                    th.confidence,
                )
            )
    status = _worst([c.status for c in checks] + (["warn"] if warnings else []))
    return FunctionVerdict(
        name=cur.name,
        presence="compared",
        status=status,
        checks=tuple(checks),
        warnings=tuple(warnings),
        baseline_memory_mb=_rec_mb(base),
        current_memory_mb=_rec_mb(cur),
    )


def _p95_pair(
    base: FunctionResult, cur: FunctionResult
) -> tuple[int | None, float | None, float | None]:
    """The p95 of both results at one size: the current recommendation's, when the baseline
    has it too (measured, else on the fitted curve); otherwise each recommendation's own.

    Comparing at one size matters: on a flat cost curve a noisy rerun may recommend 512 MB
    instead of 1024 MB, which doubles p95 without any change to the code.
    """
    assert base.recommendation is not None and cur.recommendation is not None
    size = cur.recommendation.memory_mb
    for lookup in (_measured_p95, _curve_p95):
        b, c = lookup(base, size), lookup(cur, size)
        if b is not None and c is not None:
            return size, b, c
    return None, base.recommendation.duration_ms_p95, cur.recommendation.duration_ms_p95


def _measured_p95(fn: FunctionResult, size: int) -> float | None:
    m = fn.measurement(size)
    return m.duration_ms.p95 if m is not None and m.measured and m.duration_ms else None


def _curve_p95(fn: FunctionResult, size: int) -> float | None:
    if fn.model is None or fn.model.status != "fitted":
        return None
    point = next((p for p in fn.model.curve if p.memory_mb == size), None)
    return point.duration_p95 if point is not None else None


def _f(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _billed(m: Measurement) -> list[float]:
    return [
        float(s.billed_ms if s.billed_ms is not None else s.duration_ms) for s in m.samples if s.ok
    ]


def _durations(m: Measurement) -> list[float]:
    return [s.duration_ms for s in m.samples if s.ok]


def _p95(a: np.ndarray, axis: int) -> np.ndarray:
    return np.percentile(a, 95, axis=axis)


def _noise(
    fn: FunctionResult,
    memory_mb: int,
    values: Callable[[Measurement], list[float]],
    stat: Callable[..., np.ndarray],
    resamples: int,
    rng: np.random.Generator,
) -> np.ndarray | None:
    """Bootstrap multiplicative noise of ``stat`` at ``memory_mb`` (draws / observed).

    Uses the samples measured at that size, or at the nearest measured size when the
    recommendation is a model prediction between sizes (the relative noise carries over).
    None when the result holds no samples.
    """
    candidates = [m for m in fn.measured() if len(values(m)) >= 2]
    if not candidates:
        return None
    m = min(candidates, key=lambda c: (abs(c.memory_mb - memory_mb), c.memory_mb))
    arr = np.asarray(values(m), dtype=float)
    observed = float(stat(arr, axis=0))
    if observed <= 0:
        return None
    idx = rng.integers(0, len(arr), size=(resamples, len(arr)))
    return np.asarray(stat(arr[idx], axis=1), dtype=float) / observed


def _interval(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1.0 - confidence) / 2.0 * 100.0
    lo, hi = np.percentile(draws, [tail, 100.0 - tail])
    return float(lo), float(hi)


def _judge(change: float, threshold: float, interval: tuple[float, float] | None) -> Status:
    if change <= threshold:
        return "pass"
    if interval is not None and interval[0] > 0:
        return "fail"
    return "warn"


def _combine(
    base_f: np.ndarray | None, cur_f: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray] | None:
    if base_f is None and cur_f is None:
        return None
    n = len(base_f) if base_f is not None else len(cur_f)  # type: ignore[arg-type]
    ones = np.ones(n)
    return (base_f if base_f is not None else ones, cur_f if cur_f is not None else ones)


def _relative_check(
    name: Literal["cost", "p95"],
    base: float | None,
    cur: float | None,
    base_f: np.ndarray | None,
    cur_f: np.ndarray | None,
    threshold: float,
    confidence: float,
) -> Check:
    label = "cost per invocation" if name == "cost" else "p95 duration"
    if base is None or cur is None or base <= 0:
        return Check(
            name=name,
            status="warn",
            baseline=base,
            current=cur,
            change=None,
            interval=None,
            threshold=threshold,
            message=f"{label} unknown in one result: not compared",
        )
    change = cur / base - 1.0
    factors = _combine(base_f, cur_f)
    interval = None
    if factors is not None:
        interval = _interval((cur * factors[1]) / (base * factors[0]) - 1.0, confidence)
    status = _judge(change, threshold, interval)
    message = _message(label, change, threshold, interval, status, pct=True)
    return Check(
        name=name,
        status=status,
        baseline=base,
        current=cur,
        change=change,
        interval=interval,
        threshold=threshold,
        message=message,
    )


def _monthly_check(
    base: float | None,
    cur: float | None,
    base_f: np.ndarray | None,
    cur_f: np.ndarray | None,
    threshold: float,
    confidence: float,
) -> Check:
    if base is None or cur is None:
        return Check(
            name="monthly",
            status="warn",
            baseline=base,
            current=cur,
            change=None,
            interval=None,
            threshold=threshold,
            message="monthly cost unknown in one result (no traffic figure): not compared",
        )
    change = cur - base
    factors = _combine(base_f, cur_f)
    interval = None
    if factors is not None:
        interval = _interval(cur * factors[1] - base * factors[0], confidence)
    status = _judge(change, threshold, interval)
    message = _message("monthly cost", change, threshold, interval, status, pct=False)
    return Check(
        name="monthly",
        status=status,
        baseline=base,
        current=cur,
        change=change,
        interval=interval,
        threshold=threshold,
        message=message,
    )


def _message(
    label: str,
    change: float,
    threshold: float,
    interval: tuple[float, float] | None,
    status: Status,
    *,
    pct: bool,
) -> str:
    def fmt(v: float) -> str:
        return f"{v * 100:+.1f}%" if pct else f"{'+' if v >= 0 else '-'}${abs(v):,.2f}"

    limit = f"{threshold * 100:.1f}%" if pct else f"${threshold:,.2f}"
    ci = f" (95% interval {fmt(interval[0])} to {fmt(interval[1])})" if interval else ""
    head = f"{label} {fmt(change)}{ci}"
    if status == "pass":
        return f"{head}, within {limit}"
    if status == "fail":
        return f"{head}: exceeds {limit} and is beyond the measurement noise"
    if interval is None:
        return f"{head}: exceeds {limit}, but no samples to tell it from noise"
    return f"{head}: exceeds {limit}, but within the measurement noise"
