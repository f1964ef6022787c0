"""The drug as an adjunct to pemetrexed or pralatrexate: is the encounter one, and is the injection on schedule.

Coverage keys off the encounter's chemotherapy facts (drug and first dose) together with the cancer the line
points to, not only an encounter-for-chemotherapy code (Z51.11), whatever the cancer diagnosis coded.
"""

# For vitamin B12, LCD L33967 covers the injection "as an adjunct to pemetrexed or pralatrexate".

from __future__ import annotations

import datetime as dt

from preclaim.codes import normalize_icd10
from preclaim.domain.claim import Diagnosis, ServiceLine
from preclaim.domain.report import Finding
from preclaim.policy.code_index import CodeIndex
from preclaim.policy.resolver import Cited
from preclaim.policy.schema import ChemoAdjunct
from preclaim.rules.base import Rule, RuleContext, finding
from preclaim.rules.facts import earlier_doses
from preclaim.rules.liability import as_patient_liability, patient_liable

# Diagnoses of a chemotherapy encounter: encounter for antineoplastic chemotherapy, adverse effect of
# antineoplastic drugs. A policy that covers Z51.11 covers B12 as a chemotherapy adjunct.
CHEMO_ENCOUNTER = ("Z51.11", "T45.1X5")


def is_neoplasm(code: str) -> bool:
    """ICD-10-CM chapter 2, neoplasms: C00-D49."""
    normal = normalize_icd10(code)
    if normal[:1] == "C":
        return True
    return normal[:1] == "D" and normal[1:3].isdigit() and int(normal[1:3]) < 50


def chemo_adjunct_covers(ctx: RuleContext, code: str, covered: CodeIndex, pointed: list[Diagnosis]) -> bool:
    """True when the encounter documents pemetrexed or pralatrexate, the policy covers the drug as their adjunct (a
    chemotherapy-adjunct schedule, or Z51.11 on its covered list), and the line points to the cancer or the
    chemotherapy encounter."""
    enc = ctx.claim.encounter
    if enc is None or enc.chemo is None:
        return False
    cited = ctx.drug(code).chemo_adjunct
    schedule = getattr(cited.value, enc.chemo.drug) if cited is not None else None
    if schedule is None and covered.find(CHEMO_ENCOUNTER[0]) is None:
        return False
    encounter = ctx.index(CHEMO_ENCOUNTER)
    return any(is_neoplasm(dx.code) or encounter.find(dx.code) is not None for dx in pointed)


def check_chemo_timing(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    enc = ctx.claim.encounter
    if enc is None or enc.chemo is None:
        return findings
    for line in ctx.drug_lines:
        code = ctx.drug_code_of(line)
        cited = ctx.drug(code).chemo_adjunct
        rule = getattr(cited.value, enc.chemo.drug) if cited else None
        if cited is None or rule is None:
            continue
        day, first = line.date_of_service, enc.chemo.first_dose
        found: list[Finding] = []
        if day < first and (first - day).days > rule.max_days_before_first:
            found.append(
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
                    fix=f"give the first {ctx.label(code)} injection no more than {rule.max_days_before_first} days "
                    f"before {first}",
                )
            )
        if ctx.claim.frequency_code != "8":  # a void has no schedule
            found.extend(_chemo_repeat(ctx, line, cited, rule.repeat_min_days, rule.description, first))
        if found and patient_liable(ctx, line.number):
            found = [as_patient_liability(f) for f in found]
        findings.extend(found)
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
                f"line {line.number}: {gap} days after the previous {ctx.label(code)} injection; "
                f"the chemotherapy-adjunct schedule is {text}",
                cited.source,
                line=line.number,
                carc="CO-151",
                cure="none",
                fix=f"next injection on or after {earlier[-1].date + dt.timedelta(days=min_days)}",
            )
        )
    return findings


RULES: tuple[Rule, ...] = (check_chemo_timing,)
