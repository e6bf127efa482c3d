"""JUnit XML for the gate: one test case per function and check, so CI shows each regression."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the gate's types only; its numeric code is not needed to render
    from powertune.gate.compare import Verdict


def render_junit(verdict: Verdict) -> str:
    suite = ET.Element("testsuite", name="powertune-gate")
    tests = failures = 0
    for fv in verdict.functions:
        cases: list[tuple[str, str, str]] = [(c.name, c.status, c.message) for c in fv.checks]
        if not fv.checks:
            cases = [(fv.presence, fv.status, "; ".join(fv.warnings))]
        for name, status, message in cases:
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=fv.name, name=name)
            if status == "fail":
                failures += 1
                failure = ET.SubElement(case, "failure", message=message, type="regression")
                failure.text = message
            else:
                ET.SubElement(case, "system-out").text = f"{status}: {message}"
        if fv.checks and fv.warnings:
            ET.SubElement(suite[-1], "system-err").text = "; ".join(fv.warnings)
    for warning in verdict.warnings:
        ET.SubElement(suite, "system-err").text = warning
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suites = ET.Element("testsuites", name="powertune", tests=str(tests), failures=str(failures))
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"
