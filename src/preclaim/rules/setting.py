"""Where the injection was given: a drug billed by the practitioner in a facility, an injection billed as
telehealth.

In a hospital (POS 19, 21, 22, 23) the hospital furnishes the drug and bills it; the practitioner's drug line
is not payable to him (incident-to needs the drug to be his expense: Medicare Benefit Policy Manual ch. 15 §50.3
and §60), so the policy's `incident_to` section lists those places. An intramuscular or subcutaneous injection
is given in person; telehealth places of service (02, 10) describe services over telecommunication, and 96372
and J3420 are not on CMS's list of telehealth services: a coding convention for every payer.
"""

from __future__ import annotations

from preclaim.domain.claim import ServiceLine
from preclaim.domain.report import Finding, Source
from preclaim.policy.schema import IncidentTo
from preclaim.rules.base import INJECTION_CODES, RuleContext, finding

TELEHEALTH_POS = frozenset({"02", "10"})
TELEHEALTH_SOURCE = Source(
    "cms-pos-telehealth",
    "CMS Place of Service code set: 02 and 10 are telehealth (services through telecommunication); 96372 and "
    "J3420 are not on the CMS list of Medicare telehealth services",
    "https://www.cms.gov/medicare/coverage/telehealth/list-services",
)


def _pos(ctx: RuleContext, line: ServiceLine) -> str:
    return line.place_of_service or ctx.claim.place_of_service


def check_facility_drug(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    rule = ctx.claim_rule("incident_to", IncidentTo)
    if rule is None or not ctx.drug_lines:
        return findings
    spec = rule.value
    for line in ctx.drug_lines:
        pos = _pos(ctx, line)
        if pos in spec.drug_not_payable_pos:
            findings.append(
                finding(
                    "setting.facility-drug",
                    "error",
                    f"line {line.number}: {line.code} billed by the practitioner in place of service {pos} (a "
                    "hospital setting); the hospital furnishes the drug and bills it, so it is not payable to "
                    "the practitioner",
                    rule.source,
                    line=line.number,
                    carc=spec.drug_carc,
                    fix=f"delete line {line.number}: the hospital reports the drug on its own claim; if the "
                    "injection was given in the practice's own office, correct the place of service (11)",
                )
            )
    return findings


def check_telehealth(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    for line in ctx.claim.lines:
        pos = _pos(ctx, line)
        if pos not in TELEHEALTH_POS:
            continue
        if line.code in INJECTION_CODES or ctx.drug_code_of(line) is not None:
            findings.append(
                finding(
                    "setting.telehealth-injection",
                    "error",
                    f"line {line.number}: {line.code} billed with telehealth place of service {pos}; an "
                    "injection is given in person",
                    TELEHEALTH_SOURCE,
                    line=line.number,
                    carc="CO-5",
                    fix="use the place of service where the injection was given (11 office, 12 home); bill a "
                    "telehealth visit on its own line with its own place of service",
                )
            )
    return findings


RULES = (check_facility_drug, check_telehealth)
