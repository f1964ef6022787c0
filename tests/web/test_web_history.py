"""Keeping things in history from the pages: a checked claim, an 837P's claims and checks, an 835's payments."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web_server import LiveServer, service_app
from x835 import b12_835

FORM = {
    "payer_id": "09102",
    "filing_indicator": "MB",
    "provider_state": "FL",
    "date_of_service": "2026-03-16",
    "units": "1",
    "dose_mcg": "1000",
    "dx1": "R53.83",
    "admin_96372": "1",
    "patient_key": "PT-1005",
}


def _origin(server: LiveServer) -> dict[str, str]:
    return {"origin": server.base}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    with LiveServer(service_app(tmp_path)) as server:
        yield server, tmp_path / "store.db"


def _checks(db: Path) -> list[tuple[str, str, str]]:
    from sqlalchemy import select

    from preclaim.store import Store
    from preclaim.store.models import CheckRow

    with Store.open(f"sqlite:///{db}") as store, store.transaction(write=False) as session:
        return [(r.claim_id, r.verdict, r.carcs) for r in session.scalars(select(CheckRow))]


def test_a_kept_form_check_is_compared_with_the_835_that_follows(live: tuple[LiveServer, Path]) -> None:
    server, db = live
    with httpx.Client(base_url=server.base, timeout=30, headers={"origin": server.base}) as client:
        missing = client.post("/check", data={**FORM, "keep": "1"})
        assert missing.status_code == 422 and "claim number" in missing.text
        assert _checks(db) == []  # nothing kept from a refused form
        kept = client.post("/check", data={**FORM, "keep": "1", "claim_id": "DX-005"})
        assert kept.status_code == 200 and "Kept in history as claim DX-005" in kept.text
        assert _checks(db) == [("DX-005", "deny", "CO-50")]
        upload = client.post("/upload", files={"file": ("era.835", b12_835())}, data={"keep": "1"})
        assert upload.status_code == 200 and "Stored:" in upload.text
        board = client.get("/dashboard")
        assert "Checks compared with payments: 1" in board.text
        assert "CARC 50: predicted 1, denied 1" in board.text


def _wait(client: httpx.Client, batch: str) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        progress: dict[str, object] = client.get(batch + "/progress").json()
        if progress["status"] in ("done", "failed"):
            return progress
        time.sleep(0.2)
    raise AssertionError("the upload was not checked in 120 s")


def test_an_837_kept_from_the_upload_keeps_its_checks(live: tuple[LiveServer, Path], samples: Path) -> None:
    server, db = live
    data = (samples / "x12/837p/demo.drug.example10.1.837").read_bytes()
    with httpx.Client(base_url=server.base, timeout=30, headers=_origin(server)) as client:
        response = client.post("/upload", files={"file": ("claims.837", data)}, data={"keep": "1"})
        assert response.status_code == 303 and response.headers["location"].startswith("/batches/")
        progress = _wait(client, response.headers["location"])
        assert progress["status"] == "done" and progress["claims_done"] == 1
        listed = client.get(str(progress["worklist"])).text
        assert "CLMNO12345" in listed and "1 claim matches" in listed
    assert [c[0] for c in _checks(db)] == ["CLMNO12345"]  # kept: the check is stored for the dashboard


def test_not_x12_is_refused_by_name(live: tuple[LiveServer, Path]) -> None:
    server, _ = live
    response = httpx.post(
        server.base + "/upload", files={"file": ("notes.txt", b"hello")}, timeout=30, headers=_origin(server)
    )
    assert response.status_code == 422 and "notes.txt: not an X12 837P or 835" in response.text


def test_add_an_authorization_and_see_it_listed(live: tuple[LiveServer, Path]) -> None:
    server, _ = live
    auth = {"number": "PA-1", "payer_id": "DEMO1", "patient_key": "PT-1007", "start": "2026-01-01", "end": "2026-06-30"}
    with httpx.Client(base_url=server.base, timeout=30, headers={"origin": server.base}) as client:
        bad = client.post("/authorizations", data={**auth, "end": "2025-12-31", "approved_units": "six"})
        assert bad.status_code == 422 and "ends before it starts" in bad.text and "expected a number" in bad.text
        good = client.post("/authorizations", data={**auth, "approved_units": "6"})
        assert good.status_code == 303 and good.headers["location"] == "/authorizations"
        listed = client.get("/authorizations").text
        assert "PA-1" in listed and ">6</td>" in listed and "2026-06-30" in listed
