"""When every size fails, `tune` exits 3 with each size's reason, and the function is restored."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from cli import app
from powertune.local import LocalLambda

HANDLER = Path(__file__).parent / "functions" / "touch_then_wait"


def test_every_size_failing_is_exit_3_with_reasons_and_the_function_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    out = tmp_path / "result.json"
    with LocalLambda(cpu="model") as server:
        server.add_function("fn", str(HANDLER), MemorySize=1024, Timeout=30)
        args = ["tune", "fn", "--endpoint-url", server.endpoint_url, "--search", "grid"]
        args += ["--memory", "128,256", "--invocations", "2", "--payload", '{"fail": true}']
        args += ["--json", str(out), "--quiet", "--monthly-invocations", "1000"]
        args += ["--region", "us-east-1", "--warmup", "0"]
        outcome = CliRunner().invoke(app, args, catch_exceptions=False)
        lam = boto3.client(
            "lambda",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="l",
            aws_secret_access_key="l",
        )
        assert lam.get_function_configuration(FunctionName="fn")["MemorySize"] == 1024
        assert lam.list_aliases(FunctionName="fn")["Aliases"] == []
    assert outcome.exit_code == 3, outcome.output
    last = outcome.output.strip().splitlines()[-1]
    assert last.startswith("powertune: error: no memory size could be measured")
    assert "128 MB: errors" in last and "256 MB: errors" in last and "ValueError" in last
    assert not out.exists()
