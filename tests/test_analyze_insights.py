"""analyze --from-logs with Lambda Insights events: CPU time over duration replaces the guessed
fixed fraction, with an interval; without them the estimate says it is a guess."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from powertune.analyze.cpu_time import CpuProfile, insights_event, profile
from powertune.analyze.from_logs import analyze_files
from pricing.catalog import load_catalog


def _export(path: Path, *, cpu_share_of_duration: float | None, n: int = 20) -> Path:
    lines = []
    for i in range(n):
        ms = 400.0 + (i % 5)
        lines.append(
            f"REPORT RequestId: {i:08d}-0000-4000-8000-000000000000\tDuration: {ms:.2f} ms\t"
            f"Billed Duration: {int(ms) + 1} ms\tMemory Size: 2048 MB\tMax Memory Used: 90 MB\t"
        )
        if cpu_share_of_duration is not None:
            event = {
                "event_type": "performance",
                "function_name": path.stem,
                "duration": ms,
                "cpu_total_time": round(ms * cpu_share_of_duration),
                "total_memory": 2048,
            }
            lines.append("2026-12-01T00:00:00.000Z " + json.dumps(event))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_event_is_read_and_other_lines_are_not() -> None:
    line = '2026-12-01T00:00:00Z {"event_type": "performance", "function_name": "f", '
    line += '"duration": 100, "cpu_total_time": 40, "total_memory": 512}'
    event = insights_event(line)
    assert event is not None and (event.function, event.memory_mb, event.cpu_ms) == ("f", 512, 40)
    assert insights_event("REPORT RequestId: x Duration: 1 ms") is None
    assert insights_event('{"event_type": "performance", "cpu_total_time": "x"}') is None


def test_cpu_bound_share_predicts_a_slower_small_size_and_io_does_not() -> None:
    events = [insights_event(json.dumps({"event_type": "performance", "function_name": "f",
              "duration": 100.0, "cpu_total_time": 50 + i % 3, "total_memory": 1769}))
              for i in range(10)]  # fmt: skip
    found = profile([e for e in events if e], 1769)
    assert isinstance(found, CpuProfile) and 0.45 < found.fraction < 0.56
    mid, low, high = found.predict_ms(100.0, 885)  # half the CPU: the CPU half takes twice
    assert low < mid < high and 140 < mid < 160
    assert profile([e for e in events if e][:3], 1769) is None  # too few to say


def test_analyze_uses_insights_when_present_and_says_guess_otherwise(tmp_path: Path) -> None:
    catalog = load_catalog(None)
    io = analyze_files([_export(tmp_path / "waits.log", cpu_share_of_duration=0.02)], catalog)
    guess = analyze_files([_export(tmp_path / "unknown.log", cpu_share_of_duration=None)], catalog)
    measured = next(f for f in io.findings if f.kind == "over-provisioned")
    guessed = next(f for f in guess.findings if f.kind == "over-provisioned")
    assert measured.details["basis"].startswith("Lambda Insights")
    assert measured.details["fixed_fraction"] > 0.9  # it waits: shrinking costs no time
    assert guessed.details["basis"].startswith("a guess")
    assert guessed.details["predicted"] is None
    predicted = measured.details["predicted"]
    assert set(predicted) >= {"128", "1024"} and predicted["128"][1] <= predicted["128"][2]

    # measured to wait, the saving is larger and its bounds narrower than the guess's
    def width(f: object) -> float:
        d = f.details  # type: ignore[attr-defined]
        return abs(float(d["saving_if_all_cpu_usd"] or 0) - float(d["saving_if_all_io_usd"] or 0))

    assert width(measured) < width(guessed)


def test_analyze_cli_reads_the_export(tmp_path: Path) -> None:
    export = _export(tmp_path / "orders.log", cpu_share_of_duration=0.3)
    out = tmp_path / "a.json"
    res = CliRunner().invoke(app, ["analyze", "--from-logs", str(export), "--json", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    finding = next(f for f in data["findings"] if f["kind"] == "over-provisioned")
    assert "Lambda Insights" in finding["details"]["basis"]
