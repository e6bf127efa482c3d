"""End-to-end tuning against the embedded runtime: real handlers, real REPORT records, real boto3."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from local_runtime import assert_restored, deploy, lambda_client

from powertune.local import LocalLambda
from powertune.results import Run, validate_json
from powertune.results.jsonio import result_to_json
from powertune.tune.build import BuildOptions, build_result
from powertune.tune.plan import parse_payload
from powertune.tune.search.grid import GridSearch
from powertune.tune.targets.aws import AwsLambdaTarget
from powertune.tune.tuner import Tuner, TuneSettings
from pricing.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "functions"
TEST_FUNCTIONS = Path(__file__).parent / "functions"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalLambda]:
    with LocalLambda(cpu="model", concurrency=8) as running:
        yield running


def target(server: LocalLambda, name: str) -> AwsLambdaTarget:
    session = boto3.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    )
    return AwsLambdaTarget(
        name, boto3_session=session, endpoint_url=server.endpoint_url, log_wait_s=2
    )


def run(
    server: LocalLambda, name: str, sizes: list[int], n: int, payload: str = "{}", **settings: Any
):
    settings.setdefault("concurrency", 4)
    tuner = Tuner(
        target(server, name),
        GridSearch(sizes, n),
        parse_payload(payload),
        TuneSettings(**settings),
        catalog=load_catalog(),
    )
    return tuner.run()


def test_grid_run_measures_every_size_from_real_reports_and_restores(server: LocalLambda) -> None:
    name = deploy(server, EXAMPLES / "io_wait")
    outcome = run(server, name, [128, 512], 4, '{"wait_ms": 20, "calls": 1}')
    assert_restored(server, name)
    obs = outcome.observations
    assert sorted(obs.samples) == [128, 512] and not obs.skipped
    for memory, samples in obs.samples.items():
        assert len(samples) == 4
        for sample in samples:
            assert sample.memory_mb == memory
            # the handler waits 20 ms; model mode takes host run-queue delay out of the wall
            # time, which on a busy machine can shave a fraction of a millisecond off it
            assert sample.duration_ms >= 18
            extra = sample.init_ms or 0
            assert sample.billed_ms == math.ceil(sample.duration_ms + extra)
            assert sample.request_id and sample.status == "success"
    assert outcome.invocations == 8 + 2  # one warm-up per size
    assert outcome.spend_usd > 0
    catalog = load_catalog()
    result = build_result(
        outcome,
        search=GridSearch([128, 512], 4),
        catalog=catalog,
        run=Run(target="local", search="grid", strategy="cost"),
        options=BuildOptions(),
    )
    doc = result_to_json(result)
    validate_json(doc)
    fn = doc["functions"][0]
    assert fn["original_memory_mb"] == 1024
    assert fn["recommendation"]["memory_mb"] == 128  # waiting costs the same time at any size
    assert Decimal(fn["measurements"][0]["cost_per_invocation_usd"]) > 0
    assert doc["tuning"]["invocations"] == 10


def test_out_of_memory_sizes_are_skipped(server: LocalLambda) -> None:
    name = deploy(server, EXAMPLES / "memory_hungry")
    outcome = run(server, name, [128, 512], 2, '{"mb": 200}')
    assert outcome.observations.skipped == {128: "out of memory"}
    assert len(outcome.observations.samples[512]) == 2
    assert_restored(server, name)


def test_function_errors_skip_a_size_unless_allowed(server: LocalLambda) -> None:
    name = deploy(server, TEST_FUNCTIONS / "flaky")
    outcome = run(server, name, [256], 3)
    assert outcome.observations.skipped[256].startswith("errors:")
    assert "DownstreamTimeout" in outcome.observations.skipped[256]
    allowed = run(server, name, [256], 3, allowed_errors=frozenset({"DownstreamTimeout"}))
    assert not allowed.observations.skipped
    assert all(s.error_type == "DownstreamTimeout" for s in allowed.observations.samples[256])
    assert_restored(server, name)


def test_throttles_are_retried_and_never_sampled() -> None:
    with LocalLambda(cpu="model", concurrency=1) as tight:
        name = deploy(tight, TEST_FUNCTIONS / "touch_then_wait")
        outcome = run(
            tight,
            name,
            [256],
            6,
            '{"wait_s": 0.05}',
            concurrency=4,
            throttle_base_s=0.02,
            throttle_retries=30,
        )
        assert outcome.throttles > 0
        assert len(outcome.observations.samples[256]) == 6
        assert not outcome.observations.skipped
        assert_restored(tight, name)


def test_throttled_beyond_retries_skips_the_size() -> None:
    with LocalLambda(cpu="model", concurrency=1) as tight:
        name = deploy(tight, TEST_FUNCTIONS / "touch_then_wait")
        outcome = run(
            tight,
            name,
            [256],
            4,
            '{"wait_s": 0.5}',
            concurrency=4,
            warmup=0,
            throttle_base_s=0.001,
            throttle_retries=1,
        )
        assert outcome.observations.skipped[256].startswith("throttled")
        assert outcome.throttles >= 2
        assert_restored(tight, name)


def test_cold_starts_mode_measures_only_cold_starts(server: LocalLambda) -> None:
    name = deploy(server, EXAMPLES / "noop")
    outcome = run(server, name, [256], 3, cold_starts=True)
    samples = outcome.observations.samples[256]
    assert len(samples) == 3
    assert all(s.init_ms is not None for s in samples)
    assert_restored(server, name)


def test_max_spend_stops_before_exceeding(server: LocalLambda) -> None:
    name = deploy(server, EXAMPLES / "io_wait", timeout=1)  # the first invocation's worst case
    outcome = run(
        server,
        name,
        [1024, 2048],
        20,
        '{"wait_ms": 50, "calls": 1}',
        max_spend_usd=Decimal("0.00002"),
    )
    assert outcome.stop_reason and "--max-spend" in outcome.stop_reason
    assert outcome.spend_usd <= Decimal("0.00002")
    measured = sum(len(s) for s in outcome.observations.samples.values())
    assert 0 < measured < 40  # it measured what the budget allowed, not nothing, not everything
    assert_restored(server, name)


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_cli_tune_local_writes_a_valid_result(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = _cli(
        "tune",
        "--local",
        str(EXAMPLES / "noop"),
        "--search",
        "grid",
        "--memory",
        "128,256",
        "--invocations",
        "3",
        "--cpu",
        "model",
        "--json",
        str(out),
        "--monthly-invocations",
        "1000000",
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    validate_json(doc)
    assert doc["run"]["target"] == "local" and doc["run"]["cpu_mode"] == "model"
    fn = doc["functions"][0]
    assert [m["invocations"] for m in fn["measurements"]] == [3, 3]
    assert fn["recommendation"]["monthly"]["invocations"] == 1000000
    assert "restored" in result.stderr
    assert "128" in result.stdout  # the table


def test_cli_dry_run_changes_nothing_and_prices_the_plan() -> None:
    result = _cli(
        "tune",
        "--local",
        str(EXAMPLES / "noop"),
        "--search",
        "grid",
        "--memory",
        "128,1024",
        "--dry-run",
        "--cpu",
        "model",
    )
    assert result.returncode == 0, result.stderr
    assert "128 MB, 1024 MB" in result.stdout
    assert "for every 100 ms" in result.stdout and "nothing was changed" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["tune", "bad name!"], 2, "not a Lambda function name"),
        (["tune", "--local", "no/such/dir"], 2, "no such handler"),
        (["tune", "fn", "--memory", "64"], 2, "outside Lambda's range"),
        (["tune", "fn", "--strategy", "slo"], 2, "--max-p95-ms"),
        (["tune", "fn", "--payload", "{bad"], 2, "not valid JSON"),
        (["tune"], 2, "name one function"),
        (["tune", "fn", "--max-spend", "-3"], 2, "positive amount"),
        (["tune", "fn", "--dry-run"], 2, "no AWS region"),
        (
            ["tune", "fn", "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"],
            3,
            "GetFunctionConfiguration",
        ),
    ],
)
def test_cli_bad_input_is_one_line_and_an_exit_code(
    args: list[str], code: int, message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_MAX_ATTEMPTS": "1",
        },
    )
    assert result.returncode == code, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("powertune: error:") and message in lines[-1]
    assert "Traceback" not in result.stderr


def test_compare_measures_the_arm64_twin_at_the_recommended_size(
    server: LocalLambda, tmp_path: Path
) -> None:
    name = deploy(server, EXAMPLES / "io_wait")
    twin = f"{name}-arm"
    server.add_function(
        twin, str(EXAMPLES / "io_wait"), MemorySize=1024, Timeout=30, Architectures=["arm64"]
    )
    out = tmp_path / "out.json"
    env = {**__import__("os").environ, "AWS_ACCESS_KEY_ID": "l", "AWS_SECRET_ACCESS_KEY": "l"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "tune",
            name,
            "--endpoint-url",
            server.endpoint_url,
            "--region",
            "us-east-1",
            "--search",
            "grid",
            "--memory",
            "128,512",
            "--invocations",
            "3",
            "--payload",
            '{"wait_ms": 30, "calls": 1}',
            "--compare",
            twin,
            "--monthly-invocations",
            "1000000",
            "--json",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    arm64 = json.loads(out.read_text())["functions"][0]["recommendation"]["arm64"]
    assert arm64["estimate"] is False
    assert arm64["arm64_function"] == twin
    assert Decimal(arm64["arm64_usd"]) < Decimal(arm64["x86_64_usd"])  # same duration, cheaper GB-s
    assert_restored(server, twin)
    wrong = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "tune",
            name,
            "--endpoint-url",
            server.endpoint_url,
            "--region",
            "us-east-1",
            "--search",
            "grid",
            "--memory",
            "128",
            "--invocations",
            "2",
            "--compare",
            name,
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert wrong.returncode == 2 and "arm64 twin" in wrong.stderr
    assert_restored(server, name)


def test_report_is_found_in_cloudwatch_logs_when_the_tail_lacks_it(server: LocalLambda) -> None:
    from powertune.collectors.cloudwatch import find_report

    name = deploy(server, EXAMPLES / "noop")
    lam = lambda_client(server)
    response = lam.invoke(FunctionName=name, Payload=b"{}")  # no LogType=Tail: no LogResult
    assert "LogResult" not in response
    logs = boto3.client(
        "logs",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="l",
        aws_secret_access_key="l",
    )
    wanted = response["ResponseMetadata"]["RequestId"]  # the invocation's own request id
    report = find_report(logs, f"/aws/lambda/{name}", wanted, wait_s=5, poll_s=0.2)
    assert report is not None and report.request_id == wanted
    assert report.memory_mb == 1024 and report.billed_ms is not None
    assert (
        find_report(logs, f"/aws/lambda/{name}", "no-such-request", wait_s=0.3, poll_s=0.1) is None
    )


def test_json_log_format_functions_are_tuned_from_platform_report_records(
    server: LocalLambda,
) -> None:
    name = deploy(server, EXAMPLES / "io_wait")
    lam = lambda_client(server)
    lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "JSON"})
    lam.get_waiter("function_updated").wait(FunctionName=name, WaiterConfig={"Delay": 1})
    outcome = run(server, name, [256], 3, '{"wait_ms": 10, "calls": 1}')
    assert outcome.info.log_format == "JSON"
    samples = outcome.observations.samples[256]
    assert len(samples) == 3 and all(s.duration_ms >= 8 and s.billed_ms for s in samples)
    assert lam.get_function_configuration(FunctionName=name)["LoggingConfig"]["LogFormat"] == "JSON"
    assert_restored(server, name)


def test_a_size_lambda_rejects_is_skipped_and_the_run_goes_on() -> None:
    # A new account is held to 3,008 MB: Lambda answers InvalidParameterValueException.
    with LocalLambda(cpu="model", max_memory_mb=3008) as quota:
        name = deploy(quota, EXAMPLES / "noop")
        outcome = run(quota, name, [1024, 4096], 2)
        assert outcome.observations.skipped[4096].startswith("rejected by Lambda")
        assert len(outcome.observations.samples[1024]) == 2
        result = build_result(
            outcome,
            search=GridSearch([1024, 4096], 2),
            catalog=load_catalog(),
            run=Run(target="local", search="grid", strategy="cost"),
            options=BuildOptions(),
        )
        rows = {m.memory_mb: m for m in result.functions[0].measurements}
        assert rows[4096].status == "skipped" and rows[4096].invocations == 0
        assert result.functions[0].recommendation.memory_mb == 1024
        assert_restored(quota, name)


def test_max_spend_below_one_invocation_refuses_to_start(server: LocalLambda) -> None:
    from powertune.tune.tuner import BudgetTooSmall

    name = deploy(server, EXAMPLES / "noop", timeout=30)
    with pytest.raises(BudgetTooSmall, match="below the worst case of one invocation"):
        run(server, name, [1024], 5, max_spend_usd=Decimal("0.0001"))
    assert_restored(server, name)
    assert (
        lambda_client(server).list_versions_by_function(FunctionName=name)["Versions"][-1][
            "Version"
        ]
        == "$LATEST"
    )


def test_tune_from_power_tuning_input(server: LocalLambda, tmp_path: Path) -> None:
    name = deploy(server, EXAMPLES / "io_wait")
    spec = tmp_path / "input.json"
    spec.write_text(
        json.dumps(
            {
                "lambdaARN": f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
                "powerValues": [128, 512],
                "num": 4,
                "payload": {"wait_ms": 10, "calls": 1},
                "parallelInvocation": True,
                "strategy": "speed",
            }
        )
    )
    out = tmp_path / "out.json"
    env = {**__import__("os").environ, "AWS_ACCESS_KEY_ID": "l", "AWS_SECRET_ACCESS_KEY": "l"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "tune",
            "--from-power-tuning",
            str(spec),
            "--endpoint-url",
            server.endpoint_url,
            "--json",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["run"]["search"] == "grid" and doc["run"]["strategy"] == "speed"
    fn = doc["functions"][0]
    assert fn["name"] == name
    assert [(m["memory_mb"], m["invocations"]) for m in fn["measurements"]] == [(128, 4), (512, 4)]
    assert_restored(server, name)
