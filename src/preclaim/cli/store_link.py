"""`preclaim check` and the history store: read each patient's history, keep each report.

The store is used when $PRECLAIM_DB is set or the default SQLite file already exists (a check never
creates a database by itself), unless --no-store is given. Without the store extra installed, nothing
changes. How stored history joins the rest is preclaim.facade's business.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from preclaim.domain.claim import Claim
from preclaim.domain.report import Report
from preclaim.paths import Settings


class StoreLink:
    def __init__(self, store: Any, record: bool) -> None:
        from preclaim.store import StoreHistory

        self.store = store
        self.record = record
        self.stored = StoreHistory(store)  # preclaim.facade.StoredHistory

    def keep(self, claim: Claim, report: Report) -> None:
        if self.record:
            from preclaim.store import record_check

            record_check(self.store, claim, report)


def _store_installed() -> bool:
    try:
        import preclaim.store.db  # noqa: F401
    except ModuleNotFoundError:  # the store extra is not installed
        return False
    return True


@contextmanager
def open_link(use_store: bool, record: bool, settings: Settings) -> Iterator[StoreLink | None]:
    if not use_store or not settings.store_configured or not _store_installed():
        yield None
        return
    from preclaim.store import Store

    with Store.open(settings.store_url) as store:
        yield StoreLink(store, record)
