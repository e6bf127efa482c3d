"""The tuning Result: frozen dataclasses, their JSON (schema v1) and the statistics behind them.

from powertune.results import Measurement, Result, load_result, write_result
"""

from powertune.results.errors import InvalidResult
from powertune.results.jsonio import (
    dumps_result,
    load_result,
    load_schema,
    loads_result,
    result_from_json,
    result_to_json,
    validate_json,
    write_result,
)
from powertune.results.model import (
    SCHEMA_VERSION,
    Alternative,
    BilledStats,
    Criterion,
    CurvePoint,
    DurationStats,
    FunctionResult,
    InitStats,
    Measurement,
    Model,
    Monthly,
    Pricing,
    Recommendation,
    Replay,
    Result,
    Run,
    SampleRecord,
    Tuning,
    utc_now_iso,
)
from powertune.results.stats import as_records, duration_stats, mean_ci95, percentile

__all__ = [
    "SCHEMA_VERSION",
    "Alternative",
    "BilledStats",
    "Criterion",
    "CurvePoint",
    "DurationStats",
    "FunctionResult",
    "InitStats",
    "InvalidResult",
    "Measurement",
    "Model",
    "Monthly",
    "Pricing",
    "Recommendation",
    "Replay",
    "Result",
    "Run",
    "SampleRecord",
    "Tuning",
    "as_records",
    "dumps_result",
    "duration_stats",
    "load_result",
    "load_schema",
    "loads_result",
    "mean_ci95",
    "percentile",
    "result_from_json",
    "result_to_json",
    "utc_now_iso",
    "validate_json",
    "write_result",
]
