"""History CSV: one row per service line (rows of one claim share claim_id and payer_id), or, with an empty
claim_id, one chart administration. The columns are documented in docs/store.md.

The whole file is read and checked before anything is stored, so a bad row stores nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from preclaim.domain import (
    Administration,
    Claim,
    Diagnosis,
    Encounter,
    Ndc,
    Patient,
    Payer,
    Provider,
    ServiceLine,
)
from preclaim.domain.quantity import Quantity, QuantityError
from preclaim.errors import InputError
from preclaim.io.legacy import legacy_amount
from preclaim.store.csv_rows import Row, csv_errors

REQUIRED = ("claim_id", "payer_id", "patient_key", "date_of_service", "code", "units")
OPTIONAL = (
    "line",
    "modifiers",
    "charge",
    "diagnoses",
    "diagnosis_pointers",
    "place_of_service",
    "prior_auth",
    "line_prior_auth",
    "frequency_code",
    "payer_name",
    "plan",
    "filing_indicator",
    "birth_date",
    "sex",
    "member_id",
    "billing_npi",
    "billing_state",
    "rendering_npi",
    "ndc",
    "ndc_quantity",
    "ndc_unit",
    "dose",
    "dose_mcg",
    "phase",
    "submitted_on",
)
PHASES = ("loading", "maintenance")


def _dose(row: Row) -> Quantity | None:
    """The `dose` column ("30 mg", "1000 mcg"), else the older `dose_mcg` column (a number of mcg)."""
    text = row.text("dose")
    if text is None:
        return legacy_amount(row.number("dose_mcg"))
    try:
        return Quantity.parse(text)
    except QuantityError as exc:
        raise InputError(f"column 'dose': {exc}", where=row.where) from None


def _encounter(row: Row) -> Encounter | None:
    dose, phase = _dose(row), row.text("phase")
    if phase is not None and phase not in PHASES:
        raise InputError(f"column 'phase': found {phase!r}, expected one of {', '.join(PHASES)}", where=row.where)
    return Encounter(dose=dose, phase=phase) if dose is not None or phase else None  # type: ignore[arg-type]


def _line(row: Row, default_number: int) -> ServiceLine:
    units = row.number("units")
    if units is None or units <= 0:
        raise InputError(f"column 'units': found {row.text('units')!r}, expected a number > 0", where=row.where)
    ndc_code = row.text("ndc")
    ndc = Ndc(ndc_code, row.number("ndc_quantity"), row.text("ndc_unit")) if ndc_code else None
    pointers = row.parse("diagnosis_pointers", lambda v: tuple(int(p) for p in v.split()), "numbers 1-12")
    line_no = row.parse("line", int, "a line number")
    return ServiceLine(
        number=line_no if line_no is not None else default_number,
        code=row.required("code").upper(),
        units=units,
        date_of_service=row.date("date_of_service"),  # type: ignore[arg-type]  # required, checked by caller
        modifiers=tuple(m.upper() for m in row.words("modifiers")),
        charge=row.amount("charge"),
        diagnosis_pointers=pointers or (),
        ndc=ndc,
        prior_auth=row.text("line_prior_auth"),
    )


def _claim(rows: list[Row]) -> Claim:
    first = rows[0]
    for row in rows[1:]:
        if row.text("patient_key") != first.text("patient_key"):
            raise InputError("patient_key differs from earlier rows of the same claim", where=row.where)
    lines = tuple(_line(row, n) for n, row in enumerate(rows, start=1))
    numbers = [(line.number, line.date_of_service) for line in lines]
    if len(set(numbers)) != len(numbers):
        raise InputError("two rows of this claim have the same line number and date", where=rows[-1].where)

    def pick(name: str) -> str | None:
        return next((v for v in (r.text(name) for r in rows) if v), None)

    sex = pick("sex")
    if sex is not None and sex not in ("F", "M", "U"):
        raise InputError(f"column 'sex': found {sex!r}, expected F, M or U", where=first.where)
    rendering = pick("rendering_npi")
    return Claim(
        id=first.required("claim_id"),
        payer=Payer(first.required("payer_id"), pick("payer_name")),
        patient=Patient(first.required("patient_key"), first.date("birth_date"), sex, pick("member_id")),  # type: ignore[arg-type]
        place_of_service=pick("place_of_service") or "11",
        lines=lines,
        diagnoses=tuple(Diagnosis(code.upper()) for code in first.words("diagnoses")),
        plan=pick("plan"),
        filing_indicator=pick("filing_indicator"),
        billing_provider=Provider(npi=pick("billing_npi"), state=pick("billing_state")),
        rendering_provider=Provider(npi=rendering) if rendering else None,
        prior_auth=pick("prior_auth"),
        frequency_code=pick("frequency_code") or "1",
        submitted_on=first.date("submitted_on"),
        encounter=_encounter(first),
    )


def _administration(row: Row) -> Administration:
    units = row.number("units")
    enc = _encounter(row)
    return Administration(
        patient_key=row.required("patient_key"),
        date=row.date("date_of_service"),  # type: ignore[arg-type]  # required, checked by caller
        code=row.required("code").upper(),
        units=1 if units is None else units,
        dose=enc.dose if enc else None,
        phase=enc.phase if enc else None,
        payer_id=row.text("payer_id"),
    )


def _rows(path: Path) -> Iterator[Row]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        with csv_errors(path, reader):
            yield from _checked_rows(path, reader)


def _checked_rows(path: Path, reader: csv.DictReader[str]) -> Iterator[Row]:
    header = [h.strip().lower() for h in reader.fieldnames or ()]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        found = ", ".join(header) or "none"
        raise InputError(f"missing column(s) {', '.join(missing)}; found {found}", where=f"{path}:1")
    reader.fieldnames = header
    for number, values in enumerate(reader, start=2):
        if None in values:  # DictReader files surplus fields under None
            extra = len(values[None])
            raise InputError(
                f"{len(header) + extra} fields, but the header has {len(header)}", where=f"{path}:{number}"
            )
        row = Row(f"{path}:{number}", {k: v for k, v in values.items() if k is not None and v is not None})
        row.required("date_of_service")
        row.date("date_of_service")
        yield row


def read_history_csv(path: Path) -> tuple[list[Claim], list[Administration]]:
    """Every claim (rows grouped by payer_id + claim_id, in first-seen order) and chart administration."""
    groups: dict[tuple[str, str], list[Row]] = {}
    administrations: list[Administration] = []
    for row in _rows(path):
        claim_id = row.text("claim_id")
        if claim_id is None:
            administrations.append(_administration(row))
        else:
            groups.setdefault((row.required("payer_id"), claim_id), []).append(row)
    return [_claim(rows) for rows in groups.values()], administrations
