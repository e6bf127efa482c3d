"""Start-up: a light command loads only what it uses (no scipy, plotly, boto3 or local runtime),
the lazily built commands keep their summaries and grouped help, and a stop signal while the
command loads or unwinds ends in one `powertune:` line, never a traceback. The figures (ms
against the typer floor) are benchmarks/cli_startup.py's; these tests check the import graph."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer

import cli
from powertune import awsenv
from powertune.errors import InputError
from powertune.files import WriteFailed, make_dir
from powertune.tune.targets import journal

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "tests" / "golden" / "result-example.json"
TEMPLATE = ROOT / "examples" / "apply" / "sam" / "template.yaml"
TERRAFORM = ROOT / "examples" / "apply" / "terraform"
CDK = ROOT / "examples" / "apply" / "cdk" / "stack.ts"
LOG = ROOT / "examples" / "logs" / "sample.log"

# Runs the console script's entry point; at exit, writes the modules it loaded to $LOADED.
PROBE = """
import atexit, json, os, sys
def dump():
    with open(os.environ["LOADED"], "w") as out:
        json.dump(sorted(sys.modules), out)
atexit.register(dump)
sys.argv = ["powertune", *sys.argv[1:]]
from cli import main
main()
"""

# pydantic: typer's value adapters, built only for what powertune_cli.coerce leaves to them
NEVER = (
    "scipy",
    "plotly",
    "boto3",
    "botocore",
    "powertune.local",
    "powertune.tune.run",
    "pydantic",
)
# reading a valid result or the catalog never imports jsonschema (only wording a refusal does)
VALID = ("jsonschema",)
# gate and apply bootstrap the evidence (numpy); Student's t is powertune.gate.student_t
NUMERIC = ("scipy", "plotly", "boto3", "botocore", "powertune.local", "pydantic", *VALID)

LIGHT: list[tuple[str, list[str], dict[str, str], tuple[str, ...]]] = [
    ("version", ["--version"], {}, (*NEVER, "numpy")),
    ("help", ["--help"], {}, (*NEVER, "numpy", "jsonschema", "powertune_cli.tune")),
    ("tune help", ["tune", "--help"], {}, (*NEVER, *VALID, "numpy")),
    # analyze's help reads its limits from the collectors (botocore) and the log reader (numpy)
    ("analyze help", ["analyze", "--help"], {}, ("scipy", "plotly", "boto3", "powertune.local")),
    # the local runtime is what `local serve` is: its help may load it, nothing numeric
    ("local help", ["local", "serve", "--help"], {}, ("scipy", "plotly", "boto3", "numpy")),
    (
        "completion",
        [],
        {"_POWERTUNE_COMPLETE": "complete_bash", "COMP_WORDS": "powertune re", "COMP_CWORD": "1"},
        (*NEVER, "numpy", "powertune_cli.report", "powertune_cli.tune"),
    ),
    ("report", ["report", str(RESULT)], {}, (*NEVER, *VALID, "numpy")),
    ("report markdown", ["report", str(RESULT), "-f", "markdown"], {}, (*NEVER, *VALID, "numpy")),
    ("report json", ["report", str(RESULT), "-f", "json"], {}, (*NEVER, *VALID, "numpy")),
    ("gate", ["gate", "--baseline", str(RESULT), "--current", str(RESULT)], {}, NUMERIC),
    ("pricing show", ["pricing", "show"], {}, (*NEVER, *VALID, "numpy")),
    (
        "pricing estimate",
        ["pricing", "estimate", "--memory", "512", "--duration-ms", "80", "--invocations", "1e6"],
        {},
        (*NEVER, *VALID, "numpy"),
    ),
    # apply's engine loads the parser of the kind of file it meets: no hcl2 for SAM ...
    ("apply", ["apply", str(RESULT), "--template", str(TEMPLATE)], {}, (*NUMERIC, "hcl2", "lark")),
    # ... no ruamel.yaml for Terraform, neither for code
    (
        "apply terraform",
        ["apply", str(RESULT), "--template", str(TERRAFORM)],
        {},
        (*NUMERIC, "ruamel"),
    ),
    (
        "apply code",
        ["apply", str(RESULT), "--template", str(CDK)],
        {},
        (*NUMERIC, "ruamel", "hcl2", "lark"),
    ),
    ("merge", ["merge", str(RESULT)], {}, (*NEVER, *VALID, "numpy")),
    ("logs parse", ["logs", "parse", str(LOG)], {}, NEVER),
]


def _loaded(tmp_path: Path, argv: list[str], env: dict[str, str]) -> tuple[int, set[str]]:
    record = tmp_path / "loaded.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=ROOT,
        env={**os.environ, **env, "LOADED": str(record), "COLUMNS": "100"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, set(json.loads(record.read_text()))


@pytest.mark.parametrize(("label", "argv", "env", "forbidden"), LIGHT, ids=[x[0] for x in LIGHT])
def test_a_light_command_loads_no_heavy_module(
    tmp_path: Path, label: str, argv: list[str], env: dict[str, str], forbidden: tuple[str, ...]
) -> None:
    code, modules = _loaded(tmp_path, argv, env)
    # it ran what was asked (gate: 1 would be a regression; apply: 4, a change not applied)
    assert code in (0, 1, 4), label
    pulled = sorted(
        m for m in modules for heavy in forbidden if m == heavy or m.startswith(heavy + ".")
    )
    assert pulled == [], f"{label} loaded {pulled[:8]}"


def test_the_probe_sees_a_heavy_command_load_the_numeric_stack(tmp_path: Path) -> None:
    """The check above can fail: `gate` computes its evidence with numpy."""
    code, modules = _loaded(
        tmp_path, ["gate", "--baseline", str(RESULT), "--current", str(RESULT)], {}
    )
    assert code == 0 and "numpy" in modules


def test_each_summary_in_the_root_help_is_the_commands_own() -> None:
    for name, part in cli.COMMANDS.items():
        command = cli.load_command(name)
        assert command is not None, name
        assert command.get_short_help_str(1000) == part.summary, name
    assert cli.load_command("no-such-command") is None


def test_the_root_help_lists_every_command_without_loading_one() -> None:
    code = (
        "import sys; sys.argv = ['powertune', '--help']\n"
        "import cli\n"
        "try:\n    cli.app()\nexcept SystemExit:\n    pass\n"
        "print([m for m in sys.modules if m.startswith('powertune_cli.') and "
        "m not in ('powertune_cli.usage', 'powertune_cli.coerce')])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    *lines, loaded = done.stdout.strip().splitlines()
    assert loaded == "[]"
    listed = {line.split()[0] for line in lines if line.startswith("  ") and line.split()}
    assert set(cli.COMMANDS) <= listed


def test_a_mistyped_command_is_suggested_from_every_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cli", "pricng"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2 and "Did you mean 'pricing'?" in done.stderr
    assert done.stderr.count("\n") == 1


def _help(*path: str) -> str:
    command = typer.main.get_command(cli.app)
    ctx = command.make_context("powertune", list(path), resilient_parsing=True)
    for name in path:
        command = command.get_command(ctx, name)  # type: ignore[attr-defined]
        ctx = command.make_context(name, [], parent=ctx, resilient_parsing=True)
    return command.get_help(ctx)


def test_tune_help_is_in_sections_by_purpose_with_an_example() -> None:
    text = _help("tune")
    sections = [line.rstrip(":") for line in text.splitlines() if line and line[0] != " "]
    for title in ("Search", "Strategy", "Payloads", "AWS", "Output", "Local runtime", "Fleet"):
        assert title in sections, sections
    # the common ones first: search and strategy before the fleet and the local runtime
    assert sections.index("Search") < sections.index("Fleet")
    assert sections.index("Strategy") < sections.index("Local runtime")
    assert "--memory" in text.split("\nSearch:")[1].split("\n\n")[0]
    assert "--prefix" in text.split("\nFleet:")[1].split("\n\n")[0]
    assert "Example:" in text and "powertune tune " in text


@pytest.mark.parametrize("name", [n for n in cli.COMMANDS if n not in ("logs", "pricing", "local")])
def test_every_command_shows_an_example(name: str) -> None:
    text = _help(name)
    assert "Example:" in text and f"powertune {name}" in text.split("Example:")[1]


@pytest.mark.parametrize(
    "path",
    [
        ("logs", "parse"),
        ("pricing", "show"),
        ("pricing", "estimate"),
        ("pricing", "fargate"),
        ("pricing", "managed-instances"),
        ("pricing", "refresh"),
        ("local", "serve"),
    ],
)
def test_every_sub_command_shows_an_example(path: tuple[str, ...]) -> None:
    text = _help(*path)
    assert "Example:" in text and f"powertune {' '.join(path)}" in text.split("Example:")[1]


# --- stop signals --------------------------------------------------------------------------


# Says "ready" once the interpreter is up, then runs the console script's entry point.
READY_THEN_MAIN = (
    "import sys; print('ready', flush=True); sys.argv = ['powertune', *sys.argv[1:]]\n"
    "from cli import main; main()\n"
)


def _interrupted(
    argv: list[str], delay: float, *, twice: bool = False, stdin: int | None = None
) -> tuple[int, str]:
    with subprocess.Popen(
        [sys.executable, "-c", READY_THEN_MAIN, *argv],
        cwd=ROOT,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        if twice:
            time.sleep(0.005)
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    return proc.returncode, err


# Runs the entry point and raises SIGINT on itself as the import of $AT begins (an audit hook:
# the signal lands inside that import, as a Ctrl-C at that moment would).
SIGNAL_AT_IMPORT = """
import os, signal, sys
def hook(event, args):
    if event == "import" and args[0] == os.environ["AT"] and not hook.__dict__.get("done"):
        hook.done = True
        os.kill(os.getpid(), signal.SIGINT)
sys.addaudithook(hook)
sys.argv = ["powertune", *sys.argv[1:]]
from cli import main
main()
"""


@pytest.mark.parametrize(
    "at",
    [
        "typer",  # cli.py's own imports, before main() runs
        "powertune_cli.usage",  # the last of them
        "powertune_cli.table",  # main() builds the command (report.py imports it)
        "powertune.outputs.html",  # the command's body loads the renderer
        "powertune.outputs.svgchart",  # ... and the renderer its chart drawing
    ],
)
def test_ctrl_c_while_the_command_loads_is_one_line_never_a_traceback(
    tmp_path: Path, at: str
) -> None:
    page = tmp_path / "page.html"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SIGNAL_AT_IMPORT,
            "report",
            str(RESULT),
            "-f",
            "html",
            "-o",
            str(page),
        ],
        cwd=ROOT,
        env={**os.environ, "AT": at},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stderr == "powertune: interrupted (Ctrl-C)\n" and done.returncode == 130, (
        done.returncode,
        done.stderr[-2000:],
    )
    assert not page.exists()


def test_a_double_ctrl_c_is_one_line_never_a_traceback() -> None:
    """`logs parse -` waits on its input: the first Ctrl-C unwinds, the second lands on it."""
    for _ in range(3):
        code, err = _interrupted(["logs", "parse", "-"], 2.0, twice=True, stdin=subprocess.PIPE)
        assert "Traceback" not in err and "Stopped" not in err, err
        assert code == 130 and err.count("powertune:") == 1, (code, err)


def test_after_leave_a_stop_signal_exits_at_once_with_one_line() -> None:
    code = (
        "import os, signal, time\n"
        "from powertune import stopping\n"
        "stopping.install(); stopping.leave()\n"
        "os.kill(os.getpid(), signal.SIGTERM); time.sleep(30)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 128 + signal.SIGTERM
    assert done.stderr == "powertune: interrupted (SIGTERM)\n"


# --- configuration ---------------------------------------------------------------------------


def test_an_unknown_profile_is_named_from_the_environment_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "config").write_text("[default]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.delenv("AWS_DEFAULT_PROFILE", raising=False)
    monkeypatch.setenv("AWS_PROFILE", "nope-from-env")
    with pytest.raises(InputError, match="unknown AWS profile 'nope-from-env'"):
        awsenv.session()
    with pytest.raises(InputError, match="unknown AWS profile 'flagged'"):
        awsenv.session("flagged")
    monkeypatch.setenv("AWS_PROFILE", "default")
    assert awsenv.session().region_name == "us-east-1"


@pytest.mark.parametrize("broken", ["config", "credentials"])
def test_a_malformed_aws_file_is_exit_2_with_one_line(tmp_path: Path, broken: str) -> None:
    files = {"config": "[default]\nregion = us-east-1\n", "credentials": ""}
    files[broken] = "[default\nregion = us-east-1\n"  # a section header never closed
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    env = {
        **os.environ,
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    env.pop("AWS_PROFILE", None)
    done = subprocess.run(
        [sys.executable, "-m", "cli", "analyze", "--region", "us-east-1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "does not parse" in done.stderr
    assert str(tmp_path / broken) in done.stderr


def test_a_state_directory_under_a_regular_file_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    monkeypatch.setenv("POWERTUNE_STATE_DIR", str(blocker / "state"))
    with pytest.raises(WriteFailed, match=r"cannot use the state directory .*POWERTUNE_STATE_DIR"):
        journal.state_subdir("journal")
    with pytest.raises(WriteFailed, match="Not a directory"):
        make_dir(blocker / "x", what="the place")
    monkeypatch.setenv("POWERTUNE_STATE_DIR", str(blocker))  # the state directory IS a file
    with pytest.raises(WriteFailed, match="cannot use the state directory"):
        journal.state_subdir("fleet")
    monkeypatch.setenv("POWERTUNE_STATE_DIR", str(tmp_path / "fine"))
    assert journal.state_subdir("fleet").is_dir()


def test_a_fleet_run_with_an_unusable_state_directory_stops_before_any_function(
    tmp_path: Path,
) -> None:
    from powertune.tune.fleet import FleetOptions, tune_fleet
    from powertune.tune.plan import TuneFlags, resolve_plan

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    planned: list[str] = []

    def plan_for(name: str) -> object:
        planned.append(name)
        flags = TuneFlags(
            function=name, endpoint_url="http://127.0.0.1:9", search_kind="grid", memory="256"
        )
        return resolve_plan(flags)

    options = FleetOptions(concurrency=1, journal=blocker / "fleet" / "run.jsonl")
    with pytest.raises(WriteFailed, match=r"cannot use the state directory .*a-file/fleet"):
        tune_fleet(["fn-a", "fn-b"], plan_for, options)  # type: ignore[arg-type]
    assert planned == ["fn-a", "fn-b"]  # planned (checked), never run: nothing to restore
