"""Billing staff's day in a real browser (Debian Chromium via Playwright), signed in as a biller: upload 10,000
claims and watch them checked, filter the worklist, fix one claim and write its corrected 837P, export the view,
print a letter. Every page is also opened on a phone (390x844: no sideways scrolling) and run through axe-core
(no serious or critical violations). Screenshots go to test-artifacts/web/.

One server, one 10,000-claim file (generated once per session) and one upload for the whole module.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from a11y import AXE, axe_serious, sideways, unlabelled
from pdf_check import pages, text
from web_server import LiveServer, service_app

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
BILLER = ("dana.biller", "correct horse battery staple")
ADMIN_KEY = "workflow-admin-key-0123456789"
CLAIMS = 10_000


@pytest.fixture(scope="session")
def big_837(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from edi_generate import generate

    path = tmp_path_factory.mktemp("x12") / "claims-10k.837"
    generate(CLAIMS, path)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from preclaim.api.settings import ApiKey, hash_key
    from preclaim.store import Store
    from preclaim.store.letterhead import Practice, save_payer, save_practice
    from preclaim.store.people import add_user

    tmp = tmp_path_factory.mktemp("workflows")
    with Store.open(f"sqlite:///{tmp / 'store.db'}") as store:
        with store.transaction() as session:
            add_user(session, BILLER[0], "biller", BILLER[1], "Dana Biller")
        save_practice(store, Practice(name="Lakeside Family Clinic", npi="1234567893", street="1 Lake Rd",
                                      city="Tampa", state="FL", zip="33601", phone="813-555-0100"))  # fmt: skip
        save_payer(store, {"payer_id": "09102", "name": "First Coast Service Options",
                           "appeals_address": "Redeterminations\nPO Box 45024\nJacksonville, FL 32232"})  # fmt: skip
    keys = (ApiKey(client="operator", sha256=hash_key(ADMIN_KEY)),)
    app = service_app(tmp, insecure_dev=False, api_keys=keys, rate_limit_per_minute=6000, rate_burst=2000)
    with LiveServer(app) as live:
        yield live


def _context(browser: Any, viewport: dict[str, int], server: LiveServer) -> Any:
    context = browser.new_context(viewport=viewport, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    page.goto(server.base + "/login")
    page.fill("#username", BILLER[0])
    page.fill("#password", BILLER[1])
    page.click("#login-button")
    page.wait_for_url(server.base + "/")
    return context


@pytest.fixture(scope="module")
def desk(browser: Any, server: LiveServer) -> Iterator[Any]:
    context = _context(browser, DESKTOP, server)
    yield context.pages[0]
    context.close()


@pytest.fixture(scope="module")
def phone(browser: Any, server: LiveServer) -> Iterator[Any]:
    context = _context(browser, PHONE, server)
    yield context.pages[0]
    context.close()


@pytest.fixture(scope="module")
def batch(desk: Any, server: LiveServer, big_837: Path) -> str:
    """Upload the 10,000-claim 837P in the browser; returns the worklist URL of its claims."""
    from playwright.sync_api import Error as PlaywrightError

    from conftest import ARTIFACTS as artifacts

    artifacts.mkdir(parents=True, exist_ok=True)
    desk.goto(server.base + "/upload")
    desk.set_input_files("#file", str(big_837))
    desk.click("#upload-button")
    # No second click while it uploads: the button is disabled, or the page has already moved on to the batch
    # (under load the navigation can win the race, and the button is then gone, not disabled).
    try:
        assert desk.is_disabled("#upload-button", timeout=2_000) or "/batches/" in desk.url
    except PlaywrightError:
        desk.wait_for_url(re.compile(r".*/batches/\d+$"), timeout=120_000)
    desk.wait_for_url(re.compile(r".*/batches/\d+$"), timeout=120_000)
    desk.wait_for_function("() => document.getElementById('batch-bar').value > 0", timeout=120_000)
    status = desk.inner_text("#batch-status")
    assert status.startswith(("Checking:", "Done:")) and "claims checked" in status
    desk.screenshot(path=str(artifacts / "upload-progress-1366.png"), full_page=True)
    desk.wait_for_selector("#to-worklist", state="visible", timeout=300_000)
    assert desk.inner_text("#batch-status").startswith(f"Done: {CLAIMS:,} claims checked")
    assert desk.evaluate("() => document.activeElement.id") == "to-worklist"  # focus moves to the result
    href = desk.get_attribute("#to-worklist", "href")
    assert href and href.startswith("/worklist?batch=")
    return href


def _count(page: Any) -> int:
    found = re.match(r"([\d,]+) claims? match", page.inner_text("#result-count"))
    assert found, page.inner_text("#result-count")
    return int(found.group(1).replace(",", ""))


def test_upload_10000_claims_and_filter_the_worklist(
    desk: Any, server: LiveServer, batch: str, artifacts: Path
) -> None:
    base = server.base
    started = time.monotonic()
    desk.goto(base + batch)
    assert _count(desk) == CLAIMS
    totals = desk.inner_text(".totals")
    assert "fix before sending" in totals and "$" in totals
    desk.screenshot(path=str(artifacts / "worklist-1366.png"), full_page=True)
    desk.select_option("#verdict", "fix")
    desk.select_option("#payer", "09102")
    desk.click("#filter-button")
    fixed = _count(desk)
    assert 0 < fixed < CLAIMS
    verdicts = desk.locator("#worklist tbody td[data-label=Verdict]").all_inner_texts()
    assert verdicts and set(verdicts) == {"fix before sending"}
    payers = set(desk.locator("#worklist tbody td[data-label=Payer]").all_inner_texts())
    assert payers == {"FIRST COAST MEDICARE"}  # the payer's name, not its id
    desk.click("#worklist thead a:has-text('Charge')")
    charges = [
        float(c.strip("$").replace(",", "")) for c in desk.locator("#worklist td[data-label=Charge]").all_inner_texts()
    ]
    assert charges == sorted(charges)
    desk.select_option("#verdict", "")
    desk.fill("#code", "CO-29")  # filed too late, by its CARC
    desk.click("#filter-button")
    late = _count(desk)
    assert 0 < late < CLAIMS
    assert desk.input_value("#code") == "CO-29" and desk.input_value("#payer") == "09102"  # the filter is kept
    desk.screenshot(path=str(artifacts / "worklist-filtered-1366.png"), full_page=True)
    assert time.monotonic() - started < 60


def test_fix_one_claim_and_write_its_corrected_837(desk: Any, server: LiveServer, batch: str, artifacts: Path) -> None:
    from preclaim.edi.x12.read837 import read_837

    base = server.base
    desk.goto(base + batch + "&code=code.wrong-drug")  # J3424 (IV hydroxocobalamin) billed for B12: CO-16 M51
    desk.click("#worklist tbody tr >> nth=0 >> td[data-label=Claim] a")
    claim_id = desk.inner_text("h1").removeprefix("Claim ")
    assert "J3424" in desk.inner_text(".findings")
    desk.click("#open-form")
    assert desk.is_visible("#editing") and desk.input_value("#claim_id") == claim_id
    assert desk.input_value("#code") == "J3424"
    picker = desk.inner_text("#code")  # the drug picker lists the catalog's drugs with their billing units
    assert "J1885 ketorolac tromethamine (per 15 mg)" in picker and "J1071 testosterone cypionate (per 1 mg)" in picker
    desk.select_option("#code", "J3420")
    desk.fill("#payer_claim_number", "PCN-778899")
    desk.click("#check-button")
    desk.wait_for_selector("#saved-item")
    assert desk.evaluate("() => document.activeElement.id") == "verdict-h"  # the result takes the focus
    assert "is the code for hydroxocobalamin" not in desk.inner_text("main")
    desk.screenshot(path=str(artifacts / "claim-fixed-1366.png"), full_page=True)
    with desk.expect_download() as download:
        desk.click("#corrected-after-fix")
    corrected = download.value.path().read_bytes()
    items = list(read_837(io.BytesIO(corrected)))
    assert len(items) == 1 and items[0].claim.id == claim_id
    claim = items[0].claim
    assert claim.frequency_code == "7"  # a replacement
    assert [line.code for line in claim.lines] == ["96372", "J3420"]
    assert claim.payer_claim_control_number == "PCN-778899" or b"REF*F8*PCN-778899~" in corrected
    desk.goto(base + batch + "&q=" + claim_id)
    desk.click("#worklist tbody tr >> nth=0 >> td[data-label=Claim] a")
    assert "is the code for hydroxocobalamin" not in desk.inner_text("main")  # the worklist's copy is the fixed claim
    assert "re-checked" in desk.inner_text("#history")  # who fixed it and when


def test_export_the_current_view(desk: Any, server: LiveServer, batch: str) -> None:
    base = server.base
    desk.goto(base + batch + "&verdict=deny")
    expected = _count(desk)
    with desk.expect_download() as csv_download:
        desk.click("#export-csv")
    rows = list(csv.reader(io.StringIO(csv_download.value.path().read_text())))
    assert rows[0][0] == "Claim number" and len(rows) == expected + 1
    assert {r[8] for r in rows[1:]} == {"will deny as billed"}
    with desk.expect_download() as xlsx_download:
        desk.click("#export-xlsx")
    with zipfile.ZipFile(xlsx_download.value.path()) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
    assert sheet.count("<row ") == expected + 1 and "will deny as billed" in strings + sheet


def test_print_a_letter(desk: Any, server: LiveServer, batch: str, artifacts: Path) -> None:
    base = server.base
    desk.goto(base + batch + "&payer=DEMO1&verdict=fix")
    desk.click("#worklist tbody tr >> nth=0 >> td[data-label=Claim] a")
    assert desk.is_visible("#item-letter")
    response = desk.request.get(base + desk.get_attribute("#item-letter", "href"))
    data = response.body()
    assert response.headers["content-type"] == "application/pdf" and pages(data) == 1
    (artifacts / "letter-from-worklist.pdf").write_bytes(data)
    body = " ".join(text(data).split())
    assert "Lakeside Family Clinic" in body and "1 Lake Rd, Tampa, FL 33601" in body  # the practice profile
    for internal in ("REFERENCE", "seed document", "preclaim baseline"):
        assert internal not in body
    desk.goto(base + batch + "&verdict=fix")
    desk.check("#select-all")
    with desk.expect_download() as zipped:
        desk.click("#letters-button")
    with zipfile.ZipFile(zipped.value.path()) as archive:
        names = archive.namelist()
    assert any(n.endswith(".pdf") for n in names)


@pytest.mark.parametrize("path", ["/", "/upload", "/worklist", "/checklist", "/checklist?policy=lcd-l33967",
                                  "/authorizations", "/dashboard", "/account", "/patients/PT-NONE"])  # fmt: skip
def test_every_page_on_a_phone_and_through_axe(
    phone: Any, desk: Any, server: LiveServer, batch: str, path: str, artifacts: Path
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core not installed (run .ci/axe.sh)")
    base = server.base
    slug = path.strip("/").replace("/", "-").replace("?policy=", "-") or "form"
    for page, size in ((desk, "1366"), (phone, "390")):
        page.goto(base + (batch if path == "/worklist" else path))
        page.screenshot(path=str(artifacts / f"{slug}-{size}.png"), full_page=True)
        assert sideways(page) == 0 or size == "1366", f"{path} scrolls sideways on a phone"
        assert unlabelled(page) == []
        assert axe_serious(page) == [], path


def test_unknown_pages_are_html_and_roles_are_kept(desk: Any, server: LiveServer) -> None:
    base = server.base
    response = desk.goto(base + "/no/such/page")
    assert response.status == 404 and "Page not found" in desk.inner_text("h1")
    assert desk.goto(base + "/static/favicon.svg").ok
    response = desk.goto(base + "/settings/users")
    assert response.status == 403 and "administrator role" in desk.inner_text("main")  # a biller is not an admin
