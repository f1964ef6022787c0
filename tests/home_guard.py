"""Keep the test suite out of the user's real data folder (a pytest plugin, loaded by tests/conftest.py).

At start-up HOME and XDG_DATA_HOME point at an empty sentinel folder and the user's PRECLAIM_* settings
(PRECLAIM_DB, PRECLAIM_POLICIES, a service config ...) are dropped; every test then runs with its own
temporary PRECLAIM_HOME. A test that still reaches the default data folder (it removed PRECLAIM_HOME, or
computed the path itself) creates `preclaim` under the sentinel: that test errors, naming the folder.
Caches (the ICD-10-CM table) stay where they were: they are not the user's data.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Settings a test may keep: where the test inputs and the test database are.
_KEPT = ("PRECLAIM_TEST_", "PRECLAIM_SAMPLES")
_SANDBOX: list[Path] = []


def sentinel_folders() -> tuple[Path, ...]:
    """The places the default data folder would be created in under the sentinel HOME/XDG_DATA_HOME."""
    root = _SANDBOX[0]
    return (root / "xdg-data" / "preclaim", root / "home" / ".local" / "share" / "preclaim")


def pytest_configure(config: pytest.Config) -> None:
    root = Path(tempfile.mkdtemp(prefix="preclaim-test-sentinel-"))
    _SANDBOX.append(root)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    for name in [n for n in os.environ if n.startswith("PRECLAIM_") and not n.startswith(_KEPT)]:
        del os.environ[name]
    (root / "home").mkdir()
    (root / "xdg-data").mkdir()
    os.environ["HOME"] = str(root / "home")
    os.environ["XDG_DATA_HOME"] = str(root / "xdg-data")
    os.environ["XDG_CACHE_HOME"] = cache
    os.environ["PRECLAIM_HOME"] = str(root / "session-home")  # session fixtures (the shared engine)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SANDBOX:
        shutil.rmtree(_SANDBOX.pop(), ignore_errors=True)


@pytest.fixture(autouse=True)
def _temporary_preclaim_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("PRECLAIM_HOME", str(tmp_path_factory.mktemp("preclaim-home")))
    monkeypatch.delenv("PRECLAIM_DB", raising=False)
    yield
    touched = [folder for folder in sentinel_folders() if folder.exists()]
    for folder in touched:
        shutil.rmtree(folder, ignore_errors=True)  # so the next test is judged on its own
    if touched:
        pytest.fail(
            f"this test wrote to the user's default data folder ({touched[0]} stands in for it); "
            "use a temporary PRECLAIM_HOME or --db",
            pytrace=False,
        )
