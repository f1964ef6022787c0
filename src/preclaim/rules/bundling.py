"""Same-day bundling: 99211 with 96372, E/M with 96372 needing modifier 25, 96372 in facility settings,
96372 units beyond the injections the claim bills."""

from __future__ import annotations

from preclaim.domain.claim import ServiceLine
from preclaim.domain.report import Correction, Finding, Source
from preclaim.rules.base import EM_CODES, INJECTION_CODES, Rule, RuleContext, finding, plural, units_text

CPT_99211 = Source(
    "cpt-96372-99211",
    "CPT 96372 guideline (as quoted by SuperCoder and AAPC): without the physician's direct supervision report "
    "99211, not 96372; with the injection, 99211 is not a separately identifiable visit (Medicare CR 3631 pays "
    "no 99211 with 96372, with or without modifier 25)",
    "https://www.supercoder.com/my-ask-an-expert/topic/96372-vs-99211",
)
INJECTION_UNITS = Source(
    "cpt-96372-units",
    "CPT 96372 (therapeutic, prophylactic or diagnostic injection, subcutaneous or intramuscular): one unit per "
    "separately given injection (CPT guideline as summarised by Coding Ahead; secondary)",
    "https://webhooks.codingahead.com/cpt/codes/96372",
)


def _em_25_review(ctx: RuleContext) -> tuple[str, Source] | None:
    """The claim's drug code that the drug catalog says CMS reviews with 96372 and E/M-25, with that source."""
    for code in ctx.drug_codes:
        drug = ctx.catalog_drug(code)
        if drug is not None and drug.em_25_review is not None:
            return code, drug.em_25_review
    return None


def check_bundling(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    rule = ctx.claim_rules.bundling
    if rule is None:
        return findings
    spec, src = rule.value, rule.source
    every = ctx.claim.lines  # fields read once: each read of a domain struct's field is an attribute lookup
    days = sorted({ln.date_of_service for ln in every})
    for day in days:
        lines = every if len(days) == 1 else ctx.lines_on(day)
        codes = [ln.code for ln in lines]
        injections = [ln for i, ln in enumerate(lines) if codes[i] in INJECTION_CODES]
        if not injections:
            continue
        for i, em in enumerate(lines):
            em_code = codes[i]
            if em_code not in EM_CODES:
                continue
            if em_code == "99211":
                findings.append(_99211(em.number, spec.no_99211_with_injection, spec.carc, src))
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
            elif "25" in em.modifiers and (review := _em_25_review(ctx)) is not None:
                code, source = review
                findings.append(
                    finding(
                        "bundling.em-25-audit",
                        "info",
                        f"line {em.number}: {code} + 96372 + {em.code}-25 is a combination CMS reviews after payment; "
                        "the note must show the separate visit",
                        source,
                        line=em.number,
                        cure="documentation",
                    )
                )
        # One 96372 unit (the usual claim) can never exceed the drug lines it needs to be flagged at all.
        if (len(injections) > 1 or injections[0].units > 1) and (
            too_many := _injection_units(ctx, injections, lines)
        ) is not None:
            findings.append(too_many)
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


def _99211(number: int, medicare: bool, carc: str, src: Source) -> Finding:
    """99211 with 96372: never the separately identifiable visit, so modifier 25 is no cure. Medicare does not
    pay it (CR 3631: an error); other payers usually bundle it (a warning)."""
    fix = (
        "remove the 99211 line; bill 99212-99215 with modifier 25 only for a significant, separately "
        "identifiable visit by the physician or practitioner"
    )
    if medicare:
        return finding(
            "bundling.99211-with-injection",
            "error",
            f"line {number}: 99211 is not paid with an injection (96372) on the same day",
            src,
            line=number,
            carc=carc,
            fix=fix,
        )
    return finding(
        "bundling.99211-bundled",
        "warning",
        f"line {number}: 99211 with an injection (96372) the same day is not a separately identifiable visit, "
        f"with or without modifier 25; payers usually bundle it ({carc})",
        CPT_99211,
        line=number,
        carc=carc,
        fix=fix,
    )


def _injection_units(ctx: RuleContext, injections: list[ServiceLine], lines: tuple[ServiceLine, ...]) -> Finding | None:
    """96372 is one unit per injection: more units than the drug lines given that day is flagged (a drug the
    patient brought is not billed, hence a warning)."""
    given = sum(1 for ln in lines if "JW" not in ln.modifiers and _is_drug(ctx, ln))
    billed = sum(inj.units for inj in injections)
    if not given or billed <= given:
        return None
    first = injections[0]
    return finding(
        "bundling.injection-units",
        "warning",
        f"line {first.number}: {units_text(billed)} units of 96372 on {first.date_of_service.isoformat()}, but "
        f"the claim bills {plural(given, 'injection')} (drug lines) that day; 96372 is one unit per injection",
        INJECTION_UNITS,
        line=first.number,
        carc="CO-151",
        fix=f"bill 96372 x {given}, one unit per injection given; if another injection used a drug the patient "
        "supplied, keep its unit and document the drug",
    )


def _is_drug(ctx: RuleContext, line: ServiceLine) -> bool:
    """A drug line: a drug this policy knows, a code the code set names a drug, or any J-code."""
    if ctx.drug_code_of(line) is not None or line.code[:1] == "J":
        return True
    entry = ctx.codes.hcpcs(line.code)
    return entry is not None and entry.drug is not None


RULES: tuple[Rule, ...] = (check_bundling,)
