"""Wall time of a tuning run against the embedded runtime, with a handler of known duration.

Target (issue 5): wall <= 1.2 x (configuration steps + rounds x duration), where a round is one
wave of up to --concurrency parallel invocations (warm-ups run one per size, before the waves).

    python benchmarks/tune_wall_time.py [--sizes 128,256,512,1024,2048] [--invocations 20]
        [--concurrency 10] [--wait-ms 200]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import boto3

from powertune.local import LocalLambda
from powertune.tune.plan import parse_payload
from powertune.tune.search.grid import GridSearch
from powertune.tune.targets.aws import AwsLambdaTarget
from powertune.tune.tuner import Tuner, TuneSettings
from pricing.catalog import load_catalog

HANDLER = Path(__file__).resolve().parents[1] / "examples" / "functions" / "io_wait"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="128,256,512,1024,2048")
    parser.add_argument("--invocations", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--wait-ms", type=float, default=200.0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    duration_s = args.wait_ms / 1000
    with LocalLambda(cpu="model", concurrency=args.concurrency * 2) as server:
        server.add_function("bench", str(HANDLER), MemorySize=1024, Timeout=30)
        session = boto3.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
        )
        target = AwsLambdaTarget("bench", boto3_session=session, endpoint_url=server.endpoint_url)
        tuner = Tuner(
            target,
            GridSearch(sizes, args.invocations),
            parse_payload(f'{{"wait_ms": {args.wait_ms}, "calls": 1}}'),
            TuneSettings(concurrency=args.concurrency, warmup=1),
            catalog=load_catalog(),
        )
        started = time.monotonic()
        outcome = tuner.run()
        wall = time.monotonic() - started
    measured = sum(len(s) for s in outcome.observations.samples.values())
    waves = math.ceil(measured / args.concurrency)
    warmup_rounds = len(sizes)  # one warm-up per size, after its configuration step
    ideal = outcome.configure_s + (waves + warmup_rounds) * duration_s
    print(
        f"sizes {sizes}, {args.invocations} invocations each, concurrency {args.concurrency}, "
        f"handler waits {args.wait_ms:.0f} ms"
    )
    print(f"invocations measured        {measured} (+{warmup_rounds} warm-ups)")
    print(f"configuration steps         {outcome.configure_s:7.2f} s")
    print(
        f"rounds x duration           {(waves + warmup_rounds) * duration_s:7.2f} s "
        f"({waves} waves + {warmup_rounds} warm-ups)"
    )
    print(f"ideal (config + rounds)     {ideal:7.2f} s")
    print(f"wall time                   {wall:7.2f} s  (includes restore)")
    print(f"ratio wall / ideal          {wall / ideal:7.3f}  (target <= 1.2)")


if __name__ == "__main__":
    main()
