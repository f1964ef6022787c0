"""Property test: a valid B12 order-sign call with any FHIR element replaced by any JSON value is answered
(200 or a 4xx problem), never a server error. EHRs send what they send."""

from __future__ import annotations

import copy
import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from api_fixtures import b12_order, full_prefetch, hook_request
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preclaim.api import ServiceSettings, create_app
from preclaim.engine import Engine

_client = TestClient(
    create_app(
        ServiceSettings(insecure_dev=True, data_dir=tempfile.mkdtemp(prefix="preclaim-fuzz-"), rate_limit_per_minute=0),
        checker=Engine.default(),
        today=lambda: dt.date(2026, 3, 1),
    ),
    raise_server_exceptions=False,
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
_dates = st.sampled_from(["2026-13-45", "2026-02-30", "not a date", "2026", "", "2026-03-02T99:00:00Z"])
# Where an EHR's JSON can differ from what we expect: (path into the request, key).
_PATHS = [
    ("order", "dosageInstruction"),
    ("order", "medicationCodeableConcept"),
    ("order", "reasonCode"),
    ("order", "authoredOn"),
    ("order", "subject"),
    ("order", "requester"),
    ("order", "insurance"),
    ("order", "extension"),
    ("order", "medicationReference"),
    ("order", "contained"),
    ("order", "basedOn"),
    ("dosage", "doseAndRate"),
    ("dosage", "timing"),
    ("dosage", "route"),
    ("dose", "value"),
    ("dose", "code"),
    ("patient", "birthDate"),
    ("patient", "gender"),
    ("patient", "address"),
    ("patient", "id"),
    ("coverage", "payor"),
    ("coverage", "type"),
    ("coverage", "class"),
    ("coverage", "beneficiary"),
    ("coverage", "subscriberId"),
    ("coverage", "status"),
    ("lab", "valueQuantity"),
    ("lab", "effectiveDateTime"),
    ("lab", "code"),
    ("prefetch", "coverage"),
    ("prefetch", "patient"),
    ("prefetch", "b12Lab"),
    ("context", "draftOrders"),
    ("context", "patientId"),
    ("context", "userId"),
    ("request", "extension"),
]


def _target(req: dict[str, Any], where: str) -> dict[str, Any]:
    order = req["context"]["draftOrders"]["entry"][1]["resource"]
    dosage = order["dosageInstruction"][0]
    return {
        "order": order,
        "dosage": dosage,
        "dose": dosage["doseAndRate"][0]["doseQuantity"],
        "patient": req["prefetch"]["patient"],
        "coverage": req["prefetch"]["coverage"]["entry"][0]["resource"],
        "lab": req["prefetch"]["b12Lab"]["entry"][0]["resource"],
        "prefetch": req["prefetch"],
        "context": req["context"],
        "request": req,
    }[where]


_BASE = hook_request(order=b12_order(dose_mcg=2000), prefetch=full_prefetch())
_BASE.pop("fhirServer")
_BASE.pop("fhirAuthorization")


@settings(
    max_examples=int(os.environ.get("PRECLAIM_FUZZ_EXAMPLES", "250")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(changes=st.lists(st.tuples(st.sampled_from(_PATHS), _json | _dates), min_size=1, max_size=3))
def test_any_fhir_shape_is_answered_never_a_crash(changes: list[tuple[tuple[str, str], Any]]) -> None:
    req = copy.deepcopy(_BASE)
    targets = [(_target(req, where), key, value) for (where, key), value in changes]  # before any change
    for target, key, value in targets:
        target[key] = value
    response = _client.post("/cds-services/preclaim-b12-order-sign", json=req)
    assert response.status_code < 500, (changes, response.text[:300])
    if response.status_code == 200:
        assert isinstance(response.json()["cards"], list)


def test_fuzz_base_request_is_a_b12_answer() -> None:
    body = _client.post("/cds-services/preclaim-b12-order-sign", json=_BASE).json()
    assert body["systemActions"][0]["resource"]["id"] == "mr-b12-1"
    assert Path(tempfile.gettempdir()).is_dir()
