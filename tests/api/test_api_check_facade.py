"""POST /v1/check reads a body the way `preclaim check` reads a file (preclaim.facade): an 837P's claims are
history for each other, a byte order mark is no obstacle, and the reports are the CLI's."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import preclaim
from preclaim.api import ServiceSettings, create_app
from preclaim.api.settings import ApiKey, hash_key

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-03-20"
KEY = {"x-api-key": "test-key"}


@pytest.fixture
def client(engine: Any, tmp_path: Path) -> TestClient:
    settings = ServiceSettings(
        api_keys=(ApiKey(client="billing", sha256=hash_key("test-key")),), data_dir=str(tmp_path)
    )
    return TestClient(create_app(settings, checker=engine, today=lambda: dt.date(2026, 3, 1)))


def test_an_837p_body_gets_the_cli_reports_with_in_file_history(client: TestClient, tmp_path: Path) -> None:
    path = tmp_path / "batch.837"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "edi_generate.py"), "60", str(path), "--seed", "7"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    cli = subprocess.run(
        [sys.executable, "-m", "preclaim", "check", str(path), "--format", "json", "--no-store", "--as-of", AS_OF],
        capture_output=True,
        timeout=180,
    )
    expected = json.loads(cli.stdout)["claims"]
    body = b"\xef\xbb\xbf" + path.read_bytes()
    response = client.post(
        f"/v1/check?as_of={AS_OF}", content=body, headers={**KEY, "content-type": "application/octet-stream"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["claims"] == expected
    too_soon = [r for r in expected if any(f["rule"] == "frequency.too-soon" for f in r["findings"])]
    assert too_soon  # found only because earlier claims of the same file are history
    claims = preclaim.claims_of(path)
    answer = client.post(f"/v1/prior-auth?as_of={AS_OF}", content=body, headers=KEY)
    assert [a["claim_id"] for a in answer.json()["claims"]] == [c.id for c in claims]
