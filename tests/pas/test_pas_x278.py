"""X12 278: a request built from a claim reads back through the X12 tokenizer; invented responses are recorded."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from pas_helpers import make_pa_claim as _claim

from preclaim.edi.x12.tokenizer import tokenize
from preclaim.edi.x12.x278 import build_278_request
from preclaim.edi.x12.x278_read import read_278_response
from preclaim.errors import InputError, X12Error
from preclaim.store import Store, load_history
from preclaim.store.decisions import record_decisions

FIXTURES = Path(__file__).parent / "fixtures"
CREATED = dt.datetime(2026, 3, 1, 9, 30)


def test_278_request_carries_the_medical_necessity_facts_and_a_valid_envelope() -> None:
    text = build_278_request(_claim(), created=CREATED, control_number=42)
    segments = list(tokenize(io.BytesIO(text.encode())))  # envelope counts and control numbers checked
    by_tag = {}
    for seg in segments:
        by_tag.setdefault(seg[0], []).append(seg)
    assert by_tag["GS"][0][8] == "005010X217" and by_tag["BHT"][0][1:3] == ["0007", "13"]
    assert [hl[3] for hl in by_tag["HL"]] == ["20", "21", "22", "EV", "SS", "SS"]
    assert by_tag["HI"][0][1:] == ["ABK:D510", "ABF:E538"]
    assert [sv[1] for sv in by_tag["SV1"]] == ["HC:J3420:JZ", "HC:96372"]
    assert by_tag["SV1"][0][4] == "1" and by_tag["DTP"][0][1:] == ["472", "D8", "20260303"]
    assert "DOSE 1000 MCG" in by_tag["MSG"][0][1] and "SERUM_B12 160 pg/mL" in by_tag["MSG"][0][1]
    assert by_tag["NM1"][2][3] == "PAT-77"  # the pseudonymous key, never a name
    assert by_tag["ISA"][0][13] == "000000042"


def test_278_request_needs_a_requester_npi() -> None:
    claim = _claim()
    import msgspec

    from preclaim.domain import Provider

    with pytest.raises(InputError, match="NPI"):
        build_278_request(msgspec.structs.replace(claim, billing_provider=Provider()), created=CREATED)


def test_responses_are_read_service_by_service() -> None:
    (approved,) = read_278_response(FIXTURES / "278_response_approved.x12")
    assert (approved.action, approved.number, approved.code, approved.quantity) == ("A1", "AUTH-278-0001", "J3420", 6)
    assert (approved.start, approved.end) == (dt.date(2026, 3, 3), dt.date(2026, 8, 31))
    partial, line_denied = read_278_response(FIXTURES / "278_response_partial.x12")
    assert (partial.status, partial.quantity, partial.end) == ("partial", 3, dt.date(2026, 5, 31))  # dates from 2000E
    assert (line_denied.status, line_denied.number, line_denied.reason) == ("denied", None, "CM")
    (denied,) = read_278_response(FIXTURES / "278_response_denied.x12")  # decision inherited from 2000E
    assert (denied.action, denied.number, denied.code) == ("A3", "AUTH-278-0003", "J3420")
    with pytest.raises(X12Error, match=r"segment 7 AAA03: the payer rejected the request \(found '42'"):
        read_278_response(FIXTURES / "278_response_rejected.x12")


def test_a_request_is_not_a_response() -> None:
    text = build_278_request(_claim(), created=CREATED)
    with pytest.raises(X12Error, match="BHT02: not a 278 response"):
        read_278_response(io.BytesIO(text.encode()))


def test_278_decisions_are_recorded_and_numberless_ones_reported(store: Store) -> None:
    decisions = read_278_response(FIXTURES / "278_response_partial.x12")
    recorded = record_decisions(store, decisions, source="278", where="partial", received=dt.date(2026, 3, 2),
                                patient_key="PAT-77")  # fmt: skip
    assert [(r.outcome, r.skipped is not None) for r in recorded] == [("added", False), (None, True)]
    (auth,) = load_history(store, "PAT-77", dt.date(2026, 3, 3)).authorizations
    assert (auth.number, auth.payer_id, auth.status, auth.approved_units, auth.units_left) == (
        "AUTH-278-0002", "INVENTED-PAYER", "partial", 3, 3)  # fmt: skip


def test_bad_278_response_values_name_their_place(tmp_path: Path) -> None:
    text = (FIXTURES / "278_response_approved.x12").read_text()
    bad_date = tmp_path / "bad_date.x12"
    bad_date.write_text(text.replace("DTP*AAH*RD8*20260303-20260831~\nHL*5", "DTP*AAH*RD8*2026-03-03~\nHL*5"))
    with pytest.raises(X12Error, match=r"DTP03: bad date \(found '2026-03-03', expected CCYYMMDD"):
        read_278_response(bad_date)
    bad_action = tmp_path / "bad_action.x12"
    bad_action.write_text(text.replace("HCR*A1*AUTH-278-0001~\nREF", "HCR*ZZ*AUTH-278-0001~\nREF"))
    with pytest.raises(X12Error, match=r"segment 14 HCR01: unknown review action \(found 'ZZ'"):
        read_278_response(bad_action)
