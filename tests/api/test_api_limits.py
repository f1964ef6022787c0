"""Feedback storage, body-size and rate limits, request ids and PHI-free logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from preclaim.api import ServiceSettings, create_app
from preclaim.api.middleware import RequestIdFilter

FEEDBACK = "/cds-services/preclaim-b12-order-sign/feedback"


def _app(tmp_path: Path, **kw: object) -> TestClient:
    return TestClient(create_app(ServiceSettings(insecure_dev=True, data_dir=str(tmp_path), **kw), checker=None))  # type: ignore[arg-type]


def _item(outcome: str = "accepted", comment: str | None = None) -> dict[str, object]:
    item: dict[str, object] = {"card": "0b6a8c1e-card", "outcome": outcome, "outcomeTimestamp": "2026-03-01T10:00:00Z"}
    if outcome == "accepted":
        item["acceptedSuggestions"] = [{"id": "5d1c-suggestion"}]
    else:
        item["overrideReason"] = {
            "reason": {"code": "declined", "system": "http://example.invalid/override", "display": "Patient declined"},
            "userComment": comment or "n/a",
        }
    return item


def test_feedback_is_appended_to_a_jsonl_file_once_per_event(tmp_path: Path) -> None:
    client = _app(tmp_path)
    assert client.post(FEEDBACK, json={"feedback": [_item()]}).json() == {"stored": 1}
    assert client.post(FEEDBACK, json={"feedback": [_item("overridden"), _item()]}).json() == {"stored": 2}
    lines = [json.loads(x) for x in (tmp_path / "cds-feedback.jsonl").read_text().splitlines()]
    # the second accepted item repeats the first (same card and time: a client retry) and is not written again
    assert [x["outcome"] for x in lines] == ["accepted", "overridden"]
    assert (
        lines[1]["overrideReason"]["reason"]["code"] == "declined" and lines[0]["service"] == "preclaim-b12-order-sign"
    )


def test_feedback_file_torn_by_a_crash_still_reads_and_takes_new_items(tmp_path: Path) -> None:
    first = json.dumps({"service": "preclaim-b12-order-sign", "received": "2026-03-01T10:00:01+00:00", **_item()})
    (tmp_path / "cds-feedback.jsonl").write_text(first + "\n" + first[:30])  # killed in the middle of a line
    client = _app(tmp_path)
    assert client.post(FEEDBACK, json={"feedback": [_item(), _item("overridden")]}).json() == {"stored": 2}
    text = (tmp_path / "cds-feedback.jsonl").read_text().splitlines()
    rows = []
    for line in text:
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    assert [r["outcome"] for r in rows] == ["accepted", "overridden"]  # the retried accepted item is not doubled


def test_bad_feedback_names_the_field(tmp_path: Path) -> None:
    client = _app(tmp_path)
    bad = client.post(FEEDBACK, json={"feedback": [{**_item(), "outcome": "ignored"}]})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    error = bad.json()["errors"][0]
    assert error["field"] == "$.feedback[0].outcome" and error["pointer"] == "/feedback/0/outcome"
    no_ids = {k: v for k, v in _item().items() if k != "acceptedSuggestions"}
    missing = client.post(FEEDBACK, json={"feedback": [_item("overridden"), no_ids]})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "$.feedback[1].acceptedSuggestions"
    assert not (tmp_path / "cds-feedback.jsonl").exists()  # nothing half-written
    malformed = client.post(FEEDBACK, content=b"{not json", headers={"content-type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["type"].endswith("/malformed-json")


def test_body_limit_rejects_declared_and_streamed_bodies(tmp_path: Path) -> None:
    client = _app(tmp_path, max_body_bytes=1000)
    big = json.dumps({"feedback": [_item()] * 40}).encode()
    declared = client.post(FEEDBACK, content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413 and declared.json()["detail"] == "the limit is 1000 bytes"

    def chunks() -> Iterator[bytes]:
        yield from (big[i : i + 200] for i in range(0, len(big), 200))

    streamed = client.post(FEEDBACK, content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_rate_limit_per_client_with_retry_after(tmp_path: Path) -> None:
    client = _app(tmp_path, rate_limit_per_minute=60, rate_burst=3)
    codes = [client.get("/cds-services").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/cds-services")
    assert limited.headers["retry-after"] == "1" and limited.json()["title"] == "Too many requests"
    assert client.get("/healthz").status_code == 200  # probes are never limited


def test_request_id_is_echoed_and_logged_without_phi(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    client = _app(tmp_path)
    caplog.clear()  # only what the request logs
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="preclaim"):
        response = client.post(
            FEEDBACK,
            json={"feedback": [_item("overridden", comment="Jane Roe, DOB 1950-01-01")]},
            headers={"x-request-id": "req-42"},
        )
    assert response.headers["x-request-id"] == "req-42"
    mine = [r for r in caplog.records if r.name.startswith("preclaim.api")]
    assert mine and all(getattr(r, "request_id", None) == "req-42" for r in mine)
    assert any("POST /cds-services/{service_id}/feedback 200" in r.getMessage() for r in mine)  # the route
    assert not any("Jane" in r.getMessage() or "1950" in r.getMessage() for r in caplog.records)
    fresh = client.get("/healthz", headers={"x-request-id": "bad id with spaces"})
    assert fresh.headers["x-request-id"] != "bad id with spaces" and len(fresh.headers["x-request-id"]) == 32


def test_cors_preflight_for_configured_origins(tmp_path: Path) -> None:
    client = _app(tmp_path, cors_origins=("https://ehr-app.example.org",))
    preflight = client.options(
        FEEDBACK,
        headers={
            "origin": "https://ehr-app.example.org",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://ehr-app.example.org"
    other = client.options(
        FEEDBACK, headers={"origin": "https://evil.example", "access-control-request-method": "POST"}
    )
    assert "access-control-allow-origin" not in other.headers


class _FailingEngine:
    """Stands in for an engine bug: the only way to make the real one raise on purpose."""

    def check(self, *args: object, **kw: object) -> object:
        raise RuntimeError("boom for patient Jane Roe")

    def prior_auth(self, *args: object, **kw: object) -> object:
        raise RuntimeError("boom")


def test_a_bug_is_a_500_problem_and_its_text_stays_out_of_the_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from api_fixtures import full_prefetch, hook_request

    app = create_app(ServiceSettings(insecure_dev=True, data_dir=str(tmp_path)), checker=_FailingEngine())  # type: ignore[arg-type]
    client = TestClient(app, raise_server_exceptions=False)
    caplog.clear()
    response = client.post("/cds-services/preclaim-b12-order-sign", json=hook_request(prefetch=full_prefetch()))
    assert response.status_code == 500 and response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"] and "Jane" not in response.text
    assert any("unhandled RuntimeError at" in r.getMessage() for r in caplog.records)
    assert not any("Jane" in r.getMessage() for r in caplog.records)


def test_invalid_utf8_inside_a_json_string_is_a_400_not_a_500(tmp_path: Path) -> None:
    """Found by fuzzing the CDS Hooks body: msgspec raises UnicodeDecodeError, which used to escape as a 500."""
    client = _app(tmp_path)
    body = b'{"feedback": [{"card": "\xff\xfe", "outcome": "accepted"}]}'
    answer = client.post(FEEDBACK, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400 and answer.json()["type"].endswith("/malformed-json")
    assert "UTF-8" in answer.json()["detail"]
