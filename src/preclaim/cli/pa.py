"""`preclaim pa`: does this payer, plan and program need prior authorization for a drug injection, and why.

The drug is any catalog drug (`--code`, J3420 by default); its units come from the catalog's billing unit.

The front desk may know the line of business (`--program`) but not the claim filing indicator; the answer names
the program the question matched and the policies that decided it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from preclaim.cli import AsOf, Format, OutputFormat, Policies, as_of_date, out, run_guarded
from preclaim.cli.render import render_prior_auth
from preclaim.codes.drug_model import Drug
from preclaim.domain.claim import Claim, Diagnosis, Patient, Payer, Provider, ServiceLine
from preclaim.domain.encounter import Encounter
from preclaim.domain.history import EMPTY_HISTORY
from preclaim.domain.quantity import Quantity
from preclaim.drug_choice import catalog_drug, dose_of, units_of
from preclaim.engine import payer_key
from preclaim.errors import InputError
from preclaim.facade import load_engine
from preclaim.io.claim_json import load_claims, load_history
from preclaim.policy.program import STATE_MEDICAID_FFS, ProgramMatch


class ProgramChoice(StrEnum):
    medicare_ffs = "medicare-ffs"
    medicare_advantage = "medicare-advantage"
    medicaid_ffs = "medicaid-ffs"
    medicaid_managed_care = "medicaid-managed-care"
    commercial = "commercial"


# The SBR09 a claim of each program carries (X12 claim filing indicator codes).
_FILING_FOR = {
    ProgramChoice.medicare_ffs: "MB",
    ProgramChoice.medicare_advantage: "16",
    ProgramChoice.medicaid_ffs: "MC",
    ProgramChoice.medicaid_managed_care: "MC",
    ProgramChoice.commercial: "CI",
}


@dataclass(frozen=True, slots=True)
class PaQuestion:
    """What the front desk asks about: payer, program and the encounter facts it knows."""

    payer_id: str | None
    payer_name: str | None
    program: ProgramChoice | None
    filing: str | None
    state: str | None
    plan: str | None
    drug: Drug
    dose: Quantity | None
    diagnoses: list[str]
    dialysis: bool | None


def _payer_for(question: PaQuestion) -> tuple[str, str | None]:
    """The payer id and name of the question; a state's fee-for-service Medicaid or Medicare when only the program
    is given."""
    if question.payer_id or question.payer_name:
        return question.payer_id or "", question.payer_name
    program = question.program
    if program is ProgramChoice.medicaid_ffs:
        state = STATE_MEDICAID_FFS.get((question.state or "").upper())
        if state is None:
            known = ", ".join(sorted(STATE_MEDICAID_FFS))
            raise InputError(
                f"no fee-for-service Medicaid payer is known for state {question.state or '(none)'} "
                f"(known: {known}); give --payer-id or --payer-name",
                where="pa --program",
            )
        return (state.payer_ids[0] if state.payer_ids else ""), state.label
    if program is ProgramChoice.medicare_ffs:
        return "", "Medicare Part B"
    if program is ProgramChoice.medicare_advantage:
        return "", "Medicare Advantage plan"
    raise InputError(
        "give --payer-id/--payer-name (with --filing or --program, --state ...) or --encounter FILE", where="pa"
    )


def _encounter_claim(question: PaQuestion, date: AsOf) -> Claim:
    day = as_of_date(date)
    dose, diagnoses = question.dose, question.diagnoses
    units = units_of(question.drug, dose)
    payer_id, payer_name = _payer_for(question)
    filing = question.filing or (_FILING_FOR[question.program] if question.program else None)
    return Claim(
        id="pa-question",
        payer=Payer(payer_id, payer_name),
        patient=Patient("pa-question"),
        place_of_service="11",
        lines=(
            ServiceLine(
                1, question.drug.hcpcs, float(units), day, diagnosis_pointers=tuple(range(1, len(diagnoses[:4]) + 1))
            ),
        ),
        diagnoses=tuple(Diagnosis(d) for d in diagnoses),
        plan=question.plan,
        filing_indicator=filing,
        billing_provider=Provider(state=question.state),
        encounter=Encounter(dose=dose, dialysis=question.dialysis),
    )


def _program_of(claim: Claim, asked: ProgramChoice | None) -> ProgramMatch:
    """The program the claim matches; a question whose payer contradicts the program asked for is refused."""
    found = payer_key(claim).program
    if asked is not None and found.program != asked.value:
        payer = claim.payer.name or claim.payer.id
        raise InputError(
            f"--program {asked.value} does not fit payer {payer!r} (filing {claim.filing_indicator}): it matches "
            f"{found.program} because {found.reason}",
            where="pa --program",
        )
    return found


def pa(
    payer_id: Annotated[
        str | None, typer.Option("--payer-id", help="Payer id as on the claim (e.g. 60054, DEMO1).")
    ] = None,
    payer_name: Annotated[
        str | None,
        typer.Option("--payer-name", help="Payer or plan name, e.g. 'Humana Gold Plus', 'Florida Medicaid'."),
    ] = None,
    program: Annotated[
        ProgramChoice | None,
        typer.Option(
            "--program",
            help="Line of business when SBR09 is not known: medicare-ffs, medicare-advantage, medicaid-ffs "
            "(with --state: the state's own Medicaid), medicaid-managed-care, commercial.",
        ),
    ] = None,
    filing: Annotated[
        str | None,
        typer.Option("--filing", help="Claim filing indicator: MB, 16 (Medicare Advantage), MC, CI, BL, HM, ..."),
    ] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="Billing provider state (Medicare jurisdiction, Medicaid state).")
    ] = None,
    plan: Annotated[str | None, typer.Option("--plan")] = None,
    code: Annotated[
        str | None,
        typer.Option("--code", help="HCPCS code of a catalog drug (J3420, J1885, J1071, ...); J3420 if none."),
    ] = None,
    dose: Annotated[
        str | None,
        typer.Option(
            "--dose", help="Dose with its unit ('30 mg', '1 g'); a bare number is in the drug's unit (mcg for J3420)."
        ),
    ] = None,
    dx: Annotated[list[str] | None, typer.Option("--dx", help="ICD-10-CM diagnosis (repeatable).")] = None,
    dialysis: Annotated[bool | None, typer.Option("--dialysis/--no-dialysis")] = None,
    encounter: Annotated[
        Path | None, typer.Option("--encounter", help="A claim JSON describing the encounter.")
    ] = None,
    history: Annotated[Path | None, typer.Option("--history")] = None,
    as_of: AsOf = None,
    fmt: Format = OutputFormat.text,
    policies: Policies = None,
) -> None:
    """Does this payer and plan need prior authorization for a drug injection, why, and what to document?"""

    def action() -> int:
        engine = load_engine(policies or ())
        if encounter is not None:
            claims = load_claims(encounter)
        elif payer_id or payer_name or program:
            drug = catalog_drug(engine.codes.drugs, code, "pa --code")
            amount = dose_of(drug, dose, "pa --dose")
            question = PaQuestion(payer_id, payer_name, program, filing, state, plan, drug, amount, dx or [], dialysis)
            claims = [_encounter_claim(question, as_of)]
        else:
            raise InputError(
                "give --payer-id/--payer-name or --program (with --filing, --state ...) or --encounter FILE", where="pa"
            )
        past = load_history(history) if history else EMPTY_HISTORY
        day = as_of_date(as_of)
        results = []
        for claim in claims:
            matched = _program_of(claim, program if encounter is None else None)
            report = engine.check(claim, past, as_of=day)
            results.append(
                {
                    "claim_id": claim.id,
                    "drug_lines": [
                        {"code": line.code, "units": line.units}
                        for line in claim.lines
                        if engine.codes.drugs.drug(line.code) is not None
                    ],
                    "program": {"id": matched.program, "label": matched.label, "reason": matched.reason},
                    "policies": [ref.id for ref in report.policies if ref.id != "baseline-coding"],
                    "prior_auth": report.prior_auth,
                    "checklist": report.checklist,
                }
            )
            if fmt is OutputFormat.text:
                out.print(f"Program: [bold]{matched.label}[/] ({matched.reason})", soft_wrap=True)
                for line in claim.lines:
                    if (billed := engine.codes.drugs.drug(line.code)) is not None:
                        out.print(f"Drug: {line.code} {billed.substance}, {line.units:g} units", soft_wrap=True)
                titles = [p.title for p in engine.resolve(claim, day).layers if p.layer > 0]
                out.print("Policies: " + ("; ".join(titles) or "none for this payer"), soft_wrap=True)
                render_prior_auth(out, report.prior_auth)
                if report.checklist:
                    out.print("What to document:")
                    for item in report.checklist:
                        out.print(f"  [{item.status}] {item.item}  ({item.source.title})")
        if fmt is OutputFormat.json:
            sys.stdout.buffer.write(msgspec.json.encode({"claims": results}) + b"\n")
        return 0

    run_guarded(action)
