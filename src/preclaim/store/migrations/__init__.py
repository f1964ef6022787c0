"""Alembic migrations of the history store (run by preclaim.store.db.migrate on open)."""
