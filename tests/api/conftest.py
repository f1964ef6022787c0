"""Fixtures for the service tests; the builders live in api_fixtures.py (a unique module name)."""

from __future__ import annotations

import pytest
from api_fixtures import fhir_server, keys

__all__ = ["fhir_server", "keys"]


@pytest.fixture(autouse=True)
def _hermetic_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own service config, keys or database must not leak into these tests."""
    for name in ("PRECLAIM_DB", "PRECLAIM_SERVICE_CONFIG", "PRECLAIM_API_KEYS", "PRECLAIM_SERVICE_SETTINGS_JSON"):
        monkeypatch.delenv(name, raising=False)
