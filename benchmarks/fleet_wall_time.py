"""Fleet wall time against the number of functions, on the embedded runtime over boto3.

    python benchmarks/fleet_wall_time.py            # 1, 10 and 50 functions
    python benchmarks/fleet_wall_time.py --quick    # 1, 4 and 12 functions
    python benchmarks/fleet_wall_time.py --counts 1,12 --concurrency 12

Each count is a fresh runtime with N copies of an example function (``io_wait``: ~100 ms of
waiting, like most Lambda functions) tuned with one ``tune --prefix`` run (a small grid); one
function tuned alone is the yardstick. It prints each count's wall time, its ratio to one
alone, and whether every function got a recommendation and was put back. Times depend on
the machine's load: run the counts in one session and compare the ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from powertune.local import LocalLambda  # noqa: E402
from powertune.tune.config import Config  # noqa: E402
from powertune.tune.fleet import tune_selection  # noqa: E402
from powertune.tune.fleet_select import Selection  # noqa: E402
from powertune.tune.plan import TuneFlags, resolve_plan  # noqa: E402
from powertune.tune.run import tune  # noqa: E402

EXAMPLE = ROOT / "examples" / "functions" / "io_wait"


def _flags(endpoint: str, args: argparse.Namespace) -> TuneFlags:
    return TuneFlags(
        endpoint_url=endpoint,
        search_kind="grid",
        memory=args.memory,
        invocations=args.invocations,
        concurrency=args.concurrency,
        monthly_invocations=1_000_000,
    )


def measure(count: int, args: argparse.Namespace) -> tuple[float, int, bool]:
    """Wall seconds to tune ``count`` functions; recommendations; all restored."""
    with LocalLambda(cpu="model", concurrency=max(args.concurrency * 2, 8)) as srv:
        names = [f"fleet-{i:03d}" for i in range(count)]
        for name in names:
            srv.add_function(name, str(EXAMPLE), MemorySize=1024, Timeout=30)
        flags = _flags(srv.endpoint_url, args)
        started = time.monotonic()
        if count == 1 and not args.fleet_for_one:
            result = tune(resolve_plan(TuneFlags(**{**flags.__dict__, "function": names[0]})))
        else:
            result = tune_selection(Selection(prefix="fleet-"), flags, Config())
        wall = time.monotonic() - started
        lam = boto3.client("lambda", endpoint_url=srv.endpoint_url, region_name="us-east-1")
        restored = all(
            lam.get_function_configuration(FunctionName=n)["MemorySize"] == 1024 for n in names
        )
        recommended = sum(1 for f in result.functions if f.recommendation is not None)
        return wall, recommended, restored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1, 4 and 12 functions")
    parser.add_argument("--counts", help="comma-separated function counts (default 1,10,50)")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--memory", default="256,1024")
    parser.add_argument("--invocations", type=int, default=3)
    parser.add_argument(
        "--fleet-for-one", action="store_true", help="time one function through the fleet path"
    )
    args = parser.parse_args()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    counts = [int(c) for c in (args.counts or ("1,4,12" if args.quick else "1,10,50")).split(",")]
    print(
        f"grid {args.memory} MB x {args.invocations} invocations, --concurrency "
        f"{args.concurrency}, io_wait example, cpus={os.cpu_count()}, "
        f"load={os.getloadavg()[0]:.1f}"
    )
    print(f"{'functions':>9}  {'wall s':>7}  {'x one':>6}  {'per fn s':>8}  recs  restored")
    one: float | None = None
    for count in counts:
        wall, recs, restored = measure(count, args)
        one = wall if one is None and count == 1 else one
        ratio = f"{wall / one:6.2f}" if one else "     -"
        print(
            f"{count:>9}  {wall:7.1f}  {ratio}  {wall / count:8.2f}  {recs:>4}  "
            f"{'yes' if restored else 'NO'}"
        )


if __name__ == "__main__":
    main()
