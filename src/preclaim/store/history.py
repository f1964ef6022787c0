"""What the engine needs to know about a patient, read from the store; the checks it made, written back."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy import select

from preclaim.domain import Administration, Claim, History, Report
from preclaim.domain.quantity import Quantity, unit_of
from preclaim.io.legacy import legacy_amount
from preclaim.store.auth import list_authorizations
from preclaim.store.claims import decode_claim_document, find_claim, upsert_claim
from preclaim.store.db import Store
from preclaim.store.models import AdministrationRow, CheckRow, ClaimRow, PatientRow

_report_encoder = msgspec.json.Encoder(decimal_format="string")


def load_history(store: Store, patient_key: str, before: dt.date, *, exclude_claim: str | None = None) -> History:
    """Administrations and claims of this patient dated on or before `before` (same-day claims included,
    so the duplicate rule sees them), and the authorizations on file with units consumed so far.

    `exclude_claim` leaves out the claim being checked when it is already stored, so it neither looks
    like its own duplicate nor consumes its own authorized units.
    """
    with store.transaction(write=False) as session:
        patient = session.scalars(select(PatientRow).where(PatientRow.key == patient_key)).one_or_none()
        if patient is None:
            auths = list_authorizations(session, patient_key=patient_key, include_unassigned=True)
            return History(authorizations=tuple(auths))
        adm_rows = session.scalars(
            select(AdministrationRow)
            .where(AdministrationRow.patient_id == patient.id, AdministrationRow.date <= before)
            .order_by(AdministrationRow.date)
        ).all()
        claim_query = select(ClaimRow.document).where(
            ClaimRow.patient_id == patient.id, ClaimRow.first_date_of_service <= before
        )
        if exclude_claim is not None:
            claim_query = claim_query.where(ClaimRow.claim_id != exclude_claim)
        documents = session.scalars(claim_query.order_by(ClaimRow.first_date_of_service)).all()
        auths = list_authorizations(
            session, patient_key=patient_key, include_unassigned=True, exclude_claim=exclude_claim
        )
    return History(
        administrations=tuple(_administration(row, patient_key) for row in adm_rows),
        claims=tuple(decode_claim_document(doc) for doc in documents),
        authorizations=tuple(auths),
    )


def _dose(row: AdministrationRow) -> Quantity | None:
    """The dose as given; a row written before the unit was stored has only its mcg."""
    if row.dose_value is not None and row.dose_unit is not None:
        return Quantity(row.dose_value, unit_of(row.dose_unit))
    return legacy_amount(row.dose_mcg)


def _administration(row: AdministrationRow, patient_key: str) -> Administration:
    return Administration(
        patient_key=patient_key,
        date=row.date,
        code=row.code,
        units=row.units,
        dose=_dose(row),
        phase=row.phase,  # type: ignore[arg-type]  # written only from Phase values
        claim_id=row.claim_id or None,
        payer_id=row.payer_id,
    )


def predicted_carcs(report: Report) -> list[str]:
    """The adjustments the check predicts: CARCs of error findings, in order, without repeats."""
    seen: dict[str, None] = {}
    for finding in report.findings:
        if finding.severity == "error" and finding.carc:
            seen.setdefault(finding.carc, None)
    return list(seen)


def record_check(store: Store, claim: Claim, report: Report, *, as_history: bool = False) -> int:
    """Keep the report of a check (the prediction `preclaim report` later compares with the 835).

    With `as_history`, the claim itself is stored too (as sent), so later checks see it.
    Returns the id of the stored check.
    """
    with store.transaction() as session:
        if as_history:
            claim_pk: int | None = upsert_claim(session, claim, source="check")[0]
        else:
            found = find_claim(session, claim.id, claim.payer.id, claim.first_date_of_service)
            claim_pk = found.id if found else None
        check = CheckRow(
            claim_id=claim.id,
            payer_id=claim.payer.id,
            claim_pk=claim_pk,
            first_date_of_service=claim.first_date_of_service,
            verdict=report.verdict,
            carcs=" ".join(predicted_carcs(report)),
            report=_report_encoder.encode(report).decode(),
        )
        session.add(check)
        session.flush()
        return check.id


class StoreHistory:
    """A store as the checks' source of earlier records (preclaim.facade.StoredHistory)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def history_for(self, patient_key: str, before: dt.date, *, exclude_claim: str | None = None) -> History:
        return load_history(self.store, patient_key, before, exclude_claim=exclude_claim)
