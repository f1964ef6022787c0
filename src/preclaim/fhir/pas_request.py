"""Da Vinci PAS request Bundle (FHIR R4) for a claim: Claim use=preauthorization plus every resource it cites.

Entries (fullUrl urn:uuid, stable for a given claim): Claim first, then Patient, Coverage, the payer and
requesting Organizations, the rendering Practitioner, one MedicationRequest per drug line (RxNorm +
HCPCS codings) or ServiceRequest per other line, and Observations for the labs on the encounter.
Medical-necessity facts travel as Claim.diagnosis (ICD-10-CM) and Claim.supportingInfo.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from preclaim.domain import Claim, Lab, ServiceLine
from preclaim.errors import InputError
from preclaim.fhir.pas_codes import (
    CERTIFICATION_TYPE,
    CPT,
    HCPCS,
    ICD10CM,
    LAB_LOINC,
    LOINC,
    NPI,
    PAS,
    PAS_TEMP_CODES,
    POS,
    ROUTE_SNOMED,
    RXNORM,
    RXNORM_DRUG,
    SERVICE_REQUEST_TYPE,
    SNOMED,
    X12_ENTITY,
    is_drug_code,
)

Json = dict[str, Any]
_NAMESPACE = uuid.UUID("6f1d3c1e-2f55-4a8e-9a43-7e0c3b1f5a21")  # preclaim PAS ids: uuid5(namespace, claim/role)
MEMBER_ID = "urn:preclaim:member-id"
PATIENT_KEY = "urn:preclaim:patient-key"
PAYER_ID = "urn:preclaim:payer-id"
CLAIM_ID = "urn:preclaim:claim-id"


def _ref(claim: Claim, role: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{claim.payer.id}|{claim.id}|{role}')}"


def _coding(system: str, code: str, display: str | None = None) -> Json:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def _concept(*codings: Json, text: str | None = None) -> Json:
    return {"coding": list(codings), **({"text": text} if text else {})}


def _entry(full_url: str, resource: Json, profile: str) -> Json:
    resource = {"resourceType": resource.pop("resourceType"), "id": full_url.rsplit(":", 1)[1],
                "meta": {"profile": [f"{PAS}/StructureDefinition/{profile}"]}, **resource}  # fmt: skip
    return {"fullUrl": full_url, "resource": resource}


def _patient(claim: Claim) -> Json:
    p = claim.patient
    identifiers = [{"system": PATIENT_KEY, "value": p.key}]
    if p.member_id:
        identifiers.append({"system": MEMBER_ID, "value": p.member_id})
    gender = {"F": "female", "M": "male", "U": "unknown"}.get(p.sex or "")
    # Pseudonymous on purpose: the name is masked; the clinic's system fills it in before sending.
    masked = {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "masked"}
    return {"resourceType": "Patient", "identifier": identifiers, "name": [{"extension": [masked]}],
            **({"gender": gender} if gender else {}),
            **({"birthDate": p.birth_date.isoformat()} if p.birth_date else {})}  # fmt: skip


def _organization(identifier: Json | None, name: str | None, entity: str, state: str | None = None) -> Json:
    org: Json = {"resourceType": "Organization", "active": True,
                 "type": [_concept(_coding(X12_ENTITY, entity))]}  # fmt: skip
    if identifier:
        org["identifier"] = [identifier]
    if name:
        org["name"] = name
    if state:
        org["address"] = [{"state": state, "country": "US"}]
    return org


def _coverage(claim: Claim) -> Json:
    cov: Json = {"resourceType": "Coverage", "status": "active", "beneficiary": {"reference": _ref(claim, "patient")},
                 "payor": [{"reference": _ref(claim, "insurer")}]}  # fmt: skip
    if claim.patient.member_id:
        cov["subscriberId"] = claim.patient.member_id
    if claim.plan:
        plan_type = _concept(_coding("http://terminology.hl7.org/CodeSystem/coverage-class", "plan"))
        cov["class"] = [{"type": plan_type, "value": claim.plan}]
    return cov


def _product(line: ServiceLine) -> Json:
    system = CPT if line.code[:1].isdigit() else HCPCS
    return _concept(_coding(system, line.code, line.description))


def _medication_request(claim: Claim, line: ServiceLine, authored: dt.date) -> Json:
    enc = claim.encounter
    drug = (enc.drug if enc and enc.drug else None) or "cyanocobalamin"
    codings = [_coding(HCPCS, line.code)]
    if drug in RXNORM_DRUG:
        codings.insert(0, _coding(RXNORM, RXNORM_DRUG[drug][0], RXNORM_DRUG[drug][1]))
    dosage: Json = {"text": f"{line.code} x {line.units:g} unit(s)"}
    if enc and enc.dose_mcg is not None:
        dose = {"value": enc.dose_mcg, "unit": "mcg", "system": "http://unitsofmeasure.org", "code": "ug"}
        dosage["doseAndRate"] = [{"doseQuantity": dose}]
        dosage["text"] = f"{enc.dose_mcg:g} mcg"
    if enc and enc.route in ROUTE_SNOMED:
        dosage["route"] = _concept(_coding(SNOMED, *ROUTE_SNOMED[enc.route]))
    return {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
            "medicationCodeableConcept": _concept(*codings, text=drug),
            "subject": {"reference": _ref(claim, "patient")}, "authoredOn": authored.isoformat(),
            "requester": {"reference": _ref(claim, "requestor")}, "dosageInstruction": [dosage],
            "dispenseRequest": {"quantity": {"value": line.units, "unit": "unit"}}}  # fmt: skip


def _service_request(claim: Claim, line: ServiceLine) -> Json:
    return {"resourceType": "ServiceRequest", "status": "active", "intent": "order", "code": _product(line),
            "subject": {"reference": _ref(claim, "patient")}, "quantityQuantity": {"value": line.units},
            "requester": {"reference": _ref(claim, "requestor")}}  # fmt: skip


def _observation(claim: Claim, lab: Lab) -> Json:
    code, display = LAB_LOINC[lab.name]
    return {"resourceType": "Observation", "status": "final", "code": _concept(_coding(LOINC, code, display)),
            "subject": {"reference": _ref(claim, "patient")}, "effectiveDateTime": lab.date.isoformat(),
            "valueQuantity": {"value": lab.value, "unit": lab.unit}}  # fmt: skip


def _item(claim: Claim, line: ServiceLine, service_ref: str, has_care_team: bool) -> Json:
    ext = [
        {"url": f"{PAS}/StructureDefinition/extension-certificationType",
         "valueCodeableConcept": _concept(_coding(CERTIFICATION_TYPE, "I", "Initial"))},
        {"url": f"{PAS}/StructureDefinition/extension-serviceItemRequestType",
         "valueCodeableConcept": _concept(_coding(SERVICE_REQUEST_TYPE, "HS", "Health Services Review"))},
        {"url": f"{PAS}/StructureDefinition/extension-requestedService", "valueReference": {"reference": service_ref}},
    ]  # fmt: skip
    place = _concept(_coding(POS, line.place_of_service or claim.place_of_service))
    item: Json = {
        "extension": ext,
        "sequence": line.number,
        "productOrService": _product(line),
        "quantity": {"value": line.units},
        "locationCodeableConcept": place,
    }
    if line.modifiers:
        item["modifier"] = [_concept(_coding(HCPCS if line.code[:1].isalpha() else CPT, m)) for m in line.modifiers]
    if line.date_of_service_end and line.date_of_service_end != line.date_of_service:
        item["servicedPeriod"] = {
            "start": line.date_of_service.isoformat(),
            "end": line.date_of_service_end.isoformat(),
        }
    else:
        item["servicedDate"] = line.date_of_service.isoformat()
    pointers = [p for p in line.diagnosis_pointers if 1 <= p <= len(claim.diagnoses)]
    if pointers:
        item["diagnosisSequence"] = pointers
    if has_care_team:
        item["careTeamSequence"] = [1]
    if line.charge is not None:
        item["net"] = {"value": float(line.charge), "currency": "USD"}
    return item


def _facts_text(claim: Claim) -> str | None:
    """The chart facts a reviewer asks about, as one free-form message (PAS freeFormMessage)."""
    enc = claim.encounter
    if enc is None:
        return None
    facts = {"dose (mcg)": enc.dose_mcg, "wasted (mcg)": enc.wasted_mcg, "vial": enc.vial_type, "route": enc.route,
             "phase": enc.phase, "failed oral therapy": enc.failed_oral_therapy, "dialysis": enc.dialysis,
             "order on file": enc.order_on_file,
             "chemotherapy": f"{enc.chemo.drug} from {enc.chemo.first_dose}" if enc.chemo else None}  # fmt: skip
    shown = [f"{k}: {'yes' if v is True else 'no' if v is False else v}" for k, v in facts.items() if v is not None]
    return "; ".join(shown) or None


def _supporting_info(claim: Claim, lab_refs: list[str]) -> list[Json]:
    def category(code: str) -> Json:
        return _concept(_coding(PAS_TEMP_CODES, code))

    first = min(ln.date_of_service for ln in claim.lines)
    last = max(ln.date_of_service_end or ln.date_of_service for ln in claim.lines)
    period = {"start": first.isoformat(), "end": last.isoformat()}
    info: list[Json] = [{"category": category("patientEvent"), "timingPeriod": period}]
    info += [{"category": category("additionalInformation"), "valueReference": {"reference": r}} for r in lab_refs]
    text = _facts_text(claim)
    if text:
        info.append({"category": category("freeFormMessage"), "valueString": text})
    for n, entry in enumerate(info, start=1):
        entry["sequence"] = n
    return info


def _service_entries(claim: Claim, created: dt.date) -> tuple[list[Json], list[str]]:
    """One MedicationRequest (drug) or ServiceRequest per line, then the lab Observations; and the line refs."""
    entries: list[Json] = []
    services: list[str] = []
    for line in claim.lines:
        url = _ref(claim, f"service-{line.number}-{line.date_of_service}")
        if is_drug_code(line.code):
            entries.append(_entry(url, _medication_request(claim, line, created), "profile-medicationrequest"))
        else:
            entries.append(_entry(url, _service_request(claim, line), "profile-servicerequest"))
        services.append(url)
    for n, lab in enumerate(claim.encounter.labs if claim.encounter else ()):
        entries.append(_entry(_ref(claim, f"lab-{n}"), _observation(claim, lab), "profile-observation"))
    return entries, services


def _party_entries(claim: Claim) -> list[Json]:
    """Patient, Coverage, the payer, the requesting provider and (when known) the rendering practitioner."""
    billing, rendering = claim.billing_provider, claim.rendering_provider
    payer_id = {"system": PAYER_ID, "value": claim.payer.id}
    npi = {"system": NPI, "value": billing.npi} if billing.npi else None
    entries = [
        _entry(_ref(claim, "patient"), _patient(claim), "profile-beneficiary"),
        _entry(_ref(claim, "coverage"), _coverage(claim), "profile-coverage"),
        _entry(_ref(claim, "insurer"), _organization(payer_id, claim.payer.name, "PR"), "profile-insurer"),
        _entry(_ref(claim, "requestor"), _organization(npi, billing.name, "1P", billing.state), "profile-requestor"),
    ]
    if rendering and rendering.npi:
        practitioner = {"resourceType": "Practitioner", "identifier": [{"system": NPI, "value": rendering.npi}]}
        entries.append(_entry(_ref(claim, "practitioner"), practitioner, "profile-practitioner"))
    return entries


def _claim_resource(claim: Claim, created: dt.datetime, services: list[str], lab_refs: list[str]) -> Json:
    has_team = bool(claim.rendering_provider and claim.rendering_provider.npi)
    resource: Json = {
        "resourceType": "Claim",
        "identifier": [{"system": CLAIM_ID, "value": claim.id}],
        "status": "active",
        "type": _concept(_coding("http://terminology.hl7.org/CodeSystem/claim-type", "professional")),
        "use": "preauthorization",
        "patient": {"reference": _ref(claim, "patient")},
        "created": created.isoformat(),
        "insurer": {"reference": _ref(claim, "insurer")},
        "provider": {"reference": _ref(claim, "requestor")},
        "priority": _concept(_coding("http://terminology.hl7.org/CodeSystem/processpriority", "normal")),
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": _ref(claim, "coverage")}}],
        "supportingInfo": _supporting_info(claim, lab_refs),
        "item": [_item(claim, line, svc, has_team) for line, svc in zip(claim.lines, services, strict=True)],
    }
    if claim.diagnoses:
        resource["diagnosis"] = [
            {"sequence": n, "diagnosisCodeableConcept": _concept(_coding(ICD10CM, _dotted(dx.code)))}
            for n, dx in enumerate(claim.diagnoses, start=1)
        ]
    if has_team:
        resource["careTeam"] = [{"sequence": 1, "provider": {"reference": _ref(claim, "practitioner")}}]
    return resource


def build_pas_request(claim: Claim, *, created: dt.datetime) -> Json:
    """The PAS request Bundle for `claim` as JSON-ready dicts (check it with pas_validate.validate_request)."""
    if not claim.lines:
        raise InputError("a prior-authorization request needs at least one service line", where=f"claim {claim.id}")
    services_entries, services = _service_entries(claim, created.date())
    labs = claim.encounter.labs if claim.encounter else ()
    lab_refs = [_ref(claim, f"lab-{n}") for n in range(len(labs))]
    claim_entry = _entry(_ref(claim, "claim"), _claim_resource(claim, created, services, lab_refs), "profile-claim")
    return {
        "resourceType": "Bundle",
        "id": _ref(claim, "bundle").rsplit(":", 1)[1],
        "meta": {"profile": [f"{PAS}/StructureDefinition/profile-pas-request-bundle"]},
        "identifier": {"system": CLAIM_ID, "value": claim.id},
        "type": "collection",
        "timestamp": created.isoformat(),
        "entry": [claim_entry, *_party_entries(claim), *services_entries],
    }


def _dotted(code: str) -> str:
    """ICD-10-CM with its dot (FHIR uses the dotted form; 837 HI sends it without)."""
    code = code.strip().upper()
    return code if "." in code or len(code) <= 3 else f"{code[:3]}.{code[3:]}"
