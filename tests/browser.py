"""Headless Chromium for the tests that open the HTML report (Debian's package: `apt-get install
chromium`, done by `.ci/run`).

README's rule: without Chromium the browser tests skip with the reason, except under `CI=true`,
where a missing browser fails them (CI must not go green without having looked).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--hide-scrollbars",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",
]
MISSING = "Chromium is not installed (apt-get install chromium)"


def chromium() -> str:
    """The browser's path; skips the test without one, or fails it under CI=true."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{MISSING}; required under CI=true")
    pytest.skip(f"{MISSING}; browser tests are required only under CI=true")


def run(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Chromium with a fresh profile, nothing fetched from the network."""
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
