"""A stored claim into the form and back: the form's fields from a Claim, and the form's edits merged into the
claim so that lines and facts the form does not show (an E/M line, rendering provider, notes) are kept."""

from __future__ import annotations

from typing import Any

import msgspec

from preclaim.domain.claim import Claim, ServiceLine
from preclaim.io.legacy import lab_loinc
from preclaim.web.form import DIAGNOSIS_FIELDS


def drug_line(claim: Claim) -> ServiceLine | None:
    """The line the form's drug fields show: the first J-code line (a wrong code such as J3424 included, so it
    can be corrected), else the first line that is not the administration (96372)."""
    return next((line for line in claim.lines if line.code.upper().startswith("J")), None) or next(
        (line for line in claim.lines if line.code != "96372"), None
    )


def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def claim_values(claim: Claim) -> dict[str, str]:
    """The claim form's values for this claim (what the form cannot show stays in the stored claim)."""
    drug = drug_line(claim)
    enc = claim.encounter
    values = {
        "payer_id": claim.payer.id,
        "payer_name": claim.payer.name or "",
        "filing_indicator": claim.filing_indicator or "",
        "plan": claim.plan or "",
        "provider_state": claim.billing_provider.state or "",
        "provider_npi": claim.billing_provider.npi or "",
        "provider_name": claim.billing_provider.name or "",
        "place_of_service": claim.place_of_service,
        "prior_auth": claim.prior_auth or (drug.prior_auth if drug else None) or "",
        "claim_id": claim.id,
        "patient_key": claim.patient.key,
        "member_id": claim.patient.member_id or "",
        "birth_date": claim.patient.birth_date.isoformat() if claim.patient.birth_date else "",
        "admin_96372": "1" if any(line.code == "96372" for line in claim.lines) else "",
        "payer_claim_number": claim.payer_claim_control_number or "",
    }
    for name, dx in zip(DIAGNOSIS_FIELDS, claim.diagnoses, strict=False):
        values[name] = dx.code
    if drug is not None:
        values.update(
            date_of_service=drug.date_of_service.isoformat(),
            code=drug.code,
            units=_num(drug.units),
            modifiers=" ".join(drug.modifiers),
            charge=str(drug.charge) if drug.charge is not None else "",
        )
        if drug.ndc is not None:
            values.update(ndc=drug.ndc.code, ndc_qty=_num(drug.ndc.quantity), ndc_unit=drug.ndc.unit or "")
    if enc is not None:
        values.update(_encounter_values(enc))
    return values


def _encounter_values(enc: Any) -> dict[str, str]:
    values = {
        "dose": str(enc.dose) if enc.dose is not None else "",
        "wasted": str(enc.wasted) if enc.wasted is not None else "",
        "vial_type": enc.vial_type or "",
        "route": enc.route or "",
        "order_on_file": _flag(enc.order_on_file),
        "abn_on_file": _flag(enc.abn_on_file),
        "failed_oral": _flag(enc.failed_oral_therapy),
        "phase": enc.phase or "",
    }
    for prefix, name in (("b12", "serum_b12"), ("mma", "methylmalonic_acid")):
        lab = enc.latest_lab(lab_loinc(name) or name)
        if lab is not None:
            values[f"{prefix}_value"], values[f"{prefix}_date"] = _num(lab.value), lab.date.isoformat()
    return values


def merge(original: Claim, edited: Claim) -> Claim:
    """The original claim with what the form edits: payer and plan, patient ids, authorization, diagnoses,
    encounter facts, and the drug line (code, units, modifiers, charge, NDC, date). Other lines stay."""
    old_drug, new_drug = drug_line(original), drug_line(edited)
    lines = list(original.lines)
    if old_drug is not None and new_drug is not None:
        index = lines.index(old_drug)
        lines[index] = msgspec.structs.replace(
            old_drug,
            code=new_drug.code,
            units=new_drug.units,
            modifiers=new_drug.modifiers,
            charge=new_drug.charge if new_drug.charge is not None else old_drug.charge,
            ndc=new_drug.ndc,
            date_of_service=new_drug.date_of_service,
        )
    elif new_drug is not None:
        lines.append(msgspec.structs.replace(new_drug, number=len(lines) + 1))
    day = new_drug.date_of_service if new_drug else None
    lines = [_same_day(line, old_drug, day) for line in lines]
    changes: dict[str, Any] = {
        "payer": edited.payer,
        "plan": edited.plan,
        "filing_indicator": edited.filing_indicator,
        "prior_auth": edited.prior_auth,
        "diagnoses": edited.diagnoses,
        "encounter": edited.encounter,
        "lines": tuple(lines),
        "patient": msgspec.structs.replace(
            original.patient, member_id=edited.patient.member_id, birth_date=edited.patient.birth_date
        ),
    }
    changes["payer_claim_control_number"] = edited.payer_claim_control_number
    return msgspec.structs.replace(original, **changes)


def _same_day(line: ServiceLine, old_drug: ServiceLine | None, day: Any) -> ServiceLine:
    """Lines billed on the drug's old date move with it when the form changes the date of service."""
    if day is None or old_drug is None or line.date_of_service != old_drug.date_of_service:
        return line
    return msgspec.structs.replace(line, date_of_service=day)
