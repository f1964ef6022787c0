"""Modifiers: JW/JZ by vial type, GA/GZ/GY/GX liability, PO/PN on professional claims, order and duplicates."""

from __future__ import annotations

from typing import Final

from preclaim.domain.claim import ServiceLine
from preclaim.domain.quantity import Quantity as Amount
from preclaim.domain.quantity import units_needed
from preclaim.domain.report import Correction, Finding, Source
from preclaim.policy.resolver import Cited
from preclaim.policy.schema import LiabilityModifiers, WasteModifiers
from preclaim.rules.base import Rule, RuleContext, finding, plural, units_text

LIABILITY: Final = ("GA", "GZ", "GY")
# Payment-affecting modifiers go first: many payers price on the first two positions only.
PAYMENT_FIRST: Final = ("25", "59", "XE", "XS", "XP", "XU", "JA", "JB")
INFORMATIONAL: Final = ("GA", "GZ", "GY", "GX", "KX", "JW", "JZ")
MODIFIER_SOURCE = Source(
    "cms-modifiers",
    "CMS Claims Processing Manual (Pub. 100-04) ch. 26 - item 24D modifiers, up to four per line",
    "https://www.cms.gov/Regulations-and-Guidance/Guidance/Manuals/Downloads/clm104c26pdf.pdf",
)


def vial_type(ctx: RuleContext, line: ServiceLine) -> str:
    enc = ctx.claim.encounter
    if enc is not None and enc.vial_type is not None:
        return enc.vial_type
    ndc = line.ndc  # read once: each read of a domain struct's field is an attribute lookup
    if ndc is not None:
        package = ctx.codes.ndc(ndc.code)
        if package is not None:
            return package.vial
    return "unknown"


def check_waste_modifiers(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    rule = ctx.claim_rules.waste_modifiers
    admin_lines = [ln for ln in ctx.drug_lines if "JW" not in ln.modifiers]
    if ctx.drug_lines and not admin_lines:  # every drug line carries JW
        first = ctx.drug_lines[0]
        findings.append(
            finding(
                "modifiers.jw-without-dose",
                "error",
                f"line {first.number}: only a JW (discarded amount) line is billed; the dose given has no line",
                rule.source if rule else MODIFIER_SOURCE,
                line=first.number,
                carc=rule.value.carc if rule else "CO-4",
                fix=f"bill the amount given on its own {first.code} line; JW marks only what was discarded",
            )
        )
    if rule is None:
        return findings
    waste_lines = [ln for ln in ctx.drug_lines if "JW" in ln.modifiers]
    for line in admin_lines:
        spec = rule.value
        pos = line.place_of_service or ctx.claim.place_of_service
        if (spec.required_from and line.date_of_service < spec.required_from) or pos in spec.exempt_pos:
            continue
        findings.extend(_waste_for_line(ctx, rule, line, waste_lines))
    return findings


def _waste_for_line(
    ctx: RuleContext, rule: Cited[WasteModifiers], line: ServiceLine, waste_lines: list[ServiceLine]
) -> list[Finding]:
    findings: list[Finding] = []
    kind = vial_type(ctx, line)
    carc, src = rule.value.carc, rule.source
    has_jz = "JZ" in line.modifiers
    if kind == "multi-dose":
        if has_jz:
            findings.append(
                finding(
                    "modifiers.jw-jz-multi-dose",
                    "error",
                    f"line {line.number}: JZ is not used for a multi-dose vial",
                    src,
                    line=line.number,
                    carc=carc,
                    fix="remove JZ (JW/JZ apply only to single-dose containers)",
                    correction=Correction("remove-modifier", "JZ"),
                )
            )
        for waste in waste_lines:
            findings.append(
                finding(
                    "modifiers.jw-multi-dose",
                    "error",
                    f"line {waste.number}: JW waste is not billed from a multi-dose vial",
                    src,
                    line=waste.number,
                    carc=carc,
                    fix=f"delete line {waste.number}; multi-dose vials have no billable waste",
                )
            )
        return findings
    if kind == "unknown":
        if not has_jz and not waste_lines:
            findings.append(_vial_unknown(ctx, line, src))
        return findings
    if (problem := _single_dose(ctx, rule, line, waste_lines)) is not None:
        findings.append(problem)
    return findings


def _vial_unknown(ctx: RuleContext, line: ServiceLine, src: Source) -> Finding:
    """Without an NDC nothing says which vial was used (for a drug whose packages are mostly multi-dose, no
    JW/JZ is the usual answer): information, not a warning that makes a correct claim unclean. An NDC whose
    listing does not state the dose type is worth a warning: the label decides."""
    # Most cyanocobalamin packages in the catalog are multi-dose vials, hence the info for J3420 lines.
    text = (
        f"line {line.number}: vial type unknown, so JW/JZ cannot be checked; single-dose vials need JZ "
        "(no waste) or a JW line (waste) since 2023-07-01"
    )
    if line.ndc is None:
        drug = ctx.catalog_drug(ctx.drug_code_of(line))
        key = ("mostly-multi-dose", drug.hcpcs if drug is not None else None)
        mostly = ctx.shared.get(key)
        if mostly is None:
            mostly = ctx.shared[key] = drug is not None and drug.mostly_multi_dose
        return finding(
            "modifiers.vial-unknown",
            "info",
            text + (f"; most {drug.substance} vials are multi-dose (no JW/JZ)" if drug is not None and mostly else ""),
            src,
            line=line.number,
            fix="nothing if the vial was multi-dose; otherwise report the NDC, and JZ or a JW line",
            cure="documentation",
        )
    return finding(
        "modifiers.vial-unknown",
        "warning",
        text + f"; the listing of NDC {line.ndc.code} does not state the dose type",
        src,
        line=line.number,
        fix="check the vial's label (single-dose or multi-dose) and record the vial type",
        cure="documentation",
    )


def _single_dose(
    ctx: RuleContext, rule: Cited[WasteModifiers], line: ServiceLine, waste_lines: list[ServiceLine]
) -> Finding | None:
    """The one JW/JZ problem of a single-dose vial line, if any."""
    carc, src = rule.value.carc, rule.source
    enc = ctx.claim.encounter
    wasted = enc.wasted if enc else None
    dose = enc.dose if enc else None
    has_jz = "JZ" in line.modifiers
    if has_jz and waste_lines:
        return finding(
            "modifiers.jw-with-jz",
            "error",
            f"line {line.number}: JZ (no waste) billed together with a JW waste line",
            src,
            line=line.number,
            carc=carc,
            fix="use JZ only when nothing was discarded",
        )
    if wasted is None:
        if not has_jz and not waste_lines:
            return finding(
                "modifiers.jz-missing",
                "error",
                f"line {line.number}: single-dose vial billed without JZ or a JW waste line",
                src,
                line=line.number,
                carc=carc,
                fix="add JZ if nothing was discarded, or a separate JW line for the discarded amount",
            )
        return None
    if wasted.value == 0:
        if not has_jz:
            return finding(
                "modifiers.jz-missing",
                "error",
                f"line {line.number}: single-dose vial with nothing discarded needs modifier JZ",
                src,
                line=line.number,
                carc=carc,
                fix="add modifier JZ",
                correction=Correction("add-modifier", "JZ"),
            )
        return None
    drug = ctx.catalog_drug(ctx.drug_code_of(line) or line.code)
    if drug is None:
        return None  # the amount a unit stands for is the catalog's
    given_amount = ctx.mass(drug, dose, line) if dose is not None and dose.value else None
    wasted_amount = ctx.mass(drug, wasted, line)
    if wasted_amount is None:
        return None
    given = max(1, units_needed(given_amount, drug.per_unit)) if given_amount is not None else line.units
    used: Amount = given_amount if given_amount is not None else drug.per_unit.times(given)
    total = max(1, units_needed(used.plus(wasted_amount), drug.per_unit))
    extra = total - given
    if extra <= 0 and waste_lines:
        return finding(
            "modifiers.jw-covered",
            "error",
            f"the {plural(given, 'unit')} billed already cover the {wasted} discarded; a JW line overbills",
            src,
            line=waste_lines[0].number,
            carc=carc,
            fix=f"delete JW line {waste_lines[0].number}",
        )
    if extra <= 0 and not waste_lines and not has_jz:
        return finding(
            "modifiers.jz-missing",
            "error",
            f"line {line.number}: single-dose vial billed without JZ or JW; the units billed ({units_text(given)}) "
            f"already cover the {wasted} discarded, so there is no billable waste",
            src,
            line=line.number,
            carc=carc,
            fix="add modifier JZ: when the billed units cover the dose and the discarded amount, CMS expects one "
            "line with JZ and no JW line (CMS JW/JZ modifier FAQ)",
            correction=Correction("add-modifier", "JZ"),
        )
    if extra > 0 and not waste_lines:
        return finding(
            "modifiers.jw-missing",
            "error",
            f"line {line.number}: {wasted} discarded from a single-dose vial is not reported with JW",
            src,
            line=line.number,
            carc=carc,
            fix=f"add a line {line.code}-JW for {plural(extra, 'unit')} and document the amount discarded",
        )
    return None


def check_liability_modifiers(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    rule = ctx.claim_rules.liability_modifiers
    if rule is None or not rule.value.enabled:
        return findings
    enc = ctx.claim.encounter
    for line in ctx.claim.lines:
        if not line.modifiers:
            continue  # nothing to check
        found = [m for m in line.modifiers if m in LIABILITY]
        if len(found) > 1:
            findings.append(
                finding(
                    "modifiers.liability-conflict",
                    "error",
                    f"line {line.number}: {' and '.join(found)} together; GA, GZ and GY never share a line",
                    rule.source,
                    line=line.number,
                    carc="CO-4",
                    fix="keep GA if an ABN was signed, GZ if none was, GY for a statutory exclusion",
                )
            )
            continue
        if "GX" in line.modifiers and any(m in ("GA", "GZ") for m in line.modifiers):
            findings.append(
                finding(
                    "modifiers.gx-conflict",
                    "error",
                    f"line {line.number}: GX is not used with GA or GZ",
                    rule.source,
                    line=line.number,
                    carc="CO-4",
                    fix="GX (voluntary ABN) pairs only with GY",
                )
            )
        if found:
            findings.extend(_liability_outcome(rule, line, found, enc.abn_on_file if enc else None))
    return findings


def _liability_outcome(
    rule: Cited[LiabilityModifiers], line: ServiceLine, found: list[str], abn: bool | None
) -> list[Finding]:
    findings: list[Finding] = []
    if found == ["GA"]:
        if abn is False:
            findings.append(
                finding(
                    "modifiers.ga-without-abn",
                    "error",
                    f"line {line.number}: GA says an ABN was given, but none is on file",
                    rule.source,
                    line=line.number,
                    carc="CO-50",
                    fix="use GZ if no ABN was signed (the clinic is liable), or file the signed ABN",
                )
            )
        else:
            findings.append(
                finding(
                    "modifiers.ga",
                    "info",
                    f"line {line.number}: GA - if Medicare denies the line the patient pays (ABN on file)",
                    rule.source,
                    line=line.number,
                    carc="PR-50",
                    cure="none",
                )
            )
    elif found == ["GZ"]:
        findings.append(
            finding(
                "modifiers.gz",
                "error",
                f"line {line.number}: GZ - the line is expected to deny as not reasonable and necessary, clinic liable",
                rule.source,
                line=line.number,
                carc="CO-50",
                cure="none",
                fix="obtain an ABN before the service next time (then GA); the patient cannot be billed without one",
            )
        )
    elif found == ["GY"]:
        findings.append(
            finding(
                "modifiers.gy",
                "info",
                f"line {line.number}: GY - statutorily excluded; denial expected, patient liable",
                rule.source,
                line=line.number,
                carc="PR-96",
                cure="none",
            )
        )
    return findings


def check_modifier_form(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    for line in ctx.claim.lines:
        if not line.modifiers:
            continue  # nothing to check
        mods = list(line.modifiers)
        unique = list(dict.fromkeys(mods))
        if len(mods) > 4:
            findings.append(
                finding(
                    "modifiers.too-many",
                    "error",
                    f"line {line.number}: {len(mods)} modifiers; a line carries at most 4",
                    MODIFIER_SOURCE,
                    line=line.number,
                    carc="CO-4",
                    fix="keep the four that affect payment first",
                )
            )
        for mod in unique:
            if ctx.codes.modifier(mod) is None:
                findings.append(
                    finding(
                        "modifiers.unknown",
                        "warning",
                        f"line {line.number}: modifier {mod!r} is not a known modifier",
                        MODIFIER_SOURCE,
                        line=line.number,
                        carc="CO-4",
                        fix=f"remove or correct {mod!r}",
                        correction=Correction("remove-modifier", mod),
                    )
                )
            elif mod in ("PO", "PN"):
                findings.append(
                    finding(
                        "modifiers.po-pn-professional",
                        "error",
                        f"line {line.number}: {mod} belongs on the hospital's institutional claim, "
                        "not on a professional claim",
                        MODIFIER_SOURCE,
                        line=line.number,
                        carc="CO-4",
                        fix=f"remove {mod}; show the setting with place of service 19 or 22",
                        correction=Correction("remove-modifier", mod),
                    )
                )
        ordered = sorted(unique, key=_order_key)
        if ordered != mods:
            findings.append(
                finding(
                    "modifiers.order",
                    "info",
                    f"line {line.number}: modifiers {'-'.join(mods)} read better as {'-'.join(ordered)} "
                    "(payment modifiers first, no repeats)",
                    MODIFIER_SOURCE,
                    line=line.number,
                    fix=f"send modifiers in the order {' '.join(ordered)}",
                    correction=Correction("set-modifiers", ":".join(ordered)),
                )
            )
    return findings


def _order_key(mod: str) -> int:
    if mod in PAYMENT_FIRST:
        return 0
    return 2 if mod in INFORMATIONAL else 1


RULES: tuple[Rule, ...] = (check_waste_modifiers, check_liability_modifiers, check_modifier_form)
