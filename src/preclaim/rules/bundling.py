"""Same-day bundling: 99211 with 96372, E/M with 96372 needing modifier 25, 96372 in facility settings."""

from __future__ import annotations

from preclaim.domain.report import Correction, Finding, Source
from preclaim.policy.schema import Bundling
from preclaim.rules.base import EM_CODES, INJECTION_CODES, RuleContext, finding

SMRC_AUDIT = Source(
    "smrc-01-080",
    "CMS Supplemental Medical Review Contractor project 01-080: J3420 with 96372 and E/M-25",
    "https://noridiansmrc.com/current-projects/01-080/",
)


def check_bundling(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    rule = ctx.claim_rule("bundling", Bundling)
    if rule is None:
        return findings
    spec, src = rule.value, rule.source
    days = sorted({ln.date_of_service for ln in ctx.claim.lines})
    for day in days:
        lines = ctx.claim.lines if len(days) == 1 else ctx.lines_on(day)
        injections = [ln for ln in lines if ln.code in INJECTION_CODES]
        if not injections:
            continue
        for em in lines:
            if em.code not in EM_CODES:
                continue
            if em.code == "99211" and spec.no_99211_with_injection:
                findings.append(
                    finding(
                        "bundling.99211-with-injection",
                        "error",
                        f"line {em.number}: 99211 is not paid with an injection (96372) on the same day",
                        src,
                        line=em.number,
                        carc=spec.carc,
                        fix="remove the 99211 line; bill 99212-99215 with modifier 25 only for a significant, "
                        "separately identifiable visit",
                    )
                )
            elif "25" not in em.modifiers and spec.em_with_injection_needs_25:
                findings.append(
                    finding(
                        "bundling.em-needs-25",
                        "error",
                        f"line {em.number}: {em.code} billed with 96372 on the same day without modifier 25",
                        src,
                        line=em.number,
                        carc=spec.carc,
                        fix=f"add modifier 25 to {em.code} if the visit was significant and separately identifiable "
                        "(and documented); otherwise remove it",
                        correction=Correction("add-modifier", "25"),
                    )
                )
            elif "25" in em.modifiers and ctx.drug_lines:
                findings.append(
                    finding(
                        "bundling.em-25-audit",
                        "info",
                        f"line {em.number}: J3420 + 96372 + {em.code}-25 is a combination CMS reviews after payment; "
                        "the note must show the separate visit",
                        SMRC_AUDIT,
                        line=em.number,
                        cure="documentation",
                    )
                )
        for inj in injections:
            if "25" in inj.modifiers:
                findings.append(
                    finding(
                        "bundling.25-on-injection",
                        "error",
                        f"line {inj.number}: modifier 25 belongs on the E/M line, never on {inj.code}",
                        src,
                        line=inj.number,
                        carc="CO-4",
                        fix=f"remove 25 from {inj.code}",
                        correction=Correction("remove-modifier", "25"),
                    )
                )
            pos = inj.place_of_service or ctx.claim.place_of_service
            if pos in spec.facility_pos_injection_not_payable:
                findings.append(
                    finding(
                        "bundling.injection-facility-pos",
                        "error",
                        f"line {inj.number}: {inj.code} is not separately paid to the practitioner in place of service "
                        f"{pos}",
                        src,
                        line=inj.number,
                        carc=spec.carc,
                        fix=f"remove the {inj.code} line; the facility reports the administration",
                    )
                )
    return findings


RULES = (check_bundling,)
