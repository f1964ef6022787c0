"""What is known about a patient before this claim: earlier administrations, claims and authorizations."""

from __future__ import annotations

import datetime as dt
from typing import Literal, Protocol

import msgspec

from preclaim.domain.claim import Claim
from preclaim.domain.encounter import Phase
from preclaim.domain.limits import Identifier, ProcedureCode, Quantity
from preclaim.domain.quantity import Quantity as Amount

AuthorizationStatus = Literal["approved", "partial", "denied", "pended", "cancelled", "expired", "requested"]


class Administration(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One earlier injection (from a chart export or an earlier claim line)."""

    patient_key: Identifier
    date: dt.date
    code: ProcedureCode
    units: Quantity = 1
    dose: Amount | None = None
    phase: Phase | None = None
    claim_id: Identifier | None = None
    payer_id: Identifier | None = None


class Authorization(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    number: Identifier
    payer_id: Identifier
    code: ProcedureCode
    start: dt.date
    end: dt.date
    approved_units: Quantity | None = None
    patient_key: Identifier | None = None
    used_units: Quantity = 0
    status: AuthorizationStatus = "approved"

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def units_left(self) -> float | None:
        return None if self.approved_units is None else self.approved_units - self.used_units


class History(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    administrations: tuple[Administration, ...] = ()
    claims: tuple[Claim, ...] = ()
    authorizations: tuple[Authorization, ...] = ()

    def for_patient(self, patient_key: str) -> History:
        return History(
            administrations=tuple(a for a in self.administrations if a.patient_key == patient_key),
            claims=tuple(c for c in self.claims if c.patient.key == patient_key),
            authorizations=tuple(a for a in self.authorizations if a.patient_key in (None, patient_key)),
        )


EMPTY_HISTORY = History()


class PatientHistories(Protocol):
    """Anything that can give one patient's history: a History, or the store (loaded patient by patient)."""

    def for_patient(self, patient_key: str) -> History: ...
