"""Replacement (CLM05-3 = 7) and void (8) claims: which earlier records no longer count for the claim checked.

A corrected claim is not a duplicate of the claim it corrects, and an injection billed, then corrected, counts
once in history. A replacement or void names its original by the same claim id (CLM01) or by REF*F8, the
payer's claim control number of the original (X12 837P 005010X222A1, loop 2300). When a replacement names
nothing this history holds (the payer's number is rarely known for the original), a claim of the same payer
billed on one of its dates of service is presumed to be its original.
"""

from __future__ import annotations

import datetime as dt

from preclaim.domain.claim import Claim
from preclaim.domain.history import Administration, History

CORRECTIONS = frozenset({"7", "8"})


def replaces(correction: Claim, other: Claim) -> bool:
    """True when `correction` (a replacement or void) names `other` as the claim it corrects."""
    if correction.id == other.id:
        return True
    number = correction.payer_claim_control_number
    return number is not None and number in (other.id, other.payer_claim_control_number)


class Superseded:
    """The parts of one patient's history that no longer count for `claim`, worked out once per check."""

    __slots__ = ("_dropped_claims", "_ids", "_payer", "_presume_days")

    def __init__(self, claim: Claim, history: History) -> None:
        number = claim.payer_claim_control_number
        # Claim ids whose administrations no longer count: the claim itself, what it corrects, what history voids.
        self._ids: set[str] = {claim.id} if number is None else {claim.id, number}
        self._dropped_claims: set[int] = set()
        named = False
        claims = history.claims
        corrections = any(other.frequency_code in CORRECTIONS for other in claims)
        for i, other in enumerate(claims):
            if replaces(claim, other):
                named = True
                self._drop(i, other)
            elif corrections and (other.frequency_code == "8" or _corrected_later(claims, i)):
                self._drop(i, other)
        if number is not None and not named:
            named = any(adm.claim_id == number for adm in history.administrations)
        # A replacement that names nothing held here replaces the same payer's claim of its own day(s).
        self._presume_days: frozenset[dt.date] = frozenset(
            line.date_of_service for line in claim.lines if claim.frequency_code == "7" and not named
        )
        self._payer = claim.payer.id

    def _drop(self, index: int, other: Claim) -> None:
        self._dropped_claims.add(index)
        self._ids.add(other.id)

    def administration(self, adm: Administration) -> bool:
        """True when this earlier administration no longer counts."""
        if adm.claim_id is None:
            return False  # a chart record, not a billed claim
        if adm.claim_id in self._ids:
            return True
        return adm.date in self._presume_days and adm.payer_id in (None, self._payer)

    def claim(self, index: int, other: Claim, day: dt.date) -> bool:
        """True when the line of history claim `index` dated `day` no longer counts."""
        if index in self._dropped_claims:
            return True
        return day in self._presume_days and other.payer.id == self._payer


def _corrected_later(claims: tuple[Claim, ...], index: int) -> bool:
    """True when a replacement or void after `index` in history corrects the claim at `index`."""
    original = claims[index]
    return any(later.frequency_code in CORRECTIONS and replaces(later, original) for later in claims[index + 1 :])
