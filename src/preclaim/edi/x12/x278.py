"""X12 278 request (005010X217, Health Care Services Review) for a claim's services: the prior-authorization
request a payer or clearinghouse takes when it does not take Da Vinci PAS.

Loops (X12 005010X217 implementation guide): 2000A UMO (HL*20, NM1*X3) > 2000B requester (HL*21, NM1*1P) >
2000C subscriber (HL*22, NM1*IL, DMG) > 2000E patient event (HL*EV: TRN, UM*HS*I, HI diagnoses, MSG with the
chart facts) > 2000F one service per claim line (HL*SS: TRN, UM, DTP*472, SV1 HC:J3420, units).
The subscriber is pseudonymous: NM103 carries the patient key, never a name; the sending system replaces it.
"""

from __future__ import annotations

import datetime as dt
import re

from preclaim.domain import Claim, ServiceLine
from preclaim.errors import InputError
from preclaim.io.legacy import in_mcg, lab_key

VERSION = "005010X217"
_FORBIDDEN = re.compile(r"[*~:^\r\n]")  # delimiters may not appear inside values


def _clean(value: str, limit: int) -> str:
    return _FORBIDDEN.sub(" ", value).strip()[:limit]


def _d8(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _facts(claim: Claim) -> str | None:
    enc = claim.encounter
    if enc is None:
        return None
    parts = []
    dose_mcg = in_mcg(enc.dose)
    if dose_mcg is not None:
        parts.append(f"DOSE {dose_mcg:g} MCG")
    if enc.route:
        parts.append(f"ROUTE {enc.route}")
    if enc.phase:
        parts.append(f"PHASE {enc.phase.upper()}")
    for lab in enc.labs:
        parts.append(f"{lab_key(lab.loinc).upper()} {lab.value:g} {lab.unit} ON {lab.date.isoformat()}")
    if enc.failed_oral_therapy is not None:
        parts.append(f"FAILED ORAL THERAPY {'YES' if enc.failed_oral_therapy else 'NO'}")
    return _clean("; ".join(parts), 264) or None


def _diagnoses(claim: Claim) -> list[str]:
    """HI: principal ABK, then ABF (ICD-10-CM without the dot); at most 12."""
    codes = [dx.code.replace(".", "").upper() for dx in claim.diagnoses[:12]]
    return [f"{'ABK' if n == 0 else 'ABF'}:{code}" for n, code in enumerate(codes)]


def _service(line: ServiceLine, claim: Claim, trace: str, originator: str) -> list[list[str]]:
    composite = ":".join(["HC", line.code, *line.modifiers[:4]])
    charge = f"{line.charge:.2f}" if line.charge is not None else ""
    dates = (
        ["DTP", "472", "RD8", f"{_d8(line.date_of_service)}-{_d8(line.date_of_service_end)}"]
        if line.date_of_service_end and line.date_of_service_end != line.date_of_service
        else ["DTP", "472", "D8", _d8(line.date_of_service)]
    )
    return [
        ["TRN", "1", f"{trace}-{line.number}", originator],
        ["UM", "HS", "I", "1"],
        dates,
        ["SV1", composite, charge, "UN", f"{line.units:g}", line.place_of_service or claim.place_of_service],
    ]


def _segments(claim: Claim, trace: str, originator: str, created: dt.datetime) -> list[list[str]]:
    billing = claim.billing_provider
    if not billing.npi:
        raise InputError("the 278 requester (2010B NM1*1P) needs the billing provider's NPI", where=f"claim {claim.id}")
    patient, payer_id = claim.patient, _clean(claim.payer.id, 80)
    event: list[list[str]] = [
        ["HL", "4", "3", "EV", "1"],
        ["TRN", "1", trace, originator],
        ["UM", "HS", "I", "1", f"{claim.place_of_service}:B"],
    ]
    if claim.diagnoses:
        event.append(["HI", *_diagnoses(claim)])
    facts = _facts(claim)
    if facts:
        event.append(["MSG", facts])
    segments = [
        ["BHT", "0007", "13", _clean(trace, 50), _d8(created.date()), created.strftime("%H%M")],
        ["HL", "1", "", "20", "1"],
        ["NM1", "X3", "2", _clean(claim.payer.name or claim.payer.id, 60), "", "", "", "", "PI", payer_id],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "1P", "2", _clean(billing.name or "REQUESTER", 60), "", "", "", "", "XX", billing.npi],
        ["HL", "3", "2", "22", "1"],
        ["NM1", "IL", "1", _clean(patient.key, 60), "", "", "", "", "MI", _clean(patient.member_id or patient.key, 80)],
    ]
    if patient.birth_date:
        segments.append(["DMG", "D8", _d8(patient.birth_date), patient.sex or "U"])
    segments += event
    for n, line in enumerate(claim.lines, start=5):
        segments.append(["HL", str(n), "4", "SS", "0"])
        segments += _service(line, claim, trace, originator)
    return segments


def build_278_request(
    claim: Claim,
    *,
    created: dt.datetime,
    sender: str = "PRECLAIM",
    receiver: str | None = None,
    control_number: int = 1,
    originator: str = "9PRECLAIM0",
) -> str:
    """The 278 request interchange (ISA..IEA) as text, one segment per line."""
    if not claim.lines:
        raise InputError("a 278 request needs at least one service line", where=f"claim {claim.id}")
    trace = _clean(f"{claim.id}", 50)
    body = _segments(claim, trace, originator, created)
    control = f"{control_number:09d}"
    receiver_id = _clean(receiver or claim.payer.id, 15)
    isa = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        f"{_clean(sender, 15):<15}",
        "ZZ",
        f"{receiver_id:<15}",
        created.strftime("%y%m%d"),
        created.strftime("%H%M"),
        "^",
        "00501",
        control,
        "0",
        "P",
        ":",
    ]
    gs = [
        "GS",
        "HI",
        _clean(sender, 15),
        receiver_id,
        _d8(created.date()),
        created.strftime("%H%M"),
        str(control_number),
        "X",
        VERSION,
    ]
    st = ["ST", "278", "0001", VERSION]
    se = ["SE", str(len(body) + 2), "0001"]
    segments = [isa, gs, st, *body, se, ["GE", "1", str(control_number)], ["IEA", "1", control]]
    return "".join("*".join(seg) + "~\n" for seg in segments)
