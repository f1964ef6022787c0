"""837P (005010X222A1, A2 accepted) reader: one claim at a time out of a stream.

The loop structure is cut on a handful of boundary segments (ISA, GS, ST, HL, CLM, SE, GE, IEA); every
other segment is appended to the loop being collected. A claim is built when the next boundary arrives,
so memory holds one claim plus its parent loops. A claim that cannot be read becomes a RejectedClaim
(with segment number, element, found and expected) and reading goes on with the next one.

`scan_services` is the same walk for the first pass of a check: instead of building each claim it keeps
what the in-file history needs, through the same checks, so both reject the same claims.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Final, TypeVar, cast

from preclaim.domain.claim import Claim, Patient
from preclaim.edi.x12.build837 import (
    SERVICE_SEGMENTS,
    BillingInfo,
    Malformed,
    SubscriberInfo,
    billing_info,
    parse_date,
    patient_of,
    stray_service_segment,
    subscriber_info,
)
from preclaim.edi.x12.claim837 import ClaimServices, build_claim, claim_services
from preclaim.edi.x12.envelope import EnvelopeChecker
from preclaim.edi.x12.loops import ClaimItem, Loop, ParsedClaim, RejectedClaim, Transaction
from preclaim.edi.x12.tokenizer import CHUNK_SIZE, Resume, Segment, SharedSegments, Tokenizer, open_source
from preclaim.errors import X12Error

VERSIONS_837P: Final = frozenset({"005010X222A1", "005010X222A2"})
_BOUNDARY: Final = frozenset({"CLM", "HL", "SE", "ST", "GS", "GE", "IEA", "ISA"})
T = TypeVar("T")
# What the first pass of a check keeps of a claim: (patient key, payer id, (claim id, CLM05-3, services))
PatientServices = tuple[str, str, ClaimServices]
_LEVELS: Final = {"20": "billing provider (2000A)", "22": "subscriber (2000B)", "23": "patient (2000C)"}


def read_837(
    source: str | Path | BinaryIO,
    *,
    chunk_size: int = CHUNK_SIZE,
    resume: Resume | None = None,
    ends: bool = True,
    envelope: EnvelopeChecker | None = None,
) -> Iterator[ClaimItem]:
    """Claims of an 837P file, path or binary stream ('-' = stdin), in file order.

    `resume`, `ends` and `envelope` read one part of a file (see Tokenizer), as a parallel check does."""
    yield from _walk(source, chunk_size, lambda reader: reader.finish, resume, ends, envelope)


def iter_claims(source: str | Path | BinaryIO) -> Iterator[Claim | RejectedClaim]:
    """Domain claims (or rejections) of an 837P, without the raw loops."""
    for item in read_837(source):
        yield item.claim if isinstance(item, ParsedClaim) else item


def scan_services(source: str | Path | BinaryIO, *, chunk_size: int = CHUNK_SIZE) -> Iterator[PatientServices | None]:
    """What the in-file history needs of each claim, in file order; None where read_837 rejects the claim.

    The same walk as read_837 (the same X12Error on a broken file, the same claims rejected, by the same
    checks) without building domain Claims: the first pass of a check.
    """
    yield from _walk(source, chunk_size, lambda reader: reader.services)


def _walk(
    source: str | Path | BinaryIO,
    chunk_size: int,
    step: Callable[[_Reader], _Step[T]],
    resume: Resume | None = None,
    ends: bool = True,
    envelope: EnvelopeChecker | None = None,
) -> Iterator[T]:
    """The reader's walk over a file with one step per claim; closes the file it opened."""
    stream, name, owned = open_source(source)
    try:
        tokenizer = Tokenizer(stream, source=name, chunk_size=chunk_size, resume=resume, ends=ends, envelope=envelope)
        reader = _Reader(tokenizer)
        yield from reader.claims(step(reader))
    finally:
        if owned:
            stream.close()


# A claim's segments, the segment number of its CLM, its transaction and parent loops (billing,
# subscriber, patient): what the walk hands to the step that turns it into something.
_Step = Callable[[list[Segment], int, Transaction, Loop, Loop, "Loop | None"], T]


class _Reader:
    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tok = tokenizer
        self.comp = tokenizer.delimiters.component
        self.name = tokenizer.source

    def claims(self, step: _Step[T]) -> Iterator[T]:
        """Cut the stream into claims and their parent loops, checking envelope and loop structure."""
        tok = self.tok
        isa, gs = (tok.resume.isa, tok.resume.gs) if tok.resume is not None else (tok.isa, tok.isa)
        txn: Transaction | None = None
        billing: Loop | None = None
        subscriber: Loop | None = None
        patient: Loop | None = None
        claim: list[Segment] | None = None
        claim_at = 0
        current: list[Segment] = []
        # Per segment id: 0 = validated, nothing to do (the fast path); 1 = boundary; an id not seen yet reads 2.
        stop: dict[str, int] = dict.fromkeys(_BOUNDARY, 1)
        envelope = tok.envelope
        checked = envelope.known  # ids the envelope checker has validated (HL and CLM too, never ISA..IEA)
        check = envelope.check
        # Boundaries are split anew every time, so each is a fresh segment; any other segment that is not fresh
        # repeats a segment this walk has looked at already (its id validated then).
        shared = SharedSegments(never_kept=_BOUNDARY)
        for base, batch in tok.batches(checked=False, shared=shared):
            taken = 0  # segments of the batch before this one are in a loop already
            # Only boundaries and new ids stop the walk (an id validated at one stop passes for the rest of the
            # batch); the segments in between join `current` as a slice.
            for offset in shared.fresh:
                seg = batch[offset]
                tag = seg[0]
                if stop.get(tag, 2) == 0:
                    continue
                number = base + offset
                if number > 1 and (tag not in checked or envelope.state != "st"):
                    check(seg, number)  # inside a set, a validated id has nothing left to check
                if tag not in _BOUNDARY:
                    stop[tag] = 0
                    continue
                current.extend(batch[taken:offset])
                taken = offset + 1
                if claim is not None:
                    assert txn is not None and billing is not None and subscriber is not None
                    yield step(claim, claim_at, txn, billing, subscriber, patient)
                    claim = None
                if tag == "CLM":
                    if txn is None or billing is None or subscriber is None:
                        raise self._error("CLM outside a subscriber loop", number, "CLM", "HL*..*22 before it")
                    claim = current = [seg]
                    claim_at = number
                elif tag == "HL":
                    loop = Loop([seg], number)
                    current = loop.segments
                    level = seg[3] if len(seg) > 3 else ""
                    if level == "20":
                        billing, subscriber, patient = loop, None, None
                    elif level == "22" and billing is not None:
                        if seg[2] != billing.segments[0][1]:  # HL02 names its parent (HL01 of the 2000A)
                            self._check_parent(seg, billing, number)
                        subscriber, patient = loop, None
                    elif level == "23" and subscriber is not None:
                        if seg[2] != subscriber.segments[0][1]:
                            self._check_parent(seg, subscriber, number)
                        patient = loop
                    else:
                        raise self._error("HL level out of place", number, "HL", "20, then 22, then 23", 3)
                elif tag == "ST":
                    self._check_set(seg, gs, number)
                    txn = Transaction(tok.delimiters, isa, gs, [seg], tok.line_ending or "", self.name, number=number)
                    current = txn.header
                    billing = subscriber = patient = None
                elif tag == "GS":
                    gs = seg
                elif tag == "ISA":
                    isa = seg
                elif tag == "SE":
                    current = []
            current.extend(batch[taken:])

    def services(
        self,
        segs: list[Segment],
        number: int,
        txn: Transaction,
        billing: Loop,
        subscriber: Loop,
        patient: Loop | None,
    ) -> PatientServices | None:
        """The light step: (patient key, payer id, claim services), or None for a claim `finish` rejects.

        It runs every check `finish` runs that can reject a claim.
        """
        try:
            if billing.info is None:  # what finish checks of the parents (each once per loop)
                billing.info = billing_info(billing)
            if txn.info is None:
                _submitted_on(txn)
            sub, person = self._parties(subscriber, patient)
            services = claim_services(segs, self.comp, sub)
        except Malformed:
            return None
        assert sub.payer is not None  # claim_services rejects a claim without one
        return person.key, sub.payer.id, services

    def _parties(self, subscriber: Loop, patient: Loop | None) -> tuple[SubscriberInfo, Patient]:
        """The subscriber loop's facts and the claim's patient (the dependent when there is a 2000C)."""
        if subscriber.info is None:
            subscriber.info = subscriber_info(subscriber)
        sub = cast(SubscriberInfo, subscriber.info)
        if patient is None:
            return sub, sub.patient
        if patient.info is None:
            patient.info = patient_of(patient, sub)
        return sub, cast(Patient, patient.info)

    def finish(
        self,
        segs: list[Segment],
        number: int,
        txn: Transaction,
        billing: Loop,
        subscriber: Loop,
        patient: Loop | None,
    ) -> ClaimItem:
        try:
            if billing.info is None:
                billing.info = billing_info(billing)
            submitted_on = _submitted_on(txn)
            sub, person = self._parties(subscriber, patient)
            claim = build_claim(segs, self.comp, cast(BillingInfo, billing.info), sub, person, submitted_on)
        except Malformed as bad:
            err = X12Error(
                bad.message,
                segment_number=bad.at[0] if bad.at else number + bad.index,
                segment_id=bad.at[1] if bad.at else segs[bad.index][0],
                element=bad.element,
                found=bad.found,
                expected=bad.expected,
                source=self.name,
            )
            claim_id = segs[0][1] if len(segs[0]) > 1 and segs[0][1] else None
            return RejectedClaim(claim_id, err, segs, number, txn, billing, subscriber, patient)
        return ParsedClaim(claim, segs, number, txn, billing, subscriber, patient)

    def _check_parent(self, hl: Segment, parent: Loop, number: int) -> None:
        """HL02 must name the HL the loop belongs to; an HL whose parent is missing cannot be placed."""
        want = parent.segments[0][1] if len(parent.segments[0]) > 1 else ""
        found = hl[2] if len(hl) > 2 else ""
        if found != want or not want:
            level = _LEVELS.get(parent.level, "parent")
            raise self._error("HL parent missing", number, "HL", f"HL02 = {want!r}, the {level} HL before it", 2, found)

    def _check_set(self, st: Segment, gs: Segment, number: int) -> None:
        if st[1:2] != ["837"]:
            raise self._error("not an 837 transaction set", number, "ST", "837", 1, st[1] if len(st) > 1 else "")
        version = gs[8] if len(gs) > 8 else ""
        if gs[0] != "GS" or version not in VERSIONS_837P:
            raise X12Error(
                "not an 837P (professional) group",
                segment_number=number,
                segment_id="GS",
                element=8,
                found=version,
                expected=" or ".join(sorted(VERSIONS_837P)),
                source=self.name,
            )

    def _error(
        self, message: str, number: int, tag: str, expected: str, element: int | None = None, found: object = None
    ) -> X12Error:
        return X12Error(
            message,
            segment_number=number,
            segment_id=tag,
            element=element,
            found=tag if found is None else str(found),
            expected=expected,
            source=self.name,
        )


def _submitted_on(txn: Transaction) -> dt.date | None:
    if txn.info is None:
        day: dt.date | str = ""
        for i, seg in enumerate(txn.header):
            if seg[0] == "BHT" and len(seg) > 4:
                try:
                    day = parse_date(seg[4])
                except Malformed:
                    day = ""
            elif seg[0] in SERVICE_SEGMENTS:  # before the first HL: no claim owns it
                raise stray_service_segment(txn.number + i, seg[0])
        txn.info = day
    return txn.info if isinstance(txn.info, dt.date) else None
