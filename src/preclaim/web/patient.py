"""One patient's page: injections over time, the next date each payer's frequency rule allows, authorizations with
units left, and past denials. Everything comes from the history store and the worklist; nothing is guessed (a
payer with no frequency rule on file says so)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from preclaim.codes.drugs import bundled_catalog
from preclaim.domain.claim import Claim
from preclaim.domain.history import Authorization
from preclaim.policy import PayerKey
from preclaim.store.models_web import WorkItemRow

# Every catalog drug, plus the unclassified code a drug is billed under before it has its own and vitamin K.
DRUG_CODES = (*sorted(bundled_catalog().drugs), "J3490", "J3430")


@dataclass(frozen=True)
class Injection:
    day: dt.date
    code: str
    units: float
    payer: str
    source: str  # "claim CLM01", "chart", "upload 3"


@dataclass(frozen=True)
class NextDate:
    payer: str
    last: dt.date
    earliest: dt.date | None  # None: no frequency rule on file for this payer
    rule: str
    source: Any  # preclaim.domain.report.Source | None


@dataclass(frozen=True)
class Denial:
    claim_id: str
    day: dt.date | None
    payer: str
    codes: str
    paid_on: dt.date | None


@dataclass
class PatientView:
    key: str
    injections: list[Injection]
    next_dates: list[NextDate]
    authorizations: list[Authorization]
    denials: list[Denial]
    worklist: list[Any]


def _from_store(store: Any, key: str) -> tuple[list[Injection], list[Claim], list[Authorization], list[Denial]]:
    from preclaim.store import load_history

    history = load_history(store, key, dt.date.max)
    shots = [
        Injection(a.date, a.code, a.units, a.payer_id or "", f"claim {a.claim_id}" if a.claim_id else "chart")
        for a in history.administrations
        if a.code.upper() in DRUG_CODES
    ]
    for claim in history.claims:
        shots += [
            Injection(
                line.date_of_service, line.code, line.units, claim.payer.name or claim.payer.id, f"claim {claim.id}"
            )
            for line in claim.lines
            if line.code.upper() in DRUG_CODES
        ]
    return shots, list(history.claims), list(history.authorizations), _denials(store, [c.id for c in history.claims])


def _denials(store: Any, claim_ids: list[str]) -> list[Denial]:
    if not claim_ids:
        return []
    from preclaim.store.models import RemittanceRow
    from preclaim.web.dashboard import not_denials

    skip = not_denials()
    found = []
    with store.transaction(write=False) as session:
        rows = session.scalars(select(RemittanceRow).where(RemittanceRow.claim_id.in_(claim_ids[:500])))
        for row in rows:
            codes = sorted({f"{a.group_code}-{a.reason}" for a in row.adjustments if a.reason not in skip})
            if row.status == "4" or codes:
                found.append(
                    Denial(row.claim_id, row.first_date_of_service, row.payer_id, " ".join(codes), row.paid_on)
                )
    return found


def _next_dates(engine: Any, claims: list[Claim], shots: list[Injection], today: dt.date) -> list[NextDate]:
    """Per payer of the patient's claims: the last injection and the earliest next one its rule allows."""
    latest: dict[str, Claim] = {}
    for claim in claims:
        if claim.first_date_of_service is None:
            continue
        seen = latest.get(claim.payer.id)
        if seen is None or (seen.first_date_of_service or dt.date.min) <= claim.first_date_of_service:
            latest[claim.payer.id] = claim
    last_shot = max((s.day for s in shots), default=None)
    out = []
    for payer_id, claim in sorted(latest.items()):
        key = PayerKey(payer_id, claim.payer.name, claim.filing_indicator, claim.billing_provider.state, claim.plan)
        resolved = engine.policies.resolve(key, today)
        # The drugs this payer's claim billed (J3420 when none is a catalog drug); the first with a frequency rule.
        codes = [line.code.upper() for line in claim.lines if line.code.upper() in DRUG_CODES] or ["J3420"]
        found = [c for c in (resolved.drug_section(code, "frequency") for code in codes) if c is not None]
        cited = found[0] if found else None
        days = getattr(cited.value, "maintenance_min_days", None) if cited else None
        last = last_shot or claim.first_date_of_service or today
        if days:
            rule = f"maintenance injections at least {days} days apart"
            earliest: dt.date | None = last + dt.timedelta(days=days)
        else:
            rule, earliest = "no frequency rule on file for this plan: ask the plan", None
        out.append(NextDate(claim.payer.name or payer_id, last, earliest, rule, cited.source if cited else None))
    return out


def patient_view(web: Any, key: str) -> PatientView:
    shots: list[Injection] = []
    claims: list[Claim] = []
    auths: list[Authorization] = []
    denials: list[Denial] = []
    if web.store is not None:
        shots, claims, auths, denials = _from_store(web.store, key)
    with web.desk.transaction(write=False) as session:
        rows = list(
            session.scalars(
                select(WorkItemRow).where(WorkItemRow.patient_key == key).order_by(WorkItemRow.first_date_of_service)
            )
        )
    known = {c.id for c in claims}
    for row in rows:
        if row.claim_pk is None and row.claim_id not in known and row.document:
            from preclaim.store.claims import decode_claim_document

            claim = decode_claim_document(row.document)
            claims.append(claim)
            known.add(claim.id)
            shots += [
                Injection(
                    line.date_of_service,
                    line.code,
                    line.units,
                    claim.payer.name or claim.payer.id,
                    f"upload {row.batch_id}",
                )
                for line in claim.lines
                if line.code.upper() in DRUG_CODES
            ]
    shots = sorted(set(shots), key=lambda s: (s.day, s.source))
    return PatientView(key, shots, _next_dates(web.engine, claims, shots, web.today()), auths, denials, rows)
