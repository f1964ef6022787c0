"""Alembic environment: always called programmatically with a live connection (see store.db.migrate)."""

from __future__ import annotations

from alembic import context

from preclaim.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic command line
    raise RuntimeError("run migrations through preclaim.store.db.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite can only ALTER by copying tables
    compare_type=True,
)
context.run_migrations()
