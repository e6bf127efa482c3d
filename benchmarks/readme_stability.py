"""Does README's main command give the same recommendation run after run (within the tie band)?

Runs the command (default: README's, ``tune --local examples/functions/cpu_bound --memory
128..3008``) ``--runs`` times as separate processes, as a user would, and prints each run's
recommendation, whether it claimed convergence, and how the host looked (load, steal).

"Same within the band" is judged on one common curve: every run's warm samples pooled and
fitted (the function is the same; each run only saw a noisy part of it). Each run's choice is
priced on that pooled curve, and the runs agree when those costs are within the tie band (1%)
of each other. The same is printed on the pooled best smooth form alone (no saturated model, no
pull towards each size's own mean), a judge with less noise. Each run's own 128 MB mean is
printed too: on a shared host the whole curve
moves between runs (CPU frequency, steal, other load), which no stopping rule can see from
inside one run.

    python benchmarks/readme_stability.py [--runs 3] [--band 0.01] [--verbose] [-- EXTRA TUNE ARGS]
    python benchmarks/readme_stability.py --results out1.json out2.json ...
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from powertune.models.fit import Fit, fit_curve  # noqa: E402
from powertune.tune.decide.costcurve import ROUNDING_MS, cost_curve, default_grid  # noqa: E402
from powertune.tune.decide.strategies import tied_with_cheapest  # noqa: E402
from powertune.types import Observations, Sample  # noqa: E402
from pricing.catalog import load_catalog  # noqa: E402

README_ARGS = ["--local", "examples/functions/cpu_bound", "--memory", "128..3008"]


def run_once(out: Path, extra: list[str]) -> tuple[dict, float]:
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "cli", "tune", *README_ARGS, *extra, "--json", str(out), "-q"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"tune exited {done.returncode}: {done.stderr.strip()[-400:]}")
    return json.loads(out.read_text()), time.perf_counter() - started


def warm_samples(result: dict) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    for m in result["functions"][0]["measurements"]:
        warm = [
            s["duration_ms"]
            for s in m.get("samples") or []
            if s["status"] == "success" and not s["cold"]
        ]
        if warm:
            out[int(m["memory_mb"])] = warm
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--band", type=float, default=0.01)
    parser.add_argument("--verbose", action="store_true", help="the pooled curve, size by size")
    parser.add_argument(
        "--results", nargs="+", type=Path, help="judge these result files instead of running"
    )
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    results = []
    if args.results:
        results = [(json.loads(path.read_text()), float("nan")) for path in args.results]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.runs):
                result, wall = run_once(Path(tmp) / f"run{i}.json", extra)
                results.append((result, wall))
    pooled: dict[int, list[float]] = {}
    for result, _ in results:
        for m, v in warm_samples(result).items():
            pooled.setdefault(m, []).extend(v)
    fit = fit_curve(pooled, seed=0)
    if not isinstance(fit, Fit):
        raise SystemExit(f"the pooled samples do not fit: {fit}")
    obs = Observations()
    for m, v in pooled.items():
        for d in v:
            obs.add(Sample(m, d, int(np.ceil(d))))
    picks = [int(r["functions"][0]["recommendation"]["memory_mb"]) for r, _ in results]
    grid = np.unique(np.array([*pooled, *picks], dtype=int))
    curve = cost_curve(
        fit, obs, catalog=load_catalog(), region="us-east-1", arch="x86_64", memory_grid=grid
    )
    costs = {m: float(curve.cost[curve.index(m)]) for m in picks}
    cheapest = min(costs.values())
    print(f"pooled fit: {fit.name} over {sum(map(len, pooled.values()))} warm samples")
    if args.verbose:
        for m in sorted(pooled):
            i = curve.index(m)
            print(
                f"  {m:5d} MB: {len(pooled[m]):3d} warm, mean {np.mean(pooled[m]):8.1f} ms, "
                f"model {curve.mean[i]:8.1f} ms, cost {curve.cost[i] / curve.cost.min() - 1:+.2%}"
            )
    print(
        f"{'run':>3} {'rec MB':>7} {'stopped':>22} {'pooled cost':>12} {'128 MB ms':>10} "
        f"{'wall s':>7}  host"
    )
    for i, (result, wall) in enumerate(results):
        rec = result["functions"][0]["recommendation"]
        m = int(rec["memory_mb"])
        stop = str((result.get("run") or {}).get("stop_reason") or "")
        claim = stop.split(":")[0].split(" (")[0][:22]
        own = warm_samples(result).get(128)
        level = f"{np.mean(own):10.0f}" if own else f"{'-':>10}"
        local = (result.get("run") or {}).get("local") or {}
        host = f"load {local.get('load_average')}, steal {local.get('steal')}"
        print(
            f"{i + 1:3d} {m:7d} {claim:>22} {costs[m] / cheapest - 1:+11.2%} {level} "
            f"{wall:7.1f}  {host}"
        )
    # A second judge with less noise than the per-size means: the best smooth form alone (no
    # saturated model, no pull towards each size's own mean), priced the same way.
    smooth = fit_curve(pooled, seed=0, saturated=False)
    if isinstance(smooth, Fit):
        prices = curve.prices
        form = {
            m: float(prices.invocation_usd(np.array([m]), smooth.mean([m]) + ROUNDING_MS)[0])
            for m in picks
        }
        low = min(form.values())
        print(
            f"on the pooled smooth form ({smooth.name}) alone: "
            + ", ".join(f"{m} MB {form[m] / low - 1:+.2%}" for m in picks)
            + f"; spread {max(form.values()) / low - 1:.2%}"
        )
    # The test: every pick lies in one tie band of the pooled curve (the product's own
    # rule on the pooled evidence), and the slowest pick's p50 is within 15% of the fastest's.
    full = cost_curve(
        fit,
        obs,
        catalog=load_catalog(),
        region="us-east-1",
        arch="x86_64",
        memory_grid=np.unique(np.concatenate([default_grid(128, 3008), grid])),
    )
    _, tied = tied_with_cheapest(full, np.arange(len(full.memory_mb)), args.band)
    band = {int(full.memory_mb[j]) for j in tied}
    inside = all(m in band for m in picks)
    p50 = {m: float(full.quantiles[50][0][full.index(m)]) for m in picks}
    slow = max(p50.values()) / min(p50.values()) - 1
    print(
        f"pooled tie band {min(band)}-{max(band)} MB ({len(band)} sizes); picks all inside: "
        f"{'yes' if inside else 'no'}; p50 at the picks: "
        + ", ".join(f"{m} MB {p50[m]:.0f} ms" for m in picks)
        + f"; slowest pick's p50 {slow:+.1%} over the fastest's (target <= +15%): "
        + ("met" if inside and slow <= 0.15 else "not met")
    )
    spread = max(costs.values()) / cheapest - 1
    verdict = "agree" if spread <= args.band + 1e-12 else "disagree"
    print(
        f"runs {verdict} within the {args.band:.0%} band on the pooled curve: spread {spread:.2%}"
    )


if __name__ == "__main__":
    main()
