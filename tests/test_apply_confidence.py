"""What `apply` says of each change's evidence: the function's own, never another's."""

from __future__ import annotations

import dataclasses

from apply_results import Fn, make_result

from powertune.apply.policy import describe_confidence


def test_a_fleet_function_reports_its_own_evidence_not_the_first_runs_stop_reason() -> None:
    result = make_result([Fn("a", 1024, 512), Fn("b", 1024, 256)])
    short = "too little evidence to claim 256 MB is within 2% of the best: 3 warm invocations"
    b = result.functions[1]
    assert b.recommendation is not None
    b = dataclasses.replace(
        b, recommendation=dataclasses.replace(b.recommendation, warnings=(short,))
    )
    fleet = dataclasses.replace(result, functions=(result.functions[0], b))
    said_a = describe_confidence(fleet.functions[0], fleet)
    said_b = describe_confidence(b, fleet)
    assert said_b.startswith("too little evidence to claim 256 MB is within 2% of the best")
    assert "within 1% at 95%" not in said_b
    # a fleet's Run holds one function's stop reason: no other function quotes it
    assert fleet.run.stop_reason is not None
    assert fleet.run.stop_reason not in said_a and fleet.run.stop_reason not in said_b
    assert said_a.startswith("within 1% at 95%")
    # one function: the run's own stop reason is that function's
    alone = dataclasses.replace(result, functions=(result.functions[0],))
    assert fleet.run.stop_reason in describe_confidence(alone.functions[0], alone)
