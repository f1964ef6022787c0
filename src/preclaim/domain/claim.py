"""The claim as preclaim sees it: what an 837P (or a JSON form) carries, plus encounter facts when known.

Models are frozen msgspec Structs: cheap to build from X12 (hot path), strict to decode from JSON
(unknown fields and wrong types are rejected with the path to the field).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import msgspec

from preclaim.domain.encounter import Encounter

DiagnosisSystem = Literal["icd10", "icd9"]


class Diagnosis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One diagnosis in claim order (HI position 1..12). `code` is kept as sent, with or without the dot."""

    code: str
    system: DiagnosisSystem = "icd10"


class Ndc(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """National Drug Code reported for a drug line (837P loop 2410 LIN*N4 + CTP)."""

    code: str
    quantity: float | None = None
    unit: str | None = None  # CTP05-1: F2, GR, ME, ML, UN


class Provider(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    npi: str | None = None
    name: str | None = None
    state: str | None = None  # billing provider N4 state: the Medicare jurisdiction key
    taxonomy: str | None = None


class Patient(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Pseudonymous patient: a key, never a name."""

    key: str
    birth_date: dt.date | None = None
    sex: Literal["F", "M", "U"] | None = None
    member_id: str | None = None


class Payer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    name: str | None = None


class ServiceLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    number: int
    code: str
    units: float
    date_of_service: dt.date
    modifiers: tuple[str, ...] = ()
    charge: Decimal | None = None
    date_of_service_end: dt.date | None = None
    diagnosis_pointers: tuple[int, ...] = ()
    ndc: Ndc | None = None
    place_of_service: str | None = None  # only when it differs from the claim's
    description: str | None = None  # SV101-07, required with NOC codes such as J3490
    code_qualifier: str = "HC"
    unit_basis: str = "UN"
    prior_auth: str | None = None  # line-level REF*G1
    rx_number: str | None = None  # REF*XZ


class Claim(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    payer: Payer
    patient: Patient
    place_of_service: str
    lines: tuple[ServiceLine, ...]
    diagnoses: tuple[Diagnosis, ...] = ()
    plan: str | None = None
    filing_indicator: str | None = None  # SBR09: MB, MC, CI, HM, 16, BL, ...
    billing_provider: Provider = Provider()
    rendering_provider: Provider | None = None
    prior_auth: str | None = None  # REF*G1
    frequency_code: str = "1"  # CLM05-3: 1 original, 7 replacement, 8 void
    charge: Decimal | None = None
    submitted_on: dt.date | None = None  # for timely filing; the engine uses as_of when absent
    notes: tuple[str, ...] = ()  # NTE
    k3: tuple[str, ...] = ()  # K3 (CRD coverage-assertion-id travels here)
    encounter: Encounter | None = None
    payer_claim_number: str | None = None  # REF*F8: the payer's claim control number, for a replacement or void

    @property
    def first_date_of_service(self) -> dt.date | None:
        # A plain loop, not min() over a generator: every check asks, and claims have one to a few lines.
        first: dt.date | None = None
        for line in self.lines:
            if first is None or line.date_of_service < first:
                first = line.date_of_service
        return first

    def diagnosis_at(self, pointer: int) -> Diagnosis | None:
        """Diagnosis for a 1-based SV1-07 pointer, or None when the pointer points nowhere."""
        if 1 <= pointer <= len(self.diagnoses):
            return self.diagnoses[pointer - 1]
        return None
