"""Helpers for the audit tests: small invented claim-line exports."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

HEADER = (
    "claim_id", "payer_id", "payer_name", "filing_indicator", "billing_state", "patient_key", "birth_date", "sex",
    "place_of_service", "diagnoses", "diagnosis_pointers", "date_of_service", "line", "code", "units", "modifiers",
    "ndc", "ndc_quantity", "ndc_unit", "charge",
)  # fmt: skip


def medicare_fl_claim(claim_id: str, patient: str, day: str, **extra: Any) -> list[dict[str, Any]]:
    """A J3420 + 96372 claim to First Coast (Medicare, FL) with a covered pernicious-anemia diagnosis."""
    base = {
        "claim_id": claim_id, "payer_id": "09102", "payer_name": "First Coast Service Options",
        "filing_indicator": "MB", "billing_state": "FL", "patient_key": patient, "birth_date": "1950-02-03",
        "sex": "F", "place_of_service": "11", "diagnoses": "D51.0", "diagnosis_pointers": "1",
        "date_of_service": day,
    }  # fmt: skip
    return [
        base | {"line": 1, "code": "96372", "units": 1, "charge": "25.00"},
        base
        | {
            "line": 2,
            "code": "J3420",
            "units": 1,
            "modifiers": "JZ",
            "ndc": "00517003125",
            "ndc_quantity": 1,
            "ndc_unit": "ML",
            "charge": "12.00",
        }
        | extra,
    ]


def write_csv(path: Path, rows: list[dict[str, Any]], header: tuple[str, ...] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})
    return path
