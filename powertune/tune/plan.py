"""What a tuning run will do: sizes, invocations, payloads, limits. Pure parsing, no AWS calls."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from powertune import validate
from powertune.errors import InputError
from powertune.models.cpu_share import MAX_MEMORY_MB, MIN_MEMORY_MB

# aws-lambda-power-tuning's "ALL" power values: its own list of every 64 MB step from 128 MB.
POWER_TUNING_ALL = [128 + 64 * i for i in range((3008 - 128) // 64 + 1)]
REFERENCE_GRID = [128, 256, 512, 1024, 1536, 3008]
_FUNCTION_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:"
    r"(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>[A-Za-z0-9$_-]+))?$"
)
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class FunctionRef:
    """A function named by name or ARN; a qualified ARN tunes its function (qualifier dropped)."""

    name: str
    region: str | None = None
    account: str | None = None
    qualifier: str | None = None

    @property
    def arn(self) -> str | None:
        if self.region and self.account:
            return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"
        return None


def parse_function(value: str) -> FunctionRef:
    match = _FUNCTION_ARN.match(value)
    if match:
        return FunctionRef(
            name=match["name"],
            region=match["region"],
            account=match["account"],
            qualifier=match["qualifier"],
        )
    if _FUNCTION_NAME.match(value):
        return FunctionRef(name=value)
    raise InputError(
        f"not a Lambda function name or ARN: {value!r} "
        "(names: 1-64 letters, digits, '-' or '_'; "
        "ARNs: arn:aws:lambda:REGION:ACCOUNT:function:NAME)"
    )


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
    """The payloads to send, with their weights; ``schedule(n)`` says which one each of ``n``
    invocations sends."""

    items: tuple[bytes, ...]
    weights: tuple[int, ...]
    per_invocation: bool = False  # JSONL: one payload per invocation, in order, cycling

    def schedule(self, count: int) -> list[int]:
        """Which payload each of ``count`` invocations sends (weights by largest remainder,
        interleaved so that a partial batch still sees every payload in proportion)."""
        if self.per_invocation or len(self.items) == 1:
            return [i % len(self.items) for i in range(count)]
        total = sum(self.weights)
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
    notes: list[str] = field(default_factory=list)


_PT_STRATEGIES = {"cost": "cost", "speed": "speed", "balanced": "balanced"}
_PT_UNSUPPORTED = ("preProcessorARN", "postProcessorARN", "payloadS3")


def parse_power_tuning_input(path: str) -> PowerTuningInput:
    """Read the JSON that starts an aws-lambda-power-tuning execution."""
    text = _read_at("@" + path)
    data = validate.loads(text, path)
    if not isinstance(data, dict) or not isinstance(data.get("lambdaARN"), str):
        raise InputError(f"{path}: an aws-lambda-power-tuning input needs a lambdaARN")
    for key in _PT_UNSUPPORTED:
        if data.get(key):
            raise InputError(f"{path}: {key} is not supported by powertune (yet)")
    power = data.get("powerValues", "ALL")
    if power == "ALL":
        memory = list(POWER_TUNING_ALL)
    elif isinstance(power, list) and power:
        memory = sorted({_memory_value(str(v)) for v in power})
    else:
        raise InputError(f'{path}: powerValues must be a list of sizes or "ALL"')
    num = data.get("num")
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise InputError(f"{path}: num must be a whole number >= 1")
    strategy = _PT_STRATEGIES.get(str(data.get("strategy", "cost")))
    if strategy is None:
        known = ", ".join(_PT_STRATEGIES)
        raise InputError(f"{path}: unknown strategy {data.get('strategy')!r} (known: {known})")
    payload = data.get("payload", {})
    if (
        isinstance(payload, list)
        and payload
        and all(isinstance(p, dict) and "payload" in p for p in payload)
    ):
        weights = []
        for p in payload:
            weight = p.get("weight", 1)
            if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
                raise InputError(f"{path}: payload weights must be whole numbers >= 1")
            weights.append(weight)
        payloads = Payloads(
            items=tuple(_json_bytes(p["payload"]) for p in payload), weights=tuple(weights)
        )
    else:
        payloads = Payloads(items=(_json_bytes(payload),), weights=(1,))
    notes = []
    if data.get("autoOptimize"):
        notes.append("autoOptimize is ignored: powertune never changes the live configuration")
    trim = 0.2 if data.get("discardTopBottom") is None else float(data["discardTopBottom"])
    if not 0 <= trim < 0.5:
        raise InputError(f"{path}: discardTopBottom must be within [0, 0.5)")
    return PowerTuningInput(
        function=data["lambdaARN"],
        memory=memory,
        invocations=num,
        payloads=payloads,
        concurrency=None if data.get("parallelInvocation") else 1,
        strategy=strategy,
        balanced_weight=float(data.get("balancedWeight", 0.5)),
        trim=trim,
        cold_starts=bool(data.get("onlyColdStarts", False)),
        sleep_ms=int(data.get("sleepBetweenRunsMs", 0) or 0),
        notes=notes,
    )
