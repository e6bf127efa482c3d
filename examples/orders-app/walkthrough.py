"""The orders app end to end, on the embedded runtime: serve, traffic, analyze, tune, apply, gate.

    python examples/orders-app/walkthrough.py            # about 10 minutes on 2 cores
    python examples/orders-app/walkthrough.py --quick    # fewer invocations, the same path

Every step is a `powertune` command (printed before it runs, as you would type it) in a copy of
the app (``--workdir``, default ``./orders-walkthrough``), so the example itself is never edited.
Nothing but Python and this package: no AWS account (the local runtime takes any credentials).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

APP = Path(__file__).resolve().parent
STACK = "orders"
_LISTENING = re.compile(r"listening on (http://\S+)")


def say(command: list[str], background: bool = False) -> None:
    print(f"\n$ {shlex.join(command)}{' &' if background else ''}", flush=True)


def run(command: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> int:
    say(command)
    code = subprocess.call(command, cwd=cwd)
    if code not in ok:
        sys.exit(f"walkthrough: `{shlex.join(command)}` exited {code}")
    return code


class Serve:
    """`powertune local serve --template` in the background, for as long as a step needs it."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.command = [
            "powertune", "local", "serve", "--template", "template.yaml",
            "--stack-name", STACK, "--port", str(port),
        ]  # fmt: skip
        self.workdir = workdir
        self.log = workdir / "serve.log"

    def __enter__(self) -> str:
        say(self.command, background=True)
        self.out = self.log.open("w")
        self.process = subprocess.Popen(
            self.command, cwd=self.workdir, stderr=self.out, stdout=self.out
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = _LISTENING.search(self.log.read_text())
            if found:
                print(self.log.read_text(), end="", flush=True)
                return found.group(1)
            if self.process.poll() is not None:
                sys.exit(f"walkthrough: the local runtime did not start:\n{self.log.read_text()}")
            time.sleep(0.2)
        self.process.kill()
        sys.exit("walkthrough: the local runtime did not start within 120 s")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.out.close()


def check_restored(url: str, template: Path) -> None:
    """Every function back as the template has it: its size, and no tuning alias or version."""
    import boto3

    from powertune.local.template import load_template

    client = boto3.client("lambda", endpoint_url=url, region_name="us-east-1")
    for function in load_template(template, stack_name=STACK):
        config = client.get_function_configuration(FunctionName=function.name)
        aliases = client.list_aliases(FunctionName=function.name)["Aliases"]
        versions = client.list_versions_by_function(FunctionName=function.name)["Versions"]
        left = [a["Name"] for a in aliases] + [v["Version"] for v in versions[1:]]
        if config["MemorySize"] != function.memory_mb or left:
            sys.exit(
                f"walkthrough: {function.name} is not as it was: {config['MemorySize']} MB "
                f"(template: {function.memory_mb} MB), left behind: {left or 'nothing'}"
            )
    print(f"# restored: every function of {template.name} at its size, no alias or version left")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("orders-walkthrough"))
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--quick", action="store_true", help="fewer invocations (CI)")
    parser.add_argument("--scale", type=float, default=0.005, help="share of a day's traffic")
    args = parser.parse_args()

    work = args.workdir.resolve()
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(APP, work, ignore=shutil.ignore_patterns("__pycache__", "walkthrough.py"))
    # the local runtime takes any credentials; a region names the prices
    os.environ.update(
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
    )
    os.environ.pop("AWS_PROFILE", None)
    budget = ["--max-invocations", "16"] if args.quick else []
    print(f"# the orders app, copied to {work}")

    with Serve(work, args.port) as url:
        # 1. a day of the app's traffic (scaled down), and its logs as an export
        run([sys.executable, "traffic.py", "--endpoint-url", url,
             "--scale", str(args.scale), "--logs", "logs"], work)  # fmt: skip
        # 2. what the logs say: every function ranked by the dollars at stake
        run(["powertune", "analyze", "--from-logs", "logs", "--days", "1",
             "--json", "analysis.json", "--top", "12"], work)  # fmt: skip
        # 3. tune the functions the analysis ranks (traffic and payloads: powertune.toml)
        run(["powertune", "tune", "--endpoint-url", url, "--from-analysis", "analysis.json",
             "--json", "before.json", *budget], work)  # fmt: skip
        check_restored(url, work / "template.yaml")
    # 4. the recommendation into the template: the diff, then the edit
    run(["powertune", "apply", "before.json", "--template", "template.yaml"], work)
    run(["powertune", "apply", "before.json", "--template", "template.yaml", "--write"], work)
    # 5. deploy the new sizes (here: serve the edited template) and measure again
    with Serve(work, args.port) as url:
        run(["powertune", "tune", "--endpoint-url", url, "--from-analysis", "analysis.json",
             "--json", "after.json", *budget], work)  # fmt: skip
    # 6. the gate: the app after the change against the app before it
    gate = run(["powertune", "gate", "--baseline", "before.json", "--current", "after.json",
                "--verbose"], work, ok=(0, 1))  # fmt: skip
    if gate == 1:  # a verdict, not a breakdown: say what it means here and go on
        print(
            "# the gate failed the change on these measurements: on the embedded runtime a host "
            "whose speed changed between the two runs reads as a regression; rerun on a quiet "
            "host, or confirm on AWS",
            flush=True,
        )
    # 7. the table: each function's size now and recommended, $/month, the total saving
    run(["powertune", "report", "before.json", "--summary"], work)


if __name__ == "__main__":
    main()
