"""PDF output: the plan checklist fits one page inside the margins; letters carry the facts and show blanks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

pytest.importorskip("reportlab")
pytest.importorskip("pypdfium2")

from pdf_check import POINTS_PER_INCH, char_boxes_outside, ink, pages, text

from preclaim.io.claim_json import decode_claim
from preclaim.letters import appeal_letter, blanks_in, necessity_letter, render_pdf
from preclaim.letters.pdf import MARGIN
from preclaim.web.checklist import plan_key, plan_sheet, plans
from preclaim.web.checklist_pdf import render_checklist_pdf

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
DAY = dt.date(2026, 3, 20)


def _claim(name: str):  # type: ignore[no-untyped-def]
    return decode_claim((ROOT / "examples" / name).read_bytes(), name)


@pytest.mark.parametrize("policy_id", ["lcd-l33967", "demo-health-plan", "aetna-cpb-0536", "medicare-national-b12"])
def test_checklist_pdf_is_one_page_inside_the_margins(engine, policy_id: str) -> None:  # type: ignore[no-untyped-def]
    library = engine.policies
    sheet = plan_sheet(library, plan_key(library.get(policy_id)), DAY)
    data = render_checklist_pdf(sheet)
    assert pages(data) == 1
    box = ink(data, save=ARTIFACTS / f"checklist-{policy_id}.png")
    assert box.left >= MARGIN - 2 and box.right <= box.width - MARGIN + 2, box
    assert box.top >= MARGIN - 2 and box.bottom <= box.height - MARGIN + 2, box
    assert char_boxes_outside(data, MARGIN, MARGIN) == []
    body = text(data)
    assert sheet.title.split(":")[0] in body
    for group in sheet.groups:  # nothing cut: every heading and every cited source is on the page
        assert group.heading in body
    assert "Sources" in body and "[1]" in body


def test_every_plan_checklist_fits_one_page(engine) -> None:  # type: ignore[no-untyped-def]
    for policy in plans(engine.policies):
        assert pages(render_checklist_pdf(plan_sheet(engine.policies, plan_key(policy), DAY))) == 1, policy.id


def test_necessity_letter_carries_the_chart_facts_and_blanks_for_the_rest(engine) -> None:  # type: ignore[no-untyped-def]
    claim = _claim("no-authorization.json")
    report = engine.check(claim, as_of=DAY)
    letter = necessity_letter(claim, report, engine.codes, DAY)
    data = render_pdf(letter)
    body = " ".join(text(data).split())
    ink(data, save=ARTIFACTS / "letter-necessity.png")
    assert "Serum B12 142 pg/mL on 2026-01-05" in body  # the lab on file, with its date
    assert "D51.0" in body and "intrinsic factor" in body  # the diagnosis with its description
    assert "________ (patient name)" in body  # never on file: a blank to fill
    assert "________ (planned frequency and number of injections)" in body
    assert "ILLUSTRATIVE" in body  # the demo plan is labelled as not real
    assert len(blanks_in(letter)) >= 5
    assert char_boxes_outside(data, MARGIN, 0.4 * POINTS_PER_INCH) == []


def test_a_missing_lab_becomes_a_blank_not_a_value(engine) -> None:  # type: ignore[no-untyped-def]
    import msgspec

    claim = _claim("no-authorization.json")
    claim = msgspec.structs.replace(claim, encounter=msgspec.structs.replace(claim.encounter, labs=()))
    letter = necessity_letter(claim, engine.check(claim, as_of=DAY), engine.codes, DAY)
    body = " ".join(text(render_pdf(letter)).split())
    assert "________ (serum B12 result and date)" in body
    assert "pg/mL" not in body.split("Clinical findings")[1].split("Documentation")[0]


def test_appeal_letter_from_an_835_denial_without_the_claim(engine) -> None:  # type: ignore[no-untyped-def]
    import io

    from x835 import b12_835

    from preclaim.edi.x12.read835 import iter_remittances
    from preclaim.letters.appeal import denial_adjustments

    remittance = next(iter_remittances(io.BytesIO(b12_835())))
    payment = next(p for p in remittance.claims if p.claim_id == "DX-005")
    letter = appeal_letter(payment, remittance.payer.name, engine.codes, DAY, payer_id=remittance.payer.id)
    data = render_pdf(letter)
    ink(data, save=ARTIFACTS / "letter-appeal-no-claim.png")
    body = " ".join(text(data).split())
    assert "DX-005" in body and "PCN0001" in body and "2026-03-16" in body
    assert "CO-50 ($37.00)" in body  # both lines' CO-50 amounts, once
    assert "N115" in body
    assert {a.code for a in denial_adjustments(payment)} == {"CO-50"}
    assert "________ (serum B12 result and date)" in body  # no claim on file: clinical facts are blanks
    assert "________ (diagnoses, ICD-10-CM codes)" in body
    assert "FIRST COAST SERVICE OPTIONS" in body


def test_contractual_adjustments_are_not_appealed(samples: Path) -> None:
    from preclaim.edi.x12.read835 import iter_remittances
    from preclaim.letters.appeal import denial_adjustments

    remittance = next(iter_remittances(samples / "x12/835/managed-care.835"))
    assert [denial_adjustments(p) for p in remittance.claims] == [[], []]  # CO-A2, CO-45, PR-1 only


def test_a_plan_without_prior_authorization_gets_a_necessity_letter_only(engine) -> None:  # type: ignore[no-untyped-def]
    claim = _claim("clean.json")  # Medicare Part B: no prior authorization in fee-for-service
    report = engine.check(claim, as_of=DAY)
    assert report.prior_auth.status == "not-required"
    letter = necessity_letter(claim, report, engine.codes, DAY)
    assert letter.title == "Letter of medical necessity"
    assert "requesting prior authorization" not in " ".join(text(render_pdf(letter)).split())
