"""Checks for what users and files hand the tool, run before anything is changed or invoked.

Every failure is an InputError (exit 2) naming the flag or file. JSON is parsed with bounds
(size, nesting depth; Python itself caps integers at 4,300 digits) so that a hostile file is
one error line, not a RecursionError or an exhausted machine.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from powertune.errors import InputError, PowertuneError
from pricing.readfile import FileRefused, ReadFailed, read_bounded_text

MAX_JSON_DEPTH = 200
MAX_JSON_BYTES = 256 * 1024 * 1024
MAX_URL = 2048
_ALIAS_PREFIX = re.compile(r"^[a-zA-Z0-9_-]{1,100}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")


def endpoint_url(value: str | None, flag: str = "--endpoint-url") -> str | None:
    """An http(s) URL with a host and a valid port, or None."""
    if value is None:
        return None
    text = value.strip()
    bad = f"{flag}: expected an http:// or https:// URL like http://127.0.0.1:9001, got "
    if not text or len(text) > MAX_URL or any(ord(c) < 33 or ord(c) == 127 for c in text):
        raise InputError(bad + _quote(value))
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InputError(bad + _quote(value)) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(bad + _quote(value))
    if port is not None and port == 0:
        raise InputError(bad + _quote(value))
    return text


def region(value: str | None, flag: str = "--region") -> str | None:
    """An AWS region name's shape (us-east-1, eu-central-2, us-gov-west-1), or None."""
    if value is None:
        return None
    if not _REGION.match(value):
        raise InputError(f"{flag}: {_quote(value)} is not an AWS region name (like us-east-1)")
    return value


def number(
    value: float | int | str,
    flag: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """A finite number within [low, high] (``low_open``: strictly above low)."""
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{flag}: expected a number, got {_quote(value)}") from None
    if not math.isfinite(result):
        raise InputError(f"{flag}: expected a finite number, got {_quote(value)}")
    if low is not None and (result < low or (low_open and result == low)):
        raise InputError(f"{flag}: must be {'above' if low_open else 'at least'} {low:g}")
    if high is not None and result > high:
        raise InputError(f"{flag}: must be at most {high:g}")
    return result


def amount(value: str | Decimal, flag: str, *, high: Decimal = Decimal(10) ** 12) -> Decimal:
    """A finite, non-negative Decimal below ``high``."""
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise InputError(f"{flag}: expected an amount, got {_quote(value)}") from None
    if not result.is_finite() or result < 0 or result > high:
        raise InputError(f"{flag}: expected an amount from 0 to {high:,}, got {_quote(value)}")
    return result


# A JSON string (escapes included; an unterminated one runs to the end) and every byte that is
# not a bracket: what json_depth_ok drops before it counts, so its loop sees only the brackets.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth_ok(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays/objects at most ``max_depth`` deep (strings skipped)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return True  # cannot nest deeper than it has brackets
    depth = 0
    for byte in _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS):
        if byte in (0x5B, 0x7B):
            depth += 1
            if depth > max_depth:
                return False
        else:
            depth -= 1
    return True


def loads(text: str | bytes, what: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads with bounds: too deep, too many integer digits or not JSON are InputError."""
    if len(text) > MAX_JSON_BYTES:
        raise InputError(f"{what}: larger than {MAX_JSON_BYTES // (1024 * 1024)} MB")
    if not json_depth_ok(text, max_depth):
        raise InputError(f"{what}: JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(f"{what}: JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except (ValueError, UnicodeDecodeError) as exc:  # 4,300+ digit integers; bad UTF-8
        raise InputError(f"{what}: not usable JSON ({_first_line(exc)})") from None


def read_text(path: str | Path, what: str, *, max_bytes: int = MAX_JSON_BYTES) -> str:
    """A text file (UTF-8, or UTF-16/32 by its byte-order mark) of at most ``max_bytes``, read
    through ``pricing.readfile``: a FIFO, a device, a huge or binary file is one InputError (a
    failed read of a regular file a PowertuneError)."""
    try:
        return read_bounded_text(path, what, max_bytes=max_bytes)
    except ReadFailed as exc:
        raise PowertuneError(str(exc)) from None
    except FileRefused as exc:
        raise InputError(str(exc)) from None


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _quote(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def tune_numbers(
    *,
    days: int,
    max_p95_ms: float | None,
    balanced_weight: float | None,
    local_memory_mb: int,
    local_timeout_s: int,
) -> None:
    """The numeric flags of `tune` that typer's own types let through (NaN, negatives, absurd
    values), checked before the run touches anything."""
    number(days, "--days", low=1, high=455)  # CloudWatch keeps hourly data 455 days
    if max_p95_ms is not None:
        number(max_p95_ms, "--max-p95-ms", low=0, low_open=True, high=900_000)
    if balanced_weight is not None:
        number(balanced_weight, "--balanced-weight", low=0, high=1)
    number(local_memory_mb, "--local-memory", low=128, high=10_240)
    number(local_timeout_s, "--local-timeout", low=1, high=900)


def priceable(catalog: Any, region_name: str, arch: str, savings_plan: str | None) -> None:
    """The catalog can price this region, architecture and Savings Plan: checked once the
    function is described and before it is changed, not after the whole run."""
    try:
        if savings_plan is not None:
            catalog.savings_plan_lambda_rate(savings_plan, region_name, arch)
        elif region_name not in catalog.regions():
            raise InputError(
                f"the pricing catalog has no prices for {region_name}; pass --catalog with one "
                "from `powertune pricing refresh`"
            )
    except PowertuneError as exc:
        flag = "--savings-plan: " if savings_plan is not None else ""
        raise InputError(f"{flag}{exc}") from None


def alias_prefix(value: str, flag: str = "--alias-prefix") -> str:
    """Lambda alias names are [a-zA-Z0-9_-], at most 128 characters with the size appended;
    a prefix of digits alone would make all-digit names, which Lambda reserves for versions."""
    if not _ALIAS_PREFIX.match(value) or value.isdigit():
        raise InputError(
            f"{flag}: {_quote(value)} must be 1-100 letters, digits, '-' or '_' (not digits only)"
        )
    return value
