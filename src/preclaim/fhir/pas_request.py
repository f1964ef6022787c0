"""Da Vinci PAS request Bundle (FHIR R4) for a claim: Claim use=preauthorization plus every resource it cites.

Entries (fullUrl urn:uuid, stable for a given claim): Claim first, then Patient, Coverage, the payer and
requesting Organizations, the rendering Practitioner, one MedicationRequest per drug line (RxNorm +
HCPCS codings) or ServiceRequest per other line, and Observations for the labs on the encounter.
Medical-necessity facts travel as Claim.diagnosis (ICD-10-CM) and Claim.supportingInfo.
"""

from __future__ import annotations

import datetime as dt

from preclaim.domain import Claim, ServiceLine
from preclaim.errors import InputError
from preclaim.fhir.pas_codes import (
    CERTIFICATION_TYPE,
    CPT,
    HCPCS,
    ICD10CM,
    NPI,
    PAS,
    PAS_TEMP_CODES,
    POS,
    SERVICE_REQUEST_TYPE,
    is_drug_code,
)
from preclaim.fhir.pas_resources import (
    CLAIM_ID,
    PAYER_ID,
    Json,
    coding,
    concept,
    coverage,
    entry,
    medication_request,
    observation,
    organization,
    patient,
    product,
    ref,
    service_request,
)
from preclaim.io.legacy import in_mcg


def _item(claim: Claim, line: ServiceLine, service_ref: str, has_care_team: bool) -> Json:
    ext = [
        {
            "url": f"{PAS}/StructureDefinition/extension-certificationType",
            "valueCodeableConcept": concept(coding(CERTIFICATION_TYPE, "I", "Initial")),
        },
        {
            "url": f"{PAS}/StructureDefinition/extension-serviceItemRequestType",
            "valueCodeableConcept": concept(coding(SERVICE_REQUEST_TYPE, "HS", "Health Services Review")),
        },
        {"url": f"{PAS}/StructureDefinition/extension-requestedService", "valueReference": {"reference": service_ref}},
    ]
    place = concept(coding(POS, line.place_of_service or claim.place_of_service))
    item: Json = {
        "extension": ext,
        "sequence": line.number,
        "productOrService": product(line),
        "quantity": {"value": line.units},
        "locationCodeableConcept": place,
    }
    if line.modifiers:
        item["modifier"] = [concept(coding(HCPCS if line.code[:1].isalpha() else CPT, m)) for m in line.modifiers]
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
    facts = {
        "dose (mcg)": in_mcg(enc.dose),
        "wasted (mcg)": in_mcg(enc.wasted),
        "vial": enc.vial_type,
        "route": enc.route,
        "phase": enc.phase,
        "failed oral therapy": enc.failed_oral_therapy,
        "dialysis": enc.dialysis,
        "order on file": enc.order_on_file,
        "chemotherapy": f"{enc.chemo.drug} from {enc.chemo.first_dose}" if enc.chemo else None,
    }
    shown = [f"{k}: {'yes' if v is True else 'no' if v is False else v}" for k, v in facts.items() if v is not None]
    return "; ".join(shown) or None


def _supporting_info(claim: Claim, lab_refs: list[str]) -> list[Json]:
    def category(code: str) -> Json:
        return concept(coding(PAS_TEMP_CODES, code))

    first = min(ln.date_of_service for ln in claim.lines)
    last = max(ln.date_of_service_end or ln.date_of_service for ln in claim.lines)
    period = {"start": first.isoformat(), "end": last.isoformat()}
    info: list[Json] = [{"category": category("patientEvent"), "timingPeriod": period}]
    info += [{"category": category("additionalInformation"), "valueReference": {"reference": r}} for r in lab_refs]
    text = _facts_text(claim)
    if text:
        info.append({"category": category("freeFormMessage"), "valueString": text})
    for n, part in enumerate(info, start=1):
        part["sequence"] = n
    return info


def _service_entries(claim: Claim, created: dt.date) -> tuple[list[Json], list[str]]:
    """One MedicationRequest (drug) or ServiceRequest per line, then the lab Observations; and the line refs."""
    entries: list[Json] = []
    services: list[str] = []
    for line in claim.lines:
        url = ref(claim, f"service-{line.number}-{line.date_of_service}")
        if is_drug_code(line.code):
            entries.append(entry(url, medication_request(claim, line, created), "profile-medicationrequest"))
        else:
            entries.append(entry(url, service_request(claim, line), "profile-servicerequest"))
        services.append(url)
    for n, lab in enumerate(claim.encounter.labs if claim.encounter else ()):
        entries.append(entry(ref(claim, f"lab-{n}"), observation(claim, lab), "profile-observation"))
    return entries, services


def _party_entries(claim: Claim) -> list[Json]:
    """Patient, Coverage, the payer, the requesting provider and (when known) the rendering practitioner."""
    billing, rendering = claim.billing_provider, claim.rendering_provider
    payer_id = {"system": PAYER_ID, "value": claim.payer.id}
    npi = {"system": NPI, "value": billing.npi} if billing.npi else None
    entries = [
        entry(ref(claim, "patient"), patient(claim), "profile-beneficiary"),
        entry(ref(claim, "coverage"), coverage(claim), "profile-coverage"),
        entry(ref(claim, "insurer"), organization(payer_id, claim.payer.name, "PR"), "profile-insurer"),
        entry(ref(claim, "requestor"), organization(npi, billing.name, "1P", billing.state), "profile-requestor"),
    ]
    if rendering and rendering.npi:
        practitioner = {"resourceType": "Practitioner", "identifier": [{"system": NPI, "value": rendering.npi}]}
        entries.append(entry(ref(claim, "practitioner"), practitioner, "profile-practitioner"))
    return entries


def _claim_resource(claim: Claim, created: dt.datetime, services: list[str], lab_refs: list[str]) -> Json:
    has_team = bool(claim.rendering_provider and claim.rendering_provider.npi)
    resource: Json = {
        "resourceType": "Claim",
        "identifier": [{"system": CLAIM_ID, "value": claim.id}],
        "status": "active",
        "type": concept(coding("http://terminology.hl7.org/CodeSystem/claim-type", "professional")),
        "use": "preauthorization",
        "patient": {"reference": ref(claim, "patient")},
        "created": created.isoformat(),
        "insurer": {"reference": ref(claim, "insurer")},
        "provider": {"reference": ref(claim, "requestor")},
        "priority": concept(coding("http://terminology.hl7.org/CodeSystem/processpriority", "normal")),
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": ref(claim, "coverage")}}],
        "supportingInfo": _supporting_info(claim, lab_refs),
        "item": [_item(claim, line, svc, has_team) for line, svc in zip(claim.lines, services, strict=True)],
    }
    if claim.diagnoses:
        resource["diagnosis"] = [
            {"sequence": n, "diagnosisCodeableConcept": concept(coding(ICD10CM, _dotted(dx.code)))}
            for n, dx in enumerate(claim.diagnoses, start=1)
        ]
    if has_team:
        resource["careTeam"] = [{"sequence": 1, "provider": {"reference": ref(claim, "practitioner")}}]
    return resource


def build_pas_request(claim: Claim, *, created: dt.datetime) -> Json:
    """The PAS request Bundle for `claim` as JSON-ready dicts (check it with pas_validate.validate_pas)."""
    if not claim.lines:
        raise InputError("a prior-authorization request needs at least one service line", where=f"claim {claim.id}")
    services_entries, services = _service_entries(claim, created.date())
    labs = claim.encounter.labs if claim.encounter else ()
    lab_refs = [ref(claim, f"lab-{n}") for n in range(len(labs))]
    claim_entry = entry(ref(claim, "claim"), _claim_resource(claim, created, services, lab_refs), "profile-claim")
    return {
        "resourceType": "Bundle",
        "id": ref(claim, "bundle").rsplit(":", 1)[1],
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
