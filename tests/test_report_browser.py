"""Open the HTML report in a real headless Chromium: the charts must render, offline.

Chromium comes from Debian's packages (`apt-get install chromium`, done by `.ci/run`). Under
CI=true a missing browser fails the test; elsewhere it is skipped with the reason.
Set POWERTUNE_ARTIFACTS=DIR to keep the screenshot (report-screenshot.png) for a look.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from powertune.outputs.html import render_html
from powertune.results import load_result

EXAMPLE = Path(__file__).parent / "golden" / "result-example.json"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",
]

pytestmark = pytest.mark.slow


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium is not installed (apt-get install chromium); required under CI")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def _count_near(pixels: np.ndarray, rgb: tuple[int, int, int], tol: int = 24) -> int:
    return int((np.abs(pixels - np.array(rgb)).max(axis=2) <= tol).sum())


def _run(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [browser, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(load_result(EXAMPLE)), encoding="utf-8")
    return path


def test_charts_render_in_chromium(page: Path, tmp_path: Path) -> None:
    browser = _chromium()
    done = _run(browser, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    # plotly.js ran: each chart div is marked rendered and holds plotly's SVG layers
    charts = re.findall(r'<div id="chart-\d+"[^>]*>', dom)
    assert len(charts) == 2
    assert all('data-rendered="yes"' in c for c in charts), charts
    assert dom.count('class="main-svg"') >= 4  # plot + hover layers, for each chart
    assert dom.count('class="trace scatter') >= 20  # bands, curve, dots, means, size lines
    assert "Duration (ms) against memory" in dom and "Cost per 1M invocations" in dom
    # the legend text made it into the SVG
    assert "recommended: 256 MB" in dom and "now: 1024 MB" in dom


def test_screenshot_of_the_report(page: Path, tmp_path: Path) -> None:
    browser = _chromium()
    shot = tmp_path / "report-screenshot.png"
    done = _run(
        browser,
        tmp_path / "profile",
        "--window-size=1200,1900",
        f"--screenshot={shot}",
        page.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 1900)
    pixels = np.asarray(image, dtype=int)
    # colours only the rendered charts use: the p95 markers (orange) and the model band (blue)
    assert _count_near(pixels, (0xD9, 0x82, 0x2B)) > 100
    assert _count_near(pixels, (0xDD, 0xE7, 0xF1), tol=10) > 3000
    keep = os.environ.get("POWERTUNE_ARTIFACTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
