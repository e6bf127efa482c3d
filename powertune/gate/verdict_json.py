"""The gate verdict as JSON (``gate --json FILE``), through the results codec.

The document sits in the result's schema family: the same codec (money as decimal strings,
unknown as null), a ``schema_version`` and a committed schema generated from the dataclasses
(``python -m powertune.gate.verdict_json > powertune/gate/verdict-schema-v1.json``). The
monthly $ change comes first, as infracost leads with it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import jsonschema

from powertune.gate.compare import FunctionVerdict, Status, Thresholds, Verdict
from powertune.results.codec import encode
from powertune.results.schema_gen import schema_for

VERDICT_SCHEMA_VERSION = "1"
VERDICT_SCHEMA_FILE = Path(__file__).with_name(f"verdict-schema-v{VERDICT_SCHEMA_VERSION}.json")
VERDICT_SCHEMA_ID = f"https://powertune.dev/schemas/gate-verdict/v{VERDICT_SCHEMA_VERSION}.json"


@dataclass(frozen=True, kw_only=True)
class VerdictDocument:
    """A powertune gate verdict: pass, warn or fail, per function and per check."""

    schema_version: str
    kind: Literal["powertune-gate-verdict"]
    status: Status
    exit_code: int
    monthly_change_usd: Decimal | None
    baseline_found: bool
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    thresholds: Thresholds
    functions: tuple[FunctionVerdict, ...]


def document(verdict: Verdict) -> VerdictDocument:
    return VerdictDocument(
        schema_version=VERDICT_SCHEMA_VERSION,
        kind="powertune-gate-verdict",
        status=verdict.status,
        exit_code=verdict.exit_code,
        monthly_change_usd=verdict.monthly_change_usd,
        baseline_found=verdict.baseline_found,
        notes=verdict.notes,
        warnings=verdict.warnings,
        thresholds=verdict.thresholds,
        functions=verdict.functions,
    )


def build_verdict_schema() -> dict[str, Any]:
    return schema_for(VerdictDocument, title="powertune gate verdict", schema_id=VERDICT_SCHEMA_ID)


def verdict_to_json(verdict: Verdict) -> dict[str, Any]:
    """The verdict as a JSON-ready dict, validated against the committed schema."""
    data: dict[str, Any] = encode(document(verdict), VerdictDocument)
    schema = json.loads(VERDICT_SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    return data


def dumps_verdict(verdict: Verdict) -> str:
    return json.dumps(verdict_to_json(verdict), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(json.dumps(build_verdict_schema(), indent=2, ensure_ascii=False) + "\n")
