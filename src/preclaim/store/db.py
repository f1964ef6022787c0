"""Open the store: find its URL, connect, bring the schema up to date with Alembic, hand out transactions.

Default: one SQLite file `preclaim.db` in the data folder (`$PRECLAIM_HOME`, see preclaim.paths);
`$PRECLAIM_DB` overrides the whole URL (e.g. `postgresql+psycopg://user@host/db`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from preclaim.errors import StoreError
from preclaim.paths import Settings

SCHEMA_HEAD = "0006"  # newest migration in migrations/versions (a test keeps the two equal)
_PG_LOCK = 7_304_121_2  # advisory lock id: one migrator at a time on PostgreSQL


def default_url(settings: Settings | None = None) -> str:
    """$PRECLAIM_DB, else a SQLite file in the data folder (`settings`, else read from the environment now)."""
    return (settings or Settings.from_env()).store_url


def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and route them to psycopg 3 (the driver preclaim ships with)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _sqlite_setup(engine: Engine) -> None:
    """WAL + explicit BEGIN: readers never block the importer, and DDL runs inside transactions."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN itself (see _begin)
        cur = dbapi_conn.cursor()
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def _make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r} (expected e.g. sqlite:///path.db)") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the store folder {folder}: {exc.strerror}") from None
        engine = create_engine(url)
        _sqlite_setup(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise StoreError(f"unsupported database {parsed.get_backend_name()!r} (use sqlite or postgresql)")
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ImportError, SQLAlchemyError) as exc:
        raise StoreError(f"cannot use {safe_url(url)}: {exc}") from exc


def alembic_config() -> Any:
    from alembic.config import Config  # imported only when a schema change is due: it costs ~0.5 s

    cfg = Config()
    cfg.set_main_option("script_location", "preclaim.store:migrations")
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration, holding a lock so concurrent openers take turns."""
    if current_revision(engine) == SCHEMA_HEAD:
        return
    from alembic import command

    cfg = alembic_config()
    locked = engine.execution_options(sqlite_begin="IMMEDIATE")
    with locked.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Store:
    """A connection to the history store. Use `transaction()` for units of work; close when done."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._writer = engine.execution_options(sqlite_begin="IMMEDIATE")

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        url = normalize_url(url or default_url())
        engine = _make_engine(url)
        try:
            migrate(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            orig = getattr(exc, "orig", None)
            detail = (str(orig or exc).strip().splitlines() or ["unknown error"])[0]
            raise StoreError(f"cannot open store {safe_url(url)}: {detail}") from exc
        return cls(engine, url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        bind = self._writer if write else self.engine
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
