"""Maintenance intervals in calendar months or days, hard limits named by a source, and older policy files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import msgspec
import pytest

from preclaim.domain.claim import Claim
from preclaim.domain.history import Administration, History
from preclaim.engine import Engine
from preclaim.errors import PolicyError
from preclaim.policy import parse_policy
from preclaim.policy.intervals import describe, next_allowed
from preclaim.policy.schema import Interval

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

POLICY = """
id: my-plan
title: My Plan
version: "1"
effective: {start: 2024-01-01}
match: {payer_ids: [MY1]}
sources:
  doc: {title: My Plan B12 policy, url: https://example.invalid/p}
  limits: {title: My Plan benefit limits (injections at most every 28 days), url: https://example.invalid/limits}
drugs:
  J3420:
    frequency: {source: doc, FREQUENCY}
"""


def _engine(tmp_path: Path, frequency: str) -> Engine:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "my-plan.yaml").write_text(POLICY.replace("FREQUENCY", frequency))
    return Engine.default([folder], codes_dir=tmp_path)


def _check(engine: Engine, last: str, phase: str | None = "maintenance") -> tuple[str, list[tuple[str, str]]]:
    """Check the clean example (J3420 on 2026-03-16) after an injection on `last`, both in `phase`."""
    doc = json.loads((EXAMPLES / "clean.json").read_text())
    doc["payer"] = {"id": "MY1", "name": "My Plan"}
    doc["filing_indicator"] = "CI"
    doc["encounter"]["phase"] = phase
    claim = msgspec.convert(doc, Claim)  # J3420 on 2026-03-16
    history = History(administrations=(Administration("PT-1001", dt.date.fromisoformat(last), "J3420", phase=phase),))
    report = engine.check(claim, history, as_of=dt.date(2026, 3, 20))
    return report.verdict, [(f.severity, f.message) for f in report.findings if f.rule == "frequency.too-soon"]


def test_older_policy_files_with_maintenance_min_days_still_load_and_say_days(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "maintenance_min_days: 28")
    verdict, found = _check(engine, "2026-02-20")  # 24 days
    assert verdict == "fix"
    assert [severity for severity, _ in found] == ["warning"]
    assert "no more often than every 28 days, so not before 2026-03-20" in found[0][1]
    assert _check(engine, "2026-02-16")[1] == []  # 28 days


def test_a_hard_limit_names_its_source_and_denies(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "maintenance_interval: {days: 28}, hard_limit_source: limits")
    doc = json.loads((EXAMPLES / "clean.json").read_text())
    doc["payer"] = {"id": "MY1"}
    claim = msgspec.convert(doc, Claim)
    history = History(administrations=(Administration("PT-1001", dt.date(2026, 3, 6), "J3420", phase="maintenance"),))
    report = engine.check(claim, history, as_of=dt.date(2026, 3, 20))
    too_soon = [f for f in report.findings if f.rule == "frequency.too-soon"]
    assert report.verdict == "deny"
    assert [(f.severity, f.carc, f.source.id) for f in too_soon] == [("error", "CO-151", "limits")]
    # A phase nobody recorded may be the initial/acute phase: a hard limit only warns then.
    assert [s for s, _ in _check(engine, "2026-03-06", phase=None)[1]] == ["warning"]


def test_calendar_month_rule_allows_any_day_of_the_next_month(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "maintenance_interval: {months: 1, month_rule: calendar-month}")
    assert _check(engine, "2026-02-27")[1] == []  # February, then March: one each
    verdict, found = _check(engine, "2026-03-02")
    assert verdict == "fix" and "one per calendar month" in found[0][1] and "not before 2026-04-01" in found[0][1]


@pytest.mark.parametrize(
    ("last", "interval", "due"),
    [
        ("2026-01-13", Interval(months=1), "2026-02-13"),
        ("2026-01-31", Interval(months=1), "2026-02-28"),  # the last day of a shorter month
        ("2028-01-31", Interval(months=1), "2028-02-29"),
        ("2026-12-15", Interval(months=1), "2027-01-15"),
        ("2026-11-30", Interval(months=3), "2027-02-28"),
        ("2026-01-31", Interval(months=1, month_rule="calendar-month"), "2026-02-01"),
        ("2026-12-01", Interval(months=1, month_rule="calendar-month"), "2027-01-01"),
        ("2026-01-13", Interval(days=28), "2026-02-10"),
    ],
)
def test_next_allowed(last: str, interval: Interval, due: str) -> None:
    assert next_allowed(dt.date.fromisoformat(last), interval) == dt.date.fromisoformat(due)


def test_describe_says_which_month() -> None:
    assert "not before the same day of the next month" in describe(Interval(months=1))
    assert "one per calendar month" in describe(Interval(months=1, month_rule="calendar-month"))
    assert describe(Interval(days=30)) == "no more often than every 30 days"


@pytest.mark.parametrize(
    ("frequency", "problem"),
    [
        ("maintenance_min_days: 28, maintenance_interval: {months: 1}", "not both"),
        ("maintenance_interval: {days: 28, months: 1}", "either days or months"),
        ("maintenance_interval: {}", "either days or months"),
        ("maintenance_interval: {months: 0}", "at least 1"),
        ("maintenance_interval: {months: 1, month_rule: lunar}", "month_rule"),
        ("maintenance_min_days: 28, hard_limit_source: nowhere", "hard_limit_source: unknown source 'nowhere'"),
    ],
)
def test_bad_frequency_sections_name_the_key(frequency: str, problem: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(POLICY.replace("FREQUENCY", frequency), "my-plan.yaml")
    assert problem in str(err.value) and "my-plan.yaml" in str(err.value)
    assert ".frequency" in str(err.value)
