"""Writing imported records to the store: one transaction per item, the run noted in the `imports` table.

Shared by every importer (preclaim.store.ingest dispatches a file to them; x12_ingest, remits, auth_csv write
through here), so none of them imports another's module to reach it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from preclaim.domain import Administration, Claim
from preclaim.errors import PreclaimError, StoreError
from preclaim.store.claims import Outcome, upsert_administration, upsert_claim
from preclaim.store.db import Store
from preclaim.store.models import ImportRow, utcnow

Progress = Callable[[int, int | None], None]  # (items done, total when known)
T = TypeVar("T")


@dataclass
class ImportResult:
    kind: str
    source: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # extra tallies, e.g. linked remittances
    problems: list[str] = field(default_factory=list)  # items skipped, with their place in the file

    def tally(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


_RETRYABLE_PG = {"40001", "40P01"}  # serialization failure, deadlock: PostgreSQL asks to run it again


def _retryable(exc: IntegrityError | OperationalError) -> bool:
    """A unique-key race with a concurrent importer, or a PostgreSQL deadlock/serialization failure."""
    return isinstance(exc, IntegrityError) or getattr(exc.orig, "sqlstate", None) in _RETRYABLE_PG


def _write_one(store: Store, item: T, write: Callable[[Session, T], Outcome]) -> Outcome:
    """One item in its own transaction; a race with a concurrent importer is retried (the retry then
    finds the row the other importer wrote)."""
    for attempt in (1, 2, 3):
        try:
            with store.transaction() as session:
                return write(session, item)
        except (IntegrityError, OperationalError) as exc:
            if attempt == 3 or not _retryable(exc):
                raise
    raise AssertionError("unreachable")


def run_import(
    store: Store,
    items: Iterable[T],
    write: Callable[[Session, T], Outcome],
    result: ImportResult,
    *,
    total: int | None = None,
    progress: Progress | None = None,
    digest: str = "",
) -> ImportResult:
    """Write every item, each in its own transaction, recording the run in the `imports` table."""
    with store.transaction() as session:
        run = ImportRow(kind=result.kind, source=result.source[:500], sha256=digest)
        session.add(run)
        session.flush()
        run_id = run.id
    status, message = "failed", None
    try:
        for done, item in enumerate(items, start=1):
            result.tally(_write_one(store, item, write))
            if progress is not None:
                progress(done, total)
        status = "done"
    except PreclaimError as exc:
        message = str(exc)
        raise
    except (IntegrityError, OperationalError) as exc:
        message = str(exc.orig)
        raise StoreError(f"import stopped after {result.total} item(s): {message}") from exc
    finally:
        with store.transaction() as session:
            run = session.get_one(ImportRow, run_id)
            run.added, run.updated, run.unchanged = result.added, result.updated, result.unchanged
            run.status, run.message, run.finished_at = status, message, utcnow()
    return result


def import_claims(
    store: Store,
    claims: Iterable[Claim],
    *,
    source: str,
    kind: str,
    total: int | None = None,
    progress: Progress | None = None,
    digest: str = "",
) -> ImportResult:
    def write(session: Session, claim: Claim) -> Outcome:
        return upsert_claim(session, claim, kind)[1]

    result = ImportResult(kind=f"history-{kind}", source=source)
    return run_import(store, claims, write, result, total=total, progress=progress, digest=digest)


def import_administrations(
    store: Store, items: Iterable[Administration], *, source: str, progress: Progress | None = None
) -> ImportResult:
    def write(session: Session, adm: Administration) -> Outcome:
        return upsert_administration(session, adm, "csv")

    result = ImportResult(kind="history-csv-administrations", source=source)
    return run_import(store, items, write, result, progress=progress)


__all__ = ["ImportResult", "Progress", "import_administrations", "import_claims", "run_import"]
