"""What regret is reachable at all on the regret benchmark's curves, by methods told more than ours.

``benchmarks/regret.py`` measures regret against the optimum of each curve's *interpolated*
recorded means. Between two recorded sizes the replayed duration is linear in memory, so the cost
per invocation there is ``price · m · (a + b·m) + fee``; with duration falling (b < 0) that is
concave in m, so the optimum over the range is always at a recorded size (a "knot"). This script
prints, per curve and as median / p90, the regret of three oracles that know more than any live
search can, to show which part of the target is reachable:

- ``smooth``: every model form fitted to the *exact* recorded means (no noise, no spend), the
  form that lands closest in hindsight, its optimum priced over the range. The best a method that
  models duration as a smooth function of memory can do with unlimited invocations.
- ``knots/5``: knows where the knots are and sees each probed knot's exact cost, probing knots in
  ascending size (cheapest first) until one fifth of the reference grid's spend (the issue's
  spend target) is used; recommends the best knot it saw (the smallest knot when it could afford
  none: a free guess).
- ``knots/5 smooth-order``: the same, but probing knots in the order the smooth oracle ranks them.

It also prints the share of sizes within 3% of the optimum, how often the optimum is a size of
the reference grid (128, 256, 512, 1024, 1536, 3008 MB), and, for curves of six or more recorded
sizes, whether neighbouring recorded sizes say anything about each other: the lag-1
autocorrelation of log cost after removing a straight-line trend in log memory (near zero or
below: the dips are noise no model can predict), the share of recorded sizes within 3% of the
optimum, and the chance that two blind probes (noise-free) land on one of them.

    python benchmarks/regret_bounds.py [--only SUBSTRING] [--quiet]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from regret import (  # noqa: E402
    ARCH,
    GRID,
    GRID_INVOCATIONS,
    REGION,
    curve_sources,
    gb_seconds,
    pct,
    run_search,
    true_costs,
)

from powertune.models.fit import Fit, fit_curve  # noqa: E402
from powertune.models.forms import FORMS  # noqa: E402
from powertune.tune.search.grid import GridSearch  # noqa: E402
from powertune.tune.targets.replay import ReplayTarget  # noqa: E402
from pricing.catalog import load_catalog  # noqa: E402
from pricing.vectorized import UnitPrices  # noqa: E402

SPEND_SHARE = 0.2  # the spend target: one fifth of the grid's


def smooth_regret(target: ReplayTarget, sizes: np.ndarray, costs: np.ndarray, prices) -> float:
    """Lowest regret over the model forms fitted to the exact recorded means."""
    exact = {int(m): [float(d)] * 3 for m, d in zip(target.sizes, target.means, strict=True)}
    best = math.inf
    for name in FORMS:
        fit = fit_curve(exact, forms=[name], n_boot=2)
        if not isinstance(fit, Fit):
            continue
        predicted = prices.invocation_usd(sizes, np.maximum(fit.mean(sizes), 0.0) + 0.5)
        pick = int(np.argmin(predicted))
        best = min(best, float(costs[pick] / costs.min() - 1.0))
    return best


def smooth_order(target: ReplayTarget, prices) -> list[int]:
    """Knots ranked by the AIC-best parametric form's predicted cost (fitted to the exact means)."""
    knots = target.sizes.astype(int)
    exact = {int(m): [float(d)] * 3 for m, d in zip(target.sizes, target.means, strict=True)}
    # Parametric forms only: the saturated model fitted to the exact means is the truth itself.
    fit = fit_curve(exact, n_boot=2, saturated=False)
    if not isinstance(fit, Fit):
        return list(knots)
    predicted = prices.invocation_usd(knots, np.maximum(fit.mean(knots), 0.0) + 0.5)
    return [int(knots[i]) for i in np.argsort(predicted, kind="stable")]


def knot_oracle(
    order: list[int], target: ReplayTarget, budget_gb_s: float, sizes: np.ndarray, costs: np.ndarray
) -> tuple[float, int]:
    """Regret of the best knot seen when probing ``order`` with exact costs within the budget."""
    seen: list[int] = []
    spent = 0.0
    for m in order:
        d = float(target.mean_duration(np.array([m]))[0])
        gb_s = m / 1024 * math.ceil(d) / 1000
        if spent + gb_s > budget_gb_s:
            break
        spent += gb_s
        seen.append(m)
    pick = min(seen, key=lambda m: costs[m - sizes[0]]) if seen else int(target.sizes[0])
    return float(costs[pick - sizes[0]] / costs.min() - 1.0), len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    catalog = load_catalog()
    prices = UnitPrices.of(catalog, REGION, ARCH)
    rows = []
    for label, source in curve_sources():
        if args.only and args.only not in label:
            continue
        target = ReplayTarget(source, seed=0)
        sizes, costs = true_costs(target, prices)
        lo, hi = target.memory_range
        in_range = [m for m in GRID if lo <= m <= hi]
        optimum = int(sizes[int(np.argmin(costs))])
        knots = set(target.sizes.astype(int))
        good_share = float(np.mean(costs <= 1.03 * costs.min()))
        knot_costs = np.asarray(prices.invocation_usd(target.sizes, target.means + 0.5))
        knot_good = float(np.mean(knot_costs <= 1.03 * costs.min()))
        autocorr = math.nan
        if len(knots) >= 6:
            x, y = np.log(target.sizes), np.log(knot_costs)
            resid = y - np.polyval(np.polyfit(x, y, 1), x)
            autocorr = float(np.corrcoef(resid[:-1], resid[1:])[0, 1])
        smooth = smooth_regret(target, sizes, costs, prices)
        if in_range:
            grid_spend = gb_seconds(run_search(GridSearch(in_range, GRID_INVOCATIONS), target))
            budget = SPEND_SHARE * grid_spend
            ascending = knot_oracle(sorted(knots), target, budget, sizes, costs)
            ranked = knot_oracle(smooth_order(target, prices), target, budget, sizes, costs)
        else:
            ascending = ranked = (math.nan, 0)
        rows.append(
            {
                "label": label,
                "knots": len(knots),
                "grid_sizes": len(in_range),
                "optimum_is_knot": optimum in knots,
                "optimum_on_grid": optimum in GRID,
                "good_share": good_share,
                "smooth": smooth,
                "knots5": ascending[0],
                "knots5_probed": ascending[1],
                "knots5_ranked": ranked[0],
                "autocorr": autocorr,
                "knot_good": knot_good,
            }
        )
        if not args.quiet:
            r = rows[-1]
            print(
                f"{label[:58]:58} knots {r['knots']:3d} grid {r['grid_sizes']} "
                f"opt {optimum:5d} good {good_share:6.1%} | smooth {smooth:7.1%} "
                f"knots/5 {ascending[0]:7.1%} ({ascending[1]} probed) ranked {ranked[0]:7.1%}",
                flush=True,
            )
    summarise("all curves", rows)
    summarise("wide-range curves (3 or more grid sizes)", [r for r in rows if r["grid_sizes"] >= 3])
    summarise("narrow curves (at most 2 grid sizes)", [r for r in rows if r["grid_sizes"] < 3])


def summarise(title: str, rows: list[dict]) -> None:
    if not rows:
        return
    print()
    print(f"== {title}: {len(rows)} curves")
    print(
        f"optimum at a recorded size: {np.mean([r['optimum_is_knot'] for r in rows]):.0%}; "
        f"at a reference-grid size: {np.mean([r['optimum_on_grid'] for r in rows]):.0%}"
    )
    print(f"{'':40} {'median':>9} {'p90':>9} {'<=3%':>6}")
    for key, name in (
        ("good_share", "share of sizes within 3% of optimum"),
        ("smooth", "smooth oracle regret (no noise, free)"),
        ("knots5", "knots/5 oracle regret (ascending)"),
        ("knots5_ranked", "knots/5 oracle regret (smooth order)"),
    ):
        vals = [r[key] for r in rows if not math.isnan(r[key])]
        if not vals:
            continue
        within = np.mean([v <= 0.03 for v in vals]) if key != "good_share" else float("nan")
        print(f"{name:40} {pct(vals, 50):9.2%} {pct(vals, 90):9.2%} {within:6.0%}")
    multi = [r for r in rows if not math.isnan(r["autocorr"])]
    if multi:
        ac = [r["autocorr"] for r in multi]
        good = np.array([r["knot_good"] for r in multi])
        print(
            f"{len(multi)} curves with 6+ recorded sizes: lag-1 autocorrelation of detrended log "
            f"cost median {np.median(ac):+.2f} (IQR {pct(ac, 25):+.2f} to {pct(ac, 75):+.2f}); "
            f"recorded sizes within 3%: median {np.median(good):.1%}; two blind probes hit one: "
            f"median {np.median(1 - (1 - good) ** 2):.0%}"
        )


if __name__ == "__main__":
    main()
