"""Fixtures for the attack-pass regression tests: the preclaim command as a user runs it, the REST service.

Every test already runs with its own temporary PRECLAIM_HOME (tests/home_guard.py); the command runs as a
real process in that environment, so an exit code, a traceback or a half-written file is what a user sees.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., subprocess.CompletedProcess[str]]
API_KEY = "security-test-key"


@pytest.fixture
def preclaim(tmp_path: Path) -> Run:
    """Run `preclaim ARGS...` (optionally after a line of Python, e.g. to hide a module); cwd is tmp_path."""

    def run(*args: str, before: str = "", stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
        code = f"import sys\n{before}\nfrom preclaim.cli import main\nsys.argv = ['preclaim', *sys.argv[1:]]\nmain()"
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=180,
            input=stdin.decode() if stdin is not None else None,
        )

    return run


@pytest.fixture
def rest(engine: Any, tmp_path: Path) -> Any:
    """The REST service (the real app and engine) behind a test client, with one API key."""
    from fastapi.testclient import TestClient

    from preclaim.api import ServiceSettings, create_app
    from preclaim.api.settings import ApiKey, hash_key

    settings = ServiceSettings(api_keys=(ApiKey(client="billing", sha256=hash_key(API_KEY)),), data_dir=str(tmp_path))
    return TestClient(create_app(settings, checker=engine), headers={"x-api-key": API_KEY})
