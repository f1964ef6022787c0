"""Loop 2300 (claim) and 2400/2410 (service lines, drug identification) to a domain Claim, in one pass.

This is the hot path of `preclaim check` on big files, so it trades a little elegance for speed: flat
locals instead of per-line objects, cached values (dates, amounts, NDCs, pointers) looked up inline.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from preclaim.domain.claim import Claim, Diagnosis, Ndc, Patient, ServiceLine
from preclaim.edi.x12.build837 import (
    AMOUNTS,
    DATES,
    POINTERS,
    BillingInfo,
    Malformed,
    SubscriberInfo,
    diagnoses,
    ndc_of,
    parse_amount,
    parse_date,
    pointers,
    rendering_provider,
)
from preclaim.edi.x12.tokenizer import Segment

_NO_LINE = -1


def build_claim(
    segs: list[Segment],
    comp: str,
    billing: BillingInfo,
    subscriber: SubscriberInfo,
    patient: Patient,
    submitted_on: dt.date | None,
) -> Claim:
    clm = segs[0]
    if len(clm) < 6 or not clm[1]:
        raise Malformed("CLM needs a claim id, charge and place of service", 0, 1, "*".join(clm), "CLM01-05")
    pos, _, rest = clm[5].partition(comp)
    if not pos:
        raise Malformed("place of service missing", 0, 5, clm[5], "CLM05 as POS:B:frequency")
    dx: list[Diagnosis] = []
    notes: list[str] = []
    k3: list[str] = []
    prior_auth = None
    claim_dates: tuple[dt.date, dt.date | None] | None = None
    rendering: list[str | None] | None = None  # [npi, taxonomy] of 2310B
    # One list per line: [lx index, sv1 index, dates, lin, ctp, rx number, line prior auth]
    lines: list[list[object]] = []
    line: list[object] | None = None
    for index in range(1, len(segs)):
        seg = segs[index]
        tag = seg[0]
        if line is not None:
            if tag == "SV1":
                line[1] = index
            elif tag == "DTP":
                if len(seg) > 3 and seg[1] == "472":
                    day = DATES.get(seg[3]) if seg[2] == "D8" else None
                    line[2] = (day, None) if day is not None else _dates_of(seg, index)
            elif tag == "LIN":
                line[3] = seg
            elif tag == "CTP":
                line[4] = seg
            elif tag == "REF" and len(seg) > 2:
                if seg[1] == "XZ":
                    line[5] = seg[2]
                elif seg[1] == "G1":
                    line[6] = seg[2]
            elif tag == "LX":
                line = [index, _NO_LINE, None, None, None, None, None]
                lines.append(line)
        elif tag == "LX":
            line = [index, _NO_LINE, None, None, None, None, None]
            lines.append(line)
        elif tag == "HI":
            dx.extend(diagnoses(seg, index, comp))
        elif tag == "REF" and len(seg) > 2 and seg[1] == "G1":
            prior_auth = seg[2]
        elif tag == "NM1" and len(seg) > 1 and seg[1] == "82":
            rendering = [seg[9] if len(seg) > 9 and seg[8] == "XX" else None, None]
        elif tag == "PRV" and rendering is not None and len(seg) > 3:
            rendering[1] = seg[3]
        elif tag == "DTP" and len(seg) > 3 and seg[1] == "472":
            claim_dates = _dates_of(seg, index)
        elif tag == "NTE" and len(seg) > 2:
            notes.append(seg[2])
        elif tag == "K3" and len(seg) > 1:
            k3.append(seg[1])
    if not lines:
        raise Malformed("claim has no service lines", len(segs) - 1, None, clm[1], "LX and SV1 (loop 2400)")
    payer = subscriber.payer
    if payer is None or not payer.id:
        raise Malformed("payer missing", 0, None, "no NM1*PR with an id", "loop 2010BB NM1*PR NM109")
    charge = AMOUNTS.get(clm[2]) or parse_amount(clm[2], 0, 2)
    return Claim(
        clm[1],
        payer,
        patient,
        pos,
        tuple([_service_line(segs, ln, comp, pos, claim_dates) for ln in lines]),
        tuple(dx),
        subscriber.plan,
        subscriber.filing_indicator,
        billing.provider,
        rendering_provider(*rendering) if rendering is not None else None,
        prior_auth,
        rest.rpartition(comp)[2] or "1",  # CLM05-3 frequency code
        charge,
        submitted_on,
        tuple(notes),
        tuple(k3),
    )


def _dates_of(seg: Segment, index: int) -> tuple[dt.date, dt.date | None]:
    if seg[2] == "D8":
        return (DATES.get(seg[3]) or parse_date(seg[3], index, 3)), None
    if seg[2] == "RD8":
        start, sep, end = seg[3].partition("-")
        if not sep:
            raise Malformed("invalid date range", index, 3, seg[3], "CCYYMMDD-CCYYMMDD")
        return parse_date(start, index, 3), parse_date(end, index, 3)
    raise Malformed("invalid date qualifier", index, 2, seg[2], "D8 or RD8")


def _service_line(
    segs: list[Segment],
    line: list[object],
    comp: str,
    claim_pos: str,
    claim_dates: tuple[dt.date, dt.date | None] | None,
) -> ServiceLine:
    lx_at: int
    sv1_at: int
    lx_at, sv1_at, dates, lin, ctp, rx, line_auth = line  # type: ignore[assignment]
    lx = segs[lx_at]
    try:
        number = int(lx[1])
    except (IndexError, ValueError):
        raise Malformed("invalid line number", lx_at, 1, "*".join(lx), "LX*<n>") from None
    if sv1_at == _NO_LINE or len(segs[sv1_at]) < 5:
        raise Malformed("service line without SV1", lx_at, None, f"LX*{number}", "SV1 with 4+ elements")
    sv1 = segs[sv1_at]
    parts = sv1[1].split(comp)
    if len(parts) < 2 or not parts[1]:
        raise Malformed("procedure code missing", sv1_at, 1, sv1[1], "HC:<code>[:modifiers]")
    try:
        units = float(sv1[4])
    except ValueError:
        raise Malformed("invalid unit count", sv1_at, 4, sv1[4], "a number") from None
    when = dates or claim_dates
    if when is None:
        raise Malformed("service date missing", lx_at, None, f"LX*{number}", "DTP*472 in loop 2400 or 2300")
    day: dt.date
    end: dt.date | None
    day, end = when  # type: ignore[misc]
    n = len(sv1)
    ndc: Ndc | None = ndc_of(lin, ctp, comp) if lin is not None else None  # type: ignore[arg-type]
    charge: Decimal | None = (AMOUNTS.get(sv1[2]) or parse_amount(sv1[2], sv1_at, 2)) if sv1[2] else None
    return ServiceLine(
        number,
        parts[1],
        units,
        day,
        tuple([m for m in parts[2:6] if m]) if len(parts) > 2 else (),
        charge,
        end,
        (POINTERS.get((comp, sv1[7])) or pointers(sv1[7], comp, sv1_at)) if n > 7 and sv1[7] else (),
        ndc,
        sv1[5] if n > 5 and sv1[5] and sv1[5] != claim_pos else None,
        parts[6] if len(parts) > 6 and parts[6] else None,
        parts[0],
        sv1[3] or "UN",
        line_auth,  # type: ignore[arg-type]
        rx,  # type: ignore[arg-type]
    )
