"""B12 orders through the real engine: cards, CRD coverage information, prefetch vs FHIR server, hooks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from api_fixtures import (
    CRD,
    TODAY,
    FhirServer,
    b12_lab,
    b12_order,
    coverage,
    full_prefetch,
    hook_request,
    patient,
    sample,
    searchset,
)
from cds_shapes import coverage_information, extension_problems, response_problems
from fastapi.testclient import TestClient
from fhir.resources.R4B.medicationrequest import MedicationRequest

from preclaim.api import ServiceSettings, create_app

SIGN = "/cds-services/preclaim-b12-order-sign"
SELECT = "/cds-services/preclaim-b12-order-select"
MEDICARE = {"payer": "Medicare Part B", "payer_id": "MCR-FL", "sopt": "1"}


@pytest.fixture
def client(engine: Any, tmp_path: Path) -> TestClient:
    settings = ServiceSettings(insecure_dev=True, data_dir=str(tmp_path))
    return TestClient(create_app(settings, checker=engine, today=lambda: TODAY))


def coverage_values(body: dict[str, Any], index: int = 0) -> dict[str, list[Any]]:
    (ext,) = coverage_information(body["systemActions"][index]["resource"])
    assert extension_problems(ext) == []
    out: dict[str, list[Any]] = {}
    for sub in ext["extension"]:
        out.setdefault(sub["url"], []).append(next(v for k, v in sub.items() if k.startswith("value")))
    return out


def post(client: TestClient, url: str, req: dict[str, Any]) -> dict[str, Any]:
    response = client.post(url, json=req)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert response_problems(body) == []
    return body


def test_demo_plan_needs_pa_and_the_serum_b12_result(client: TestClient) -> None:
    pre = {**full_prefetch(), "b12Lab": None}
    body = post(client, SIGN, hook_request(prefetch=pre))
    values = coverage_values(body)
    assert values["covered"] == ["covered"] and values["pa-needed"] == ["auth-needed"]
    assert values["doc-needed"] == ["clinical"] and {"withpa", "withclaim"} == set(values["doc-purpose"])
    assert values["coverage"] == [{"reference": "Coverage/cov-1"}] and values["date"] == ["2026-03-01"]
    assert {"system": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "code": "J3420"} in values[
        "billingCode"
    ]
    reminder = next(c for c in body["cards"] if c["source"]["topic"]["code"] == "clinical-reminder")
    assert "serum B12" in reminder["summary"] and reminder["source"]["label"] == "Demo Health Plan"
    assert reminder["suggestions"][0]["actions"][0]["resource"]["subject"] == {"reference": "Patient/pat-b12-1"}
    guideline = next(c for c in body["cards"] if c["source"]["topic"]["code"] == "guideline")
    assert guideline["links"][0]["url"].startswith("https://")


def test_system_action_has_the_shape_of_the_crd_sample_and_is_valid_fhir(client: TestClient) -> None:
    body = post(client, SIGN, hook_request(prefetch=full_prefetch()))
    (action,) = body["systemActions"]
    sample = json.loads((CRD / "coverage_info_system_action_covered.json").read_text())
    assert set(action) == set(sample) == {"type", "description", "resource"} and action["type"] == "update"
    resource = action["resource"]
    assert resource["id"] == "mr-b12-1" and resource["resourceType"] == "MedicationRequest"
    sample_urls = {s["url"] for s in coverage_information(sample["resource"])[0]["extension"]}
    our_urls = {s["url"] for s in coverage_information(resource)[0]["extension"]}
    assert sample_urls <= our_urls | {"pa-needed"}
    MedicationRequest.model_validate(resource)  # the annotated order is still a valid R4 MedicationRequest


def test_lab_on_file_closes_the_documentation_gap(client: TestClient) -> None:
    body = post(client, SIGN, hook_request(prefetch=full_prefetch()))  # serum B12 180 pg/mL last month
    assert coverage_values(body)["doc-needed"] == ["no-doc"]
    assert not any(c["source"]["topic"]["code"] == "clinical-reminder" for c in body["cards"])


def test_medicare_florida_covered_indication_needs_no_pa(client: TestClient) -> None:
    pre = {"patient": patient("FL"), "coverage": searchset(coverage(**MEDICARE)), "b12Lab": searchset(b12_lab())}
    values = coverage_values(post(client, SIGN, hook_request(prefetch=pre)))
    assert values["covered"] == ["covered"] and values["pa-needed"] == ["no-auth"]
    assert "info-needed" not in values


def test_medicare_uncovered_diagnosis_is_not_covered_with_a_reason(client: TestClient) -> None:
    pre = {"patient": patient("FL"), "coverage": searchset(coverage(**MEDICARE)), "b12Lab": None}
    body = post(client, SIGN, hook_request(order=b12_order(dx="R53.83"), prefetch=pre))
    values = coverage_values(body)
    assert values["covered"] == ["not-covered"] and "pa-needed" not in values
    assert values["reason"] and "R53.83" in json.dumps(values["reason"])
    limits = next(c for c in body["cards"] if c["source"]["topic"]["code"] == "limits")
    assert limits["summary"].startswith("Not covered as ordered") and limits["indicator"] == "warning"


def test_order_select_gives_early_hints_without_asking_for_documents(client: TestClient) -> None:
    body = post(client, SELECT, hook_request("order-select", prefetch={**full_prefetch(), "b12Lab": None}))
    values = coverage_values(body)
    assert values["pa-needed"] == ["auth-needed"] and "doc-needed" not in values
    assert not any(c["source"]["topic"]["code"] == "clinical-reminder" for c in body["cards"])


def test_hydroxocobalamin_order_is_annotated_with_j3490(client: TestClient) -> None:
    body = post(client, SIGN, hook_request(order=b12_order(drug="hydroxocobalamin"), prefetch=full_prefetch()))
    codes = {c["code"] for c in coverage_values(body)["billingCode"]}
    assert codes == {"J3490", "96372"}


def test_missing_prefetch_is_fetched_from_the_ehr(client: TestClient, fhir_server: FhirServer) -> None:
    fhir_server.routes.update(
        {
            "Patient/pat-b12-1": patient(),
            "Coverage?patient=pat-b12-1&status=active": searchset(coverage()),
            "Observation?patient=pat-b12-1&code=http://loinc.org|2132-9&_sort=-date&_count=3": searchset(b12_lab()),
        }
    )
    body = post(client, SIGN, hook_request(prefetch={}, fhir_server=fhir_server.base))
    assert coverage_values(body)["doc-needed"] == ["no-doc"]  # the lab came from the server
    assert len(fhir_server.seen) == 3 and all(a == "Bearer SAMPLE_TOKEN" for _, a in fhir_server.seen)


def test_no_data_and_unreachable_server_is_412(client: TestClient) -> None:
    response = client.post(SIGN, json=hook_request(prefetch={}, fhir_server="http://127.0.0.1:9/r4"))
    assert response.status_code == 412 and response.headers["content-type"] == "application/problem+json"
    assert "patient" in response.json()["detail"] and "coverage" in response.json()["detail"]


def test_no_active_coverage_gives_an_info_card_and_no_annotation(client: TestClient) -> None:
    body = post(client, SIGN, hook_request(prefetch={"patient": patient(), "coverage": None, "b12Lab": None}))
    assert "systemActions" not in body and body["cards"][0]["summary"].startswith("No active coverage")


def test_appointment_book_for_a_j3420_service_request_is_annotated(client: TestClient) -> None:
    req = sample("appointment_book_hook_request.json")
    service = {
        "resourceType": "ServiceRequest",
        "id": "sr-b12",
        "status": "active",
        "intent": "order",
        "code": {"coding": [{"system": "https://bluebutton.cms.gov/resources/codesystem/hcpcs", "code": "J3420"}]},
        "quantityQuantity": {"value": 1000, "unit": "mcg", "code": "ug"},
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "D51.0"}]}],
        "subject": {"reference": "Patient/pat-b12-1"},
    }
    appointment = req["context"]["appointments"]["entry"][0]["resource"]
    appointment.update(basedOn=[{"reference": "ServiceRequest/sr-b12"}], start="2026-03-02T09:00:00-05:00")
    req["context"]["patientId"] = "pat-b12-1"
    req["prefetch"] = {**full_prefetch(), "appointments": searchset(appointment, service)}
    body = post(client, "/cds-services/preclaim-b12-appointment-book", req)
    (action,) = body["systemActions"]  # apt2 (sleep medicine) is not ours
    assert action["resource"]["resourceType"] == "Appointment" and action["resource"]["id"] == "apt1"
    values = coverage_values(body)
    assert values["pa-needed"] == ["auth-needed"] and {c["code"] for c in values["billingCode"]} == {"J3420", "96372"}


def test_lower_dose_that_avoids_prior_auth_is_suggested(client: TestClient) -> None:
    """Western Health Advantage: PA above 1000 mcg a month; the engine re-asked at 1000 mcg says none."""
    wha = {
        "patient": patient("CA"),
        "coverage": searchset(coverage("Western Health Advantage", "WHA", sopt="511")),
        "b12Lab": searchset(b12_lab()),
    }
    high = post(client, SIGN, hook_request(order=b12_order(dose_mcg=2000), prefetch=wha))
    assert coverage_values(high)["pa-needed"] == ["auth-needed"]  # the annotation answers for the order as written
    card = high["cards"][0]
    assert card["source"]["topic"]["code"] == "therapy-alternatives-opt" and "1000 mcg" in card["summary"]
    update = card["suggestions"][0]["actions"][0]
    assert update["type"] == "update" and update["resource"]["id"] == "mr-b12-1"
    assert update["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 1000
    normal = post(client, SIGN, hook_request(order=b12_order(dose_mcg=1000), prefetch=wha))
    assert coverage_values(normal)["pa-needed"] == ["no-auth"]
    assert not any(c["source"]["topic"]["code"] == "therapy-alternatives-opt" for c in normal["cards"])
    demo = post(client, SIGN, hook_request(order=b12_order(dose_mcg=2000), prefetch=full_prefetch()))
    assert not any(c["source"]["topic"]["code"] == "therapy-alternatives-opt" for c in demo["cards"])  # PA always


def test_crd_configuration_options_are_advertised_and_honoured(client: TestClient) -> None:
    services = client.get("/cds-services").json()["services"]
    options = services[0]["extension"]["davinci-crd.configuration-options"]
    assert {"coverage-info", "clinical-reminder", "guideline", "max-cards"} <= {o["code"] for o in options}
    assert all({"code", "type", "name", "description", "default"} <= set(o) for o in options)
    pre = {**full_prefetch(), "b12Lab": None}
    full = post(client, SIGN, hook_request(prefetch=pre))
    assert {c["source"]["topic"]["code"] for c in full["cards"]} == {"clinical-reminder", "guideline"}
    req = hook_request(prefetch=pre)
    req["extension"] = {
        "davinci-crd.configuration": {
            "guideline": False,
            "coverage-info": False,
            "unknown": 1,
            "clinical-reminder": "no",
        }
    }  # wrong type: ignored
    body = post(client, SIGN, req)
    assert [c["source"]["topic"]["code"] for c in body["cards"]] == ["clinical-reminder"]
    assert "systemActions" not in body
    req["extension"] = {"davinci-crd.configuration": {"max-cards": 1}}
    assert len(post(client, SIGN, req)["cards"]) == 1


def test_a_ketorolac_order_by_rxnorm_is_checked_as_j1885(client: TestClient) -> None:
    order = b12_order(dx="Z00.00", oid="mr-ketorolac-1")
    # RxCUI 1665461: the clinical drug named by the FDA listing of ketorolac package 71205-0582-01 (drug catalog).
    order["medicationCodeableConcept"] = {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1665461"}],
        "text": "ketorolac tromethamine 30 mg/mL injection",
    }
    order["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"] = {"value": 30, "unit": "mg"}
    body = post(client, SIGN, hook_request(order=order, prefetch=full_prefetch()))
    values = coverage_values(body)
    assert {"system": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "code": "J1885"} in values[
        "billingCode"
    ]
    assert values["covered"] == ["not-covered"]  # the illustrative demo plan covers J1885 only for acute pain
    words = " ".join(c["summary"] + " " + c.get("detail", "") for c in body["cards"])
    assert "B12" not in words and "1000 mcg" not in words
    assert "2000 units" not in words  # 30 mg is 2 units: the order's dose is not read as 30,000 mg
