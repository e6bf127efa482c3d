"""The orders app walkthrough end to end on the embedded runtime, as a newcomer runs it.

`examples/orders-app/walkthrough.py --quick`: serve the template, a day of traffic, analyze the
logs, tune the fleet the analysis ranks, apply to the template, serve the edited template and
tune again, gate, and the summary table. Fewer invocations than the README's run, the same path.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from powertune.local.template import load_template
from powertune.results import load_result
from powertune.results.ranking import fleet_total

APP = Path(__file__).resolve().parents[1] / "examples" / "orders-app"
_MONEY = re.compile(r"-?\$[\d,]+\.\d+")


@pytest.mark.slow
def test_the_walkthrough_runs_end_to_end(tmp_path: Path) -> None:
    work = tmp_path / "orders"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    done = subprocess.run(
        [sys.executable, str(APP / "walkthrough.py"), "--quick", "--workdir", str(work)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    out = done.stdout
    assert done.returncode == 0, (out[-3000:], done.stderr[-3000:])
    assert "Traceback" not in done.stderr

    # every function measured, none failed, and put back as the template had it
    before = load_result(work / "before.json")
    names = {f.name for f in load_template(APP / "template.yaml", stack_name="orders")}
    assert {f.name for f in before.functions} == names and not before.failed
    assert all(f.recommendation is not None and f.measured() for f in before.functions)
    assert "# restored: every function of template.yaml at its size" in out

    # the template diff only sets MemorySize (changed or added), nothing else
    old = (APP / "template.yaml").read_text().splitlines()
    new = (work / "template.yaml").read_text().splitlines()
    changed = [
        line[1:]
        for line in difflib.unified_diff(old, new, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed, "apply --write changed nothing"
    assert all(re.fullmatch(r"\s+MemorySize: \d+", line) for line in changed), changed
    applied = {
        f.name: f.memory_mb for f in load_template(work / "template.yaml", stack_name="orders")
    }
    for fn in before.functions:
        assert fn.recommendation is not None
        assert applied[fn.name] == fn.recommendation.memory_mb

    # the gate gave its verdict on the applied sizes: a pass, or a fail the script explains
    # (two runs on one shared host: its speed can change between them); any other exit stops
    # the script
    assert "$ powertune gate --baseline before.json --current after.json" in out
    after_gate = out[out.index("$ powertune gate --baseline") :]
    assert re.search(r"\b(pass|warn|fail)\b", after_gate.split("$ powertune report")[0])

    # the closing table: the total is the sum of its rows
    table = out[out.rindex("Monthly cost") :]
    rows: dict[str, list[Decimal]] = {}
    for line in table.splitlines():
        money = _MONEY.findall(line)
        if len(money) == 3:  # now, recommended, saving ($/month)
            rows[line.split()[0]] = [Decimal(m.replace("$", "").replace(",", "")) for m in money]
    total = rows.pop("total")
    assert set(rows) == names
    for column in range(3):
        summed = sum(r[column] for r in rows.values())
        assert abs(summed - total[column]) <= Decimal("0.005") * len(rows)  # cents rounding
    exact = fleet_total(before)
    assert exact is not None and not exact.unknown
    assert exact.saving_usd == exact.current_usd - exact.recommended_usd
    assert exact.current_usd == sum(
        f.recommendation.monthly.current_usd  # type: ignore[union-attr,misc]
        for f in before.functions
    )
    # the printed total is the exact total, to the cent (a total computed on its own would drift)
    for shown, exact_usd in zip(
        total, (exact.current_usd, exact.recommended_usd, exact.saving_usd), strict=True
    ):
        assert abs(shown - exact_usd) <= Decimal("0.005")
