"""835 reader, writer and denial explanations, on the public samples and an invented remittance."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest

from preclaim.edi.denials import summarize
from preclaim.edi.x12 import tokenize
from preclaim.edi.x12.read835 import iter_remittances, read_835
from preclaim.edi.x12.write835 import write_835
from preclaim.errors import X12Error

READABLE = ["835_mult_loops.txt", "managed-care.835", "medicare-part-a.835"]

INVENTED = """ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *260301*1200*^*00501*000000009*0*P*:~
GS*HP*PAYER*CLINIC*20260301*1200*9*X*005010X221A1~
ST*835*0001~
BPR*I*25.00*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20260301~
TRN*1*EFT0001*1512345678~
DTM*405*20260228~
N1*PR*TEST MEDICARE~
N1*PE*TEST CLINIC*XX*1234567893~
LX*1~
CLP*C1*1*52.00*25.00**MB*ICN0001~
NM1*QC*1*TESTPERSON*ALEX****MI*M0001~
SVC*HC:96372*25.00*25.00**1~
DTM*472*20260102~
SVC*HC:J3420*27.00*0**1~
DTM*472*20260102~
CAS*CO*16*27.00~
LQ*HE*M119~
CLP*C2*4*52.00*0**MB*ICN0002~
CAS*CO*50*52.00**45*0*1~
MOA***N115~
NM1*QC*1*TESTPERSON*SAM****MI*M0002~
PLB*1234567893*20261231*WO:ICN0000*-10.00*L6*2.50~
SE*21*0001~
GE*1*9~
IEA*1*000000009~
"""


def invented() -> io.BytesIO:
    return io.BytesIO(INVENTED.encode())


@pytest.mark.parametrize("name", READABLE)
def test_835_samples_round_trip_segment_for_segment(x12_samples: Path, name: str) -> None:
    path = x12_samples / "835" / name
    out = io.StringIO()
    assert write_835(read_835(path), out) == 1
    assert list(tokenize(io.BytesIO(out.getvalue().encode()))) == list(tokenize(path))


def test_denied_sample_reads_status_cas_svc_dates_and_remarks(x12_samples: Path) -> None:
    (remit,) = iter_remittances(x12_samples / "835/835_mult_loops.txt")
    (claim,) = remit.claims
    assert (claim.claim_id, claim.status, claim.denied, claim.paid) == ("2005555A", "4", True, Decimal(0))
    first = claim.services[0]
    assert (first.code, first.units, first.start, first.end) == ("T1005", Decimal(68), dt.date(2003, 11, 29),
                                                                 dt.date(2003, 11, 29))  # fmt: skip
    assert [a.code for a in claim.all_adjustments()] == ["CO-16", "OA-A7", "OA-A7"]
    assert first.remarks == ("N14",) and remit.handling == "H" and remit.trace_number == "000000000"


def test_plb_moa_and_statement_dates(x12_samples: Path) -> None:
    (remit,) = iter_remittances(x12_samples / "835/medicare-part-a.835")
    (plb,) = remit.provider_adjustments
    assert (plb.reason, plb.reference, plb.amount, plb.fiscal_period_end) == ("CV", "CP", Decimal("-1.27"),
                                                                              dt.date(2002, 12, 31))  # fmt: skip
    assert remit.claims[1].remarks == ("MA02",) and remit.claims[0].statement_start == dt.date(2002, 8, 16)
    assert remit.payee.id == "6543210903" and remit.total_paid == Decimal("150000.00")


def test_impossible_header_date_is_a_warning_not_a_failure(x12_samples: Path) -> None:
    (remit,) = iter_remittances(x12_samples / "835/managed-care.835")
    assert remit.payment_date is None and "BPR16" in remit.warnings[0] and len(remit.claims) == 2


def test_wrong_component_separator_is_named(x12_samples: Path) -> None:
    with pytest.raises(X12Error) as caught:
        list(iter_remittances(x12_samples / "835/cob-contractural-adjustment.835"))
    err = caught.value
    assert (err.segment_number, err.segment_id, err.element, err.found) == (21, "SVC", 1, "HC>55669")
    assert "ISA16" in str(err)


def test_every_cas_triplet_and_plb_pair() -> None:
    (remit,) = iter_remittances(invented())
    denied = remit.claims[1]
    assert [(a.code, a.amount, a.quantity) for a in denied.adjustments] == [
        ("CO-50", Decimal("52.00"), None), ("CO-45", Decimal(0), Decimal(1))]  # fmt: skip
    assert [(p.reason, p.reference, p.amount) for p in remit.provider_adjustments] == [
        ("WO", "ICN0000", Decimal("-10.00")), ("L6", None, Decimal("2.50"))]  # fmt: skip


def test_denials_map_carc_and_rarc_to_cause_and_fix() -> None:
    report = summarize(iter_remittances(invented()))
    assert (report.claims, report.denied_claims, report.denied_amount) == (2, 2, Decimal("79.00"))
    by_code = {c.code: c for c in report.by_code}
    ndc = by_code["CO-16"]
    assert ndc.rarcs == {"M119": 1} and "NDC" in ndc.root_cause and "2410 LIN" in ndc.prevent
    assert "ndc.missing" in ndc.rules
    lcd = by_code["CO-50"]
    assert "Local Coverage Determination" in lcd.root_cause and lcd.kind == "denial"
    assert by_code["CO-45"].kind == "contractual"
    assert [c.code for c in report.by_code][:2] == ["CO-50", "CO-16"]  # denials first, biggest amount first
    (payer,) = report.by_payer
    assert (payer.payer, payer.claims, payer.denied_claims, payer.paid) == ("TEST MEDICARE", 2, 2, Decimal(25))


def test_bad_amount_stops_with_its_place() -> None:
    data = INVENTED.replace("CLP*C1*1*52.00", "CLP*C1*1*5Z.00").encode()
    with pytest.raises(X12Error) as caught:
        list(iter_remittances(io.BytesIO(data)))
    assert (caught.value.segment_id, caught.value.element, caught.value.segment_number) == ("CLP", 3, 10)
