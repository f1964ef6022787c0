"""Replacement (CLM05-3 = 7) and void (8) claims: which earlier records no longer count for the claim checked.

A corrected claim is not a duplicate of the claim it corrects, and an injection billed, then corrected, counts
once in history. A replacement or void names its original by the same claim id (CLM01) or by REF*F8, the
payer's claim control number of the original (X12 837P 005010X222A1, loop 2300). When a replacement names
nothing this history holds (the payer's number is rarely known for the original), a claim of the same payer
billed on one of its dates of service is presumed to be its original.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import msgspec

from preclaim.domain.claim import Claim
from preclaim.domain.history import Administration, History

CORRECTIONS: Final = frozenset({"7", "8"})


def replaces(correction: Claim, other: Claim) -> bool:
    """True when `correction` (a replacement or void) names `other` as the claim it corrects."""
    if correction.id == other.id:
        return True
    number = correction.payer_claim_control_number
    return number is not None and number in (other.id, other.payer_claim_control_number)


def still_counting(claim: Claim, history: History) -> History:
    """The history without what no longer counts for `claim`: the claim itself and what it corrects, claims a
    later replacement or void in history corrects, voids themselves, and (for a replacement naming nothing held
    here) the same payer's billing of its own dates of service."""
    number = claim.payer_claim_control_number
    gone_ids = {claim.id} if number is None else {claim.id, number}  # administrations are known by claim id
    kept: list[Claim] = []
    named = False
    claims = history.claims
    corrections = any(other.frequency_code in CORRECTIONS for other in claims)
    for i, other in enumerate(claims):
        if replaces(claim, other):
            named = True
            gone_ids.add(other.id)
        elif corrections and (other.frequency_code == "8" or _corrected_later(claims, i)):
            gone_ids.add(other.id)
        else:
            kept.append(other)
    if number is not None and not named:
        named = any(adm.claim_id == number for adm in history.administrations)
    days = frozenset(line.date_of_service for line in claim.lines) if claim.frequency_code == "7" and not named else ()
    administrations = tuple(adm for adm in history.administrations if not _gone(adm, gone_ids, days, claim.payer.id))
    if days:  # the same payer's lines on the presumed original's days go; its other lines stay
        payer = claim.payer.id
        kept = [other if other.payer.id != payer else _without_days(other, days) for other in kept]
    return History(administrations=administrations, claims=tuple(kept), authorizations=history.authorizations)


def _gone(adm: Administration, gone_ids: set[str], days: frozenset[dt.date] | tuple[()], payer: str) -> bool:
    if adm.claim_id is None:
        return False  # a chart record, not a billed claim
    return adm.claim_id in gone_ids or (adm.date in days and adm.payer_id in (None, payer))


def _without_days(other: Claim, days: frozenset[dt.date]) -> Claim:
    """The same payer's claim without its lines on the presumed original's days."""
    lines = tuple(line for line in other.lines if line.date_of_service not in days)
    return other if len(lines) == len(other.lines) else msgspec.structs.replace(other, lines=lines)


def _corrected_later(claims: tuple[Claim, ...], index: int) -> bool:
    """True when a replacement or void after `index` in history corrects the claim at `index`."""
    original = claims[index]
    return any(later.frequency_code in CORRECTIONS and replaces(later, original) for later in claims[index + 1 :])
