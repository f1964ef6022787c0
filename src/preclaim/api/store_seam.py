"""The history store behind the service (preclaim.store: SQLite by default, PostgreSQL by URL), when configured.

The service never needs it: without a store, history is empty and the history/authorization endpoints
answer 503 with a problem saying how to configure one (`store_url` in the config or $PRECLAIM_DB).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from preclaim.domain.history import Authorization, History


class StoreHistory:
    """HistorySource + authorization access over a preclaim.store.Store."""

    def __init__(self, store: Any) -> None:
        self.store = store

    @classmethod
    def open(cls, url: str | None) -> StoreHistory:
        from preclaim.store import Store

        return cls(Store.open(url))

    def history_for(self, patient_key: str, before: dt.date) -> History:
        from preclaim.store import load_history

        history: History = load_history(self.store, patient_key, before)
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
        from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table

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
        )
        metadata.create_all(store.engine, checkfirst=True)

    def record(self, service_id: str, items: Sequence[dict[str, Any]]) -> int:
        now = dt.datetime.now(dt.UTC)
        rows = [
            {
                "service": service_id,
                "card": str(i["card"]),
                "outcome": str(i["outcome"]),
                "outcome_at": str(i["outcomeTimestamp"]),
                "received_at": now,
                "item": i,
            }
            for i in items
        ]
        with self.store.transaction() as session:  # all items or none
            session.execute(self.table.insert(), rows)
        return len(rows)

    def read(self) -> list[dict[str, Any]]:
        with self.store.transaction(write=False) as session:
            return [dict(row._mapping) for row in session.execute(self.table.select().order_by(self.table.c.id))]
