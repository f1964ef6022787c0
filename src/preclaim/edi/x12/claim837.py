"""Loop 2300 (claim) and 2400/2410 (service lines, drug identification) to a domain Claim, in one pass.

This is the hot path of `preclaim check` on big files, so it trades a little elegance for speed: flat
locals instead of per-line objects, cached values (dates, amounts, NDCs, pointers, SV1 facts) looked up
inline. `claim_services` is the light version for the first pass of a check: it runs the same checks
(the same helpers) and keeps only what the in-file history needs, so a claim is rejected by both or
by neither.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from decimal import Decimal
from typing import Any, Final

from preclaim.domain.claim import Claim, Diagnosis, Patient, Payer, ServiceLine
from preclaim.domain.limits import (
    IDENTIFIER,
    MAX_QUANTITY,
    MODIFIER,
    NDC_CODE,
    PLACE_OF_SERVICE,
    PROCEDURE_CODE,
    SHORT_CODE,
    TEXT,
    Bound,
    out_of_bounds,
    preview,
)
from preclaim.edi.x12.build837 import (
    AMOUNTS,
    CACHE_LIMIT,
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

_NO_LINE: Final = -1
# Bounds as plain ints: the hot path compares a length and calls _check only when it is out of bounds.
_ID: Final = IDENTIFIER.most
_TEXT: Final = TEXT.most
_SHORT: Final = SHORT_CODE.most
_NDC: Final = NDC_CODE.most
_SV1_CACHE_LIMIT: Final = 4096  # distinct SV1 segments of a batch are few (codes x charges x units x pointers)

# What the in-file history keeps of a service line: (date of service, procedure code, units)
Service = tuple[dt.date, str, float]
# (claim id, CLM05-3 frequency code, services, REF*F8 payer claim control number of the original or None)
ClaimServices = tuple[str, str, list[Service], str | None]
# Everything an SV1 says that does not depend on where it stands: (code, units, modifiers, charge,
# pointers, SV105 place of service or None, SV101-7 description, SV101-1 qualifier, SV103 unit basis)
# Units are typed Any (a float): compiled (mypyc), a `float` is unboxed and every line would get a new float
# object when its ServiceLine is made, which the in-file history then keeps (about 5 MB per 100,000 claims);
# as Any the cached object itself is shared, as in Python.
_Sv1Facts = tuple[str, Any, tuple[str, ...], Decimal | None, tuple[int, ...], str | None, str | None, str, str]
# Per line while scanning: [lx index, sv1 index, dates, lin, ctp, rx number, line prior auth]
_Line = list[object]
_Dates = tuple[dt.date, dt.date | None]
# An SV1's text -> (its facts, the text as first seen): that text object stands for the facts by identity.
_Known = tuple[_Sv1Facts, tuple[str, ...]]
_sv1_facts: Final[dict[str, dict[tuple[str, ...], _Known]]] = {}
_D8: Final[dict[str, _Dates]] = {}  # DTP03 text -> (date, None), so a line's dates are one lookup
# Service lines already built, by everything they hold: a clinic's day repeats the same lines (same codes, date,
# charge, NDC) claim after claim, and one shared object is built, kept and parked once (issue 14, 2,000
# claims: pickling a claim 42,900 -> 28,500 instructions, 179 -> 123 bytes).
# Keyed by the ids of the SV1's first-seen text and of the cached NDC (hashing and comparing them would cost
# more; and equal facts are not enough: a charge of 25.0 equals one of 25.00 but is written otherwise). The entry
# holds both objects, so that no other object can take their ids while it lives.
_LineKey = tuple[int, int, _Dates, int, str | None, object, object]
_lines: Final[dict[_LineKey, tuple[object, object, ServiceLine]]] = {}
_LINE_CACHE_LIMIT: Final = 8192
# A claim's tuple of lines and of diagnoses shared with every claim that has the same ones (by identity: the lines
# and diagnoses are shared objects already), and its place of service interned: a claim held in memory until it
# is checked is about 150 bytes smaller (issue 14). The entry holds the tuple and so its items: no other object
# can take their ids while it lives.
_tuples: Final[dict[tuple[int, ...], tuple[Any, ...]]] = {}


def build_claim(
    segs: list[Segment],
    comp: str,
    billing: BillingInfo,
    subscriber: SubscriberInfo,
    patient: Patient,
    submitted_on: dt.date | None,
) -> Claim:
    clm, pos, frequency = _clm(segs, comp)
    dx, notes, k3, (prior_auth, original), claim_dates, rendering, lines = _scan(segs, comp)
    payer, charge = _claim_checks(segs, clm, lines, subscriber)
    facts = _facts_cache(comp)
    service_lines = []
    for line in lines:
        number, sv1, when, text = _line(segs, line, comp, claim_dates, facts)
        code, units, modifiers, line_charge, ptrs, line_pos, description, qualifier, basis = sv1
        lin = line[3]
        ndc = ndc_of(lin, line[4], comp) if lin is not None else None  # type: ignore[arg-type]
        own_pos = line_pos if line_pos != pos else None
        key = (number, id(text), when, id(ndc), own_pos, line[6], line[5])
        hit = _lines.get(key)
        if hit is not None:
            service = hit[2]
        else:
            service = ServiceLine(
                number,
                code,
                units,
                when[0],
                modifiers,
                line_charge,
                when[1],
                ptrs,
                ndc,
                own_pos,
                description,
                qualifier,
                basis,
                line[6],  # type: ignore[arg-type]
                line[5],  # type: ignore[arg-type]
            )
            if len(_lines) >= _LINE_CACHE_LIMIT:
                _lines.clear()
            _lines[key] = (text, ndc, service)
        service_lines.append(service)
    return Claim(
        clm[1],
        payer,
        patient,
        sys.intern(pos),
        _shared_tuple(service_lines),
        _shared_tuple(dx),
        subscriber.plan,
        subscriber.filing_indicator,
        billing.provider,
        rendering_provider(*rendering) if rendering is not None else None,
        prior_auth,
        frequency,
        charge,
        submitted_on,
        tuple(notes),
        tuple(k3),
        None,
        original,
    )


def _shared_tuple(items: list[Any]) -> tuple[Any, ...]:
    key = tuple([id(item) for item in items])
    found = _tuples.get(key)
    if found is None:
        if len(_tuples) >= _LINE_CACHE_LIMIT:
            _tuples.clear()
        found = _tuples[key] = tuple(items)
    return found


def claim_services(segs: list[Segment], comp: str, subscriber: SubscriberInfo) -> ClaimServices:
    """Claim id, frequency code, (date, code, units) per line and the REF*F8 number; raises Malformed where
    build_claim does."""
    clm, _pos, frequency = _clm(segs, comp)
    scan = _scan(segs, comp)
    claim_dates, lines = scan[4], scan[6]
    _claim_checks(segs, clm, lines, subscriber)
    facts = _facts_cache(comp)
    services: list[Service] = []
    for line in lines:
        _number, sv1, when, _text = _line(segs, line, comp, claim_dates, facts)
        services.append((when[0], sv1[0], sv1[1]))
    return clm[1], frequency, services, scan[3][1]


def _clm(segs: list[Segment], comp: str) -> tuple[Segment, str, str]:
    """CLM, its place of service and CLM05-3 frequency code (1 when absent)."""
    clm = segs[0]
    if len(clm) < 6 or not clm[1]:
        raise Malformed("CLM needs a claim id, charge and place of service", 0, 1, preview("*".join(clm)), "CLM01-05")
    pos, _, rest = clm[5].partition(comp)
    if not pos:
        raise Malformed("place of service missing", 0, 5, preview(clm[5]), "CLM05 as POS:B:frequency")
    if len(pos) != 2 or len(clm[1]) > _ID:
        _check(clm[1], IDENTIFIER, 0, 1, "claim id")
        _check(pos, PLACE_OF_SERVICE, 0, 5, "place of service")
    return clm, pos, rest.rpartition(comp)[2] or "1"


def _check(value: str, bound: Bound, index: int, element: int, what: str) -> None:
    """Malformed when `value` is out of `bound` (a 300 KB code or id is refused before any rule sees it)."""
    if problem := out_of_bounds(value, bound):
        raise Malformed(f"invalid {what}", index, element, preview(value), problem)


_Refs = tuple[str | None, str | None]  # 2300 REF*G1 prior authorization, REF*F8 payer claim control number


def _scan(
    segs: list[Segment], comp: str
) -> tuple[list[Diagnosis], list[str], list[str], _Refs, _Dates | None, list[str | None] | None, list[_Line]]:
    """One pass over the claim's segments: (dx, notes, k3, (prior auth, F8), claim dates, rendering, lines)."""
    dx: list[Diagnosis] = []
    notes: list[str] = []
    k3: list[str] = []
    prior_auth = original = None
    claim_dates: _Dates | None = None
    rendering: list[str | None] | None = None  # [npi, taxonomy] of 2310B
    lines: list[_Line] = []
    line: _Line | None = None
    for index in range(1, len(segs)):  # after the CLM; a native loop (enumerate is a C iterator called per item)
        seg = segs[index]
        tag = seg[0]
        if line is not None:
            if tag == "SV1":
                line[1] = index
            elif tag == "DTP":
                if len(seg) > 3 and seg[1] == "472":
                    line[2] = _D8.get(seg[3]) if seg[2] == "D8" else None
                    if line[2] is None:
                        line[2] = _dates_of(seg, index)
            elif tag == "LIN":
                if len(seg) > 3 and len(seg[3]) > _NDC:
                    _check(seg[3], NDC_CODE, index, 3, "NDC")
                line[3] = seg
            elif tag == "CTP":
                if len(seg) > 5 and len(seg[5]) > _SHORT:
                    _check(seg[5].split(comp, 1)[0], SHORT_CODE, index, 5, "NDC unit")
                line[4] = seg
            elif tag == "REF" and len(seg) > 2:
                if len(seg[2]) > _ID:
                    _check(seg[2], IDENTIFIER, index, 2, "reference")
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
        elif tag == "REF" and len(seg) > 2:
            if seg[1] in ("G1", "F8") and len(seg[2]) > _ID:
                _check(seg[2], IDENTIFIER, index, 2, "reference number")
            if seg[1] == "G1":
                prior_auth = seg[2]
            elif seg[1] == "F8":
                original = seg[2] or None
        elif tag == "NM1" and len(seg) > 1 and seg[1] == "82":
            rendering = [seg[9] if len(seg) > 9 and seg[8] == "XX" else None, None]
            if len(seg) > 9 and len(seg[9]) > _ID:
                _check(seg[9], IDENTIFIER, index, 9, "rendering provider id")
        elif tag == "PRV" and rendering is not None and len(seg) > 3:
            if len(seg[3]) > _ID:
                _check(seg[3], IDENTIFIER, index, 3, "taxonomy")
            rendering[1] = seg[3]
        elif tag == "DTP" and len(seg) > 3 and seg[1] == "472":
            claim_dates = _dates_of(seg, index)
        elif tag == "NTE" and len(seg) > 2:
            if len(seg[2]) > _TEXT:
                _check(seg[2], TEXT, index, 2, "note")
            notes.append(seg[2])
        elif tag == "K3" and len(seg) > 1:
            if len(seg[1]) > _TEXT:
                _check(seg[1], TEXT, index, 1, "K3 text")
            k3.append(seg[1])
    return dx, notes, k3, (prior_auth, original), claim_dates, rendering, lines


def _claim_checks(
    segs: list[Segment], clm: Segment, lines: list[_Line], subscriber: SubscriberInfo
) -> tuple[Payer, Decimal]:
    """The claim-level checks made after the scan; returns the payer and the CLM02 charge."""
    if not lines:
        raise Malformed("claim has no service lines", len(segs) - 1, None, clm[1], "LX and SV1 (loop 2400)")
    payer = subscriber.payer
    if payer is None or not payer.id:
        raise Malformed("payer missing", 0, None, "no NM1*PR with an id", "loop 2010BB NM1*PR NM109")
    return payer, AMOUNTS.get(clm[2]) or parse_amount(clm[2], 0, 2)


def _dates_of(seg: Segment, index: int) -> _Dates:
    if seg[2] == "D8":
        dates = _D8.get(seg[3])
        if dates is None:
            dates = (parse_date(seg[3], index, 3), None)
            if len(_D8) > CACHE_LIMIT:
                _D8.clear()
            _D8[seg[3]] = dates
        return dates
    if seg[2] == "RD8":
        start, sep, end = seg[3].partition("-")
        if not sep:
            raise Malformed("invalid date range", index, 3, preview(seg[3]), "CCYYMMDD-CCYYMMDD")
        first, last = parse_date(start, index, 3), parse_date(end, index, 3)
        if last < first:
            raise Malformed("date range ends before it starts", index, 3, seg[3], "CCYYMMDD-CCYYMMDD, start first")
        return first, last
    raise Malformed("invalid date qualifier", index, 2, preview(seg[2]), "D8 or RD8")


def _facts_cache(comp: str) -> dict[tuple[str, ...], _Known]:
    """SV1 facts already worked out, per component separator (the same text means another thing elsewhere)."""
    cache = _sv1_facts.get(comp)
    if cache is None or len(cache) > _SV1_CACHE_LIMIT:
        cache = _sv1_facts[comp] = {}
    return cache


def _line(
    segs: list[Segment],
    line: _Line,
    comp: str,
    claim_dates: _Dates | None,
    cache: dict[tuple[str, ...], _Known],
) -> tuple[int, _Sv1Facts, _Dates, tuple[str, ...]]:
    """Check one 2400 loop: (LX01, facts of its SV1, (date, end date), the SV1 text as first seen); Malformed in
    the reader's order."""
    lx_at: int = line[0]  # type: ignore[assignment]
    sv1_at: int = line[1]  # type: ignore[assignment]
    lx = segs[lx_at]
    try:
        number = int(lx[1])
    except (IndexError, ValueError):
        raise Malformed("invalid line number", lx_at, 1, "*".join(lx), "LX*<n>") from None
    if sv1_at == _NO_LINE or len(segs[sv1_at]) < 5:
        raise Malformed("service line without SV1", lx_at, None, f"LX*{number}", "SV1 with 4+ elements")
    sv1 = segs[sv1_at]
    key = tuple(sv1)
    known = cache.get(key)
    when: _Dates | None = line[2] or claim_dates  # type: ignore[assignment]
    if known is None:  # checked in this order: code, units, date, charge, pointers
        parts = sv1[1].split(comp)
        if len(parts) < 2 or not parts[1]:
            raise Malformed("procedure code missing", sv1_at, 1, preview(sv1[1]), "HC:<code>[:modifiers]")
        _sv1_bounds(parts, sv1_at)
        try:
            units = float(sv1[4])
        except ValueError:
            units = math.nan
        if not 0 < units <= MAX_QUANTITY:  # float() also takes nan, inf and 1e400, which no claim bills
            raise Malformed(
                "invalid unit count", sv1_at, 4, preview(sv1[4]), f"a number more than 0, at most {MAX_QUANTITY:,.0f}"
            )
        if when is None:
            raise Malformed("service date missing", lx_at, None, f"LX*{number}", "DTP*472 in loop 2400 or 2300")
        n = len(sv1)
        facts = (
            parts[1],
            units,
            tuple([m for m in parts[2:6] if m]) if len(parts) > 2 else (),
            (AMOUNTS.get(sv1[2]) or parse_amount(sv1[2], sv1_at, 2)) if sv1[2] else None,
            (POINTERS.get((comp, sv1[7])) or pointers(sv1[7], comp, sv1_at)) if n > 7 and sv1[7] else (),
            sv1[5] if n > 5 and sv1[5] else None,
            parts[6] if len(parts) > 6 and parts[6] else None,
            parts[0],
            sv1[3] or "UN",
        )
        cache[key] = (facts, key)  # only an SV1 that passed every check is kept
        return number, facts, when, key
    if when is None:
        raise Malformed("service date missing", lx_at, None, f"LX*{number}", "DTP*472 in loop 2400 or 2300")
    return number, known[0], when, known[1]


def _sv1_bounds(parts: list[str], sv1_at: int) -> None:
    """SV101: the code, its modifiers (SV101-3..6) and description (SV101-7) within their lengths."""
    _check(parts[1], PROCEDURE_CODE, sv1_at, 1, "procedure code")
    for modifier in parts[2:6]:
        if modifier:
            _check(modifier, MODIFIER, sv1_at, 1, "modifier")
    if len(parts) > 6:
        _check(parts[6], TEXT, sv1_at, 1, "description")


__all__ = ["ClaimServices", "Service", "build_claim", "claim_services"]
