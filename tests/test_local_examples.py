"""Every example handler runs on the local runtime with its own sample event."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import boto3
from botocore.config import Config

from powertune.local import LocalLambda
from powertune.logs import parse_record

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "functions"
EXPECTED_KEYS = {
    "cpu_bound": {"limit", "primes"},
    "io_wait": {"waited_ms", "calls"},
    "memory_hungry": {"held_mb", "digest"},
    "multi_thread": {"threads", "rounds", "digest"},
    "image_resize": {"width", "height", "png_bytes", "sha256"},
    "noop": {"ok"},
}


def test_examples_run_with_their_sample_events() -> None:
    assert {p.name for p in EXAMPLES.iterdir() if p.is_dir()} == set(EXPECTED_KEYS)
    functions = {name: str(EXAMPLES / name) for name in EXPECTED_KEYS}
    with LocalLambda(cpu="model", functions=functions, update_seconds=0.01) as server:
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        client = session.client(
            "lambda", endpoint_url=server.endpoint_url, config=Config(read_timeout=60)
        )
        for name, keys in EXPECTED_KEYS.items():
            client.update_function_configuration(FunctionName=name, MemorySize=1769, Timeout=60)
            client.get_waiter("function_updated_v2").wait(
                FunctionName=name, WaiterConfig={"Delay": 0.02, "MaxAttempts": 100}
            )
            event = (EXAMPLES / name / "event.json").read_bytes()
            response = client.invoke(FunctionName=name, Payload=event, LogType="Tail")
            body = json.loads(response["Payload"].read())
            assert "FunctionError" not in response, (name, body)
            assert set(body) == keys, name
            report = parse_record(base64.b64decode(response["LogResult"]).decode().splitlines()[-1])
            assert report is not None and report.memory_mb == 1769
        client.close()
    assert body == {"ok": True}
