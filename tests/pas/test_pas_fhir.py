"""Da Vinci PAS: the public samples are read, a generated request validates, decisions become authorizations."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from pas_helpers import make_pa_claim as _claim

from preclaim.errors import InputError
from preclaim.fhir.pas_codes import HCPCS, RXNORM
from preclaim.fhir.pas_request import build_pas_request
from preclaim.fhir.pas_response import read_pas_response
from preclaim.fhir.pas_validate import parse_bundle, validate_pas
from preclaim.store import Store, load_history
from preclaim.store.decisions import record_decisions

PAS_DIR = Path(__file__).resolve().parents[1] / "samples/fhir/pas"
CREATED = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.parametrize("name", sorted(p.name for p in PAS_DIR.glob("*.json")))
def test_every_pas_sample_is_read(name: str) -> None:
    raw = (PAS_DIR / name).read_bytes()
    if "response" in name:
        (decision,) = read_pas_response(raw, name)
        assert (decision.number, decision.start, decision.end) == ("AUTH0001", dt.date(2005, 5, 2), dt.date(2005, 6, 2))
        assert decision.action == ("A3" if "denial" in name else "A1")
        assert decision.status == ("denied" if "denial" in name else "approved")
        assert (decision.patient_key, decision.payer_id, decision.quantity) == ("12345678901", "789312", 1.0)
    else:
        model = validate_pas(parse_bundle(raw, name), "request", name)
        assert model.entry[0].resource.use == "preauthorization"


def test_generated_request_validates_and_carries_the_medical_necessity_facts() -> None:
    bundle = build_pas_request(_claim(), created=CREATED)
    model = validate_pas(json.loads(json.dumps(bundle)), "request")
    assert type(model.entry[0].resource).__name__ == "Claim"
    claim = bundle["entry"][0]["resource"]
    assert [d["diagnosisCodeableConcept"]["coding"][0]["code"] for d in claim["diagnosis"]] == ["D51.0", "E53.8"]
    assert [i["productOrService"]["coding"][0]["code"] for i in claim["item"]] == ["J3420", "96372"]
    assert claim["item"][0]["modifier"][0]["coding"][0]["code"] == "JZ"
    (med,) = _resources(bundle, "MedicationRequest")
    codings = {(c["system"], c["code"]) for c in med["medicationCodeableConcept"]["coding"]}
    assert codings == {(RXNORM, "11248"), (HCPCS, "J3420")}
    assert med["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 1000
    (service,) = _resources(bundle, "ServiceRequest")
    assert service["code"]["coding"][0]["code"] == "96372"
    assert sorted(o["code"]["coding"][0]["code"] for o in _resources(bundle, "Observation")) == ["13964-2", "2132-9"]
    kinds = [i["category"]["coding"][0]["code"] for i in claim["supportingInfo"]]
    assert kinds == ["patientEvent", "additionalInformation", "additionalInformation", "freeFormMessage"]
    assert "failed oral therapy: yes" in claim["supportingInfo"][-1]["valueString"]
    patient = _resources(bundle, "Patient")[0]
    assert "family" not in json.dumps(patient)  # pseudonymous: no name leaves preclaim
    assert build_pas_request(_claim(), created=CREATED) == bundle  # same claim, same ids


def test_a_dangling_reference_or_bad_element_is_reported_with_its_place() -> None:
    bundle = build_pas_request(_claim(), created=CREATED)
    broken = copy.deepcopy(bundle)
    broken["entry"] = [e for e in broken["entry"] if e["resource"]["resourceType"] != "Coverage"]
    with pytest.raises(InputError, match=r"entry\[0\] refers to 'urn:uuid:.*', which is not in the bundle"):
        validate_pas(broken, "request")
    wrong = copy.deepcopy(bundle)
    wrong["entry"][0]["resource"]["use"] = "claim"
    with pytest.raises(InputError, match="use must be 'preauthorization'"):
        validate_pas(wrong, "request")
    invalid = copy.deepcopy(bundle)
    invalid["entry"][0]["resource"]["item"][0]["quantity"] = {"value": "lots"}
    with pytest.raises(InputError, match=r"not a valid FHIR R4 Bundle: .*quantity"):
        validate_pas(invalid, "request")
    with pytest.raises(InputError, match="expected a FHIR Bundle, found 'Patient'"):
        parse_bundle(b'{"resourceType": "Patient"}')


def test_response_without_review_action_is_an_input_error() -> None:
    data = json.loads((PAS_DIR / "valid_pa_response_bundle.json").read_text())
    data["entry"][0]["resource"]["item"][0]["adjudication"][0]["extension"] = []
    with pytest.raises(InputError, match=r"ClaimResponse.item\[0\]: no reviewAction"):
        read_pas_response(data, "resp.json")


def test_decisions_are_recorded_and_a_later_denial_replaces_the_approval(store: Store) -> None:
    approved = read_pas_response((PAS_DIR / "valid_pa_response_bundle.json").read_bytes())
    denied = read_pas_response((PAS_DIR / "valid_pa_response_bundle_denial.json").read_bytes())
    kw: dict[str, Any] = {"source": "pas", "where": "sample", "received": dt.date(2005, 5, 2), "code": "J3420"}
    [(auth, outcome, _, _)] = record_decisions(store, approved, **kw)
    assert outcome == "added" and auth is not None and auth.status == "approved" and auth.approved_units == 1
    history = load_history(store, "12345678901", dt.date(2005, 5, 10))
    assert [(a.number, a.code, a.start, a.end) for a in history.authorizations] == [
        ("AUTH0001", "J3420", dt.date(2005, 5, 2), dt.date(2005, 6, 2))
    ]
    [(auth, outcome, _, _)] = record_decisions(store, denied, **kw)
    assert auth is not None and (outcome, auth.status, auth.approved_units) == ("updated", "denied", 0)


def test_not_json_and_unknown_review_codes_are_input_errors() -> None:
    with pytest.raises(InputError, match=r"resp\.json: not JSON"):
        read_pas_response(b"<Bundle/>", "resp.json")
    data = json.loads((PAS_DIR / "valid_pa_response_bundle.json").read_text())
    review = data["entry"][0]["resource"]["item"][0]["adjudication"][0]["extension"][0]
    review["extension"][1]["valueCodeableConcept"]["coding"][0]["code"] = "Q9"
    with pytest.raises(InputError, match=r"ClaimResponse.item\[0\]: unknown review action code 'Q9'"):
        read_pas_response(data, "resp.json")
