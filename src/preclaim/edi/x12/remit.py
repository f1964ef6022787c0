"""835 (005010X221A1) remittance advice as typed, immutable structs.

Names are not kept: the patient is represented by the member id the payer echoed (NM1*QC NM109).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec


class Adjustment(msgspec.Struct, frozen=True):
    """One CAS triplet: group (CO, PR, OA, PI), CARC, amount, and quantity when given."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None

    @property
    def code(self) -> str:
        return f"{self.group}-{self.reason}"


class ServicePayment(msgspec.Struct, frozen=True):
    """Loop 2110: one paid (or denied) service line."""

    qualifier: str
    code: str
    charge: Decimal
    paid: Decimal
    modifiers: tuple[str, ...] = ()
    description: str | None = None
    revenue_code: str | None = None
    units: Decimal | None = None  # SVC05 units paid
    original: str | None = None  # SVC06 composite when the payer changed the code
    original_units: Decimal | None = None
    service_date: dt.date | None = None  # DTM*472
    start: dt.date | None = None  # DTM*150
    end: dt.date | None = None  # DTM*151
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()  # LQ*HE RARCs
    line_control: str | None = None  # REF*6R
    allowed: Decimal | None = None  # AMT*B6


class ClaimPayment(msgspec.Struct, frozen=True):
    """Loop 2100: CLP and what belongs to it."""

    claim_id: str  # CLP01 = the 837 CLM01
    status: str  # CLP02: 1/2/3 processed, 4 denied, 22 reversal, ...
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None = None
    filing_indicator: str | None = None
    payer_claim_number: str | None = None
    facility_code: str | None = None
    frequency_code: str | None = None
    member_id: str | None = None
    adjustments: tuple[Adjustment, ...] = ()
    services: tuple[ServicePayment, ...] = ()
    remarks: tuple[str, ...] = ()  # MOA/MIA remark codes
    statement_start: dt.date | None = None  # DTM*232
    statement_end: dt.date | None = None  # DTM*233

    @property
    def denied(self) -> bool:
        return self.status == "4"

    def all_adjustments(self) -> tuple[Adjustment, ...]:
        return self.adjustments + tuple(a for s in self.services for a in s.adjustments)


class Party(msgspec.Struct, frozen=True):
    """N1*PR payer or N1*PE payee (organisations; no person names are stored)."""

    name: str | None = None
    id_qualifier: str | None = None
    id: str | None = None


class ProviderAdjustment(msgspec.Struct, frozen=True):
    """One PLB reason/amount pair (e.g. WO overpayment recovery, L6 interest)."""

    provider_id: str
    fiscal_period_end: dt.date | None
    reason: str
    reference: str | None
    amount: Decimal


class Remittance(msgspec.Struct, frozen=True):
    """One 835 transaction set: the payment, its trace number and every claim it pays or denies."""

    control_number: str
    handling: str  # BPR01
    total_paid: Decimal  # BPR02
    credit_debit: str | None = None
    method: str | None = None  # BPR04: ACH, CHK, NON, ...
    payment_date: dt.date | None = None  # BPR16
    trace_number: str | None = None  # TRN02 (check or EFT number)
    originator: str | None = None  # TRN03
    production_date: dt.date | None = None  # DTM*405
    payer: Party = Party()
    payee: Party = Party()
    claims: tuple[ClaimPayment, ...] = ()
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()
    warnings: tuple[str, ...] = ()  # values that were ignored (e.g. an impossible date), with their place
