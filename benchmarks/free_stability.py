"""How still does the free (time-budgeted) search's answer hold on a cost-flat CPU-bound function?

README's main command tunes such a function on the embedded runtime: cost is flat within ~1%
from 128 MB to one vCPU (1769 MB) and rises past it, so every size up to 1769 MB is tied and the
tie should go to the fast edge. ``readme_stability.py`` measures that on the real runtime, which
takes minutes per run and depends on the host; this benchmark replays the same search
(``AdaptiveSearch`` with a time budget) against a simulated function and a simulated clock, so
many seeds run in seconds and a decision rule can be compared on the same draws.

The simulated function: ``fixed + compute·1769/min(m, 1769)`` ms, lognormal noise (CV drawn per
seed), a share of slow outliers (+15-40%, as a busy host gives), and a host speed that drifts
from round to round. Printed per seed: the pick, its p50 against the fastest tied size's, and
whether it is within the true tie band; then the spread of picks and p50s over the seeds.

With ``--paid`` the same functions are tuned as a paid target is (AWS, a replay): the default
invocation budget, no time budget, and a steady host (Lambda's, no drift between rounds); spend
is printed against the reference grid's (aws-lambda-power-tuning's default powers, 10 each).

    python benchmarks/free_stability.py [--seeds 20] [--budget 60] [--paid]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from regret import GRID, GRID_INVOCATIONS, gb_seconds  # noqa: E402

import powertune.tune.search.adaptive as adaptive  # noqa: E402
from powertune.tune.search.adaptive import AdaptiveSearch  # noqa: E402
from powertune.types import Observations, Sample  # noqa: E402
from pricing.catalog import load_catalog  # noqa: E402
from pricing.vectorized import UnitPrices  # noqa: E402

VCPU_MB = 1769
OVERHEAD_S = 0.03  # per invocation on the embedded runtime (configure, invoke, parse)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


class Function:
    """A cost-flat CPU-bound function on a drifting, noisy host."""

    def __init__(self, seed: int, steady: bool = False) -> None:
        self.rng = np.random.default_rng(seed)
        self.fixed = float(self.rng.uniform(0.0, 2.0))
        self.compute = float(self.rng.uniform(120, 250))
        self.cv = float(self.rng.uniform(0.02, 0.06))
        self.outliers = float(self.rng.uniform(0.0, 0.15))
        self.drift_sd = float(self.rng.uniform(0.0, 0.04))
        if steady:
            self.drift_sd = 0.0
        self.speed = 1.0

    def mean(self, m: np.ndarray | float) -> np.ndarray:
        return self.fixed + self.compute * VCPU_MB / np.minimum(np.asarray(m, float), VCPU_MB)

    def new_round(self) -> None:
        self.speed = float(np.exp(self.rng.normal(0.0, self.drift_sd)))

    def invoke(self, m: int, cold: bool) -> Sample:
        d = float(self.mean(m)) * self.speed * float(np.exp(self.rng.normal(0.0, self.cv)))
        if self.rng.random() < self.outliers:
            d *= float(self.rng.uniform(1.15, 1.4))
        return Sample(m, d, int(np.ceil(d)), init_ms=80.0 if cold else None)


def run(seed: int, budget: float, catalog: object, paid: bool = False) -> dict[str, float]:
    clock = Clock()
    adaptive.time.monotonic = clock.monotonic  # type: ignore[attr-defined]
    fn = Function(seed, steady=paid)
    if paid:
        search = AdaptiveSearch(128, 3008, catalog=catalog, seed=seed)
    else:
        search = AdaptiveSearch(
            128, 3008, catalog=catalog, seed=seed, time_budget_s=budget, max_invocations=2000
        )
    obs = Observations()
    prepared: set[int] = set()
    while True:
        batches = search.next(obs)
        if not batches:
            break
        obs.current_round += 1
        fn.new_round()
        busy = 0.0
        for b in batches:
            for _ in range(b.count):
                cold = b.memory_mb not in prepared
                prepared.add(b.memory_mb)
                s = fn.invoke(b.memory_mb, cold)
                obs.add(s)
                busy += s.duration_ms / 1000 + OVERHEAD_S
        clock.now += busy
    assert search.choice is not None
    prices = UnitPrices.of(catalog, "us-east-1", "x86_64")
    # the reference grid's GB-s on the same function: its powers, 10 invocations each
    grid = sum(GRID_INVOCATIONS * p / 1024 * np.ceil(float(fn.mean(p))) / 1000 for p in GRID)
    m = np.arange(128, 3009)
    true = prices.invocation_usd(m, fn.mean(m) + 0.5)
    band = m[true <= true.min() * 1.01]
    fast_edge = int(band.max())
    pick = search.choice.memory_mb
    return {
        "pick": pick,
        "edge": fast_edge,
        "in_band": float(pick in band),
        "p50_vs_edge": float(fn.mean(pick) / fn.mean(fast_edge) - 1.0),
        "regret": float(true[pick - 128] / true.min() - 1.0),
        "invocations": obs.invocations,
        "spend_vs_grid": gb_seconds(obs) / grid,
        "reason": search.stop_reason() or "",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--paid", action="store_true", help="tune as a paid target (see above)")
    args = ap.parse_args()
    catalog = load_catalog()
    rows = []
    started = time.perf_counter()
    real = time.monotonic
    try:
        for seed in range(args.seeds):
            rows.append(run(seed, args.budget, catalog, args.paid))
            if args.verbose:
                r = rows[-1]
                print(
                    f"seed {seed:3d}: {r['pick']:5d} MB (edge {r['edge']}), p50 "
                    f"{r['p50_vs_edge']:+.0%} vs edge, regret {r['regret']:.2%}, "
                    f"{r['invocations']} inv; {r['reason'][:90]}"
                )
    finally:
        adaptive.time.monotonic = real  # type: ignore[attr-defined]
    picks = [int(r["pick"]) for r in rows]
    slow = np.array([r["p50_vs_edge"] for r in rows])
    how = "paid (invocation budget)" if args.paid else f"{args.budget:g} s simulated budget"
    print(f"{len(rows)} seeds, {how}, {time.perf_counter() - started:.0f} s wall")
    print(f"picks (MB): {sorted(picks)}")
    print(f"in the true tie band: {np.mean([r['in_band'] for r in rows]):.0%}")
    print(
        f"p50 above the band's fast edge: median {np.median(slow):+.1%}, "
        f"worst {slow.max():+.1%}; within 15%: {np.mean(slow <= 0.15):.0%}"
    )
    print(
        f"regret median {np.median([r['regret'] for r in rows]):.2%}, "
        f"max {max(r['regret'] for r in rows):.2%}; "
        f"invocations median {np.median([r['invocations'] for r in rows]):.0f}; "
        f"spend vs grid median {np.median([r['spend_vs_grid'] for r in rows]):.3f}x"
    )


if __name__ == "__main__":
    main()
