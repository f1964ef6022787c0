"""The pages in a real browser (Debian Chromium via Playwright) against the service app under uvicorn.

Screenshots land in test-artifacts/web/. Few tests, one browser and one server per module: CI time is shared.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from a11y import low_contrast, tab_reaches, unlabelled
from pdf_check import char_boxes_outside, ink, pages, text
from web_server import LiveServer, service_app
from x835 import b12_835

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("web")
    with LiveServer(service_app(tmp)) as live:
        _seed(tmp / "store.db")
        yield live


def _seed(db: Path) -> None:
    """What a practice would have on file: the claim the invented 835 denies (imported and checked before it
    was sent) and an authorization."""
    import msgspec

    from preclaim.domain.history import Authorization
    from preclaim.engine import Engine
    from preclaim.io.claim_json import decode_claim
    from preclaim.store import Store, record_check
    from preclaim.store.auth import upsert_authorization
    from preclaim.store.ingest import import_claims

    engine = Engine.default()
    claim = decode_claim((ROOT / "examples" / "fatigue-only.json").read_bytes(), "fatigue-only.json")
    claim = msgspec.structs.replace(claim, patient=msgspec.structs.replace(claim.patient, member_id="M0001"))
    with Store.open(f"sqlite:///{db}") as store:
        import_claims(store, [claim], source="test", kind="json")
        record_check(store, claim, engine.check(claim, as_of=dt.date(2026, 3, 20)))
        with store.transaction() as session:
            auth = Authorization("PA-778812", "DEMO1", "J3420", dt.date(2026, 1, 1), dt.date(2026, 4, 5), 6, "PT-1007")
            upsert_authorization(session, auth, source="test")


@pytest.fixture(scope="module")
def b12_835_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("x12") / "b12-denials.835"
    path.write_bytes(b12_835())
    return path


def _origin(server: LiveServer) -> dict[str, str]:
    return {"origin": server.base}


def _origin(server: LiveServer) -> dict[str, str]:
    return {"origin": server.base}


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def _fill_claim(page: Any) -> None:
    page.fill("#payer_id", "DEMO1")
    page.select_option("#filing_indicator", "CI")
    page.fill("#date_of_service", "2026-03-16")
    page.fill("#units", "2")  # 1000 mcg is 1 unit: a finding next to Units
    page.fill("#dose", "1000 mcg")
    page.fill("#ndc", "00517003125")
    page.fill("#ndc_qty", "1")
    page.select_option("#vial_type", "multi-dose")
    page.fill("#b12_value", "142")
    page.fill("#b12_date", "2026-01-05")


def test_claim_form_shows_findings_next_to_their_fields(server: LiveServer, page: Any, artifacts: Path) -> None:
    page.goto(server.base + "/")
    _fill_claim(page)
    page.locator("#dx1").press_sequentially("D51.0", delay=20)  # the ICD-10 search fills suggestions
    page.wait_for_selector("#icd10-options option", state="attached")
    suggestion = page.eval_on_selector("#icd10-options option", "o => o.label")
    assert suggestion.startswith("D51.0 ") and "deficiency" in suggestion
    page.click("#check-button")
    page.wait_for_selector("#verdict")
    assert "fix before sending" in page.inner_text("#verdict")
    units = page.locator(".field", has=page.locator("#units")).inner_text()
    assert "CO-16" in units and "bill 1 unit" in units.lower()
    authorization = page.locator(".field", has=page.locator("#prior_auth")).inner_text()
    assert "CO-197" in authorization and "prior authorization" in authorization
    assert "D51.0" in page.inner_text(".dx-desc")  # the code with its description
    assert page.input_value("#units") == "2"  # what the user typed is kept
    page.screenshot(path=str(artifacts / "claim-checked.png"), full_page=True)
    page.click("#plan-checklist")
    assert "Demo Health Plan" in page.inner_text("h1") and "Required" in page.inner_text(".sheet")


def test_bad_input_names_the_field(server: LiveServer, page: Any) -> None:
    page.goto(server.base + "/")
    page.fill("#payer_id", "DEMO1")
    page.fill("#date_of_service", "2026-03-16")
    page.fill("#dx1", "D51.0")
    page.fill("#recent", "last tuesday")
    page.click("#check-button")
    error = page.inner_text("#recent-error")
    assert "line 1" in error and "YYYY-MM-DD" in error
    assert page.locator("#verdict").count() == 0


def test_letter_of_medical_necessity_from_the_form(server: LiveServer, page: Any, artifacts: Path) -> None:
    page.goto(server.base + "/")
    _fill_claim(page)
    page.fill("#dx1", "D51.0")
    with page.context.expect_event("response", lambda r: r.url.endswith("/letters/necessity.pdf")) as seen:
        page.click("#letter-button")  # the button posts the form to the letter (in a new tab)
    assert seen.value.ok and seen.value.headers["content-type"] == "application/pdf"
    # A PDF opened in a tab is handed to the viewer, not kept: fetch the same form again in this session.
    form = page.eval_on_selector("#claim-form", "f => Object.fromEntries(new FormData(f))")
    data = page.request.post(server.base + "/letters/necessity.pdf", form=form, headers=_origin(server)).body()
    (artifacts / "letter-necessity.pdf").write_bytes(data)
    ink(data, save=artifacts / "letter-necessity-from-form.png")
    body = " ".join(text(data).split())
    assert "Serum B12 142 pg/mL on 2026-01-05" in body
    assert "________ (patient name)" in body and "________ (route: IM or deep SC)" in body
    assert char_boxes_outside(data, 54, 28) == []


def test_upload_837_and_835_with_results_and_an_appeal_letter(
    server: LiveServer, page: Any, artifacts: Path, samples: Path, b12_835_file: Path
) -> None:
    page.goto(server.base + "/upload")
    page.set_input_files("#file", str(samples / "x12/837p/demo.drug.example10.1.837"))
    page.click("#upload-button")
    page.wait_for_selector("#to-worklist", state="visible", timeout=60_000)  # checked in the background
    assert page.inner_text("#batch-status") == "Done: 1 claim checked."
    page.click("#to-worklist")
    rows = page.locator("#worklist tbody tr")
    assert rows.count() == 1 and "CLMNO12345" in rows.first.inner_text()
    page.screenshot(path=str(artifacts / "upload-837.png"), full_page=True)
    rows.first.locator("td[data-label=Claim] a").click()
    assert page.inner_text("h1") == "Claim CLMNO12345"
    # A clean claim the plan does not pre-authorize: no letter is offered, and the page says why.
    if page.inner_text(".facts dd.clean, .facts dd.fix, .facts dd.deny") == "ready to send":
        assert page.locator("#item-letter").count() == 0
        assert "Nothing to ask the payer" in page.inner_text("#letter-advice")
    else:
        assert page.locator("#item-letter").count() == 1
    page.goto(server.base + "/upload")
    page.set_input_files("#file", str(b12_835_file))
    page.click("#upload-button")
    page.wait_for_selector("#results")
    denied = page.locator("#results tbody tr", has_text="DX-005")
    assert "CO-50" in denied.inner_text() and "N115" in denied.inner_text()
    assert page.locator("#results tbody tr", has_text="CLEAN-001").locator("form").count() == 0  # paid: no appeal
    page.screenshot(path=str(artifacts / "upload-835.png"), full_page=True)
    document = denied.locator("input[name=document]").get_attribute("value")
    response = page.request.post(
        server.base + "/letters/appeal.pdf", form={"document": html.unescape(document)}, headers=_origin(server)
    )
    assert response.ok
    data = response.body()
    (artifacts / "letter-appeal.pdf").write_bytes(data)
    ink(data, save=artifacts / "letter-appeal.png")
    body = " ".join(text(data).split())
    assert "Request for redetermination" in body and "CO-50 ($37.00)" in body and "N115" in body  # Medicare
    assert "R53.83" in body  # the stored claim's diagnosis, found by its claim number
    assert "Serum B12 142 pg/mL on 2026-01-05" in body  # the stored chart's lab, with its date
    assert "________ (patient name)" in body  # never stored: a blank


def test_checklist_page_prints_and_its_pdf_is_one_page(server: LiveServer, page: Any, artifacts: Path) -> None:
    page.goto(server.base + "/checklist")
    page.select_option("#policy", "lcd-l33967")
    page.click("#plan-form button")
    assert "J3420 checklist" in page.inner_text("h1")
    page.screenshot(path=str(artifacts / "checklist.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.is_visible("header.top") and not page.is_visible("#plan-form")  # print shows the sheet only
    page.emulate_media(media="screen")
    for option in page.locator("#policy option").all():  # every plan's page prints on one Letter sheet
        plan = option.get_attribute("value")
        printed = page.context.new_page()
        printed.goto(f"{server.base}/checklist?policy={plan}")
        assert pages(printed.pdf(format="Letter")) == 1, plan
        printed.close()
    response = page.request.get(
        page.get_attribute("#checklist-pdf", "href") and server.base + page.get_attribute("#checklist-pdf", "href")
    )
    data = response.body()
    assert response.headers["content-type"] == "application/pdf" and pages(data) == 1
    box = ink(data, save=artifacts / "checklist-pdf.png")
    assert box.bottom <= box.height - 54 + 2 and box.right <= box.width - 54 + 2


def test_dashboard_charts_from_stored_remittances(
    server: LiveServer, page: Any, artifacts: Path, samples: Path, b12_835_file: Path
) -> None:
    for path in (b12_835_file, samples / "x12/835/managed-care.835", samples / "x12/835/835_mult_loops.txt"):
        page.goto(server.base + "/upload")
        page.set_input_files("#file", str(path))
        page.check("#keep")
        page.click("#upload-button")
        page.wait_for_selector("#results")
        assert "Stored:" in page.inner_text("main")
    page.goto(server.base + "/dashboard")
    assert page.locator("svg[role=img]").count() == 4
    lead = page.inner_text(".lead")
    assert "denied" in lead and "Checks compared with payments: 1" in lead
    assert "CARC 50: predicted 1, denied 1" in page.text_content("#predicted-d")  # the check foresaw CO-50
    assert "CARC A2" not in page.text_content("#by-carc-d")  # a contractual write-down is not a denial
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    page.select_option("#payer", "09102")
    page.fill("#start", "2026-03")
    page.click("#dashboard-filter button")
    assert page.inner_text(".lead").startswith("1 paid or denied claims on file; 1 denied")  # DX-005 only
    assert page.locator("#payer").input_value() == "09102"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/upload",
        "/checklist?policy=demo-health-plan",
        "/policies",
        "/policies/lcd-l33967",
        "/codes/J3420",
        "/dashboard",
    ],
)
def test_labels_and_contrast(server: LiveServer, page: Any, path: str, artifacts: Path) -> None:
    page.goto(server.base + path)
    slug = path.strip("/").replace("/", "-").replace("?policy=", "-") or "form"
    page.screenshot(path=str(artifacts / f"page-{slug}.png"), full_page=True)
    assert unlabelled(page) == []
    assert low_contrast(page) == []
    assert page.locator("h1").count() == 1


def test_keyboard_reaches_submit_and_authorizations_page(server: LiveServer, page: Any, artifacts: Path) -> None:
    page.goto(server.base + "/")
    assert tab_reaches(page, "#payer_id", "check-button")
    page.goto(server.base + "/authorizations")
    assert "PA-778812" in page.inner_text("#auth-table")
    page.screenshot(path=str(artifacts / "authorizations.png"), full_page=True)
