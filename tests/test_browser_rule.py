"""README's rule for the browser tests, checked without a browser: with no Chromium on PATH they
skip with the reason locally, and fail under CI=true."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import chromium


def test_without_chromium_browser_tests_skip_locally_and_fail_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no browser anywhere
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required under CI=true"):
        chromium()


def test_a_browser_on_path_is_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    assert chromium() == str(fake)
