"""REST endpoints through the real engine: check (JSON and X12), prior auth, policies, checklist, code pages,
history and authorizations over a real SQLite store, and problem details naming the field at fault."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from api_fixtures import SAMPLES, TODAY, full_prefetch, hook_request
from cds_shapes import coverage_information
from fastapi.testclient import TestClient

from preclaim.api import ServiceSettings, create_app
from preclaim.api.settings import ApiKey, hash_key

ROOT = Path(__file__).resolve().parents[2]
KEY = {"x-api-key": "test-key"}
AUTH = {
    "number": "AUTH-9",
    "payer_id": "DEMO1",
    "code": "J3420",
    "start": "2026-01-01",
    "end": "2026-12-31",
    "approved_units": 12,
    "patient_key": "PT-1007",
}


def _settings(tmp_path: Path, **kw: Any) -> ServiceSettings:
    keys = (ApiKey(client="billing", sha256=hash_key("test-key")),)
    return ServiceSettings(api_keys=keys, data_dir=str(tmp_path), **kw)


@pytest.fixture
def client(engine: Any, tmp_path: Path) -> TestClient:
    return TestClient(create_app(_settings(tmp_path), checker=engine, today=lambda: TODAY))


@pytest.fixture
def stored(engine: Any, tmp_path: Path) -> TestClient:
    settings = _settings(tmp_path, store_url=f"sqlite:///{tmp_path / 'history.db'}", insecure_dev=True)
    return TestClient(create_app(settings, checker=engine, today=lambda: TODAY))


def example(name: str) -> bytes:
    return (ROOT / "examples" / name).read_bytes()


def test_check_json_returns_the_report_contract(client: TestClient) -> None:
    response = client.post(
        "/v1/check?as_of=2026-03-20", content=example("clean.json"), headers={**KEY, "content-type": "application/json"}
    )
    assert response.status_code == 200
    (report,) = response.json()["claims"]
    assert report["claim_id"] == "CLEAN-001" and report["verdict"] == "clean"
    assert {"claim_id", "verdict", "prior_auth", "findings", "checklist"} <= set(report)
    bad = client.post("/v1/check", content=example("j3424.json"), headers=KEY)
    finding = bad.json()["claims"][0]["findings"][0]
    assert {"rule", "severity", "line", "message", "carc", "rarc", "fix", "source"} <= set(finding)


def test_check_x12_837p_body(client: TestClient) -> None:
    body = (SAMPLES / "x12" / "837p" / "demo.drug.example10.1.837").read_bytes()
    response = client.post("/v1/check", content=body, headers={**KEY, "content-type": "application/edi-x12"})
    assert response.status_code == 200 and response.json()["claims"][0]["claim_id"]
    broken = client.post("/v1/check", content=b"ISA*00*bad~", headers={**KEY, "content-type": "application/edi-x12"})
    assert broken.status_code == 422 and broken.json()["type"].endswith("/invalid-x12")


def test_invalid_claim_names_the_field(client: TestClient) -> None:
    claim = json.loads(example("clean.json"))
    claim["lines"][1]["units"] = "one"
    response = client.post("/v1/check", json=claim, headers=KEY)
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert error["field"] == "$.lines[1].units" and error["pointer"] == "/lines/1/units"
    claim["lines"][1]["units"] = -1
    negative = client.post("/v1/check", json=claim, headers=KEY).json()
    assert negative["errors"][0]["field"] == "$.lines[1].units" and "more than 0" in negative["detail"]
    wrong_type = client.post("/v1/check", content=b"<claim/>", headers={**KEY, "content-type": "application/xml"})
    assert wrong_type.status_code == 415
    bad_date = client.post("/v1/check?as_of=tomorrow", json=claim, headers=KEY)
    assert bad_date.status_code == 422 and bad_date.json()["errors"][0]["field"] == "as_of"


def test_prior_auth_answer(client: TestClient) -> None:
    response = client.post("/v1/prior-auth", content=example("no-authorization.json"), headers=KEY)
    (answer,) = response.json()["claims"]
    assert answer["claim_id"] == "PA-007" and answer["prior_auth"]["status"] == "required"
    assert answer["prior_auth"]["sources"][0]["url"]


def test_policies_checklist_and_code_pages(client: TestClient) -> None:
    listed = client.get("/v1/policies", headers=KEY).json()
    ids = {p["id"] for p in listed}
    assert "demo-health-plan" in ids and all(p["title"] and p["version"] for p in listed)
    one = client.get("/v1/policies/demo-health-plan", headers=KEY).json()
    assert one["illustrative"] is True and "J3420" in one["drugs"]
    missing = client.get("/v1/policies/no-such-policy", headers=KEY)
    assert missing.status_code == 404 and "no-such-policy" in missing.json()["detail"]
    checklist = client.get("/v1/checklist?payer=DEMO1&plan=GOLD-1", headers=KEY).json()
    assert checklist["prior_auth"]["requirement"] == "always" and checklist["as_of"] == "2026-03-01"
    assert any("Serum B12" in item["item"] for item in checklist["items"])
    assert client.get("/v1/checklist", headers=KEY).json()["errors"][0]["field"] == "query.payer"
    page = client.get("/v1/codes/J3420", headers=KEY).json()
    assert page["code"] == "J3420" and page["sections"]
    html = client.get("/v1/codes/j3420", headers={**KEY, "accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html") and "<h1>J3420" in html.text
    assert client.get("/v1/codes/ZZ999", headers=KEY).status_code == 404


def test_history_endpoints_need_a_store(client: TestClient) -> None:
    response = client.get("/v1/authorizations", headers=KEY)
    assert response.status_code == 503 and "store_url" in response.json()["detail"]


def test_authorizations_are_stored_and_used_by_check_and_cds(stored: TestClient) -> None:
    assert stored.post("/v1/authorizations", json=AUTH).status_code == 201
    again = stored.post("/v1/authorizations", json=AUTH)
    assert again.status_code == 200 and again.json() == {"outcome": "unchanged", "number": "AUTH-9"}
    bad = stored.post("/v1/authorizations", json={**AUTH, "end": "2025-01-01"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "$.end"
    listed = stored.get("/v1/authorizations?patient=PT-1007").json()
    assert [a["number"] for a in listed] == ["AUTH-9"]
    assert stored.get("/v1/patients/PT-1007/history").json()["authorizations"][0]["number"] == "AUTH-9"
    claim = json.loads(example("no-authorization.json"))
    report = stored.post("/v1/check", json={**claim, "prior_auth": "AUTH-9"}).json()["claims"][0]
    assert report["prior_auth"]["status"] == "on-file"
    # CDS: the same authorization on file for the order's patient -> pa-needed satisfied with its number.
    stored.post("/v1/authorizations", json={**AUTH, "number": "AUTH-10", "patient_key": "pat-b12-1"})
    body = stored.post("/cds-services/preclaim-b12-order-sign", json=hook_request(prefetch=full_prefetch())).json()
    (ext,) = coverage_information(body["systemActions"][0]["resource"])
    subs = {s["url"]: next(v for k, v in s.items() if k.startswith("value")) for s in ext["extension"]}
    assert subs["pa-needed"] == "satisfied" and subs["satisfied-pa-id"] == "AUTH-10"


def test_cds_feedback_goes_to_the_store_when_there_is_one(stored: TestClient, tmp_path: Path) -> None:
    item = {
        "card": "c-1",
        "outcome": "accepted",
        "outcomeTimestamp": "2026-03-01T10:00:00Z",
        "acceptedSuggestions": [{"id": "s-1"}],
    }
    url = "/cds-services/preclaim-b12-order-sign/feedback"
    assert stored.post(url, json={"feedback": [item, {**item, "card": "c-2"}]}).json() == {"stored": 2}
    rows = stored.app.state.svc.feedback.read()  # type: ignore[attr-defined]
    assert [(r["card"], r["outcome"], r["service"]) for r in rows] == [
        ("c-1", "accepted", "preclaim-b12-order-sign"),
        ("c-2", "accepted", "preclaim-b12-order-sign"),
    ]
    assert rows[0]["item"]["acceptedSuggestions"] == [{"id": "s-1"}]
    assert not (tmp_path / "cds-feedback.jsonl").exists()


def test_a_repeated_query_parameter_is_refused_not_read_as_the_last_one(stored: TestClient) -> None:
    assert stored.post("/v1/authorizations", json=AUTH).status_code == 201
    response = stored.get("/v1/authorizations?patient=PT-OTHER&patient=PT-1007")
    assert response.status_code == 422
    assert "'patient' is given 2 times" in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "query.patient"
    assert [a["number"] for a in stored.get("/v1/authorizations?patient=PT-1007").json()] == ["AUTH-9"]
