"""Invented claims for store tests (pseudonymous keys, no real people)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from preclaim.domain import Claim, Diagnosis, Patient, Payer, ServiceLine


def make_claim(
    claim_id: str = "CLM-1",
    *,
    patient: str = "PAT-1",
    payer: str = "PAYER-A",
    day: dt.date = dt.date(2026, 3, 2),
    units: float = 1,
    lines: int = 1,
    prior_auth: str | None = None,
    frequency: str = "1",
) -> Claim:
    return Claim(
        id=claim_id,
        payer=Payer(payer, "Invented Health Plan"),
        patient=Patient(patient, dt.date(1950, 1, 1), "F"),
        place_of_service="11",
        lines=tuple(
            ServiceLine(n, "J3420" if n == 1 else "96372", units, day, charge=Decimal("25.00"))
            for n in range(1, lines + 1)
        ),
        diagnoses=(Diagnosis("D51.0"),),
        prior_auth=prior_auth,
        frequency_code=frequency,
    )
