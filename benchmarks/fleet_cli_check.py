"""The issue-18 checks through the real CLI, on the embedded runtime over loopback.

    python benchmarks/fleet_cli_check.py [--functions 12]

Starts the embedded runtime with N copies of the io_wait example (fleet-00..), then, as
separate `powertune` processes (start-up included): one function alone, `tune --prefix fleet-`,
and `--shard 1/3..3/3` + `powertune merge`. Prints the wall times and their ratio, the number of
recommendations, the functions' memory afterwards and the leftover aliases (want none), and
whether the merged shards hold the unsharded run's function set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from powertune.local import LocalLambda  # noqa: E402

GRID = ["--search", "grid", "--memory", "256,1024", "--invocations", "3", "--quiet"]
GRID += ["--concurrency", "12", "--monthly-invocations", "1000000"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=12)
    args = parser.parse_args()
    n, out = args.functions, Path(tempfile.mkdtemp(prefix="powertune-fleet-"))
    env = dict(os.environ, AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    names = [f"fleet-{i:02d}" for i in range(n)]
    with LocalLambda(cpu="model", concurrency=24) as srv:
        for name in names:
            srv.add_function(name, str(ROOT / "examples/functions/io_wait"), MemorySize=1024)
        common = [*GRID, "--endpoint-url", srv.endpoint_url]

        def tune(*selection: str, json_out: Path) -> float:
            started = time.monotonic()
            done = subprocess.run(
                ["powertune", "tune", *selection, *common, "--json", str(json_out)],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode:
                sys.exit(f"tune {' '.join(selection)}: exit {done.returncode}: {done.stderr}")
            return time.monotonic() - started

        one = tune(names[0], json_out=out / "one.json")
        fleet = tune("--prefix", "fleet-", json_out=out / "fleet.json")
        whole = json.loads((out / "fleet.json").read_text())
        lam = boto3.client("lambda", endpoint_url=srv.endpoint_url, region_name="us-east-1",
                           aws_access_key_id="local", aws_secret_access_key="local")  # fmt: skip
        memories = {lam.get_function_configuration(FunctionName=m)["MemorySize"] for m in names}
        aliases = sum(len(lam.list_aliases(FunctionName=m)["Aliases"]) for m in names)
        recs = sum(1 for f in whole["functions"] if f["recommendation"])
        print(f"one function alone: {one:.1f} s; {n} functions: {fleet:.1f} s ({fleet / one:.2f}x)")
        print(f"recommendations: {recs} of {n}; memory afterwards: {sorted(memories)} MB; "
              f"leftover aliases: {aliases}")  # fmt: skip
        parts = []
        for k in (1, 2, 3):
            part = out / f"shard{k}.json"
            tune("--prefix", "fleet-", "--shard", f"{k}/3", json_out=part)
            parts.append(str(part))
            print(f"shard {k}/3: {len(json.loads(part.read_text())['functions'])} functions")
        merged = subprocess.run(["powertune", "merge", *parts], capture_output=True, text=True)
        got = sorted(f["name"] for f in json.loads(merged.stdout)["functions"])
        want = sorted(f["name"] for f in whole["functions"])
        print(f"merge exit {merged.returncode}; merged == unsharded function set: {got == want}")


if __name__ == "__main__":
    main()
