"""Read a PAS response Bundle (ClaimResponse first): one decision per item, ready to record as an authorization.

Where things are (Da Vinci PAS IG): item.adjudication.extension[reviewAction]
holds reviewActionCode (X12 306: A1, A2, A3, A4, A6, C, CT, NA) and `number` (the certification number
that goes into 837 REF*G1); item.extension[itemPreAuthPeriod] the dates the authorization covers;
item.extension[itemAuthorizedDetail] what was approved (code, quantity) when it differs or is spelled out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from preclaim.errors import InputError
from preclaim.fhir.pas_codes import CPT, HCPCS, PAS, REVIEW_ACTIONS
from preclaim.fhir.pas_resources import PATIENT_KEY, PAYER_ID
from preclaim.fhir.pas_validate import parse_bundle, validate_pas

Json = dict[str, Any]
SD = f"{PAS}/StructureDefinition/"


class PasDecision(msgspec.Struct, frozen=True):
    """The payer's answer for one requested item."""

    item_sequence: int
    action: str  # X12 306 review action code
    status: str  # AuthorizationStatus for the store
    number: str | None
    start: dt.date | None
    end: dt.date | None
    code: str | None  # authorized (or requested) service code, when the response says
    quantity: float | None
    patient_key: str | None
    payer_id: str | None
    outcome: str | None  # ClaimResponse.outcome: queued | complete | error | partial


def _ext(node: Json, name: str) -> list[Json]:
    """Extensions of `node` whose url ends with `name` (full PAS url or a sub-extension's short name)."""
    return [e for e in node.get("extension", []) if e.get("url") in (SD + name, name)]


def _date(text: str | None, where: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise InputError(f"found {text!r}, expected a date", where=where) from None


def _period(item: Json, where: str) -> tuple[dt.date | None, dt.date | None]:
    for name in ("extension-itemPreAuthPeriod", "extension-itemRequestedServiceDate"):
        for ext in _ext(item, name):
            period = ext.get("valuePeriod") or {}
            if period:
                return _date(period.get("start"), where), _date(period.get("end"), where)
            if ext.get("valueDate"):
                day = _date(ext["valueDate"], where)
                return day, day
    return None, None


def _review(item: Json, where: str) -> tuple[str, str | None]:
    for adjudication in item.get("adjudication", []):
        for review in _ext(adjudication, "extension-reviewAction"):
            number = next((e.get("valueString") for e in _ext(review, "number")), None)
            for code_ext in _ext(review, "extension-reviewActionCode") + _ext(review, "reviewActionCode"):
                for coding in code_ext.get("valueCodeableConcept", {}).get("coding", []):
                    if coding.get("code") in REVIEW_ACTIONS:
                        return coding["code"], number
                    raise InputError(f"unknown review action code {coding.get('code')!r}", where=where)
    raise InputError("no reviewAction with a reviewActionCode in item.adjudication", where=where)


def _authorized(item: Json) -> tuple[str | None, float | None]:
    for detail in _ext(item, "extension-itemAuthorizedDetail"):
        code = quantity = None
        for part in _ext(detail, "productOrServiceCode"):
            codings = part.get("valueCodeableConcept", {}).get("coding", [])
            code = next((c.get("code") for c in codings if c.get("system") in (HCPCS, CPT)), None) or next(
                (c.get("code") for c in codings), None
            )
        for part in _ext(detail, "quantity"):
            quantity = part.get("valueQuantity", {}).get("value")
        return code, None if quantity is None else float(quantity)
    return None, None


def _identifier(resources: dict[str, Json], ref: str | None, system: str) -> str | None:
    """The identifier value of a referenced resource, preferring preclaim's own system."""
    resource = resources.get(ref or "", {})
    identifiers = resource.get("identifier", [])
    chosen = next((i for i in identifiers if i.get("system") == system), identifiers[0] if identifiers else None)
    return chosen.get("value") if chosen else None


def read_pas_response(data: bytes | str | Json, where: str = "response") -> list[PasDecision]:
    """Every item decision of a PAS response (or inquiry response) bundle; InputError when malformed."""
    bundle = parse_bundle(data, where)
    validate_pas(bundle, "response", where)
    response = bundle["entry"][0]["resource"]
    resources: dict[str, Json] = {}
    for entry in bundle["entry"]:
        res = entry.get("resource", {})
        resources[entry.get("fullUrl", "")] = resources[f"{res.get('resourceType')}/{res.get('id')}"] = res
    patient = _identifier(resources, response.get("patient", {}).get("reference"), PATIENT_KEY)
    payer = _identifier(resources, response.get("insurer", {}).get("reference"), PAYER_ID)
    decisions = []
    for n, item in enumerate(response.get("item", [])):
        place = f"{where}: ClaimResponse.item[{n}]"
        action, number = _review(item, place)
        start, end = _period(item, place)
        code, quantity = _authorized(item)
        decisions.append(
            PasDecision(
                item_sequence=int(item.get("itemSequence", n + 1)),
                action=action,
                status=REVIEW_ACTIONS[action][0],
                number=number or response.get("preAuthRef"),
                start=start,
                end=end,
                code=code,
                quantity=quantity,
                patient_key=patient,
                payer_id=payer,
                outcome=response.get("outcome"),
            )
        )
    if not decisions:
        raise InputError("the ClaimResponse has no item decisions", where=where)
    return decisions
