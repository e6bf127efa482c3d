"""Collectors: read Lambda's platform log records (REPORT and friends) exactly."""

from powertune.collectors.parse import (
    Malformed,
    ParseStats,
    iter_records,
    parse_record,
    try_parse_record,
)
from powertune.collectors.records import (
    RECORD_KEYS,
    End,
    InitReport,
    MetricRecord,
    Record,
    Report,
    RestoreReport,
    Start,
)
from powertune.collectors.sources import decode_log_result, iter_log_file, iter_log_text

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
