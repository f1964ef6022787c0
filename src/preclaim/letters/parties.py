"""Letterhead, addressee, subject lines and signature: the practice profile and the payer address book when
they are on file, the claim's own facts next, and visible blanks for the rest."""

from __future__ import annotations

from typing import Any

from preclaim.domain.claim import Claim
from preclaim.letters.model import Blank, Text, fact, text


def sender(claim: Claim | None, practice: Any = None) -> tuple[Text, ...]:
    """The practice's letterhead: the profile's name, address, NPI and phone, else the claim's billing provider."""
    provider = claim.billing_provider if claim else None
    name = (practice.name if practice else "") or (provider.name if provider else None)
    npi = (practice.npi if practice else "") or (provider.npi if provider else None)
    street = practice.street if practice else ""
    place = practice.city_line if practice else ""
    address = ", ".join(p for p in (street, place) if p)
    phone, fax = (practice.phone, practice.fax) if practice else ("", "")
    return (
        text(fact(name, "practice name")),
        text(fact(address, "practice street address, city, state, ZIP")),
        text("NPI ", fact(npi, "billing NPI"), f"   Tax ID {practice.tax_id}" if practice and practice.tax_id else ""),
        text("Phone ", fact(phone, "phone"), "  Fax ", fact(fax, "fax")),
    )


def recipient(payer_name: str | None, payer_id: str | None, department: str, address: str = "") -> tuple[Text, ...]:
    lines = [line.strip() for line in address.splitlines() if line.strip()]
    return (
        text(fact(payer_name, "payer name")),
        text(department),
        *(text(line) for line in lines),
        *(() if lines else (text(Blank("payer mailing address or fax number")),)),
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


def signature(claim: Claim | None, practice: Any = None) -> tuple[Text, ...]:
    rendering = claim.rendering_provider if claim else None
    npi = rendering.npi if rendering else None
    name = rendering.name if rendering else None
    contact = (
        f"Questions: {practice.contact}" + (f", {practice.phone}" if practice.phone else "")
        if practice and practice.contact
        else ""
    )
    return (
        text("Sincerely,"),
        text(""),
        text(Blank("signature")),
        text(fact(name, "treating physician name and credentials")),
        text("NPI ", fact(npi, "rendering NPI")),
        text(contact),
    )
