"""What brute force reaches on the smooth truths: every 64 MB size measured, then the tie band.

On the wide-range curves recorded at coarse steps (``regret_smooth.py``'s first group), measure
every size on a 64 MB lattice across the recorded range ``--invocations`` times (the reference
tool's 20% trimmed mean), choose with the cost strategy's tie band on the measured curve (as a
grid's decision does), and score the choice on the truth. Five seeds per curve. It prints the
regret, the five-seed agreement and the spend against the reference grid's, for each count: the
spend at which issue 13's regret p90 (<= 2%) is reached by measuring everything, and the
agreement that even that buys when the band's edge moves with the noise.

    python benchmarks/regret_dense.py [--invocations 3,10] [--band 0.01] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from regret import curve_sources, gb_seconds, run_search  # noqa: E402
from regret_smooth import ARCH, BAND, COARSE_STEP, REGION, run_grid, smooth_truth  # noqa: E402

from powertune.tune.decide.costcurve import cost_curve  # noqa: E402
from powertune.tune.decide.strategies import choose  # noqa: E402
from powertune.tune.search.grid import GridSearch  # noqa: E402
from powertune.tune.targets.replay import ReplayTarget  # noqa: E402
from pricing.catalog import load_catalog  # noqa: E402
from pricing.vectorized import UnitPrices  # noqa: E402

SEEDS = 5
STEP_MB = 64


def _curve(job: tuple[str, str, int, float, str]) -> list[tuple[float, float, float]] | None:
    """(regret, GB-s, the reference grid's GB-s) per seed, or None for other groups."""
    label, source, invocations, band, tmp = job
    catalog = load_catalog()
    prices = UnitPrices.of(catalog, REGION, ARCH)
    truth = smooth_truth(label, source, Path(tmp), prices)
    if truth is None or not truth.wide or truth.step < COARSE_STEP:
        return None
    lo, hi = int(truth.sizes[0]), int(truth.sizes[-1])
    sizes = sorted({*range(lo, hi + 1, STEP_MB), hi})
    out = []
    for seed in range(SEEDS):
        target = ReplayTarget(truth.path, seed=seed, noise_cv=truth.cv)
        obs = run_search(GridSearch(sizes, invocations), target)
        curve = cost_curve(
            None, obs, catalog=catalog, region=REGION, arch=ARCH, trim=0.2, prices=prices
        )
        m = choose("cost", curve, tie_band=band).memory_mb
        grid = run_grid(truth, seed, catalog, prices)
        out.append((truth.regret(m), gb_seconds(obs), grid.gb_s if grid else float("nan")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--invocations", default="3,10")
    parser.add_argument("--band", type=float, default=BAND)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(args.jobs) as pool:
        for n in (int(x) for x in args.invocations.split(",")):
            jobs = [(label, source, n, args.band, tmp) for label, source in curve_sources()]
            curves = [c for c in pool.map(_curve, jobs) if c is not None]
            regret = np.array([r for c in curves for r, _, _ in c])
            agree = np.mean(
                [
                    max(1 + r for r, _, _ in c) / min(1 + r for r, _, _ in c) - 1 <= BAND + 1e-12
                    for c in curves
                ]
            )
            spend = np.median([g for c in curves for _, g, _ in c])
            grid = np.median([g for c in curves for _, _, g in c])
            print(
                f"every {STEP_MB} MB x {n}, band {args.band:.0%}: {len(curves)} curves x {SEEDS} "
                f"seeds; regret median {np.median(regret):.2%}, p90 {np.percentile(regret, 90):.2%}"
                f", above 2% in {np.mean(regret > 0.02):.1%} of runs; five seeds agree "
                f"{agree:.1%}; spend {spend:.1f} GB-s, {spend / grid:.1f}x the reference grid's"
            )


if __name__ == "__main__":
    main()
