"""Open the HTML report in a real headless Chromium: the charts must draw, offline, and hovering
must show a value.

Without Chromium these tests skip with the reason, and under CI=true they fail (tests/browser.py).
Set POWERTUNE_ARTIFACTS=DIR to keep the screenshot (report-screenshot.png) for a look.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from browser import run
from PIL import Image

from powertune.outputs.html import render_html
from powertune.results import load_result

EXAMPLE = Path(__file__).parent / "golden" / "result-example.json"

pytestmark = pytest.mark.slow

# Moves the pointer onto the recommended size's measured mean of the first chart (found from the
# drawn SVG, as a person would aim at it), then writes what the tooltip says into the DOM.
HOVER = """
<script>
window.addEventListener('load', function () {
  var box = document.getElementById('chart-0'), svg = box.querySelector('svg');
  var pts = JSON.parse(box.querySelector('.pt-data').textContent);
  var target = pts.filter(function (p) { return /^256 MB measured mean/.test(p[2]); })[0];
  var at = new DOMPoint(target[0], target[1]).matrixTransform(svg.getScreenCTM());
  svg.dispatchEvent(new MouseEvent('mousemove', {clientX: at.x, clientY: at.y, bubbles: true}));
  var tip = box.querySelector('.pt-tip');
  document.body.dataset.hover = tip.hidden ? 'hidden' : tip.textContent;
  // and a lone dot: the slowest invocation, far above the others
  var xy = box.querySelector('.pt-dots').getAttribute('d').match(/[0-9.]+/g), top = 1;
  for (var k = 4; k < xy.length; k += 3) { if (+xy[k] < +xy[top]) top = k; }
  at = new DOMPoint(+xy[top - 1], +xy[top]).matrixTransform(svg.getScreenCTM());
  svg.dispatchEvent(new MouseEvent('mousemove', {clientX: at.x, clientY: at.y, bubbles: true}));
  document.body.dataset.dot = tip.hidden ? 'hidden' : tip.textContent;
});
</script>
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(load_result(EXAMPLE)), encoding="utf-8")
    return path


def test_charts_draw_and_hover_in_chromium(page: Path, tmp_path: Path) -> None:
    hovered = tmp_path / "hover.html"
    hovered.write_text(page.read_text().replace("</body>", HOVER + "</body>"), encoding="utf-8")
    done = run(tmp_path / "profile", "--dump-dom", hovered.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    # the page's script ran on both charts
    charts = re.findall(r'<div class="pt-chart" id="chart-\d+"[^>]*>', dom)
    assert len(charts) == 2 and all('data-rendered="yes"' in c for c in charts), charts
    assert dom.count('<svg class="pt-svg"') == 2
    assert dom.count('class="pt-band"') >= 2  # the model band, both panels of the fitted one
    assert dom.count('class="pt-dots"') == 2 and dom.count('class="pt-marker"') >= 6
    assert "Duration (ms) against memory" in dom and "Cost per 1M invocations" in dom
    assert "recommended: 256 MB" in dom and "now: 1024 MB" in dom
    assert 'class="pt-failed"' in dom and ">OOM</text>" in dom
    # hovering the recommended size's mean shows its measured figures
    hover = re.search(r'<body[^>]*data-hover="([^"]*)"', dom)
    assert hover is not None, "the hover script did not run"
    assert hover.group(1).startswith("256 MB measured mean: 7,673 ms (95% 7,548 ms to 7,799 ms)")
    slowest = max(s.duration_ms for m in load_result(EXAMPLE).functions[0].measurements
                  for s in m.samples)  # fmt: skip
    dot = re.search(r'<body[^>]*data-dot="([^"]*)"', dom)
    assert dot is not None and dot.group(1) == f"{slowest:,.0f} ms", dot


def test_screenshot_of_the_report(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report-screenshot.png"
    done = run(
        tmp_path / "profile", "--window-size=1200,1900", f"--screenshot={shot}", page.as_uri()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 1900)
    pixels = np.asarray(image, dtype=int)
    # colours only the drawn charts use: the p95 markers (orange) and the model band (blue)
    assert _count_near(pixels, (0xD9, 0x82, 0x2B)) > 100
    assert _count_near(pixels, (0xDD, 0xE7, 0xF1), tol=10) > 3000
    keep = os.environ.get("POWERTUNE_ARTIFACTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


def _count_near(pixels: np.ndarray, rgb: tuple[int, int, int], tol: int = 24) -> int:
    return int((np.abs(pixels - np.array(rgb)).max(axis=2) <= tol).sum())
