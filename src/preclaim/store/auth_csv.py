"""Authorizations from a CSV file (`preclaim auth import`): one row per authorization, all or nothing.

Columns: number, payer_id, code, start, end (required); patient_key, approved_units, status (optional;
status defaults to approved). Documented in docs/store.md.
"""

from __future__ import annotations

import csv
import hashlib
import typing
from pathlib import Path

from preclaim.domain import Authorization
from preclaim.domain.history import AuthorizationStatus
from preclaim.errors import InputError
from preclaim.store.auth import upsert_authorization
from preclaim.store.csv_rows import Row, csv_errors
from preclaim.store.db import Store
from preclaim.store.import_run import ImportResult
from preclaim.store.models import ImportRow, utcnow

REQUIRED = ("number", "payer_id", "code", "start", "end")
STATUSES: tuple[str, ...] = typing.get_args(AuthorizationStatus)


def _authorization(row: Row) -> Authorization:
    status = row.text("status") or "approved"
    if status not in STATUSES:
        raise InputError(f"column 'status': found {status!r}, expected one of {', '.join(STATUSES)}", where=row.where)
    start, end = row.date("start"), row.date("end")
    if start is None or end is None:
        raise InputError("columns 'start' and 'end' need dates YYYY-MM-DD", where=row.where)
    if end < start:
        raise InputError(f"end {end} is before start {start}", where=row.where)
    units = row.number("approved_units")
    if units is not None and units < 0:
        raise InputError(f"column 'approved_units': found {units:g}, expected 0 or more", where=row.where)
    return Authorization(
        number=row.required("number"),
        payer_id=row.required("payer_id"),
        code=row.required("code").upper(),
        start=start,
        end=end,
        approved_units=units,
        patient_key=row.text("patient_key"),
        status=status,  # type: ignore[arg-type]  # checked against STATUSES above
    )


def read_authorizations_csv(path: Path) -> list[Authorization]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            with csv_errors(path, reader):  # a field over the csv module's size limit, bytes that are not UTF-8
                header = [h.strip().lower() for h in reader.fieldnames or ()]
                missing = [c for c in REQUIRED if c not in header]
                if missing:
                    raise InputError(f"missing column(s) {', '.join(missing)}", where=f"{path}:1")
                reader.fieldnames = header
                return [
                    _authorization(Row(f"{path}:{n}", {k: v for k, v in values.items() if isinstance(k, str) and v}))
                    for n, values in enumerate(reader, start=2)
                ]
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", where=str(path)) from None


def import_authorizations(store: Store, path: Path) -> ImportResult:
    """Every row checked first, then all stored in one transaction (a bad row stores nothing)."""
    auths = read_authorizations_csv(path)
    result = ImportResult(kind="authorizations", source=str(path))
    with store.transaction() as session:
        for auth in auths:
            result.tally(upsert_authorization(session, auth, source="csv")[1])
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        run = ImportRow(kind=result.kind, source=str(path)[:500], sha256=digest, status="done", finished_at=utcnow())
        run.added, run.updated, run.unchanged = result.added, result.updated, result.unchanged
        session.add(run)
    return result
