"""Codes valid on the date of service: HCPCS/CPT, ICD-10-CM (not ICD-9 after 2015-10-01), place of service."""

from __future__ import annotations

import datetime as dt
from typing import Final

from preclaim.codes import HcpcsCode
from preclaim.domain.claim import ServiceLine
from preclaim.domain.report import Correction, Finding, Source
from preclaim.rules import setting
from preclaim.rules.base import Rule, RuleContext, finding

ICD10_START: Final = dt.date(2015, 10, 1)
ICD10_SOURCE = Source(
    "icd10-transition",
    "CMS ICD-10 implementation: ICD-10-CM required for dates of service on or after 2015-10-01",
    "https://www.cms.gov/medicare/coding-billing/icd-10-codes",
)


# The engine's shared memo key prefix for a (code, day) that _check_hcpcs finds nothing wrong with whatever the
# line: a code valid that day, not naming another code per drug (use_instead) and not unclassified.
_FINE: Final = "code.fine"


def _source(entry: HcpcsCode) -> Source:
    return entry.source


def check_procedure_codes(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    shared = ctx.shared
    for line in ctx.claim.lines:
        code = line.code
        entry = ctx.codes.hcpcs(code)
        if entry is None:
            if ctx.codes.cpt(code) is None:
                findings.append(
                    finding(
                        "code.unknown",
                        "info",
                        f"{line.code} is not in preclaim's bundled code set, so its validity was not checked",
                        Source("hcpcs-bundled", "preclaim bundled HCPCS/CPT subset"),
                        line=line.number,
                        fix="import the CMS quarterly HCPCS file (preclaim codes import-hcpcs FILE) "
                        "to check every code",
                    )
                )
            continue
        key = (_FINE, code, line.date_of_service)
        if key in shared:  # valid that day, with no drug or description that could make it wrong
            continue
        if (problem := _check_hcpcs(ctx, line, entry)) is not None:
            findings.append(problem)
        elif not entry.use_instead and not entry.not_otherwise_classified:
            shared[key] = True
    return findings


def _check_hcpcs(ctx: RuleContext, line: ServiceLine, entry: HcpcsCode) -> Finding | None:
    """The one problem with a known code on this line, if any."""
    number, day = line.number, line.date_of_service
    if entry.status in ("invalid", "deleted") or (entry.status == "active" and not entry.valid_on(day)):
        replacement = entry.code_for(ctx.substance_of(line), day)
        target = ctx.codes.hcpcs(replacement) if replacement else None
        return finding(
            "code.invalid",
            "error",
            f"{entry.code} is not a valid HCPCS code on {day.isoformat()}" + (f": {entry.note}" if entry.note else ""),
            _source(entry),
            line=number,
            carc="CO-181",
            rarc=("M51",),
            fix=f"bill {replacement}" + (f" ({target.short})" if target else "")
            if replacement
            else "use the code valid on the date of service",
            correction=Correction("set-code", replacement) if replacement else None,
        )
    if entry.status == "unconfirmed":
        return finding(
            "code.unconfirmed",
            "warning",
            f"{entry.code} ({entry.short}) could not be confirmed in a CMS HCPCS file; a payer may reject it",
            _source(entry),
            line=number,
            fix="confirm the code in the current CMS HCPCS quarterly file (preclaim codes import-hcpcs FILE); "
            "until then bill the unclassified drug code (J3490) with the drug name, dose and NDC",
            cure="documentation",
        )
    drug = ctx.substance_of(line) if entry.use_instead else None
    target_code = entry.code_for(drug, day) if drug else None
    target = ctx.codes.hcpcs(target_code) if target_code else None
    if target is not None and target.valid_on(day):
        per_unit = f" (1 unit per {target.unit_amount:g} {target.unit_measure})" if target.unit_amount else ""
        if entry.not_otherwise_classified:
            return finding(
                "code.noc-specific-exists",
                "error",
                f"{entry.code} (unclassified drug) used for {drug}, which has its own code {target.code}",
                _source(entry),
                line=number,
                carc="CO-16",
                rarc=("M51",),
                fix=f"bill {target.code}{per_unit} instead of the unclassified code",
                correction=Correction("set-code", target.code),
            )
        return finding(
            "code.wrong-drug",
            "error",
            f"{entry.code} ({entry.short}) is the code for {entry.drug}; this line's drug is {drug}, "
            f"whose code is {target.code}",
            _source(entry),
            line=number,
            carc="CO-16",
            rarc=("M51",),
            fix=f"bill {target.code}{per_unit}",
            correction=Correction("set-code", target.code),
        )
    if entry.not_otherwise_classified and not (line.description or "").strip():
        return finding(
            "code.noc-description",
            "error",
            f"{entry.code} needs the drug name, strength and dose in the line description (SV101-07)",
            _source(entry),
            line=number,
            carc="CO-16",
            rarc=("N350",),
            fix=f"describe the drug{_noc_example(ctx, entry.code)}, and report its NDC",
        )
    return None


def _noc_example(ctx: RuleContext, code: str) -> str:
    """An example description from the drug catalog: a drug billed under this unclassified code, and its
    solution's strength."""
    for drug in ctx.codes.drugs.all():
        if any(alias.code == code for alias in drug.aliases):
            package = next((p for p in drug.packages if p.per_ml is not None), None)
            if package is not None:
                return f", e.g. '{drug.substance} {package.per_ml}/mL, 1 mL'"
    return ""


def check_diagnoses(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    day = ctx.first_day or ctx.as_of
    for position, dx in enumerate(ctx.claim.diagnoses, start=1):
        if dx.system == "icd9":
            if day >= ICD10_START:
                findings.append(
                    finding(
                        "diagnosis.icd9",
                        "error",
                        f"diagnosis {position} ({dx.code}) is ICD-9; services from 2015-10-01 need ICD-10-CM",
                        ICD10_SOURCE,
                        carc="CO-16",
                        rarc=("M76",),
                        fix="code the diagnosis in ICD-10-CM (HI qualifier ABK/ABF)",
                    )
                )
            continue
        entry = ctx.codes.icd10(dx.code)
        if entry is None:
            findings.append(
                finding(
                    "diagnosis.invalid",
                    "error",
                    f"diagnosis {position} ({dx.code}) is not an ICD-10-CM code",
                    ICD10_SOURCE,
                    carc="CO-16",
                    rarc=("M76",),
                    fix="correct the ICD-10-CM code",
                )
            )
        elif not entry.billable:
            findings.append(
                finding(
                    "diagnosis.not-billable",
                    "error",
                    f"diagnosis {position} ({entry.code} {entry.description}) is a category, not a billable code",
                    ICD10_SOURCE,
                    carc="CO-16",
                    rarc=("M76",),
                    fix=f"code {entry.code} to the highest specificity (a code with all its characters)",
                )
            )
    return findings


def check_place_of_service(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    codes = {ctx.claim.place_of_service}
    for line in ctx.claim.lines:
        if line.place_of_service:
            codes.add(line.place_of_service)
    watched = ctx.shared.get("setting-pos") or setting.watched(ctx)
    if not codes.isdisjoint(watched):  # type: ignore[arg-type]  # facility or telehealth: where it was given
        findings.extend(setting.check_setting(ctx))
    for code in sorted(codes):
        if ctx.codes.place_of_service(code) is None:
            findings.append(
                finding(
                    "pos.invalid",
                    "error",
                    f"place of service {code!r} is not a CMS place-of-service code",
                    Source(
                        "cms-pos",
                        "CMS Place of Service Code Set",
                        "https://www.cms.gov/medicare/coding-billing/place-of-service-codes/code-sets",
                    ),
                    carc="CO-16",
                    rarc=("M77",),
                    fix="use the two-digit CMS place-of-service code (11 = office)",
                )
            )
    return findings


RULES: tuple[Rule, ...] = (check_procedure_codes, check_diagnoses, check_place_of_service)
