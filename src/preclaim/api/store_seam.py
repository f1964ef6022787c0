"""The history store behind the service (preclaim.store: SQLite by default, PostgreSQL by URL), when configured.

The service never needs it: without a store, history is empty and the history/authorization endpoints
answer 503 with a problem saying how to configure one (`store_url` in the config or $PRECLAIM_DB).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from preclaim.api.seams import feedback_key
from preclaim.domain.history import Authorization, History


class StoreHistory:
    """HistorySource + authorization access over a preclaim.store.Store."""

    def __init__(self, store: Any) -> None:
        self.store = store

    @classmethod
    def open(cls, url: str | None) -> StoreHistory:
        from preclaim.store import Store

        return cls(Store.open(url))

    def history_for(self, patient_key: str, before: dt.date, *, exclude_claim: str | None = None) -> History:
        from preclaim.store import load_history

        history: History = load_history(self.store, patient_key, before, exclude_claim=exclude_claim)
        return history

    def authorizations(self, patient_key: str | None, payer_id: str | None, number: str | None) -> list[Authorization]:
        from preclaim.store.auth import list_authorizations

        with self.store.transaction(write=False) as session:
            found: list[Authorization] = list_authorizations(
                session, patient_key=patient_key, payer_id=payer_id, number=number
            )
        return found

    def add_authorization(self, auth: Authorization, source: str) -> Literal["added", "updated", "unchanged"]:
        from preclaim.store.auth import upsert_authorization

        with self.store.transaction() as session:
            _, outcome = upsert_authorization(session, auth, source=source)
        return outcome

    def close(self) -> None:
        self.store.close()


class StoreFeedback:
    """CDS card feedback in the history store's database (SQLite or PostgreSQL), one row per item.

    The table is the service's own (`cds_feedback`, created if missing) until the store's migrations adopt it.
    """

    def __init__(self, store: Any) -> None:
        from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, UniqueConstraint

        self.store = store
        metadata = MetaData()
        self.table = Table(
            "cds_feedback",
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("service", String(100), nullable=False),
            Column("card", String(100), nullable=False),
            Column("outcome", String(20), nullable=False),
            Column("outcome_at", String(40), nullable=False),
            Column("received_at", DateTime(timezone=True), nullable=False),
            Column("item", JSON, nullable=False),
            UniqueConstraint("service", "card", "outcome", "outcome_at", name="uq_cds_feedback_event"),
        )
        metadata.create_all(store.engine, checkfirst=True)

    def record(self, service_id: str, items: Sequence[dict[str, Any]]) -> int:
        """All items or none; an item already recorded (a client retrying after a crash) adds no row."""
        from sqlalchemy import select, tuple_

        now = dt.datetime.now(dt.UTC)
        fresh = {feedback_key(service_id, item): item for item in items}
        t = self.table
        with self.store.transaction() as session:
            known = session.execute(
                select(t.c.service, t.c.card, t.c.outcome, t.c.outcome_at).where(
                    tuple_(t.c.service, t.c.card, t.c.outcome, t.c.outcome_at).in_(list(fresh))
                )
            )
            for row in known:
                fresh.pop(tuple(row), None)
            rows = [
                {
                    "service": key[0],
                    "card": key[1],
                    "outcome": key[2],
                    "outcome_at": key[3],
                    "received_at": now,
                    "item": i,
                }
                for key, i in fresh.items()
            ]
            if rows:
                session.execute(t.insert(), rows)
        return len(items)

    def read(self) -> list[dict[str, Any]]:
        with self.store.transaction(write=False) as session:
            return [dict(row._mapping) for row in session.execute(self.table.select().order_by(self.table.c.id))]
