"""aws-lambda-power-tuning's own unit tests as the spec of what powertune shares with it.

Source: github.com/alexcasalboni/aws-lambda-power-tuning (MIT), commit 262ecc2d (April 2026),
``test/unit/test-utils.js`` (``utils``) and ``test/unit/test-lambda.js`` (``lambda``), with the
code they test, ``lambda/utils.js``, ``executor.js``, ``initializer.js``, ``analyzer.js``. Each
test names the ``describe › it`` it ports; the cases are re-stated as data and assertions here,
in our own code. ``SAME`` marks a case where powertune gives its answer; ``DIFFERS`` one where it
does not, on purpose, and why (README's "aws-lambda-power-tuning input → powertune" table lists
the same differences). ``CASES`` counts them.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from powertune.errors import InputError
from powertune.logs.parse import try_parse_record
from powertune.logs.records import Report
from powertune.models.fit import trimmed_mean
from powertune.outputs.power_tuning import power_tuning_url
from powertune.results.model import FunctionResult, Measurement, SampleRecord
from powertune.results.stats import duration_stats, measurement_from_samples
from powertune.tune import plan as p
from powertune.tune.decide.costcurve import cost_curve, init_by_size
from powertune.tune.decide.strategies import choose, power_tuning_pick
from powertune.tune.targets.aws import _report_in, log_result_lines, sample_from_report
from powertune.tune.tuner import TuneOutcome, _mark_allowed, skip_reason, unsent_payload_notes
from powertune.types import FunctionInfo, Observations, Sample
from pricing.catalog import load_catalog
from pricing.pricer import Pricer

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"

# How many of APT's cases each test covers, and how many of those agree: (covered, same).
# The rest of a test's cases differ on purpose. The note of issue 28 sums them.
CASES: dict[str, tuple[int, int]] = {}


def cases(name: str, covered: int, same: int) -> None:
    CASES[name] = (covered, same)


def _input(tmp_path: Path, **keys: Any) -> Path:
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"lambdaARN": ARN, "num": 10, **keys}))
    return path


def _pt(tmp_path: Path, **keys: Any) -> p.PowerTuningInput:
    return p.parse_power_tuning_input(str(_input(tmp_path, **keys)))


def _plan(tmp_path: Path, **keys: Any) -> p.RunPlan:
    return p.resolve_plan(p.TuneFlags(from_power_tuning=str(_input(tmp_path, **keys))))


def _sent(payloads: p.Payloads, count: int) -> list[bytes]:
    return [payloads.items[i] for i in payloads.schedule(count)]


# -- utils › extractDuration (REPORT records, text and JSON) ---------------------------------------

TEXT_REPORT = (
    "REPORT RequestId: 55bc566d-1e2c-11e7-93e6-6705ceb4c1cc\tDuration: 469.40 ms\t"
    "Billed Duration: 500 ms\tMemory Size: 1024 MB\tMax Memory Used: 21 MB\t"
    "Init Duration: 100.99 ms"
)
TEXT_REPORT_SNAPSTART = (
    "REPORT RequestId: 55bc566d-1e2c-11e7-93e6-6705ceb4c1cc\tDuration: 469.40 ms\t"
    "Billed Duration: 500 ms\tMemory Size: 1024 MB\tMax Memory Used: 21 MB\t"
    "Restore Duration: 474.16 ms\tBilled Restore Duration: 75 ms"
)
JSON_REPORT = (
    '{"time":"2024-02-09T08:42:44.080Z","type":"platform.report","record":{"requestId":"d661",'
    '"status":"success","metrics":{"durationMs":1.317,"billedDurationMs":2,"memorySizeMB":1024,'
    '"maxMemoryUsedMB":68,"initDurationMs": 10}}}'
)
JSON_REPORT_SNAPSTART = (
    '{"time":"2024-02-09T08:42:44.080Z","type":"platform.report","record":{"requestId":"d661",'
    '"status":"success","metrics":{"durationMs": 147.156,"billedDurationMs": 201, '
    '"memorySizeMB": 512,"maxMemoryUsedMB": 91,"restoreDurationMs": 500.795,'
    '"billedRestoreDurationMs": 53 }}}'
)
FUNCTION_LOG = '{"timestamp":"2024-02-09T08:42:44.078Z","level":"INFO","message":"Just some logs"}'
EXTENSION_LOG = "[AWS Parameters and Secrets Lambda Extension] 2024/04/11 02:14:17 Log level info."
JSON_START = (
    '{"time":"2024-02-09T08:42:44.078Z","type":"platform.start","record":{"requestId":"d"}}'
)


def _report(*lines: str) -> Report | None:
    return _report_in(list(lines), None)


@pytest.mark.parametrize(
    ("lines", "field", "value"),
    [
        # it: should extract the duration / Init / Billed Duration from a Lambda log (text)
        ((TEXT_REPORT,), "duration_ms", 469.4),
        ((TEXT_REPORT,), "init_ms", 100.99),
        ((TEXT_REPORT,), "billed_ms", 500),
        # it: should retrieve the (Billed) Restore Duration from a SnapStart log (text format)
        ((TEXT_REPORT_SNAPSTART,), "restore_ms", 474.16),
        ((TEXT_REPORT_SNAPSTART,), "billed_restore_ms", 75),
        # it: should extract the duration / Init / (Billed) Restore duration (json format)
        ((FUNCTION_LOG, JSON_START, JSON_REPORT), "duration_ms", 1.317),
        ((FUNCTION_LOG, JSON_START, JSON_REPORT), "init_ms", 10.0),
        ((JSON_REPORT_SNAPSTART,), "restore_ms", 500.795),
        ((JSON_REPORT_SNAPSTART,), "billed_restore_ms", 53),
        # it: should extract the duration from a Lambda log (json text mixed format), with an
        # extension's text glued to the next record, and with a broken JSON function log
        ((FUNCTION_LOG, EXTENSION_LOG + JSON_START, JSON_REPORT), "duration_ms", 1.317),
        ((FUNCTION_LOG[:-1], EXTENSION_LOG + JSON_START, JSON_REPORT), "duration_ms", 1.317),
    ],
)
def test_utils_extract_duration_same(lines: tuple[str, ...], field: str, value: float) -> None:
    """utils › extractDuration: SAME, eleven cases (one parametrised case each)."""
    report = _report(*lines)
    assert report is not None and getattr(report, field) == pytest.approx(value)


cases("utils › extractDuration: fields read", 11, 11)


def test_utils_extract_duration_missing_is_none_not_zero() -> None:
    """utils › extractDuration › should return 0 if (Init / Restore / Billed / Billed Restore)
    Duration is not found (five cases) and › should explode if invalid json format document is
    provided. DIFFERS on the five: a record without a field has None there, never 0, and text
    that holds no REPORT is no invocation at all (the tuner refuses it: "no REPORT record"), where
    APT counts a 0 ms invocation into its average. SAME on the last: no platform.report, no
    duration."""
    for text in ("hello world", "START RequestId: 55bc566d-1e2c-11e7-93e6-6705ceb4c1cc Version: 1"):
        assert _report(text) is None
    warm = _report(TEXT_REPORT.removesuffix("\tInit Duration: 100.99 ms"))
    assert warm is not None
    assert (warm.init_ms, warm.restore_ms, warm.billed_restore_ms) == (None, None, None)
    assert _report(FUNCTION_LOG) is None  # the invalid-JSON-document case


cases("utils › extractDuration: missing fields and no report", 6, 1)


PRETTY_FUNCTION_LOG = """
{
  "cold_start": true,
  "function_name": "TestFunction",
  "message": "Lambda invocation event",
  "type": "platform.report",
  "record": {"metrics": {"durationMs": 100.0, "initDurationMs": 200.0}}
}"""


def test_utils_extract_duration_from_json_pretty_printed() -> None:
    """utils › extractDurationFromJSON › should handle pretty-printed logs from Powertools,
    › multiline pretty printed logs, › empty lines in logs pretty printed: DIFFERS (three): those
    are the function's own log lines dressed as platform.report; only the records Lambda writes
    (one line each) are read, so a function cannot report its own duration. › should handle logs
    with no platform.report (two cases: none, and one without durationMs): SAME, no duration."""
    lines = PRETTY_FUNCTION_LOG.splitlines()
    assert _report(*lines) is None
    assert _report("[", *lines, "]") is None
    no_duration = JSON_REPORT.replace('"durationMs":1.317,', "")
    assert try_parse_record(no_duration) is None
    assert _report('{"message": "some log"}', '{"another": "log"}') is None


cases("utils › extractDurationFromJSON", 5, 2)


# -- utils › parseLogAndExtractDurations / parseLogAndExtractBilledDurations ----------------------


def _log_result(duration: float, billed: int, extra: str = "") -> str:
    text = (
        "START RequestId: 479fb51c Version: 99\nEND RequestId: 479fb51c\n"
        f"REPORT RequestId: 479fb51c\tDuration: {duration:.1f} ms\tBilled Duration: {billed} ms"
        f" \tMemory Size: 128 MB\tMax Memory Used: 15 MB{extra}"
    )
    return base64.b64encode(text.encode()).decode()


def _sample(log_result: str | None, memory_mb: int = 128) -> Sample | None:
    report = _report_in(log_result_lines(log_result), None)
    return None if report is None else sample_from_report(report, memory_mb)


def test_utils_parse_logs_durations_and_billed() -> None:
    """utils › parseLogAndExtractDurations › should return the list of durations, › should return
    empty list if empty results; parseLogAndExtractBilledDurations › the same two: SAME (four).
    The Invoke response's base64 log tail read into samples, 1, 1, 2, 3, 3 ms."""
    tails = [_log_result(d, int(d)) for d in (1.0, 1.0, 2.0, 3.0, 3.0)]
    samples = [_sample(t) for t in tails]
    assert [s.duration_ms for s in samples if s] == [1, 1, 2, 3, 3]
    assert [s.billed_ms for s in samples if s] == [1, 1, 2, 3, 3]
    assert [_sample(t) for t in []] == []


cases("utils › parseLogAndExtract(Billed)Durations: lists", 4, 4)


def test_utils_parse_logs_missing_log_is_no_sample() -> None:
    """utils › parseLogAndExtractDurations › should not explode if missing logs, and its billed
    twin: DIFFERS (two): APT counts an invocation without a log as 0 ms (and $0); powertune has
    no sample from it (the target then reads the REPORT from CloudWatch Logs, or fails it)."""
    assert _sample(None) is None


cases("utils › parseLogAndExtract(Billed)Durations: missing logs", 2, 0)


def test_utils_parse_logs_init_and_restore_kept_apart() -> None:
    """utils › parseLogAndExtractDurations › should give duration as initDuration + duration,
    › restoreDuration + duration (for SnapStart): DIFFERS (two): INIT and a SnapStart restore are
    kept apart from the duration (a cold start is priced at its share, not averaged in)."""
    cold = sample_from_report(_report(TEXT_REPORT), 1024)  # type: ignore[arg-type]
    restored = sample_from_report(_report(TEXT_REPORT_SNAPSTART), 1024)  # type: ignore[arg-type]
    assert (cold.duration_ms, cold.init_ms, cold.cold) == (469.4, 100.99, True)
    assert (restored.duration_ms, restored.restore_ms, restored.cold) == (469.4, 474.16, True)
    # what APT averages instead: the parts add up to its 570.39 and 943.56
    apt = [
        cold.duration_ms + (cold.init_ms or 0),
        restored.duration_ms + (restored.restore_ms or 0),
    ]
    assert apt == pytest.approx([570.39, 943.56])


cases("utils › parseLogAndExtractDurations: INIT/restore", 2, 0)

# Real SnapStart REPORT lines (public CloudWatch logs quoted in open-source repositories): the
# Billed Duration already holds the Billed Restore Duration, ceil(Duration + Billed Restore).
REAL_SNAPSTART = [
    (127.10, 154, 26),
    (306.34, 610, 303),
    (2338.66, 2521, 182),
    (159.87, 278, 118),
]


def test_utils_billed_restore_is_inside_billed_duration() -> None:
    """utils › parseLogAndExtractBilledDurations › should give duration as billedDuration +
    restoreDuration (for SnapStart): DIFFERS: APT adds the Billed Restore Duration to the Billed
    Duration (500 + 75 = 575) and so counts it twice; real REPORT lines show Billed Duration =
    ceil(Duration + Billed Restore Duration), so powertune bills Billed Duration as it is, and
    keeps the Billed Restore Duration as the restore's share of it (the cold-start cost)."""
    for duration, billed, billed_restore in REAL_SNAPSTART:
        assert billed == math.ceil(duration + billed_restore)
        line = (
            f"REPORT RequestId: r1\tDuration: {duration:.2f} ms\tBilled Duration: {billed} ms\t"
            f"Memory Size: 1024 MB\tMax Memory Used: 99 MB\tRestore Duration: 400.00 ms\t"
            f"Billed Restore Duration: {billed_restore} ms"
        )
        sample = sample_from_report(_report(line), 1024)  # type: ignore[arg-type]
        assert (sample.billed_ms, sample.billed_restore_ms) == (billed, billed_restore)
        assert sample.startup_billed_ms == billed_restore and sample.cold


cases("utils › parseLogAndExtractBilledDurations: SnapStart", 1, 0)


def test_snapstart_restore_is_priced_at_the_cold_share() -> None:
    """The defect of issue 28: a live invocation's sample had no restore fields, so a SnapStart
    function's restores were neither cold starts nor priced. Its warm-up restores (the first
    invocation of a fresh version), then warm invocations: the restore's billed part is the
    size's cold-start cost, and it survives the result's JSON (SampleRecord)."""
    obs = Observations()
    restored = sample_from_report(_report(TEXT_REPORT_SNAPSTART), 1024)  # type: ignore[arg-type]
    obs.add(restored)
    for d in (20.2, 21.0, 19.7):
        obs.add(Sample(memory_mb=1024, duration_ms=d, billed_ms=math.ceil(d)))
    assert init_by_size(obs) == {1024: 75.0}
    curve = cost_curve(
        None, obs, catalog=load_catalog(), region="us-east-1", arch="x86_64", cold_share=0.5
    )
    cold_free = cost_curve(None, obs, catalog=load_catalog(), region="us-east-1", arch="x86_64")
    assert curve.expected_billed_ms(1024) == pytest.approx(
        cold_free.expected_billed_ms(1024) + 37.5
    )
    record = SampleRecord.from_sample(restored)
    assert record.to_sample(1024) == restored


# -- utils › computeAverageDuration (the trimmed mean) -------------------------------------------


@pytest.mark.parametrize(
    ("values", "trim", "expected"),
    [
        ([1, 2, 3, 4, 2000], 0.2, 3.0),  # it: should return the average duration
        ([1, 2, 3, 4, 2000], 0.4, 3.0),  # it: ... custom trimming
        ([1, 2, 3, 4, 2000], 0.0, 402.0),  # it: ... with no trimmed value
        ([1], 0.4, 1.0),  # it: ... even if not enough results to discard
    ],
)
def test_utils_compute_average_duration(values: list[float], trim: float, expected: float) -> None:
    """utils › computeAverageDuration: SAME (four): floor(n·trim) dropped at each end, in the
    one place a size's statistics are computed (``duration_stats``) and in the grid's curve."""
    stats = duration_stats(values, trim)
    assert stats is not None and stats.mean == pytest.approx(expected)
    assert float(trimmed_mean(np.asarray(values, dtype=float), trim)) == pytest.approx(expected)


cases("utils › computeAverageDuration", 5, 4)


def test_utils_compute_average_duration_of_nothing() -> None:
    """utils › computeAverageDuration › should return 0 if empty results: DIFFERS: no duration
    is None (JSON null), never 0 ms."""
    assert duration_stats([], 0.2) is None


# -- utils › computePrice / computeTotalCost; lambdaBaseCost --------------------------------------


def test_utils_compute_price_and_total_cost() -> None:
    """utils › computePrice › should return the average price; computeTotalCost › should return
    the total cost, › should return 0 if empty durations; lambdaBaseCost › x86, › arm64, › should
    explode if invalid architecture. SAME on the shape (duration cost proportional to memory and
    billed ms; nothing invoked, nothing spent; an unknown architecture refused). DIFFERS on the
    figure (three: price, total, the two base costs counted once): powertune adds the request fee
    and uses the catalog's exact rates ($0.0000166667/GB-s: 2.0833e-9 per ms at 128 MB, where APT
    rounds to 2.1e-9; arm64 1.6667e-9 for its 1.7e-9)."""
    x86 = Pricer(load_catalog(), "us-east-1", "x86_64")
    fee = x86.invocation(1024, 0)
    assert fee == Decimal("0.0000002")  # the request fee APT leaves out
    assert x86.invocation(1024, 300) - fee == 8 * (x86.invocation(128, 300) - fee)
    per_ms_128 = x86.invocation(128, 1000) - fee
    assert per_ms_128 / 1000 == pytest.approx(Decimal("2.0833375E-9"), rel=Decimal("1e-6"))
    arm = Pricer(load_catalog(), "us-east-1", "arm64")
    assert (arm.invocation(128, 1000) - fee) / 1000 == pytest.approx(
        Decimal("1.666675E-9"), rel=Decimal("1e-6")
    )
    durations = [100, 150, 200, 300, 400]
    total = sum(x86.invocation(1024, d) for d in durations)
    assert total == sum(x86.invocation(1024, d) - fee for d in durations) + 5 * fee
    with pytest.raises(Exception, match="arch"):
        Pricer(load_catalog(), "us-east-1", "invalid_arch").invocation(128, 1)
    info = FunctionInfo(
        name="fn", arn=None, region="us-east-1", architecture="x86_64", memory_mb=128
    )
    assert TuneOutcome(info=info, observations=Observations()).spend_usd == 0  # nothing invoked


cases("utils › computePrice/computeTotalCost/lambdaBaseCost", 6, 2)


# -- utils › buildVisualizationURL ----------------------------------------------------------------


def test_utils_build_visualization_url() -> None:
    """utils › buildVisualizationURL › should return the visualization URL based on stats: SAME:
    sizes as int16, durations and costs as float32, little-endian base64, sorted by size. (Its
    two cn- region cases add ?currency=CNY; powertune's catalog has no China prices, so there is
    no such result to draw: not ported.)"""
    rows = [(3, 1.0, "2"), (1, 2.0, "3"), (2, 2.0, "2")]  # given out of order: sorted by size
    fn = FunctionResult(
        name="fn",
        arn=None,
        region="us-east-1",
        architecture="x86_64",
        original_memory_mb=1,
        measurements=tuple(
            Measurement(
                memory_mb=m,
                status="measured",
                invocations=1,
                duration_ms=duration_stats([d]),
                cost_per_invocation_usd=Decimal(c),
            )
            for m, d, c in rows
        ),
    )
    url = power_tuning_url(fn, "https://prefix/")
    assert url.startswith("https://prefix/#") and url.count(";") == 2
    for block in ("AQACAAMA", "AAAAQAAAAEAAAIA", "AABAQAAAAEAAAABA"):
        assert block in url
    assert struct.unpack("<3H", base64.b64decode("AQACAAMA")) == (1, 2, 3)


cases("utils › buildVisualizationURL", 1, 1)


def test_the_url_and_the_table_report_the_trimmed_mean(tmp_path: Path) -> None:
    """The defect of issue 28: the URL, the table and the JSON reported the untrimmed mean while
    the grid decided on the trimmed one. Now a measured size's mean is the run's trimmed mean
    (``measurement_from_samples(trim=)``), the same figure the grid's curve holds."""
    durations = [10.0, 11.0, 12.0, 13.0, 100.0]
    samples = [Sample(memory_mb=512, duration_ms=d, billed_ms=math.ceil(d)) for d in durations]
    m = measurement_from_samples(512, samples, trim=0.2)
    assert m.duration_ms is not None and m.duration_ms.mean == pytest.approx(12.0)
    assert m.duration_ms.trim == 0.2 and m.billed_ms is not None and m.billed_ms.mean == 12.0
    obs = Observations()
    for s in samples:
        obs.add(s)
    curve = cost_curve(
        None, obs, catalog=load_catalog(), region="us-east-1", arch="x86_64", trim=0.2
    )
    assert float(curve.mean[0]) == m.duration_ms.mean


# -- utils › allPowerValues; lambda › initializer ------------------------------------------------


def test_initializer_power_values(tmp_path: Path) -> None:
    """utils › allPowerValues › a list of integers between 128 and 3008, › at intervals of 64;
    lambda › initializer › without powerValues, › with empty powerValues (its deploy-time
    default, 128,256,512,1024,1536,3008), › with powerValues, › with powerValues=ALL (46 sizes):
    SAME (six)."""
    all_sizes = _pt(tmp_path, powerValues="ALL").memory
    assert len(all_sizes) == 46 and (all_sizes[0], all_sizes[-1]) == (128, 3008)
    assert set(np.diff(all_sizes)) == {64}
    default = [128, 256, 512, 1024, 1536, 3008]
    assert _pt(tmp_path).memory == default and _pt(tmp_path, powerValues=[]).memory == default
    assert _pt(tmp_path, powerValues=[128, 256, 512]).memory == [128, 256, 512]


cases("utils › allPowerValues + lambda › initializer: powerValues", 6, 6)


@pytest.mark.parametrize("event", [None, {}, {"lambdaARN": None}, {"lambdaARN": ""},
                                   {"lambdaARN": False}, {"lambdaARN": 0}])  # fmt: skip
def test_initializer_explodes_without_lambda_arn(tmp_path: Path, event: Any) -> None:
    """lambda › initializer › should explode if invoked without a lambdaARN: SAME (six)."""
    path = tmp_path / "input.json"
    path.write_text(json.dumps(event if event is None else {**event, "num": 5}))
    with pytest.raises(InputError, match="lambdaARN"):
        p.parse_power_tuning_input(str(path))


cases("lambda › initializer: no lambdaARN", 6, 6)


@pytest.mark.parametrize("num", [-1, 0, 1, 2, 3, 4])
def test_initializer_low_num(tmp_path: Path, num: int) -> None:
    """lambda › initializer › should explode if invoked with a low num: SAME for -1 and 0;
    DIFFERS for 1-4 (four): APT wants 5 or more, powertune runs what was asked (a grid of one
    invocation per size is the user's call; nothing APT would answer is contradicted)."""
    if num < 1:
        with pytest.raises(InputError, match="num"):
            _pt(tmp_path, num=num)
    else:
        assert _pt(tmp_path, num=num).invocations == num


cases("lambda › initializer: low num", 6, 2)


# -- lambda › executor: input keys ---------------------------------------------------------------


@pytest.mark.parametrize(
    "keys",
    [{"lambdaARN": None}, {"lambdaARN": ""}, {"lambdaARN": False}, {"lambdaARN": 0},
     {"num": None}, {"num": 0}, {"num": "invalid"}, {"num": "__missing__"}],
)  # fmt: skip
def test_executor_explodes_with_invalid_input(tmp_path: Path, keys: dict[str, Any]) -> None:
    """lambda › executor › should explode if invoked with invalid input: SAME for its eight
    cases about the input's keys (lambdaARN missing or empty; num missing, null, 0, 'invalid');
    its other twelve are about the state machine's own event (value, nesting): not shared."""
    data: dict[str, Any] = {"lambdaARN": ARN, "num": 10, **keys}
    if data["num"] == "__missing__":
        del data["num"]
    path = tmp_path / "input.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError):
        p.parse_power_tuning_input(str(path))


cases("lambda › executor: invalid input", 8, 8)


def test_executor_sleep_between_runs(tmp_path: Path) -> None:
    """lambda › executor › should invoke the given cb, when done with between function sleep
    (series: it sleeps), › (parallelInvocation) and ignore function sleep, › with invalid
    function sleep ('Not a number': no sleep): SAME (three). The last two were issue 28's
    defects (a traceback; 20 sleeps in parallel)."""
    series = _plan(tmp_path, sleepBetweenRunsMs=50)
    assert (series.sleep_between_ms, series.concurrency) == (50, 1)
    parallel = _plan(tmp_path, num=20, sleepBetweenRunsMs=50, parallelInvocation=True)
    assert parallel.sleep_between_ms == 0 and parallel.concurrency != 1
    assert any("no effect with parallelInvocation" in n for n in parallel.notes)
    assert _plan(tmp_path, num=100, sleepBetweenRunsMs="Not a number").sleep_between_ms == 0
    # as its executor reads it: numeric text counts, anything else is no sleep
    assert _pt(tmp_path, sleepBetweenRunsMs="20").sleep_ms == 20
    assert _pt(tmp_path, sleepBetweenRunsMs=None).sleep_ms == 0
    assert _pt(tmp_path, sleepBetweenRunsMs=[1]).sleep_ms == 0
    # a --concurrency above 1 on the command line is parallel too
    flags = p.TuneFlags(from_power_tuning=str(_input(tmp_path, sleepBetweenRunsMs=50)))
    assert p.resolve_plan(p.TuneFlags(**{**flags.__dict__, "concurrency": 4})).sleep_between_ms == 0


cases("lambda › executor: sleepBetweenRunsMs", 3, 3)


def test_executor_statistics_total_cost() -> None:
    """lambda › executor › should return statistics (default), › (af-south-1): ten 1 ms
    invocations at 128 MB cost 10 × 2.1e-9 (2.8e-9 in af-south-1). DIFFERS (two): powertune's
    spend adds the request fee to each and uses the catalog's exact rate per region."""
    pricer = Pricer(load_catalog(), "us-east-1", "x86_64")
    spend = sum(pricer.invocation(128, 1) for _ in range(10))
    assert spend == 10 * (
        Decimal("0.0000002") + pricer.invocation(128, 1) - pricer.invocation(128, 0)
    )
    assert spend > Decimal("0.0000020")  # the fees alone; APT's 2.1e-8 has none


cases("lambda › executor: statistics", 2, 0)


# -- utils › convertPayload / generatePayloads / isWeightedPayload; lambda › executor payloads ----


def test_utils_convert_payload() -> None:
    """utils › convertPayload › should JSON-encode strings, if not JSON strings already, › should
    return already a JSON-encoded string as is (issue 28's defect: they were encoded twice),
    › should convert everything else to string; and the executor's reading of a missing payload
    (› should return undefined when undefined is given: its executor never passes undefined, it
    sends null): SAME (four)."""
    for text in ("test", "", " "):
        assert p.power_tuning_payload(text) == json.dumps(text).encode()
    for text in ('{"test": true}', "[]", "true", "null"):
        assert p.power_tuning_payload(text) == text.encode()
    for value, sent in [(None, "null"), ({}, "{}"), ({"test": True}, '{"test":true}'),
                        ([], "[]"), ([1, 2, 3], "[1,2,3]"), (["ok", {}], '["ok",{}]')]:  # fmt: skip
        assert p.power_tuning_payload(value) == sent.encode()


cases("utils › convertPayload", 4, 4)


def test_executor_payload_as_given(tmp_path: Path) -> None:
    """lambda › executor › should invoke the given cb, when done (custom payload): every
    invocation sends JSON.stringify(payload): SAME. Plus the issue 28 defect as input: a payload
    given as JSON text is sent as it is, a missing one as null (its executor's reading)."""
    plan = _plan(tmp_path, payload={"key1": "value1", "key2": "value2"})
    assert _sent(plan.payloads, 10) == [b'{"key1":"value1","key2":"value2"}'] * 10
    assert _plan(tmp_path, payload='{"test": true}').payloads.items == (b'{"test": true}',)
    assert _plan(tmp_path).payloads.items == (b"null",)


cases("lambda › executor: custom payload", 1, 1)


def test_utils_generate_payloads_not_weighted(tmp_path: Path) -> None:
    """utils › generatePayloads › should generate a list of the same payload, if not weighted,
    › a list of encoded JSON strings, if not weighted, › should return input array as output if
    not weighted (six arrays, each sent whole): SAME (three). lambda › executor › should explode
    if invalid weighted payloads: its five arrays are the same kind, and APT's code sends them
    whole too (that test's forEach never awaits its assertions); powertune sends them whole and
    says so when a list looks half-weighted."""
    assert _sent(_plan(tmp_path, payload={"test": True}).payloads, 10) == [b'{"test":true}'] * 10
    assert _sent(_plan(tmp_path, payload="just a string").payloads, 10) == [b'"just a string"'] * 10
    for whole in ([], [{}], [1, 2, 3], [{"weight": 1}], [{"payload": {}, "weight": 1}, {"payload": {}}],
                  [{"payload": {}}], ["a", "b", "c"], [{"payload": {"test": "A"}, "weight": 5},
                  {"weight": 10}]):  # fmt: skip
        pt = _pt(tmp_path, payload=whole)
        sent = json.dumps(whole, separators=(",", ":")).encode()
        assert pt.payloads.items == (sent,) and pt.payloads.per_size is None
        half_weighted = any(isinstance(x, dict) and x for x in whole)
        assert any("not weighted" in n for n in pt.notes) == half_weighted


cases("utils › generatePayloads: not weighted + lambda › executor: invalid weighted", 4, 4)


@pytest.mark.parametrize(
    ("num", "weights", "counts"),
    [
        (100, [1, 1], [50, 50]),  # it: should return weighted payloads (100/2)
        (100, [1, 1, 1], [33, 33, 34]),  # (100/3): the last payload fills the gap
        (20, [1, 1, 1], [6, 6, 8]),  # (20/3)
        (10, [1], [10]),  # (10/1)
        (23, [1, 1, 1, 1], [5, 5, 5, 8]),  # (23/4)
        (54, [1, 1, 1, 1, 1], [10, 10, 10, 10, 14]),  # (54/5)
        (30, [1] * 26, [1] * 25 + [5]),  # (30/26)
        (10, [10, 30, 60], [1, 3, 6]),  # lambda › executor › (weighted payload)
        (100, [5, 15, 30], [10, 30, 60]),  # lambda › executor › (weighted payload 2)
    ],
)
def test_utils_generate_payloads_weighted(
    tmp_path: Path, num: int, weights: list[int], counts: list[int]
) -> None:
    """utils › generatePayloads › weighted (seven) and lambda › executor › weighted payload
    (two): SAME (nine): floor(weight·num/total) each, the last payload takes the rest; every
    size sends exactly that split (the warm-up's payload comes from the same cycle)."""
    payload = [{"payload": {"test": str(i)}, "weight": w} for i, w in enumerate(weights)]
    plan = _plan(tmp_path, num=num, payload=payload)
    cycle = [plan.payloads.items[i] for i in plan.payloads.cycle()]
    assert len(cycle) == num
    sent = [json.loads(item)["test"] for item in cycle]
    assert [sent.count(str(i)) for i in range(len(weights))] == counts
    assert all(isinstance(item, bytes) for item in cycle)  # › (weighted payload 3): strings
    assert plan.payloads.never_measured(num, warmup=1) == []


cases("utils › generatePayloads: weighted + lambda › executor: weighted", 10, 10)


def test_utils_generate_payloads_explodes_when_num_is_too_small(tmp_path: Path) -> None:
    """utils › generatePayloads › should explode if num < count(payloads); lambda › executor
    › should explode if count(payloads) < num, › (not enough weight): SAME (three). Issue 28's
    defect: with num below the payloads some were never sent, and nothing said so."""
    six = [{"weight": 1, "payload": {"test": i}} for i in range(6)]
    with pytest.raises(InputError, match="6 weighted payloads and num=5"):
        _plan(tmp_path, num=5, payload=six)
    ten = [
        {"payload": {"test": c}, "weight": w}
        for c, w in zip("ABCDEFGHIJ", [5, 15, 30] * 3 + [30], strict=True)
    ]
    with pytest.raises(InputError, match="num=9"):
        _plan(tmp_path, num=9, payload=ten)
    skewed = [{"payload": {"test": c}, "weight": w} for c, w in (("A", 10), ("B", 60), ("C", 30))]
    with pytest.raises(InputError, match="too small for the payload weights"):
        _plan(tmp_path, num=5, payload=skewed)
    # --invocations on the command line can make it fit
    flags = p.TuneFlags(from_power_tuning=str(_input(tmp_path, num=5, payload=six)), invocations=6)
    assert p.resolve_plan(flags).payloads.per_size == 6


cases("utils › generatePayloads: num too small + lambda › executor: too few", 3, 3)


def test_own_payloads_fewer_invocations_are_named(tmp_path: Path) -> None:
    """powertune's own --payloads with a grid of fewer invocations per size than payloads: the
    plan says which payloads are never measured (the class of issue 28's num < payloads)."""
    payloads = tmp_path / "p.jsonl"
    payloads.write_text("\n".join(json.dumps({"n": i}) for i in range(10)))
    plan = p.resolve_plan(
        p.TuneFlags(function="fn", payloads=str(payloads), search_kind="grid", invocations=7,
                    memory="128,256"),
    )  # fmt: skip
    note = next(n for n in plan.notes if "never measured" in n)
    assert note.startswith("3 of 10 payloads are never measured at any size (payload 1, 9, 10)")


@pytest.mark.parametrize(
    ("payload", "weighted"),
    [
        ([{"payload": {"data": "foo"}, "weight": 5}, {"payload": {"data": "bar"}, "weight": 10}], True),
        ([{"weight": 5}, {"weight": 10}], False),
        ({"payload": {"data": "foo"}, "weight": 5}, False),
        (None, False),
        ([], False),
        ([{"payload": {"data": "foo"}}, {"payload": {"data": "bar"}, "weight": 10}], False),
        ([{"weight": 5}, {"payload": {"data": "bar"}, "weight": 10}], False),
    ],
)  # fmt: skip
def test_utils_is_weighted_payload(tmp_path: Path, payload: Any, weighted: bool) -> None:
    """utils › isWeightedPayload (seven): SAME: weighted only when every item of a non-empty
    list has a payload and a weight."""
    assert (_pt(tmp_path, payload=payload).payloads.per_size is not None) == weighted


cases("utils › isWeightedPayload", 7, 7)


def test_relative_weights_need_not_be_whole(tmp_path: Path) -> None:
    """Its README: weights are relative, not percentages; 0.1/0.3/0.6 splits as 1/3/6."""
    payload = [{"payload": {"q": i}, "weight": w} for i, w in enumerate((0.1, 0.3, 0.6))]
    assert _pt(tmp_path, payload=payload).payloads.weights == (1, 3, 6)


# -- lambda › executor: errors, allowedExceptions, dryRun, discardTopBottom, onlyColdStarts --------


def _failed(error_type: str, **kw: Any) -> Sample:
    return Sample(
        memory_mb=1024, duration_ms=5.0, billed_ms=5, status="error", error_type=error_type, **kw
    )


def test_executor_invocation_errors_and_allowed_exceptions(tmp_path: Path) -> None:
    """lambda › executor › should report an error if invocation fails (series, parallel): SAME
    (two): the size fails. › should pass ... where error is in allowedExceptions (parallel,
    series): SAME (two): the size is measured, the allowed error timed as an outcome. Issue 28's
    defect: allowedExceptions was an unknown key, ignored."""
    samples = [_failed("Exception") for _ in range(10)]
    reason = skip_reason(samples, frozenset())
    assert reason is not None and reason.startswith("errors: 10 of 10")
    plan = _plan(tmp_path, num=1, allowedExceptions=["HandledError"], parallelInvocation=True)
    assert plan.allowed_errors == frozenset({"HandledError"}) and not plan.notes
    handled = _mark_allowed(_failed("HandledError"), plan.allowed_errors)
    assert handled.ok and skip_reason([handled], plan.allowed_errors) is None
    m = measurement_from_samples(1024, [handled])
    assert m.duration_ms is not None and m.duration_ms.mean == 5.0
    assert not _mark_allowed(_failed("Runtime.OutOfMemory"), frozenset({"Runtime.OutOfMemory"})).ok
    with pytest.raises(InputError, match="allowedExceptions"):
        _pt(tmp_path, allowedExceptions="HandledError")


cases("lambda › executor: errors and allowedExceptions", 4, 4)


def test_executor_failure_reason_never_holds_the_payload() -> None:
    """lambda › executor › should (not) include payload in exception message if invocation
    fails and disablePayloadLogs is undefined / false / true (series, parallel), › should include
    weighted payload in exception message (series, parallel): SAME when disablePayloadLogs is
    true (two); DIFFERS otherwise (six): powertune never puts a payload in a message or a log."""
    samples = [_failed("Exception", payload_index=0) for _ in range(10)]
    reason = skip_reason(samples, frozenset())
    assert reason is not None and "SENTINEL" not in reason and "payload" not in reason


cases("lambda › executor: payload in failure messages", 8, 2)


def test_executor_dry_run(tmp_path: Path) -> None:
    """lambda › executor › should run only once if dryRun; analyzer › should return nothing if
    dryRun: DIFFERS (two): powertune's dryRun invokes nothing at all; it prints the plan and its
    price and changes nothing."""
    assert _plan(tmp_path, num=1000, dryRun=True).dry_run is True


cases("lambda › executor/analyzer: dryRun", 2, 0)


def test_executor_refuses_processors_and_s3(tmp_path: Path) -> None:
    """lambda › executor › pre-processor / post-processor (eight) and payloadS3 (three):
    refused with why, before anything is touched (not counted as shared)."""
    for key, value in (("preProcessorARN", "arn:pre"), ("postProcessorARN", "arn:post"),
                       ("payloadS3", "s3://my-bucket/my-key.json")):  # fmt: skip
        with pytest.raises(InputError, match=f"{key} is not supported: "):
            _pt(tmp_path, **{key: value})


# The executor's ten REPORTs: 0.1 ms with 0.1 ms of INIT, then warm ones.
EXECUTOR_LOGS = [(0.1, 0.1), (0.5, None), (2.0, None), (3.0, None), (3.0, None), (4.0, None),
                 (4.5, None), (10.0, None), (50.0, None), (200.0, None)]  # fmt: skip


@pytest.mark.parametrize(
    ("discard", "apt"), [(0.7, 3.5), (0.4, 3.5), (0.2, 4.416666666666667), (0.0, 27.72)]
)
def test_executor_discard_top_bottom(tmp_path: Path, discard: float, apt: float) -> None:
    """lambda › executor › should discard 70% / 40% / 20% / 0% of durations. The trimming rule
    is SAME: fed APT's sample set (INIT added into the cold one) powertune's trimmed mean gives
    APT's figure. DIFFERS (four) on the sample set: the cold invocation's INIT is kept apart, so
    powertune averages the nine warm ones; and 0.7 is refused, where APT clamps it to 0.4."""
    apt_values = [d + (i or 0) for d, i in EXECUTOR_LOGS]
    clamped = min(discard, p.PT_MAX_TRIM)
    assert float(trimmed_mean(np.asarray(apt_values), clamped)) == pytest.approx(apt)
    if discard > p.PT_MAX_TRIM:
        with pytest.raises(InputError, match="discardTopBottom"):
            _pt(tmp_path, discardTopBottom=discard)
        return
    trim = _pt(tmp_path, discardTopBottom=discard).trim
    samples = [Sample(memory_mb=128, duration_ms=d, billed_ms=math.ceil(d + (i or 0)), init_ms=i)
               for d, i in EXECUTOR_LOGS]  # fmt: skip
    m = measurement_from_samples(128, samples, trim=trim)
    warm = [d for d, i in EXECUTOR_LOGS if i is None]
    assert m.duration_ms is not None
    assert m.duration_ms.mean == pytest.approx(float(trimmed_mean(np.asarray(warm), trim)))
    assert m.duration_ms.mean != pytest.approx(apt)


cases("lambda › executor: discardTopBottom", 4, 0)


def test_executor_only_cold_starts_discards_nothing(tmp_path: Path) -> None:
    """lambda › executor › should default discardTopBottom to 0 when onlyColdStarts: SAME."""
    pt = _pt(tmp_path, onlyColdStarts=True, discardTopBottom=0.3)
    assert (pt.trim, pt.cold_starts) == (0.0, True)


cases("lambda › executor: onlyColdStarts trims nothing", 1, 1)


# -- lambda › analyzer: strategies ----------------------------------------------------------------

ANALYZER = {
    # it: (strategy, weight, [(MB, averagePrice, averageDuration)], chosen MB)
    "cheapest if no strategy": ("cost", 0.5, [(128, 100, 100), (256, 200, 300), (512, 30, 200)], 512),
    "cheapest and fastest if cost strategy and same cost": (
        "cost", 0.5, [(128, 100, 100), (256, 100, 90), (512, 300, 200)], 256),
    "fastest if speed strategy": ("speed", 0.5, [(128, 100, 300), (256, 200, 200), (512, 300, 100)], 512),
    "fastest and cheapest if speed strategy and same duration": (
        "speed", 0.5, [(128, 100, 200), (256, 90, 200), (512, 300, 400)], 256),
    "cheapest if balanced strategy with weight = 1": (
        "balanced", 1.0, [(128, 100, 100), (256, 200, 300), (512, 30, 200)], 512),
    "fastest if balanced strategy with weight = 0": (
        "balanced", 0.0, [(128, 100, 300), (256, 200, 200), (512, 300, 100)], 512),
    "balanced if balanced strategy with default weight": (
        "balanced", 0.5, [(128, 101, 300), (256, 200, 200), (512, 300, 101)], 256),
    "balanced if balanced strategy with custom weight": (
        "balanced", 0.3, [(128, 100, 300), (256, 200, 200), (512, 300, 100), (1024, 1000, 50)], 512),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ANALYZER))
def test_analyzer_strategies(name: str) -> None:
    """lambda › analyzer › should return the ... power configuration if ... (eight; its "cost
    strategy" case is the same data as "no strategy"): SAME, nine: ``power_tuning_pick`` is its
    findCheapest / findFastest / findBalanced on its own averages."""
    strategy, weight, stats, chosen = ANALYZER[name]
    cost = np.array([c for _m, c, _d in stats], dtype=float)
    duration = np.array([d for _m, _c, d in stats], dtype=float)
    assert stats[power_tuning_pick(strategy, cost, duration, weight)][0] == chosen


cases("lambda › analyzer: strategies", 9, 9)


@pytest.mark.parametrize("strategy", ["foobar", "Balanced", " ", "-"])
def test_analyzer_explodes_if_invalid_strategy(tmp_path: Path, strategy: str) -> None:
    """lambda › analyzer › should explode if invalid strategy: SAME (four)."""
    with pytest.raises(InputError, match="unknown strategy"):
        _pt(tmp_path, strategy=strategy)


cases("lambda › analyzer: invalid strategy", 4, 4)


def test_analyzer_output_results_and_url(tmp_path: Path) -> None:
    """lambda › analyzer › should also return visualization URL (SAME: --power-tuning-url) and
    › should (not) output all results if includeOutputResults is true / false / not set: SAME
    for true, DIFFERS for false and unset (two): powertune's result always holds every size."""
    note = _plan(tmp_path, includeOutputResults=False).notes
    assert not note  # false: nothing to say
    assert any(
        "includeOutputResults" in n for n in _plan(tmp_path, includeOutputResults=True).notes
    )


cases("lambda › analyzer: output results and URL", 4, 2)

# A short function measured at seven sizes (mean ms): the 12-40 ms case.
SHORT = {128: 40.9, 256: 20.2, 512: 10.9, 1024: 7.7, 1536: 7.2, 2048: 7.2, 3008: 7.2}


def _apt_balanced(durations: dict[int, list[float]], weight: float, trim: float) -> int:
    """APT's executor and analyzer, re-stated: trimmed mean of the billed ms rounded up, times
    memory (its computePrice; the per-MB price cancels), and findBalanced."""
    cost, duration = [], []
    for m in sorted(durations):
        billed = [float(math.ceil(d)) for d in durations[m]]
        cost.append(m * math.ceil(float(trimmed_mean(np.asarray(billed), trim))))
        duration.append(float(trimmed_mean(np.asarray(durations[m]), trim)))
    score = [weight * c / max(cost) + (1 - weight) * d / max(duration)
             for c, d in zip(cost, duration, strict=True)]  # fmt: skip
    return sorted(durations)[int(np.argmin(score))]


def test_balanced_on_a_short_function_gives_its_answer(tmp_path: Path) -> None:
    """Issue 28's defect: README promised APT's answer for --from-power-tuning, but powertune's
    balanced scored its own cost (request fee included), so on a short function it picked
    1024 MB where APT picks 512 MB. Under --from-power-tuning the scoring is APT's own."""
    durations = {m: [d * (1 + 0.01 * (k - 4.5)) for k in range(10)] for m, d in SHORT.items()}
    obs = Observations()
    for m, ds in durations.items():
        for d in ds:
            obs.add(Sample(memory_mb=m, duration_ms=d, billed_ms=math.ceil(d)))
    curve = cost_curve(
        None, obs, catalog=load_catalog(), region="us-east-1", arch="x86_64", trim=0.2
    )
    plan = _plan(tmp_path, strategy="balanced", powerValues=sorted(SHORT))
    assert plan.strategy.scoring == p.SCORING_POWER_TUNING
    theirs = choose("balanced", curve, tie_band=0.0, scoring=plan.strategy.scoring).memory_mb
    assert theirs == _apt_balanced(durations, 0.5, plan.trim) == 512
    assert choose("balanced", curve, tie_band=0.0, scoring=p.SCORING_POWERTUNE).memory_mb == 1024
    # the user can say otherwise
    flags = p.TuneFlags(from_power_tuning=str(_input(tmp_path)), scoring="powertune")
    assert p.resolve_plan(flags).strategy.scoring == p.SCORING_POWERTUNE


def test_scoring_power_tuning_needs_a_grid() -> None:
    with pytest.raises(InputError, match="needs --search grid"):
        p.resolve_plan(p.TuneFlags(function="fn", scoring="power-tuning", search_kind="adaptive"))


# -- lambda › optimizer, input keys that are ignored ----------------------------------------------


def test_optimizer_auto_optimize_is_named_and_ignored(tmp_path: Path) -> None:
    """lambda › optimizer › should update power / create alias / update alias if invoked with
    autoOptimize(Alias) (three): DIFFERS: powertune never changes the live configuration during a
    tune (``powertune apply`` does, on request); the keys are named in one note. › should not do
    anything if invoked without autoOptimize / if dryRun / if dryRun without any analysis
    (three): SAME, nothing is changed (its explode-on-bad-event cases are internal)."""
    notes = _plan(tmp_path, autoOptimize=True, autoOptimizeAlias="prod").notes
    assert any("autoOptimize (" in n and "autoOptimizeAlias (" in n for n in notes)


cases("lambda › optimizer", 6, 3)


def test_every_input_key_of_its_readme_is_in_the_readme_table() -> None:
    """Every key of its README-EXECUTE input table is mapped, ignored with a reason or refused
    with a reason, and README's table lists each one."""
    keys = ["lambdaARN", "num", "powerValues", "payload", "payloadS3", "parallelInvocation",
            "strategy", "balancedWeight", "autoOptimize", "autoOptimizeAlias", "dryRun",
            "preProcessorARN", "postProcessorARN", "discardTopBottom", "sleepBetweenRunsMs",
            "disablePayloadLogs", "includeOutputResults", "onlyColdStarts", "allowedExceptions"]  # fmt: skip
    known = set(p._PT_MAPPED) | set(p._PT_IGNORED) | set(p._PT_UNSUPPORTED)
    assert set(keys) == known
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### aws-lambda-power-tuning input → powertune", 1)[1].split("\n\n")[1]
    for key in keys:
        assert f"`{key}`" in table, key


def test_the_case_count() -> None:
    """The count in issue 28's note: APT cases covered here, and how many agree."""
    covered = sum(c for c, _s in CASES.values())
    same = sum(s for _c, s in CASES.values())
    assert (covered, same) == (COVERED, SAME)


COVERED, SAME = 151, 104


def test_sizes_that_never_sent_a_payload_are_named() -> None:
    """The adaptive search's counts per size are its own: after the run, the sizes that never
    sent some payload are named (issue 28: some payloads never sent, and nothing said so)."""
    obs = Observations()
    for k in range(7):
        obs.add(Sample(memory_mb=128, duration_ms=10.0, billed_ms=10, payload_index=k))
    for k in range(10):
        obs.add(Sample(memory_mb=512, duration_ms=5.0, billed_ms=5, payload_index=k))
    (note,) = unsent_payload_notes(obs, 10)
    assert "128 MB (3 of 10)" in note and "512 MB" not in note
    assert unsent_payload_notes(obs, 1) == []


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("num", [1, 10, 100])
def test_executor_invokes_num_times(tmp_path: Path, num: int, parallel: bool) -> None:
    """lambda › executor › should invoke Lambda 1 / 10 / 100 time(s) (in series, in parallel):
    DIFFERS (six) on purpose: each size measures exactly ``num`` invocations, as it does, but
    first makes one warm-up invocation that is not measured (its cold start is priced apart),
    so ``num + 1`` are invoked per size. Run on a recording (``--replay``)."""
    from test_tune_baseline import replay_csv

    from powertune.tune.run import tune

    recording = replay_csv(tmp_path / "fn.csv", 1.0)
    flags = p.TuneFlags(
        replay=str(recording),
        search_kind="grid",
        memory="512",
        invocations=num,
        concurrency=None if parallel else 1,
    )
    result = tune(p.resolve_plan(flags))
    (measured,) = result.functions[0].measurements
    assert measured.invocations == num
    assert result.tuning is not None and result.tuning.invocations == num + 1


cases("lambda › executor: invoke num times", 6, 0)
