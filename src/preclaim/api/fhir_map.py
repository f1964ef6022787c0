"""Map a FHIR R4 order (MedicationRequest, ServiceRequest or Appointment) + Coverage + Patient to a Claim.

Works on plain JSON dicts (no model validation on the hot path). What a draft order cannot say (place of
service, charges) takes the defaults an office visit would have; what it does say (drug, dose, reasons,
payer, plan, filing indicator) is carried over so the engine answers for this patient's plan.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from preclaim.api.fhir_codes import (
    ICD10,
    LOINC_SERUM_B12,
    NDC_SYSTEM,
    Resource,
    as_list,
    bounded,
    codings,
    dicts,
    filing_indicator,
    medication_concept,
    obj,
    optional,
    order_drug,
    ref,
    route_of,
    system_of,
)
from preclaim.codes.drugs import bundled_catalog
from preclaim.domain.claim import Claim, Diagnosis, Ndc, Patient, Payer, Provider, ServiceLine
from preclaim.domain.encounter import Encounter, Lab
from preclaim.domain.limits import ICD_CODE, IDENTIFIER, NDC_CODE, TEXT
from preclaim.domain.quantity import Quantity
from preclaim.errors import InputError
from preclaim.io.legacy import legacy_amount


def _mcg(qty: Any) -> float | None:
    if not isinstance(qty, dict) or not isinstance(qty.get("value"), int | float):
        return None
    unit = str(qty.get("code") or qty.get("unit") or "").lower()
    factor = {"ug": 1.0, "mcg": 1.0, "µg": 1.0, "mg": 1000.0}.get(unit)
    return None if factor is None else float(qty["value"]) * factor  # mL etc.: the strength is not ours to guess


def dose_mcg(order: Resource) -> float | None:
    """MedicationRequest dosageInstruction doseQuantity, or a ServiceRequest's quantityQuantity, in mcg."""
    for dosage in dicts(order.get("dosageInstruction")):
        for rate in dicts(dosage.get("doseAndRate")):
            if "doseQuantity" in rate:
                return _mcg(rate["doseQuantity"])
    return _mcg(order.get("quantityQuantity"))


def fhir_date(value: Any) -> dt.date | None:
    """The date of a FHIR date/dateTime string, or None when it is not one."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def service_date(order: Resource, today: dt.date) -> dt.date:
    candidates = [order.get("occurrenceDateTime"), order.get("start"), order.get("authoredOn")]
    for dosage in dicts(order.get("dosageInstruction")):
        bounds = obj(obj(obj(dosage.get("timing")).get("repeat")).get("boundsPeriod"))
        candidates.insert(0, bounds.get("start"))
    return next((day for value in candidates if (day := fhir_date(value)) is not None), today)


def plan_of(coverage: Resource) -> str | None:
    for item in dicts(coverage.get("class")):
        if any(c.get("code") == "plan" for c in codings(item.get("type"))):
            return optional(str(item["value"]) if item.get("value") else None, TEXT, "Coverage.class.value")
    return None


def payer_of(coverage: Resource, related: dict[str, Resource]) -> Payer:
    payors = [p for p in as_list(coverage.get("payor")) if isinstance(p, dict)]
    if not payors:
        raise InputError("Coverage has no payor", where="Coverage.payor")
    ref = payors[0]
    org = related.get(str(ref.get("reference", ""))) or {}
    ident = _first_identifier(ref.get("identifier")) or _first_identifier(org.get("identifier"))
    name = optional(str(org.get("name") or ref.get("display") or "") or None, TEXT, "Coverage.payor (name)")
    ref_id = str(ref.get("reference", "")).rpartition("/")[2]
    payer_id = bounded(ident or ref_id or name or "unknown", IDENTIFIER, "Coverage.payor (identifier)")
    return Payer(id=payer_id, name=name)


def state_of(*resources: Resource | None) -> str | None:
    for resource in resources:
        for address in as_list((resource or {}).get("address")):
            if isinstance(address, dict) and address.get("state"):
                return bounded(str(address["state"]).upper(), IDENTIFIER, "address.state")
    return None


def diagnoses(order: Resource) -> tuple[Diagnosis, ...]:
    found = [str(c["code"]) for c in codings(order.get("reasonCode")) if system_of(c) in ICD10 and c.get("code")]
    where = f"{order.get('resourceType')}.reasonCode.coding.code"
    return tuple(Diagnosis(code=bounded(code, ICD_CODE, where)) for code in dict.fromkeys(found))[:12]


def serum_b12_labs(observations: list[Resource]) -> tuple[Lab, ...]:
    labs = []
    for obs in observations:
        if not any(c.get("code") == LOINC_SERUM_B12 for c in codings(obs.get("code"))):
            continue
        qty, day = obj(obs.get("valueQuantity")), fhir_date(obs.get("effectiveDateTime") or obs.get("issued"))
        if isinstance(qty.get("value"), int | float) and day is not None:
            unit = bounded(str(qty.get("unit") or "pg/mL"), IDENTIFIER, "Observation.valueQuantity.unit")
            labs.append(Lab(LOINC_SERUM_B12, float(qty["value"]), unit, day))
    return tuple(labs)


def to_claim(
    order: Resource,
    coverage: Resource,
    patient: Resource | None,
    related: dict[str, Resource],
    today: dt.date,
    observations: list[Resource] = [],  # noqa: B006 - read only
) -> Claim:
    drug = order_drug(order, related) or "cyanocobalamin"
    day = service_date(order, today)
    # An appointment says when; the order it is based on (when we have it) says what, how much and why.
    basis = related.get(_basis_ref(order), {})
    detail = basis if order.get("resourceType") == "Appointment" and basis else order
    dose = dose_mcg(detail)
    dx = diagnoses(detail) or diagnoses(order) or diagnoses(basis)
    pointers = tuple(range(1, min(len(dx), 4) + 1))
    ndc = optional(
        next(
            (str(c["code"]) for c in codings(medication_concept(detail, related)) if c.get("system") == NDC_SYSTEM),
            None,
        ),
        NDC_CODE,
        "medication code (NDC)",
    )
    other = bundled_catalog().drug(drug) if drug not in ("cyanocobalamin", "hydroxocobalamin") else None
    if other is not None:  # another catalog drug: its own code, units from its billing unit
        code, description = other.hcpcs, None
        units = other.units_for(Quantity(dose, "mcg")) if dose else 1
    else:
        code = "J3420" if drug == "cyanocobalamin" else "J3490"
        units = max(1, math.ceil(dose / 1000)) if dose else 1
        description = None if drug == "cyanocobalamin" else f"{drug} {dose:g} mcg" if dose else drug
    drug_line = ServiceLine(
        number=1,
        code=code,
        units=units,
        date_of_service=day,
        diagnosis_pointers=pointers,
        ndc=Ndc(ndc) if ndc else None,
        description=description,
    )
    admin = ServiceLine(number=2, code="96372", units=1, date_of_service=day, diagnosis_pointers=pointers)
    requester = related.get(ref(detail.get("requester")))
    return Claim(
        id=bounded(f"{order.get('resourceType')}/{order.get('id')}", IDENTIFIER, "order id"),
        payer=payer_of(coverage, related),
        patient=_patient(patient, coverage),
        place_of_service="11",
        lines=(drug_line, admin),
        diagnoses=dx,
        plan=plan_of(coverage),
        filing_indicator=filing_indicator(coverage),
        billing_provider=Provider(state=state_of(requester, patient)),
        submitted_on=max(day, today),  # an order is billed once given: not before its service date
        encounter=Encounter(
            dose=legacy_amount(dose),
            route=route_of(detail),
            order_on_file=True,
            drug=drug if other is None else other.substance,
            labs=serum_b12_labs(observations),
        ),
    )


def _patient(patient: Resource | None, coverage: Resource) -> Patient:
    p = patient or {}
    born = p.get("birthDate")
    sex = {"female": "F", "male": "M"}.get(str(p.get("gender")), "U" if p.get("gender") else None)
    birth = fhir_date(born)
    key = str(p.get("id") or ref(coverage.get("beneficiary")).rpartition("/")[2] or "unknown")
    member = coverage.get("subscriberId") or _first_identifier(coverage.get("identifier"))
    return Patient(
        key=bounded(key, IDENTIFIER, "Patient.id"),
        birth_date=birth,
        sex=sex,  # type: ignore[arg-type]
        member_id=optional(str(member) if member else None, IDENTIFIER, "Coverage.subscriberId"),
    )


def _basis_ref(order: Resource) -> str:
    based = [b for b in as_list(order.get("basedOn")) if isinstance(b, dict)]
    return str(based[0].get("reference", "")) if based else ""


def _first_identifier(value: Any) -> str | None:
    for ident in as_list(value):
        if isinstance(ident, dict) and ident.get("value"):
            return str(ident["value"])
    return None
