"""Outside insecure dev mode the pages need the API key: sign-in sets an HttpOnly cookie; no key, no page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web_server import LiveServer, service_app

KEY = "web-test-key-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from preclaim.api.settings import ApiKey, hash_key

    tmp = tmp_path_factory.mktemp("signin")
    app = service_app(tmp, insecure_dev=False, api_keys=(ApiKey(client="desk", sha256=hash_key(KEY)),))
    with LiveServer(app) as live:
        yield live


def test_pages_send_a_visitor_without_a_key_to_sign_in(server: LiveServer) -> None:
    for path in ("/", "/checklist?policy=lcd-l33967", "/dashboard", "/web-api/icd10?q=D51"):
        response = httpx.get(server.base + path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    posted = httpx.post(server.base + "/check", data={"payer_id": "X"}, headers={"origin": server.base})
    assert posted.status_code == 303


def test_a_wrong_key_is_refused_and_a_right_one_opens_the_pages(server: LiveServer) -> None:
    with httpx.Client(base_url=server.base, headers={"origin": server.base}) as client:
        wrong = client.post("/login", data={"api_key": "nope", "next": "/policies"})
        assert wrong.status_code == 401 and "not valid" in wrong.text
        right = client.post("/login", data={"api_key": KEY, "next": "/policies"})
        assert right.status_code == 303 and right.headers["location"] == "/policies"
        cookie = right.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        page = client.get("/policies")
        assert page.status_code == 200 and "LCD L33967" in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]


def test_sign_in_never_redirects_off_site(server: LiveServer) -> None:
    response = httpx.post(
        server.base + "/login", data={"api_key": KEY, "next": "//evil.example/x"}, headers={"origin": server.base}
    )
    assert response.headers["location"] == "/"


def test_a_form_posted_from_another_site_is_refused(server: LiveServer) -> None:
    with httpx.Client(base_url=server.base, headers={"origin": server.base}) as client:
        client.post("/login", data={"api_key": KEY})
        response = client.post("/check", data={"payer_id": "DEMO1"}, headers={"origin": "https://evil.example"})
        assert response.status_code == 403


def test_the_rest_api_is_unchanged_by_the_pages(server: LiveServer, tmp_path: Path) -> None:
    assert httpx.get(server.base + "/v1/policies").status_code == 401  # still needs the key header
    assert httpx.get(server.base + "/v1/policies", headers={"x-api-key": KEY}).status_code == 200
