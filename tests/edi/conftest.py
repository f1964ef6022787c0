"""Shared paths and builders for the X12 tests (the public samples vendored under tests/samples)."""

from __future__ import annotations

from pathlib import Path

import pytest

X12_SAMPLES = (Path(__file__).resolve().parents[1] / "samples" / "x12").resolve()


@pytest.fixture
def x12_samples() -> Path:
    if not X12_SAMPLES.is_dir():
        pytest.fail(f"sample folder missing: {X12_SAMPLES}")
    return X12_SAMPLES
