"""FHIR R4 resources of a PAS request, one builder each (pas_request assembles the Bundle).

Ids are urn:uuid values derived from payer + claim id + role, so the same claim always gives the same
Bundle (re-sending is recognisable). The patient stays pseudonymous: identifier = patient key, name masked.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from preclaim.domain import Claim, Lab, ServiceLine
from preclaim.fhir.pas_codes import (
    CPT,
    HCPCS,
    LAB_LOINC,
    LOINC,
    PAS,
    ROUTE_SNOMED,
    RXNORM,
    RXNORM_DRUG,
    SNOMED,
    X12_ENTITY,
)
from preclaim.io.legacy import lab_key

Json = dict[str, Any]
_NAMESPACE = uuid.UUID("6f1d3c1e-2f55-4a8e-9a43-7e0c3b1f5a21")  # preclaim PAS ids: uuid5(namespace, claim/role)
MEMBER_ID = "urn:preclaim:member-id"
PATIENT_KEY = "urn:preclaim:patient-key"
PAYER_ID = "urn:preclaim:payer-id"
CLAIM_ID = "urn:preclaim:claim-id"


def ref(claim: Claim, role: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{claim.payer.id}|{claim.id}|{role}')}"


def coding(system: str, code: str, display: str | None = None) -> Json:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def concept(*codings: Json, text: str | None = None) -> Json:
    return {"coding": list(codings), **({"text": text} if text else {})}


def entry(full_url: str, resource: Json, profile: str) -> Json:
    resource = {
        "resourceType": resource.pop("resourceType"),
        "id": full_url.rsplit(":", 1)[1],
        "meta": {"profile": [f"{PAS}/StructureDefinition/{profile}"]},
        **resource,
    }
    return {"fullUrl": full_url, "resource": resource}


def patient(claim: Claim) -> Json:
    p = claim.patient
    identifiers = [{"system": PATIENT_KEY, "value": p.key}]
    if p.member_id:
        identifiers.append({"system": MEMBER_ID, "value": p.member_id})
    gender = {"F": "female", "M": "male", "U": "unknown"}.get(p.sex or "")
    # Pseudonymous on purpose: the name is masked; the clinic's system fills it in before sending.
    masked = {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "masked"}
    return {
        "resourceType": "Patient",
        "identifier": identifiers,
        "name": [{"extension": [masked]}],
        **({"gender": gender} if gender else {}),
        **({"birthDate": p.birth_date.isoformat()} if p.birth_date else {}),
    }


def organization(identifier: Json | None, name: str | None, entity: str, state: str | None = None) -> Json:
    org: Json = {"resourceType": "Organization", "active": True, "type": [concept(coding(X12_ENTITY, entity))]}
    if identifier:
        org["identifier"] = [identifier]
    if name:
        org["name"] = name
    if state:
        org["address"] = [{"state": state, "country": "US"}]
    return org


def coverage(claim: Claim) -> Json:
    cov: Json = {
        "resourceType": "Coverage",
        "status": "active",
        "beneficiary": {"reference": ref(claim, "patient")},
        "payor": [{"reference": ref(claim, "insurer")}],
    }
    if claim.patient.member_id:
        cov["subscriberId"] = claim.patient.member_id
    if claim.plan:
        plan_type = concept(coding("http://terminology.hl7.org/CodeSystem/coverage-class", "plan"))
        cov["class"] = [{"type": plan_type, "value": claim.plan}]
    return cov


def product(line: ServiceLine) -> Json:
    system = CPT if line.code[:1].isdigit() else HCPCS
    return concept(coding(system, line.code, line.description))


def medication_request(claim: Claim, line: ServiceLine, authored: dt.date) -> Json:
    enc = claim.encounter
    drug = (enc.drug if enc and enc.drug else None) or "cyanocobalamin"
    codings = [coding(HCPCS, line.code)]
    if drug in RXNORM_DRUG:
        codings.insert(0, coding(RXNORM, RXNORM_DRUG[drug][0], RXNORM_DRUG[drug][1]))
    dosage: Json = {"text": f"{line.code} x {line.units:g} unit(s)"}
    given = enc.dose if enc and enc.dose is not None and enc.dose.is_mass else None
    if given is not None:  # in the unit the chart gave (UCUM spells mcg "ug")
        ucum = "ug" if given.unit == "mcg" else given.unit
        dose = {"value": given.value, "unit": given.unit, "system": "http://unitsofmeasure.org", "code": ucum}
        dosage["doseAndRate"] = [{"doseQuantity": dose}]
        dosage["text"] = str(given)
    if enc and enc.route in ROUTE_SNOMED:
        dosage["route"] = concept(coding(SNOMED, *ROUTE_SNOMED[enc.route]))
    return {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": concept(*codings, text=drug),
        "subject": {"reference": ref(claim, "patient")},
        "authoredOn": authored.isoformat(),
        "requester": {"reference": ref(claim, "requestor")},
        "dosageInstruction": [dosage],
        "dispenseRequest": {"quantity": {"value": line.units, "unit": "unit"}},
    }


def service_request(claim: Claim, line: ServiceLine) -> Json:
    return {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "code": product(line),
        "subject": {"reference": ref(claim, "patient")},
        "quantityQuantity": {"value": line.units},
        "requester": {"reference": ref(claim, "requestor")},
    }


def observation(claim: Claim, lab: Lab) -> Json:
    code, display = LAB_LOINC.get(lab_key(lab.loinc), (lab.loinc, lab.loinc))  # LOINC display where known
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": concept(coding(LOINC, code, display)),
        "subject": {"reference": ref(claim, "patient")},
        "effectiveDateTime": lab.date.isoformat(),
        "valueQuantity": {"value": lab.value, "unit": lab.unit},
    }
