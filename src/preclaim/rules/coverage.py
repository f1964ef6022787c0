"""Medical necessity: every drug line points to a diagnosis, and the pointed diagnoses are covered.

CO-11 when the claim holds a covered diagnosis but the line does not point to it (fix the pointer);
the policy's denial code (CO-50, with N115 under an LCD) when no covered diagnosis is on the claim.
"""

from __future__ import annotations

import datetime as dt

from preclaim.domain.claim import Diagnosis, ServiceLine
from preclaim.domain.report import Finding, Source
from preclaim.policy.resolver import Cited
from preclaim.policy.schema import ChemoAdjunct, Coverage, DiagnosisEntry, LiabilityModifiers
from preclaim.rules.base import RuleContext, finding
from preclaim.rules.facts import code_in, earlier_doses

POINTER_SOURCE = Source(
    "x12-837p-sv107",
    "837P SV107 diagnosis code pointers (1-12, pointing into HI)",
    "https://x12.org/products/transaction-sets",
)


_COVERED: dict[tuple[int, int], tuple[Coverage, tuple[DiagnosisEntry, ...]]] = {}


def covered_entries(ctx: RuleContext, coverage: Coverage) -> tuple[DiagnosisEntry, ...]:
    """The section's own codes plus its code list, built once per (section, library) so lookups stay indexed."""
    key = (id(coverage), id(ctx.policy.code_lists))
    cached = _COVERED.get(key)
    if cached is None or cached[0] is not coverage:
        listed = ctx.policy.code_lists.get(coverage.covered_list, ()) if coverage.covered_list else ()
        cached = _COVERED[key] = (coverage, coverage.covered + listed)
    return cached[1]


def check_pointers(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    for line in ctx.drug_lines:
        if not line.diagnosis_pointers:
            findings.append(
                finding(
                    "diagnosis.no-pointer",
                    "error",
                    f"line {line.number} ({line.code}) points to no diagnosis",
                    POINTER_SOURCE,
                    line=line.number,
                    carc="CO-16",
                    rarc=("M76",),
                    fix=f"point line {line.number} to the diagnosis that supports the injection",
                )
            )
        for pointer in line.diagnosis_pointers:
            if ctx.claim.diagnosis_at(pointer) is None:
                findings.append(
                    finding(
                        "diagnosis.bad-pointer",
                        "error",
                        f"line {line.number} points to diagnosis {pointer}, "
                        f"but the claim has {len(ctx.claim.diagnoses)}",
                        POINTER_SOURCE,
                        line=line.number,
                        carc="CO-16",
                        rarc=("M76",),
                        fix=f"point line {line.number} to one of diagnoses 1-{len(ctx.claim.diagnoses)}",
                    )
                )
    return findings


def check_coverage(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    for line in ctx.drug_lines:
        code = ctx.drug_code_of(line)
        coverage = ctx.section(code, "coverage", Coverage) if code else None
        if coverage is None or not line.diagnosis_pointers:
            continue
        if (problem := _line_coverage(ctx, line, coverage)) is not None:
            findings.append(problem)
    return findings


def _describe(dx: Diagnosis, ctx: RuleContext) -> str:
    entry = ctx.codes.icd10(dx.code) if dx.system == "icd10" else None
    return f"{dx.code} ({entry.description})" if entry else dx.code


def _line_coverage(ctx: RuleContext, line: ServiceLine, coverage: Cited[Coverage]) -> Finding | None:
    """The coverage problem of a drug line, if none of the diagnoses it points to is covered."""
    spec = coverage.value
    covered = covered_entries(ctx, spec)
    pointed = [dx for p in line.diagnosis_pointers if (dx := ctx.claim.diagnosis_at(p)) is not None]
    for dx in pointed:
        if dx.system == "icd10" and code_in(dx.code, covered):
            return None
    caveat = "" if spec.list_verified else " (checked against a list marked unverified; import the official list)"
    elsewhere = [
        (i, dx)
        for i, dx in enumerate(ctx.claim.diagnoses, start=1)
        if dx.system == "icd10" and code_in(dx.code, covered)
    ]
    if elsewhere:
        position, dx = elsewhere[0]
        return finding(
            "diagnosis.pointer-not-covered",
            "error",
            f"line {line.number} points to {', '.join(_describe(d, ctx) for d in pointed)}, which does not support "
            f"{line.code}; diagnosis {position} {_describe(dx, ctx)} does{caveat}",
            coverage.source,
            line=line.number,
            carc="CO-11",
            fix=f"point line {line.number} to diagnosis {position} ({dx.code})",
        )
    excluded = [dx for dx in pointed if code_in(dx.code, spec.noncovered)]
    why = (
        "is excluded: " + spec.noncovered_reason
        if excluded
        else "is not a covered indication: " + spec.noncovered_reason
    )
    shown = ", ".join(_describe(d, ctx) for d in pointed)
    abn = (
        " For Medicare, with a signed ABN add GA (patient liable); without one GZ."
        if ctx.claim_rule("liability_modifiers", LiabilityModifiers)
        else ""
    )
    return finding(
        "diagnosis.not-covered",
        "error",
        f"line {line.number}: {shown} {why}{caveat}",
        coverage.source,
        line=line.number,
        carc=spec.denial_carc,
        rarc=spec.denial_rarc,
        cure="none",
        fix="code the condition the chart documents as the reason for the injection if it is covered "
        "(e.g. D51.0 pernicious anemia, E53.8 B12 deficiency, K90.x malabsorption); otherwise the injection "
        "is not covered for this diagnosis." + abn,
    )


def check_chemo_timing(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    enc = ctx.claim.encounter
    if enc is None or enc.chemo is None:
        return findings
    for line in ctx.drug_lines:
        code = ctx.drug_code_of(line)
        cited = ctx.section(code, "chemo_adjunct", ChemoAdjunct) if code else None
        rule = getattr(cited.value, enc.chemo.drug) if cited else None
        if cited is None or rule is None:
            continue
        day, first = line.date_of_service, enc.chemo.first_dose
        if day < first and (first - day).days > rule.max_days_before_first:
            findings.append(
                finding(
                    "chemo.too-early",
                    "error",
                    f"line {line.number}: given {(first - day).days} days before the first {enc.chemo.drug} dose; "
                    f"the policy allows {rule.description}",
                    cited.source,
                    line=line.number,
                    carc="CO-50",
                    rarc=("N115",),
                    cure="none",
                    fix=f"give the first B12 injection no more than {rule.max_days_before_first} days before {first}",
                )
            )
        findings.extend(_chemo_repeat(ctx, line, cited, rule.repeat_min_days, rule.description, first))
    return findings


def _chemo_repeat(
    ctx: RuleContext,
    line: ServiceLine,
    cited: Cited[ChemoAdjunct],
    min_days: int | None,
    text: str,
    first: dt.date,
) -> list[Finding]:
    findings: list[Finding] = []
    code = ctx.drug_code_of(line) or line.code
    earlier = [d for d in earlier_doses(ctx, code, line.date_of_service) if d.date < line.date_of_service]
    if min_days is None or not earlier or line.date_of_service <= first:
        return findings
    gap = (line.date_of_service - earlier[-1].date).days
    if gap < min_days:
        findings.append(
            finding(
                "chemo.too-soon",
                "error",
                f"line {line.number}: {gap} days after the previous B12 injection; the chemotherapy-adjunct schedule "
                f"is {text}",
                cited.source,
                line=line.number,
                carc="CO-151",
                cure="none",
                fix=f"next injection on or after {earlier[-1].date + dt.timedelta(days=min_days)}",
            )
        )
    return findings


RULES = (check_pointers, check_coverage, check_chemo_timing)
