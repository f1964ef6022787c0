"""Issue 11 item 6: the pages refuse state-changing requests that do not say they come from our pages (no Origin
and no Referer, not only a foreign one), /logout included; the sign-in cookie holds a session id (or a signed
token), never the API key, and is Secure when the public URL is https; a stalled request body gets 408.

Each test fails on the code before the fix: a POST without Origin was accepted, the cookie was the raw key,
and a silent body held the connection open until the client gave up.
"""

from __future__ import annotations

import hashlib
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from web_server import LiveServer, service_app

KEY = "security-test-key-0123456789"
FORM = {"payer_id": "DEMO1", "date_of_service": "2026-03-16", "dx1": "D51.0", "units": "1"}


def _settings(**extra: object) -> dict[str, object]:
    from preclaim.api.settings import ApiKey, hash_key

    return {"insecure_dev": False, "api_keys": (ApiKey(client="desk", sha256=hash_key(KEY)),), **extra}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(service_app(tmp_path, **_settings(body_timeout_s=1.0))) as server:
        yield server


@contextmanager
def _signed_in(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=30) as client:
        response = client.post("/login", data={"api_key": KEY}, headers={"origin": server.base})
        assert response.status_code == 303
        yield client


def test_a_post_without_origin_or_referer_is_refused_even_when_signed_in(live: LiveServer) -> None:
    with _signed_in(live) as client:
        for path, data in (("/check", FORM), ("/authorizations", {"number": "PA-9"}), ("/logout", {})):
            bare = client.post(path, data=data)
            assert bare.status_code == 403, path
            assert "did not come from a preclaim page" in bare.text
        foreign = client.post("/check", data=FORM, headers={"origin": "https://evil.example"})
        assert foreign.status_code == 403
        opaque = client.post("/check", data=FORM, headers={"origin": "null", "referer": live.base + "/"})
        assert opaque.status_code == 403  # a sandboxed frame says Origin: null; its Referer does not count
        by_referer = client.post("/check", data=FORM, headers={"referer": live.base + "/"})
        assert by_referer.status_code == 200 and "Verdict" in by_referer.text
        assert client.get("/policies").status_code == 200  # the bare /logout above did not sign us out


def test_sign_in_and_sign_out_need_our_origin_too(live: LiveServer) -> None:
    bare = httpx.post(live.base + "/login", data={"api_key": KEY})
    assert bare.status_code == 403 and "set-cookie" not in bare.headers
    with _signed_in(live) as client:
        assert client.post("/logout").status_code == 403
        assert client.get("/policies").status_code == 200
        out = client.post("/logout", headers={"origin": live.base})
        assert out.status_code == 303


def test_the_cookie_is_a_session_id_not_the_key_and_sign_out_ends_it(live: LiveServer, tmp_path: Path) -> None:
    from sqlalchemy import select

    from preclaim.store import Store
    from preclaim.store.models_web import WebSessionRow

    with _signed_in(live) as client:
        token = client.cookies["preclaim_session"]
        assert KEY not in token and hashlib.sha256(KEY.encode()).hexdigest() not in token
        with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store, store.transaction(write=False) as session:
            kept = list(session.scalars(select(WebSessionRow.token_sha256)))
        assert kept == [hashlib.sha256(token.encode()).hexdigest()]  # only the hash is stored
        client.post("/logout", headers={"origin": live.base})
    stolen = httpx.get(live.base + "/policies", cookies={"preclaim_session": token})
    assert stolen.status_code == 303  # a copied cookie is dead after sign-out
    as_key = httpx.get(live.base + "/policies", cookies={"preclaim_session": KEY, "preclaim_web_key": KEY})
    assert as_key.status_code == 303  # the old cookie carrying the key opens nothing


def test_without_a_history_store_sessions_are_still_server_side(tmp_path: Path) -> None:
    app = service_app(tmp_path, **_settings(use_store=False, store_url=None))
    with LiveServer(app) as server, _signed_in(server) as client:
        token = client.cookies["preclaim_session"]
        assert KEY not in token
        assert client.get("/policies").status_code == 200
        assert (tmp_path / "web.db").is_file()  # the pages' own store in the data folder holds the session
        client.post("/logout", headers={"origin": server.base})
        assert httpx.get(server.base + "/policies", cookies={"preclaim_session": token}).status_code == 303


def test_the_cookie_is_secure_when_the_public_url_is_https(tmp_path: Path) -> None:
    app = service_app(tmp_path, **_settings(public_url="https://claims.example.org"))
    with LiveServer(app) as server:
        response = httpx.post(
            server.base + "/login", data={"api_key": KEY}, headers={"origin": "https://claims.example.org"}
        )
        assert response.status_code == 303
        cookie = response.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_a_stalled_request_body_gets_408(live: LiveServer) -> None:
    host, port = live.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST /login HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: {live.base}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\napi_key=se"
        )
        sock.sendall(head.encode())
        started = time.monotonic()
        answer = sock.recv(4096).decode("latin-1")
        waited = time.monotonic() - started
    assert answer.startswith("HTTP/1.1 408"), answer[:80]
    assert waited < 8  # the 1 s idle limit, not the client's patience
