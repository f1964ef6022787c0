"""What the 837P reader keeps besides the domain Claim: the raw loops a writer needs to round-trip.

A ParsedClaim shares its Transaction, billing-provider, subscriber and patient loops (by identity) with
the other claims under the same HL parents, so the writer can emit each parent once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from preclaim.domain.claim import Claim
from preclaim.edi.x12.tokenizer import Delimiters, Segment
from preclaim.errors import X12Error


@dataclass(slots=True, eq=False)
class Transaction:
    """One ST..SE set: its interchange and group headers and the segments before the first HL."""

    delimiters: Delimiters
    isa: Segment
    gs: Segment
    header: list[Segment]
    line_ending: str = "\n"
    source: str | None = None
    info: Any = None  # BHT04 submission date, parsed once (Any: mypyc cannot name `object` in a dataclass)
    number: int = 0  # segment number of the ST in the file

    @property
    def version(self) -> str:
        return self.gs[8] if len(self.gs) > 8 else ""


# The classes made once per claim or HL loop write their own __init__ (init=False): compiled (mypyc), the one
# dataclass generates runs as Python through tp_init, about 1,500 instructions a Loop and 2,900 a ParsedClaim.
@dataclass(slots=True, eq=False, init=False)
class Loop:
    """An HL loop (2000A, 2000B or 2000C) with its child segments up to the first CLM or next HL."""

    segments: list[Segment]
    number: int  # segment number of the HL in the file
    info: Any = None  # parsed once, shared by every claim under this loop

    def __init__(self, segments: list[Segment], number: int, info: Any = None) -> None:
        self.segments = segments
        self.number = number
        self.info = info

    def __reduce__(self) -> tuple[type[Loop], tuple[list[Segment], int, Any]]:
        # Rebuilt through __init__: compiled, the class's own __init__ is what makes an instance (a parallel
        # check sends rejected claims, which carry their loops, between processes).
        return Loop, (self.segments, self.number, self.info)

    @property
    def level(self) -> str:
        hl = self.segments[0]
        return hl[3] if len(hl) > 3 else ""


@dataclass(slots=True, eq=False, init=False)
class ParsedClaim:
    """A claim read from an 837P: the domain Claim plus the raw 2300/2400 segments and parent loops."""

    claim: Claim
    segments: list[Segment]  # CLM up to the segment before the next CLM, HL or SE
    number: int  # segment number of the CLM in the file
    transaction: Transaction
    billing: Loop
    subscriber: Loop
    patient: Loop | None = None

    def __init__(
        self,
        claim: Claim,
        segments: list[Segment],
        number: int,
        transaction: Transaction,
        billing: Loop,
        subscriber: Loop,
        patient: Loop | None = None,
    ) -> None:
        self.claim = claim
        self.segments = segments
        self.number = number
        self.transaction = transaction
        self.billing = billing
        self.subscriber = subscriber
        self.patient = patient

    def __reduce__(self) -> tuple[type[ParsedClaim], tuple[Any, ...]]:
        return ParsedClaim, (
            self.claim,
            self.segments,
            self.number,
            self.transaction,
            self.billing,
            self.subscriber,
            self.patient,
        )

    @property
    def claim_id(self) -> str:
        return self.claim.id


@dataclass(slots=True, eq=False)
class RejectedClaim:
    """A claim the reader could not turn into a Claim, with the reason (as a 999 IK3/IK4 would give)."""

    claim_id: str | None
    error: X12Error
    segments: list[Segment]
    number: int
    transaction: Transaction
    billing: Loop
    subscriber: Loop
    patient: Loop | None = None
    reason: str = field(init=False)

    def __post_init__(self) -> None:
        self.reason = str(self.error)


ClaimItem = ParsedClaim | RejectedClaim
