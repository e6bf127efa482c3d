"""ReplayTarget: CSV per invocation and per size, power-tuning URLs, range refusal, billing."""

from __future__ import annotations

import csv
import math
import threading
from pathlib import Path

import numpy as np
import pytest

from powertune.errors import InputError
from powertune.tune.targets.replay import ReplayTarget, decode_power_tuning_costs

CURVES = Path(__file__).parent / "data" / "curves"
PT = CURVES / "power-tuning"


def write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_per_invocation_csv_replays_the_rows_and_interpolates_between_sizes(tmp_path: Path) -> None:
    src = write(
        tmp_path / "inv.csv",
        "memory_mb,duration_ms,init_ms,is_cold,max_memory_mb",
        [
            *("256,100,,false,60", "256,110,,false,61", "256,300,250,true,60"),
            *("1024,40,,false,70", "1024,44,,false,70", "1024,120,200,true,70"),
        ],
    )
    t = ReplayTarget(src, seed=4)
    assert t.provenance["format"] == "csv-per-invocation"
    assert t.provenance["rows"] == 6
    t.prepare(256)
    cold = t.invoke(256, b"{}")
    assert cold.cold and cold.init_ms == 250 and cold.duration_ms == 300
    assert cold.billed_ms == 550  # INIT billed: ceil(init + duration)
    warm = [t.invoke(256, b"{}") for _ in range(20)]
    assert {s.duration_ms for s in warm} <= {100.0, 110.0}
    assert all(not s.cold and s.billed_ms == math.ceil(s.duration_ms) for s in warm)
    # 640 MB is halfway: mean warm duration interpolates to (105 + 42) / 2.
    assert float(t.mean_duration(640)) == pytest.approx(73.5)
    t.prepare(640)
    t.invoke(640)
    between = [t.invoke(640).duration_ms for _ in range(200)]
    assert np.mean(between) == pytest.approx(73.5, rel=0.03)
    assert t.invoke(640).max_memory_mb in (60, 70)


def test_per_size_csv_uses_the_documented_noise_model(tmp_path: Path) -> None:
    src = write(tmp_path / "size.csv", "memory_mb,duration_ms", ["128,1000", "512,260", "2048,90"])
    t = ReplayTarget(src, seed=1, noise_cv=0.05)
    assert t.provenance["format"] == "csv-per-size"
    assert "lognormal" in t.provenance["noise_model"]
    t.prepare(512)
    d = np.array([t.invoke(512).duration_ms for _ in range(2000)])
    assert d.mean() == pytest.approx(260, rel=0.01)
    assert d.std() / d.mean() == pytest.approx(0.05, rel=0.1)
    assert not any(t.invoke(512).cold for _ in range(3))  # no cold data in the source


def test_power_tuning_csv_column_name_is_accepted() -> None:
    t = ReplayTarget(PT / "lpt_pr42-example.csv")
    assert t.memory_range == (128, 3008)
    assert float(t.mean_duration(1024)) == pytest.approx(3890.891602)


def test_every_power_tuning_url_decodes_to_its_published_csv() -> None:
    with open(PT / "index.csv", newline="") as fh:
        index = list(csv.DictReader(fh))
    assert len(index) == 115
    for row in index:
        t = ReplayTarget(row["url"])
        with open(PT / row["file"], newline="") as fh:
            expected = list(csv.DictReader(fh))
        assert [int(r["memory_mb"]) for r in expected] == list(t.sizes.astype(int)), row["file"]
        want = np.array([float(r["avg_duration_ms"]) for r in expected])
        assert np.allclose(t.means, want, rtol=1e-6), row["file"]
        costs = decode_power_tuning_costs(row["url"])
        want_costs = [float(r["avg_cost_usd_per_invocation"]) for r in expected]
        assert np.allclose(costs, want_costs, rtol=1e-4), row["file"]
        assert t.provenance["format"] == "power-tuning-url"


def test_sizes_outside_the_measured_range_are_refused_unless_extrapolating(tmp_path: Path) -> None:
    src = write(tmp_path / "s.csv", "memory_mb,duration_ms", ["256,800", "512,400", "1024,210"])
    t = ReplayTarget(src)
    with pytest.raises(InputError, match="outside the replayed range 256-1024"):
        t.prepare(128)
    with pytest.raises(InputError, match="--extrapolate"):
        t.prepare(2048)
    ext = ReplayTarget(src, extrapolate=True, seed=2)
    ext.prepare(2048)
    ext.prepare(128)
    at_2048 = float(ext.mean_duration(2048))
    at_128 = float(ext.mean_duration(128))
    assert 0 < at_2048 < 210 and at_128 > 800  # the fitted CPU curve continues the trend
    assert ext.invoke(2048).duration_ms > 0
    with pytest.raises(InputError):
        ext.prepare(20000)


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        ("memory,duration_ms", ["128,10"], "needs columns memory_mb"),
        ("memory_mb,duration_ms", ["128,abc"], "line 2: duration_ms is not a number"),
        ("memory_mb,duration_ms", ["100,10"], "integer in 128-10240"),
        ("memory_mb,duration_ms,is_cold", ["128,10,maybe"], "is_cold must be true or false"),
        ("memory_mb,duration_ms", [], "has no rows"),
        (
            "memory_mb,duration_ms",
            ["128,0", "128,0"],
            "bad.csv: line 2: duration_ms must be above 0",
        ),
    ],
)
def test_bad_csv_is_one_clear_input_error(
    tmp_path: Path, header: str, rows: list[str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        ReplayTarget(write(tmp_path / "bad.csv", header, rows))


@pytest.mark.parametrize(
    "url",
    [
        "https://lambda-power-tuning.show/",
        "https://lambda-power-tuning.show/#abc;def",
        "https://lambda-power-tuning.show/#gAAAAQ==;!!!;AAAA",
        "https://lambda-power-tuning.show/#gAAAAQ==;AACAPw==;AACAPw==",  # 2 sizes, 1 duration
    ],
)
def test_bad_power_tuning_url_is_an_input_error(url: str) -> None:
    with pytest.raises(InputError):
        ReplayTarget(url)


def test_sebs_replay_has_cold_starts_and_provenance() -> None:
    t = ReplayTarget(CURVES / "sebs" / "sebs_411.csv", seed=0)
    info = t.describe()
    assert info.name == "replay:sebs_411.csv" and info.memory_mb == 512
    assert t.provenance["cold_starts"] == "first invocation after prepare"
    t.prepare(1024)
    first, second = t.invoke(1024), t.invoke(1024)
    assert first.cold and not second.cold
    assert first.billed_ms == math.ceil(first.duration_ms + first.init_ms)
    t.force_cold(1024)
    assert t.invoke(1024).cold
    t.restore()  # a no-op, but callable


def test_invoke_is_safe_from_many_threads(tmp_path: Path) -> None:
    src = write(tmp_path / "s.csv", "memory_mb,duration_ms", ["128,100", "256,50"])
    t = ReplayTarget(src)
    t.prepare(128)
    ids: list[str] = []

    def work() -> None:
        for _ in range(50):
            ids.append(t.invoke(128).request_id or "")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(set(ids)) == 200


def test_a_replayed_run_is_the_same_run_after_run_however_its_invocations_interleave(
    tmp_path: Path,
) -> None:
    """The same seed gives the same samples at each size and the same recommendation, though
    ten invocations in flight finish in a different order every run (one random stream per
    size, and the fit reads each size's samples whatever their order)."""
    import json

    from typer.testing import CliRunner

    from cli import app

    sizes = np.arange(128, 3009)
    duration = 1.0 + 200.0 * 1769 / np.minimum(sizes, 1769)
    src = write(
        tmp_path / "flat.csv",
        "memory_mb,duration_ms",
        [f"{m},{d:.4f}" for m, d in zip(sizes, duration, strict=True)],
    )
    runs = []
    for i in range(3):
        out = tmp_path / f"r{i}.json"
        args = ["tune", "--replay", str(src), "--memory", "128..3008", "--seed", "2"]
        res = CliRunner().invoke(app, [*args, "--concurrency", "10", "--json", str(out), "-q"])
        assert res.exit_code == 0, res.output
        fn = json.loads(out.read_text())["functions"][0]
        samples = {
            m["memory_mb"]: sorted(s["duration_ms"] for s in m.get("samples") or [])
            for m in fn["measurements"]
        }
        runs.append(
            (fn["recommendation"]["memory_mb"], fn["recommendation"].get("given_up"), samples)
        )
    assert runs[0] == runs[1] == runs[2]
