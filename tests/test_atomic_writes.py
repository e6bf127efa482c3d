"""Every file powertune writes is written atomically: when the write fails (here: the disk is
"full", RLIMIT_FSIZE), the command says so in one line, exits 3, and the previous file is intact."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from powertune.files import WriteFailed, write_atomic

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "result-example.json"


def _small_disk() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


@pytest.mark.parametrize("form", ["html", "markdown", "json"])
def test_a_failed_report_write_keeps_the_previous_file(tmp_path: Path, form: str) -> None:
    out = tmp_path / f"report.{form}"
    out.write_text("previous good report\n")
    done = subprocess.run(
        [sys.executable, "-m", "cli", "report", str(GOLDEN), "--format", form, "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_small_disk,
    )
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"powertune: error: cannot write {out}")
    assert out.read_text() == "previous good report\n"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_write_atomic_replaces_whole_files_and_keeps_modes(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    target.chmod(0o640)
    write_atomic(target, "new contents")
    assert target.read_text() == "new contents"
    assert target.stat().st_mode & 0o777 == 0o640
    with pytest.raises(WriteFailed, match="is a directory"):
        write_atomic(tmp_path, "x")
    with pytest.raises(WriteFailed, match="cannot write"):
        write_atomic(tmp_path / "missing" / "out.json", "x")
