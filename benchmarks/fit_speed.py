"""How long one fit + bootstrap takes (the adaptive search refits every round).

    python benchmarks/fit_speed.py

Fits the warm samples of every SeBS curve (all sizes, then a first-round-like subset of three
sizes × two samples) and synthetic curves, and prints the median and worst wall time per fit.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from powertune.models.fit import fit_curve  # noqa: E402
from powertune.models.forms import FORMS  # noqa: E402
from powertune.tune.targets.replay import read_replay_csv  # noqa: E402


def datasets() -> list[tuple[str, dict[int, list[float]]]]:
    out = []
    for path in sorted((ROOT / "tests" / "data" / "curves" / "sebs").glob("*.csv")):
        warm: dict[int, list[float]] = {}
        for r in read_replay_csv(path):
            if not r.is_cold:
                warm.setdefault(r.memory_mb, []).append(r.duration_ms)
        out.append((f"{path.stem} all", warm))
        sizes = sorted(warm)
        pick = [sizes[0], sizes[len(sizes) // 2], sizes[-1]]
        out.append((f"{path.stem} 3x2", {m: warm[m][:2] for m in pick}))
    rng = np.random.default_rng(0)
    for name, params in (("cpu", [40, 25]), ("exp", [900, 2, 80]), ("power", [50, 120, 1.4])):
        m = np.array([128, 256, 512, 1024, 2048, 3008], dtype=float)
        mean = FORMS[name](m, np.array(params, dtype=float))
        data = {
            int(k): list(v * np.exp(0.05 * rng.standard_normal(4)))
            for k, v in zip(m, mean, strict=True)
        }
        out.append((f"synthetic {name} 6x4", data))
    return out


def main() -> None:
    rows = []
    for label, data in datasets():
        times = []
        for seed in range(5):
            t0 = time.perf_counter()
            fit = fit_curve(data, seed=seed)
            times.append(time.perf_counter() - t0)
        n = sum(len(v) for v in data.values())
        rows.append(times)
        name = getattr(fit, "name", "failure")
        print(
            f"{label:28} {n:6d} samples  {name:12} median {statistics.median(times) * 1000:7.1f} ms"
        )
    flat = [t for r in rows for t in r]
    print(
        f"\nfit + bootstrap (64 draws): median {statistics.median(flat) * 1000:.1f} ms, "
        f"worst {max(flat) * 1000:.1f} ms over {len(flat)} fits"
    )


if __name__ == "__main__":
    main()
