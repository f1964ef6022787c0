"""Prior-authorization request / letter of medical necessity from a checked claim (form or 837P + encounter)."""

from __future__ import annotations

import datetime as dt
from math import ceil
from typing import Any

from preclaim.codes import CodeSets
from preclaim.codes.drug_model import Drug
from preclaim.codes.drugs import bundled_catalog
from preclaim.domain.claim import Claim, ServiceLine
from preclaim.domain.encounter import Encounter
from preclaim.domain.quantity import MassUnit
from preclaim.domain.report import Report, Source
from preclaim.io.legacy import in_mcg, lab_loinc
from preclaim.letters.choose import for_claim, necessity_use
from preclaim.letters.model import Blank, Letter, Run, Section, Text, fact, text, unique_sources
from preclaim.letters.parties import recipient, sender, signature, subject_rows

# Every catalog drug, plus the unclassified code and vitamin K; a clinic's own drug files are added from the
# code sets the letter is written with.
DRUG_CODES = (*sorted(bundled_catalog().drugs), "J3490", "J3430")
# The B12 codes whose letters carry the serum B12 and oral-therapy facts.
B12_CODES = ("J3420", "J3425", "J3490")


def drug_line(claim: Claim, codes: CodeSets | None = None) -> ServiceLine | None:
    known = set(DRUG_CODES) | (set(codes.drugs.drugs) if codes is not None else set())
    return next((line for line in claim.lines if line.code.upper() in known), None)


def _drug(claim: Claim, codes: CodeSets | None) -> Drug | None:
    """The catalog drug the claim bills (None: no catalog drug line, or an unclassified code)."""
    line = drug_line(claim, codes)
    catalog = codes.drugs if codes is not None else bundled_catalog()
    return catalog.drug(line.code) if line else None


def _is_b12(claim: Claim, codes: CodeSets | None) -> bool:
    line = drug_line(claim, codes)
    return line is None or line.code.upper() in B12_CODES


def diagnosis_rows(claim: Claim, codes: CodeSets) -> tuple[Text, ...]:
    rows: list[Text] = []
    for dx in claim.diagnoses:
        entry = codes.icd10(dx.code)
        rows.append(
            text(f"{entry.code}: {entry.description}") if entry else text(f"{dx.code} (not found in ICD-10-CM)")
        )
    return tuple(rows) or (text(Blank("diagnosis, ICD-10-CM code and description")),)


def _lab(enc: Encounter, name: str, label: str) -> Run | None:
    lab = enc.latest_lab(lab_loinc(name) or name)
    return f"{label} {lab.value:g} {lab.unit} on {lab.date.isoformat()}" if lab else None


def clinical_facts(claim: Claim, codes: CodeSets | None = None) -> tuple[Text, ...]:
    """Only what the record holds; each missing core fact is a blank. Nothing is inferred. B12 letters ask for
    the serum B12 and oral therapy; another drug's letter asks for the findings that support that drug."""
    enc = claim.encounter or Encounter()
    facts: list[Text] = []
    if _is_b12(claim, codes):
        b12 = _lab(enc, "serum_b12", "Serum B12")
        facts.append(text(b12 if b12 else Blank("serum B12 result and date")))
        for name, label in (("methylmalonic_acid", "Methylmalonic acid"), ("homocysteine", "Homocysteine")):
            value = _lab(enc, name, label)
            if value:
                facts.append(text(value))
        if enc.failed_oral_therapy is True:
            facts.append(text("Oral B12 therapy was tried and failed or was not tolerated (documented in the chart)."))
        elif enc.failed_oral_therapy is None:
            facts.append(
                text("Oral therapy: ", Blank("oral B12 trial and outcome, or why oral therapy is not suitable"))
            )
    else:
        drug = _drug(claim, codes)
        name = drug.substance if drug else "the drug"
        facts.append(text(Blank(f"clinical findings that support {name} (chart notes, results and dates)")))
    if enc.chemo is not None:
        facts.append(text(f"Adjunct to {enc.chemo.drug}, first dose {enc.chemo.first_dose.isoformat()}."))
    if enc.dialysis:
        facts.append(text("The patient is on dialysis."))
    if enc.phase:
        facts.append(text(f"Treatment phase: {enc.phase}."))
    return tuple(facts)


def _drug_name(line: ServiceLine | None, drug: Drug | None) -> str:
    if line is None:
        return "J3420 cyanocobalamin"
    if drug is None or drug.hcpcs == "J3420":
        return f"{line.code} cyanocobalamin (vitamin B12) injection"
    return f"{line.code} {drug.substance} injection"


def service_rows(claim: Claim, codes: CodeSets | None = None) -> tuple[tuple[str, Text], ...]:
    line = drug_line(claim, codes)
    drug = _drug(claim, codes)
    enc = claim.encounter or Encounter()
    dose = enc.dose if enc.dose is not None and enc.dose.value else None
    per_unit = drug.per_unit if drug is not None else None
    measure: MassUnit = "mg" if per_unit is not None and per_unit.unit in ("g", "mg") else "mcg"
    shown = None if dose is None else str(dose.to(measure) if dose.is_mass else dose)
    mcg = in_mcg(dose)
    units = line.units if line else (ceil(mcg / 1000) if mcg else None)
    routes = "/".join(r[:1].upper() + r[1:] for r in drug.routes) if drug is not None and drug.hcpcs != "J3420" else ""
    return (
        ("Drug", text(_drug_name(line, drug))),
        ("Dose", text(fact(shown, f"dose in {measure}"))),
        (
            "Units billed",
            text(
                fact(
                    f"{units:g}" if units else None,
                    f"units (1 per {per_unit})" if per_unit else "units (1 per 1000 mcg)",
                )
            ),
        ),
        ("Route", text(fact(enc.route, f"route: {routes}" if routes else "route: IM or deep SC"))),
        ("Date(s) of service", text(fact(line.date_of_service.isoformat() if line else None, "date of service"))),
        ("Frequency and duration", text(Blank("planned frequency and number of injections"))),
        ("NDC", text(fact(line.ndc.code if line and line.ndc else None, "NDC, 11 digits"))),
    )


def documentation_section(report: Report) -> Section:
    rows: list[Text] = []
    for item in report.checklist:
        if item.status == "met":
            rows.append(text(f"{item.item}: on file" + (f" ({item.detail})" if item.detail else "") + "."))
        else:
            rows.append(text(f"{item.item}: ", Blank("attach or state: " + (item.detail or item.item))))
    return Section("Documentation enclosed", tuple(rows), "bullets")


PA_WORDS = {
    "required": "required",
    "not-required": "not required",
    "conditional": "required in some cases",
    "on-file": "on file",
    "unknown": "not stated in the policies on file",
}


def policy_basis(report: Report) -> Section:
    pa = report.prior_auth
    lines: list[Text] = [text(f"Prior authorization for this plan: {PA_WORDS.get(pa.status, pa.status)}.")]
    lines += [text(reason) for reason in pa.reasons]
    for ref in report.policies:
        if ref.illustrative:
            continue
        lines.append(text(f"Policy considered: {ref.title} (version {ref.version})."))
    return Section("Coverage basis", tuple(lines), "bullets")


def necessity_letter(
    claim: Claim, report: Report, codes: CodeSets, today: dt.date, *, practice: Any = None, payer: Any = None
) -> Letter:
    """`practice` (store.letterhead.Practice) and `payer` (PayerAddress) prefill the letterhead and address."""
    citations: list[Source] = list(report.prior_auth.sources)
    citations += [item.source for item in report.checklist]
    citations += [f.source for f in report.findings if necessity_use(f.rule) is not None]
    asks = report.prior_auth.status in ("required", "conditional", "unknown")
    request = (
        (
            "I am requesting prior authorization for, and documenting the medical necessity of, "
            if asks
            else "I am documenting the medical necessity of "
        )
        + (
            "vitamin B12 (cyanocobalamin) injections"
            if _is_b12(claim, codes)
            else f"{(drug.substance if (drug := _drug(claim, codes)) else 'drug')} injections"
        )
        + " for the patient named above. The clinical facts below are taken from the patient's record."
    )
    ask = "Please approve the injections described above." if asks else "Please consider this letter with the claim."
    sections = (
        Section("", (text(request),)),
        Section("Requested service", style="rows", rows=service_rows(claim, codes)),
        Section("Diagnoses", diagnosis_rows(claim, codes), "bullets"),
        Section("Clinical findings", clinical_facts(claim, codes), "bullets"),
        documentation_section(report),
        policy_basis(report),
        Section(
            "",
            (text(f"{ask} I am available to discuss it; the chart notes and laboratory reports are enclosed."),),
        ),
    )
    notes = (
        tuple(
            f"{ref.title} is ILLUSTRATIVE, not a real payer rule: confirm the plan's actual policy before sending."
            for ref in report.policies
            if ref.illustrative
        )
        + for_claim(claim, report).warnings
    )
    department = "Prior Authorization Department" if asks else "Claims / Medical Review"
    address = (payer.pa_address if asks else payer.appeals_address) if payer else ""
    payer_name = (payer.name if payer and payer.name else None) or claim.payer.name or claim.payer.id
    return Letter(
        kind="necessity",
        title="Prior authorization request and letter of medical necessity" if asks else "Letter of medical necessity",
        date=today,
        sender=sender(claim, practice),
        recipient=recipient(payer_name, claim.payer.id, department, address),
        subject=subject_rows(claim),
        salutation="To the Utilization Management reviewer:" if asks else "To the Medical Review team:",
        sections=sections,
        closing=signature(claim, practice),
        citations=unique_sources(citations),
        notes=notes,
    )
