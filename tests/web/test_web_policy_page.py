"""The policy page shows a drug's billing unit from the drug catalog (a policy no longer carries it)."""

from __future__ import annotations

from pathlib import Path

import httpx
from web_server import LiveServer, service_app


def test_policy_page_shows_the_catalog_unit(tmp_path: Path) -> None:
    with LiveServer(service_app(tmp_path)) as server, httpx.Client(base_url=server.base, timeout=30) as client:
        page = client.get("/policies/baseline-coding")
    assert page.status_code == 200
    assert "up to 1000 mcg per unit (the drug catalog)" in page.text
