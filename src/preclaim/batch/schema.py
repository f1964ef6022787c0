"""The claim-line export that `preclaim audit` reads, and the findings/claims tables it writes.

Input: one row per service line. Column names match the history CSV of `preclaim history import`
(docs/store.md), so one export feeds both. Outputs are Arrow tables so Parquet, CSV and Spark share
one schema.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    sql_type: str  # DuckDB type the text or Parquet value is cast to
    expected: str  # what a user should have put there, for error messages
    required: bool = False


_TEXT = "text"
COLUMNS: tuple[Column, ...] = (
    Column("claim_id", "VARCHAR", "a claim id (CLM01)", True),
    Column("payer_id", "VARCHAR", "a payer id", True),
    Column("patient_key", "VARCHAR", "a pseudonymous patient key", True),
    Column("date_of_service", "DATE", "a date YYYY-MM-DD", True),
    Column("code", "VARCHAR", "a HCPCS/CPT code", True),
    Column("units", "DOUBLE", "a number > 0", True),
    Column("line", "INTEGER", "a line number"),
    Column("modifiers", "VARCHAR", _TEXT),
    Column("charge", "DECIMAL(18,2)", "an amount such as 25.00"),
    Column("diagnoses", "VARCHAR", _TEXT),
    Column("diagnosis_pointers", "VARCHAR", "numbers 1-12"),
    Column("place_of_service", "VARCHAR", _TEXT),
    Column("prior_auth", "VARCHAR", _TEXT),
    Column("line_prior_auth", "VARCHAR", _TEXT),
    Column("frequency_code", "VARCHAR", _TEXT),
    Column("payer_name", "VARCHAR", _TEXT),
    Column("plan", "VARCHAR", _TEXT),
    Column("filing_indicator", "VARCHAR", _TEXT),
    Column("birth_date", "DATE", "a date YYYY-MM-DD"),
    Column("sex", "VARCHAR", "F, M or U"),
    Column("member_id", "VARCHAR", _TEXT),
    Column("billing_npi", "VARCHAR", _TEXT),
    Column("billing_state", "VARCHAR", _TEXT),
    Column("rendering_npi", "VARCHAR", _TEXT),
    Column("ndc", "VARCHAR", _TEXT),
    Column("ndc_quantity", "DOUBLE", "a number"),
    Column("ndc_unit", "VARCHAR", _TEXT),
    Column("dose_mcg", "DOUBLE", "a number"),
    Column("phase", "VARCHAR", "loading or maintenance"),
    Column("submitted_on", "DATE", "a date YYYY-MM-DD"),
    Column("date_of_service_end", "DATE", "a date YYYY-MM-DD"),
)
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
BY_NAME = {c.name: c for c in COLUMNS}
# Internal: a whole claim as msgspec JSON, for inputs richer than a line export (837P). When set, the
# line columns of that row only place the claim (patient, payer, claim id, first date of service).
CLAIM_JSON = "claim_json"

FINDINGS = pa.schema(
    [
        ("patient_key", pa.string()),
        ("payer_id", pa.string()),
        ("claim_id", pa.string()),
        ("date_of_service", pa.date32()),
        ("verdict", pa.string()),
        ("line", pa.int32()),
        ("rule", pa.string()),
        ("severity", pa.string()),
        ("message", pa.string()),
        ("carc", pa.string()),
        ("rarc", pa.string()),
        ("fix", pa.string()),
        ("cure", pa.string()),
        ("source_id", pa.string()),
        ("source_version", pa.string()),
        ("source_url", pa.string()),
    ]
)
CLAIMS = pa.schema(
    [
        ("patient_key", pa.string()),
        ("payer_id", pa.string()),
        ("claim_id", pa.string()),
        ("date_of_service", pa.date32()),
        ("lines", pa.int32()),
        ("verdict", pa.string()),  # clean | fix | deny | error (the claim could not be checked)
        ("prior_auth", pa.string()),
        ("findings", pa.int32()),
        ("errors", pa.int32()),
        ("history_claims", pa.int32()),
        ("policies", pa.string()),
        ("problem", pa.string()),
    ]
)


def _order(schema: pa.Schema, *first: str) -> tuple[str, ...]:
    """Sort keys: the natural ones, then every other column, so equal keys never leave the order to chance."""
    return (*first, *(name for name in schema.names if name not in first))


FINDINGS_ORDER = _order(FINDINGS, "patient_key", "date_of_service", "payer_id", "claim_id", "line", "rule")
CLAIMS_ORDER = _order(CLAIMS, "patient_key", "date_of_service", "payer_id", "claim_id")
