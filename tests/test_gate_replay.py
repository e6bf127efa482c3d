"""The gate on pairs of real results: `powertune tune --replay` over real SeBS invocations.

tests/golden/sebs_311_warm_sample.csv holds 30 real warm invocations per size of SeBS 311
(compression) on AWS Lambda (see tests/golden/make_example_result.py for the source). Each
result is a grid run of 40 invocations per size, resampled from them with a different seed; the
"slower" variant replays the same invocations with every duration × 1.2.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from powertune.gate.compare import compare
from powertune.results import Result, load_result

SAMPLE = Path(__file__).parent / "golden" / "sebs_311_warm_sample.csv"
SEEDS = 20
runner = CliRunner()

pytestmark = pytest.mark.slow


def _replay_csv(path: Path, factor: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with SAMPLE.open() as src, path.open("w", newline="") as dst:
        out = csv.writer(dst)
        out.writerow(["memory_mb", "duration_ms", "max_memory_mb"])
        for row in csv.DictReader(src):
            duration = float(row["provider_duration_ms"]) * factor
            out.writerow(
                [row["memory_mb"], f"{duration:.2f}", int(float(row["max_memory_used_mb"]))]
            )
    return path


def _tune(replay: Path, seed: int, out: Path) -> Path:
    args = ["tune", "--replay", str(replay), "--seed", str(seed), "--search", "grid"]
    args += ["--memory", "256,512,1024,2048,3008", "--invocations", "40"]
    res = runner.invoke(app, [*args, "--json", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    root = tmp_path_factory.mktemp("replay")
    # the same file name in two folders: the function keeps its name in both results
    same = _replay_csv(root / "same" / "compression.csv", 1.0)
    slower = _replay_csv(root / "slower" / "compression.csv", 1.2)
    return {
        "same": [_tune(same, seed, root / f"same-{seed}.json") for seed in range(SEEDS + 1)],
        "slower": [_tune(slower, 500 + s, root / f"slower-{s}.json") for s in range(SEEDS)],
    }


def _load(path: Path) -> Result:
    return load_result(path)


def test_unchanged_function_passes_over_20_noisy_reruns(runs: dict[str, list[Path]]) -> None:
    statuses = []
    for before, after in zip(runs["same"], runs["same"][1:], strict=False):
        verdict = compare(_load(before), _load(after))
        assert verdict.exit_code == 0, [c.message for c in verdict.functions[0].checks]
        assert verdict.functions[0].presence == "compared"
        statuses.append(verdict.status)
    assert statuses.count("pass") >= 18, statuses


def test_twenty_percent_slower_fails_for_every_seed(runs: dict[str, list[Path]]) -> None:
    for base, slow in zip(runs["same"], runs["slower"], strict=False):
        verdict = compare(_load(base), _load(slow))
        cost = next(c for c in verdict.functions[0].checks if c.name == "cost")
        assert verdict.exit_code == 1 and cost.status == "fail", cost.message
        assert cost.evidence is not None and cost.evidence.interval[0] > 0


def test_gate_command_on_replayed_results(runs: dict[str, list[Path]], tmp_path: Path) -> None:
    base, cur, slow = runs["same"][0], runs["same"][1], runs["slower"][0]
    ok = runner.invoke(app, ["gate", "--baseline", str(base), "--current", str(cur)])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["gate", "--baseline", str(base), "--current", str(slow)])
    assert bad.exit_code == 1 and "a real increase" in bad.output
    broken = tmp_path / "baseline.json"
    broken.write_text(base.read_text()[:-200])
    res = runner.invoke(app, ["gate", "--baseline", str(broken), "--current", str(cur)])
    assert res.exit_code == 3
    assert "regenerate the baseline with: powertune tune --replay " in res.output
    assert f"--json {broken}" in res.output
