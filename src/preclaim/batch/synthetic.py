"""Invented claim-line exports for benchmarks and tests: deterministic, pseudonymous, with known problems mixed in.

Every patient gets B12 injections (J3420 + 96372, sometimes an E/M visit with modifier 25) every few weeks
under one of the bundled policies' payers. A share of claims carries the problems an audit looks for:
injections too close together, too many units, J3424 (IV hydroxocobalamin) billed for B12, no diagnosis, a missing JZ.
No real person, payer member or provider is described.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

# (payer_id, payer_name, filing indicator, billing state): each matches a bundled policy
PAYERS = (
    ("09102", "First Coast Service Options", "MB", "FL"),
    ("01112", "Medicare Part B", "MB", "CA"),
    ("60054", "Aetna", "CI", "TX"),
    ("DEMO1", "Demo Health Plan", "CI", "OH"),
    ("77027", "Florida Medicaid", "MC", "FL"),
)
DIAGNOSES = ("D51.0", "D51.8", "E53.8", "K90.0", "D51.3", "R53.83")
NDCS = ("00517003125", "63323004401", "67457043910")
START = dt.date(2021, 1, 4)
DAYS = 4 * 365
BATCH_ROWS = 100_000


def _claim_lines(rng: random.Random, patient: int, claim_no: int, day: dt.date) -> list[dict[str, Any]]:
    payer_id, payer_name, filing, state = PAYERS[patient % len(PAYERS)]
    problem = rng.random()
    drug_code = "J3424" if problem < 0.01 else "J3420"
    units = 2.0 if problem < 0.04 else 1.0
    diagnoses = "" if 0.04 <= problem < 0.06 else " ".join(rng.sample(DIAGNOSES, k=rng.randint(1, 2)))
    base = {
        "claim_id": f"C{patient:07d}-{claim_no:04d}",
        "payer_id": payer_id,
        "payer_name": payer_name,
        "filing_indicator": filing,
        "billing_state": state,
        "billing_npi": "1234567893",
        "patient_key": f"PT-{patient:07d}",
        "birth_date": dt.date(1940 + patient % 50, 1 + patient % 12, 1 + patient % 28),
        "sex": "FM"[patient % 2],
        "place_of_service": "11",
        "diagnoses": diagnoses,
        "date_of_service": day,
        "submitted_on": day + dt.timedelta(days=rng.randint(1, 20)),
    }
    lines = [
        base | {"line": 1, "code": "96372", "units": 1.0, "charge": "25.00", "modifiers": "", "ndc": None},
        base
        | {
            "line": 2,
            "code": drug_code,
            "units": units,
            "charge": "12.00",
            "modifiers": "" if 0.06 <= problem < 0.08 else "JZ",
            "ndc": rng.choice(NDCS),
            "ndc_quantity": 1.0,
            "ndc_unit": "ML",
        },
    ]
    if problem > 0.8:
        lines.append(base | {"line": 3, "code": "99213", "units": 1.0, "charge": "90.00", "modifiers": "25"})
    return [line | {"diagnosis_pointers": "1" if diagnoses else ""} for line in lines]


def claim_lines(total: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """About `total` lines (stops at the first claim boundary at or after it), patient by patient."""
    rng = random.Random(seed)
    made = patient = 0
    while made < total:
        patient += 1
        day = START + dt.timedelta(days=rng.randrange(DAYS // 2))
        for claim_no in range(rng.randint(4, 30)):
            for line in _claim_lines(rng, patient, claim_no, day):
                made += 1
                yield line
            gap = rng.choice((7, 7, 14, 28, 30, 30, 30, 31, 45)) if rng.random() > 0.03 else 2
            day += dt.timedelta(days=gap)
            if made >= total:
                return


_TYPES = {
    "birth_date": pa.date32(),
    "date_of_service": pa.date32(),
    "submitted_on": pa.date32(),
    "units": pa.float64(),
    "ndc_quantity": pa.float64(),
    "line": pa.int32(),
}
_NAMES = (
    "claim_id", "payer_id", "payer_name", "filing_indicator", "billing_state", "billing_npi", "patient_key",
    "birth_date", "sex", "place_of_service", "diagnoses", "diagnosis_pointers", "date_of_service",
    "submitted_on", "line", "code", "units", "charge", "modifiers", "ndc", "ndc_quantity", "ndc_unit",
)  # fmt: skip
SCHEMA = pa.schema([(name, _TYPES.get(name, pa.string())) for name in _NAMES])


def _batches(total: int, seed: int) -> Iterator[pa.RecordBatch]:
    rows: list[dict[str, Any]] = []
    for row in claim_lines(total, seed):
        rows.append(row)
        if len(rows) == BATCH_ROWS:
            yield pa.RecordBatch.from_pylist(rows, schema=SCHEMA)
            rows = []
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=SCHEMA)


def write_lines(path: Path, total: int, seed: int = 7) -> int:
    """Write about `total` lines to a .parquet or .csv file; returns the number of lines written."""
    written = 0
    if path.suffix == ".csv":
        with pacsv.CSVWriter(path, SCHEMA) as csv_writer:
            for batch in _batches(total, seed):
                csv_writer.write_batch(batch)
                written += batch.num_rows
        return written
    with pq.ParquetWriter(path, SCHEMA) as writer:
        for batch in _batches(total, seed):
            writer.write_batch(batch)
            written += batch.num_rows
    return written
