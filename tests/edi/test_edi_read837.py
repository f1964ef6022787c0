"""837P reader: claims out of the samples and invented files, rejections with their place."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from x12_builders import b12_claim, interchange, subscriber

from preclaim.domain import Claim
from preclaim.edi.x12.loops import ParsedClaim, RejectedClaim
from preclaim.edi.x12.read837 import iter_claims, read_837
from preclaim.errors import X12Error


def claims_of(data: bytes) -> list[Claim | RejectedClaim]:
    return list(iter_claims(io.BytesIO(data)))


def test_drug_sample_gives_provider_payer_lines_and_ndc(x12_samples: Path) -> None:
    (claim,) = iter_claims(x12_samples / "837p/demo.drug.example10.1.837")
    assert isinstance(claim, Claim)
    assert (claim.id, claim.charge, claim.place_of_service, claim.frequency_code) == (
        "CLMNO12345",
        Decimal("103.37"),
        "11",
        "1",
    )
    assert (claim.billing_provider.npi, claim.billing_provider.state) == ("1234567893", "NV")
    assert claim.payer.id == "PLANID12345" and claim.filing_indicator == "CI"
    assert [(d.code, d.system) for d in claim.diagnoses] == [("03591", "icd9")]
    assert claim.rendering_provider is not None and claim.rendering_provider.taxonomy == "208D00000X"
    drug = claim.lines[1]
    assert (drug.code, drug.units, drug.date_of_service) == ("J1550", 1.0, dt.date(2004, 7, 11))
    assert drug.ndc is not None and (drug.ndc.code, drug.ndc.quantity, drug.ndc.unit) == ("00026063512", 10.0, "ML")
    assert claim.patient.birth_date == dt.date(1943, 5, 1) and claim.patient.sex == "M"
    assert claim.submitted_on == dt.date(2004, 8, 1)


def test_ranges_descriptions_and_rx_numbers(x12_samples: Path) -> None:
    (claim,) = iter_claims(x12_samples / "837p/demo.drug.example10.3.837")
    assert isinstance(claim, Claim)
    line = claim.lines[3]
    assert (line.code, line.description, line.rx_number) == ("J3490", "Sod Chl 0.9%see NDC#", "2530001")
    assert (line.date_of_service, line.date_of_service_end) == (dt.date(2004, 2, 1), dt.date(2004, 2, 7))


def test_dependent_patient_is_keyed_without_names(x12_samples: Path) -> None:
    (claim,) = iter_claims(x12_samples / "837p/demo.example1.837")
    assert isinstance(claim, Claim)
    encoded = msgspec.json.encode(claim).decode()
    assert "SMITH" not in encoded and "TED" not in encoded
    assert claim.patient.key.startswith("pk-") and claim.patient.birth_date == dt.date(1973, 5, 1)
    assert [line.diagnosis_pointers for line in claim.lines] == [(1,), (1,), (2,), (2,)]
    assert [d.code for d in claim.diagnoses] == ["0340", "V7389"]


def test_icd10_prior_auth_k3_notes_and_modifiers() -> None:
    extra = ["REF*G1*PA12345", "K3*coverage-assertion-id=abc", "NTE*ADD*dose 1000 mcg"]
    data = interchange([*subscriber(2), *b12_claim(extra=extra, modifiers=":JZ:59")])
    (claim,) = claims_of(data)
    assert isinstance(claim, Claim)
    assert [(d.code, d.system) for d in claim.diagnoses] == [("D510", "icd10"), ("E538", "icd10")]
    assert (claim.prior_auth, claim.k3, claim.notes) == ("PA12345", ("coverage-assertion-id=abc",), ("dose 1000 mcg",))
    assert claim.lines[1].modifiers == ("JZ", "59") and claim.lines[1].diagnosis_pointers == (1, 2)
    assert claim.filing_indicator == "MB" and claim.billing_provider.state == "FL"


def test_same_member_same_key_different_payer_different_key() -> None:
    body = [
        *subscriber(2),
        *b12_claim("A"),
        *subscriber(3),
        *b12_claim("B"),
        *subscriber(4, payer="60054", filing="CI"),
        *b12_claim("C"),
    ]
    a, b, c = claims_of(interchange(body))
    assert isinstance(a, Claim) and isinstance(b, Claim) and isinstance(c, Claim)
    assert a.patient.key == b.patient.key != c.patient.key


def test_claims_with_the_same_lines_and_diagnoses_share_them() -> None:
    """A clinic's day repeats the same lines claim after claim: the claims held until they are checked share one
    tuple of lines, one of diagnoses and one place of service (memory), and a claim that differs gets its own."""
    first, same, other = (
        item.claim
        for item in read_837(
            io.BytesIO(interchange([*subscriber(1), *b12_claim("A"), *b12_claim("B"), *b12_claim("C", day="20260302")]))
        )
        if isinstance(item, ParsedClaim)
    )
    assert (first.id, same.id) == ("A", "B")
    assert same.lines is first.lines and same.diagnoses is first.diagnoses
    assert same.place_of_service is first.place_of_service
    assert other.lines is not first.lines and other.lines != first.lines and other.diagnoses is first.diagnoses


def test_malformed_claim_is_rejected_and_the_others_are_read() -> None:
    body = [
        *subscriber(2),
        *b12_claim("GOOD1"),
        *subscriber(3),
        *b12_claim("BAD", units="one"),
        *subscriber(4),
        *b12_claim("GOOD2"),
    ]
    items = claims_of(interchange(body))
    assert [type(i).__name__ for i in items] == ["Claim", "RejectedClaim", "Claim"]
    bad = items[1]
    assert isinstance(bad, RejectedClaim) and bad.claim_id == "BAD"
    assert (bad.error.segment_id, bad.error.element, bad.error.found) == ("SV1", 4, "one")
    assert bad.error.segment_number == 3 + 9 + 5 + 10 + 5 + 7  # ISA GS ST, header, loops, 2nd SV1
    assert "invalid unit count" in bad.reason


@pytest.mark.parametrize(
    ("change", "segment_id", "element"),
    [
        (("DTP*472*D8*20260102", "DTP*472*D8*20261340"), "DTP", 3),
        (("CLM*C1*52.00", "CLM*C1*5x2"), "CLM", 2),
        (("SV1*HC:96372", "SV1*HC:"), "SV1", 1),
        (("DTP*472*D8*20260102", "DTP*472*XX*20260102"), "DTP", 2),
    ],
)
def test_each_rejection_names_its_element(change: tuple[str, str], segment_id: str, element: int) -> None:
    data = interchange([*subscriber(2), *b12_claim()]).decode().replace(*change, 1).encode()
    (item,) = claims_of(data)
    assert isinstance(item, RejectedClaim)
    assert (item.error.segment_id, item.error.element) == (segment_id, element)


def test_a2_is_accepted_and_other_guides_are_not() -> None:
    assert isinstance(claims_of(interchange([*subscriber(2), *b12_claim()], "005010X222A2"))[0], Claim)
    with pytest.raises(X12Error) as caught:
        claims_of(interchange([*subscriber(2), *b12_claim()], "005010X223A2"))
    assert caught.value.segment_id == "GS" and caught.value.element == 8


def test_835_is_not_read_as_837(x12_samples: Path) -> None:
    with pytest.raises(X12Error) as caught:
        list(read_837(x12_samples / "835/managed-care.835"))
    assert caught.value.segment_id == "ST" and caught.value.found == "835"


def test_parsed_claims_share_parent_loops() -> None:
    body = [*subscriber(2), *b12_claim("A"), *b12_claim("B", day="20260109")]
    first, second = read_837(io.BytesIO(interchange(body)))
    assert isinstance(first, ParsedClaim) and isinstance(second, ParsedClaim)
    assert first.subscriber is second.subscriber and first.transaction is second.transaction
    assert first.number == 18 and second.number == 28


def test_claim_without_member_id_is_rejected_not_merged_with_others() -> None:
    sub = [s.replace("MI*M0001", "MI*") for s in subscriber(2)]
    items = claims_of(interchange([*sub, *b12_claim("A"), *subscriber(3), *b12_claim("B")]))
    bad = items[0]
    assert isinstance(bad, RejectedClaim) and bad.claim_id == "A"
    assert (bad.error.segment_number, bad.error.segment_id, bad.error.element) == (15, "NM1", 9)
    assert isinstance(items[1], Claim)


def test_ref_f8_is_the_payer_claim_control_number_of_a_replacement() -> None:
    replacement = [s.replace("11:B:1", "11:B:7") for s in b12_claim("R1", extra=["REF*F8*22026075000100"])]
    original, corrected = claims_of(interchange([*subscriber(2), *b12_claim("A1"), *subscriber(3), *replacement]))
    assert isinstance(original, Claim) and isinstance(corrected, Claim)
    assert (original.frequency_code, original.payer_claim_control_number) == ("1", None)
    assert (corrected.frequency_code, corrected.payer_claim_control_number) == ("7", "22026075000100")


def test_a_new_segment_id_is_checked_where_it_stands_when_the_fast_split_gives_up() -> None:
    """A segment id met for the first time in a stretch of the file the one-segment-a-line split gives up on
    (a terminator inside a later segment) is still checked where it stands."""
    data = interchange([*subscriber(2), *b12_claim(extra=["zz*1", "NTE*ADD*A~K3*B"])])
    with pytest.raises(X12Error) as caught:
        list(read_837(io.BytesIO(data)))
    assert caught.value.segment_number == data.decode().split("~\n").index("zz*1") + 1
    assert "invalid segment id" in str(caught.value) and caught.value.found == "zz"


def _varied(claim_id: str, old: str, new: str) -> list[str]:
    """A B12 claim with one segment text of its drug line (line 2) changed."""
    body = b12_claim(claim_id)
    at = max(i for i, seg in enumerate(body) if old in seg)
    return [*body[:at], *body[at].replace(old, new).split("~\n"), *body[at + 1 :]]


def test_service_lines_repeated_across_claims_keep_each_claims_own_values() -> None:
    """The reader shares one object between claims whose lines say the same thing: a line that differs in any
    one element (even only in how its charge is written) keeps its own values."""
    variants: list[tuple[list[str], str, object]] = [
        (b12_claim("SAME1"), "charge", Decimal("27.00")),
        (b12_claim("SAME2"), "charge", Decimal("27.00")),
        (_varied("CHARGE", "*27.00*", "*27.0*"), "charge", "27.0"),
        (_varied("DAY", "DTP*472*D8*20260102", "DTP*472*D8*20260103"), "date_of_service", dt.date(2026, 1, 3)),
        (_varied("NDC", "N4*00517003101", "N4*00517003102"), "ndc", "00517003102"),
        (_varied("QTY", "CTP****1*ML", "CTP****2*ML"), "ndc_quantity", 2.0),
        (_varied("NUMBER", "LX*2", "LX*3"), "number", 3),
        (_varied("POS", "*UN*1***1:2", "*UN*1*12**1:2"), "place_of_service", "12"),
        (_varied("POSSAME", "*UN*1***1:2", "*UN*1*11**1:2"), "place_of_service", None),
        (
            [c.replace("11:B:1", "12:B:1") for c in _varied("POSCLM", "*UN*1***1:2", "*UN*1*11**1:2")],
            "place_of_service",
            "11",
        ),
        (_varied("AUTH", "CTP****1*ML", "CTP****1*ML~\nREF*G1*LINEPA1"), "prior_auth", "LINEPA1"),
        (_varied("RX", "CTP****1*ML", "CTP****1*ML~\nREF*XZ*RX42"), "rx_number", "RX42"),
    ]
    body: list[str] = []
    for n, (claim, _, _) in enumerate(variants):
        body += [*subscriber(2 + n, member=f"M{n:04d}"), *claim]
    claims = [c for c in claims_of(interchange(body)) if isinstance(c, Claim)]
    assert [c.id for c in claims] == [v[0][0].split("*")[1] for v in variants]
    for claim, (_, field, expected) in zip(claims, variants, strict=True):
        line = claim.lines[1]
        got: object = {
            "charge": str(line.charge) if isinstance(expected, str) else line.charge,
            "ndc": line.ndc.code if line.ndc else None,
            "ndc_quantity": line.ndc.quantity if line.ndc else None,
        }.get(field, getattr(line, field, None))
        assert got == expected, (claim.id, field)
    assert claims[0].lines == claims[1].lines
