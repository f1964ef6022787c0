"""Which letter a claim calls for, the way a billing office decides it:

- a denial cured by fixing the claim (CO-16 with M53 units, a missing modifier, an invalid code, a claim
  returned as unprocessable with MA130) gets a corrected claim, not an appeal: payers do not review those on
  appeal, and Medicare gives unprocessable claims no appeal rights;
- any other denial gets an appeal; for Medicare fee-for-service the first level is a redetermination, filed
  within 120 days of receiving the initial determination;
- a claim not yet paid or denied gets a letter of medical necessity (with a prior-authorization request when
  the plan requires one), except a clean claim the plan does not pre-authorize (nothing to ask for), and with
  a warning when the diagnosis is one the plan excludes (a letter does not change an excluded diagnosis).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from preclaim.domain.claim import Claim
from preclaim.domain.report import Report, Source
from preclaim.edi.x12.remit import ClaimPayment
from preclaim.rules.catalog import NecessityUse, catalog

Kind = Literal["necessity", "appeal", "corrected-claim", "none"]

MEDICARE_REDETERMINATION = Source(
    id="cfr-42-405-942",
    title="42 CFR 405.940-405.944: Medicare redetermination, the first level of appeal, requested in writing "
    "within 120 days of receiving the initial determination (presumed received 5 days after its date)",
    url="https://www.ecfr.gov/current/title-42/chapter-IV/subchapter-B/part-405/subpart-I",
    version="read 2026-12",
)
UNPROCESSABLE = Source(
    id="mac-ma130-no-appeal",
    title="Medicare contractor appeals guidance: claims returned with MA130 are unprocessable, have no appeal "
    "rights, and are corrected and sent again",
    url="https://med.noridianmedicare.com/web/jeb/topics/appeals/redetermination",
    version="read 2026-12",
)
# Denials a corrected claim cures (CARC, or RARC when it narrows the CARC): nothing for a reviewer to reconsider.
CORRECTABLE_CARCS = {
    "4": "a modifier was missing or wrong",
    "16": "information was missing or wrong on the claim",
    "146": "the diagnosis was invalid for the date of service",
    "181": "the procedure code was invalid for the date of service",
    "182": "the modifier was invalid for the date of service",
}
UNPROCESSABLE_RARCS = ("MA130",)
MEDICARE_FILING = ("MB", "MA")  # SBR09 / CLP06: Medicare Part B, Part A
REDETERMINATION_DAYS = 120
RECEIPT_DAYS = 5


@dataclass(frozen=True)
class Choice:
    kind: Kind
    reason: str  # one sentence for billing staff: why this letter, or why none
    warnings: tuple[str, ...] = ()


def necessity_use(rule: str) -> NecessityUse | None:
    """How a letter of medical necessity uses a finding (rule catalog): cite its source, or also warn that the
    letter does not change it (an excluded diagnosis); None: the letter leaves it out."""
    entry = catalog().get(rule)
    return entry.necessity_letter if entry is not None else None


def is_medicare(claim: Claim | None, payment: ClaimPayment | None) -> bool:
    indicator = (payment.filing_indicator if payment else None) or (claim.filing_indicator if claim else None)
    return (indicator or "").upper() in MEDICARE_FILING


def denial_codes(payment: ClaimPayment) -> tuple[set[str], set[str]]:
    """(CARC numbers, RARCs) of the payment's denying adjustments and its remarks."""
    from preclaim.letters.appeal import denial_adjustments

    carcs = {a.reason for a in denial_adjustments(payment)}
    remarks = set(payment.remarks) | {r for s in payment.services for r in s.remarks}
    return carcs, remarks


def for_denial(payment: ClaimPayment, claim: Claim | None = None) -> Choice:
    carcs, remarks = denial_codes(payment)
    if remarks & set(UNPROCESSABLE_RARCS):
        return Choice("corrected-claim", "Returned as unprocessable (MA130): correct it and send it as a new claim.")
    if not carcs and payment.status != "4":
        return Choice("none", "Nothing was denied on this payment.")
    if carcs and carcs <= set(CORRECTABLE_CARCS):
        why = "; ".join(f"CO-{c}: {CORRECTABLE_CARCS[c]}" for c in sorted(carcs))
        return Choice("corrected-claim", f"Send a corrected claim (replacement, frequency 7), not an appeal ({why}).")
    level = "a redetermination (Medicare's first level of appeal)" if is_medicare(claim, payment) else "an appeal"
    mixed = sorted(carcs & set(CORRECTABLE_CARCS))
    warnings = (
        (f"CO-{', CO-'.join(mixed)} on this claim are fixed on a corrected claim, not by the appeal.",) if mixed else ()
    )
    return Choice("appeal", f"Denied: request {level} with the records that support the service.", warnings)


def for_claim(claim: Claim, report: Report) -> Choice:
    """A claim not yet answered by the payer: a necessity letter, a PA request, or nothing to send."""
    excluded = [f for f in report.findings if necessity_use(f.rule) == "excludes"]
    warnings: tuple[str, ...] = ()
    if excluded:
        warnings = (
            "The diagnosis on this claim is one the plan excludes for this drug: a letter of medical necessity "
            "does not change that. Send it only if the chart supports a covered diagnosis, and correct the claim.",
        )
    pa = report.prior_auth.status
    if pa in ("required", "conditional", "unknown"):
        return Choice("necessity", "The plan may require prior authorization: request it with this letter.", warnings)
    if report.verdict == "clean" or pa == "on-file":
        return Choice("none", "Nothing to ask the payer for: the claim is ready and needs no authorization.")
    return Choice("necessity", "A letter of medical necessity supports the claim when it is reviewed.", warnings)


def redetermination_deadline(notice: dt.date) -> dt.date:
    """The last day to file: 120 days from receipt, presumed 5 days after the notice's date."""
    return notice + dt.timedelta(days=RECEIPT_DAYS + REDETERMINATION_DAYS)
