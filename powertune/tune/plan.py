"""What a tuning run will do: sizes, invocations, payloads, limits. Pure parsing, no AWS calls."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from powertune import identity, validate
from powertune.errors import InputError
from powertune.identity import FunctionRef as FunctionRef  # re-exported: plan's callers
from powertune.models.cpu_share import MAX_MEMORY_MB, MIN_MEMORY_MB
from powertune.tune.config import Config

# aws-lambda-power-tuning's "ALL" power values: its own list of every 64 MB step from 128 MB.
POWER_TUNING_ALL = [128 + 64 * i for i in range((3008 - 128) // 64 + 1)]
REFERENCE_GRID = [128, 256, 512, 1024, 1536, 3008]


def parse_function(value: str) -> FunctionRef:
    """A function named by name or ARN (``powertune.identity``); a qualified ARN tunes its
    function (qualifier dropped)."""
    return identity.parse(value)


def parse_memory(spec: str, step: int = 64) -> list[int]:
    """``128,256,512`` (exact sizes) or ``128..3008`` (a range: its ends and every ``step`` MB
    between them, the way a grid search measures it; an adaptive search takes only its ends)."""
    spec = spec.strip()
    if ".." in spec:
        low_s, _, high_s = spec.partition("..")
        low, high = _memory_value(low_s), _memory_value(high_s)
        if low >= high:
            raise InputError(f"memory range {spec!r}: the low end must be below the high end")
        return [*range(low, high, step), high]
    sizes = sorted({_memory_value(part) for part in spec.split(",") if part.strip()})
    if not sizes:
        raise InputError("--memory needs at least one size, e.g. 128,256,512 or 128..3008")
    return sizes


def _memory_value(text: str) -> int:
    try:
        value = int(text.strip().removesuffix("MB").removesuffix("mb").strip())
    except ValueError:
        raise InputError(f"not a memory size in MB: {text.strip()!r}") from None
    if not MIN_MEMORY_MB <= value <= MAX_MEMORY_MB:
        raise InputError(
            f"memory {value} MB is outside Lambda's range {MIN_MEMORY_MB}-{MAX_MEMORY_MB} MB"
        )
    return value


@dataclass(frozen=True)
class Payloads:
    """The payloads to send, with their weights; ``cycle()`` says which one each invocation at a
    size sends, in order (it repeats)."""

    items: tuple[bytes, ...]
    weights: tuple[int, ...]
    per_invocation: bool = False  # JSONL: one payload per invocation, in order, cycling
    # aws-lambda-power-tuning's num: each size sends exactly its split of this many invocations
    # (``power_tuning_counts``: floors, the remainder to the last payload); None: the weights'
    # sum, split by largest remainder
    per_size: int | None = None

    def cycle(self) -> list[int]:
        """The payload index of each invocation at a size, repeating (warm-ups included)."""
        if self.per_invocation:
            return list(range(len(self.items)))
        return self.schedule(self.per_size or sum(self.weights))

    def schedule(self, count: int) -> list[int]:
        """Which payload each of ``count`` invocations sends (weights by largest remainder, or
        ``power_tuning_counts`` with ``per_size``; interleaved so that a partial batch still sees
        every payload in proportion)."""
        if self.per_invocation or len(self.items) == 1:
            return [i % len(self.items) for i in range(count)]
        total = sum(self.weights)
        if self.per_size is not None:
            counts = power_tuning_counts(count, self.weights)
        else:
            quotas = [count * w / total for w in self.weights]
            counts = [math.floor(q) for q in quotas]
            for i in sorted(range(len(quotas)), key=lambda i: counts[i] - quotas[i])[
                : count - sum(counts)
            ]:
                counts[i] += 1
        # Interleave: at each step send the payload furthest behind its share.
        sent = [0] * len(counts)
        order: list[int] = []
        for step in range(1, count + 1):
            i = max(
                (j for j in range(len(counts)) if sent[j] < counts[j]),
                key=lambda j: counts[j] * step / count - sent[j],
            )
            sent[i] += 1
            order.append(i)
        return order

    def never_measured(self, invocations: int, warmup: int) -> list[int]:
        """The payloads no measured invocation at a size sends, when each size makes ``warmup``
        discarded invocations and then ``invocations`` measured ones."""
        cycle = self.cycle()
        sent = {cycle[k % len(cycle)] for k in range(warmup, warmup + invocations)}
        return [i for i in range(len(self.items)) if i not in sent]

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for item, weight in zip(self.items, self.weights, strict=True):
            digest.update(len(item).to_bytes(8, "big") + item + weight.to_bytes(8, "big"))
        return digest.hexdigest()


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def parse_payload(value: str | None) -> Payloads:
    """``--payload JSON`` or ``--payload @file``; default ``{}``."""
    if value is None:
        return Payloads(items=(b"{}",), weights=(1,))
    text = _read_at(value) if value.startswith("@") else value
    validate.loads(text, "--payload")
    return Payloads(items=(text.strip().encode(),), weights=(1,))


def parse_payloads_file(path: str) -> Payloads:
    """``--payloads FILE``: a JSON list of {"payload": ..., "weight": n} (weighted), or JSONL with
    one payload per line (one per invocation, in order)."""
    text = _read_at("@" + path)
    stripped = text.strip()
    if stripped.startswith("["):
        items = validate.loads(stripped, path)
        payloads, weights = [], []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or "payload" not in item:
                raise InputError(f'{path}: item {i} needs a "payload" key')
            weight = item.get("weight", 1)
            if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
                raise InputError(f"{path}: item {i}: weight must be a whole number >= 1")
            payloads.append(_json_bytes(item["payload"]))
            weights.append(weight)
        if not payloads:
            raise InputError(f"{path}: no payloads")
        return Payloads(items=tuple(payloads), weights=tuple(weights))
    lines = [line for line in stripped.splitlines() if line.strip()]
    for n, line in enumerate(lines, start=1):
        validate.loads(line, f"{path}:{n}")
    if not lines:
        raise InputError(f"{path}: no payloads")
    return Payloads(
        items=tuple(line.strip().encode() for line in lines),
        weights=(1,) * len(lines),
        per_invocation=True,
    )


def _read_at(value: str) -> str:
    return validate.read_text(value[1:], "payload file")


def parse_money(value: str | None, flag: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value.strip().lstrip("$"))
    except InvalidOperation:
        raise InputError(f"{flag}: not an amount in USD: {value!r}") from None
    if not amount.is_finite() or amount <= 0 or amount > 1_000_000:
        raise InputError(f"{flag} must be a positive amount in USD, at most 1,000,000")
    return amount


@dataclass
class PowerTuningInput:
    """aws-lambda-power-tuning's state machine input, mapped onto powertune's options."""

    function: str
    memory: list[int]
    invocations: int
    payloads: Payloads
    concurrency: int | None
    strategy: str
    balanced_weight: float
    trim: float
    cold_starts: bool
    sleep_ms: int
    dry_run: bool = False
    allowed_errors: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)


_PT_STRATEGIES = {"cost": "cost", "speed": "speed", "balanced": "balanced"}
# Refused, with why: each changes what is sent in a way powertune cannot reproduce.
_PT_UNSUPPORTED = {
    "preProcessorARN": "powertune invokes only the function it tunes; send the pre-processor's "
    "output as --payloads instead",
    "postProcessorARN": "powertune invokes only the function it tunes",
    "payloadS3": "powertune reads no S3 object; download it and pass --payload @FILE "
    "(or --payloads FILE for a weighted list)",
}
# Every key of aws-lambda-power-tuning's input: mapped onto a RunPlan field...
_PT_MAPPED = (
    "lambdaARN",
    "powerValues",
    "num",
    "payload",
    "parallelInvocation",
    "strategy",
    "balancedWeight",
    "discardTopBottom",
    "sleepBetweenRunsMs",
    "onlyColdStarts",
    "dryRun",
    "allowedExceptions",
)
# ...or read and deliberately ignored, with the reason the one note gives
_PT_IGNORED = {
    "autoOptimize": "powertune never changes the live configuration",
    "autoOptimizeAlias": "no alias is pointed at the result (see autoOptimize)",
    "disablePayloadLogs": "powertune never logs payloads or outputs",
    "includeOutputResults": "the result JSON holds every size's measurements anyway",
}
# aws-lambda-power-tuning's deploy-time default power values (its template's PowerValues).
POWER_TUNING_DEFAULT = [128, 256, 512, 1024, 1536, 3008]
PT_MAX_TRIM = 0.4  # its largest discardTopBottom (it clamps; powertune refuses beyond)
PT_MAX_SLEEP_MS = 900_000  # Lambda's longest timeout: its executor could not sleep longer


def parse_power_tuning_input(path: str) -> PowerTuningInput:
    """Read the JSON that starts an aws-lambda-power-tuning execution (its state machine input,
    read as its executor, initializer and analyzer read it; README's table lists every key)."""
    text = _read_at("@" + path)
    data = validate.loads(text, path)
    if not isinstance(data, dict) or not isinstance(data.get("lambdaARN"), str):
        raise InputError(f"{path}: an aws-lambda-power-tuning input needs a lambdaARN")
    if not data["lambdaARN"].strip():
        raise InputError(f"{path}: lambdaARN is empty")
    for key, why in _PT_UNSUPPORTED.items():
        if data.get(key):
            raise InputError(f"{path}: {key} is not supported: {why}")
    strategy = _PT_STRATEGIES.get(str(data.get("strategy") or DEFAULT_STRATEGY))
    if strategy is None:
        known = ", ".join(_PT_STRATEGIES)
        raise InputError(f"{path}: unknown strategy {data.get('strategy')!r} (known: {known})")
    cold_starts = bool(data.get("onlyColdStarts", False))
    num = _pt_num(data.get("num"), path)
    payloads, payload_notes = _pt_payloads(data.get("payload"), num, path)
    trim = _pt_fraction(data, "discardTopBottom", DEFAULT_TRIM, PT_MAX_TRIM, path)
    parallel = bool(data.get("parallelInvocation"))
    sleep_ms = _pt_sleep_ms(data.get("sleepBetweenRunsMs"), path)
    notes = _power_tuning_notes(data) + payload_notes
    if sleep_ms and parallel:
        notes.append(
            "sleepBetweenRunsMs has no effect with parallelInvocation (as in "
            "aws-lambda-power-tuning): invocations are not spaced"
        )
    return PowerTuningInput(
        function=data["lambdaARN"],
        memory=_pt_power_values(data.get("powerValues"), path),
        invocations=num,
        payloads=payloads,
        concurrency=None if parallel else 1,
        strategy=strategy,
        balanced_weight=_pt_fraction(data, "balancedWeight", DEFAULT_BALANCED_WEIGHT, 1.0, path),
        # one invocation per fresh version: every one counts, as its executor does
        trim=0.0 if cold_starts else trim,
        cold_starts=cold_starts,
        sleep_ms=0 if parallel else sleep_ms,
        dry_run=data.get("dryRun") is True,
        allowed_errors=_pt_allowed(data.get("allowedExceptions"), path),
        notes=notes,
    )


def _pt_power_values(value: Any, path: str) -> list[int]:
    """``"ALL"``, a list of sizes, or nothing/an empty list for its deploy-time default."""
    if value == "ALL":
        return list(POWER_TUNING_ALL)
    if value is None or value == []:
        return list(POWER_TUNING_DEFAULT)
    if isinstance(value, list) and all(
        isinstance(v, int | str) and not isinstance(v, bool) for v in value
    ):
        return sorted({_memory_value(str(v)) for v in value})
    raise InputError(f'{path}: powerValues must be a list of sizes or "ALL"')


def _pt_num(value: Any, path: str) -> int:
    """``num``: a whole number, or a string of digits (its executor parses it as an integer)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{path}: num must be a whole number >= 1, not {value!r}")
    return value


def _pt_fraction(data: dict[str, Any], key: str, default: float, top: float, path: str) -> float:
    """A number within [0, top]; out of range is refused (the tool clamps it silently)."""
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{path}: {key} must be a number, not {value!r}")
    if not 0 <= value <= top:
        raise InputError(f"{path}: {key} must be within [0, {top:g}], not {value:g}")
    return float(value)


def _pt_sleep_ms(value: Any, path: str) -> int:
    """``sleepBetweenRunsMs`` as its executor reads it: a number (or numeric text) truncated to
    whole milliseconds; anything that is not a number means no sleep."""
    if isinstance(value, bool) or value is None:
        return 0
    try:
        ms = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return 0
    if not math.isfinite(ms) or ms <= 0:
        return 0
    if ms > PT_MAX_SLEEP_MS:
        raise InputError(f"{path}: sleepBetweenRunsMs above {PT_MAX_SLEEP_MS} ms (15 minutes)")
    return int(ms)


def _pt_allowed(value: Any, path: str) -> frozenset[str]:
    """``allowedExceptions``: the error types that do not fail a size (--allowed-errors)."""
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError(f"{path}: allowedExceptions must be a list of error type names")
    return frozenset(value)


def _pt_payloads(value: Any, num: int, path: str) -> tuple[Payloads, list[str]]:
    """The payload as its executor sends it: a weighted list split by its own rule
    (``power_tuning_counts``), anything else one payload (``power_tuning_payload``)."""
    if _is_weighted(value):
        weights = _pt_weights([p["weight"] for p in value], path)
        items = tuple(power_tuning_payload(p["payload"]) for p in value)
        return Payloads(items=items, weights=weights, per_size=num), []
    notes = []
    if isinstance(value, list) and any(
        isinstance(p, dict) and ("weight" in p or "payload" in p) for p in value
    ):
        notes.append(
            "payload: a list that is not weighted (every item needs a payload and a non-zero "
            "weight), so the whole list is sent as one payload, as aws-lambda-power-tuning does"
        )
    # Its executor reads a missing or empty payload (null, "", 0, false) as null.
    if not _js_truthy(value):
        value = None
    return Payloads(items=(power_tuning_payload(value),), weights=(1,)), notes


def power_tuning_payload(value: Any) -> bytes:
    """One payload as aws-lambda-power-tuning sends it: text that is JSON already as it is
    (``'{"a": 1}'``, ``'[]'``, ``'null'``), any other text and any other value JSON-encoded."""
    if isinstance(value, str):
        try:
            json.loads(value, parse_constant=_no_constant)
            return value.encode()
        except ValueError:
            pass
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def power_tuning_counts(num: int, weights: tuple[int, ...]) -> list[int]:
    """How many of ``num`` invocations send each weighted payload, by aws-lambda-power-tuning's
    rule: floor(weight·num/total) each, the last one taking what is left; a payload that would
    get none is refused, as it refuses it (every payload is sent at every size)."""
    if num < len(weights):
        raise InputError(
            f"{len(weights)} weighted payloads and num={num}: every payload must be sent at "
            f"least once per size; raise num (or --invocations) to {len(weights)} or more"
        )
    total = sum(weights)
    counts = [num * w // total for w in weights]
    if min(counts) < 1:
        raise InputError(
            f"num={num} is too small for the payload weights {list(weights)}: a payload would "
            "never be sent; raise num (or --invocations)"
        )
    counts[-1] = num - sum(counts[:-1])
    return counts


def _is_weighted(value: Any) -> bool:
    """Its rule: a non-empty list whose every item has a (truthy) payload and weight."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(p, dict) and _js_truthy(p.get("payload")) and _js_truthy(p.get("weight"))
            for p in value
        )
    )


def _pt_weights(raw: list[Any], path: str) -> tuple[int, ...]:
    """Relative weights (any positive numbers) as the smallest whole numbers in the same
    proportion: 0.1/0.3/0.6 -> 1/3/6."""
    if not all(
        isinstance(w, int | float) and not isinstance(w, bool) and math.isfinite(w) and w > 0
        for w in raw
    ):
        raise InputError(f"{path}: payload weights must be positive numbers")
    exact = [Fraction(str(w)) for w in raw]
    scale = math.lcm(*(f.denominator for f in exact))
    whole = [int(f * scale) for f in exact]
    common = math.gcd(*whole)
    return tuple(w // common for w in whole)


def _js_truthy(value: Any) -> bool:
    """JavaScript's truthiness: {} and [] are true; null, "", 0 and false are not."""
    if isinstance(value, dict | list):
        return True
    return bool(value)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _power_tuning_notes(data: dict[str, Any]) -> list[str]:
    """One note naming every key of the input that is not mapped: ignored ones with why,
    unknown ones as unknown (a typo should not pass silently)."""
    ignored = [f"{k} ({why})" for k, why in _PT_IGNORED.items() if data.get(k)]
    unknown = sorted(k for k in data if k not in _PT_MAPPED and k not in _PT_IGNORED)
    unknown = [k for k in unknown if k not in _PT_UNSUPPORTED]
    parts = []
    if ignored:
        parts.append("ignored: " + "; ".join(ignored))
    if unknown:
        parts.append("unknown keys, ignored: " + ", ".join(unknown))
    return ["aws-lambda-power-tuning input " + "; ".join(parts)] if parts else []


# -- the run plan ---------------------------------------------------------------------------------
# Every default of a tuning run, written once: the CLI's help, powertune.toml, the search, the
# strategies and the result builder all read these.

DEFAULT_SEARCH = "adaptive"
DEFAULT_RANGE_MB = (MIN_MEMORY_MB, MAX_MEMORY_MB)  # the adaptive range without --memory
DEFAULT_INVOCATIONS = 10  # per size, grid search
DEFAULT_STRATEGY = "cost"
DEFAULT_BALANCED_WEIGHT = 0.5
DEFAULT_PERCENTILE = 95
DEFAULT_TOLERANCE = 0.01
DEFAULT_TIME_BUDGET_S = 60.0  # --local's budget: wall time, not invocations (they are free)
DEFAULT_CONFIDENCE = 0.95
DEFAULT_TRIM = 0.2  # share of the slowest and fastest samples a grid's means leave out
DEFAULT_WARMUP = 1
DEFAULT_CONCURRENCY = 10
MAX_CONCURRENCY = 10_000
DEFAULT_TRAFFIC_DAYS = 14
DEFAULT_ALIAS_PREFIX = "powertune-"
DEFAULT_LOCAL_MEMORY_MB = 1024
DEFAULT_LOCAL_TIMEOUT_S = 60
DEFAULT_REPLAY_REGION = "us-east-1"
SCORING_POWERTUNE = "powertune"
SCORING_POWER_TUNING = "power-tuning"
SCORINGS = (SCORING_POWERTUNE, SCORING_POWER_TUNING)
DEFAULT_ARCH = "x86_64"
TARGET_KINDS = ("aws", "local", "replay")
CPU_MODES = ("auto", "cgroup", "model")


@dataclass(frozen=True)
class StrategySpec:
    """How the size is chosen: the strategy and the options it reads."""

    name: str = DEFAULT_STRATEGY
    balanced_weight: float = DEFAULT_BALANCED_WEIGHT
    max_p95_ms: float | None = None  # the SLO limit, on the ``percentile`` duration
    percentile: int = DEFAULT_PERCENTILE
    # cost/slo: recommend the fastest size within this of the cheapest (0: strictly cheapest)
    tie_band: float = DEFAULT_TOLERANCE
    # how cost, speed and balanced score sizes: powertune's own figures, or exactly as
    # aws-lambda-power-tuning scores them (the default under --from-power-tuning)
    scoring: str = SCORING_POWERTUNE


@dataclass(frozen=True)
class MemorySpec:
    """``--memory`` as given: sizes to choose from, a range's ends and steps, or ``recorded``."""

    text: str | None = None
    sizes: tuple[int, ...] | None = None  # None: the search's own default (or the recording's)
    candidates: bool = False  # a list to choose among, not the ends of a range
    recorded: bool = False  # a replay's own measured sizes

    @property
    def is_range(self) -> bool:
        return self.text is not None and ".." in self.text


@dataclass(frozen=True)
class Budget:
    max_spend_usd: Decimal | None = None
    max_invocations: int | None = None
    # --local: invocations cost nothing but time; measure until the decision holds or this passes
    time_s: float = DEFAULT_TIME_BUDGET_S


@dataclass(frozen=True)
class TargetSpec:
    """Where the invocations go: a deployed function, a local handler, or a recording."""

    kind: str  # one of TARGET_KINDS
    function: str | None = None
    local: str | None = None  # PATH[:module.handler]
    replay: str | None = None  # CSV file or result URL
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None  # Lambda's only
    monitoring_endpoint_url: str | None = None  # CloudWatch metrics and CloudWatch Logs
    alias_prefix: str = DEFAULT_ALIAS_PREFIX
    local_memory_mb: int = DEFAULT_LOCAL_MEMORY_MB
    local_timeout_s: int = DEFAULT_LOCAL_TIMEOUT_S
    cpu: str = "auto"  # --local CPU control, one of CPU_MODES
    extrapolate: bool = False  # --replay outside the recorded range
    arch: str = DEFAULT_ARCH  # --replay: the architecture priced


@dataclass(frozen=True)
class RunPlan:
    """Everything one tuning run will do, decided before anything is touched."""

    target: TargetSpec
    memory: MemorySpec = MemorySpec()
    search: str = DEFAULT_SEARCH  # "adaptive" | "grid"
    invocations: int = DEFAULT_INVOCATIONS
    confirm: int = 0
    strategy: StrategySpec = StrategySpec()
    tolerance: float = DEFAULT_TOLERANCE
    confidence: float = DEFAULT_CONFIDENCE
    budget: Budget = Budget()
    payloads: Payloads = Payloads(items=(b"{}",), weights=(1,))
    warmup: int = DEFAULT_WARMUP
    cold_starts: bool = False
    # share of invocations priced with their INIT billed; None: read from the function's logs
    cold_share: float | None = None
    allowed_errors: frozenset[str] = frozenset()
    # None: fitted to the target (10 for AWS; what the local runtime runs without contention)
    concurrency: int | None = None
    sleep_between_ms: int = 0
    trim: float = DEFAULT_TRIM
    seed: int = 0
    monthly_invocations: int | None = None  # None: the function's traffic from CloudWatch
    traffic_days: int = DEFAULT_TRAFFIC_DAYS
    free_tier: bool = False
    savings_plan: str | None = None
    catalog_path: str | None = None
    compare: str | None = None  # an arm64 twin measured at the recommended size
    # --variant specs (arch=arm64, runtime=python3.13), parsed where twins are planned
    # (``tune.targets.variants``, a stage above this one); measured side by side on twins
    variants: tuple[str, ...] = ()
    variant_bucket: str | None = None  # where a package over the direct-upload limit goes
    baseline: str | None = None  # a baseline result: --confirm also measures its size
    notes: tuple[str, ...] = ()  # for the user: what of the input was ignored, and why
    dry_run: bool = False  # aws-lambda-power-tuning's dryRun: price the plan, invoke nothing

    @property
    def adaptive(self) -> bool:
        return self.search == "adaptive"


@dataclass(frozen=True, kw_only=True)
class TuneFlags:
    """``powertune tune``'s flags as given; None means "not given" (powertune.toml or the
    default decides)."""

    function: str | None = None
    memory: str | None = None
    invocations: int | None = None
    search_kind: str | None = None
    strategy: str | None = None
    balanced_weight: float | None = None
    max_p95_ms: float | None = None
    percentile: int | None = None
    tolerance: float | None = None
    confidence: float | None = None
    tie_band: float | None = None
    cold_share: float | None = None
    payload: str | None = None
    payloads: str | None = None
    warmup: int | None = None
    cold_starts: bool = False
    allowed_errors: str | None = None
    concurrency: int | None = None
    max_spend: str | None = None
    max_invocations: int | None = None
    time_budget: float | None = None
    confirm: int | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    monitoring_endpoint_url: str | None = None
    local: str | None = None
    local_memory: int | None = None
    local_timeout: int | None = None
    cpu: str | None = None
    replay: str | None = None
    extrapolate: bool = False
    arch: str | None = None
    from_power_tuning: str | None = None
    scoring: str | None = None
    alias_prefix: str | None = None
    compare: str | None = None
    variant: list[str] | None = None
    variant_bucket: str | None = None
    monthly_invocations: int | None = None
    days: int | None = None
    free_tier: bool = False
    savings_plan: str | None = None
    catalog_path: str | None = None
    seed: int = 0
    baseline: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> TuneFlags:
        """The flags among ``params`` (a command's parsed parameters; enums by their value)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: getattr(v, "value", v) for k, v in params.items() if k in names})


def _split_csv(value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split(",") if v.strip())


def resolve_plan(flags: TuneFlags, config: Config | None = None) -> RunPlan:
    """The RunPlan of ``flags`` over ``config`` (powertune.toml) over the defaults; bad input is
    an InputError before anything is touched."""
    config = config or Config()
    name = flags.function or (Path(flags.local.split(":", 1)[0]).stem if flags.local else None)
    own = config.for_function(name) if name else config.defaults
    file = own.with_flags(
        memory=flags.memory,
        invocations=flags.invocations,
        confirm=flags.confirm,
        search=flags.search_kind,
        strategy=flags.strategy,
        balanced_weight=flags.balanced_weight,
        max_p95_ms=flags.max_p95_ms,
        tolerance=flags.tolerance,
        monthly_invocations=flags.monthly_invocations,
    )
    percentile = _or(flags.percentile, DEFAULT_PERCENTILE)
    max_p95_ms = file.max_p95_ms
    if max_p95_ms is None and file.max_p99_ms is not None:
        max_p95_ms, percentile = file.max_p99_ms, 99
    strategy = StrategySpec(
        name=file.strategy or DEFAULT_STRATEGY,
        balanced_weight=_or(file.balanced_weight, DEFAULT_BALANCED_WEIGHT),
        max_p95_ms=max_p95_ms,
        percentile=percentile,
        tie_band=_or(flags.tie_band, _or(file.tolerance, DEFAULT_TOLERANCE)),
        scoring=flags.scoring or SCORING_POWERTUNE,
    )
    payload, payloads_file = flags.payload, flags.payloads
    if payload is None and payloads_file is None:
        if file.payload is not None:
            payload = file.payload
        elif file.payload_file is not None:
            payload = "@" + file.payload_file
        payloads_file = file.payloads_file
    plan = RunPlan(
        target=TargetSpec(kind="aws"),
        search=file.search or DEFAULT_SEARCH,
        invocations=file.invocations or DEFAULT_INVOCATIONS,
        confirm=file.confirm or 0,
        strategy=strategy,
        tolerance=_or(file.tolerance, DEFAULT_TOLERANCE),
        confidence=_or(flags.confidence, DEFAULT_CONFIDENCE),
        warmup=_or(flags.warmup, DEFAULT_WARMUP),
        cold_starts=flags.cold_starts,
        cold_share=1.0 if flags.cold_starts and flags.cold_share is None else flags.cold_share,
        allowed_errors=_split_csv(flags.allowed_errors),
        concurrency=flags.concurrency,
        seed=flags.seed,
        monthly_invocations=file.monthly_invocations,
        traffic_days=_or(flags.days, DEFAULT_TRAFFIC_DAYS),
        free_tier=flags.free_tier,
        savings_plan=flags.savings_plan,
        catalog_path=flags.catalog_path,
        compare=flags.compare,
        variants=tuple(flags.variant or ()),
        variant_bucket=flags.variant_bucket,
        baseline=flags.baseline,
    )
    function, memory = flags.function, file.memory
    if flags.from_power_tuning:
        pt = parse_power_tuning_input(flags.from_power_tuning)
        function = function or pt.function
        memory = memory or ",".join(map(str, pt.memory))
        plan = _power_tuning_plan(plan, pt, flags)
    else:
        plan = replace(plan, payloads=_payload_set(payload, payloads_file))
    plan = replace(plan, target=_target_spec(flags, function))
    plan = replace(plan, notes=(*plan.notes, *_unsent_payload_notes(plan)))
    _check(plan)
    _validate_flags(flags)
    return replace(
        plan,
        memory=_memory_spec(memory, plan),
        budget=Budget(
            max_spend_usd=parse_money(flags.max_spend, "--max-spend"),
            max_invocations=flags.max_invocations,
            time_s=_or(flags.time_budget, DEFAULT_TIME_BUDGET_S),
        ),
    )


def _power_tuning_plan(plan: RunPlan, pt: PowerTuningInput, flags: TuneFlags) -> RunPlan:
    """``plan`` with an aws-lambda-power-tuning input's options: the flags on the command line
    win over the input file, which wins over the rest."""
    invocations = _or(flags.invocations, pt.invocations)
    if flags.payload is not None or flags.payloads is not None:
        payloads = _payload_set(flags.payload, flags.payloads)
    elif pt.payloads.per_size is not None:
        # its split of num: every weighted payload sent at every size, or refused as it refuses
        power_tuning_counts(invocations, pt.payloads.weights)
        payloads = replace(pt.payloads, per_size=invocations)
    else:
        payloads = pt.payloads
    concurrency = _or(flags.concurrency, _or(pt.concurrency, plan.concurrency))
    notes = list(pt.notes)
    sleep_ms = pt.sleep_ms
    if sleep_ms and concurrency != 1:
        notes.append(
            f"sleepBetweenRunsMs has no effect with --concurrency {concurrency} (invocations in "
            "parallel, as with parallelInvocation)"
        )
        sleep_ms = 0
    return replace(
        plan,
        invocations=invocations,
        payloads=payloads,
        # its own answer: strictly the cheapest (no tie band unless --tie-band), scored as it
        # scores (unless --scoring)
        strategy=replace(
            plan.strategy,
            name=flags.strategy or pt.strategy,
            balanced_weight=_or(flags.balanced_weight, pt.balanced_weight),
            tie_band=0.0 if flags.tie_band is None else flags.tie_band,
            scoring=flags.scoring or _power_tuning_scoring(flags),
        ),
        cold_starts=plan.cold_starts or pt.cold_starts,
        search=flags.search_kind or "grid",
        trim=pt.trim,
        concurrency=concurrency,
        sleep_between_ms=sleep_ms,
        allowed_errors=plan.allowed_errors if flags.allowed_errors else pt.allowed_errors,
        dry_run=pt.dry_run,
        notes=tuple(notes),
    )


def _power_tuning_scoring(flags: TuneFlags) -> str:
    """Its own scoring, unless the user asked for powertune's: a tie band, or the adaptive
    search (which scores its model curve, not measured sizes)."""
    if flags.tie_band or (flags.search_kind or "grid") != "grid":
        return SCORING_POWERTUNE
    return SCORING_POWER_TUNING


def _unsent_payload_notes(plan: RunPlan) -> list[str]:
    """A grid whose invocations per size are fewer than its payloads leaves some unsent: say
    which, before anything is invoked (an adaptive search's counts per size are its own)."""
    if plan.search != "grid" or len(plan.payloads.items) < 2:
        return []
    warmup = 0 if plan.cold_starts else plan.warmup
    unsent = plan.payloads.never_measured(plan.invocations, warmup)
    if not unsent:
        return []
    listed = ", ".join(str(i + 1) for i in unsent[:10]) + (" ..." if len(unsent) > 10 else "")
    return [
        f"{len(unsent)} of {len(plan.payloads.items)} payloads are never measured at any size "
        f"(payload {listed}): {plan.invocations} invocations per size; raise --invocations to "
        f"at least {len(plan.payloads.items)}"
    ]


def _validate_flags(flags: TuneFlags) -> None:
    """Numbers, URLs, regions and names checked before anything is touched (exit 2)."""
    validate.tune_numbers(
        days=_or(flags.days, DEFAULT_TRAFFIC_DAYS),
        max_p95_ms=flags.max_p95_ms,
        balanced_weight=flags.balanced_weight,
        local_memory_mb=_or(flags.local_memory, DEFAULT_LOCAL_MEMORY_MB),
        local_timeout_s=_or(flags.local_timeout, DEFAULT_LOCAL_TIMEOUT_S),
    )
    # A tuning run's invocations in flight; Lambda's default account limit is 1,000.
    if flags.concurrency is not None and not 1 <= flags.concurrency <= MAX_CONCURRENCY:
        raise InputError(
            f"--concurrency must be within 1-{MAX_CONCURRENCY}, not {flags.concurrency}"
        )
    if flags.time_budget is not None and not 0 < flags.time_budget <= 86400:
        raise InputError(f"--time-budget must be within 0-86400 seconds, not {flags.time_budget}")
    validate.endpoint_url(flags.endpoint_url)
    validate.region(flags.region)
    validate.alias_prefix(_or(flags.alias_prefix, DEFAULT_ALIAS_PREFIX))
    if flags.memory is not None and not flags.memory.strip():
        raise InputError("--memory: empty (a range 128..3008 or sizes 128,256)")


def _payload_set(payload: str | None, payloads_file: str | None) -> Payloads:
    if payload and payloads_file:
        raise InputError("use --payload or --payloads, not both")
    return parse_payloads_file(payloads_file) if payloads_file else parse_payload(payload)


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _target_spec(flags: TuneFlags, function: str | None) -> TargetSpec:
    # `tune NAME --replay FILE` names the function the replay measured (two replays of one
    # function then gate as the same function, not as "new" and "gone")
    named = None if flags.replay else function
    sources = [s for s in (named, flags.local, flags.replay) if s]
    if len(sources) != 1:
        raise InputError("name one function to tune: FUNCTION, --local PATH or --replay FILE")
    kind = "local" if flags.local else "replay" if flags.replay else "aws"
    return TargetSpec(
        kind=kind,
        function=function,
        local=flags.local,
        replay=flags.replay,
        region=flags.region,
        profile=flags.profile,
        endpoint_url=flags.endpoint_url,
        monitoring_endpoint_url=flags.monitoring_endpoint_url,
        alias_prefix=_or(flags.alias_prefix, DEFAULT_ALIAS_PREFIX),
        local_memory_mb=_or(flags.local_memory, DEFAULT_LOCAL_MEMORY_MB),
        local_timeout_s=_or(flags.local_timeout, DEFAULT_LOCAL_TIMEOUT_S),
        cpu=_or(flags.cpu, "auto"),
        extrapolate=flags.extrapolate,
        arch=_or(flags.arch, DEFAULT_ARCH),
    )


def _check(plan: RunPlan) -> None:
    """The checks that need no memory spec (in the order users have seen them)."""
    spec = plan.strategy
    if spec.name == "slo" and spec.max_p95_ms is None:
        raise InputError("--strategy slo needs --max-p95-ms")
    if spec.max_p95_ms is not None and not spec.max_p95_ms > 0:
        raise InputError(f"--max-p95-ms must be above 0, not {spec.max_p95_ms:g}")
    if spec.percentile not in (95, 99):
        raise InputError("--percentile must be 95 or 99")
    if spec.scoring not in SCORINGS:
        raise InputError(f"--scoring must be one of {', '.join(SCORINGS)}, not {spec.scoring!r}")
    if spec.scoring == SCORING_POWER_TUNING and plan.search != "grid":
        raise InputError(
            "--scoring power-tuning scores measured sizes as aws-lambda-power-tuning does: "
            "it needs --search grid"
        )
    if not 0 < plan.tolerance < 1 or not 0 < plan.confidence < 1:
        raise InputError("--tolerance and --confidence must be above 0 and below 1")
    if not 0 <= spec.tie_band < 1:
        raise InputError("--tie-band must be at least 0 and below 1")
    if plan.cold_share is not None and not 0 <= plan.cold_share <= 1:
        raise InputError("--cold-share must be between 0 and 1")
    if plan.variants and plan.target.kind == "replay":
        raise InputError(
            "--variant measures a twin of a deployed or --local function, not a replay"
        )
    if plan.variants and plan.cold_starts:
        raise InputError("--variant compares warm invocations: leave out --cold-starts")
    if plan.variant_bucket is not None and not plan.variants:
        raise InputError("--variant-bucket is for --variant (where the twins' code goes)")
    if plan.variant_bucket is not None and plan.target.kind == "local":
        raise InputError(
            "--variant-bucket is for a deployed function: --local takes the code directly"
        )
    if plan.target.function:
        parse_function(plan.target.function)  # a bad name fails before anything is touched


def _memory_spec(memory: str | None, plan: RunPlan) -> MemorySpec:
    recorded = memory is not None and memory.strip() == "recorded"
    if recorded and plan.target.kind != "replay":
        raise InputError(
            "--memory recorded needs --replay (the sizes a replay has measurements of)"
        )
    sizes = parse_memory(memory, step=64) if memory and not recorded else None
    if plan.confirm and plan.search == "grid":
        raise InputError(
            "--confirm (or confirm in powertune.toml) is for the adaptive search; "
            "a grid measures --invocations"
        )
    if sizes and plan.search == "grid" and memory and ".." in memory:
        sizes = parse_memory(memory, step=128)  # a grid measures a range every 128 MB
    return MemorySpec(
        text=memory,
        sizes=tuple(sizes) if sizes else None,
        candidates=recorded or (memory is not None and ".." not in memory),
        recorded=recorded,
    )
