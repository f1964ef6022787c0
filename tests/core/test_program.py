"""Program (line of business) matching: derived from the claim alone, and what it changes for a biller."""

from __future__ import annotations

import datetime as dt

import pytest

from preclaim.errors import PolicyError
from preclaim.policy import PayerKey, load_library, parse_policy
from preclaim.policy.program import derive_program
from preclaim.policy.schema import TimelyFiling


@pytest.mark.parametrize(
    ("filing", "payer_id", "name", "plan", "program"),
    [
        ("MB", "09102", "First Coast Service Options (Medicare Part B)", None, "medicare-ffs"),
        ("16", "61101", "Humana", None, "medicare-advantage"),
        ("CI", "60054", "Aetna Medicare", None, "medicare-advantage"),
        ("MB", "87726", "UnitedHealthcare Medicare Advantage", None, "medicare-advantage"),
        ("CI", "61101", "Humana", "Humana Gold Plus HMO", "medicare-advantage"),
        ("CI", "87726", "AARP Medicare Supplement", None, "commercial"),  # Medigap pays after Original Medicare
        ("MC", "77027", None, None, "medicaid-ffs"),
        ("MC", "X1", "Ohio Department of Medicaid", None, "medicaid-ffs"),
        ("MC", "68069", "Sunshine Health", None, "medicaid-managed-care"),
        ("CI", "87726", "UnitedHealthcare Community Plan", None, "medicaid-managed-care"),
        ("MC", "X2", None, None, "medicaid-managed-care"),
        ("BL", "00590", "Florida Blue", None, "commercial"),
        (None, "60054", "Aetna", None, "unknown"),
        ("WC", "W1", "Acme Workers Comp", None, "unknown"),
    ],
)
def test_program_is_derived_from_the_claim(
    filing: str | None, payer_id: str, name: str | None, plan: str | None, program: str
) -> None:
    found = derive_program(filing, payer_id, name, plan)
    assert found.program == program, found.reason
    assert found.reason  # every answer says why


def test_ma_claim_gets_national_coverage_and_lcd_but_not_ffs_payment_rules() -> None:
    library = load_library()
    day = dt.date(2026, 3, 1)
    ma = library.resolve(PayerKey("MAPLAN1", "Example Senior Choice HMO", "16", "FL", None), day)
    ids = [p.id for p in ma.layers]
    assert {"medicare-national-b12", "lcd-l33967", "medicare-advantage-b12"} <= set(ids)
    assert "medicare-ffs-b12" not in ids
    assert ma.drug_section("J3420", "coverage").policy.id == "lcd-l33967"  # type: ignore[union-attr]
    assert ma.drug_section("J3420", "prior_auth").policy.id == "medicare-advantage-b12"  # type: ignore[union-attr]
    assert ma.claim_rule("timely_filing") is None  # the MA plan's contract sets it


def test_commercial_payer_ma_line_does_not_get_its_commercial_policy() -> None:
    library = load_library()
    day = dt.date(2026, 3, 1)
    commercial = library.resolve(PayerKey("60054", "Aetna", "CI", "GA", None), day)
    medicare = library.resolve(PayerKey("60054", "Aetna Medicare", "16", "GA", None), day)
    assert "aetna-cpb-0536" in [p.id for p in commercial.layers]
    assert "aetna-cpb-0536" not in [p.id for p in medicare.layers]


def test_florida_medicaid_ffs_rule_does_not_reach_managed_care_plans() -> None:
    library = load_library()
    day = dt.date(2026, 3, 1)
    ffs = library.resolve(PayerKey("77027", "Florida Medicaid", "MC", "FL", None), day)
    mco = library.resolve(PayerKey("68069", "Sunshine Health", "MC", "FL", None), day)
    assert "fl-medicaid-b12" in [p.id for p in ffs.layers]
    assert "fl-medicaid-b12" not in [p.id for p in mco.layers]
    assert "medicaid-national-b12" in [p.id for p in mco.layers]  # NDC still required


@pytest.mark.parametrize(
    ("limit", "service", "due"),
    [
        (TimelyFiling(source="s", years=1), dt.date(2024, 2, 29), dt.date(2025, 2, 28)),
        (TimelyFiling(source="s", years=1), dt.date(2023, 3, 15), dt.date(2024, 3, 15)),
        (TimelyFiling(source="s", months=12), dt.date(2025, 1, 31), dt.date(2026, 1, 31)),
        (TimelyFiling(source="s", months=1), dt.date(2025, 1, 31), dt.date(2025, 2, 28)),
        (TimelyFiling(source="s", months=6), dt.date(2025, 8, 31), dt.date(2026, 2, 28)),
        (TimelyFiling(source="s", days=90), dt.date(2025, 12, 10), dt.date(2026, 3, 10)),
    ],
)
def test_timely_filing_deadline_is_calendar_based(limit: TimelyFiling, service: dt.date, due: dt.date) -> None:
    assert limit.deadline(service) == due


POLICY = """
id: my-plan
title: My Plan
version: "1"
effective: {start: 2024-01-01}
match: {payer_ids: [MY1], filing_indicators: [CI]}
sources: {doc: {title: My Plan policy}}
claim_rules:
  timely_filing: {source: doc, LIMIT}
"""


def test_user_policy_with_days_keeps_loading_and_months_years_load() -> None:
    for limit in ("days: 365", "months: 12", "years: 1"):
        policy = parse_policy(POLICY.replace("LIMIT", limit), "my-plan.yaml")
        assert policy.claim_rules.timely_filing is not None


@pytest.mark.parametrize("limit", ["days: 90, months: 3", "carc: CO-29", "days: 0"])
def test_timely_filing_needs_exactly_one_positive_limit(limit: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(POLICY.replace("LIMIT", limit), "my-plan.yaml")
    message = str(info.value)
    assert message.startswith("my-plan.yaml") and "claim_rules.timely_filing" in message


def test_unknown_program_in_a_policy_is_a_clear_error() -> None:
    text = POLICY.replace("LIMIT", "days: 90").replace("filing_indicators: [CI]", "programs: [medicare-advantag]")
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "my-plan.yaml")
    assert "match.programs" in str(info.value)
