"""Reports written through the buffered JSON-array writer read back as the same reports, in order."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from preclaim.domain.history import History
from preclaim.domain.report import Report
from preclaim.io.report_json import ReportArrayWriter

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("flush_at", [1, 3000, 1 << 20])
def test_reports_come_back_in_order_whatever_the_buffer(engine: Any, flush_at: int) -> None:
    from preclaim.io.claim_json import load_claims  # the examples' claims: clean and each planted problem

    claims = load_claims(EXAMPLES / "all-claims.json")
    reports = [engine.check(c, History(), as_of=dt.date(2026, 3, 20)) for c in claims] * 5
    out = io.BytesIO()
    writer = ReportArrayWriter(out)
    writer.FLUSH_AT = flush_at
    for report in reports:
        writer.add(report)
        assert len(writer.buffer) < flush_at  # written out once it reaches the mark
    writer.flush()
    text = b"[" + out.getvalue() + b"]"
    assert msgspec.json.decode(text, type=list[Report]) == reports
    assert json.loads(text)[0]["claim_id"] == reports[0].claim_id


def test_shared_parts_are_written_as_the_report_encodes_them(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer reuses the JSON of parts reports share (decision, checklist, policies): its bytes are the
    reports' own encoding, byte for byte, whether a part is met again, is new, or was evicted."""
    from preclaim.io import report_json
    from preclaim.io.claim_json import load_claims

    claims = load_claims(EXAMPLES / "all-claims.json")
    reports = [engine.check(c, History(), as_of=dt.date(2026, 3, 20)) for c in claims] * 3
    # the engine hands out one decision object per distinct decision: a repeat is the same object
    again = engine.check(claims[0], History(), as_of=dt.date(2026, 3, 20))
    assert again.prior_auth is reports[0].prior_auth
    for limit in (2, 4096):  # evicting on nearly every report, or never
        monkeypatch.setattr(report_json, "_SHARED_PARTS_LIMIT", limit)
        out = io.BytesIO()
        writer = ReportArrayWriter(out)
        for report in reports:
            writer.add(report)
        writer.flush()
        assert out.getvalue() == b",".join(msgspec.json.encode(r) for r in reports)
