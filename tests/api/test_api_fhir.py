"""FHIR order -> Claim mapping, and prefetch / FHIR-server reads against a real loopback server."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from api_fixtures import (
    ISS,
    TODAY,
    FhirServer,
    Keys,
    b12_lab,
    b12_order,
    coverage,
    hook_request,
    patient,
    sample,
    searchset,
)
from fastapi.testclient import TestClient

from preclaim.api import ServiceSettings, create_app
from preclaim.api.cds_models import HookRequest
from preclaim.api.cds_service import b12_orders
from preclaim.api.fhir_codes import filing_indicator, order_drug
from preclaim.api.fhir_fetch import FhirGatherer
from preclaim.api.fhir_map import to_claim
from preclaim.api.problems import ApiError
from preclaim.api.settings import Issuer
from preclaim.domain.quantity import Quantity


def test_medicare_order_maps_to_a_claim() -> None:
    order = b12_order(dose_mcg=2000)
    claim = to_claim(order, coverage("Medicare Part B", "MCR", sopt="1"), patient("FL"), {}, TODAY, [b12_lab()])
    drug, admin = claim.lines
    assert (drug.code, drug.units, drug.date_of_service) == ("J3420", 2, dt.date(2026, 3, 2))
    assert admin.code == "96372" and drug.diagnosis_pointers == (1,)
    assert claim.filing_indicator == "MB" and claim.billing_provider.state == "FL" and claim.plan == "GOLD-1"
    assert [d.code for d in claim.diagnoses] == ["D51.0"]
    assert (
        claim.encounter is not None and claim.encounter.dose == Quantity(2000, "mcg") and claim.encounter.route == "IM"
    )
    assert claim.encounter.labs[0].value == 180 and claim.patient.member_id == "MBR-0001"
    assert claim.payer.id == "MCR" and claim.payer.name == "Medicare Part B"


def test_hydroxocobalamin_is_billed_as_j3490_with_a_description() -> None:
    claim = to_claim(b12_order(drug="hydroxocobalamin"), coverage(), patient(), {}, TODAY)
    assert claim.lines[0].code == "J3490" and claim.lines[0].description == "hydroxocobalamin 1000 mcg"


def test_order_detection() -> None:
    amoxicillin = sample("order_select_hook_request.json")["context"]["draftOrders"]["entry"][1]["resource"]
    assert order_drug(amoxicillin, {}) is None
    assert order_drug(b12_order(), {}) == "cyanocobalamin"
    by_name = b12_order()
    by_name["medicationCodeableConcept"] = {"text": "Vitamin B-12 1000 MCG/ML Injectable Solution"}
    assert order_drug(by_name, {}) == "cyanocobalamin"
    service = {
        "resourceType": "ServiceRequest",
        "id": "sr",
        "code": {"coding": [{"system": "https://bluebutton.cms.gov/resources/codesystem/hcpcs", "code": "J3420"}]},
    }
    assert order_drug(service, {}) == "cyanocobalamin"
    by_ref = {"resourceType": "MedicationRequest", "id": "m", "medicationReference": {"reference": "Medication/x"}}
    med = {
        "resourceType": "Medication",
        "id": "x",
        "code": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "5553"}]},
    }
    assert order_drug(by_ref, {"Medication/x": med}) == "hydroxocobalamin"


def test_filing_indicator_from_coverage_type() -> None:
    assert filing_indicator(coverage(sopt="1")) == "MB"
    assert filing_indicator(coverage(sopt="21")) == "MC"
    assert filing_indicator(coverage(sopt="511")) == "HM"
    assert filing_indicator({"type": {"coding": [{"code": "ci"}]}}) == "CI"
    assert filing_indicator({}) is None


def test_order_select_only_considers_the_selected_orders() -> None:
    req = msgspec.convert(hook_request("order-select"), HookRequest)
    assert [o["id"] for o in b12_orders(req)] == ["mr-b12-1"]
    unselected = hook_request("order-select")
    unselected["context"]["selections"] = ["NutritionOrder/pureeddiet-simple"]
    assert b12_orders(msgspec.convert(unselected, HookRequest)) == []


def _gather(req: dict[str, Any]) -> Any:
    async def run() -> Any:
        async with httpx.AsyncClient() as client:
            return await FhirGatherer(client, 3.0).gather(msgspec.convert(req, HookRequest))

    return asyncio.run(run())


def test_prefetch_is_used_without_calling_the_server(fhir_server: FhirServer) -> None:
    pre = {"patient": patient(), "coverage": searchset(coverage()), "b12Lab": None}
    data = _gather(hook_request(prefetch=pre, fhir_server=fhir_server.base))
    assert fhir_server.seen == []
    assert data.patient["id"] == "pat-b12-1" and data.coverages[0]["id"] == "cov-1" and data.observations == []


def test_missing_prefetch_is_read_from_the_fhir_server_with_its_token(fhir_server: FhirServer) -> None:
    fhir_server.routes.update(
        {
            "Patient/pat-b12-1": patient(),
            "Coverage?patient=pat-b12-1&status=active": searchset(coverage()),
        }
    )
    data = _gather(hook_request(prefetch={}, fhir_server=fhir_server.base))
    assert data.coverages[0]["payor"][0]["display"] == "Demo Health Plan"
    paths = sorted(p for p, _ in fhir_server.seen)
    assert paths[0].startswith("/r4/Coverage?patient=pat-b12-1") and any(p == "/r4/Patient/pat-b12-1" for p in paths)
    assert all(auth == "Bearer SAMPLE_TOKEN" for _, auth in fhir_server.seen)  # the sample's fhirAuthorization


def test_no_prefetch_and_no_reachable_server_is_412(fhir_server: FhirServer) -> None:
    with pytest.raises(ApiError) as info:
        _gather(hook_request(prefetch={}, fhir_server=fhir_server.base))  # server knows nothing: 404s
    assert info.value.status == 412 and "coverage" in (info.value.detail or "")
    unreachable = hook_request(prefetch={"patient": patient()}, fhir_server="http://127.0.0.1:9/r4")
    with pytest.raises(ApiError) as info:
        _gather(unreachable)
    assert info.value.status == 412 and "ConnectError" in (info.value.detail or "")
    no_server = hook_request(prefetch={})
    no_server.pop("fhirServer")
    no_server.pop("fhirAuthorization")
    with pytest.raises(ApiError) as info:
        _gather(no_server)
    assert info.value.status == 412


def test_jku_on_the_allow_list_is_fetched_and_trusted(keys: Keys, fhir_server: FhirServer, tmp_path: Path) -> None:
    fhir_server.routes["jwks.json"] = keys.jwks
    jku = f"{fhir_server.base}/jwks.json"
    settings = ServiceSettings(cds_issuers=(Issuer(iss=ISS, jku=(jku,)),), data_dir=str(tmp_path))
    client = TestClient(create_app(settings, checker=None))
    url = "http://testserver/cds-services"
    ok = client.get("/cds-services", headers={"authorization": f"Bearer {keys.sign(url, headers={'jku': jku})}"})
    assert ok.status_code == 200, ok.text
    assert {s["hook"] for s in ok.json()["services"]} == {"order-sign", "order-select", "appointment-book"}


def test_fhir_server_outside_the_issuer_allow_list_is_refused(fhir_server: FhirServer) -> None:
    async def run(allowed: tuple[str, ...]) -> Any:
        async with httpx.AsyncClient() as client:
            req = msgspec.convert(hook_request(prefetch={}, fhir_server=fhir_server.base), HookRequest)
            return await FhirGatherer(client, 3.0, allowed).gather(req)

    with pytest.raises(ApiError) as info:
        asyncio.run(run(("https://ehr.example.org/fhir/",)))
    assert info.value.status == 400 and "allow-list" in (info.value.detail or "")
    assert fhir_server.seen == []  # refused before any request left
    fhir_server.routes.update(
        {"Patient/pat-b12-1": patient(), "Coverage?patient=pat-b12-1&status=active": searchset(coverage())}
    )
    assert asyncio.run(run((fhir_server.base,))).coverages[0]["id"] == "cov-1"


def _drug_order(concept: dict[str, Any], value: float, unit: str, route: str = "78421000") -> dict[str, Any]:
    order = b12_order(dx="M54.50", oid="mr-drug-1")
    order["medicationCodeableConcept"] = concept
    dosage = order["dosageInstruction"][0]
    dosage["route"] = {"coding": [{"system": "http://snomed.info/sct", "code": route}]}
    dosage["doseAndRate"][0]["doseQuantity"] = {"value": value, "unit": unit, "system": "http://unitsofmeasure.org"}
    return order


@pytest.mark.parametrize(
    ("concept", "value", "unit", "code", "units"),
    [
        # RxCUI 1665461: the clinical drug the FDA listing of ketorolac package 71205-0582-01 names (drug catalog)
        (
            {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1665461"}]},
            30,
            "mg",
            "J1885",
            2,
        ),
        ({"coding": [{"system": "http://hl7.org/fhir/sid/ndc", "code": "76420-0065-10"}]}, 200, "mg", "J1071", 200),
        ({"text": "Ceftriaxone 1 g powder for injection"}, 1000, "mg", "J0696", 4),
        (
            {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "313324"}]},
            100,
            "mg",
            "J3411",
            1,
        ),
    ],
)
def test_catalog_drug_orders_map_to_their_code_and_units(
    concept: dict[str, Any], value: float, unit: str, code: str, units: int
) -> None:
    order = _drug_order(concept, value, unit)
    assert order_drug(order, {}) == code
    drug, admin = to_claim(order, coverage(), patient(), {}, TODAY).lines
    assert (drug.code, drug.units, drug.description) == (code, units, None) and admin.code == "96372"


def test_orders_the_catalog_does_not_know_are_not_ours() -> None:
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    tablets = _drug_order({"text": "ketorolac tromethamine 10 mg oral tablet"}, 10, "mg", route="26643006")
    assert order_drug(tablets, {}) is None  # the substance by mouth is not an injection
    assert order_drug(_drug_order({"coding": [{"system": rxnorm, "code": "999999"}]}, 1, "mg"), {}) is None
