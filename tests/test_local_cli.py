"""`powertune local serve` as a real process, driven by another real client: the AWS CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "functions"
PROBE = """
import os

def handler(event, context):
    return {"pid": os.getpid(), "got": event}
"""


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-south-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    }


def _aws(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "aws"), "--endpoint-url", endpoint, *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_answers_the_aws_cli_and_stops_cleanly(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    server = subprocess.Popen(
        [
            str(BIN / "powertune"),
            "local",
            "serve",
            "--port",
            "0",
            "--cpu",
            "model",
            "--function",
            f"probe={tmp_path / 'probe.py'}:probe.handler",
            "--function",
            f"noop={EXAMPLES / 'noop'}",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=_env(),
    )
    try:
        assert server.stderr is not None
        lines = []
        endpoint = ""
        while not endpoint:
            line = server.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
            if "listening on " in line:
                endpoint = line.rsplit(" ", 1)[1].strip()
        out = tmp_path / "out.json"
        invoked = _aws(
            endpoint,
            "lambda",
            "invoke",
            "--function-name",
            "probe",
            "--payload",
            '{"hello": "cli"}',
            "--log-type",
            "Tail",
            str(out),
        )
        assert invoked.returncode == 0, invoked.stderr
        meta = json.loads(invoked.stdout)
        assert meta["StatusCode"] == 200 and meta["ExecutedVersion"] == "$LATEST"
        body = json.loads(out.read_text())
        assert body["got"] == {"hello": "cli"}
        config = _aws(endpoint, "lambda", "get-function-configuration", "--function-name", "noop")
        assert config.returncode == 0, config.stderr
        arn = json.loads(config.stdout)["FunctionArn"]
        assert arn == "arn:aws:lambda:ap-south-1:123456789012:function:noop"
        missing = _aws(endpoint, "lambda", "get-function", "--function-name", "ghost")
        assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0
        stderr_rest = server.stderr.read()
        assert "Traceback" not in stderr_rest
    finally:
        if server.poll() is None:  # a failed assertion: stop it cleanly, then for sure
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if server.stderr is not None:
            server.stderr.close()
    # The worker process that answered is gone with the server.
    try:
        os.kill(body["pid"], 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError("worker process survived the server")


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "powertune"), "local", "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=_env(),
    )


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = _serve("--function", "no-equals-sign")  # one real process; the rest in-process
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "powertune: error: bad --function 'no-equals-sign': expected NAME=PATH[:module.handler]"
    )
    from typer.testing import CliRunner

    from cli import app

    for args in (
        ["--function", f"bad name={tmp_path}"],
        ["--function", f"x={tmp_path / 'missing.py'}"],
        ["--function", f"x={tmp_path}:nodot"],
        ["--cpu", "turbo"],
        ["--port", "70000"],
    ):
        outcome = CliRunner().invoke(app, ["local", "serve", *args])
        assert outcome.exit_code == 2, (args, outcome.stderr)
        assert len(outcome.stderr.strip().splitlines()) == 1, outcome.stderr
        assert outcome.stderr.startswith("powertune: error: ")


def test_port_in_use_is_a_tool_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve("--port", str(port), "--cpu", "model")
    assert result.returncode == 3
    assert result.stderr.strip().startswith("powertune: error: cannot listen on 127.0.0.1")


def test_non_loopback_bind_is_refused_unless_allowed() -> None:
    from powertune.errors import InputError
    from powertune.local import LocalLambda

    with pytest.raises(InputError, match="--allow-remote"):
        LocalLambda(host="0.0.0.0", cpu="model")
    server = LocalLambda(host="0.0.0.0", cpu="model", allow_remote=True)
    try:
        assert any("no authentication" in w for w in server.warnings)
    finally:
        server.stop()
    quiet = LocalLambda(cpu="model")
    try:
        assert quiet.warnings == []
    finally:
        quiet.stop()
    refused = _serve("--host", "0.0.0.0", "--port", "0", "--cpu", "model")
    assert refused.returncode == 2
    assert refused.stderr.strip().startswith("powertune: error: refusing to listen on 0.0.0.0")
