"""Attacks on the service (issue 11, items 1, 2, 4 and 5), each against uvicorn on loopback with JWTs signed
by ES384/RS384 keys generated for the test session: JWT replay and lifetime, the fhirServer allow-list, log
injection and patient ids in logs, deep JSON. Every test here failed before its fix."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))  # the service tests' builders
from api_fixtures import (
    ISS,
    TODAY,
    Keys,
    b12_lab,
    coverage,
    hook_request,
    keys,
    patient,
    searchset,
)
from live_server import LiveServer

from preclaim.api import ServiceSettings, create_app
from preclaim.api.jwt_auth import ReplayCache
from preclaim.api.middleware import configure_logging
from preclaim.api.replay import SqliteReplayCache
from preclaim.api.settings import ApiKey, Issuer, hash_key

__all__ = ["keys"]
SERVICE = "/cds-services/preclaim-b12-order-sign"
API_KEY = "k-security"
AUTH_ISS = "https://auth.test.invalid"
EHR_TOKEN = "ehr-access-token-for-fhir"  # what must never reach a server off the allow-list


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("PRECLAIM_DB", "PRECLAIM_SERVICE_CONFIG", "PRECLAIM_API_KEYS", "PRECLAIM_SERVICE_SETTINGS_JSON"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PRECLAIM_HOME", str(tmp_path / "home"))


def _settings(keys: Keys, tmp_path: Path, **kw: Any) -> ServiceSettings:
    base: dict[str, Any] = {
        "cds_issuers": (Issuer(iss=ISS, jwks_file=str(keys.jwks_file)),),
        "api_keys": (ApiKey(client="billing", sha256=hash_key(API_KEY)),),
        "data_dir": str(tmp_path),
        "rate_limit_per_minute": 0,
    }
    return ServiceSettings(**{**base, **kw})


def _sign(keys: Keys, claims: dict[str, Any], alg: str = "ES384") -> str:
    key, kid = (keys.rsa, "rsa-1") if alg == "RS384" else (keys.ec, "ec-1")
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


def _claims(aud: str, **kw: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISS, "aud": aud, "iat": now, "exp": now + 120, "jti": uuid.uuid4().hex, **kw}


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# -- item 1: a jti is remembered until exp + leeway; lifetime capped; exp a number, jti a non-empty string --


@pytest.mark.parametrize("cache", ["memory", "sqlite"])
def test_jwt_replay_after_exp_lifetime_and_claim_types_are_refused(keys: Keys, tmp_path: Path, cache: str) -> None:
    app = create_app(_settings(keys, tmp_path, replay_cache=cache), checker=None)
    # sweep before every call, as a busy server does after 30 s or 200,000 tokens: nothing but exp + leeway
    # may decide when a jti is forgotten
    swept = ReplayCache(max_entries=0) if cache == "memory" else SqliteReplayCache(tmp_path / "jti.db", sweep_every_s=0)
    app.state.svc.cds_verifier.replay = swept
    with LiveServer(app) as live, httpx.Client(base_url=live.base) as client:
        url = f"{live.base}/cds-services"
        now = int(time.time())

        def status(claims: dict[str, Any], alg: str = "ES384") -> tuple[int, str]:
            response = client.get("/cds-services", headers=_bearer(_sign(keys, claims, alg)))
            detail = response.json().get("detail", "") if response.status_code != 200 else ""
            return response.status_code, detail

        for alg in ("ES384", "RS384"):
            # expired 5 s ago, inside the 30 s leeway: accepted once, then a replay until exp + 30 s
            late = _claims(url, iat=now - 60, exp=now - 5)
            token = _sign(keys, late, alg)
            assert client.get("/cds-services", headers=_bearer(token)).status_code == 200
            again = client.get("/cds-services", headers=_bearer(token))
            assert again.status_code == 401 and "replay" in again.json()["detail"], alg
            assert status(_claims(url, exp=now + 300), alg)[0] == 200  # the cap itself (5 minutes) is accepted

        refused = {
            "string exp": _claims(url, exp=str(now + 120)),
            "string iat": _claims(url, iat=str(now)),
            "string nbf": _claims(url, nbf=str(now)),
            "float exp far away": _claims(url, exp=1e300),
            "huge int exp": _claims(url, exp=10**30),
            "one-hour lifetime": _claims(url, exp=now + 3600),
            "issued an hour ago, valid a minute more": _claims(url, iat=now - 3600, exp=now + 60),
            "exp in a year, iat in the future too": _claims(url, iat=now + 365 * 86400 - 60, exp=now + 365 * 86400),
            "empty jti": _claims(url, jti=""),
            "blank jti": _claims(url, jti="   "),
            "numeric jti": _claims(url, jti=12345),
            "list jti": _claims(url, jti=["a"]),
            "boolean exp": _claims(url, exp=True),
            "tenant not a string": _claims(url, tenant={"id": "acme"}),
        }
        for name, claims in refused.items():
            code, detail = status(claims)
            assert code == 401, f"{name}: {code}"
            assert detail and "Traceback" not in detail, name
        assert "number" in status(_claims(url, exp=str(now + 120)))[1]
        assert "lives too long" in status(_claims(url, exp=now + 3600))[1]
        assert "jti must be a non-empty string" in status(_claims(url, jti=""))[1]


def test_old_replay_table_rows_are_kept_past_exp(tmp_path: Path) -> None:
    """A jti.db written before the fix held exp only; its rows must still outlive the leeway."""
    import sqlite3

    db = sqlite3.connect(tmp_path / "jti.db")
    db.execute(
        "CREATE TABLE seen_jti (iss TEXT NOT NULL, jti TEXT NOT NULL, exp REAL NOT NULL, PRIMARY KEY (iss, jti))"
    )
    db.execute("INSERT INTO seen_jti VALUES (?, 'old', 1000.0)", (ISS,))
    db.commit()
    db.close()
    cache = SqliteReplayCache(tmp_path / "jti.db", sweep_every_s=0)
    assert not cache.check_and_add(ISS, "old", keep_until=1030.0, now=1020.0)  # inside the leeway: a replay
    assert cache.check_and_add(ISS, "new", keep_until=1030.0, now=1020.0)
    cache.close()


# -- item 2: the fhirServer allow-list compares parsed URLs; the token and patient id go nowhere else --


class Recorder:
    """A FHIR server on a loopback address that records every request (path, Authorization)."""

    def __init__(self, host: str, routes: dict[str, Any] | None = None, body: bytes | None = None) -> None:
        self.seen: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append((self.path, self.headers.get("authorization")))
                found = (routes or {}).get(self.path.split("/r4/", 1)[-1])
                payload = body if body is not None else json.dumps(found or {"resourceType": "OperationOutcome"})
                data = payload if isinstance(payload, bytes) else payload.encode()
                self.send_response(200 if found is not None or body is not None else 404)
                self.send_header("content-type", "application/fhir+json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def recorders() -> Iterator[dict[str, Recorder]]:
    routes = {
        "Patient/pat-b12-1": patient(),
        "Coverage?patient=pat-b12-1&status=active": searchset(coverage()),
        "Observation?patient=pat-b12-1&code=http://loinc.org|2132-9&_sort=-date&_count=3": searchset(b12_lab(420)),
    }
    made = {
        "good": Recorder("127.0.0.1", routes),
        "other_host": Recorder("127.0.0.10"),
        "other_port": Recorder("127.0.0.1"),
    }
    yield made
    for server in made.values():
        server.close()


def test_fhir_server_allow_list_compares_parsed_urls(
    engine: Any, keys: Keys, tmp_path: Path, recorders: dict[str, Recorder]
) -> None:
    good, host10, port2 = (recorders[k].port for k in ("good", "other_host", "other_port"))
    # what an administrator writes: the EHR's FHIR base, and a host meant as "that server on port 80"
    allowed = (f"http://127.0.0.1:{good}/r4/", "http://127.0.0.1")
    issuer = Issuer(iss=ISS, jwks_file=str(keys.jwks_file), fhir_servers=allowed)
    app = create_app(_settings(keys, tmp_path, cds_issuers=(issuer,)), checker=engine, today=lambda: TODAY)
    attacks = {
        "dot segments": f"http://127.0.0.1:{good}/r4/../../evil",
        "encoded dot segments": f"http://127.0.0.1:{good}/r4/%2e%2e/%2E%2E/evil",
        "encoded slash": f"http://127.0.0.1:{good}/r4/..%2f..%2fevil",
        "double-encoded dots": f"http://127.0.0.1:{good}/r4/%252e%252e/evil",
        "backslash dots": f"http://127.0.0.1:{good}/r4/..\\..\\evil",
        "host with a longer name": f"http://127.0.0.10:{host10}/r4",
        "host with a trailing dot": f"http://127.0.0.10.:{host10}/r4",
        "another port": f"http://127.0.0.1:{port2}/r4",
        "userinfo": f"http://127.0.0.1@127.0.0.10:{host10}/r4",
        "userinfo with the allowed port": f"http://127.0.0.1:{good}@127.0.0.10:{host10}/r4/",
        "backslash before @": f"http://127.0.0.1:{good}\\@127.0.0.10:{host10}/r4",
        "fragment before @": f"http://127.0.0.10:{host10}#@127.0.0.1:{good}/r4/",
        "query on the base": f"http://127.0.0.1:{good}/r4?_format=json&x=",
        "ideographic full stops": f"http://127\u30020\u30020\u300210:{host10}/r4",
        "percent-encoded host": f"http://127.0.0.%31%30:{host10}/r4",
        "tab in the URL": f"http://127.0.0.1:{good}/r4\t",
        "path of another case": f"http://127.0.0.1:{good}/R4",
        "path that only starts alike": f"http://127.0.0.1:{good}/r4evil",
        "IPv6 loopback": f"http://[::1]:{good}/r4",
    }
    with LiveServer(app) as live, httpx.Client(base_url=live.base) as client:

        def call(fhir_server: str, patient_id: str = "pat-b12-1") -> httpx.Response:
            body = hook_request(prefetch={}, fhir_server=fhir_server)
            body["context"]["patientId"] = patient_id
            body["fhirAuthorization"] = {"access_token": EHR_TOKEN, "token_type": "Bearer", "expires_in": 300,
                                         "scope": "patient/*.read", "subject": "preclaim"}  # fmt: skip
            token = keys.sign(f"{live.base}{SERVICE}")
            return client.post(SERVICE, json=body, headers=_bearer(token))

        for name, fhir_server in attacks.items():
            response = call(fhir_server)
            assert response.status_code == 400, f"{name}: {response.status_code} {response.text[:200]}"
            assert response.headers["content-type"] == "application/problem+json"
            assert "fhirServer" in response.json()["detail"], name
            assert all(not r.seen for r in recorders.values()), f"{name} reached {[r.seen for r in recorders.values()]}"
        for patient_id in ("../../evil", "pat-b12-1/../../../evil", "pat-b12-1?_count=1000", "..", "pat%2f..%2fx"):
            response = call(f"http://127.0.0.1:{good}/r4", patient_id)
            assert response.status_code == 400 and "patientId" in response.json()["detail"], patient_id
            assert not recorders["good"].seen, patient_id
        # the allowed server, written as the EHR may write it, is read with the EHR's token
        for same in (f"http://127.0.0.1:{good}/r4", f"HTTP://127.0.0.1:{good}/r4/", f"http://127.0.0.1:{good}/r4/"):
            response = call(same)
            assert response.status_code == 200, f"{same}: {response.text[:300]}"
        paths = {path.split("?")[0] for path, _ in recorders["good"].seen}
        assert paths == {"/r4/Patient/pat-b12-1", "/r4/Coverage", "/r4/Observation"}
        assert {auth for _, auth in recorders["good"].seen} == {f"Bearer {EHR_TOKEN}"}
        assert not recorders["other_host"].seen and not recorders["other_port"].seen


# -- item 4: one log line per request, every value escaped, routes logged as templates --

_LINE = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) \[[A-Za-z0-9._-]+\] preclaim\.api[a-z.]*: "
)
FORGED = "2026-03-01 10:00:00,000 ERROR [forged] preclaim.api: forged"


@pytest.fixture
def service_log() -> Iterator[io.StringIO]:
    """The service's own log handler and format (as `preclaim serve` sets them up), writing to a buffer."""
    root = logging.getLogger("preclaim")
    saved = (root.handlers[:], root.level, root.propagate)
    buffer = io.StringIO()
    configure_logging(logging.INFO)
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    root.handlers[:], root.level, root.propagate = saved[0], saved[1], saved[2]


def test_logs_escape_what_clients_send_and_hold_no_patient_ids(
    keys: Keys, tmp_path: Path, service_log: io.StringIO
) -> None:
    auth = Issuer(iss=AUTH_ISS, jwks_file=str(keys.jwks_file), audience="https://api.test.invalid")
    store = f"sqlite:///{tmp_path / 'history.db'}"
    settings = _settings(keys, tmp_path, oauth_issuers=(auth,), store_url=store)
    limited = _settings(keys, tmp_path / "limited", rate_limit_per_minute=1, rate_burst=1, max_body_bytes=1000)
    injections = ["%0a", "%0d%0a", "%00", "%1b[31m", "%7f", "%c2%85", "%e2%80%a8", "%e2%80%ae", "%5cx0a", "%09"]
    sent = 0
    with LiveServer(create_app(settings)) as live, httpx.Client(base_url=live.base) as client:
        key = {"x-api-key": API_KEY}
        assert client.get("/v1/patients/PAT-SECRET-4711/history").status_code == 401
        assert client.get("/v1/patients/PAT-SECRET-4712/history", headers=key).status_code == 200
        assert client.get(f"/v1/patients/PAT-SECRET-4713%0a{FORGED}/history", headers=key).status_code == 200
        sent += 3
        for bad in injections:  # routed (a template is logged) and unrouted (only the first segment)
            client.get(f"/v1/codes/J3420{bad}{FORGED}", headers=key)
            client.get(f"/{bad}{FORGED}/PAT-SECRET-4714")
            sent += 2
        tenant = f"acme\n{FORGED}\r\x00\x1b[2J"
        discovery = f"{live.base}/cds-services"
        assert client.get("/cds-services", headers=_bearer(_sign(keys, _claims(discovery, tenant=tenant)))).is_success
        oauth = _claims("https://api.test.invalid", iss=AUTH_ISS, client_id=f"billing\n{FORGED}")
        assert client.get("/v1/policies", headers=_bearer(_sign(keys, oauth, "RS384"))).status_code == 200
        sent += 2
    with LiveServer(create_app(limited)) as live, httpx.Client(base_url=live.base) as client:
        assert client.get("/v1/patients/PAT-SECRET-4715/history").status_code == 401
        assert client.get("/v1/patients/PAT-SECRET-4716/history").status_code == 429  # before routing
        big = client.post("/v1/patients/PAT-SECRET-4717/history", content=b"x" * 2000)
        assert big.status_code == 413  # also before routing
        sent += 3
    text = service_log.getvalue()
    lines = text.split("\n")[:-1]
    assert all(_LINE.match(line) for line in lines), [line for line in lines if not _LINE.match(line)][:3]
    assert all(line.isprintable() for line in lines), "a control character reached the log"
    assert "PAT-SECRET" not in text
    access = [line for line in lines if re.search(r"\] preclaim\.api: (GET|POST) .* \d{3} [\d.]+ms client=", line)]
    assert len(access) == sent
    history = [line.split("/v1/patients/{patient_key}/history ")[1][:3] for line in access if "{patient_key}" in line]
    assert history == ["401", "200", "200", "401", "429", "413"]
    assert "client=https://ehr.test.invalid#acme\\x0a2026-03-01" in text and "\\x0d\\x00\\x1b[2J" in text
    assert "client=billing\\x0a2026-03-01" in text
    assert "GET /\\x0a2026-03-01 10:00:00,000 ERROR [forged] /... 404" in text  # the first 40 characters
    assert "GET /\\\\x0a2026" in text  # a backslash sent is logged as \\, so it cannot pass for an escape
    assert "GET /v1/codes/{code} " in text


# -- item 5: deep JSON is refused before a parser recurses into it, with a problem document, never a 500 --


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_deep_json_is_a_4xx_problem_never_a_500(keys: Keys, tmp_path: Path, engine: Any) -> None:
    deep_array = b"[" * 100_000 + b"]" * 100_000
    deep_object = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    auth = Issuer(iss=AUTH_ISS, jwks_file=str(keys.jwks_file), audience="https://api.test.invalid")
    deep_fhir = Recorder("127.0.0.1", body=b'{"resourceType":"Patient","x":' + deep_array + b"}")
    issuer = Issuer(iss=ISS, jwks_file=str(keys.jwks_file))
    settings = _settings(keys, tmp_path, oauth_issuers=(auth,), cds_issuers=(issuer,))
    header, signature = _b64(b'{"alg":"ES384","typ":"JWT","kid":"ec-1"}'), _b64(b"x" * 96)
    deep_jwt = b"[" * 3000 + b"]" * 3000  # past Python's recursion limit, yet within an HTTP header's size
    deep_jwt_object = b'{"a":' * 3000 + b"1" + b"}" * 3000
    iss, alg = b'{"iss":', b'{"alg":'
    unsigned = {
        "payload": ".".join((header, _b64(iss + deep_jwt + b"}"), signature)),
        "object payload": ".".join((header, _b64(iss + deep_jwt_object + b"}"), signature)),
        "header": ".".join((_b64(alg + deep_jwt + b"}"), _b64(b"{}"), signature)),
    }
    try:
        app = create_app(settings, checker=engine, today=lambda: TODAY)
        with LiveServer(app) as live, httpx.Client(base_url=live.base) as client:
            answers: dict[str, httpx.Response] = {}
            for name, token in unsigned.items():  # no valid signature: refused before it is checked
                answers[f"CDS JWT {name}"] = client.get("/cds-services", headers=_bearer(token))
                answers[f"OAuth JWT {name}"] = client.get("/v1/policies", headers=_bearer(token))
            key = {"x-api-key": API_KEY, "content-type": "application/json"}
            for name, body in {"array": deep_array, "object": deep_object}.items():
                answers[f"/v1/check {name}"] = client.post("/v1/check", content=body, headers=key)
                answers[f"/v1/prior-auth {name}"] = client.post("/v1/prior-auth", content=body, headers=key)
                for path in (SERVICE, f"{SERVICE}/feedback"):
                    token = keys.sign(f"{live.base}{path}")
                    answers[f"{path} {name}"] = client.post(path, content=body, headers=_bearer(token))
            request = hook_request(prefetch={}, fhir_server=f"http://127.0.0.1:{deep_fhir.port}/r4")
            fhir = client.post(SERVICE, json=request, headers=_bearer(keys.sign(f"{live.base}{SERVICE}")))
            at_limit = b"[" * 64 + b"]" * 64
            shallow = client.post("/v1/check", content=at_limit, headers=key)
    finally:
        deep_fhir.close()
    for name, response in answers.items():
        assert response.status_code in (400, 401, 413), f"{name}: {response.status_code}"
        assert response.headers["content-type"] == "application/problem+json", name
        problem = response.json()
        assert problem["status"] == response.status_code and "nested" in problem["detail"], f"{name}: {problem}"
        if response.status_code == 400:
            assert problem["type"].endswith("/json-too-deep"), name
    assert fhir.status_code == 412 and "nested too deep" in fhir.json()["detail"]
    assert shallow.status_code == 422  # 64 levels are parsed (and then refused as not a claim)
