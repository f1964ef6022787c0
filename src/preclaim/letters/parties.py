"""Letterhead, addressee, subject lines and signature: what the record holds, blanks for the rest."""

from __future__ import annotations

from preclaim.domain.claim import Claim
from preclaim.letters.model import Blank, Text, fact, text


def sender(claim: Claim | None) -> tuple[Text, ...]:
    provider = claim.billing_provider if claim else None
    return (
        text(fact(provider.name if provider else None, "practice name")),
        text(Blank("practice street address, city, state, ZIP")),
        text("NPI ", fact(provider.npi if provider else None, "billing NPI")),
        text("Phone ", Blank("phone"), "  Fax ", Blank("fax")),
    )


def recipient(payer_name: str | None, payer_id: str | None, department: str) -> tuple[Text, ...]:
    return (
        text(fact(payer_name, "payer name")),
        text(department),
        text(Blank("payer mailing address or fax number")),
        text(f"Payer ID {payer_id}" if payer_id else ""),
    )


def subject_rows(claim: Claim | None) -> tuple[tuple[str, Text], ...]:
    patient = claim.patient if claim else None
    return (
        ("Patient", text(Blank("patient name"), f"  (reference {patient.key})" if patient else "")),
        (
            "Date of birth",
            text(fact(patient.birth_date.isoformat() if patient and patient.birth_date else None, "DOB")),
        ),
        ("Member ID", text(fact(patient.member_id if patient else None, "member ID"))),
        ("Plan", text(fact(claim.plan if claim else None, "plan name"))),
    )


def signature(claim: Claim | None) -> tuple[Text, ...]:
    rendering = claim.rendering_provider if claim else None
    npi = rendering.npi if rendering else None
    name = rendering.name if rendering else None
    return (
        text("Sincerely,"),
        text(""),
        text(Blank("signature")),
        text(fact(name, "treating physician name and credentials")),
        text("NPI ", fact(npi, "rendering NPI")),
    )
