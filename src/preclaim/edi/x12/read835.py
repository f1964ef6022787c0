"""835 (005010X221A1) reader: one Remittance per ST..SE, plus the raw segments for a byte-faithful write.

Values that break the guide (an amount that is not a number, a composite whose qualifier is not one the
835 allows, often a sign of a wrong component separator in ISA16) stop reading with an X12Error that names
the segment, element, what was found and what was expected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO

from preclaim.domain.limits import (
    IDENTIFIER,
    MODIFIER,
    PROCEDURE_CODE,
    TEXT,
    Bound,
    amount_problem,
    out_of_bounds,
    preview,
)
from preclaim.edi.x12.remit import (
    Adjustment,
    ClaimPayment,
    Party,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from preclaim.edi.x12.tokenizer import Delimiters, Segment, Tokenizer, open_source
from preclaim.errors import X12Error

VERSIONS_835 = frozenset({"005010X221A1", "005010X221"})
# SVC01-1 product/service id qualifiers allowed in 005010X221A1.
SVC_QUALIFIERS = frozenset({"AD", "ER", "HC", "HP", "IV", "N4", "N6", "NU", "UI", "WK"})


@dataclass(slots=True, eq=False)
class ParsedRemittance:
    remittance: Remittance
    segments: list[Segment]  # ST..SE
    isa: Segment
    gs: Segment
    delimiters: Delimiters
    line_ending: str


@dataclass(slots=True)
class _Fields:
    """Mutable gatherer for one struct under construction."""

    values: dict[str, object] = field(default_factory=dict)
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    children: list[object] = field(default_factory=list)


def read_835(source: str | Path | BinaryIO) -> Iterator[ParsedRemittance]:
    stream, name, owned = open_source(source)
    try:
        tok = Tokenizer(stream, source=name)
        isa, gs = tok.isa, tok.isa
        current: list[Segment] | None = None
        start = 0
        for base, batch in tok.batches():
            for offset, seg in enumerate(batch):
                tag = seg[0]
                if current is not None:
                    current.append(seg)
                    if tag == "SE":
                        parser = _Parser(tok.delimiters.component, name, start)
                        remittance = parser.parse(current)
                        yield ParsedRemittance(remittance, current, isa, gs, tok.delimiters, tok.line_ending)
                        current = None
                elif tag == "ST":
                    _check_set(seg, gs, base + offset, name)
                    current, start = [seg], base + offset
                elif tag == "GS":
                    gs = seg
                elif tag == "ISA":
                    isa = seg
    finally:
        if owned:
            stream.close()


def iter_remittances(source: str | Path | BinaryIO) -> Iterator[Remittance]:
    for parsed in read_835(source):
        yield parsed.remittance


def _check_set(st: Segment, gs: Segment, number: int, name: str) -> None:
    if st[1:2] != ["835"]:
        found = st[1] if len(st) > 1 else ""
        raise X12Error(
            "not an 835 transaction set",
            segment_number=number,
            segment_id="ST",
            element=1,
            found=found,
            expected="835",
            source=name,
        )
    version = gs[8] if len(gs) > 8 else ""
    if version not in VERSIONS_835:
        raise X12Error(
            "not an 835 (remittance) group",
            segment_number=number,
            segment_id="GS",
            element=8,
            found=version,
            expected="005010X221A1",
            source=name,
        )


class _Parser:
    def __init__(self, comp: str, source: str, start: int) -> None:
        self.comp = comp
        self.source = source
        self.start = start
        self.number = start
        self.seg: Segment = []
        self.warnings: list[str] = []

    def parse(self, segments: list[Segment]) -> Remittance:
        head = _Fields({"control_number": segments[0][2] if len(segments[0]) > 2 else ""})
        party: str | None = None
        claim: _Fields | None = None
        service: _Fields | None = None
        for index, seg in enumerate(segments):
            self.number, self.seg = self.start + index, seg
            tag = seg[0]
            if max(map(len, seg)) > TEXT.most:  # no 835 element is this long: refuse it before any lookup
                self._bounds(TEXT)
            if tag == "CLP":
                service, claim = None, self._clp()
                head.children.append(claim)
            elif tag == "SVC" and claim is not None:
                service = self._svc()
                claim.children.append(service)
            elif tag == "CAS" and claim is not None:
                (service or claim).adjustments.extend(self._cas())
            elif tag == "DTM":
                self._dtm(head, claim, service)
            elif tag == "LQ" and service is not None and self._get(1) == "HE":
                self._bounds(IDENTIFIER, 2)
                service.remarks.append(self._get(2) or "")
            elif tag == "REF" and service is not None and self._get(1) == "6R":
                service.values["line_control"] = self._get(2)
            elif tag == "AMT" and service is not None and self._get(1) == "B6":
                service.values["allowed"] = self._amount(2)
            elif tag in ("MOA", "MIA") and claim is not None:
                claim.remarks.extend(_remark_codes(seg))
            elif tag == "NM1" and claim is not None and self._get(1) == "QC":
                claim.values["member_id"] = self._get(9)
            elif tag == "N1" and claim is None:
                party = self._get(1)
                head.values["payer" if party == "PR" else "payee"] = Party(self._get(2), self._get(3), self._get(4))
            elif tag == "BPR":
                head.values.update(
                    handling=self._get(1) or "",
                    total_paid=self._amount(2),
                    credit_debit=self._get(3),
                    method=self._get(4),
                    payment_date=self._date(16),
                )
            elif tag == "TRN":
                head.values.update(trace_number=self._get(2), originator=self._get(3))
            elif tag == "PLB":
                head.adjustments.extend(self._plb())  # type: ignore[arg-type]
        return self._remittance(head)

    def _clp(self) -> _Fields:
        self._bounds(IDENTIFIER, 1, 7)
        return _Fields({
            "claim_id": self._required(1), "status": self._required(2), "charge": self._amount(3),
            "paid": self._amount(4), "patient_responsibility": self._maybe_amount(5),
            "filing_indicator": self._get(6), "payer_claim_number": self._get(7),
            "facility_code": self._get(8), "frequency_code": self._get(9),
        })  # fmt: skip

    def _svc(self) -> _Fields:
        composite = self._required(1)
        parts = composite.split(self.comp)
        if parts[0] not in SVC_QUALIFIERS or len(parts) < 2:
            hint = next((c for c in ">:^|\\!" if c in composite and c != self.comp), None)
            expected = f"qualifier{self.comp}code with a qualifier in {', '.join(sorted(SVC_QUALIFIERS))}"
            if hint:
                expected += f" (the element uses {hint!r}; ISA16 declares {self.comp!r} as component separator)"
            self._fail("invalid product/service composite", 1, preview(composite), expected)
        self._component(parts[1], PROCEDURE_CODE if parts[0] == "HC" else IDENTIFIER, "code")
        for modifier in parts[2:6]:
            if modifier:
                self._component(modifier, MODIFIER, "modifier")
        return _Fields({
            "qualifier": parts[0], "code": parts[1], "modifiers": tuple(m for m in parts[2:6] if m),
            "description": parts[6] if len(parts) > 6 and parts[6] else None,
            "charge": self._amount(2), "paid": self._amount(3), "revenue_code": self._get(4),
            "units": self._maybe_amount(5), "original": self._get(6),
            "original_units": self._maybe_amount(7),
        })  # fmt: skip

    def _cas(self) -> list[Adjustment]:
        self._bounds(IDENTIFIER, *range(1, len(self.seg), 3), *range(2, len(self.seg), 3))
        group = self._required(1)
        found = []
        for position in range(2, min(len(self.seg), 20), 3):
            if self._get(position):
                found.append(
                    Adjustment(group, self.seg[position], self._amount(position + 1),
                               self._maybe_amount(position + 2))
                )  # fmt: skip
        return found

    def _plb(self) -> list[ProviderAdjustment]:
        provider, period = self._get(1) or "", self._date(2)
        found = []
        for position in range(3, len(self.seg), 2):
            if self._get(position):
                reason, _, reference = self.seg[position].partition(self.comp)
                found.append(
                    ProviderAdjustment(provider, period, reason, reference or None, self._amount(position + 1))
                )
        return found

    def _dtm(self, head: _Fields, claim: _Fields | None, service: _Fields | None) -> None:
        qualifier = self._get(1)
        if service is not None:
            key = {"472": "service_date", "150": "start", "151": "end"}.get(qualifier or "")
            target = service
        elif claim is not None:
            key = {"232": "statement_start", "233": "statement_end"}.get(qualifier or "")
            target = claim
        else:
            key, target = ("production_date" if qualifier == "405" else None), head
        if key:
            target.values[key] = self._date(2)

    def _remittance(self, head: _Fields) -> Remittance:
        claims = []
        for claim in head.children:
            assert isinstance(claim, _Fields)
            services = tuple(
                ServicePayment(**s.values, adjustments=tuple(s.adjustments), remarks=tuple(s.remarks))  # type: ignore[arg-type]
                for s in claim.children
                if isinstance(s, _Fields)
            )
            claims.append(ClaimPayment(**claim.values, adjustments=tuple(claim.adjustments),  # type: ignore[arg-type]
                                       services=services, remarks=tuple(claim.remarks)))  # fmt: skip
        if "total_paid" not in head.values:
            raise X12Error("BPR missing", segment_number=self.start + 1, segment_id="BPR", found="no BPR",
                           expected="BPR right after ST", source=self.source)  # fmt: skip
        plb = tuple(a for a in head.adjustments if isinstance(a, ProviderAdjustment))
        fields = {**head.values, "claims": tuple(claims), "provider_adjustments": plb, "warnings": tuple(self.warnings)}
        return Remittance(**fields)  # type: ignore[arg-type]

    def _get(self, position: int) -> str | None:
        seg = self.seg
        return seg[position] if len(seg) > position and seg[position] else None

    def _required(self, position: int) -> str:
        value = self._get(position)
        if value is None:
            self._fail("required element missing", position, "nothing", "a value")
        return value  # type: ignore[return-value]

    def _amount(self, position: int) -> Decimal:
        amount = self._maybe_amount(position)
        if amount is None:
            self._fail("required amount missing", position, "nothing", "a decimal number")
        return amount  # type: ignore[return-value]

    def _maybe_amount(self, position: int) -> Decimal | None:
        value = self._get(position)
        if value is None:
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = Decimal("NaN")
        problem = amount_problem(amount)
        if problem is not None:  # 1E999999999 would overflow the sums of the denial report
            self._fail(f"invalid amount ({problem})", position, preview(value), "a decimal number")
        return amount

    def _date(self, position: int) -> dt.date | None:
        value = self._get(position)
        if value is None:
            return None
        try:
            if len(value) != 8 or not value.isdigit():
                raise ValueError
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            # Dates do not change what was paid or denied: keep reading, say what was ignored.
            where = f"segment {self.number} {self.seg[0]}{position:02d}"
            self.warnings.append(f"{where}: invalid date {value!r} ignored (expected CCYYMMDD)")
        return None

    def _bounds(self, bound: Bound, *positions: int) -> None:
        """Refuse an element (of `positions`, else any) longer or shorter than `bound` allows."""
        seg = self.seg
        for position in positions or range(1, len(seg)):
            value = seg[position] if position < len(seg) else ""
            if value and (problem := out_of_bounds(value, bound)):
                self._fail("element out of bounds", position, preview(value), problem)

    def _component(self, value: str, bound: Bound, what: str) -> None:
        if problem := out_of_bounds(value, bound):
            self._fail(f"invalid {what}", 1, preview(value), problem)

    def _fail(self, message: str, position: int, found: str, expected: str) -> None:
        raise X12Error(message, segment_number=self.number, segment_id=self.seg[0], element=position,
                       found=found, expected=expected, source=self.source)  # fmt: skip


def _remark_codes(seg: Segment) -> list[str]:
    """MOA03-07 and MIA05/MIA20-24 carry remark codes (RARCs); amounts in between are skipped."""
    positions = range(3, 8) if seg[0] == "MOA" else (5, 20, 21, 22, 23, 24)
    return [seg[p] for p in positions if len(seg) > p and seg[p]]
