"""`preclaim history import`: claims (837P, CSV, claim JSON), chart administrations (CSV), payments (835).

One transaction per claim: a crash loses nothing already committed and never leaves half a claim;
every write is keyed on the outside identifiers, so running the same file again adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from preclaim.domain import Administration, Claim
from preclaim.errors import InputError, PreclaimError, StoreError
from preclaim.io.sniff import content_start, read_head, x12_transaction
from preclaim.io.sniff import sniff as sniff_input
from preclaim.store.claims import Outcome, upsert_administration, upsert_claim
from preclaim.store.db import Store
from preclaim.store.models import ImportRow, utcnow

FileKind = Literal["837", "835", "csv", "json"]
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


def sniff(path: Path) -> FileKind:
    """837 or 835 from the X12 envelope (ST01), JSON, else CSV by extension or header."""
    raw = read_head(path)
    kind = sniff_input(raw)
    if kind == "x12":
        transaction = x12_transaction(raw)
        if transaction in ("837", "835"):
            return transaction  # type: ignore[return-value]
        raise InputError("X12 file is neither an 837P (ST*837) nor an 835 (ST*835)", where=str(path))
    if kind == "json":
        return "json"
    head = content_start(raw)
    if path.suffix.lower() == ".csv" or head.split(b"\n", 1)[0].lower().find(b"claim_id") >= 0:
        return "csv"
    raise InputError(
        "unknown history format: expected an X12 837P or 835 (ISA...), a CSV file or claim JSON", where=str(path)
    )


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def import_history_file(store: Store, path: Path, *, progress: Progress | None = None) -> list[ImportResult]:
    """Import one history file of any supported kind; returns one result per kind of record written."""
    kind = sniff(path)
    digest = _file_digest(path)
    if kind == "csv":
        from preclaim.store.csv_history import read_history_csv

        claims, administrations = read_history_csv(path)
        total = len(claims) + len(administrations)
        results = [
            import_claims(store, claims, source=str(path), kind="csv", total=total, progress=progress, digest=digest)
        ]
        if administrations:
            offset = len(claims)

            def shifted(done: int, _total: int | None) -> None:
                if progress is not None:
                    progress(offset + done, total)

            results.append(import_administrations(store, administrations, source=str(path), progress=shifted))
        return results
    if kind == "json":
        from preclaim.io.claim_json import load_claims

        claims = load_claims(path)
        return [
            import_claims(
                store, claims, source=str(path), kind="json", total=len(claims), progress=progress, digest=digest
            )
        ]
    from preclaim.store.x12_ingest import import_x12

    return [import_x12(store, path, kind, progress=progress, digest=digest)]


def record_import(
    store: Store, kind: str, source: str, *, sha256: str = "", added: int = 0, updated: int = 0, unchanged: int = 0
) -> int:
    """Note an import done elsewhere (a policy folder, a code-list file) in the `imports` table; returns its id.

    kind: e.g. "policy" or "code-list"; source: the file or folder imported.
    """
    with store.transaction() as session:
        run = ImportRow(kind=kind[:32], source=source[:500], sha256=sha256, status="done", finished_at=utcnow())
        run.added, run.updated, run.unchanged = added, updated, unchanged
        session.add(run)
        session.flush()
        return run.id


def list_imports(store: Store, limit: int = 50) -> list[ImportRow]:
    """The most recent imports first (history files, authorizations, policies, code lists)."""
    with store.transaction(write=False) as session:
        return list(session.scalars(select(ImportRow).order_by(ImportRow.id.desc()).limit(limit)))
