"""Opening the store: where it lives, schema migrations, and errors a user can cause."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from preclaim.errors import StoreError
from preclaim.store import Store, default_url
from preclaim.store.models import Base

TABLES = {
    "patients", "claims", "claim_lines", "administrations", "checks", "remittances",
    "remittance_lines", "adjustments", "authorizations", "imports", "alembic_version",
    "users", "web_sessions", "audit_log", "batches", "worklist", "worklist_codes", "worklist_sync", "practice",
    "payer_addresses",
}  # fmt: skip


def test_default_store_is_sqlite_file_in_preclaim_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRECLAIM_DB", raising=False)
    monkeypatch.setenv("PRECLAIM_HOME", str(tmp_path / "home"))
    assert default_url() == f"sqlite:///{tmp_path / 'home' / 'preclaim.db'}"
    with Store.open() as store:
        assert store.dialect == "sqlite"
    assert (tmp_path / "home" / "preclaim.db").is_file()


def test_preclaim_db_overrides_the_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRECLAIM_HOME", str(tmp_path / "unused"))
    monkeypatch.setenv("PRECLAIM_DB", f"sqlite:///{tmp_path / 'other.db'}")
    Store.open().close()
    assert (tmp_path / "other.db").is_file()
    assert not (tmp_path / "unused").exists()


def test_migrations_build_every_table_and_match_the_models(store: Store) -> None:
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert diff == []
    assert version == "0006"


def test_reopening_keeps_data_and_does_not_migrate_twice(store_url: str) -> None:
    with Store.open(store_url) as store, store.transaction() as session:
        session.execute(text("INSERT INTO patients (key) VALUES ('PAT-KEEP')"))
    with Store.open(store_url) as store, store.transaction(write=False) as session:
        assert session.execute(text("SELECT count(*) FROM patients")).scalar_one() == 1


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as session:
        session.execute(text("INSERT INTO patients (key) VALUES ('PAT-GONE')"))
        raise RuntimeError("crash inside the unit of work")
    with store.transaction(write=False) as session:
        assert session.execute(text("SELECT count(*) FROM patients")).scalar_one() == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "not a database URL"),
        ("mysql://u@h/db", "unsupported database 'mysql'"),
        (
            "postgresql://alice:s3cret@127.0.0.1:1/nowhere",
            "cannot open store postgresql+psycopg://alice:***@",
        ),
    ],
)
def test_bad_urls_are_store_errors_without_secrets(url: str, expected: str) -> None:
    with pytest.raises(StoreError) as info:
        Store.open(url)
    assert expected in str(info.value)
    assert "s3cret" not in str(info.value)


def test_unwritable_sqlite_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot create the store folder"):
        Store.open(f"sqlite:///{blocker / 'sub' / 'x.db'}")


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are notes, not SQLite\n" * 200)
    with pytest.raises(StoreError, match=r"cannot open store sqlite:///.*notes\.db: file is not a database"):
        Store.open(f"sqlite:///{bogus}")


def test_schema_head_constant_matches_the_migration_scripts() -> None:
    from alembic.script import ScriptDirectory

    from preclaim.store.db import SCHEMA_HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_an_older_schema_is_upgraded_on_open(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from preclaim.store.db import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO patients (key) VALUES ('PAT-OLD')"))
    engine.dispose()
    with Store.open(url) as store, store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0006"
        assert conn.execute(text("SELECT key FROM patients")).scalar_one() == "PAT-OLD"
        assert "first_date_of_service" in {c["name"] for c in inspect(conn).get_columns("remittances")}


def test_a_dose_keeps_its_unit_and_older_rows_keep_their_mcg(tmp_path: Path) -> None:
    import datetime as dt

    from alembic import command
    from sqlalchemy import create_engine

    from preclaim.domain import Administration
    from preclaim.domain.quantity import Quantity
    from preclaim.store import load_history
    from preclaim.store.claims import upsert_administration
    from preclaim.store.db import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:  # a database written by the previous version: the dose only in mcg
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
        conn.execute(text("INSERT INTO patients (id, key) VALUES (1, 'PAT-OLD')"))
        conn.execute(
            text(
                "INSERT INTO administrations (patient_id, date, code, units, dose_mcg, claim_id, source) "
                "VALUES (1, '2026-02-01', 'J3420', 1, 1000, '', 'csv')"
            )
        )
    engine.dispose()
    with Store.open(url) as store:
        (old,) = load_history(store, "PAT-OLD", dt.date(2026, 3, 1)).administrations
        assert old.dose == Quantity(1000, "mcg")
        with store.transaction() as session:
            for day, dose in ((dt.date(2026, 2, 2), Quantity(1, "mL")), (dt.date(2026, 2, 3), Quantity(30, "mg"))):
                upsert_administration(session, Administration("PAT-NEW", day, "J1885", 2, dose), "csv")
        doses = [a.dose for a in load_history(store, "PAT-NEW", dt.date(2026, 3, 1)).administrations]
        assert doses == [Quantity(1, "mL"), Quantity(30, "mg")]  # a volume is no longer stored empty
