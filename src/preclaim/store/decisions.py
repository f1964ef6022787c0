"""Record a payer's prior-authorization decision (PAS ClaimResponse or X12 278 HCR) as an authorization."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from preclaim.domain import Authorization
from preclaim.errors import InputError
from preclaim.store.auth import upsert_authorization
from preclaim.store.claims import Outcome
from preclaim.store.db import Store


class Decision(Protocol):
    """What PasDecision (fhir.pas_response) and Decision278 (edi.x12.x278) both carry."""

    @property
    def action(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def number(self) -> str | None: ...
    @property
    def start(self) -> dt.date | None: ...
    @property
    def end(self) -> dt.date | None: ...
    @property
    def code(self) -> str | None: ...
    @property
    def quantity(self) -> float | None: ...
    @property
    def patient_key(self) -> str | None: ...
    @property
    def payer_id(self) -> str | None: ...


def to_authorization(
    decision: Decision,
    *,
    where: str,
    patient_key: str | None = None,
    payer_id: str | None = None,
    code: str | None = None,
    received: dt.date,
) -> Authorization:
    """The authorization a decision stands for; options given by the user win over the response's values."""
    number = decision.number
    if not number:
        raise InputError(f"decision {decision.action} carries no authorization number", where=where)
    payer = payer_id or decision.payer_id
    service = code or decision.code
    if not payer:
        raise InputError("the response names no payer; give it with --payer", where=where)
    if not service:
        raise InputError("the response names no service code; give it with --code (e.g. J3420)", where=where)
    start = decision.start or received
    return Authorization(
        number=number,
        payer_id=payer,
        code=service,
        start=start,
        end=decision.end or start,
        approved_units=decision.quantity if decision.status in ("approved", "partial") else 0,
        patient_key=patient_key or decision.patient_key,
        status=decision.status,  # type: ignore[arg-type]  # REVIEW_ACTIONS maps to AuthorizationStatus values
    )


class Recorded(NamedTuple):
    authorization: Authorization | None  # None: skipped (see `skipped`)
    outcome: Outcome | None
    action: str
    skipped: str | None = None  # why nothing was recorded (e.g. a denial without a number)


def record_decisions(
    store: Store,
    decisions: Sequence[Decision],
    *,
    source: str,
    where: str,
    received: dt.date,
    patient_key: str | None = None,
    payer_id: str | None = None,
    code: str | None = None,
) -> list[Recorded]:
    """Store every decision that carries an authorization number, in one transaction (all or none);
    decisions without a number (e.g. a line denied outright) are reported as skipped."""
    planned: list[Recorded] = []
    for n, decision in enumerate(decisions, start=1):
        if not decision.number:
            why = f"decision {n} ({decision.action}, {decision.code or 'no code'}) carries no authorization number"
            planned.append(Recorded(None, None, decision.action, why))
        else:
            auth = to_authorization(
                decision, where=where, patient_key=patient_key, payer_id=payer_id, code=code, received=received
            )
            planned.append(Recorded(auth, None, decision.action))
    results = []
    with store.transaction() as session:
        for item in planned:
            if item.authorization is None:
                results.append(item)
                continue
            note = f"{source} review action {item.action}"
            outcome = upsert_authorization(session, item.authorization, source=source, note=note)[1]
            results.append(item._replace(outcome=outcome))
    return results
