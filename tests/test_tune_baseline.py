"""`powertune tune ... --baseline`: tune and gate in one run; and powertune.toml feeding tune."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app

SAMPLE = Path(__file__).parent / "golden" / "sebs_311_warm_sample.csv"
runner = CliRunner()
GRID = ["--search", "grid", "--memory", "256,1024,3008", "--invocations", "40", "--quiet"]


def replay_csv(path: Path, factor: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with SAMPLE.open() as src, path.open("w", newline="") as dst:
        out = csv.writer(dst)
        out.writerow(["memory_mb", "duration_ms"])
        for row in csv.DictReader(src):
            out.writerow([row["memory_mb"], f"{float(row['provider_duration_ms']) * factor:.2f}"])
    return path


def test_tune_with_baseline_passes_unchanged_and_fails_slower(tmp_path: Path) -> None:
    same = replay_csv(tmp_path / "a" / "fn.csv", 1.0)
    slower = replay_csv(tmp_path / "b" / "fn.csv", 1.2)
    base = tmp_path / "base.json"
    made = runner.invoke(
        app, ["tune", "--replay", str(same), "--seed", "1", *GRID, "--json", str(base)]
    )
    assert made.exit_code == 0, made.output
    unchanged = runner.invoke(
        app, ["tune", "--replay", str(same), "--seed", "2", *GRID, "--baseline", str(base)]
    )
    assert unchanged.exit_code == 0, unchanged.output
    junit = tmp_path / "junit.xml"
    regressed = runner.invoke(
        app,
        [
            "tune",
            "--replay",
            str(slower),
            "--seed",
            "3",
            *GRID,
            "--baseline",
            str(base),
            "--junit",
            str(junit),
        ],
    )
    assert regressed.exit_code == 1, regressed.output
    assert "<failure" in junit.read_text()


def test_tune_with_an_unreadable_baseline_exits_3_with_the_regenerate_command(
    tmp_path: Path,
) -> None:
    same = replay_csv(tmp_path / "fn.csv", 1.0)
    bad = tmp_path / "base.json"
    bad.write_text(json.dumps({"schema_version": "1", "functions": "nope"}))
    result = runner.invoke(app, ["tune", "--replay", str(same), *GRID, "--baseline", str(bad)])
    assert result.exit_code == 3
    assert "regenerate the baseline with: powertune tune --replay" in result.output


def test_config_file_settings_apply_and_flags_override(tmp_path: Path) -> None:
    same = replay_csv(tmp_path / "fn.csv", 1.0)
    config = tmp_path / "powertune.toml"
    config.write_text('search = "grid"\nmemory = "256,3008"\ninvocations = 5\nstrategy = "speed"\n')
    out = tmp_path / "out.json"
    result = runner.invoke(
        app, ["tune", "--replay", str(same), "--config", str(config), "--json", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["run"]["search"] == "grid" and doc["run"]["strategy"] == "speed"
    assert [m["memory_mb"] for m in doc["functions"][0]["measurements"]] == [256, 3008]
    assert all(m["invocations"] == 5 for m in doc["functions"][0]["measurements"])
    flagged = runner.invoke(
        app,
        [
            "tune",
            "--replay",
            str(same),
            "--config",
            str(config),
            "--strategy",
            "cost",
            "--invocations",
            "3",
            "--json",
            str(out),
            "--quiet",
        ],
    )
    assert flagged.exit_code == 0, flagged.output
    doc = json.loads(out.read_text())
    assert doc["run"]["strategy"] == "cost"
    assert all(m["invocations"] == 3 for m in doc["functions"][0]["measurements"])


def test_adaptive_run_cut_short_by_a_budget_still_recommends_from_everything_measured(
    tmp_path: Path,
) -> None:
    same = replay_csv(tmp_path / "fn.csv", 1.0)
    out = tmp_path / "out.json"
    result = runner.invoke(
        app,
        ["tune", "--replay", str(same), "--max-invocations", "6", "--json", str(out), "--quiet"],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    reason = doc["run"]["stop_reason"]
    assert "budget" in reason or "--max-invocations" in reason  # the budget ended the run
    fn = doc["functions"][0]
    assert sum(m["invocations"] for m in fn["measurements"]) == 6
    assert fn["recommendation"]["memory_mb"] in range(128, 10241)
    assert fn["model"] is not None


def test_memory_recorded_tunes_over_the_replays_own_sizes(tmp_path: Path) -> None:
    same = replay_csv(tmp_path / "a" / "fn.csv", 1.0)
    with same.open() as fh:
        recorded = sorted({int(r["memory_mb"]) for r in csv.DictReader(fh)})
    out = tmp_path / "r.json"
    result = runner.invoke(
        app, ["tune", "--replay", str(same), "--memory", "recorded", "--json", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    (fn,) = doc["functions"]
    measured = {m["memory_mb"] for m in fn["measurements"]}
    assert measured and measured <= set(recorded)
    assert fn["recommendation"]["memory_mb"] in recorded
    bad = runner.invoke(app, ["tune", "--local", "x", "--memory", "recorded"])
    assert bad.exit_code == 2


def test_adaptive_with_confirm_makes_the_gate_decisive(tmp_path: Path) -> None:
    same = replay_csv(tmp_path / "a" / "fn.csv", 1.0)
    slower = replay_csv(tmp_path / "b" / "fn.csv", 1.2)
    base = tmp_path / "base.json"
    adaptive = ["--confirm", "30", "--quiet"]
    made = runner.invoke(
        app, ["tune", "--replay", str(same), "--seed", "1", *adaptive, "--json", str(base)]
    )
    assert made.exit_code == 0, made.output
    (fn,) = json.loads(base.read_text())["functions"]
    rec = fn["recommendation"]["memory_mb"]
    at_rec = next(m for m in fn["measurements"] if m["memory_mb"] == rec)
    assert at_rec["invocations"] >= 30
    assert sum(m["invocations"] for m in fn["measurements"]) < 6 * 10  # less than a grid
    cur = tmp_path / "cur.json"
    unchanged = runner.invoke(
        app,
        [
            "tune",
            "--replay",
            str(same),
            "--seed",
            "2",
            *adaptive,
            "--baseline",
            str(base),
            "--json",
            str(cur),
        ],
    )
    assert unchanged.exit_code == 0, unchanged.output
    (fn,) = json.loads(cur.read_text())["functions"]
    at_base = next(m for m in fn["measurements"] if m["memory_mb"] == rec)
    assert at_base["invocations"] >= 30  # the baseline's size, topped up for the gate
    regressed = runner.invoke(
        app,
        ["tune", "--replay", str(slower), "--seed", "3", *adaptive, "--baseline", str(base)],
    )
    assert regressed.exit_code == 1, regressed.output
    assert "a real increase" in regressed.output
    grid = runner.invoke(app, ["tune", "--replay", str(same), "--search", "grid", "--confirm", "5"])
    assert grid.exit_code == 2


def test_confirm_from_the_config_file(tmp_path: Path) -> None:
    same = replay_csv(tmp_path / "fn.csv", 1.0)
    config = tmp_path / "powertune.toml"
    config.write_text("confirm = 12\n")
    out = tmp_path / "out.json"
    result = runner.invoke(
        app, ["tune", "--replay", str(same), "--config", str(config), "--json", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    (fn,) = json.loads(out.read_text())["functions"]
    rec = fn["recommendation"]["memory_mb"]
    assert next(m for m in fn["measurements"] if m["memory_mb"] == rec)["invocations"] >= 12
    assert "then confirmed" in json.loads(out.read_text())["run"]["stop_reason"]
