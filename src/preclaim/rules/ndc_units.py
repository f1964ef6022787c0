"""NDC present, well formed and consistent with the code; units that match the dose and the NDC quantity."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Final, cast

from preclaim.codes import normalize_ndc
from preclaim.codes.drug_model import Drug
from preclaim.domain.claim import ServiceLine
from preclaim.domain.quantity import Quantity as Amount
from preclaim.domain.quantity import units_needed
from preclaim.domain.report import Correction, Finding, Source
from preclaim.policy.resolver import Cited
from preclaim.policy.schema import NdcRules, Units
from preclaim.rules.base import Rule, RuleContext, finding, plural, units_text
from preclaim.rules.ncci import table_mue_governs

WASTE: Final = "JW"
NDC_FORMAT_SOURCE = Source(
    "ndc-format", "NDC reporting on professional claims: 11 digits 5-4-2 in loop 2410 (X12 RFI 2151; NUCC)"
)


def check_ndc(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    rules = ctx.claim_rules.ndc
    for line in ctx.claim.lines:
        if line.ndc is None:
            if rules is None:
                continue
            entry = ctx.codes.hcpcs(line.code)
            is_drug = ctx.drug_code_of(line) is not None or (entry is not None and entry.drug is not None)
            noc = entry is not None and entry.not_otherwise_classified
            if is_drug and (rules.value.required or (noc and rules.value.required_for_noc)):
                why = "this payer requires the NDC on drug lines" if rules.value.required else "unclassified codes"
                findings.append(
                    finding(
                        "ndc.missing",
                        "error",
                        f"line {line.number} ({line.code}) has no NDC; {why}",
                        rules.source,
                        line=line.number,
                        carc=rules.value.carc,
                        rarc=rules.value.rarc,
                        fix="report the 11-digit NDC in loop 2410 (LIN*N4) with quantity and unit (CTP, e.g. ML 1)",
                    )
                )
            continue
        findings.extend(_line_ndc(ctx, line, rules))
    return findings


def _line_ndc(ctx: RuleContext, line: ServiceLine, rules: Cited[NdcRules] | None) -> tuple[Finding, ...]:
    """_check_line_ndc, memoised per policy on all it reads of the line: a file repeats its NDC lines."""
    ndc = line.ndc
    assert ndc is not None
    quantity = ndc.quantity
    if quantity is None or not 0 < quantity < math.inf:  # a message then writes the quantity: not memoised
        return tuple(_check_line_ndc(ctx, line, rules))
    key = ("line-ndc", line.number, line.code, ndc.code, ndc.unit, ctx.drug_code_of(line))
    shared = ctx.shared
    known = shared.get(key)
    if known is None:
        known = shared[key] = tuple(_check_line_ndc(ctx, line, rules))
    return cast("tuple[Finding, ...]", known)


def _check_line_ndc(ctx: RuleContext, line: ServiceLine, rules: Cited[NdcRules] | None) -> list[Finding]:
    ndc = line.ndc  # read once: each read of a domain struct's field is an attribute lookup
    assert ndc is not None
    findings: list[Finding] = []
    if rules:
        source = rules.source
    else:
        fallback = _units_source(ctx, line)
        source = fallback.source if fallback else NDC_FORMAT_SOURCE
    spec = rules.value if rules else None
    carc, rarc = (spec.carc, spec.rarc) if spec else ("CO-16", ("M119",))
    ndc11, problem = _normalized(ctx, ndc.code)
    if ndc11 is None:
        findings.append(
            finding(
                "ndc.malformed",
                "error",
                f"line {line.number}: {problem}",
                source,
                line=line.number,
                carc=carc,
                rarc=rarc,
                fix="report the NDC as 11 digits in 5-4-2 form without dashes, e.g. 00517003125",
            )
        )
        return findings
    if ndc11 != ndc.code:
        findings.append(
            finding(
                "ndc.format",
                "error",
                f"line {line.number}: NDC {ndc.code!r} must be sent as 11 digits without dashes ({ndc11})",
                source,
                line=line.number,
                carc=carc,
                rarc=rarc,
                fix=f"report NDC {ndc11}",
                correction=Correction("set-ndc", ndc11),
            )
        )
    allowed = spec.allowed_units if spec else ("F2", "GR", "ME", "ML", "UN")
    quantity, unit = ndc.quantity, ndc.unit
    if unit is None or quantity is None or not 0 < quantity < math.inf:
        findings.append(
            finding(
                "ndc.quantity-missing",
                "error",
                f"line {line.number}: NDC quantity or unit (CTP04/CTP05) missing"
                if quantity is None or unit is None
                else f"line {line.number}: NDC quantity (CTP04) {quantity:g} is not an amount given",
                source,
                line=line.number,
                carc=carc,
                rarc=rarc,
                fix="report the quantity given, e.g. CTP****1*ML",
            )
        )
    elif unit not in allowed:
        findings.append(
            finding(
                "ndc.unit",
                "error",
                f"line {line.number}: NDC unit {unit!r} is not one of {', '.join(allowed)}",
                source,
                line=line.number,
                carc=carc,
                rarc=rarc,
                fix="use ML for injectable solutions",
            )
        )
    package = ctx.codes.ndc(ndc11)
    if package is None:
        return findings
    entry = ctx.codes.hcpcs(line.code)
    # Only a code that names a drug can contradict the NDC; NOC codes (J3490) accept any drug. Where the code set
    # names the code this NDC's drug has (J3424 billed for cyanocobalamin), the code rule reports it once.
    if (
        entry is not None
        and entry.drug is not None
        and entry.drug != package.drug
        and not (entry.use_instead and package.drug in entry.use_instead)
    ):
        findings.append(
            finding(
                "ndc.drug-mismatch",
                "error",
                f"line {line.number}: NDC {ndc11} is {package.drug} ({package.labeler}), "
                f"but {line.code} is {entry.drug}",
                package.source,
                line=line.number,
                carc=carc,
                rarc=rarc,
                fix=f"bill {package.drug} under {package.hcpcs}"
                if package.hcpcs
                else f"bill {package.drug} under J3490 with its name, dose and NDC, or correct the NDC",
            )
        )
    return findings


def _normalized(ctx: RuleContext, code: str) -> tuple[str | None, str | None]:
    """(the 11-digit NDC, None) or (None, what is wrong with it); memoised by the engine, as a file repeats a
    few NDCs."""
    key = ("ndc", code)
    known = cast("tuple[str | None, str | None] | None", ctx.shared.get(key))
    if known is None:
        try:
            known = (normalize_ndc(code), None)
        except ValueError as exc:
            known = (None, str(exc))
        ctx.shared[key] = known
    return known


def _units_source(ctx: RuleContext, line: ServiceLine) -> Cited[Units] | None:
    code = ctx.drug_code_of(line)
    return ctx.drug(code).units


def check_units(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    enc = ctx.claim.encounter
    for line in ctx.drug_lines:
        code = ctx.drug_code_of(line)
        units = ctx.drug(code).units
        if units is None or code is None:
            continue  # a wrong or unclassified code (J3424, J3490) is checked in the units of its right one
        spec = units.value
        drug = ctx.catalog_drug(code)
        billed = line.units  # read once: each read of a domain struct's field is an attribute lookup
        if not float(billed).is_integer():
            findings.append(
                finding(
                    "units.fraction",
                    "error",
                    f"line {line.number}: {line.code} units must be whole ({line.units:g})",
                    units.source,
                    line=line.number,
                    carc="CO-16",
                    rarc=("M53",),
                    fix=f"bill {max(1, math.ceil(round(line.units, 6)))} units",
                )
            )
        waste_line = WASTE in line.modifiers
        amount = None if enc is None else (enc.wasted if waste_line else enc.dose)
        dose_known = amount is not None and amount.value > 0
        if drug is not None and amount is not None and amount.value > 0:
            mass = ctx.mass(drug, amount, line)
            if mass is not None:
                want = units_needed(mass, drug.per_unit)
                if billed != want:
                    what = "wasted" if waste_line else "given"
                    findings.append(_dose_units(line, code, units, drug, f"{amount} {what}", want))
        # The dose, when known, already decides the units.
        if not dose_known and drug is not None and (disagrees := _check_ndc_quantity(ctx, line, billed, units, drug)):
            findings.append(disagrees)
        if spec.mue is not None and billed > spec.mue and not table_mue_governs(ctx, line):
            findings.append(
                finding(
                    "units.mue",
                    "error",
                    f"line {line.number}: {units_text(line.units)} units exceed the MUE of {spec.mue}",
                    units.source,
                    line=line.number,
                    carc=spec.mue_carc,
                    rarc=spec.mue_rarc,
                    fix=f"bill at most {spec.mue} units a day unless the payer's MUE rules allow more",
                )
            )
    return findings


def _dose_units(line: ServiceLine, code: str, units: Cited[Units], drug: Drug, amount: str, want: int) -> Finding:
    """Units that do not match the dose: more than it needs is a billing error (CO-16 M53); fewer is revenue
    the clinic does not claim (the payer pays what is billed), so a warning that says how much."""
    text = (
        f"line {line.number}: {amount} is {plural(want, 'unit')} of {code} "
        f"(1 unit = {'up to ' if drug.up_to else ''}{drug.per_unit}); billed {units_text(line.units)}"
    )
    correction = Correction("set-units", str(want))
    if line.units > want:
        return finding(
            "units.dose",
            "error",
            text,
            units.source,
            line=line.number,
            carc="CO-16",
            rarc=("M53",),
            fix=f"bill {plural(want, 'unit')}",
            correction=correction,
        )
    missing = want - line.units
    money = ""
    if line.charge is not None and line.units > 0:
        per_unit = line.charge / Decimal(str(line.units))
        money = f" (${per_unit * Decimal(str(missing)):,.2f} at this line's charge of ${per_unit:,.2f} a unit)"
    return finding(
        "units.dose",
        "warning",
        f"{text}: {plural(missing, 'unit')} not billed{money}; the payer pays only what is billed",
        units.source,
        line=line.number,
        fix=f"bill {plural(want, 'unit')} to be paid for the whole dose",
        correction=correction,
    )


def _check_ndc_quantity(
    ctx: RuleContext, line: ServiceLine, billed: float, units: Cited[Units], drug: Drug
) -> Finding | None:
    """An NDC quantity in mL means an amount through the package's strength (the drug catalog's); `billed` is
    the line's units."""
    spec = units.value
    ndc = line.ndc
    if ndc is None or spec.ndc_unit != "ML":
        return None
    quantity = ndc.quantity  # fields read once: each read of a domain struct's field is an attribute lookup
    if quantity is None or ndc.unit != "ML":
        return None
    if not 0 < quantity < math.inf:  # reported by ndc.quantity-missing
        return None
    key = ("ndc-units", drug.hcpcs, ndc.code, quantity)
    known = ctx.shared.get(key)
    if known is None:  # a file repeats a few NDCs and quantities: exact arithmetic once per pair
        strength = ctx.strength(drug, line)
        implied = None if strength is None else strength.times(quantity)
        known = ctx.shared[key] = (implied, 0 if implied is None else max(1, units_needed(implied, drug.per_unit)))
    implied, want = cast("tuple[Amount | None, int]", known)
    if implied is None:
        return None
    if want != billed:
        return finding(
            "units.ndc-quantity",
            "error",
            f"line {line.number}: NDC quantity {ndc.quantity:g} {ndc.unit} ({implied}) means "
            f"{plural(want, 'unit')}, but {units_text(line.units)} billed",
            units.source,
            line=line.number,
            carc="CO-16",
            rarc=("M53",),
            fix=f"make units and NDC quantity agree: {plural(want, 'unit')} for {ndc.quantity:g} {ndc.unit}, "
            "or correct the NDC quantity",
        )
    return None


RULES: tuple[Rule, ...] = (check_ndc, check_units)
