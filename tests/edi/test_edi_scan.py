"""The first pass of a check (scan_services) keeps exactly what the full reader would, and rejects the same claims."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from x12_builders import b12_claim, interchange, subscriber

from preclaim.edi.x12.loops import ParsedClaim
from preclaim.edi.x12.read837 import PatientServices, read_837, scan_services
from preclaim.errors import X12Error


def expected(data: bytes) -> list[PatientServices | None]:
    """What the light scan must give: the full reader's claims cut down to their history facts."""
    found: list[PatientServices | None] = []
    for item in read_837(io.BytesIO(data)):
        if isinstance(item, ParsedClaim):
            claim = item.claim
            lines = [(line.date_of_service, line.code, line.units) for line in claim.lines]
            services = (claim.id, claim.frequency_code, lines, claim.payer_claim_control_number)
            found.append((claim.patient.key, claim.payer.id, services))
        else:
            found.append(None)
    return found


def test_samples_give_the_same_facts(x12_samples: Path) -> None:
    for path in sorted((x12_samples / "837p").glob("*.837")):
        data = path.read_bytes()
        assert list(scan_services(io.BytesIO(data))) == expected(data), path.name


def dependent(hl: int, name: str = "TESTCHILD", birth: str = "20100101") -> list[str]:
    return [f"HL*{hl}*{hl - 1}*23*0", "PAT*19", f"NM1*QC*1*{name}*SAM", f"DMG*D8*{birth}*F"]


def edit(claim: list[str], prefix: str, new: str | None) -> list[str]:
    """The claim with the first segment starting with `prefix` replaced (or dropped when new is None)."""
    at = next(i for i, seg in enumerate(claim) if seg.startswith(prefix))
    return claim[:at] + ([new] if new is not None else []) + claim[at + 1 :]


GOOD = b12_claim("OK")
ODD_CLAIMS = {
    "units": edit(GOOD, "SV1*HC:J3420", "SV1*HC:J3420*27.00*UN*x***1:2"),
    "no code": edit(GOOD, "SV1*HC:J3420", "SV1*HC*27.00*UN*1***1:2"),
    "short sv1": edit(GOOD, "SV1*HC:J3420", "SV1*HC:J3420*27.00"),
    "charge": edit(GOOD, "SV1*HC:J3420", "SV1*HC:J3420*abc*UN*1***1:2"),
    "pointer": edit(GOOD, "SV1*HC:J3420", "SV1*HC:J3420*27.00*UN*1***1:x"),
    "bad date": edit(GOOD, "DTP*472", "DTP*472*D8*20261301"),
    "range": edit(GOOD, "DTP*472", "DTP*472*RD8*20260102-20260104"),
    "bad range": edit(GOOD, "DTP*472", "DTP*472*RD8*20260102"),
    "qualifier": edit(GOOD, "DTP*472", "DTP*472*DT*20260102"),
    "no line date": edit(edit(GOOD, "DTP*472", None), "DTP*472", None),
    "claim date": ["CLM*CD*52.00***11:B:1*Y*A*Y*Y", "DTP*472*D8*20260101", *edit(GOOD, "DTP*472", None)[1:]],
    "bad claim date": ["CLM*CB*52.00***11:B:1*Y*A*Y*Y", "DTP*472*D8*2026", *GOOD[1:]],
    "lx": edit(GOOD, "LX*2", "LX*two"),
    "no sv1": edit(GOOD, "SV1*HC:96372", None),
    "no lines": GOOD[:2],
    "dx": edit(GOOD, "HI*", "HI*ABK:"),
    "other hi": edit(GOOD, "HI*", "HI*BG:01*ABK:D510"),
    "clm charge": ["CLM*CC*x***11:B:1*Y*A*Y*Y", *GOOD[1:]],
    "no pos": ["CLM*CP*52.00***:B:1*Y*A*Y*Y", *GOOD[1:]],
    "no id": ["CLM**52.00***11:B:1*Y*A*Y*Y", *GOOD[1:]],
    "short clm": ["CLM*CS*52.00", *GOOD[1:]],
    "replacement": [s.replace("11:B:1", "11:B:7") for s in GOOD],
    "void": [s.replace("11:B:1", "11:B:8") for s in GOOD],
    "replacement with F8": [GOOD[0].replace("11:B:1", "11:B:7"), "REF*F8*ICN0042", *GOOD[1:]],
    "no frequency": [s.replace("11:B:1", "11") for s in GOOD],
    "modifiers": edit(GOOD, "SV1*HC:J3420", "SV1*HC:J3420:JZ:59*27.00*UN*2*12**1:2"),
}


@pytest.mark.parametrize("name", sorted(ODD_CLAIMS))
def test_odd_and_rejected_claims_are_kept_or_dropped_alike(name: str) -> None:
    body = [*subscriber(2), *b12_claim("A"), *subscriber(3), *ODD_CLAIMS[name], *subscriber(4), *b12_claim("B")]
    data = interchange(body)
    want = expected(data)
    assert list(scan_services(io.BytesIO(data))) == want
    assert len(want) == 3


def test_parent_loops_reject_and_key_alike() -> None:
    no_member = [s.replace("****MI*M0003", "") for s in subscriber(4, member="M0003")]
    no_payer = [s for s in subscriber(6, member="M0005") if not s.startswith("NM1*PR")]
    body = [
        *subscriber(2),
        *dependent(3),
        *b12_claim("DEP"),
        *no_member,
        *b12_claim("NOMEMBER"),
        *subscriber(5, member="M0004", payer=""),
        *b12_claim("EMPTYPAYER"),
        *no_payer,
        *b12_claim("NOPAYER"),
        *subscriber(7, member="M0006"),
        *dependent(8, birth="bad"),
        *b12_claim("DEPBADBIRTH"),
        *b12_claim("SAMELOOP"),
    ]
    data = interchange(body)
    want = expected(data)
    # a dependent with an impossible birth date is refused (issue 11), with every claim under it
    assert [w is None for w in want] == [False, True, True, True, True, True]
    assert list(scan_services(io.BytesIO(data))) == want


def test_a_broken_file_fails_the_same_way() -> None:
    good = interchange([*subscriber(2), *b12_claim("A")])
    for data in (
        good.replace(b"SE*", b"SE*9", 1),
        good.replace(b"HL*2*1*22*0", b"HL*2*1*23*0"),
        good.replace(b"LX*1~", b"lx*1~"),
        good[:-30],
        interchange([*b12_claim("A")]),
    ):
        with pytest.raises(X12Error) as full:
            list(read_837(io.BytesIO(data)))
        with pytest.raises(X12Error) as light:
            list(scan_services(io.BytesIO(data)))
        assert str(light.value) == str(full.value)
