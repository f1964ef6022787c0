"""`preclaim check` and the history store: read each patient's history, keep each report.

The store is used when $PRECLAIM_DB is set or the default SQLite file already exists (a check never
creates a database by itself), unless --no-store is given. Without the store extra installed, nothing
changes.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from preclaim.domain.claim import Claim
from preclaim.domain.history import History
from preclaim.domain.report import Report


def _merge(first: History, second: History) -> History:
    return History(
        administrations=first.administrations + second.administrations,
        claims=first.claims + second.claims,
        authorizations=first.authorizations + second.authorizations,
    )


class StoreLink:
    def __init__(self, store: Any, record: bool) -> None:
        self.store = store
        self.record = record

    def history(self, claim: Claim, base: History, as_of: dt.date) -> History:
        from preclaim.store import load_history

        day = claim.first_date_of_service or as_of
        return _merge(base, load_history(self.store, claim.patient.key, day, exclude_claim=claim.id))

    def histories(self, base: History) -> StoreHistories:
        return StoreHistories(self, base)

    def keep(self, claim: Claim, report: Report) -> None:
        if self.record:
            from preclaim.store import record_check

            record_check(self.store, claim, report)


class StoreHistories:
    """Per-patient history for streamed files: the store's records plus a given history, cached per patient."""

    def __init__(self, link: StoreLink, base: History, cache_size: int = 4096) -> None:
        self.link = link
        self.base = base
        self.cache: dict[str, History] = {}
        self.cache_size = cache_size

    def for_patient(self, patient_key: str) -> History:
        found = self.cache.get(patient_key)
        if found is None:
            from preclaim.store import load_history

            if len(self.cache) >= self.cache_size:
                self.cache.clear()
            # Everything on file; the engine itself ignores records of the claim being checked.
            stored = load_history(self.link.store, patient_key, dt.date.max)
            found = self.cache[patient_key] = _merge(self.base.for_patient(patient_key), stored)
        return found


def _store_wanted() -> bool:
    try:
        from preclaim.store.db import DB_FILE, data_dir
    except ModuleNotFoundError:  # the store extra is not installed
        return False
    return bool(os.environ.get("PRECLAIM_DB")) or Path(data_dir() / DB_FILE).is_file()


@contextmanager
def open_link(use_store: bool, record: bool) -> Iterator[StoreLink | None]:
    if not use_store or not _store_wanted():
        yield None
        return
    from preclaim.store import Store

    with Store.open() as store:
        yield StoreLink(store, record)
