"""Authorizations on file: add or update, list with units consumed, expiry warnings.

Units consumed = units of stored claim lines that carry the authorization number (line or claim REF*G1),
for the same code, dated inside the authorization's range, excluding voided claims (CLM05-3 = 8) and
claims the payer denied (835 CLP02 = 4).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from preclaim.domain import Authorization
from preclaim.errors import StoreError
from preclaim.store.claims import Outcome, patient_id
from preclaim.store.models import AuthorizationRow, ClaimLineRow, ClaimRow, PatientRow, RemittanceRow, utcnow

EXPIRY_WARNING_DAYS = 30


def upsert_authorization(
    session: Session, auth: Authorization, *, source: str, note: str | None = None
) -> tuple[AuthorizationRow, Outcome]:
    """Store under (payer, number, code); a later decision for the same number replaces the earlier one."""
    row = session.scalars(
        select(AuthorizationRow).where(
            AuthorizationRow.payer_id == auth.payer_id,
            AuthorizationRow.number == auth.number,
            AuthorizationRow.code == auth.code,
        )
    ).one_or_none()
    patient = patient_id(session, auth.patient_key) if auth.patient_key else None
    values = (patient, auth.start, auth.end, auth.approved_units, auth.status)
    if row is not None and (row.patient_id, row.start, row.end, row.approved_units, row.status) == values:
        return row, "unchanged"
    outcome: Outcome = "added" if row is None else "updated"
    if row is None:
        row = AuthorizationRow(number=auth.number, payer_id=auth.payer_id, code=auth.code)
    row.patient_id, row.start, row.end, row.approved_units, row.status = values
    row.source = source
    row.note = note if note is not None else row.note
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row, outcome


def _used_units(session: Session, rows: Sequence[AuthorizationRow], exclude_claim: str | None) -> dict[int, float]:
    """Units consumed per authorization row id, in one grouped query."""
    numbers = {row.number for row in rows}
    if not numbers:
        return {}
    denied = select(RemittanceRow.id).where(RemittanceRow.claim_pk == ClaimRow.id, RemittanceRow.status == "4")
    query = (
        select(
            ClaimLineRow.prior_auth,
            ClaimLineRow.code,
            ClaimRow.patient_id,
            ClaimLineRow.date_of_service,
            func.sum(ClaimLineRow.units),
        )
        .join(ClaimRow, ClaimLineRow.claim_pk == ClaimRow.id)
        .where(ClaimLineRow.prior_auth.in_(numbers), ClaimRow.frequency_code != "8", ~denied.exists())
        .group_by(ClaimLineRow.prior_auth, ClaimLineRow.code, ClaimRow.patient_id, ClaimLineRow.date_of_service)
    )
    if exclude_claim is not None:
        query = query.where(ClaimRow.claim_id != exclude_claim)
    sums: dict[str | None, list[tuple[str, int, dt.date, float]]] = defaultdict(list)
    for number, code, patient, day, units in session.execute(query):
        sums[number].append((code, patient, day, float(units or 0)))
    used: dict[int, float] = {}
    for row in rows:
        used[row.id] = sum(
            units
            for code, patient_id, day, units in sums.get(row.number, [])
            if code == row.code
            and row.start <= day <= row.end
            and (row.patient_id is None or row.patient_id == patient_id)
        )
    return used


def to_domain(row: AuthorizationRow, used: float) -> Authorization:
    return Authorization(
        number=row.number,
        payer_id=row.payer_id,
        code=row.code,
        start=row.start,
        end=row.end,
        approved_units=row.approved_units,
        patient_key=row.patient.key if row.patient else None,
        used_units=used,
        status=row.status,  # type: ignore[arg-type]  # written only from AuthorizationStatus values
    )


def list_authorizations(
    session: Session,
    *,
    patient_key: str | None = None,
    payer_id: str | None = None,
    number: str | None = None,
    include_unassigned: bool = False,
    exclude_claim: str | None = None,
) -> list[Authorization]:
    """Authorizations matching the filters, with units consumed, ordered by end date."""
    query = select(AuthorizationRow).outerjoin(PatientRow, AuthorizationRow.patient_id == PatientRow.id)
    if patient_key is not None:
        match = PatientRow.key == patient_key
        query = query.where(match | AuthorizationRow.patient_id.is_(None) if include_unassigned else match)
    if payer_id is not None:
        query = query.where(AuthorizationRow.payer_id == payer_id)
    if number is not None:
        query = query.where(AuthorizationRow.number == number)
    rows = session.scalars(query.order_by(AuthorizationRow.end, AuthorizationRow.number)).all()
    used = _used_units(session, rows, exclude_claim)
    return [to_domain(row, used[row.id]) for row in rows]


def get_authorization(session: Session, number: str, payer_id: str | None = None) -> list[Authorization]:
    """Every code authorized under `number`; StoreError when there is none."""
    found = list_authorizations(session, number=number, payer_id=payer_id)
    if not found:
        where = f" for payer {payer_id}" if payer_id else ""
        raise StoreError(f"no authorization {number!r}{where} on file (see `preclaim auth list`)")
    return found


def expiring(auths: Sequence[Authorization], as_of: dt.date, days: int = EXPIRY_WARNING_DAYS) -> list[Authorization]:
    """Approved authorizations that end within `days` of `as_of` (and have not ended yet)."""
    horizon = as_of + dt.timedelta(days=days)
    return [a for a in auths if a.status in ("approved", "partial") and as_of <= a.end <= horizon]


def claims_using(session: Session, auth: Authorization) -> list[tuple[str, dt.date, float, bool]]:
    """(claim id, date of service, units, counted) of stored lines carrying this number for this code;
    `counted` is False for lines outside the range, on voided claims or on claims the payer denied."""
    denied = select(RemittanceRow.id).where(RemittanceRow.claim_pk == ClaimRow.id, RemittanceRow.status == "4")
    rows = session.execute(
        select(
            ClaimRow.claim_id,
            ClaimLineRow.date_of_service,
            ClaimLineRow.units,
            ClaimRow.frequency_code,
            denied.exists().label("denied"),
        )
        .join(ClaimRow, ClaimLineRow.claim_pk == ClaimRow.id)
        .where(ClaimLineRow.prior_auth == auth.number, ClaimLineRow.code == auth.code)
        .order_by(ClaimLineRow.date_of_service, ClaimRow.claim_id)
    ).all()
    return [
        (
            r.claim_id,
            r.date_of_service,
            r.units,
            auth.covers(r.date_of_service) and r.frequency_code != "8" and not r.denied,
        )
        for r in rows
    ]
