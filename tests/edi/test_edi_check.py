"""Checking a whole 837P: the file's earlier claims are history; rejected claims do not stop the run."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from x12_builders import b12_claim, interchange, subscriber

from preclaim.domain.report import Report
from preclaim.edi.check import check_x12_file
from preclaim.edi.x12.loops import RejectedClaim
from preclaim.engine import Engine

AS_OF = dt.date(2026, 1, 20)


def run(body: list[str]) -> list[Report | RejectedClaim]:
    return list(check_x12_file(io.BytesIO(interchange(body)), Engine.default(), AS_OF))


def rules(result: Report | RejectedClaim) -> set[str]:
    assert isinstance(result, Report)
    return {f.rule for f in result.findings}


def test_duplicate_inside_one_batch_is_caught_on_the_later_claim() -> None:
    first, second = run([*subscriber(2), *b12_claim("A"), *subscriber(3), *b12_claim("B")])
    assert "frequency.duplicate" not in rules(first)
    assert "frequency.duplicate" in rules(second)
    assert isinstance(second, Report) and second.claim_id == "B" and second.verdict == "deny"


def test_other_patients_are_not_history() -> None:
    first, second = run([*subscriber(2), *b12_claim("A"), *subscriber(3, member="M0002"), *b12_claim("B")])
    assert "frequency.duplicate" not in rules(first) | rules(second)


def test_history_is_in_date_order_even_when_the_file_is_not() -> None:
    results = run(
        [
            *subscriber(2),
            *b12_claim("LATE", day="20260110"),
            *subscriber(3),
            *b12_claim("EARLY", day="20260102"),
            *subscriber(4),
            *b12_claim("MID", day="20260105"),
        ]
    )
    assert [r.claim_id for r in results if isinstance(r, Report)] == ["LATE", "EARLY", "MID"]
    assert "frequency.too-soon" in rules(results[2])  # 3 days after EARLY, which came later in the file


def test_rejected_claim_is_reported_and_the_rest_checked() -> None:
    results = run(
        [
            *subscriber(2),
            *b12_claim("A"),
            *subscriber(3, member="M2"),
            *b12_claim("BAD", units="x"),
            *subscriber(4, member="M3"),
            *b12_claim("C"),
        ]
    )
    assert [type(r).__name__ for r in results] == ["Report", "RejectedClaim", "Report"]
    bad = results[1]
    assert isinstance(bad, RejectedClaim) and bad.claim_id == "BAD" and bad.error.element == 4


def test_a_void_in_the_same_batch_removes_the_claim_it_voids() -> None:
    void = [s.replace("11:B:1", "11:B:8") for s in b12_claim("A")]
    results = run([*subscriber(2), *b12_claim("A"), *subscriber(3), *void, *subscriber(4), *b12_claim("B")])
    assert "frequency.duplicate" not in rules(results[2])


def test_a_later_claim_in_the_file_with_an_earlier_date_is_history() -> None:
    late, early = run([*subscriber(2), *b12_claim("LATE", day="20260110"), *subscriber(3),
                       *b12_claim("EARLY", day="20260102")])  # fmt: skip
    assert "frequency.too-soon" in rules(late)  # 8 days after EARLY, though EARLY comes later in the file
    assert "frequency.too-soon" not in rules(early)


def test_standard_input_is_read_once_with_file_order_history() -> None:
    class OneShot(io.BytesIO):
        def seekable(self) -> bool:
            return False

    body = [*subscriber(2), *b12_claim("LATE", day="20260110"), *subscriber(3), *b12_claim("EARLY", day="20260102"),
            *subscriber(4), *b12_claim("DUP", day="20260102")]  # fmt: skip
    late, _early, dup = check_x12_file(OneShot(interchange(body)), Engine.default(), AS_OF)
    assert "frequency.too-soon" not in rules(late)  # EARLY was not read yet
    assert "frequency.duplicate" in rules(dup)


def test_stored_history_is_added_to_the_files_own() -> None:
    from preclaim.domain.history import Administration, History
    from preclaim.edi.x12.read837 import iter_claims

    data = interchange([*subscriber(2), *b12_claim("NEW", day="20260110")])
    (claim,) = iter_claims(io.BytesIO(data))
    assert not isinstance(claim, RejectedClaim)
    stored = History(administrations=(Administration(claim.patient.key, dt.date(2026, 1, 10), "J3420"),))
    (report,) = check_x12_file(io.BytesIO(data), Engine.default(), AS_OF, history=stored)
    assert "frequency.duplicate" in rules(report)


@pytest.mark.parametrize("units", ["nan", "inf", "1e400", "-1", "0"])
def test_units_no_claim_can_bill_are_a_rejection_naming_sv104(units: str) -> None:
    # float() takes nan and 1e400; the engine then failed on them (found while speeding up the reader)
    *_, bad = run([*subscriber(2), *b12_claim("A"), *subscriber(3, member="M2"), *b12_claim("BAD", units=units)])
    assert isinstance(bad, RejectedClaim) and bad.claim_id == "BAD"
    assert (bad.error.segment_id, bad.error.element, bad.error.found) == ("SV1", 4, units)


@pytest.mark.parametrize("quantity", ["nan", "1e400", "-1"])
def test_an_ndc_quantity_that_is_no_number_is_a_finding_not_a_crash(quantity: str) -> None:
    claim = [line.replace("CTP****1*ML", f"CTP****{quantity}*ML") for line in b12_claim("Q")]
    (report,) = run([*subscriber(2), *claim])
    assert isinstance(report, Report) and report.verdict != "clean"


def test_a_replacement_with_a_new_claim_id_is_not_a_duplicate_of_its_original() -> None:
    replacement = [s.replace("11:B:1", "11:B:7") for s in b12_claim("A-R", extra=["REF*F8*22026075000100"])]
    later = b12_claim("NEXT", day="20260112")
    original, corrected, next_one = run(
        [*subscriber(2), *b12_claim("A"), *subscriber(3), *replacement, *subscriber(4), *later]
    )
    assert "frequency.duplicate" not in rules(original) | rules(corrected)
    assert isinstance(next_one, Report)
    too_soon = [f for f in next_one.findings if f.rule == "frequency.too-soon"]
    assert len(too_soon) == 1 and "10 days after the previous injection on 2026-01-02" in too_soon[0].message


def test_a_replacement_naming_its_original_by_claim_id_in_ref_f8_drops_it_from_the_batch() -> None:
    replacement = [s.replace("11:B:1", "11:B:7") for s in b12_claim("A-R", extra=["REF*F8*A"])]
    results = run([*subscriber(2), *b12_claim("A"), *subscriber(3), *replacement, *subscriber(4), *b12_claim("B")])
    assert "frequency.duplicate" not in rules(results[1])
    last = results[2]
    assert isinstance(last, Report)  # B repeats the day: of A and its replacement, only the replacement counts
    assert [f.message for f in last.findings if f.rule == "frequency.duplicate"] == [
        "line 2: 2026-01-02 was already billed or recorded for this patient (claim A-R)"
    ]
