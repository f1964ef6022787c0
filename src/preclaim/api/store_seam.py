"""The history store behind the service (preclaim.store: SQLite by default, PostgreSQL by URL), when configured.

The service never needs it: without a store, history is empty and the history/authorization endpoints
answer 503 with a problem saying how to configure one (`store_url` in the config or $PRECLAIM_DB).
"""

from __future__ import annotations

import datetime as dt
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
