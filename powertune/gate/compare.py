"""The CI gate: compare a current Result with a baseline, per function and per check.

A check fails only when the increase exceeds its threshold *and* the raw measurements confirm it:
at a memory size both results measured, the change of the measured statistic must itself exceed
the threshold with a 95% interval above zero (Welch's t on the log ratio of mean billed
durations for cost; a bootstrap of the p95 ratio with 20+ invocations a side, else Welch on the
means). An increase the measurements cannot confirm is a warning, so an unchanged function stays
quiet across noisy reruns, even adaptive ones with a handful of invocations per size.

    verdict = compare(load_result("base.json"), load_result("cur.json"), Thresholds())
    verdict.exit_code  # 0 pass (warnings allowed), 1 regression
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import numpy as np

from powertune.errors import InputError
from powertune.gate.sanity import check_result, check_unique_names
from powertune.gate.student_t import t_quantile
from powertune.results.errors import InvalidResult
from powertune.results.jsonio import load_result
from powertune.results.model import FunctionResult, Measurement, Result
from powertune.tune.config import GateSettings

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
    allow_missing: bool = False  # a baseline function missing from the current result: warn


@dataclass(frozen=True, kw_only=True)
class Check:
    """One comparison. ``change`` is relative (0.2 = +20%) for cost/p95, dollars for monthly."""

    name: Literal["cost", "p95", "monthly"]
    status: Status
    baseline: float | None
    current: float | None
    change: float | None
    threshold: float
    evidence: Evidence | None
    message: str


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What the raw invocations say: the relative change of the statistic at one memory size
    both results measured, with its 95% interval."""

    memory_mb: int
    change: float
    interval: tuple[float, float]
    baseline_n: int
    current_n: int
    method: Literal["welch", "bootstrap"]

    def describe(self) -> str:
        lo, hi = self.interval
        return (
            f"measured at {self.memory_mb} MB {_pct(self.change)} (95% interval {_pct(lo)} to "
            f"{_pct(hi)}, {self.baseline_n} vs {self.current_n} invocations)"
        )


@dataclass(frozen=True, kw_only=True)
class FunctionVerdict:
    name: str
    presence: Presence
    status: Status
    checks: tuple[Check, ...] = ()
    warnings: tuple[str, ...] = ()
    baseline_memory_mb: int | None = None
    current_memory_mb: int | None = None
    # the recommendation's $/month, current minus baseline, whenever both results know the
    # traffic (with or without a --max-monthly-increase check): what a reviewer reads first
    monthly_change_usd: Decimal | None = None
    baseline_monthly_usd: Decimal | None = None
    current_monthly_usd: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class Verdict:
    status: Status
    functions: tuple[FunctionVerdict, ...]
    warnings: tuple[str, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    # notes that are not warnings (a first run without a baseline passes with one)
    notes: tuple[str, ...] = ()
    baseline_found: bool = True

    @property
    def monthly_change_usd(self) -> Decimal | None:
        """The $/month change summed over the functions whose traffic both results know."""
        known = [f.monthly_change_usd for f in self.functions if f.monthly_change_usd is not None]
        return sum(known, Decimal(0)) if known else None

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
    allow_missing: bool = False,
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
        allow_missing=allow_missing,
    )


def regenerate_command(current: Result | None, baseline_path: str) -> str:
    """The command that writes a fresh baseline, built from the current run when there is one."""
    if current is None or not current.functions:
        return f"powertune tune FUNCTION --json {baseline_path}"
    fn = current.functions[0]
    parts = ["powertune", "tune"]
    if current.run.target == "replay" and current.run.replay is not None:
        if not fn.name.startswith("replay:"):
            parts.append(fn.name)
        parts += ["--replay", current.run.replay.source]
    else:
        parts.append(fn.arn or fn.name)
    if current.run.search == "grid":
        sizes = ",".join(
            str(m.memory_mb) for m in sorted(fn.measurements, key=lambda m: m.memory_mb)
        )
        per_size = max((m.invocations for m in fn.measurements), default=0)
        parts += ["--search", "grid", "--memory", sizes]
        if per_size:
            parts += ["--invocations", str(per_size)]
    parts += ["--strategy", current.run.strategy, "--json", baseline_path]
    endpoint = current.run.endpoint_url
    # a loopback endpoint is a runtime that is gone once its run ended: naming it would hand
    # the reader a command that cannot connect
    if endpoint and not _is_loopback(endpoint):
        parts += ["--endpoint-url", endpoint]
    elif current.run.target == "local":
        parts += ["--local", "PATH[:module.handler]"]
    return " ".join(parts)


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def compare_to_baseline_file(
    baseline_path: str | Path,
    current: Result,
    thresholds: Thresholds | None = None,
    *,
    baseline_optional: bool = False,
) -> Verdict:
    """Load the baseline and compare (what ``tune --baseline`` and ``gate`` call).

    A missing baseline is a usage error (exit 2), or with ``baseline_optional`` (the first run
    of a new gate) a pass with a note. A baseline that cannot be read raises InvalidResult
    (exit 3); both messages end with the command that writes it."""
    path = Path(baseline_path)
    command = regenerate_command(current, str(baseline_path))
    if not path.exists():
        if baseline_optional:
            return first_run_verdict(current, str(baseline_path), thresholds)
        raise InputError(
            f"{baseline_path}: no such baseline file; write it with: {command} "
            "(or pass --baseline-optional to pass a first run without one)"
        )
    try:
        baseline = load_result(baseline_path)
    except InvalidResult as exc:
        raise InvalidResult(f"{exc}; regenerate the baseline with: {command}") from None
    return compare(baseline, current, thresholds)


def first_run_verdict(
    current: Result, baseline_path: str, thresholds: Thresholds | None = None
) -> Verdict:
    """The verdict of a run with no baseline yet: pass, every function new, one note."""
    check_unique_names(current, "current")
    note = (
        f"no baseline at {baseline_path}: first run, nothing to compare; commit this run's "
        f"result as the baseline ({regenerate_command(current, baseline_path)})"
    )
    functions = tuple(
        FunctionVerdict(
            name=fn.name,
            presence="new",
            status="pass",
            current_memory_mb=_rec_mb(fn),
            current_monthly_usd=_monthly(fn),
        )
        for fn in current.functions
    )
    return Verdict(
        status="pass",
        functions=functions,
        thresholds=thresholds or Thresholds(),
        notes=(note,),
        baseline_found=False,
    )


def _monthly(fn: FunctionResult) -> Decimal | None:
    rec = fn.recommendation
    return rec.monthly.recommended_usd if rec is not None and rec.monthly is not None else None


def compare(baseline: Result, current: Result, thresholds: Thresholds | None = None) -> Verdict:
    """Judge ``current`` against ``baseline``: pass, warn or fail per function and check."""
    th = thresholds or Thresholds()
    check_result(baseline, "baseline")
    check_result(current, "current")
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
                    current_monthly_usd=_monthly(fn),
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
                    status="warn" if th.allow_missing else "fail",
                    warnings=(
                        "gone: in the baseline but not in the current result"
                        + ("" if th.allow_missing else " (--allow-missing accepts that)"),
                    ),
                    baseline_memory_mb=_rec_mb(base),
                    baseline_monthly_usd=_monthly(base),
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
        size = _common_size(base, cur, cr.memory_mb)
        cost_ev = p95_ev = None
        if size is not None:
            b, c = base.measurement(size), cur.measurement(size)
            assert b is not None and c is not None
            cost_ev = welch_evidence(size, _billed(b), _billed(c), th.confidence)
            p95_ev = p95_evidence(size, _durations(b), _durations(c), th, rng)
        checks.append(
            _check(
                "cost",
                _f(br.cost_per_invocation_usd),
                _f(cr.cost_per_invocation_usd),
                th.max_cost_increase,
                cost_ev,
            )
        )
        p95_size, base_p95, cur_p95 = _p95_pair(base, cur)
        if p95_size is None and br.memory_mb != cr.memory_mb:
            warnings.append(
                f"recommended size moved from {br.memory_mb} to {cr.memory_mb} MB and the "
                "baseline has no p95 at the new size: p95 compared across sizes"
            )
        checks.append(_check("p95", base_p95, cur_p95, th.max_p95_increase, p95_ev))
        if th.max_monthly_increase_usd is not None:
            bm, cm = br.monthly, cr.monthly
            if bm and cm and _traffic_differs(bm.invocations, cm.invocations):
                warnings.append(
                    f"traffic differs ({bm.invocations:,} vs {cm.invocations:,} invocations a "
                    "month): the monthly change includes it"
                )
            checks.append(
                _check(
                    "monthly",
                    _f(bm.recommended_usd) if bm else None,
                    _f(cm.recommended_usd) if cm else None,
                    float(th.max_monthly_increase_usd),
                    cost_ev,
                )
            )
    status = _worst([c.status for c in checks] + (["warn"] if warnings else []))
    base_mo, cur_mo = _monthly(base), _monthly(cur)
    return FunctionVerdict(
        name=cur.name,
        presence="compared",
        status=status,
        checks=tuple(checks),
        warnings=tuple(warnings),
        baseline_memory_mb=_rec_mb(base),
        current_memory_mb=_rec_mb(cur),
        monthly_change_usd=None if base_mo is None or cur_mo is None else cur_mo - base_mo,
        baseline_monthly_usd=base_mo,
        current_monthly_usd=cur_mo,
    )


def _traffic_differs(a: int, b: int) -> bool:
    return abs(a - b) > 0.1 * max(a, b, 1)


def _common_size(base: FunctionResult, cur: FunctionResult, near_mb: int) -> int | None:
    """The size both results measured (2+ successful invocations each), nearest ``near_mb``."""
    sizes = [
        m.memory_mb
        for m in cur.measured()
        if len(_durations(m)) >= 2
        and (b := base.measurement(m.memory_mb)) is not None
        and b.measured
        and len(_durations(b)) >= 2
    ]
    return min(sizes, key=lambda s: (abs(s - near_mb), s)) if sizes else None


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


FEW_INVOCATIONS = 10  # below this per side, a warning suggests measuring more
P95_MIN_SAMPLES = 20  # below this a sample's p95 is about its maximum: test the mean instead


def welch_evidence(
    size: int, base: list[float], cur: list[float], confidence: float
) -> Evidence | None:
    """Welch's t interval of the ratio of means, on the log scale (delta method)."""
    b, c = np.asarray(base, dtype=float), np.asarray(cur, dtype=float)
    if len(b) < 2 or len(c) < 2 or b.mean() <= 0 or c.mean() <= 0:
        return None
    ratio = float(c.mean() / b.mean())
    vb = float(b.var(ddof=1)) / (len(b) * float(b.mean()) ** 2)
    vc = float(c.var(ddof=1)) / (len(c) * float(c.mean()) ** 2)
    se = (vb + vc) ** 0.5
    if se == 0:
        interval = (ratio - 1.0, ratio - 1.0)
    else:
        df = (vb + vc) ** 2 / (vb**2 / (len(b) - 1) + vc**2 / (len(c) - 1))
        # Student's t quantile: scipy.special.stdtrit's value (tests/test_student_t.py) without
        # importing scipy, which took longer than the rest of a gate's start-up
        t = t_quantile(df, 0.5 + confidence / 2.0)
        interval = (ratio * float(np.exp(-t * se)) - 1.0, ratio * float(np.exp(t * se)) - 1.0)
    return Evidence(
        memory_mb=size,
        change=ratio - 1.0,
        interval=interval,
        baseline_n=len(b),
        current_n=len(c),
        method="welch",
    )


def p95_evidence(
    size: int, base: list[float], cur: list[float], th: Thresholds, rng: np.random.Generator
) -> Evidence | None:
    if min(len(base), len(cur)) < P95_MIN_SAMPLES:
        return welch_evidence(size, base, cur, th.confidence)
    b, c = np.asarray(base, dtype=float), np.asarray(cur, dtype=float)
    observed = float(np.percentile(c, 95) / np.percentile(b, 95))
    bi = rng.integers(0, len(b), size=(th.resamples, len(b)))
    ci = rng.integers(0, len(c), size=(th.resamples, len(c)))
    draws = np.percentile(c[ci], 95, axis=1) / np.percentile(b[bi], 95, axis=1) - 1.0
    tail = (1.0 - th.confidence) / 2.0 * 100.0
    lo, hi = np.percentile(draws, [tail, 100.0 - tail])
    return Evidence(
        memory_mb=size,
        change=observed - 1.0,
        interval=(float(lo), float(hi)),
        baseline_n=len(b),
        current_n=len(c),
        method="bootstrap",
    )


_LABELS = {"cost": "cost per invocation", "p95": "p95 duration", "monthly": "monthly cost"}


def _check(
    name: Literal["cost", "p95", "monthly"],
    base: float | None,
    cur: float | None,
    threshold: float,
    evidence: Evidence | None,
) -> Check:
    """Judge one check. Relative for cost and p95; dollars for monthly, where the evidence (the
    measured cost per invocation) only has to show a real increase."""
    label = _LABELS[name]
    monthly = name == "monthly"
    if base is None or cur is None or (not monthly and base <= 0):
        return Check(
            name=name,
            status="warn",
            baseline=base,
            current=cur,
            change=None,
            threshold=threshold,
            evidence=evidence,
            message=f"{label} unknown in one result: not compared",
        )
    change = cur - base if monthly else cur / base - 1.0
    shown = _usd(change) if monthly else _pct(change)
    limit = f"${threshold:,.2f}" if monthly else f"{threshold * 100:.1f}%"
    needed = 0.0 if monthly else threshold
    if change <= threshold:
        status: Status = "pass"
        message = f"{label} {shown}, within {limit}"
    elif evidence is None:
        status = "warn"
        message = (
            f"{label} {shown}: exceeds {limit}, but no size measured in both results to tell "
            "it from noise"
        )
    elif evidence.interval[0] > 0 and evidence.change > needed:
        status = "fail"
        message = f"{label} {shown}: exceeds {limit}; {evidence.describe()}: a real increase"
    else:
        status = "warn"
        message = (
            f"{label} {shown}: exceeds {limit}, but the measurements do not confirm it: "
            f"{evidence.describe()}"
        )
        if min(evidence.baseline_n, evidence.current_n) < FEW_INVOCATIONS:
            message += "; for a decisive gate, tune with more (--search grid --invocations 30)"
    return Check(
        name=name,
        status=status,
        baseline=base,
        current=cur,
        change=change,
        threshold=threshold,
        evidence=evidence,
        message=message,
    )


def _pct(v: float) -> str:
    return f"{v * 100:+.1f}%"


def _usd(v: float) -> str:
    return f"{'+' if v >= 0 else '-'}${abs(v):,.2f}"
