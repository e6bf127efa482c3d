"""Lambda platform log records (REPORT and friends): read exactly, no AWS call."""

from powertune.logs.parse import (
    Malformed,
    ParseStats,
    iter_records,
    parse_record,
    try_parse_record,
)
from powertune.logs.records import (
    RECORD_KEYS,
    End,
    InitReport,
    MetricRecord,
    Record,
    Report,
    RestoreReport,
    Start,
)
from powertune.logs.sources import decode_log_result, iter_log_file, iter_log_text

__all__ = [
    "RECORD_KEYS",
    "End",
    "InitReport",
    "Malformed",
    "MetricRecord",
    "ParseStats",
    "Record",
    "Report",
    "RestoreReport",
    "Start",
    "decode_log_result",
    "iter_log_file",
    "iter_log_text",
    "iter_records",
    "parse_record",
    "try_parse_record",
]
