"""The store fixtures of tests/store (SQLite, and PostgreSQL when PRECLAIM_TEST_PG_URL is set)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))

from store_fixtures import pg_url, sqlite_url, store, store_url

__all__ = ["pg_url", "sqlite_url", "store", "store_url"]
