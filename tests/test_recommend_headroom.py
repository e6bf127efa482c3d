"""Headroom: warn when the recommended size is under 1.2 × the peak Max Memory Used."""

from __future__ import annotations

import pytest

from powertune.errors import InputError
from powertune.recommend import headroom_warning, min_safe_memory_mb


def test_exactly_1_2_times_the_peak_is_enough() -> None:
    # 1.2 × 200 = 240 exactly; a float product would ask for 241.
    assert min_safe_memory_mb(200) == 240
    assert headroom_warning(240, 200) is None


def test_one_mb_under_warns_and_names_the_safe_size() -> None:
    warning = headroom_warning(239, 200)
    assert warning is not None
    assert "239 MB" in warning
    assert "200 MB" in warning
    assert "at least 240 MB" in warning
    assert "\n" not in warning


def test_fractional_peak_rounds_the_safe_size_up() -> None:
    assert min_safe_memory_mb(150.5) == 181  # 180.6 → 181
    assert headroom_warning(180, 150.5) is not None
    assert headroom_warning(181, 150.5) is None


def test_plenty_of_headroom_is_silent() -> None:
    assert headroom_warning(1024, 90) is None


def test_unknown_peak_is_silent() -> None:
    assert headroom_warning(128, None) is None


def test_safe_size_is_never_under_lambdas_minimum() -> None:
    assert min_safe_memory_mb(20) == 128


def test_a_peak_at_the_recommended_size_warns() -> None:
    # The function used all of its memory: the classic out-of-memory edge.
    assert headroom_warning(512, 512) is not None


@pytest.mark.parametrize(("recommended", "peak"), [(0, 10), (-128, 10), (128, -1)])
def test_nonsense_sizes_are_input_errors(recommended: int, peak: float) -> None:
    with pytest.raises(InputError):
        headroom_warning(recommended, peak)
