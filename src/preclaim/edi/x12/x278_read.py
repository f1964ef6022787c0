"""Read an X12 278 response (005010X217, BHT02 = 11): the payer's decision per requested service.

Per HL*EV (patient event) and HL*SS (service): HCR01 review action (X12 306: A1, A2, A3, A4, A6, C, CT, NA),
HCR02 the certification number (it goes into 837 REF*G1; REF*BB carries it too), HCR03 the reason,
DTP*AAH the certified dates (D8 or RD8), SV1 the service and units. A service without its own HCR
inherits the event's decision. AAA segments (request rejected) become an X12Error naming the segment.
the X12 005010X217 implementation guide.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import BinaryIO

import msgspec

from preclaim.edi.x12.tokenizer import Segment, tokenize
from preclaim.errors import X12Error

# X12 306 review action -> authorization status on file (same table as fhir.pas_codes.REVIEW_ACTIONS).
STATUS = {
    "A1": "approved",
    "A2": "partial",
    "A3": "denied",
    "A4": "pended",
    "A6": "approved",
    "C": "cancelled",
    "CT": "pended",
    "NA": "approved",
}


class Decision278(msgspec.Struct, frozen=True):
    hl: int  # HL01 of the service (or the event when no service level came back)
    action: str
    status: str
    number: str | None
    start: dt.date | None
    end: dt.date | None
    code: str | None
    quantity: float | None
    patient_key: str | None  # NM1*IL NM109 (member id) as the payer echoed it
    payer_id: str | None  # NM1*X3 NM109
    reason: str | None = None  # HCR03


class _Level(msgspec.Struct):
    hl: int
    kind: str
    action: str | None = None
    number: str | None = None
    reason: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    code: str | None = None
    quantity: float | None = None


def _el(seg: Segment, n: int) -> str | None:
    return seg[n] if len(seg) > n and seg[n] else None


def _dates(seg: Segment, where: str) -> tuple[dt.date, dt.date]:
    qualifier, value = _el(seg, 2), _el(seg, 3) or ""
    try:
        if qualifier == "RD8":
            first, last = value.split("-")
            return dt.datetime.strptime(first, "%Y%m%d").date(), dt.datetime.strptime(last, "%Y%m%d").date()
        day = dt.datetime.strptime(value, "%Y%m%d").date()
        return day, day
    except ValueError:
        raise X12Error(
            "bad date", segment_id="DTP", element=3, found=value, expected="CCYYMMDD or CCYYMMDD-CCYYMMDD", source=where
        ) from None


class _Reader:
    def __init__(self, where: str) -> None:
        self.where = where
        self.levels: list[_Level] = []
        self.parties: dict[str, str | None] = {}
        self.component = ":"

    def feed(self, seg: Segment, number: int) -> None:
        tag = seg[0]
        level = self.levels[-1] if self.levels else None
        if tag == "HL":
            self.levels.append(_Level(int(_el(seg, 1) or 0), _el(seg, 3) or ""))
        elif tag == "AAA" and _el(seg, 1) == "N":
            raise X12Error(
                "the payer rejected the request",
                segment_number=number,
                segment_id="AAA",
                element=3,
                found=_el(seg, 3),
                expected="no AAA rejection",
                source=self.where,
            )
        elif tag == "NM1" and _el(seg, 1) in ("X3", "IL"):
            self.parties[seg[1]] = _el(seg, 9)
        elif level is not None and level.kind in ("EV", "SS"):
            self._service_level(level, seg, number)

    def _service_level(self, level: _Level, seg: Segment, number: int) -> None:
        tag = seg[0]
        if tag == "HCR":
            level.action, level.reason = _el(seg, 1), _el(seg, 3)
            level.number = _el(seg, 2) or level.number
            if level.action not in STATUS:
                raise X12Error(
                    "unknown review action",
                    segment_number=number,
                    segment_id="HCR",
                    element=1,
                    found=level.action,
                    expected=", ".join(STATUS),
                    source=self.where,
                )
        elif tag == "REF" and _el(seg, 1) == "BB":
            level.number = level.number or _el(seg, 2)
        elif tag == "DTP" and _el(seg, 1) == "AAH":
            level.start, level.end = _dates(seg, f"{self.where} segment {number}")
        elif tag == "SV1":
            parts = (_el(seg, 1) or "").split(self.component)
            level.code = parts[1] if len(parts) > 1 else None
            units = _el(seg, 4)
            level.quantity = float(units) if units and units.replace(".", "", 1).isdigit() else None

    def decisions(self) -> list[Decision278]:
        event: _Level | None = None
        found = []
        for level in self.levels:
            if level.kind == "EV":
                event = level
            elif level.kind == "SS":
                found.append(self._decision(level, event))
        if not found and event is not None and event.action:
            found.append(self._decision(event, None))
        return found

    def _decision(self, level: _Level, event: _Level | None) -> Decision278:
        source = level if level.action else event
        if source is None or source.action is None:
            raise X12Error(
                f"no HCR decision for HL {level.hl}",
                segment_id="HCR",
                expected="HCR in 2000E or 2000F",
                source=self.where,
            )
        start = level.start or (event.start if event else None)
        end = level.end or (event.end if event else None)
        return Decision278(
            hl=level.hl,
            action=source.action,
            status=STATUS[source.action],
            number=source.number,
            start=start,
            end=end,
            code=level.code,
            quantity=level.quantity,
            patient_key=self.parties.get("IL"),
            payer_id=self.parties.get("X3"),
            reason=source.reason,
        )


def read_278_response(source: str | Path | BinaryIO) -> list[Decision278]:
    """Every service decision in a 278 response file; X12Error naming the place when it cannot be read."""
    where = str(source) if isinstance(source, str | Path) else getattr(source, "name", "<stream>")
    reader = _Reader(where)
    seen_response = False
    for number, seg in enumerate(tokenize(source), start=1):
        if seg[0] == "ISA":
            reader.component = seg[16][:1] if len(seg) > 16 and seg[16] else ":"
        if seg[0] == "ST" and _el(seg, 1) != "278":
            raise X12Error(
                "not a 278",
                segment_number=number,
                segment_id="ST",
                element=1,
                found=_el(seg, 1),
                expected="278",
                source=where,
            )
        if seg[0] == "BHT":
            seen_response = _el(seg, 2) == "11"
            if not seen_response:
                raise X12Error(
                    "not a 278 response",
                    segment_number=number,
                    segment_id="BHT",
                    element=2,
                    found=_el(seg, 2),
                    expected="11 (response)",
                    source=where,
                )
        reader.feed(seg, number)
    decisions = reader.decisions()
    if not decisions:
        raise X12Error("no decision (HCR) in the 278 response", segment_id="HCR", source=where)
    return decisions
