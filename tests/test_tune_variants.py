"""`tune --variant` end to end against the embedded runtime over loopback (real boto3 clients, real
twins created from the function's own code, real REPORT records): measured side by side, priced
at the twin's own rates, in the JSON and every rendering, and deleted; a stop during the twin's
measurement deletes it; a refusal creates nothing; a twin that fails is a finding."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from local_runtime import assert_restored, deploy, lambda_client
from moto import mock_aws

from powertune.local import LocalLambda
from powertune.outputs import fmt
from powertune.outputs.decision import decision_lines
from powertune.outputs.html import render_html
from powertune.outputs.markdown import render_markdown
from powertune.results import validate_json
from powertune.results.jsonio import dumps_result, load_result, result_to_json
from powertune.results.model import FunctionResult, Measurement
from powertune.tune.build import BuildOptions, TrafficFigures, variant_results
from powertune.tune.plan import TuneFlags, resolve_plan
from powertune.tune.run import LOCAL_VARIANT_NOTE, Hooks, prepare, price_dry_run, tune
from powertune.tune.sidebyside import Arm, SideBySide
from powertune.tune.targets.twins import VariantRefused
from powertune.types import FunctionInfo, Sample
from powertune_cli.table import render_table
from pricing.catalog import load_catalog
from pricing.cost import duration_price, gb_seconds, request_price

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "functions"
# An extension module built for one Python: the twin on another runtime cannot import it.
NATIVE = """
import os

if os.environ.get("AWS_EXECUTION_ENV", "").endswith("python3.13"):
    raise ImportError("_speedups.cpython-312-x86_64-linux-gnu.so: undefined symbol")


def lambda_handler(event, context):
    return {"ok": True}
"""


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local runtime takes any credentials; none come from this machine."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="module")
def server() -> Iterator[LocalLambda]:
    with LocalLambda(cpu="model", concurrency=8) as running:
        yield running


def _twins_left(server: LocalLambda) -> list[str]:
    functions = lambda_client(server).list_functions()["Functions"]
    return [f["FunctionName"] for f in functions if "-pt-" in f["FunctionName"]]


def _flags(server: LocalLambda, name: str, *variants: str, **more: Any) -> TuneFlags:
    settings: dict[str, Any] = {
        "function": name,
        "endpoint_url": server.endpoint_url,
        "region": "us-east-1",
        "search_kind": "grid",
        "memory": "512,1024",
        "invocations": 3,
        "warmup": 0,  # every invocation is in the result, so the spend can be recomputed
        "cold_share": 0.0,
        "monthly_invocations": 1_000_000,
        "payload": '{"wait_ms": 20, "calls": 1}',
        "variant": list(variants),
    }
    return TuneFlags(**{**settings, **more})


def _spend(samples: list[tuple[Measurement, str]], region: str) -> Decimal:
    """What the run spent, from every stored invocation at its own architecture's catalog rate:
    GB-s x the duration rate, plus the request fee."""
    catalog = load_catalog()
    total = Decimal(0)
    for m, arch in samples:
        for s in m.samples:
            assert s.billed_ms is not None
            rate = duration_price(catalog, region, arch)
            total += gb_seconds(m.memory_mb, s.billed_ms) * rate
            total += request_price(catalog, region, arch)
    return total


def test_an_arm64_variant_is_measured_side_by_side_priced_at_arm64_rates_and_deleted(
    server: LocalLambda,
) -> None:
    name = deploy(server, EXAMPLES / "io_wait")
    notes: list[str] = []
    result = tune(resolve_plan(_flags(server, name, "arch=arm64")), Hooks(note=notes.append))
    fn = result.functions[0]
    [v] = fn.variants
    assert v.status == "measured" and v.failure is None
    assert v.variant == "arch=arm64" and v.architecture == "arm64"
    assert v.twin.startswith(f"{name}-pt-arm64-")
    assert v.rounds == 10  # at least TWIN_MIN_INVOCATIONS rounds, one invocation per size each
    # the same sizes, the same number of invocations, the same payloads, on both sides
    for side in (v.measurements, v.function_measurements):
        assert [(m.memory_mb, m.invocations, m.errors) for m in side] == [
            (512, 10, 0),
            (1024, 10, 0),
        ]
        assert all(r.payload_index == 0 for m in side for r in m.samples)
    assert v.variant_side is not None and v.function_side is not None
    assert v.variant_side.architecture == "arm64" and v.function_side.architecture == "x86_64"
    assert v.variant_side.function == v.twin and v.function_side.function == name
    # the function's side is the run's recommendation, priced from the side-by-side measurement
    assert fn.recommendation is not None
    assert v.function_side.memory_mb == fn.recommendation.memory_mb
    beside = next(m for m in v.function_measurements if m.memory_mb == v.function_side.memory_mb)
    assert v.function_side.cost_per_invocation_usd == beside.cost_per_invocation_usd
    assert v.variant_side.invocations == v.function_side.invocations == 10
    # one figure: the variant's choice is its own priced curve's row and its measurement's
    at = next(p for p in v.priced if p.memory_mb == v.variant_side.memory_mb)
    mine = next(m for m in v.measurements if m.memory_mb == v.variant_side.memory_mb)
    assert v.variant_side.cost_per_invocation_usd == at.cost_per_invocation_usd
    assert at.cost_per_invocation_usd == mine.cost_per_invocation_usd
    assert v.variant_side.monthly_usd == 1_000_000 * at.cost_per_invocation_usd
    assert v.monthly_change_usd == v.variant_side.monthly_usd - v.function_side.monthly_usd
    assert v.change_basis == "month"
    expected = (v.monthly_change_usd / v.function_side.monthly_usd * 100).quantize(Decimal("0.1"))
    assert v.change_pct == expected
    # every invocation of the run priced at its own architecture's rate: the function's own
    # search and the side-by-side measurement at x86_64, the twin's at arm64
    spent = [(m, "x86_64") for m in fn.measurements + v.function_measurements]
    spent += [(m, "arm64") for m in v.measurements]
    assert result.tuning.invocations == 2 * 3 + 2 * 2 * 10
    assert result.tuning.spend_usd == _spend(spent, fn.region)
    catalog = load_catalog()
    assert duration_price(catalog, fn.region, "arm64") < duration_price(
        catalog, fn.region, "x86_64"
    )
    # the embedded runtime does not emulate arm64, and says so
    assert v.notes == (LOCAL_VARIANT_NOTE,)
    # the twin is gone, and the function is as it was
    assert _twins_left(server) == []
    assert_restored(server, name)
    assert any(n.startswith(f"creating twin {v.twin}") for n in notes)
    assert f"deleted twin {v.twin}" in notes
    _assert_rendered(result, fn)


def _assert_rendered(result: Any, fn: FunctionResult) -> None:
    """The variant in the JSON (valid, read back equal) and in every rendering."""
    document = result_to_json(result)
    validate_json(document)
    assert document["functions"][0]["variants"][0]["architecture"] == "arm64"
    [v] = fn.variants
    assert v.variant_side is not None and v.function_side is not None
    lines = [line for line in decision_lines(fn) if line.topic == "variant arch=arm64"]
    head = (
        f"at {v.variant_side.memory_mb} MB: {_signed(v.change_pct)} $/month, "
        f"p95 {_signed(v.p95_change_pct)}, measured 10 vs 10 invocations"
    )
    assert lines[0].text.startswith(head)
    assert lines[-1].text == f"note: {LOCAL_VARIANT_NOTE}"
    flat = " ".join(render_table(result, width=400).split())
    assert f"variant arch=arm64: {head}" in flat
    assert f"variant arch=arm64**: {head}" in render_markdown(result)
    page = render_html(result)
    assert "variant arch=arm64" in page and head in page
    assert LOCAL_VARIANT_NOTE.replace("'", "&#x27;") in page
    _assert_one_arm64_figure(result, fn, flat, render_markdown(result), page)


def _assert_one_arm64_figure(result: Any, fn: FunctionResult, *rendered: str) -> None:
    """The measured variant is the arm64 figure: no estimate beside it, in the JSON or any
    rendering; the arm64 line points at the variant, and the x86_64 month stays."""
    [v] = fn.variants
    assert v.variant_side is not None and v.variant_side.monthly_usd is not None
    rec = fn.recommendation
    assert rec is not None and rec.arm64 is not None
    assert rec.arm64.estimate is False and rec.arm64.arm64_function == v.twin
    assert rec.arm64.x86_64_usd is not None and rec.arm64.x86_64 is not None
    arm64 = result_to_json(result)["functions"][0]["recommendation"]["arm64"]
    assert arm64["arm64_usd"] is None and arm64["arm64"] is None and arm64["saving_usd"] is None
    assert "see variants (arch=arm64)" in arm64["basis"]
    [line] = [line for line in decision_lines(fn) if line.topic == "arm64"]
    assert line.text == f"measured on twin {v.twin}: see variant arch=arm64"
    assert "$" not in line.text
    for text in rendered:
        flat = " ".join(text.split())
        assert "priced at arm64 rates" not in flat and "(estimate)" not in flat
        assert "see variant arch=arm64" in flat
        # the variant's month is there once, as the variant's
        assert flat.count(f"twin {fmt.usd(v.variant_side.monthly_usd)}/month") == 1


def test_the_side_by_side_rounds_stay_within_max_invocations(server: LocalLambda) -> None:
    name = deploy(server, EXAMPLES / "noop")
    notes: list[str] = []
    flags = _flags(server, name, "arch=arm64", payload=None, max_invocations=14)
    result = tune(resolve_plan(flags), Hooks(note=notes.append))
    [v] = result.functions[0].variants
    # 2 sizes x 3 for the function's own grid, then rounds of 2 sizes x 2 targets: 6 + 2 x 4
    assert v.rounds == 2
    assert [m.invocations for m in v.measurements + v.function_measurements] == [2, 2, 2, 2]
    assert result.tuning.invocations == 14
    assert "note: the side-by-side measurement stopped early: --max-invocations 14 reached" in (
        notes
    )
    assert _twins_left(server) == []


def test_a_budget_that_leaves_no_round_is_not_a_failing_twin(server: LocalLambda) -> None:
    """--max-invocations used up by the function's own search: the twin was never invoked. That
    is "not measured" (status "stopped"), not "fails", and the arm64 estimate stays."""
    name = deploy(server, EXAMPLES / "noop")
    flags = _flags(server, name, "arch=arm64", payload=None, max_invocations=6)
    result = tune(resolve_plan(flags))
    validate_json(result_to_json(result))
    fn = result.functions[0]
    [v] = fn.variants
    assert v.rounds == 0 and v.variant_side is None
    assert v.status == "stopped"
    assert v.failure == (
        "not measured: the side-by-side measurement stopped early: --max-invocations 6 reached"
    )
    [line, _note] = [x for x in decision_lines(fn) if x.topic == "variant arch=arm64"]
    assert line.text == f"{v.failure} (twin {v.twin})" and "fails" not in line.text
    assert fn.recommendation is not None and fn.recommendation.arm64 is not None
    assert fn.recommendation.arm64.estimate is True  # nothing measured arm64: the estimate stays
    [arm64] = [x for x in decision_lines(fn) if x.topic == "arm64"]
    assert "(estimate: the x86_64 durations priced at arm64 rates" in arm64.text
    assert _twins_left(server) == []
    assert_restored(server, name)


def test_a_result_read_back_keeps_its_variants(server: LocalLambda, tmp_path: Path) -> None:
    name = deploy(server, EXAMPLES / "noop")
    result = tune(resolve_plan(_flags(server, name, "arch=arm64", memory="1024", payload=None)))
    path = tmp_path / "r.json"
    path.write_text(dumps_result(result))
    assert load_result(path).functions[0].variants == result.functions[0].variants
    assert _twins_left(server) == []


def test_a_twin_that_fails_at_invocation_is_the_finding(
    server: LocalLambda, tmp_path: Path
) -> None:
    (tmp_path / "lambda_function.py").write_text(NATIVE)
    name = deploy(server, tmp_path)
    result = tune(resolve_plan(_flags(server, name, "runtime=python3.13", payload=None)))
    fn = result.functions[0]
    assert fn.recommendation is not None  # the function itself is tuned as ever
    [v] = fn.variants
    assert v.status == "fails" and v.variant_side is None and v.change_pct is None
    assert v.failure == "fails: Runtime.ImportModuleError in 20 of 20 invocations"
    assert all(m.status == "skipped" and m.errors == 10 for m in v.measurements)
    assert [m.errors for m in v.function_measurements] == [0, 0]
    [line, note] = [x for x in decision_lines(fn) if x.topic.startswith("variant")]
    assert line.text == (
        f"fails: Runtime.ImportModuleError in 20 of 20 invocations on twin {v.twin}: "
        "not a candidate"
    )
    # the runtime ran on the host's Python (the twin differs by AWS_EXECUTION_ENV only): said
    assert "runs the host's Python whatever the twin's runtime" in note.text
    # no arm64 variant: the estimate stays the arm64 figure, and names the flag that measures it
    [arm64] = [x for x in decision_lines(fn) if x.topic == "arm64"]
    assert "(estimate: the x86_64 durations priced at arm64 rates" in arm64.text
    assert "tune --variant arch=arm64 measures it" in arm64.text
    assert _twins_left(server) == []
    assert_restored(server, name)


def test_a_refused_variant_creates_nothing_and_changes_nothing(server: LocalLambda) -> None:
    name = deploy(server, EXAMPLES / "noop")
    before = lambda_client(server).list_functions()["Functions"]
    with pytest.raises(VariantRefused, match=r"python code .*nodejs22\.x cannot run it"):
        tune(resolve_plan(_flags(server, name, "arch=arm64", "runtime=nodejs22.x")))
    assert lambda_client(server).list_functions()["Functions"] == before
    assert_restored(server, name)


# -- the command ----------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "tune", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        timeout=timeout,
    )


def test_the_flag_on_the_local_runtime_writes_the_variant_everywhere(tmp_path: Path) -> None:
    # A steady 100 ms wait: arm64's cheaper GB-s shows through two invocations a size (a no-op's
    # 1-2 ms billed could round either side up and make the twin the dearer one, as it once did)
    out, md = tmp_path / "r.json", tmp_path / "r.md"
    done = _cli(
        "--local",
        str(EXAMPLES / "io_wait"),
        "--search",
        "grid",
        "--memory",
        "512,1024",
        "--invocations",
        "2",
        "--variant",
        "arch=arm64",
        "--monthly-invocations",
        "1000000",
        "--json",
        str(out),
        "--format",
        "markdown",
        "--output",
        str(md),
    )
    assert done.returncode == 0, done.stderr
    [v] = json.loads(out.read_text())["functions"][0]["variants"]
    assert v["status"] == "measured" and v["variant_side"]["architecture"] == "arm64"
    assert (
        isinstance(v["change_pct"], str) and Decimal(v["change_pct"]) < 0
    )  # arm64 GB-s is cheaper
    assert v["notes"] == [LOCAL_VARIANT_NOTE]
    assert f"deleted twin {v['twin']}" in " ".join(done.stderr.split())
    text = md.read_text()
    assert "**variant arch=arm64**: at " in text and "does not emulate the instruction set" in text
    # one arm64 figure: the measured one; the estimate is left out of the JSON and the page
    arm64 = json.loads(out.read_text())["functions"][0]["recommendation"]["arm64"]
    assert arm64["arm64_usd"] is None and arm64["arm64_function"] == v["twin"]
    assert "priced at arm64 rates" not in text
    assert f"- arm64: measured on twin {v['twin']}: see variant arch=arm64" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--variant", "arch=sparc"], "unknown architecture 'sparc'"),
        (["--variant", "arch=arm64", "--variant", "arch=arm64"], "given twice"),
        (["--variant", "runtime=nodejs22.x"], "nodejs22.x cannot run it"),
        (["--variant-bucket", "b"], "--variant-bucket is for --variant"),
        (["--variant", "arch=arm64", "--cold-starts"], "leave out --cold-starts"),
        (["--variant", "arch=arm64", "--replay", "runs.csv"], "not a replay"),
        (["another-function", "--variant", "arch=arm64"], "--variant takes one function"),
        (["--variant", ""], "--variant: empty"),
        (["--variant", "arch="], "'arch=' is not KEY=VALUE"),
        (["--variant", "arch=ARM64"], "unknown architecture 'ARM64'"),
        (["--variant", "arch=arm64,arch=x86_64"], "arch given twice"),
        (["--variant", "arch=\u00e4rm64"], "unknown architecture '\u00e4rm64'"),
        (["--variant", "arch=arm64\x1b[2J"], "unknown architecture 'arm64\\x1b[2J'"),
        (["--variant", "runtime=" + "3" * 5000], "… (5000 characters) is not a Lambda runtime"),
        (["--variant", "arch=x86_64"], "already is x86_64 on python"),  # the function's own
        (["--variant", "arch=arm64", "--compare", "twin"], "both measure arm64: give one"),
        # a path that cannot be written fails before the twins and the run, not after them
        (["--variant", "arch=arm64", "--json", "/nonexistent/x.json"], "no such directory"),
        (["--variant", "arch=arm64", "--output", "/"], "cannot write /: it is a directory"),
    ],
)
def test_bad_variants_are_one_line_exit_2_and_create_nothing(
    server: LocalLambda, args: list[str], message: str
) -> None:
    name = deploy(server, EXAMPLES / "noop")
    before = lambda_client(server).list_functions()["Functions"]
    done = _cli(name, "--endpoint-url", server.endpoint_url, "--region", "us-east-1", *args)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith("powertune: error:") and message in lines[0]
    assert len(lines[0]) < 400  # a pasted megabyte is not echoed back
    assert "Traceback" not in done.stderr
    assert lambda_client(server).list_functions()["Functions"] == before


def test_a_runtime_lambda_does_not_have_is_one_line_exit_3_and_leaves_nothing(
    server: LocalLambda,
) -> None:
    """python3.99 matches the identifiers' pattern; Lambda's CreateFunction refuses it, and so does
    the local runtime (before, it served the twin with the host's Python and measured it)."""
    name = deploy(server, EXAMPLES / "noop")
    before = lambda_client(server).list_functions()["Functions"]
    where = ("--endpoint-url", server.endpoint_url, "--region", "us-east-1")
    grid = ("--search", "grid", "--memory", "512", "--invocations", "2")
    done = _cli(name, *where, *grid, "--variant", "runtime=python3.99")
    errors = [line for line in done.stderr.splitlines() if line.startswith("powertune: error:")]
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert len(errors) == 1 and "Value python3.99 at 'runtime' failed to satisfy" in errors[0]
    assert lambda_client(server).list_functions()["Functions"] == before
    assert_restored(server, name)


def test_a_spend_cap_below_one_invocation_is_refused_before_any_twin_is_created(
    server: LocalLambda,
) -> None:
    name = deploy(server, EXAMPLES / "noop")
    where = ("--endpoint-url", server.endpoint_url, "--region", "us-east-1")
    grid = ("--search", "grid", "--memory", "512,1024", "--invocations", "2")
    done = _cli(name, *where, *grid, "--variant", "arch=arm64", "--max-spend", "0.0001")
    errors = [line for line in done.stderr.splitlines() if line.startswith("powertune: error:")]
    assert done.returncode == 2, done.stderr
    assert len(errors) == 1 and "--max-spend $0.0001 is below the worst case" in errors[0]
    assert "at 512 MB" in errors[0] and "Traceback" not in done.stderr
    assert "creating twin" not in done.stderr  # refused before, not after, a twin was made
    assert _twins_left(server) == []
    assert_restored(server, name)


def test_a_bucket_is_refused_for_the_local_runtime() -> None:
    done = _cli(
        "--local", str(EXAMPLES / "noop"), "--variant", "arch=arm64", "--variant-bucket", "b"
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "powertune: error: --variant-bucket is for a deployed function: --local takes the code "
        "directly"
    )


def test_the_dry_run_counts_the_side_by_side_invocations_and_creates_nothing(
    server: LocalLambda,
) -> None:
    name = deploy(server, EXAMPLES / "noop")
    before = lambda_client(server).list_functions()["Functions"]
    common = ("--search", "grid", "--memory", "512,1024", "--invocations", "3", "--dry-run")
    where = (name, "--endpoint-url", server.endpoint_url, "--region", "us-east-1")
    alone = _cli(*where, *common)
    done = _cli(*where, *common, "--variant", "arch=arm64")
    assert alone.returncode == done.returncode == 0, done.stderr
    # 2 sizes x (3 + 1 warm-up); then the function and the twin, 2 sizes x (10 rounds + 1) each
    assert "invocations: up to 8 (warm-ups included)" in alone.stdout
    assert "invocations: up to 52 (warm-ups included)" in done.stdout
    assert "variant: arch=arm64 on a temporary twin (created for the run, deleted after)" in (
        done.stdout
    )
    assert lambda_client(server).list_functions()["Functions"] == before


def test_each_phase_has_its_own_count(server: LocalLambda) -> None:
    """The progress bars' totals: the search's invocations, then the side-by-side rounds'."""
    name = deploy(server, EXAMPLES / "noop")
    with prepare(resolve_plan(_flags(server, name, "arch=arm64", warmup=1))) as ready:
        estimate = price_dry_run(ready)
    assert estimate.phases == (2 * (3 + 1), 2 * 2 * (10 + 1))
    assert sum(estimate.phases) == estimate.invocations
    assert _twins_left(server) == []


def test_sigterm_during_the_twins_measurement_deletes_it(server: LocalLambda) -> None:
    name = deploy(server, EXAMPLES / "io_wait")
    child = subprocess.Popen(
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
            "512,1024",
            "--invocations",
            "2",
            "--cold-share",
            "0",
            "--monthly-invocations",
            "1000",
            "--concurrency",
            "1",
            "--payload",
            '{"wait_ms": 300, "calls": 1}',
            "--variant",
            "arch=arm64",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env=_env(),
    )
    assert child.stderr is not None
    seen = []
    for line in child.stderr:  # until the side-by-side measurement starts
        seen.append(line)
        if "side by side" in line:
            break
    twins = _twins_left(server)
    assert len(twins) == 1 and twins[0].startswith(f"{name}-pt-arm64-"), seen
    # both sizes configured on the twin (the last configuration step): its invocations start
    deadline = time.monotonic() + 60
    while len(lambda_client(server).list_aliases(FunctionName=twins[0])["Aliases"]) < 2:
        assert time.monotonic() < deadline, "".join(seen)
        time.sleep(0.05)
    time.sleep(0.5)  # a round under way (0.3 s an invocation, one at a time)
    child.send_signal(signal.SIGTERM)
    rest = child.stderr.read()
    assert child.wait(timeout=120) == 128 + signal.SIGTERM, "".join(seen) + rest
    child.stderr.close()
    assert "Traceback" not in rest
    assert _twins_left(server) == []
    assert f"deleted twin {twins[0]}" in " ".join(rest.split())  # the stop says so
    assert_restored(server, name)


def test_an_endpoint_gone_mid_run_is_not_said_restored_and_names_the_functions_cleanup() -> None:
    """The endpoint stops during the side-by-side measurement: nothing can be restored nor
    deleted. No "restored" line may follow, and the advice is `powertune cleanup FUNCTION` (which
    finds the twin), not a cleanup of the twin (which would restore it, not delete it)."""
    server = LocalLambda(cpu="model", concurrency=8)
    server.start()
    try:
        name = deploy(server, EXAMPLES / "io_wait")
        child = subprocess.Popen(
            [
                sys.executable, "-m", "cli", "tune", name,
                "--endpoint-url", server.endpoint_url, "--region", "us-east-1",
                "--search", "grid", "--memory", "512,1024", "--invocations", "2",
                "--cold-share", "0", "--concurrency", "1",
                "--payload", '{"wait_ms": 200, "calls": 1}', "--variant", "arch=arm64",
            ],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT, env=_env(),
        )  # fmt: skip
        assert child.stderr is not None
        seen = []
        for line in child.stderr:
            seen.append(line)
            if "side by side" in line:
                break
        twin = _twins_left(server)[0]
        time.sleep(0.5)  # invocations under way
    finally:
        server.stop()
    rest = " ".join(child.stderr.read().split())
    assert child.wait(timeout=120) == 3, "".join(seen) + rest
    child.stderr.close()
    assert "Traceback" not in rest
    assert "restored: original configuration back" not in rest
    assert f"could not fully restore {name}" in rest and f"cleanup {name}`" in rest
    assert f"cleanup {twin}" not in rest
    assert (
        f"twin {twin}: " in rest and "not deleted, run `powertune cleanup` on the function" in rest
    )


# -- the variant's figures, from given observations ---------------------------------------------


def _arm(label: str, name: str, arch: str, durations: dict[int, float]) -> Arm:
    """A side-by-side arm as measured: 10 identical warm invocations per size."""
    arm = Arm(
        label=label,
        target=None,  # type: ignore[arg-type]  # only its measurements are read
        info=FunctionInfo(
            name=name, arn=None, region="us-east-1", architecture=arch, memory_mb=1024
        ),
    )
    for memory, duration in durations.items():
        for _ in range(10):
            arm.observations.add(Sample(memory, duration, math.ceil(duration)))
    return arm


def test_each_side_chooses_on_its_own_curve_at_its_own_rates_and_the_same_size_is_compared() -> (
    None
):
    catalog = load_catalog()
    function = _arm("function", "orders", "x86_64", {512: 300.0, 1024: 140.0})
    twin = _arm("arch=arm64", "orders-pt-arm64-abc123", "arm64", {512: 200.0, 1024: 160.0})
    side = SideBySide(arms=[function, twin], sizes=(512, 1024), rounds=10)
    traffic = TrafficFigures(monthly_invocations=2_000_000)
    [v] = variant_results(side, catalog, BuildOptions(tie_band=0.0), traffic)
    assert v.function_side is not None and v.variant_side is not None and v.same_size is not None
    # 512 x 300 > 1024 x 140 on the function; 512 x 200 < 1024 x 160 on the twin
    assert (v.function_side.memory_mb, v.variant_side.memory_mb) == (1024, 512)
    for at, billed in ((v.variant_side, 200), (v.same_size, 160)):
        assert at.architecture == "arm64"
        each = gb_seconds(at.memory_mb, billed) * duration_price(catalog, "us-east-1", "arm64")
        each += request_price(catalog, "us-east-1", "arm64")
        assert at.cost_per_invocation_usd == each
        assert at.monthly_usd == 2_000_000 * each
    each = gb_seconds(1024, 140) * duration_price(catalog, "us-east-1", "x86_64")
    assert v.function_side.cost_per_invocation_usd == each + request_price(
        catalog, "us-east-1", "x86_64"
    )
    assert v.same_size.memory_mb == 1024
    assert v.change_pct == _pct(v.variant_side.monthly_usd, v.function_side.monthly_usd)
    assert v.same_size_change_pct == _pct(v.same_size.monthly_usd, v.function_side.monthly_usd)
    assert v.p95_change_pct == round((200 / 140 - 1) * 100, 1)
    assert v.same_size_p95_change_pct == round((160 / 140 - 1) * 100, 1)
    fn = FunctionResult(
        name="orders",
        region="us-east-1",
        architecture="x86_64",
        original_memory_mb=1024,
        variants=(v,),
    )
    [line] = decision_lines(fn)
    assert line.text.startswith(
        f"at 512 MB: {_signed(v.change_pct)} $/month, p95 +43%, measured 10 vs 10 invocations "
        f"(against the function at 1024 MB); at the same 1024 MB: "
        f"{_signed(v.same_size_change_pct)} $/month, p95 +14%; twin "
    )
    # each side's figures are the ones in the result (no output prices a side itself)
    assert f"twin {fmt.usd(v.variant_side.monthly_usd)}/month, " in line.text
    assert line.text.endswith(
        f"; the function at 1024 MB, measured beside it, {fmt.usd(v.function_side.monthly_usd)}"
        f"/month, {fmt.per_million(v.function_side.cost_per_invocation_usd)} per 1M "
        f"({fmt.per_million_interval(v.function_side.cost_interval_usd)}), p95 140 ms "
        f"({fmt.interval_ms(v.function_side.duration_p95_interval)}); over 10 interleaved rounds"
    )


def test_the_function_side_is_the_runs_recommendation_where_it_was_measured_beside() -> None:
    catalog = load_catalog()
    function = _arm("function", "orders", "x86_64", {512: 300.0, 1024: 140.0})
    twin = _arm("arch=arm64", "orders-pt-arm64-abc123", "arm64", {512: 200.0, 1024: 160.0})
    side = SideBySide(arms=[function, twin], sizes=(512, 1024), rounds=10)
    options = BuildOptions(tie_band=0.0)
    [v] = variant_results(side, catalog, options, function_mb=512)
    assert v.function_side is not None and v.variant_side is not None
    assert v.function_side.memory_mb == v.variant_side.memory_mb == 512
    assert v.same_size is None and v.same_size_change_pct is None
    assert v.change_basis == "invocation" and v.monthly_change_usd is None  # no traffic
    assert v.function_side.monthly_usd is None
    # a size the side-by-side did not measure: the function's own choice there
    [v] = variant_results(side, catalog, options, function_mb=3008)
    assert v.function_side is not None and v.function_side.memory_mb == 1024


def _signed(pct: Decimal | float | None) -> str:
    """A change as the decision line writes it: ``-23%``, ``+4%``, ``±0%``."""
    assert pct is not None
    return "±0%" if round(pct) == 0 else f"{float(pct):+.0f}%"


def _pct(new: Decimal | None, old: Decimal | None) -> Decimal:
    assert new is not None and old is not None
    return ((new - old) / old * 100).quantize(Decimal("0.1"))


# -- moto: the run's own AWS clients --------------------------------------------------------------


def test_the_run_reads_an_images_manifest_through_its_own_ecr_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A deployed image function: the run's ECR client (from the run's session, in the function's
    region) reads the image, and a multi-architecture index is refused before anything changes."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
        ecr = boto3.client("ecr", region_name="eu-west-1")
        repo = ecr.create_repository(repositoryName="orders")["repository"]["repositoryUri"]
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": "sha256:" + str(i) * 64,
                    "size": 1,
                    "platform": {"architecture": arch, "os": "linux"},
                }
                for i, arch in enumerate(("amd64", "arm64"))
            ],
        }
        ecr.put_image(
            repositoryName="orders",
            imageManifest=json.dumps(index),
            imageManifestMediaType=index["mediaType"],
            imageTag="v1",
        )
        client = boto3.client("lambda", region_name="eu-west-1")
        client.create_function(
            FunctionName="orders",
            Role=role["Role"]["Arn"],
            PackageType="Image",
            Code={"ImageUri": f"{repo}:v1"},
            MemorySize=1024,
        )
        before = client.get_function(FunctionName="orders")["Configuration"]
        flags = TuneFlags(
            function="orders", region="eu-west-1", cold_share=0.0, variant=["arch=arm64"]
        )
        refused = pytest.raises(VariantRefused, match="names a multi-architecture index")
        with refused, prepare(resolve_plan(flags)):
            pass
        after = client.get_function(FunctionName="orders")
        assert after["Configuration"] == before and not after.get("Tags")
        assert [f["FunctionName"] for f in client.list_functions()["Functions"]] == ["orders"]


def test_a_twin_that_meets_no_slo_says_its_choice_is_its_fastest() -> None:
    """--strategy slo with a bound no size meets: the twin's choice is its fastest (on a flat
    curve, noise), and its line says so, as the function's recommendation warns."""
    catalog = load_catalog()
    function = _arm("function", "orders", "x86_64", {512: 300.0, 1024: 140.0})
    twin = _arm("arch=arm64", "orders-pt-arm64-abc123", "arm64", {512: 200.0, 1024: 160.0})
    side = SideBySide(arms=[function, twin], sizes=(512, 1024), rounds=10)
    slo = BuildOptions(strategy="slo", max_p95_ms=1.0, tie_band=0.0)
    [v] = variant_results(side, catalog, slo, TrafficFigures(monthly_invocations=1_000_000))
    assert v.variant_side is not None and v.variant_side.memory_mb == 1024  # the fastest
    assert v.notes == ("no size of the twin meets p95 <= 1.0 ms; its fastest is shown",)
    met = BuildOptions(strategy="slo", max_p95_ms=500.0, tie_band=0.0)
    [ok] = variant_results(side, catalog, met, TrafficFigures(monthly_invocations=1_000_000))
    assert ok.notes == ()
