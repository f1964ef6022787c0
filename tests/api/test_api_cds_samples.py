"""The public CDS Hooks / CRD samples: our shape checks accept them, our discovery and answers match them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from api_fixtures import CDS, CRD, TODAY, b12_order, coverage, patient, sample
from cds_shapes import card_problems, coverage_information, extension_problems, response_problems
from fastapi.testclient import TestClient

from preclaim.api import ServiceSettings, create_app
from preclaim.api.cds_cards import cards_for, summary
from preclaim.api.cds_models import Card
from preclaim.api.coverage_info import annotate, decide, extension
from preclaim.api.fhir_map import to_claim
from preclaim.domain.history import EMPTY_HISTORY, Authorization, History
from preclaim.domain.report import ChecklistItem, Finding, PriorAuthDecision, Report, Source

SRC = Source("demo", "Demo Health Plan policy DHP-B12-1", "https://example.invalid/demo/b12", "demo-1")


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(ServiceSettings(insecure_dev=True, data_dir=str(tmp_path)), checker=None))


def test_shape_checks_accept_the_public_samples() -> None:
    for i, card in enumerate(json.loads((CDS / "valid_cards.json").read_text())):
        assert card_problems(card, f"valid_cards[{i}]") == []
    assert card_problems(json.loads((CRD / "external_reference.json").read_text())) == []
    response = json.loads((CRD / "crd_authorization_hook_response.json").read_text())
    assert response_problems(response) == []
    for name in ("coverage_info_system_action_covered.json", "coverage_info_system_action_conditional.json"):
        action = json.loads((CRD / name).read_text())
        (ext,) = coverage_information(action["resource"])
        assert extension_problems(ext) == [], name
    (ext,) = coverage_information(response["systemActions"][0]["resource"])
    assert extension_problems(ext) == []


def test_shape_checks_catch_broken_cards() -> None:
    card = {"summary": "x" * 140, "indicator": "urgent", "source": {}, "suggestions": [{"label": "a"}], "detail": ""}
    problems = card_problems(card)
    assert any("summary" in p for p in problems) and any("indicator" in p for p in problems)
    assert any("selectionBehavior" in p for p in problems) and any("empty value" in p for p in problems)


def test_discovery_matches_the_sample_shape_and_lists_prefetch_templates(client: TestClient) -> None:
    ours = client.get("/cds-services").json()
    theirs = json.loads((CDS / "cds-services.json").read_text())
    assert set(ours) == set(theirs) == {"services"}
    for service in ours["services"]:
        assert {"hook", "id", "description", "title", "prefetch"} <= set(service)
        assert service["prefetch"]["patient"] == theirs["services"][0]["prefetch"]["patient"]
        assert service["prefetch"]["coverage"] == theirs["services"][0]["prefetch"]["coverage"]
    sign = next(s for s in ours["services"] if s["hook"] == "order-sign")
    templates = " ".join(sign["prefetch"].values())
    for resource in ("Patient/", "Coverage?", "MedicationRequest?", "ServiceRequest?", "{{context.userId}}"):
        assert resource in templates


@pytest.mark.parametrize(
    ("name", "service"),
    [
        ("order_sign_hook_request.json", "preclaim-b12-order-sign"),
        ("order_select_hook_request.json", "preclaim-b12-order-select"),
        ("appointment_book_hook_request.json", "preclaim-b12-appointment-book"),
    ],
)
def test_sample_requests_without_b12_orders_get_no_advice(client: TestClient, name: str, service: str) -> None:
    response = client.post(f"/cds-services/{service}", json=sample(name))
    assert response.status_code == 200
    assert response.json() == {"cards": []}  # the only empty the spec allows


def test_wrong_hook_and_unknown_service_are_problems(client: TestClient) -> None:
    wrong = client.post("/cds-services/preclaim-b12-order-sign", json=sample("encounter_start_hook_request.json"))
    assert wrong.status_code == 400 and "answers order-sign" in wrong.json()["detail"]
    assert client.post("/cds-services/nope", json=sample("order_sign_hook_request.json")).status_code == 404
    bad = client.post("/cds-services/preclaim-b12-order-sign", json={"hook": "order-sign", "context": {}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "$"
    assert "hookInstance" in bad.json()["detail"]


def _report(
    verdict: str = "fix", pa: str = "required", checklist: str = "unknown", findings: tuple[Finding, ...] = ()
) -> Report:
    items = (ChecklistItem("Serum B12 under 300 pg/mL within 365 days", checklist, SRC, "lab"),)  # type: ignore[arg-type]
    return Report(
        "MedicationRequest/mr-b12-1",
        verdict,
        PriorAuthDecision(pa, ("DHP requires PA for J3420",), (SRC,)),  # type: ignore[arg-type]
        findings,
        items,
    )


def _ext(report: Report, *, supporting: bool = False, history: History = EMPTY_HISTORY) -> dict[str, Any]:
    claim = to_claim(b12_order(), coverage(), patient(), {}, TODAY)
    decision = decide(report, claim, history, supporting=supporting)
    return extension(decision, claim, "Coverage/cov-1", "MedicationRequest/mr-b12-1", TODAY)


def _values(ext: dict[str, Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for sub in ext["extension"]:
        out.setdefault(sub["url"], []).append(next(v for k, v in sub.items() if k.startswith("value")))
    return out


def test_pa_required_with_open_documentation() -> None:
    ext = _ext(_report())
    assert extension_problems(ext) == []
    values = _values(ext)
    assert values["covered"] == ["covered"] and values["pa-needed"] == ["auth-needed"]
    assert values["doc-needed"] == ["clinical"] and values["doc-purpose"] == ["withclaim", "withpa"]
    assert {c["code"] for c in values["billingCode"]} == {"J3420", "96372"}
    assert values["reason"] == [{"text": "DHP requires PA for J3420"}] and values["date"] == ["2026-03-01"]


def test_denied_order_is_not_covered_without_pa_needed() -> None:
    deny = Finding(
        "coverage.diagnosis",
        "error",
        1,
        "E55.9 is not a covered indication",
        "CO-50",
        ("N115",),
        None,
        SRC,
        cure="none",
    )
    ext = _ext(_report(verdict="deny", findings=(deny,)))
    assert extension_problems(ext) == []
    values = _values(ext)
    assert values["covered"] == ["not-covered"] and "pa-needed" not in values
    assert values["reason"] == [{"text": "E55.9 is not a covered indication"}]


def test_authorization_on_file_is_satisfied_with_its_number() -> None:
    auth = Authorization("AUTH-77", "DEMO1", "J3420", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    ext = _ext(_report(pa="on-file", checklist="met"), history=History(authorizations=(auth,)))
    assert extension_problems(ext) == []
    values = _values(ext)
    assert values["pa-needed"] == ["satisfied"] and values["satisfied-pa-id"] == ["AUTH-77"]
    assert values["doc-needed"] == ["no-doc"]


def test_conditional_pa_carries_info_needed_and_order_select_asks_no_documents() -> None:
    ext = _ext(_report(pa="conditional"), supporting=True)
    assert extension_problems(ext) == []
    values = _values(ext)
    assert values["pa-needed"] == ["conditional"] and values["info-needed"] == ["timeframe"]
    assert "doc-needed" not in values


def test_assertion_id_is_stable_per_coverage_and_distinct_across_coverages() -> None:
    claim = to_claim(b12_order(), coverage(), patient(), {}, TODAY)
    decision = decide(_report(), claim, History(), supporting=False)
    one = extension(decision, claim, "Coverage/cov-1", "MedicationRequest/mr-b12-1", TODAY)
    again = extension(decision, claim, "Coverage/cov-1", "MedicationRequest/mr-b12-1", TODAY)
    other = extension(decision, claim, "Coverage/cov-2", "MedicationRequest/mr-b12-1", TODAY)
    assert _values(one)["coverage-assertion-id"] == _values(again)["coverage-assertion-id"]
    assert _values(one)["coverage-assertion-id"] != _values(other)["coverage-assertion-id"]
    annotated = annotate(annotate(b12_order(), one), other)
    assert len(coverage_information(annotated)) == 1  # a new assertion replaces ours, never duplicates


def test_cards_suggest_the_lab_and_a_dose_change() -> None:
    order = b12_order(dose_mcg=2000)
    units = Finding(
        "units.dose",
        "error",
        1,
        "2 units billed for a 2000 mcg dose above the plan limit",
        "CO-151",
        (),
        "bill at most 1000 mcg (1 unit) per injection",
        SRC,
    )
    claim = to_claim(order, coverage(), patient(), {}, TODAY)
    cards = cards_for(_report(findings=(units,)), claim, order, "Demo Health Plan", supporting=False)
    body = [json.loads(msgspec.json.encode(c)) for c in cards]
    assert all(card_problems(c) == [] for c in body)
    topics = [c["source"]["topic"]["code"] for c in body]
    assert topics == ["claim", "clinical-reminder", "guideline"]
    dose = body[0]["suggestions"][0]["actions"][0]["resource"]
    assert dose["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 1000
    lab = body[1]["suggestions"][0]
    assert lab["label"].startswith("Record the serum B12 result") and lab["uuid"]
    assert lab["actions"][0]["resource"]["code"]["coding"][0]["code"] == "2132-9"
    assert body[2]["links"][0]["url"] == SRC.url and body[0]["source"]["label"] == "Demo Health Plan"


def test_summaries_stay_under_140_characters() -> None:
    assert len(summary("word " * 80)) == 139 and summary("short") == "short"
    assert isinstance(Card, type)
