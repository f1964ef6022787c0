"""Replacement (CLM05-3 = 7) and void (8) claims in history: a corrected injection counts once, a voided one not."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from preclaim.domain.claim import Claim
from preclaim.domain.history import Administration, History
from preclaim.engine import Engine
from preclaim.rules.facts import earlier_doses

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DAY = dt.date(2026, 3, 16)


def _claim(claim_id: str, day: str, frequency: str = "1", number: str | None = None, **extra: Any) -> Claim:
    doc: dict[str, Any] = {
        "id": claim_id,
        "payer": {"id": "09102"},
        "patient": {"key": "PT-1001"},
        "place_of_service": "11",
        "frequency_code": frequency,
        "payer_claim_control_number": number,
        "lines": [{"number": 1, "code": "J3420", "units": 1, "date_of_service": day}],
        **extra,
    }
    return msgspec.convert(doc, Claim)


def _checked(**changes: Any) -> Claim:
    doc = json.loads((EXAMPLES / "clean.json").read_text())  # J3420 on 2026-03-16
    doc.update(changes)
    return msgspec.convert(doc, Claim)


def _doses(engine: Engine, claim: Claim, history: History) -> list[tuple[str, str | None]]:
    ctx = engine.context(claim, history, dt.date(2026, 3, 20))
    return [(d.date.isoformat(), d.claim_id) for d in earlier_doses(ctx, "J3420", DAY)]


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        # a replacement with a new id names its original by the payer's claim control number: counted once
        (
            (_claim("X1", "2026-03-01", number="ICN-1"), _claim("Y1", "2026-03-01", "7", "ICN-1")),
            [("2026-03-01", "Y1")],
        ),
        # ... or by the same claim id
        ((_claim("X1", "2026-03-01"), _claim("X1", "2026-03-01", "7")), [("2026-03-01", "X1")]),
        # REF*F8 naming the original's claim id
        ((_claim("X1", "2026-03-01"), _claim("Y1", "2026-03-01", "7", "X1")), [("2026-03-01", "Y1")]),
        # a void takes its original with it
        ((_claim("X1", "2026-03-01", number="ICN-1"), _claim("V1", "2026-03-01", "8", "ICN-1")), []),
        # a replacement that names another claim leaves this one counting
        (
            (_claim("X1", "2026-03-01"), _claim("Z1", "2026-03-01", "7", "ICN-9")),
            [("2026-03-01", "X1"), ("2026-03-01", "Z1")],
        ),
    ],
)
def test_a_corrected_claim_in_history_counts_once(
    engine: Engine, history: tuple[Claim, ...], expected: list[tuple[str, str | None]]
) -> None:
    assert _doses(engine, _checked(), History(claims=history)) == expected


def test_a_chart_record_of_the_same_day_is_not_taken_for_the_original(engine: Engine) -> None:
    chart = Administration("PT-1001", DAY, "J3420")  # no claim id: what the chart recorded
    billed = Administration("PT-1001", DAY, "J3420", claim_id="OLD", payer_id="09102")
    other_payer = Administration("PT-1001", DAY, "J3420", claim_id="AETNA-1", payer_id="60054")
    replacement = _checked(frequency_code="7", payer_claim_control_number="ICN-5")
    doses = _doses(engine, replacement, History(administrations=(chart, billed, other_payer)))
    assert doses == [("2026-03-16", None), ("2026-03-16", "AETNA-1")]


def test_an_original_is_not_presumed_to_replace_anything(engine: Engine) -> None:
    billed = Administration("PT-1001", DAY, "J3420", claim_id="OLD", payer_id="09102")
    assert _doses(engine, _checked(), History(administrations=(billed,))) == [("2026-03-16", "OLD")]
