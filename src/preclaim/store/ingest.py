"""`preclaim history import`: claims (837P, CSV, claim JSON), chart administrations (CSV), payments (835).

One transaction per claim: a crash loses nothing already committed and never leaves half a claim;
every write is keyed on the outside identifiers, so running the same file again adds nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from sqlalchemy import select

from preclaim.errors import InputError
from preclaim.io.claim_json import load_claims
from preclaim.io.sniff import content_start, read_head, x12_transaction
from preclaim.io.sniff import sniff as sniff_input
from preclaim.store.csv_history import read_history_csv
from preclaim.store.db import Store
from preclaim.store.import_run import ImportResult, Progress, import_administrations, import_claims, run_import
from preclaim.store.models import ImportRow, utcnow
from preclaim.store.x12_ingest import import_x12

FileKind = Literal["837", "835", "csv", "json"]


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


def import_history_file(store: Store, path: Path, *, progress: Progress | None = None) -> list[ImportResult]:
    """Import one history file of any supported kind; returns one result per kind of record written."""
    kind = sniff(path)
    digest = _file_digest(path)
    if kind == "csv":
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
        claims = load_claims(path)
        return [
            import_claims(
                store, claims, source=str(path), kind="json", total=len(claims), progress=progress, digest=digest
            )
        ]
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


__all__ = [
    "FileKind",
    "ImportResult",
    "Progress",
    "import_administrations",
    "import_claims",
    "import_history_file",
    "list_imports",
    "record_import",
    "run_import",
    "sniff",
]
