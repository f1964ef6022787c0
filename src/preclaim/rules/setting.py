"""Where the injection was given: a drug billed by the practitioner in a facility, an injection billed as
telehealth.

In a hospital (POS 19, 21, 22, 23) the hospital furnishes the drug and bills it; the practitioner's drug line
is not payable to him (incident-to needs the drug to be his expense: Medicare Benefit Policy Manual ch. 15 §50.3
and §60), so the policy's `incident_to` section lists those places. An intramuscular or subcutaneous injection
is given in person; telehealth places of service (02, 10) describe services over telecommunication, and 96372
and the drug codes are not on CMS's list of telehealth services (the drug catalog cites it per drug): a coding
convention for every payer.
"""

from __future__ import annotations

from preclaim.domain.claim import ServiceLine
from preclaim.domain.report import Finding, Source
from preclaim.rules.base import INJECTION_CODES, RuleContext, finding

TELEHEALTH_POS = frozenset({"02", "10"})
TELEHEALTH_SOURCE = Source(
    "cms-pos-telehealth",
    "CMS Place of Service code set: 02 and 10 are telehealth (services through telecommunication); 96372 is not "
    "on the CMS list of Medicare telehealth services",
    "https://www.cms.gov/medicare/coverage/telehealth/list-services",
)


def check_setting(ctx: RuleContext) -> list[Finding]:
    """Run by the place-of-service rule when the claim has a place of service `watched` returns."""
    findings: list[Finding] = []
    claim = ctx.claim
    rule = ctx.claim_rules.incident_to
    for line in claim.lines:
        pos = line.place_of_service or claim.place_of_service
        drug = ctx.drug_code_of(line) is not None
        if rule is not None and drug and pos in rule.value.drug_not_payable_pos:
            findings.append(_facility_drug(line, pos, rule.value.drug_carc, rule.source))
        if pos in TELEHEALTH_POS and (drug or line.code in INJECTION_CODES):
            findings.append(_telehealth(line, pos, _telehealth_source(ctx)))
    return findings


def watched(ctx: RuleContext) -> frozenset[str]:
    """The places of service either check looks at under this policy (memoised per policy)."""
    found: frozenset[str] | None = ctx.shared.get("setting-pos")  # type: ignore[assignment]
    if found is None:
        rule = ctx.claim_rules.incident_to
        found = TELEHEALTH_POS | frozenset(rule.value.drug_not_payable_pos if rule is not None else ())
        ctx.shared["setting-pos"] = found
    return found


def _facility_drug(line: ServiceLine, pos: str, carc: str, source: Source) -> Finding:
    return finding(
        "setting.facility-drug",
        "error",
        f"line {line.number}: {line.code} billed by the practitioner in place of service {pos} (a hospital "
        "setting); the hospital furnishes the drug and bills it, so it is not payable to the practitioner",
        source,
        line=line.number,
        carc=carc,
        fix=f"delete line {line.number}: the hospital reports the drug on its own claim; if the injection was "
        "given in the practice's own office, correct the place of service (11)",
    )


def _telehealth_source(ctx: RuleContext) -> Source:
    """The drug catalog's source for the claim's drug code, else the place-of-service code set alone."""
    for code in ctx.drug_codes:
        drug = ctx.catalog_drug(code)
        if drug is not None and drug.telehealth_source is not None:
            return drug.telehealth_source
    return TELEHEALTH_SOURCE


def _telehealth(line: ServiceLine, pos: str, source: Source) -> Finding:
    return finding(
        "setting.telehealth-injection",
        "error",
        f"line {line.number}: {line.code} billed with telehealth place of service {pos}; an injection is given "
        "in person",
        source,
        line=line.number,
        carc="CO-5",
        fix="use the place of service where the injection was given (11 office, 12 home); bill a telehealth "
        "visit on its own line with its own place of service",
    )
