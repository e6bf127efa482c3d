"""The JSON rendering: the validated result document itself."""

from __future__ import annotations

from powertune.results.jsonio import dumps_result
from powertune.results.model import Result


def render_json(result: Result) -> str:
    return dumps_result(result)
