"""The claim form's parsing (field errors name the field), finding placement, ICD-10 search and plan sheets."""

from __future__ import annotations

import datetime as dt

from preclaim.domain.quantity import Quantity
from preclaim.web.checklist import plan_key, plan_sheet
from preclaim.web.form import field_of, parse_form
from preclaim.web.icd_search import search_icd10

BASE = {"payer_id": "DEMO1", "date_of_service": "2026-03-16", "dx1": "D51.0", "units": "1", "admin_96372": "1"}


def test_a_complete_form_is_a_claim_with_encounter_and_history() -> None:
    parsed = parse_form(
        {**BASE, "dose_mcg": "1500", "b12_value": "150", "b12_date": "2026-02-01", "recent": "2026-02-10 1000\n\n"}
    )
    assert parsed.errors == {}
    claim = parsed.claim
    assert claim is not None and [line.code for line in claim.lines] == ["96372", "J3420"]
    assert claim.lines[1].diagnosis_pointers == (1,)
    assert claim.encounter is not None and claim.encounter.dose == Quantity(1500, "mcg")
    assert claim.encounter.latest_lab("2132-9") is not None
    assert [a.date for a in parsed.history.administrations] == [dt.date(2026, 2, 10)]


def test_each_bad_field_is_named_with_what_was_expected() -> None:
    parsed = parse_form(
        {"date_of_service": "16/03/2026", "units": "two", "b12_value": "150", "route": "IM", "vial_type": "glass"}
    )
    assert parsed.claim is None
    assert "YYYY-MM-DD" in parsed.errors["date_of_service"]
    assert "not a number" in parsed.errors["units"]
    assert "required" in parsed.errors["payer_id"]
    assert "diagnosis" in parsed.errors["dx1"]
    assert "lab date" in parsed.errors["b12_date"]  # a result without its date is not a usable fact
    assert "not one of" in parsed.errors["vial_type"]


def test_unknown_stays_unknown() -> None:
    parsed = parse_form(BASE)
    assert parsed.claim is not None and parsed.claim.encounter is not None
    enc = parsed.claim.encounter
    assert (enc.order_on_file, enc.failed_oral_therapy, enc.dose, enc.labs) == (None, None, None, ())


def test_findings_land_on_the_fields_they_concern(engine) -> None:  # type: ignore[no-untyped-def]
    form = {**BASE, "units": "2", "dose_mcg": "1000", "ndc": "00517003125", "ndc_qty": "1", "ndc_unit": "ML"}
    parsed = parse_form(form)
    assert parsed.claim is not None
    report = engine.check(parsed.claim, parsed.history, as_of=dt.date(2026, 3, 20))
    assert report.findings
    expected = {"units.": "units", "prior-auth.": "prior_auth", "ndc.": "ndc", "modifiers.": "modifiers"}
    for finding in report.findings:
        for prefix, name in expected.items():
            if finding.rule.startswith(prefix):
                assert field_of(finding) == name, finding.rule
    assert any(field_of(f) == "units" for f in report.findings)


def test_icd10_search_by_code_and_by_words() -> None:
    by_code = search_icd10("d51")
    assert by_code[0]["code"] == "D51.0" and all(str(r["code"]).startswith("D51") for r in by_code)
    by_words = search_icd10("B12 deficiency anemia")
    assert by_words and all("b12" in str(r["description"]).lower() for r in by_words)
    assert search_icd10("x") == [] and search_icd10("zzzz nothing") == []


def test_plan_sheet_says_what_each_plan_says(engine) -> None:  # type: ignore[no-untyped-def]
    day = dt.date(2026, 3, 20)
    demo = plan_sheet(engine.policies, plan_key(engine.policies.get("demo-health-plan")), day)
    aetna = plan_sheet(engine.policies, plan_key(engine.policies.get("aetna-cpb-0536")), day)
    assert demo.illustrative and demo.groups[0].items[0].text.startswith("Required")
    assert not aetna.illustrative and aetna.groups[0].items[0].text.startswith("Unknown")
    assert all(item.source is not None for group in aetna.groups for item in group.items)


def test_the_form_checks_any_catalog_drug_in_its_own_units(engine) -> None:  # type: ignore[no-untyped-def]
    form = {**BASE, "code": "J1885", "units": "1", "ndc": "63323016201", "ndc_qty": "1", "ndc_unit": "ML"}
    parsed = parse_form(form)
    assert parsed.claim is not None and parsed.claim.lines[1].code == "J1885"
    report = engine.check(parsed.claim, parsed.history, as_of=dt.date(2026, 3, 20))
    units = [f for f in report.findings if f.rule == "units.ndc-quantity"]
    assert units and "(30 mg) means 2 units" in units[0].message and field_of(units[0]) == "units"


def test_plan_sheet_and_letter_for_another_drug(engine) -> None:  # type: ignore[no-untyped-def]
    from pdf_check import text

    from preclaim.letters import necessity_letter, render_pdf

    day = dt.date(2026, 3, 20)
    sheet = plan_sheet(engine.policies, plan_key(engine.policies.get("demo-health-plan")), day, "J1071")
    texts = [item.text for group in sheet.groups for item in group.items]
    assert sheet.title.endswith("J1071 checklist") and texts[0].startswith("Required: ") and "testosterone" in texts[0]
    assert any("E29.1" in t for t in texts) and any("dose / 1 mg" in t for t in texts)
    assert not any("mcg" in t for t in texts)
    parsed = parse_form({**BASE, "code": "J1071", "units": "200", "dx1": "E29.1"})
    assert parsed.claim is not None
    report = engine.check(parsed.claim, parsed.history, as_of=day)
    letter = necessity_letter(parsed.claim, report, engine.codes, day)
    body = " ".join(text(render_pdf(letter)).split())
    assert "J1071 testosterone cypionate injection" in body and "200" in body
    assert "B12" not in body and "clinical findings that support testosterone cypionate" in body


def test_the_dose_is_read_in_the_picked_drugs_unit(engine) -> None:  # type: ignore[no-untyped-def]
    """Ketorolac is billed per 15 mg: a bare "30" is 30 mg, so one unit billed is under-billed."""
    ketorolac = {**BASE, "code": "J1885", "dose": "30"}
    parsed = parse_form(ketorolac)
    assert parsed.errors == {} and parsed.claim is not None and parsed.claim.encounter is not None
    assert parsed.claim.encounter.dose == Quantity(30, "mg")
    assert parsed.claim.encounter.drug == "ketorolac tromethamine"
    report = engine.check(parsed.claim, parsed.history, as_of=dt.date(2026, 3, 20))
    under = [f for f in report.findings if f.rule.startswith("units.")]
    assert under and "2" in under[0].message, [f.message for f in report.findings]
    assert parse_form({**ketorolac, "dose": "0.03 g"}).claim.encounter.dose == Quantity(0.03, "g")  # type: ignore[union-attr]


def test_a_dose_without_a_usable_amount_is_named() -> None:
    assert "not an amount" in parse_form({**BASE, "dose": "lots"}).errors["dose"]
    assert "not a volume" in parse_form({**BASE, "wasted": "2 mL"}).errors["wasted"]
