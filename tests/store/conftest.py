"""Store fixtures (store_fixtures.py): a `store` on SQLite and, when PRECLAIM_TEST_PG_URL is set, PostgreSQL."""

from store_fixtures import pg_url, sqlite_url, store, store_url

__all__ = ["pg_url", "sqlite_url", "store", "store_url"]
