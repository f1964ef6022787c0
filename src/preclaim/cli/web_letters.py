"""Library calls behind `preclaim letter`: load the claim or the 835, check, build the letter, render it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from preclaim.errors import InputError


def necessity_pdf(claim_file: Path, day: dt.date, policy_dirs: Sequence[Path]) -> tuple[bytes, int]:
    from preclaim.facade import load_engine
    from preclaim.io.claim_json import load_claims
    from preclaim.letters import blanks_in, necessity_letter, render_pdf

    claims = load_claims(claim_file)
    if len(claims) != 1:
        raise InputError(f"expected one claim, found {len(claims)}", where=str(claim_file))
    engine = load_engine(policy_dirs)
    report = engine.check(claims[0], as_of=day)
    letter = necessity_letter(claims[0], report, engine.codes, day)
    return render_pdf(letter), len(blanks_in(letter))


def appeal_pdf(
    remit: Path, claim_id: str | None, claim_file: Path | None, day: dt.date, policy_dirs: Sequence[Path]
) -> tuple[bytes, int]:
    from preclaim.edi.x12.read835 import iter_remittances
    from preclaim.facade import load_engine
    from preclaim.io.claim_json import load_claims
    from preclaim.letters import appeal_letter, blanks_in, render_pdf
    from preclaim.letters.appeal import denial_adjustments
    from preclaim.letters.choose import for_denial

    found = [(r, p) for r in iter_remittances(remit) for p in r.claims if denial_adjustments(p) or p.status == "4"]
    chosen = [(r, p) for r, p in found if claim_id in (None, p.claim_id)]
    if len(chosen) != 1:
        ids = ", ".join(p.claim_id for _, p in found) or "none"
        wanted = f"claim {claim_id!r} is not" if claim_id else "several claims are"
        raise InputError(f"{wanted} denied here; denied claims: {ids} (use --claim-id)", where=str(remit))
    remittance, payment = chosen[0]
    remedy = for_denial(payment)
    if remedy.kind == "corrected-claim":
        raise InputError(f"claim {payment.claim_id}: {remedy.reason}", where=str(remit))
    engine = load_engine(policy_dirs)
    claim = report = None
    if claim_file is not None:
        claims = [c for c in load_claims(claim_file) if c.id == payment.claim_id] or load_claims(claim_file)[:1]
        claim = claims[0]
        report = engine.check(claim, as_of=day)
    letter = appeal_letter(
        payment,
        remittance.payer.name,
        engine.codes,
        day,
        payer_id=remittance.payer.id,
        claim=claim,
        report=report,
        notice_date=remittance.production_date or remittance.payment_date,
    )
    return render_pdf(letter), len(blanks_in(letter))
