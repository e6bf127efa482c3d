"""`powertune analyze`: findings per function, in dollars a month, from what an account holds.

Nothing is invoked: REPORT statistics come from Logs Insights (or exported log files), traffic
from CloudWatch metrics, and every dollar from the pricing catalog through ``powertune.recommend``.
"""

from powertune.analyze.account import AccountAnalyzer
from powertune.analyze.findings import Finding, FunctionFacts, find_all
from powertune.analyze.from_logs import analyze_files
from powertune.analyze.report import Analysis, to_html, to_json, validate, write_html, write_json
from powertune.collectors.account.insights import InsightsRunner

__all__ = [
    "AccountAnalyzer",
    "Analysis",
    "Finding",
    "FunctionFacts",
    "InsightsRunner",
    "analyze_files",
    "find_all",
    "to_html",
    "to_json",
    "validate",
    "write_html",
    "write_json",
]
