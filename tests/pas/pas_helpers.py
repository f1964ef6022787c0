"""An invented claim for prior-authorization tests (pseudonymous patient, made-up NPIs and payer)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from preclaim.domain import Claim, Diagnosis, Encounter, Lab, Patient, Payer, Provider, ServiceLine
from preclaim.domain.quantity import Quantity


def make_pa_claim() -> Claim:
    labs = (
        Lab("2132-9", 160, "pg/mL", dt.date(2026, 2, 20)),
        Lab("13964-2", 0.6, "umol/L", dt.date(2026, 2, 20)),
    )
    return Claim(
        id="PA-0001",
        payer=Payer("INVENTED-PAYER", "Invented Health Plan"),
        patient=Patient("PAT-77", dt.date(1948, 5, 6), "F", member_id="MEM-0077"),
        place_of_service="11",
        lines=(
            ServiceLine(
                1, "J3420", 1, dt.date(2026, 3, 3), modifiers=("JZ",), charge=Decimal("25.00"), diagnosis_pointers=(1,)
            ),
            ServiceLine(2, "96372", 1, dt.date(2026, 3, 3), charge=Decimal("30.00"), diagnosis_pointers=(1, 2)),
        ),
        diagnoses=(Diagnosis("D510"), Diagnosis("E53.8")),
        billing_provider=Provider(npi="1234567893", name="Invented Clinic", state="FL"),
        rendering_provider=Provider(npi="1245319599"),
        encounter=Encounter(
            dose=Quantity(1000, "mcg"), route="IM", phase="loading", failed_oral_therapy=True, labs=labs
        ),
    )
