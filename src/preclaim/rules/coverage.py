"""Medical necessity: every drug line points to a diagnosis, and the pointed diagnoses are covered.

When the claim holds a covered diagnosis but the line does not point to it, the fix is the pointer: CO-11 by
default, or the policy's own code (an LCD's MAC edits the pointed diagnosis: CO-50 with N115). When no covered
diagnosis is on the claim, the policy's denial code (CO-50, with N115 under an LCD). A pointed diagnosis that
must be recoded first (ICD-9, not ICD-10-CM, a category) is not judged: the code rules report the recode, and
coverage is decided on the recoded claim. With GA and an ABN on file, a denial is the patient's (PR).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from preclaim.codes import normalize_icd10
from preclaim.domain.claim import Diagnosis, ServiceLine
from preclaim.domain.report import Finding, Source
from preclaim.policy.code_index import CodeIndex
from preclaim.policy.resolver import Cited, ResolvedDrug
from preclaim.policy.schema import Coverage, DiagnosisEntry
from preclaim.rules import chemo
from preclaim.rules.base import Rule, RuleContext, finding
from preclaim.rules.chemo import chemo_adjunct_covers
from preclaim.rules.liability import as_patient_liability, patient_liable

POINTER_SOURCE = Source(
    "x12-837p-sv107",
    "837P SV107 diagnosis code pointers (1-12, pointing into HI)",
    "https://x12.org/products/transaction-sets",
)


def check_pointers(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    count = len(ctx.claim.diagnoses)
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
            if not 1 <= pointer <= count:  # Claim.diagnosis_at inline (a method of the domain type runs interpreted)
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
        drug = ctx.drug(code)
        coverage = drug.coverage
        if coverage is None or code is None or not line.diagnosis_pointers:
            continue
        if (problem := _line_coverage(ctx, code, line, coverage, drug)) is not None:
            if problem.rule == "diagnosis.not-covered" and patient_liable(ctx, line.number):
                problem = as_patient_liability(problem)
            findings.append(problem)
    return findings


def _describe(dx: Diagnosis, ctx: RuleContext) -> str:
    entry = ctx.codes.icd10(dx.code) if dx.system == "icd10" else None
    return f"{dx.code} ({entry.description})" if entry else dx.code


def _usable(ctx: RuleContext, dx: Diagnosis) -> bool:
    """An ICD-10-CM code that can be billed as sent; anything else is recoded first (code rules say how)."""
    if dx.system != "icd10":
        return False
    entry = ctx.codes.icd10(dx.code)
    return entry is not None and entry.billable


def _supports(ctx: RuleContext, code: str, covered: CodeIndex, dx: Diagnosis) -> bool:
    if covered.find(dx.code) is not None:
        return True
    enc = ctx.claim.encounter
    return enc is not None and enc.chemo is not None and chemo_adjunct_covers(ctx, code, covered, [dx])


def _line_coverage(
    ctx: RuleContext, code: str, line: ServiceLine, coverage: Cited[Coverage], drug: ResolvedDrug
) -> Finding | None:
    """The coverage problem of a drug line, if none of the diagnoses it points to is covered."""
    spec = coverage.value
    covered = drug.covered
    diagnoses = ctx.claim.diagnoses  # Claim.diagnosis_at inline (a method of the domain type runs interpreted)
    pointed = [diagnoses[p - 1] for p in line.diagnosis_pointers if 1 <= p <= len(diagnoses)]
    # Memoised per policy on the pointed diagnoses: claims repeat a few, and each needs code lookups.
    key = ("line-coverage", code, *pointed)
    known = ctx.shared.get(key)
    if known is None:
        known = ctx.shared[key] = _judge(ctx, covered, pointed)
    if known != "uncovered":
        return None  # covered, or a diagnosis to recode first (one error must not stack a denial on top)
    enc = ctx.claim.encounter
    if enc is not None and enc.chemo is not None and chemo_adjunct_covers(ctx, code, covered, pointed):
        return None
    caveat = "" if spec.list_verified else " (checked against a list marked unverified; import the official list)"
    elsewhere = [
        (i, dx)
        for i, dx in enumerate(ctx.claim.diagnoses, start=1)
        if _usable(ctx, dx) and _supports(ctx, code, covered, dx)
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
            carc=spec.pointer_carc,
            rarc=spec.pointer_rarc,
            fix=f"point line {line.number} to diagnosis {position} ({dx.code})",
        )
    return _not_covered(ctx, code, line, coverage, drug, pointed, caveat)


def _judge(ctx: RuleContext, covered: CodeIndex, pointed: list[Diagnosis]) -> str:
    """ "recode" when a pointed diagnosis must be recoded first (ICD-9, not ICD-10-CM, a category; the code rules
    say how), "covered" when one is covered, else "uncovered" (nothing pointed to counts as neither)."""
    hit = False
    for dx in pointed:
        if not _usable(ctx, dx):
            return "recode"
        hit = hit or covered.find(dx.code) is not None
    return "covered" if hit or not pointed else "uncovered"


def _not_covered(
    ctx: RuleContext,
    code: str,
    line: ServiceLine,
    coverage: Cited[Coverage],
    drug: ResolvedDrug,
    pointed: list[Diagnosis],
    caveat: str,
) -> Finding:
    spec = coverage.value
    excluded = [dx for dx in pointed if drug.noncovered.find(dx.code)]
    why = (
        "is excluded: " + spec.noncovered_reason
        if excluded
        else "is not a covered indication: " + spec.noncovered_reason
    )
    shown = ", ".join(_describe(d, ctx) for d in pointed)
    abn = (
        " For Medicare, with a signed ABN add GA (patient liable); without one GZ."
        if ctx.claim_rules.liability_modifiers
        else ""
    )
    examples = _suggestions(ctx, code, drug.covered, pointed)
    instead = f" (e.g. {examples})" if examples else ""
    return finding(
        "diagnosis.not-covered",
        "error",
        f"line {line.number}: {shown} {why}{caveat}",
        coverage.source,
        line=line.number,
        carc=spec.denial_carc,
        rarc=spec.denial_rarc,
        cure="none",
        fix=f"code the condition the chart documents as the reason for the injection if this policy covers "
        f"it{instead}; otherwise the injection is not covered for this diagnosis." + abn,
    )


def _suggestions(ctx: RuleContext, code: str, covered: CodeIndex, rejected: list[Diagnosis]) -> str:
    """suggestions(), memoised per policy: denials repeat a few diagnoses."""
    key = ("coverage-suggestions", code, tuple([dx.code for dx in rejected]))
    cached = ctx.shared.get(key)
    if cached is None:
        cached = ctx.shared[key] = suggestions(ctx, covered.entries, rejected)
    return cast(str, cached)


def suggestions(ctx: RuleContext, covered: Sequence[DiagnosisEntry | str], rejected: list[Diagnosis]) -> str:
    """Up to three covered codes from the policy's own list, one per chapter letter, never one the finding
    rejects (nor a category holding it); a category is written with "-" (more characters needed)."""
    shown: list[str] = []
    letters: set[str] = set()
    rejected_codes = [normalize_icd10(dx.code) for dx in rejected]
    for entry in covered:
        target = normalize_icd10(entry if isinstance(entry, str) else entry.code)
        if target[:1] in letters or any(r.startswith(target) or target.startswith(r) for r in rejected_codes):
            continue
        letters.add(target[:1])
        found = ctx.codes.icd10(target)
        written = target if found is None or found.billable else target + ("-" if "." in target else ".-")
        label = (None if isinstance(entry, str) else entry.label) or (found.description if found else None)
        shown.append(f"{written} {label}" if label else written)
        if len(shown) == 3:
            break
    return "; ".join(shown)  # labels hold commas


RULES: tuple[Rule, ...] = (check_pointers, check_coverage, *chemo.RULES)
