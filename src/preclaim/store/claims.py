"""Write claims, patients and chart administrations; idempotent on the outside keys."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Literal

import msgspec
from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from preclaim.domain import Administration, Claim, Patient
from preclaim.domain.limits import preview
from preclaim.errors import InputError, StoreError
from preclaim.io.legacy import in_mcg, upgrade_claim
from preclaim.store.models import AdministrationRow, ClaimLineRow, ClaimRow, PatientRow, RemittanceRow, utcnow

Outcome = Literal["added", "updated", "unchanged"]
_encoder = msgspec.json.Encoder(decimal_format="string")


def encode_claim(claim: Claim) -> bytes:
    return _encoder.encode(claim)


def decode_claim_document(document: str) -> Claim:
    try:
        return msgspec.convert(upgrade_claim(msgspec.json.decode(document)), Claim)
    except msgspec.ValidationError as exc:  # stored before a bound was added (a 6-character code, ...)
        raw = msgspec.json.decode(document)
        which = (
            f"claim {preview(str(raw.get('id')))!r} of payer {preview(str((raw.get('payer') or {}).get('id')))!r}"
            if isinstance(raw, dict)
            else "a claim"
        )
        raise StoreError(
            f"stored {which} no longer reads ({exc}); correct it and import it again, which replaces it"
        ) from None


def patient_row(session: Session, patient: Patient | str) -> PatientRow:
    """The patient with this key, created on first sight; birth date and sex filled in when learned."""
    return session.get_one(PatientRow, patient_id(session, patient))


# Statements built once: the import runs them for every claim, and building them costs more than running them.
_FIND_PATIENT = select(PatientRow.id, PatientRow.birth_date, PatientRow.sex).where(PatientRow.key == bindparam("k"))
_ADD_PATIENT = insert(PatientRow).returning(PatientRow.id)
_FIND_CLAIM = select(ClaimRow.id, ClaimRow.digest).where(
    ClaimRow.payer_id == bindparam("payer"),
    ClaimRow.claim_id == bindparam("claim"),
    ClaimRow.first_date_of_service == bindparam("day"),
)
_ADD_CLAIM = insert(ClaimRow).returning(ClaimRow.id)
_CHANGE_CLAIM = update(ClaimRow).where(ClaimRow.id == bindparam("pk"))
_DROP_LINES = delete(ClaimLineRow).where(ClaimLineRow.claim_pk == bindparam("pk"))
_ADD_LINES = insert(ClaimLineRow)
# Payments (835) imported before their claim wait with claim_pk NULL; a new claim picks them up.
_LINK_PAYMENTS = (
    update(RemittanceRow)
    .where(RemittanceRow.claim_id == bindparam("claim"), RemittanceRow.claim_pk.is_(None))
    .where(or_(RemittanceRow.first_date_of_service == bindparam("day"), RemittanceRow.first_date_of_service.is_(None)))
    .values(claim_pk=bindparam("pk"))
)


def patient_id(session: Session, patient: Patient | str) -> int:
    """Id of the patient with this key, created on first sight; birth date and sex filled in when learned."""
    conn = session.connection()
    key = patient if isinstance(patient, str) else patient.key
    found = conn.execute(_FIND_PATIENT, {"k": key}).first()
    learned = {} if isinstance(patient, str) else {"birth_date": patient.birth_date, "sex": patient.sex}
    learned = {name: value for name, value in learned.items() if value is not None}
    if found is None:
        return int(conn.execute(_ADD_PATIENT, {"key": key, **learned}).scalar_one())
    if any(getattr(found, name) != value for name, value in learned.items()):
        conn.execute(update(PatientRow).where(PatientRow.id == found.id).values(**learned))
        session.expire_all()  # ORM copies of this patient are stale now
    return int(found.id)


def find_claim(
    session: Session, claim_id: str, payer_id: str | None = None, day: dt.date | None = None
) -> ClaimRow | None:
    """The stored claim with this CLM01 (and payer, first date of service, when given); None when absent
    or ambiguous."""
    query = select(ClaimRow).where(ClaimRow.claim_id == claim_id)
    if payer_id is not None:
        query = query.where(ClaimRow.payer_id == payer_id)
    if day is not None:
        query = query.where(ClaimRow.first_date_of_service == day)
    rows = session.scalars(query.limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def _line_values(claim: Claim, claim_pk: int) -> list[dict[str, object]]:
    return [
        {
            "claim_pk": claim_pk,
            "number": line.number,
            "code": line.code,
            "modifiers": ":".join(line.modifiers),
            "units": line.units,
            "date_of_service": line.date_of_service,
            "charge": line.charge,
            "prior_auth": line.prior_auth or claim.prior_auth,
        }
        for line in claim.lines
    ]


def upsert_claim(session: Session, claim: Claim, source: str) -> tuple[int, Outcome]:
    """Store `claim` under (payer id, claim id, first date of service). Same content again: unchanged.
    New content (a corrected or replacement claim): replaced.

    Returns the claim's row id. Core statements, not the ORM: this is the import hot path.
    """
    day = claim.first_date_of_service
    if day is None:
        raise InputError("a claim without service lines cannot be stored", where=f"claim {claim.id}")
    document = encode_claim(claim)
    digest = hashlib.sha256(document).hexdigest()
    conn = session.connection()
    found = conn.execute(_FIND_CLAIM, {"payer": claim.payer.id, "claim": claim.id, "day": day}).first()
    if found is not None and found.digest == digest:
        return int(found.id), "unchanged"
    values = {
        "patient_id": patient_id(session, claim.patient),
        "frequency_code": claim.frequency_code,
        "prior_auth": claim.prior_auth,
        "first_date_of_service": day,
        "charge": claim.charge,
        "digest": digest,
        "document": document.decode(),
        "imported_at": utcnow(),
    }
    outcome: Outcome
    if found is None:
        keys = {"claim_id": claim.id, "payer_id": claim.payer.id, "source": source}
        claim_pk, outcome = int(conn.execute(_ADD_CLAIM, {**keys, **values}).scalar_one()), "added"
        conn.execute(_LINK_PAYMENTS, {"pk": claim_pk, "claim": claim.id, "day": day})
    else:
        claim_pk, outcome = int(found.id), "updated"
        conn.execute(_DROP_LINES, {"pk": claim_pk})
        conn.execute(_CHANGE_CLAIM.values(**values), {"pk": claim_pk})
        session.expire_all()
    if claim.lines:
        conn.execute(_ADD_LINES, _line_values(claim, claim_pk))
    return claim_pk, outcome


def upsert_administration(session: Session, adm: Administration, source: str) -> Outcome:
    """Store a chart administration under (patient, date, code, claim id)."""
    patient = patient_id(session, adm.patient_key)
    claim_id = adm.claim_id or ""
    row = session.scalars(
        select(AdministrationRow).where(
            AdministrationRow.patient_id == patient,
            AdministrationRow.date == adm.date,
            AdministrationRow.code == adm.code,
            AdministrationRow.claim_id == claim_id,
        )
    ).one_or_none()
    dose = adm.dose
    values = (
        adm.units,
        None if dose is None else dose.value,
        None if dose is None else dose.unit,
        in_mcg(dose),
        adm.phase,
        adm.payer_id,
    )
    if row is not None and (row.units, row.dose_value, row.dose_unit, row.dose_mcg, row.phase, row.payer_id) == values:
        return "unchanged"
    outcome: Outcome = "added" if row is None else "updated"
    if row is None:
        row = AdministrationRow(patient_id=patient, date=adm.date, code=adm.code, claim_id=claim_id)
    row.units, row.dose_value, row.dose_unit, row.dose_mcg, row.phase, row.payer_id = values
    row.source = source
    session.add(row)
    session.flush()
    return outcome
