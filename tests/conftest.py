"""Shared test fixtures: the public samples folder, the repository root, one engine per session.

The `home_guard` plugin gives every test a temporary PRECLAIM_HOME and fails a test that writes to the
user's real data folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ("home_guard",)

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = (ROOT / "tests" / "samples").resolve()
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.fail(f"public samples not found at {SAMPLES} (vendored under tests/samples)")
    return SAMPLES


@pytest.fixture(scope="session")
def engine():  # type: ignore[no-untyped-def]
    from preclaim.engine import Engine

    return Engine.default()  # reads code sets and policies from the session's temporary PRECLAIM_HOME
