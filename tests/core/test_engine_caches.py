"""The engine's caches change nothing: a warm engine reports what a cold one does, and nothing cached for one
policy, claim or patient leaks into another's report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec

from preclaim.domain.claim import Claim
from preclaim.domain.history import Administration, History
from preclaim.domain.report import Report
from preclaim.engine import Engine
from preclaim.policy import load_library

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AS_OF = dt.date(2026, 3, 20)

DOCUMENTED_PLAN = """
id: documented-plan
title: Documented Plan
version: "1"
effective: {start: 2024-01-01}
match: {payer_ids: [DEMO1]}
layer: 95
sources: {doc: {title: Documented Plan policy, url: https://example.invalid/p}}
drugs:
  J3420:
    documentation:
      - {id: route, item: "Route of administration", requires: route, source: doc}
"""


def _claim(**changes: Any) -> Claim:
    """The clean example as an 837P would carry it: no chart facts."""
    doc = json.loads((EXAMPLES / "clean.json").read_text())
    doc.pop("encounter", None)
    doc.update(changes)
    return msgspec.convert(doc, Claim)


def _encode(report: Report) -> bytes:
    return msgspec.json.encode(report)


def test_warm_engine_reports_what_a_cold_one_does(engine: Engine) -> None:
    malformed_ndc = {
        "number": 1,
        "code": "J3420",
        "units": 1,
        "date_of_service": "2026-03-16",
        "ndc": {"code": "0517-31-25"},
    }
    claims = [
        _claim(),
        _claim(diagnoses=[{"code": "R53.83"}]),  # not covered: its checklist is cached under another key
        _claim(payer={"id": "DEMO1", "name": "Demo Health Plan"}, filing_indicator="CI"),
        _claim(lines=[malformed_ndc]),  # the normalised NDC, or its error, is memoised
        # Timely-filing findings are memoised by line number, send date and date of service
        _claim(submitted_on="2027-06-01"),
        _claim(submitted_on="2027-06-02"),
        _claim(submitted_on="2026-03-01"),
        _claim(submitted_on="2027-06-01", lines=[{**malformed_ndc, "number": 2, "ndc": None}]),
        # Medicare's checklist asks for the wasted amount of a single-dose vial, and for the loading phase when
        # the last injection was less than a month before: cached under keys that say both
        _claim(lines=[{**malformed_ndc, "ndc": {"code": "99999000101", "quantity": 1, "unit": "ML"}}]),
        _claim(lines=[{**malformed_ndc, "date_of_service": "2026-04-20", "ndc": None}]),
        _claim(diagnoses=[{"code": "D51.0"}, {"code": "Z51.11"}]),  # a chemotherapy encounter: one item more
        # An NDC line's findings are memoised on its number, code, NDC and NDC unit
        _claim(lines=[{**malformed_ndc, "ndc": {"code": "00517-0031-25", "quantity": 1, "unit": "ML"}}]),
        _claim(lines=[{**malformed_ndc, "number": 3, "ndc": {"code": "00517-0031-25", "quantity": 1, "unit": "ML"}}]),
        _claim(lines=[{**malformed_ndc, "ndc": {"code": "00517003125", "quantity": 1, "unit": "ML"}}]),
        _claim(lines=[{**malformed_ndc, "ndc": {"code": "00517003125", "quantity": 1, "unit": "MG"}}]),
    ]
    history = History(administrations=(Administration("PT-1001", dt.date(2026, 3, 2), "J3420"),))
    warm = [_encode(engine.check(c, history, as_of=AS_OF)) for c in claims + claims]
    cold = [_encode(Engine.default().check(c, history, as_of=AS_OF)) for c in claims]
    assert warm == cold + cold
    timely = [[f.message for f in engine.check(c, history, as_of=AS_OF).findings if "timely" in f.rule] for c in claims]
    assert "sent 2027-06-01" in timely[4][0] and "sent 2027-06-02" in timely[5][0]
    assert "after the send date 2026-03-01" in timely[6][0] and timely[7][0].startswith("line 2: sent 2027-06-01")
    checklists = [[i.id for i in engine.check(c, history, as_of=AS_OF).checklist] for c in claims]
    assert "waste" not in checklists[0] and "waste" in checklists[8]  # multi-dose (no waste) and single-dose
    assert "phase" in checklists[0] and "phase" not in checklists[9]  # 14 days after the last injection, and 49
    assert "chemo" not in checklists[0] and "chemo" in checklists[10]
    ndc = [
        [f.message for f in engine.check(c, history, as_of=AS_OF).findings if f.rule.startswith("ndc.")] for c in claims
    ]
    assert ndc[11][0].startswith("line 1: NDC '00517-0031-25'") and ndc[12][0].startswith("line 3: NDC")
    assert ndc[13] == [] and "NDC unit 'MG'" in ndc[14][0]


def test_a_policy_cache_does_not_leak_into_another_library(engine: Engine, tmp_path: Path) -> None:
    claim = _claim(payer={"id": "DEMO1", "name": "Demo Health Plan"}, filing_indicator="CI")
    default = engine.check(claim, as_of=AS_OF)  # caches the demo plan's checklist for this claim
    (tmp_path / "documented.yaml").write_text(DOCUMENTED_PLAN)
    other = Engine(load_library([tmp_path]), engine.codes).check(claim, as_of=AS_OF)
    assert [i.id for i in default.checklist] == ["order", "lab", "dose"]
    assert [i.id for i in other.checklist] == ["route"]
    assert engine.check(claim, as_of=AS_OF) == default


def test_history_of_other_patients_is_ignored(engine: Engine) -> None:
    claim = _claim()
    day = claim.lines[1].date_of_service
    mine = History(administrations=(Administration("PT-1001", day, "J3420", claim_id="EARLIER-1"),))
    theirs = History(administrations=(Administration("PT-9999", day, "J3420", claim_id="EARLIER-1"),))
    both = History(administrations=mine.administrations + theirs.administrations)

    def rules(history: History) -> set[str]:
        return {f.rule for f in engine.check(claim, history, as_of=AS_OF).findings}

    assert "frequency.duplicate" in rules(mine)
    assert "frequency.duplicate" not in rules(theirs)
    assert rules(both) == rules(mine)
