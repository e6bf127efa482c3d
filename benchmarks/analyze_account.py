"""Benchmark: `powertune analyze` over 1,000 functions against a loopback stand-in for AWS.

A child process serves Lambda (ListFunctions, ListTags; rest-json), CloudWatch Logs
(DescribeLogGroups, StartQuery, GetQueryResults; json 1.1) and CloudWatch (GetMetricData;
json 1.0, the protocol botocore picks for it) on 127.0.0.1, answering instantly. Each Logs Insights query answers "Running" once, then "Complete" with one row per log
group. The figures are this process's wall and CPU time: the client's share of an analysis
(real AWS adds its own query time, which the client spends asleep).

    python benchmarks/analyze_account.py [--functions 1000] [--tags]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import random
import sys
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlparse

import boto3

TARGET_SECONDS = 10.0


def _function(i: int) -> dict[str, Any]:
    rng = random.Random(i)
    name = f"svc-{i:04d}"
    return {
        "FunctionName": name,
        "FunctionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        "MemorySize": rng.choice([128, 256, 512, 1024, 1769, 3008]),
        "Architectures": [rng.choice(["x86_64", "arm64"])],
        "Timeout": 30,
        "Runtime": "python3.12",
        "PackageType": "Zip",
        "LoggingConfig": {"LogFormat": "JSON" if i % 10 == 0 else "Text"},
    }


def _row(group: str, i: int) -> list[dict[str, str]]:
    rng = random.Random(i)
    size = _function(i)["MemorySize"]
    unit = 1 if i % 10 == 0 else 1_000_000
    peak = rng.uniform(0.1, 1.0) * size
    fields = {
        "@log": f"123456789012:{group}",
        "reports": str(rng.randint(1_000, 5_000_000)),
        "duration_p50": f"{rng.uniform(5, 500):.2f}",
        "duration_p95": f"{rng.uniform(500, 900):.2f}",
        "duration_p99": f"{rng.uniform(900, 2000):.2f}",
        "duration_avg": f"{rng.uniform(5, 600):.2f}",
        "billed_p50": "100",
        "billed_p95": "900",
        "billed_p99": "2000",
        "billed_avg": f"{rng.uniform(6, 600):.1f}",
        "max_memory_p99": str(int(peak * 0.9 * unit)),
        "max_memory_max": str(int(peak * unit)),
        "memory_size": str(size * unit),
        "cold_starts": str(rng.randint(0, 500)),
        "init_avg": f"{rng.uniform(100, 900):.1f}",
        "init_p99": f"{rng.uniform(900, 2000):.1f}",
        "timeouts": str(rng.choice([0, 0, 0, 3])),
        "out_of_memory": str(rng.choice([0, 0, 0, 0, 1])),
    }
    return [{"field": k, "value": v} for k, v in fields.items()]


class FakeAws(BaseHTTPRequestHandler):
    functions: ClassVar[list[dict[str, Any]]] = []
    queries: ClassVar[dict[str, dict[str, Any]]] = {}

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, body: bytes, ctype: str = "application/json", **headers: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path.startswith("/2015-03-31/functions"):
            qs = parse_qs(url.query)
            start = int(qs.get("Marker", ["0"])[0])
            size = int(qs.get("MaxItems", ["50"])[0])
            page: dict[str, Any] = {"Functions": self.functions[start : start + size]}
            if start + size < len(self.functions):
                page["NextMarker"] = str(start + size)
            self._send(json.dumps(page).encode())
        elif url.path.startswith("/2017-03-31/tags/"):
            arn = unquote(url.path.removeprefix("/2017-03-31/tags/"))
            index = int(arn.rsplit("-", 1)[1])
            self._send(json.dumps({"Tags": {"team": "api" if index % 2 else "web"}}).encode())
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        target = self.headers.get("X-Amz-Target", "").split(".")[-1]
        request = json.loads(body or b"{}")
        if target == "GetMetricData":
            self._metrics(request)
            return
        if target == "DescribeLogGroups":
            start = int(request.get("nextToken", "0"))
            groups = [
                {"logGroupName": f"/aws/lambda/{f['FunctionName']}", "storedBytes": 10**8}
                for f in self.functions[start : start + 50]
            ]
            for i, group in enumerate(groups):
                if (start + i) % 3:
                    group["retentionInDays"] = 30
            page: dict[str, Any] = {"logGroups": groups}
            if start + 50 < len(self.functions):
                page["nextToken"] = str(start + 50)
            self._send(json.dumps(page).encode(), "application/x-amz-json-1.1")
        elif target == "StartQuery":
            query_id = f"q{len(self.queries)}"
            self.queries[query_id] = {"groups": request["logGroupNames"], "polls": 0}
            self._send(json.dumps({"queryId": query_id}).encode(), "application/x-amz-json-1.1")
        elif target == "GetQueryResults":
            query = self.queries[request["queryId"]]
            query["polls"] += 1
            if query["polls"] == 1:
                answer: dict[str, Any] = {"status": "Running", "results": []}
            else:
                rows = [_row(g, int(g.rsplit("-", 1)[1])) for g in query["groups"]]
                answer = {
                    "status": "Complete",
                    "results": rows,
                    "statistics": {"bytesScanned": 1e9 * len(rows)},
                }
            self._send(json.dumps(answer).encode(), "application/x-amz-json-1.1")
        else:
            self.send_error(400)

    def _metrics(self, request: dict[str, Any]) -> None:
        now = datetime.now(timezone.utc).timestamp()
        results = []
        for query in request["MetricDataQueries"]:
            qid = query["Id"]
            index = int(qid[1:].split("_", 1)[0])
            value = float(random.Random(qid).randint(1, 10_000_000))
            if "concurrency" in qid:
                value = float(index % 50 + 1)
            elif "log_incoming" in qid:
                value *= 300.0
            results.append(
                {
                    "Id": qid,
                    "Label": qid,
                    "Timestamps": [now],
                    "Values": [value],
                    "StatusCode": "Complete",
                }
            )
        payload = json.dumps({"MetricDataResults": results}).encode()
        self._send(payload, "application/x-amz-json-1.0")


def serve(port_queue: Any, functions: int) -> None:
    FakeAws.functions = [_function(i) for i in range(functions)]
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAws)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--functions", type=int, default=1000)
    args.add_argument("--tags", action="store_true", help="also filter by tag (1 ListTags each)")
    opts = args.parse_args()

    ports: Any = multiprocessing.Queue()
    child = multiprocessing.Process(target=serve, args=(ports, opts.functions), daemon=True)
    child.start()
    endpoint = f"http://127.0.0.1:{ports.get(timeout=30)}"

    from powertune.analyze.account import AccountAnalyzer
    from powertune.analyze.report import to_html, to_json, validate
    from pricing.catalog import load_catalog

    session = boto3.session.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1"
    )
    catalog = load_catalog()
    wall, cpu = time.perf_counter(), time.process_time()
    analyzer = AccountAnalyzer(
        boto3_session=session,
        endpoint_url=endpoint,
        insights_options={"poll_initial_s": 0.0, "poll_max_s": 0.0},
    )
    analysis = analyzer.analyze(catalog, tags={"team": "api"} if opts.tags else None, days=14)
    gathered = time.perf_counter() - wall
    document = to_json(analysis)
    validate(document)
    to_html(analysis)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    child.terminate()
    print(
        f"analyze: {len(analysis.functions)} functions, {len(analysis.findings)} findings, "
        f"{analysis.insights and analysis.insights['queries']} Insights queries, "
        f"{len(io.StringIO(json.dumps(document)).getvalue()) // 1024} KiB of JSON"
    )
    print(f"client wall time: {wall:.2f} s (gather + find: {gathered:.2f} s), CPU {cpu:.2f} s")
    print(f"target: under {TARGET_SECONDS:.0f} s -> {'OK' if wall < TARGET_SECONDS else 'MISSED'}")
    return 0 if wall < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
