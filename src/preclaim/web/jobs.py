"""Uploaded 837P files checked in the background, one at a time, straight onto the worklist.

The check is the CLI's (`preclaim check`: a first pass for history in date order, the store's history when
there is one); rows are written every 500 claims or every second, with the bytes read, so the progress page
can show claims done and an ETA. A server stopped midway leaves the batch 'running': the next start checks it
again from the top (its rows are replaced, never doubled).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import delete, select

from preclaim.domain.history import History
from preclaim.edi.x12.loops import ParsedClaim
from preclaim.errors import PreclaimError
from preclaim.store.models import utcnow
from preclaim.store.models_web import BatchRow, WorkDocRow, WorkItemRow
from preclaim.store.worklist import add_items, item_values, rejected_values

log = logging.getLogger("preclaim.web")
CHUNK = 500


class BatchJobs:
    def __init__(self, web: Any) -> None:
        self.web = web
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="preclaim-batch")
        self._submitted: set[int] = set()
        self._lock = threading.Lock()
        self._resume()

    def submit(self, batch_id: int) -> None:
        with self._lock:  # a batch found by _resume and then handed in by its upload runs once
            if batch_id in self._submitted:
                return
            self._submitted.add(batch_id)
        self.pool.submit(self._run, batch_id)

    def _resume(self) -> None:
        with self.web.desk.transaction(write=False) as session:
            left = list(session.scalars(select(BatchRow.id).where(BatchRow.status.in_(("queued", "running")))))
        for batch_id in left:
            self.submit(batch_id)

    def _run(self, batch_id: int) -> None:
        try:
            run_batch(self.web, batch_id)
        except PreclaimError as exc:
            _finish(self.web.desk, batch_id, "failed", str(exc))
        except Exception as exc:  # a bug: say so on the page, log where (never claim values)
            log.exception("batch %s failed", batch_id)
            _finish(self.web.desk, batch_id, "failed", f"internal error ({type(exc).__name__}); see the server log")


def _finish(desk: Any, batch_id: int, status: str, message: str = "") -> None:
    with desk.transaction() as session:
        batch = session.get_one(BatchRow, batch_id)
        batch.status, batch.finished_at = status, utcnow()
        batch.message = message[:2000]


class _StoredHistories:
    """The store's history per patient (preclaim.facade.StoredHistory); a patient the store had not seen when
    the batch started costs no query (their history is the authorizations filed without a patient, read once)."""

    def __init__(self, store: Any) -> None:
        from preclaim.store import StoreHistory
        from preclaim.store.auth import list_authorizations
        from preclaim.store.models import PatientRow

        self.inner = StoreHistory(store)
        with store.transaction(write=False) as session:
            self.known = set(session.scalars(select(PatientRow.key)))
            unassigned = list_authorizations(session, patient_key="", include_unassigned=True)
        self.unknown = History(authorizations=tuple(unassigned))

    def history_for(self, patient_key: str, before: dt.date, *, exclude_claim: str | None = None) -> History:
        if patient_key not in self.known:
            return self.unknown
        return self.inner.history_for(patient_key, before, exclude_claim=exclude_claim)


class _Writer:
    """Collects worklist rows and writes them with the progress every CHUNK claims or every second."""

    def __init__(self, desk: Any, batch_id: int) -> None:
        self.desk, self.batch_id = desk, batch_id
        self.pending: list[tuple[dict[str, Any], list[str]]] = []
        self.claims = self.rejected = self.bytes = 0
        self.flushed = time.monotonic()

    def add(self, row: tuple[dict[str, Any], list[str]], rejected: bool) -> None:
        self.pending.append(row)
        self.claims += 1
        self.rejected += rejected
        if len(self.pending) >= CHUNK or time.monotonic() - self.flushed > 1.0:
            self.flush()

    def flush(self) -> None:
        with self.desk.transaction() as session:
            add_items(session, self.pending)
            batch = session.get_one(BatchRow, self.batch_id)
            batch.claims_done, batch.rejected, batch.bytes_done = self.claims, self.rejected, self.bytes
        self.pending = []
        self.flushed = time.monotonic()


def run_batch(web: Any, batch_id: int) -> None:
    from preclaim.facade import check_many

    desk = web.desk
    with desk.transaction() as session:
        batch = session.get_one(BatchRow, batch_id)
        path, as_of, keep = batch.path, batch.as_of, batch.keep
        batch.status, batch.started_at, batch.claims_done, batch.bytes_done = "running", utcnow(), 0, 0
        session.execute(delete(WorkItemRow).where(WorkItemRow.batch_id == batch_id))  # a restart: again from the top
    writer = _Writer(desk, batch_id)

    def read_so_far(position: int) -> None:
        writer.bytes = position

    stored = None if web.store is None else _StoredHistories(web.store)
    checked = check_many(path, engine=web.engine, as_of=as_of, stored=stored, kind="x12", progress=read_so_far)
    for done in checked:
        item, report = done.item, done.report
        assert item is not None  # X12: every claim comes with the reader's item
        where = {"batch_id": batch_id, "segment_number": item.number}
        if isinstance(item, ParsedClaim) and report is not None:
            writer.add(item_values(item.claim, report, **where), False)
        else:
            writer.add((rejected_values(item.claim_id, getattr(item, "reason", "unreadable"), **where), []), True)
    with desk.transaction(write=False) as session:
        writer.bytes = session.get_one(BatchRow, batch_id).size
    writer.flush()
    if keep and web.store is not None:
        _keep(web, batch_id, path)
    _finish(desk, batch_id, "done")
    if desk.dialect == "sqlite":  # fresh statistics, so the planner picks the worklist's covering indexes
        with desk.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE worklist")
    web.audit("system", "checked", f"batch {batch_id}", f"{writer.claims} claims, {writer.rejected} unreadable")


def _keep(web: Any, batch_id: int, path: str) -> None:
    """'Keep in history': the file's claims and their checks go to the store, linked to the worklist rows."""
    from pathlib import Path

    import msgspec

    from preclaim.domain.report import Report
    from preclaim.store import record_check
    from preclaim.store.claims import decode_claim_document
    from preclaim.store.models import CheckRow
    from preclaim.store.x12_ingest import import_x12

    import_x12(web.store, Path(path), "837")
    query = (
        select(WorkItemRow.id, WorkDocRow.document, WorkDocRow.report)
        .join(WorkDocRow, WorkDocRow.item_id == WorkItemRow.id)
        .where(WorkItemRow.batch_id == batch_id, WorkDocRow.document != "")
    )
    with web.store.transaction(write=False) as session:
        rows = list(session.execute(query))
    for item_id, document, report in rows:
        check_id = record_check(web.store, decode_claim_document(document), msgspec.json.decode(report, type=Report))
        with web.store.transaction() as session:
            claim_pk = session.scalar(select(CheckRow.claim_pk).where(CheckRow.id == check_id))
            linked = select(WorkItemRow.id).where(WorkItemRow.claim_pk == claim_pk)
            if claim_pk is not None and session.scalar(linked) is None:
                session.get_one(WorkItemRow, item_id).claim_pk = claim_pk
