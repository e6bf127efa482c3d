"""Regret and exploration spend of the adaptive search against the reference grid, on real curves.

For every curve in ``tests/data/curves`` (SeBS per-invocation data and the decoded
aws-lambda-power-tuning curves, see ``tests/data/curves/SOURCE.md``), replay it and tune it twice
with the same seeds:

- grid: 128, 256, 512, 1024, 1536, 3008 MB (those inside the curve's measured range) × 10
  invocations, 20% trimmed mean, cost strategy (the reference tool's behaviour);
- adaptive: ``AdaptiveSearch`` with its defaults over the curve's measured range (any integer
  size, as on a live function); with ``--recorded``, over the curve's recorded sizes only (what
  ``powertune tune --replay FILE --memory recorded`` does).

Regret = cost at the recommended size ÷ cost at the true optimum of the interpolated curve over
its measured range − 1, where the true cost per invocation at m is priced from the replayed mean
warm duration (the curve the replay draws around) + 0.5 ms rounding, with the request fee.
Spend = GB-s billed while tuning (billed ms of every replayed invocation, INIT included).
"grid floor" is the regret of the grid's best size under the true curve: what the grid could
reach with infinitely many invocations. Many power-tuning curves are averages with cold starts
in them, so the "true" curve has isolated dips no method finds without measuring that exact size
(``benchmarks/regret_bounds.py`` shows what oracles that know more than any search reach).

    python benchmarks/regret.py [--seeds 3] [--only SUBSTRING] [--quiet] [--recorded]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from powertune.tune.decide.costcurve import cost_curve  # noqa: E402
from powertune.tune.decide.strategies import choose  # noqa: E402
from powertune.tune.search.adaptive import AdaptiveSearch  # noqa: E402
from powertune.tune.search.grid import GridSearch  # noqa: E402
from powertune.tune.search.interface import Search  # noqa: E402
from powertune.tune.targets.replay import ReplayTarget  # noqa: E402
from powertune.types import Observations  # noqa: E402
from pricing.catalog import load_catalog  # noqa: E402
from pricing.vectorized import UnitPrices  # noqa: E402

CURVES = ROOT / "tests" / "data" / "curves"
GRID = (128, 256, 512, 1024, 1536, 3008)
GRID_INVOCATIONS = 10
REGION, ARCH = "us-east-1", "x86_64"


@dataclass
class Outcome:
    memory_mb: int | None
    regret: float | None
    gb_s: float
    invocations: int
    reason: str
    floor: float | None = None  # grid only: regret of its best size under the true curve


def curve_sources() -> list[tuple[str, str]]:
    """(label, replay source) for every curve: SeBS CSVs and power-tuning URLs from the index."""
    out = [(p.stem, str(p)) for p in sorted((CURVES / "sebs").glob("sebs_*.csv"))]
    with open(CURVES / "power-tuning" / "index.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            out.append((Path(row["file"]).stem, row["url"]))
    return out


def run_search(search: Search, target: ReplayTarget) -> Observations:
    """A tiny serial tuner: prepare each new size once, invoke batch counts, collect samples."""
    obs = Observations()
    prepared: set[int] = set()
    while True:
        batches = search.next(obs)
        if not batches:
            return obs
        obs.current_round += 1  # as the tuner does: a round's samples share a batch label
        for b in batches:
            if b.memory_mb not in prepared:
                target.prepare(b.memory_mb)
                prepared.add(b.memory_mb)
            for _ in range(b.count):
                obs.add(target.invoke(b.memory_mb, b"{}"))


def gb_seconds(obs: Observations) -> float:
    return sum(
        s.memory_mb / 1024 * (s.billed_ms or 0) / 1000 for ss in obs.samples.values() for s in ss
    )


def true_costs(target: ReplayTarget, prices: UnitPrices) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = target.memory_range
    m = np.arange(lo, hi + 1)
    return m, prices.invocation_usd(m, target.mean_duration(m) + 0.5)


def regret(memory_mb: int, sizes: np.ndarray, costs: np.ndarray) -> float:
    return float(costs[memory_mb - sizes[0]] / costs.min() - 1.0)


def run_curve(
    source: str, seed: int, catalog: object, prices: UnitPrices, recorded: bool = False
) -> tuple[Outcome, Outcome]:
    target = ReplayTarget(source, seed=seed)
    sizes, costs = true_costs(target, prices)
    lo, hi = target.memory_range
    in_range = [m for m in GRID if lo <= m <= hi]
    if in_range:
        obs = run_search(GridSearch(in_range, GRID_INVOCATIONS), target)
        curve = cost_curve(
            None, obs, catalog=catalog, region=REGION, arch=ARCH, trim=0.2, prices=prices
        )
        m = choose("cost", curve, tie_band=0.0).memory_mb
        floor = min(regret(g, sizes, costs) for g in in_range)
        grid = Outcome(m, regret(m, sizes, costs), gb_seconds(obs), obs.invocations, "grid", floor)
    else:
        grid = Outcome(None, None, 0.0, 0, "no grid size in range")
    target = ReplayTarget(source, seed=seed)
    lattice = [int(m) for m in target.sizes] if recorded else None
    search = AdaptiveSearch(
        lo, hi, catalog=catalog, region=REGION, arch=ARCH, seed=seed, lattice=lattice
    )
    obs = run_search(search, target)
    if search.choice is None:
        search.finalize(obs)
    assert search.choice is not None
    m = search.choice.memory_mb
    ours = Outcome(
        m, regret(m, sizes, costs), gb_seconds(obs), obs.invocations, search.stop_reason() or ""
    )
    return grid, ours


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--only", default="")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--recorded", action="store_true", help="adaptive search over the recorded sizes only"
    )
    args = parser.parse_args()
    catalog = load_catalog()
    prices = UnitPrices.of(catalog, REGION, ARCH)
    started = time.perf_counter()
    rows = []
    for label, source in curve_sources():
        if args.only and args.only not in label:
            continue
        for seed in range(args.seeds):
            grid, ours = run_curve(source, seed, catalog, prices, args.recorded)
            rows.append((label, seed, grid, ours))
            if not args.quiet:
                g = "   n/a" if grid.regret is None else f"{grid.regret:6.1%}"
                print(
                    f"{label[:58]:58} s{seed} grid {grid.memory_mb!s:>5} {g} "
                    f"{grid.gb_s:8.2f} GB-s | ours {ours.memory_mb:>5} {ours.regret:6.1%} "
                    f"{ours.gb_s:8.2f} GB-s {ours.invocations:3d} inv  {ours.reason[:30]}",
                    flush=True,
                )
    elapsed = time.perf_counter() - started
    summarise("all curves", rows, elapsed)
    wide = [r for r in rows if r[2].invocations >= 3 * GRID_INVOCATIONS]
    summarise("wide-range curves (the grid measures 3 or more sizes)", wide, elapsed)


def summarise(title: str, rows: list[tuple[str, int, Outcome, Outcome]], elapsed: float) -> None:
    both = [(g, o) for _, _, g, o in rows if g.regret is not None]
    ours_all = [o for *_, o in rows]
    g_regret = [g.regret for g, _ in both]
    o_regret = [o.regret for o in ours_all]
    o_regret_paired = [o.regret for _, o in both]
    g_spend = [g.gb_s for g, _ in both]
    o_spend = [o.gb_s for _, o in both]
    ratios = [o.gb_s / g.gb_s for g, o in both if g.gb_s > 0]
    print()
    print(f"== {title}")
    print(
        f"curves × seeds: {len(rows)} ({len(both)} where the grid has a size in range); {elapsed:.1f} s"
    )
    print(f"{'':32} {'median':>9} {'p90':>9} {'mean':>9}")
    g_floor = [g.floor for g, _ in both if g.floor is not None]
    for name, vals in (
        ("grid floor (best grid size)", g_floor),
        ("grid regret", g_regret),
        ("ours regret (paired)", o_regret_paired),
        ("ours regret (all curves)", o_regret),
    ):
        print(f"{name:32} {pct(vals, 50):9.2%} {pct(vals, 90):9.2%} {np.mean(vals):9.2%}")
    for name, vals in (("grid spend GB-s", g_spend), ("ours spend GB-s (paired)", o_spend)):
        print(f"{name:32} {pct(vals, 50):9.3f} {pct(vals, 90):9.3f} {np.mean(vals):9.3f}")
    print(
        f"{'spend ratio: median ours/grid':32} {statistics.median(o_spend) / statistics.median(g_spend):9.3f}"
    )
    print(
        f"{'spend ratio: per-curve median':32} {pct(ratios, 50):9.3f}   p90 {pct(ratios, 90):.3f}"
    )
    print(
        f"{'ours invocations median':32} {statistics.median(o.invocations for o in ours_all):9.1f}"
    )
    # Calibration: a "converged" stop claims the choice is within the 1% tolerance in 95% of the
    # model's bootstrap draws; how often is it within 1% of the true curve's optimum?
    converged = [o for o in ours_all if o.reason.startswith("converged")]
    if converged:
        hit = np.mean([o.regret is not None and o.regret <= 0.01 for o in converged])
        print(f"{'converged runs within 1% (claim 95%)':32} {hit:9.1%}   of {len(converged)}")


if __name__ == "__main__":
    main()
