"""Each consumer of findings takes its facts from the rule catalog: the web form's field, the CDS card a clinician
sees at order time, the letter a claim or a denial calls for. (The 837P fixer: tests/edi/test_edi_fixes.py.)"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from preclaim.api.cds_cards import cards_for
from preclaim.domain.claim import Claim
from preclaim.domain.report import Finding, PriorAuthDecision, Report, Source
from preclaim.edi.x12.remit import Adjustment, ClaimPayment
from preclaim.engine import Engine
from preclaim.letters.choose import for_claim, for_denial
from preclaim.rules.catalog import catalog
from preclaim.web.form import DIAGNOSIS_FIELDS, GENERAL, field_of, parse_form

ROOT = Path(__file__).resolve().parents[2]
CLAIM_PAGE = ROOT / "src" / "preclaim" / "web" / "templates" / "claim.html"
CLEAN = msgspec.convert(json.loads((ROOT / "examples" / "clean.json").read_text()), Claim)
SOURCE = Source("test", "test rule", "https://example.org/policy")
FORM = {"payer_id": "DEMO1", "date_of_service": "2026-03-16", "dx1": "D51.0", "units": "1", "dose_mcg": "1000"}
DAY = dt.date(2026, 3, 20)


def _finding(rule: str, severity: str = "error", cure: str = "claim", fix: str | None = "the fix") -> Finding:
    return Finding(rule, severity, 2, f"{rule} message", None, (), fix, SOURCE, cure=cure)  # type: ignore[arg-type]


def _report(*findings: Finding) -> Report:
    return Report("C1", "fix", PriorAuthDecision("not-required", ()), findings, ())


def _rules_by_field(engine: Engine, **form: str) -> dict[str, str]:
    parsed = parse_form({**FORM, **form})
    assert parsed.claim is not None, parsed.errors
    report = engine.check(parsed.claim, parsed.history, as_of=DAY)
    return {f.rule: field_of(f) for f in report.findings}


def test_the_form_shows_findings_next_to_the_catalog_field(engine: Engine) -> None:
    assert _rules_by_field(engine, units="2")["units.dose"] == "units"
    assert _rules_by_field(engine, order_on_file="no")["documentation.order"] == "order_on_file"
    # Telehealth place of service for an injection: the place of service is what the biller corrects.
    assert _rules_by_field(engine, place_of_service="02")["setting.telehealth-injection"] == "place_of_service"
    assert field_of(_finding("documentation.chemo")) == GENERAL  # an item the form has no field for
    assert field_of(_finding("ncci.ptp")) == GENERAL


def test_every_catalog_field_is_a_field_on_the_claim_page() -> None:
    page = CLAIM_PAGE.read_text()
    fields = {e.field for _, e in catalog() if e.field} | {f for _, e in catalog() for f in e.field_by_item.values()}
    assert len(fields) > 10
    missing = sorted(f for f in fields if f not in DIAGNOSIS_FIELDS and f'"{f}"' not in page)  # dx1-4: a loop
    assert missing == []


def test_the_order_time_card_follows_the_catalog() -> None:
    order = {
        "resourceType": "MedicationRequest",
        "dosageInstruction": [{"doseAndRate": [{"doseQuantity": {"value": 2000, "unit": "mcg"}}]}],
    }

    def claim_cards(*findings: Finding) -> list[str]:
        cards = cards_for(_report(*findings), CLEAN, order, "Demo", supporting=True)
        return [c.summary for c in cards if c.source.topic.code == "claim"]

    assert catalog().get("units.dose").order_time  # type: ignore[union-attr]
    assert claim_cards(_finding("units.dose", fix="bill 2 units")) == ["bill 2 units"]
    assert not catalog().get("ndc.format").order_time  # type: ignore[union-attr]
    assert claim_cards(_finding("ndc.format")) == []  # the biller's job later, not the clinician's
    (card,) = [c for c in cards_for(_report(_finding("frequency.duplicate-line")), CLEAN, order, "Demo",
                                    supporting=True) if c.source.topic.code == "claim"]  # fmt: skip
    assert card.suggestions and card.suggestions[0].label.startswith("Change the dose to 1000 mcg")  # lower_dose


def test_an_excluded_diagnosis_warns_in_the_letter_choice_and_nothing_else_does() -> None:
    excluded = for_claim(CLEAN, _report(_finding("diagnosis.not-covered", cure="none")))
    assert excluded.warnings and "excludes" in excluded.warnings[0]
    assert for_claim(CLEAN, _report(_finding("diagnosis.pointer-not-covered"), _finding("units.dose"))).warnings == ()


@pytest.mark.parametrize("rule", [k for k, e in catalog() if e.carc is not None])
def test_the_catalog_letter_is_the_one_a_denial_with_its_carc_gets(rule: str) -> None:
    """letters.choose decides from the 835's CARC/RARC; the catalog states that answer per rule."""
    entry = catalog().get(rule)
    assert entry is not None and entry.carc is not None and entry.letter is not None
    group, reason = entry.carc.split("-")
    payment = ClaimPayment(
        "C1",
        "4",
        Decimal("12.00"),
        Decimal("0"),
        adjustments=(Adjustment(group, reason, Decimal("12.00")),),
        remarks=entry.rarc,
    )
    assert for_denial(payment).kind == entry.letter


def test_rules_that_predict_no_denial_name_no_letter() -> None:
    assert sorted(k for k, e in catalog() if e.carc is None and e.letter is not None) == []
