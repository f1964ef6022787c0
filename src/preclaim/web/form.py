"""The claim/encounter form: browser fields -> a Claim and History, and findings -> the fields they concern.

Field errors name the field and what was expected; nothing is guessed (an empty field stays unknown).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from math import ceil
from typing import Any

import msgspec

from preclaim.codes.drug_model import Drug, DrugCatalog
from preclaim.codes.drugs import bundled_catalog
from preclaim.domain.claim import Claim, Diagnosis, Ndc, Patient, Payer, Provider, ServiceLine
from preclaim.domain.encounter import Encounter, Lab
from preclaim.domain.history import Administration, History
from preclaim.domain.quantity import Quantity, Unit
from preclaim.domain.report import Finding
from preclaim.drug_choice import amount_of
from preclaim.errors import InputError
from preclaim.io.legacy import lab_loinc, legacy_amount
from preclaim.rules.catalog import catalog

DIAGNOSIS_FIELDS = ("dx1", "dx2", "dx3", "dx4")
YES_NO = {"yes": True, "no": False, "": None}
VIALS = ("single-dose", "multi-dose")
ROUTES = ("IM", "SC", "IV", "oral", "nasal")
PHASES = ("loading", "maintenance")
NDC_UNITS = ("ML", "UN", "F2", "GR", "ME")
FILING_INDICATORS = {
    "MB": "Medicare Part B",
    "MC": "Medicaid",
    "16": "Medicare Advantage (HMO)",
    "HM": "HMO",
    "CI": "Commercial",
    "BL": "Blue Cross/Blue Shield",
}
GENERAL = "general"
LABELS = {  # what the error summary calls each field: its label on the page, never the field's internal name
    "payer_id": "Payer ID",
    "date_of_service": "Date of service",
    "units": "Units",
    "charge": "Charge",
    "dx1": "Diagnosis 1",
    "recent": "Recent B12 injections",
    "as_of": "Check as of",
    "birth_date": "Date of birth",
    "b12_date": "Serum B12 date",
    "b12_value": "Serum B12",
    "mma_date": "Methylmalonic acid date",
    "mma_value": "Methylmalonic acid",
    "dose": "Dose given",
    "wasted": "Amount wasted",
    "ndc_qty": "NDC quantity",
    "ndc_unit": "NDC unit",
    "vial_type": "Vial",
    "route": "Route",
    "phase": "Phase",
    "order_on_file": "Signed order on file",
    "abn_on_file": "Signed ABN on file",
    "failed_oral": "Oral B12 tried and failed",
    "claim_id": "Claim number",
}


@dataclass
class ParsedForm:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    claim: Claim | None = None
    history: History = field(default_factory=History)
    as_of: dt.date | None = None


def field_of(finding: Finding) -> str:
    """The form field a finding is shown next to, from the rule catalog; GENERAL when it names none."""
    return catalog().field_of(finding.rule) or GENERAL


def findings_by_field(findings: tuple[Finding, ...]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(field_of(f), []).append(f)
    return out


class _Reader:
    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = {k: str(v).strip() for k, v in values.items()}
        self.errors: dict[str, str] = {}

    def text(self, name: str) -> str | None:
        return self.values.get(name) or None

    def date(self, name: str, required: bool = False) -> dt.date | None:
        raw = self.text(name)
        if raw is None:
            if required:
                self.errors[name] = "required: a date (YYYY-MM-DD)"
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.errors[name] = f"{raw!r} is not a date; expected YYYY-MM-DD"
            return None

    def number(self, name: str, positive: bool = True) -> float | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            value = float(raw)
        except ValueError:
            self.errors[name] = f"{raw!r} is not a number"
            return None
        if positive and value < 0:
            self.errors[name] = "must not be negative"
            return None
        return value

    def choice(self, name: str, allowed: tuple[str, ...]) -> Any:
        raw = self.text(name)
        if raw is not None and raw not in allowed:
            self.errors[name] = f"{raw!r} is not one of {', '.join(allowed)}"
            return None
        return raw

    def flag(self, name: str) -> bool | None:
        raw = (self.text(name) or "").lower()
        if raw not in YES_NO:
            self.errors[name] = "expected yes, no or empty"
        return YES_NO.get(raw)


def _labs(r: _Reader) -> tuple[Lab, ...]:
    labs = []
    for prefix, name, unit in (("b12", "serum_b12", "pg/mL"), ("mma", "methylmalonic_acid", "nmol/L")):
        value, day = r.number(f"{prefix}_value"), r.date(f"{prefix}_date")
        if value is not None and day is None and f"{prefix}_date" not in r.errors:
            r.errors[f"{prefix}_date"] = "the lab date is needed with the result"
        if value is not None and day is not None:
            labs.append(Lab(loinc=lab_loinc(name) or name, value=value, unit=unit, date=day))
    return tuple(labs)


def _amount(r: _Reader, name: str, drug: Drug | None) -> Quantity | None:
    """An amount as typed ('30 mg', '1 g'; a bare number is in the drug's billing measure), or the older
    `<name>_mcg` field (a number of micrograms) that saved links and bookmarks still carry."""
    if r.text(name) is None:
        return legacy_amount(r.number(f"{name}_mcg"))
    measure: Unit = drug.per_unit.unit if drug is not None and drug.per_unit.is_mass else "mcg"
    try:
        return amount_of(r.text(name), measure, name, what=LABELS[name].lower(), zero=True)
    except InputError as exc:
        r.errors[name] = exc.message
        return None


def _encounter(r: _Reader, drug: Drug | None) -> Encounter:
    return Encounter(
        dose=_amount(r, "dose", drug),
        wasted=_amount(r, "wasted", drug),
        vial_type=r.choice("vial_type", VIALS),
        route=r.choice("route", ROUTES),
        order_on_file=r.flag("order_on_file"),
        labs=_labs(r),
        abn_on_file=r.flag("abn_on_file"),
        failed_oral_therapy=r.flag("failed_oral"),
        phase=r.choice("phase", PHASES),
        drug=drug.substance if drug is not None else None,
    )


def _recent(r: _Reader, patient: str, payer: str) -> tuple[Administration, ...]:
    """One earlier injection per line: `YYYY-MM-DD` optionally followed by the dose in mcg."""
    out = []
    for n, raw in enumerate((r.text("recent") or "").splitlines(), start=1):
        parts = raw.replace(",", " ").split()
        if not parts:
            continue
        try:
            day = dt.date.fromisoformat(parts[0])
            dose = float(parts[1]) if len(parts) > 1 else None
        except ValueError:
            r.errors["recent"] = f"line {n}: {raw.strip()!r}: expected YYYY-MM-DD and an optional dose in mcg"
            return ()
        units = float(ceil(dose / 1000)) if dose else 1.0
        out.append(Administration(patient, day, "J3420", units, dose=legacy_amount(dose), payer_id=payer))
    return tuple(out)


def _ndc(r: _Reader) -> Ndc | None:
    code = r.text("ndc")
    if code is None:
        return None
    return Ndc(code=code, quantity=r.number("ndc_qty"), unit=r.choice("ndc_unit", NDC_UNITS))


def _lines(r: _Reader, day: dt.date | None, pointers: tuple[int, ...]) -> tuple[ServiceLine, ...]:
    """The drug line (and 96372 when ticked); fields are validated even when the date is not usable."""
    code = (r.text("code") or "J3420").upper()
    units = r.number("units")
    if units is None and "units" not in r.errors:
        r.errors["units"] = "required: units billed (1 per the drug's billing unit, e.g. 1000 mcg for J3420)"
    mods = tuple(m.upper() for m in (r.text("modifiers") or "").replace(",", " ").split())
    charge: Decimal | None = None
    if raw := r.text("charge"):
        try:
            charge = Decimal(raw)
        except InvalidOperation:
            r.errors["charge"] = f"{raw!r} is not an amount"
    if day is None:
        _ndc(r)
        return ()
    drug = ServiceLine(
        number=1,
        code=code,
        units=units or 1,
        date_of_service=day,
        modifiers=mods,
        charge=charge,
        diagnosis_pointers=pointers,
        ndc=_ndc(r),
        prior_auth=None,
    )
    if r.text("admin_96372"):
        admin = ServiceLine(number=1, code="96372", units=1, date_of_service=day, diagnosis_pointers=pointers)
        return (admin, msgspec.structs.replace(drug, number=2))
    return (drug,)


def parse_form(values: Mapping[str, str], drugs: DrugCatalog | None = None) -> ParsedForm:
    """The claim the form describes; `drugs` (the engine's catalog) says in which unit a bare dose is."""
    r = _Reader(values)
    drug = (drugs or bundled_catalog()).drug((r.text("code") or "J3420").upper())
    payer_id = r.text("payer_id") or ""
    if not payer_id:
        r.errors["payer_id"] = "required: the payer id (e.g. 09102, 60054, DEMO1)"
    day = r.date("date_of_service", required=True)
    as_of = r.date("as_of")
    dx = tuple(Diagnosis(code) for f in DIAGNOSIS_FIELDS if (code := r.text(f)))
    if not dx:
        r.errors["dx1"] = "at least one diagnosis (ICD-10-CM)"
    patient = r.text("patient_key") or "WEB-PATIENT"
    birth = r.date("birth_date")
    encounter = _encounter(r, drug)
    history = History(administrations=_recent(r, patient, payer_id))
    lines = _lines(r, day, tuple(range(1, len(dx) + 1)))
    parsed = ParsedForm(r.values, r.errors, history=history, as_of=as_of)
    if r.errors or not day:
        return parsed
    parsed.claim = Claim(
        id=r.text("claim_id") or "WEB-1",
        payer=Payer(payer_id, r.text("payer_name")),
        patient=Patient(patient, birth_date=birth, member_id=r.text("member_id")),
        place_of_service=r.text("place_of_service") or "11",
        lines=lines,
        diagnoses=dx,
        plan=r.text("plan"),
        filing_indicator=r.text("filing_indicator"),
        billing_provider=Provider(
            npi=r.text("provider_npi"), name=r.text("provider_name"), state=r.text("provider_state")
        ),
        prior_auth=r.text("prior_auth"),
        encounter=encounter,
        payer_claim_control_number=r.text("payer_claim_number"),
    )
    return parsed
