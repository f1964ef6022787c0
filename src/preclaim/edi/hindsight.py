"""Would preclaim have caught it? Denied claims of an 835 matched (CLP01 = CLM01) with preclaim's report on
the 837P that was sent: a denial counts as caught when a finding predicted the same CARC.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from preclaim.domain.report import Report
from preclaim.edi.denials import classify
from preclaim.edi.x12.remit import ClaimPayment, Remittance


class DeniedClaim(msgspec.Struct, frozen=True):
    claim_id: str
    payer: str
    denial_codes: tuple[str, ...]  # group-CARC of the denying adjustments, e.g. CO-16
    in_claims_file: bool
    predicted: tuple[str, ...] = ()  # preclaim findings with the same CARC: "ndc.format (CO-16)"
    other_findings: tuple[str, ...] = ()  # preclaim's other errors and warnings on that claim

    @property
    def caught(self) -> bool:
        return bool(self.predicted)


class Hindsight(msgspec.Struct, frozen=True):
    denied: int
    in_claims_file: int
    caught: int
    claims: tuple[DeniedClaim, ...]


def denied_codes(remittances: Iterable[Remittance]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """claim id -> (payer, denial codes) for every claim with a denial."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for remittance in remittances:
        payer = remittance.payer.name or remittance.payer.id or "unknown payer"
        for claim in remittance.claims:
            codes = _codes(claim)
            if codes or claim.denied:
                found[claim.claim_id] = (payer, codes)
    return found


def _codes(claim: ClaimPayment) -> tuple[str, ...]:
    codes: list[str] = []
    for adjustment in claim.adjustments:
        if classify(adjustment, claim, None) == "denial" and adjustment.code not in codes:
            codes.append(adjustment.code)
    for service in claim.services:
        for adjustment in service.adjustments:
            if classify(adjustment, claim, service.paid) == "denial" and adjustment.code not in codes:
                codes.append(adjustment.code)
    return tuple(codes)


def hindsight(denied: dict[str, tuple[str, tuple[str, ...]]], reports: Iterable[Report]) -> Hindsight:
    by_id = {report.claim_id: report for report in reports if report.claim_id in denied}
    claims = []
    for claim_id, (payer, codes) in denied.items():
        report = by_id.get(claim_id)
        if report is None:
            claims.append(DeniedClaim(claim_id, payer, codes, in_claims_file=False))
            continue
        reasons = {code.partition("-")[2] for code in codes}
        predicted: list[str] = []
        other: list[str] = []
        for f in report.findings:
            if f.severity == "info":
                continue
            label = f"{f.rule} ({f.carc})" if f.carc else f.rule
            same = f.carc is not None and f.carc.partition("-")[2] in reasons
            (predicted if same else other).append(label)
        claims.append(DeniedClaim(claim_id, payer, codes, True, tuple(predicted), tuple(other)))
    return Hindsight(
        denied=len(claims),
        in_claims_file=sum(1 for c in claims if c.in_claims_file),
        caught=sum(1 for c in claims if c.caught),
        claims=tuple(claims),
    )
