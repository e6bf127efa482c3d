"""Regret, spend, seed agreement and honest confidence on smooth truths built from real curves.

For every curve in ``tests/data/curves`` (SeBS per-invocation data and the decoded
aws-lambda-power-tuning curves, see ``tests/data/curves/SOURCE.md``) the truth is its per-size
average warm durations interpolated monotonically on log-log axes (``scipy``'s
``PchipInterpolator``: shape-preserving, so it invents no dip and no overshoot between recorded
sizes), written every 1 MB across the recorded range as a per-size replay CSV. The replay draws
each invocation around that truth with mean-preserving lognormal noise (CV: the curve's own
median per-size robust CV, 1.4826 MAD / median, for per-invocation sources; 5% for per-size
averages).

Per curve and seed, side by side on the same truth:

- grid: 128, 256, 512, 1024, 1536, 3008 MB (those in range) x 10 invocations, 20% trimmed mean,
  strictly cheapest (aws-lambda-power-tuning's ``cost``);
- ours: ``AdaptiveSearch`` with its defaults over the recorded range (the product's default
  ``cost`` strategy, tie band included).

Regret = true cost at the choice / true cost at the true optimum - 1, true cost = the truth's
duration + 0.5 ms rounding, priced with the request fee. Spend = GB-s billed while tuning.
Seed agreement: five seeds of a curve agree when the true costs of their choices are within the
band (1%) of each other. Converged claims: runs that stopped "converged"; a claim is true when the
regret is within the bound it states (``search.claim_bound`` where the search says it; its
tolerance otherwise).

Curves are reported in groups. Wide-range curves (the grid measures 3 or more sizes) are split
by how finely they were recorded: coarse recordings (median step between recorded sizes of at
least ``COARSE_STEP``, 1.2x: 128, 256, 512 ... as a tuning grid measures) record the curve's
shape; fine zoom-in recordings over a wide range (unfaasener's later runs: 8-64 MB steps from
128 to 512 or 1024 MB) record its noise, since neighbouring averages a few percent apart in
memory swing by more than the curve moves (reversals of 5% or more between neighbours in a third
of their steps). The smooth interpolation keeps those swings as dips no method can predict, so
regret there measures the recording's noise as much as the search. Narrow zoom-in curves
(fewer than 3 grid sizes in range) are the third group. Every group's figures are printed, and
"wide-range curves, all" is the union of the first two (the grouping of earlier reports).

    python benchmarks/regret_smooth.py [--seeds 15] [--quick] [--only SUBSTRING] [--verbose]
                                       [--jobs N]

``--quick``: the wide-range curves and 1 in 3 of the narrow ones. Seeds: 15 by default, because five seeds
per curve made the tail figures move by half a point between otherwise equal runs (regret p90
2.49% at 5 seeds was 3.21% at 15 on the same code); "five seeds agree" is then the share of the
disjoint sets of five (0-4, 5-9, 10-14) whose choices agree. ``--jobs``: processes (default:
the CPUs).
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.interpolate import PchipInterpolator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from regret import curve_sources, gb_seconds, run_search  # noqa: E402

from powertune.tune.decide.costcurve import cost_curve  # noqa: E402
from powertune.tune.decide.strategies import choose  # noqa: E402
from powertune.tune.search.adaptive import AdaptiveSearch  # noqa: E402
from powertune.tune.search.grid import GridSearch  # noqa: E402
from powertune.tune.targets.replay import ReplayTarget  # noqa: E402
from pricing.catalog import load_catalog  # noqa: E402
from pricing.vectorized import UnitPrices  # noqa: E402

GRID = (128, 256, 512, 1024, 1536, 3008)
GRID_INVOCATIONS = 10
REGION, ARCH = "us-east-1", "x86_64"
BAND = 0.01
DEFAULT_CV = 0.05
COARSE_STEP = 1.2  # recorded sizes at least this far apart (median) record a curve's shape


@dataclass(frozen=True)
class Truth:
    label: str
    path: Path
    sizes: np.ndarray  # every MB across the recorded range
    cost: np.ndarray  # true cost per invocation at each of ``sizes``
    cv: float
    wide: bool
    step: float  # median ratio between neighbouring recorded sizes
    oracle: float  # regret of the smooth-form oracle (see ``smooth_oracle``)

    def regret(self, memory_mb: int) -> float:
        return float(self.cost[memory_mb - int(self.sizes[0])] / self.cost.min() - 1.0)

    def true_cost(self, memory_mb: int) -> float:
        return float(self.cost[memory_mb - int(self.sizes[0])])


@dataclass
class Run:
    memory_mb: int
    regret: float
    gb_s: float
    invocations: int
    converged: bool = False
    claim: float = 0.0


def smooth_truth(label: str, source: str, tmp: Path, prices: UnitPrices) -> Truth | None:
    """The curve's per-size averages, PCHIP-interpolated on log-log axes, every 1 MB."""
    recorded = ReplayTarget(source, seed=0)
    sizes = np.asarray(recorded.sizes, dtype=float)
    means = np.asarray(recorded.means, dtype=float)
    if len(sizes) < 2:
        return None
    lo, hi = int(sizes[0]), int(sizes[-1])
    dense = np.arange(lo, hi + 1)
    pchip = PchipInterpolator(np.log(sizes), np.log(np.maximum(means, 0.01)))
    duration = np.exp(pchip(np.log(dense)))
    path = tmp / f"{label[:80]}.csv"
    rows = "\n".join(f"{m},{d:.4f}" for m, d in zip(dense, duration, strict=True))
    path.write_text("memory_mb,duration_ms\n" + rows + "\n")
    cv = DEFAULT_CV
    if not recorded.per_size:
        cvs = [
            float(np.std(w, ddof=1) / np.mean(w))
            for w in recorded._warm.values()
            if len(w) >= 3 and np.mean(w) > 0
        ]
        cv = float(np.median(cvs)) if cvs else DEFAULT_CV
    cost = prices.invocation_usd(dense, duration + 0.5)
    wide = sum(lo <= g <= hi for g in GRID) >= 3
    step = float(np.median(sizes[1:] / sizes[:-1]))
    oracle = smooth_oracle(sizes, means, dense, cost, prices)
    return Truth(label, path, dense, cost, cv, wide, step, oracle)


def smooth_oracle(
    sizes: np.ndarray, means: np.ndarray, dense: np.ndarray, cost: np.ndarray, prices: UnitPrices
) -> float:
    """Regret of a method that knows every recorded average exactly, with no noise and no
    spend, and believes duration follows the best-fitting smooth form (the model's own forms,
    no saturated model): what a model-guided search could reach at best. Dips and bumps that
    neighbouring recorded averages do not share are invisible to it, as to any smooth model."""
    from powertune.models.fit import fit_curve

    exact = {
        int(m): [float(d) * f for f in (0.995, 1.0, 1.005)]
        for m, d in zip(sizes, means, strict=False)
    }
    fit = fit_curve(exact, seed=0, n_boot=8, saturated=False)
    if not getattr(fit, "ok", False):
        return float("nan")
    predicted = prices.invocation_usd(dense, np.maximum(fit.mean(dense), 0.01) + 0.5)
    return float(cost[int(np.argmin(predicted))] / cost.min() - 1.0)


def _supports(func: object, name: str) -> bool:
    return name in inspect.signature(func).parameters  # type: ignore[arg-type]


def run_grid(truth: Truth, seed: int, catalog: object, prices: UnitPrices) -> Run | None:
    lo, hi = int(truth.sizes[0]), int(truth.sizes[-1])
    in_range = [g for g in GRID if lo <= g <= hi]
    if not in_range:
        return None
    target = ReplayTarget(truth.path, seed=seed, noise_cv=truth.cv)
    obs = run_search(GridSearch(in_range, GRID_INVOCATIONS), target)
    curve = cost_curve(
        None, obs, catalog=catalog, region=REGION, arch=ARCH, trim=0.2, prices=prices
    )
    strict = {"tie_band": 0.0} if _supports(choose, "tie_band") else {}
    m = choose("cost", curve, **strict).memory_mb  # type: ignore[arg-type]
    return Run(m, truth.regret(m), gb_seconds(obs), obs.invocations)


def run_ours(truth: Truth, seed: int, catalog: object) -> Run:
    lo, hi = int(truth.sizes[0]), int(truth.sizes[-1])
    target = ReplayTarget(truth.path, seed=seed, noise_cv=truth.cv)
    search = AdaptiveSearch(lo, hi, catalog=catalog, region=REGION, arch=ARCH, seed=seed)
    obs = run_search(search, target)
    if search.choice is None:
        search.finalize(obs)
    assert search.choice is not None
    m = search.choice.memory_mb
    converged = (search.stop_reason() or "").startswith("converged")
    claim = float(getattr(search, "claim_bound", search.tolerance))
    return Run(m, truth.regret(m), gb_seconds(obs), obs.invocations, converged, claim)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _fives(runs: list) -> list[list]:
    """Disjoint sets of five seeds (0-4, 5-9, ...): the issue's "five seeds agree", estimated
    over more than one set when there are more seeds."""
    return [runs[i : i + 5] for i in range(0, len(runs) - 4, 5)] or [runs]


def _agree(t: Truth, runs: list) -> bool:
    """The runs' choices cost within the band of each other on the truth."""
    costs = [t.true_cost(r.memory_mb) for r in runs]
    return max(costs) / min(costs) - 1 <= BAND + 1e-12


def summarise(title: str, rows: list[tuple[Truth, list[Run | None], list[Run]]]) -> None:
    paired = [(g, o) for _, gs, os_ in rows for g, o in zip(gs, os_, strict=True) if g]
    ours = [o for *_, os_ in rows for o in os_]
    print(f"\n== {title}: {len(rows)} curves x {len(rows[0][2]) if rows else 0} seeds")
    if not rows:
        return
    g_reg = [g.regret for g, _ in paired]
    o_reg = [o.regret for _, o in paired]
    print(f"{'':34} {'median':>8} {'p90':>8} {'mean':>8}")
    for name, vals in (
        ("grid regret", g_reg),
        ("ours regret (paired with grid)", o_reg),
        ("ours regret (every run)", [o.regret for o in ours]),
    ):
        if vals:
            print(f"{name:34} {pct(vals, 50):8.2%} {pct(vals, 90):8.2%} {np.mean(vals):8.2%}")
    if paired:
        g_spend = [g.gb_s for g, _ in paired]
        o_spend = [o.gb_s for _, o in paired]
        ratios = [o.gb_s / g.gb_s for g, o in paired if g.gb_s > 0]
        print(
            f"{'spend GB-s median: grid / ours':34} {np.median(g_spend):8.2f} "
            f"{np.median(o_spend):8.2f}   ratio of medians {np.median(o_spend) / np.median(g_spend):.3f}; "
            f"per-run median {pct(ratios, 50):.3f}, p90 {pct(ratios, 90):.3f}"
        )
    oracle = [t.oracle for t, *_ in rows if np.isfinite(t.oracle)]
    if oracle:
        print(
            f"{'smooth-form oracle (no noise)':34} {pct(oracle, 50):8.2%} {pct(oracle, 90):8.2%} "
            f"{np.mean(oracle):8.2%}   (one per curve)"
        )
    print(f"{'ours invocations median':34} {np.median([o.invocations for o in ours]):8.1f}")
    agree = [_agree(t, os_) for t, _, os_ in rows for os_ in _fives(os_)]
    print(
        f"{'five seeds agree within the 1% band':34} {np.mean(agree):8.1%}   of {len(agree)} "
        "sets of 5 seeds"
    )
    g_agree = [_agree(t, gs) for t, gs, _ in rows if all(gs) for gs in _fives(gs)]
    if g_agree:
        print(f"{'grid: five seeds agree':34} {np.mean(g_agree):8.1%}")
    conv = [o for o in ours if o.converged]
    if conv:
        true = np.mean([o.regret <= o.claim + 1e-12 for o in conv])
        claims = sorted({f"{o.claim:.1%}" for o in conv})
        print(
            f"{'converged claims true':34} {true:8.1%}   of {len(conv)} converged runs "
            f"({len(conv) / len(ours):.0%} of runs; claims: within {', '.join(claims)})"
        )
    else:
        print(f"{'converged claims true':34}      n/a   (no run claimed convergence)")


def _curve_runs(job: tuple[str, str, int, str]) -> tuple[Truth, list[Run | None], list[Run]] | None:
    """Every seed of one curve, grid and ours (a process-pool job: its own catalog and files)."""
    label, source, seeds, tmp = job
    catalog = load_catalog()
    prices = UnitPrices.of(catalog, REGION, ARCH)
    truth = smooth_truth(label, source, Path(tmp), prices)
    if truth is None:
        return None
    grids = [run_grid(truth, s, catalog, prices) for s in range(seeds)]
    ours = [run_ours(truth, s, catalog) for s in range(seeds)]
    return truth, grids, ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=15)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    started = time.perf_counter()
    wide: list[tuple[Truth, list[Run | None], list[Run]]] = []
    narrow: list[tuple[Truth, list[Run | None], list[Run]]] = []
    catalog = load_catalog()
    prices = UnitPrices.of(catalog, REGION, ARCH)
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(args.jobs) as pool:
        jobs, narrow_seen = [], 0
        for label, source in curve_sources():
            if args.only and args.only not in label:
                continue
            truth = smooth_truth(label, source, Path(tmp), prices)  # cheap: which group
            if truth is None:
                continue
            if args.quick and not truth.wide:
                narrow_seen += 1
                if narrow_seen % 3:
                    continue
            jobs.append((label, source, args.seeds, tmp))
        for row in pool.map(_curve_runs, jobs):
            if row is None:
                continue
            truth, grids, ours = row
            (wide if truth.wide else narrow).append(row)
            if args.verbose:
                g = " ".join("  n/a" if r is None else f"{r.memory_mb:5d}" for r in grids[:5])
                o = " ".join(f"{r.memory_mb:5d}" for r in ours[:5])
                worst = max(r.regret for r in ours)
                print(f"{truth.label[:56]:56} grid {g} | ours {o} worst {worst:6.2%}", flush=True)
    coarse = [row for row in wide if row[0].step >= COARSE_STEP]
    fine = [row for row in wide if row[0].step < COARSE_STEP]
    summarise(f"wide-range curves, coarse recordings (step >= {COARSE_STEP}x)", coarse)
    summarise(f"wide-range curves, fine zoom-in recordings (step < {COARSE_STEP}x)", fine)
    summarise("wide-range curves, all (the grid measures 3 or more sizes)", wide)
    summarise("narrow zoom-in curves (neighbouring averages differ by noise)", narrow)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
