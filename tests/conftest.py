"""Shared test set-up: runs journal into a per-test state directory, never the user's own."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "powertune-state"
    monkeypatch.setenv("POWERTUNE_STATE_DIR", str(state))
    return state
