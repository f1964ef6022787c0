"""Service test support: EHR signing keys and a JWKS file, a JWT signer, a real FHIR server on loopback,
invented FHIR resources (pseudonymous ids, no real people) and B12 hook requests derived from the samples."""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

SAMPLES = (Path(__file__).resolve().parents[2] / "tests" / "samples").resolve()
CDS = SAMPLES / "fhir" / "cds-hooks"
CRD = SAMPLES / "fhir" / "crd"
ISS = "https://ehr.test.invalid"
TODAY = dt.date(2026, 3, 1)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SOPT = "urn:oid:2.16.840.1.113883.3.221.5"


class Keys:
    def __init__(self, tmp: Path) -> None:
        self.ec = ec.generate_private_key(ec.SECP384R1())
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_ec = ec.generate_private_key(ec.SECP384R1())  # not in the JWKS
        ec_jwk = json.loads(ECAlgorithm.to_jwk(self.ec.public_key()))
        rsa_jwk = json.loads(RSAAlgorithm.to_jwk(self.rsa.public_key()))
        self.jwks = {
            "keys": [
                {**ec_jwk, "kid": "ec-1", "alg": "ES384", "use": "sig"},
                {**rsa_jwk, "kid": "rsa-1", "alg": "RS384", "use": "sig"},
            ]
        }
        self.jwks_file = tmp / "ehr-jwks.json"
        self.jwks_file.write_text(json.dumps(self.jwks))

    def sign(
        self,
        aud: str,
        *,
        alg: str = "ES384",
        kid: str = "ec-1",
        key: Any = None,
        iss: str = ISS,
        exp_in: int = 300,
        jti: str | None = None,
        drop: tuple[str, ...] = (),
        headers: dict[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        claims = {"iss": iss, "aud": aud, "exp": now + exp_in, "iat": now, "jti": jti or uuid.uuid4().hex}
        for name in drop:
            claims.pop(name, None)
        signing = key if key is not None else (self.rsa if alg.startswith("RS") else self.ec)
        return jwt.encode(claims, signing, algorithm=alg, headers={"kid": kid, "typ": "JWT", **(headers or {})})


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return Keys(tmp_path_factory.mktemp("keys"))


class FhirServer:
    """A tiny read-only FHIR server: exact path+query -> JSON. Records each request's path and Authorization."""

    def __init__(self) -> None:
        self.routes: dict[str, Any] = {}
        self.seen: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append((self.path, self.headers.get("authorization")))
                body = outer.routes.get(self.path.split("/r4/", 1)[-1])
                payload = json.dumps(body).encode() if body is not None else b'{"resourceType":"OperationOutcome"}'
                self.send_response(200 if body is not None else 404)
                self.send_header("content-type", "application/fhir+json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/r4"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fhir_server() -> Iterator[FhirServer]:
    server = FhirServer()
    yield server
    server.close()


def patient(state: str = "FL", pid: str = "pat-b12-1") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "gender": "female",
        "birthDate": "1951-04-02",
        "address": [{"state": state}],
    }


def coverage(
    payer: str = "Demo Health Plan",
    payer_id: str = "DEMO1",
    sopt: str = "5",
    cid: str = "cov-1",
    pid: str = "pat-b12-1",
) -> dict[str, Any]:
    return {
        "resourceType": "Coverage",
        "id": cid,
        "status": "active",
        "type": {"coding": [{"system": SOPT, "code": sopt}]},
        "beneficiary": {"reference": f"Patient/{pid}"},
        "subscriberId": "MBR-0001",
        "payor": [{"display": payer, "identifier": {"value": payer_id}}],
        "class": [{"type": {"coding": [{"code": "plan"}]}, "value": "GOLD-1"}],
    }


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def b12_lab(value: float = 180, day: str = "2026-02-01", pid: str = "pat-b12-1") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "lab-1",
        "status": "final",
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "2132-9"}]},
        "valueQuantity": {"value": value, "unit": "pg/mL"},
        "effectiveDateTime": day,
    }


def b12_order(
    dose_mcg: float = 1000,
    drug: str = "cyanocobalamin",
    dx: str = "D51.0",
    oid: str = "mr-b12-1",
    pid: str = "pat-b12-1",
) -> dict[str, Any]:
    rxcui = {"cyanocobalamin": "11248", "hydroxocobalamin": "5553"}[drug]
    return {
        "resourceType": "MedicationRequest",
        "id": oid,
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": rxcui, "display": drug}],
            "text": f"{drug} 1000 mcg/mL injection",
        },
        "subject": {"reference": f"Patient/{pid}"},
        "authoredOn": "2026-03-01",
        "requester": {"reference": "Practitioner/example"},
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": dx}]}],
        "dosageInstruction": [
            {
                "route": {"coding": [{"system": "http://snomed.info/sct", "code": "78421000"}]},
                "timing": {"repeat": {"boundsPeriod": {"start": "2026-03-02"}}},
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": dose_mcg,
                            "unit": "mcg",
                            "system": "http://unitsofmeasure.org",
                            "code": "ug",
                        }
                    }
                ],
            }
        ],
    }


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CDS / name).read_text())
    return data


def hook_request(
    hook: str = "order-sign",
    order: dict[str, Any] | None = None,
    prefetch: dict[str, Any] | None = None,
    fhir_server: str | None = None,
) -> dict[str, Any]:
    """The public sample request for the hook with its MedicationRequest replaced by a B12 order."""
    name = {"order-sign": "order_sign_hook_request.json", "order-select": "order_select_hook_request.json"}[hook]
    req = copy.deepcopy(sample(name))
    req["hookInstance"] = str(uuid.uuid4())
    order = order or b12_order()
    entries = req["context"]["draftOrders"]["entry"]
    for entry in entries:
        if entry["resource"]["resourceType"] == "MedicationRequest":
            entry["resource"] = order
    req["context"]["patientId"] = order["subject"]["reference"].split("/")[1]
    if hook == "order-select":
        req["context"]["selections"] = [f"MedicationRequest/{order['id']}"]
    if prefetch is not None:
        req["prefetch"] = prefetch
    if fhir_server is not None:
        req["fhirServer"] = fhir_server
    return req


def full_prefetch(**kw: Any) -> dict[str, Any]:
    return {"patient": patient(), "coverage": searchset(coverage(**kw)), "b12Lab": searchset(b12_lab())}
