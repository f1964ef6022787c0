"""CMS NCCI edits from the imported practitioner tables: procedure-to-procedure pairs on one date of service, and
medically unlikely edits (units per line or per day). A payer opts in with the policy section `ncci`; without
imported tables the engine does not run these rules; a policy's own MUE (`units.mue`) is checked with the units.

PTP (CMS PTP page; First Coast "CO 236" page on the modifiers): when both codes of an edit are billed for the
same date of service, the column 2 line is denied. Indicator 0: no modifier helps. Indicator 1: an
NCCI-associated modifier on the column 2 line lets both pay when the services were distinct (from 2019-07-01,
59/XE/XS/XP/XU may sit on either line for Part B). Indicator 9: the edit does not apply.
MUE (NGS and Palmetto MUE articles): MAI 1 is a claim-line edit; MAI 2 and 3 count every line of the code on
the date of service.
"""

from __future__ import annotations

import datetime as dt

from preclaim.codes.ncci_tables import MueEdit, MueQuarter, NcciTables, PtpEdit, mue_source
from preclaim.domain.claim import ServiceLine
from preclaim.domain.report import Finding
from preclaim.policy.schema import Ncci
from preclaim.rules import bundling
from preclaim.rules.base import EM_CODES, INJECTION_CODES, Rule, RuleContext, finding, plural, units_text

DISTINCT = frozenset({"59", "XE", "XS", "XP", "XU"})
# NCCI-associated modifiers, as First Coast lists them from the NCCI Policy Manual.
NCCI_MODIFIERS = DISTINCT | frozenset(
    {"E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "TA", "T1", "T2", "T3"}
    | {"T4", "T5", "T6", "T7", "T8", "T9", "LT", "RT", "LC", "LD", "RC", "LM", "RI", "24", "25", "57", "58", "78"}
    | {"79", "27", "91"}
)
EITHER_LINE_FROM = dt.date(2019, 7, 1)
# Bundling findings about the same pair of lines: the PTP edit would repeat them.
_BUNDLING_SAME_PAIR = frozenset(
    {"bundling.99211-with-injection", "bundling.em-needs-25", "bundling.injection-facility-pos"}
)
_MAI_TEXT = {
    1: "a claim-line edit",
    2: "a date-of-service edit set by policy: units above it are not paid, even on appeal",
    3: "a date-of-service edit set on clinical grounds: units above it are paid only on appeal with records",
}


def _is_em(code: str) -> bool:
    return code.startswith("99") and code.isdigit() and 99201 <= int(code) <= 99499


def _bypassed(column1: ServiceLine, column2: ServiceLine, day: dt.date) -> bool:
    """Does an NCCI-associated modifier let an indicator-1 pair pay? 59/X{EPSU} never on E/M, 25 only on E/M."""
    em = _is_em(column2.code)
    for modifier in column2.modifiers:
        if modifier in NCCI_MODIFIERS and not (em and modifier in DISTINCT) and (modifier != "25" or em):
            return True
    return day >= EITHER_LINE_FROM and not _is_em(column1.code) and any(m in DISTINCT for m in column1.modifiers)


def _bundling_pair(first: str, second: str) -> bool:
    """An E/M code with an injection code: the pair the bundling rule judges."""
    return (first in EM_CODES and second in INJECTION_CODES) or (second in EM_CODES and first in INJECTION_CODES)


def _bundling_lines(ctx: RuleContext) -> frozenset[int]:
    """Lines the same-day bundling rule already denies for this claim (computed only when a PTP edit hits)."""
    key = "ncci.bundling-lines"
    known = ctx.memo.get(key)
    if known is None:
        found = bundling.check_bundling(ctx)
        known = ctx.memo[key] = frozenset(f.line for f in found if f.rule in _BUNDLING_SAME_PAIR and f.line)
    return known  # type: ignore[return-value]


def _ptp_finding(spec: Ncci, tables: NcciTables, edit: PtpEdit, col1: ServiceLine, col2: ServiceLine) -> Finding:
    edit_text = (
        f"NCCI PTP edit column 1 {col1.code} / column 2 {col2.code}, modifier indicator {edit.indicator}"
        f" ({edit.rationale or 'no rationale given'})"
    )
    with_what = f"with {col1.code} (line {col1.number}) on {col2.date_of_service}"
    if edit.indicator == 0:
        return finding(
            "ncci.ptp",
            "error",
            f"line {col2.number}: {col2.code} is not paid {with_what}, whatever the modifiers: {edit_text}",
            tables.ptp_source(edit),
            line=col2.number,
            carc=spec.ptp_carc,
            fix=f"remove the {col2.code} line: its payment is included in {col1.code}",
        )
    if _is_em(col2.code):
        how = f"add modifier 25 to line {col2.number} if the visit was significant and separately identifiable"
    else:
        how = (
            f"add XE, XS, XP or XU (or 59) to line {col2.number} if the services were distinct (separate encounter, "
            "site or practitioner)"
        )
    return finding(
        "ncci.ptp-modifier",
        "error",
        f"line {col2.number}: {col2.code} billed {with_what} needs an NCCI-associated modifier: {edit_text}",
        tables.ptp_source(edit),
        line=col2.number,
        carc=spec.ptp_modifier_carc,
        fix=f"{how} and the chart shows it; otherwise remove the {col2.code} line",
    )


def check_ncci(ctx: RuleContext) -> list[Finding]:
    """PTP pairs and MUEs from the imported tables, for payers whose policy has the `ncci` section."""
    findings: list[Finding] = []
    tables = ctx.codes.ncci
    rule = ctx.claim_rule("ncci", Ncci) if tables is not None else None
    if tables is None or rule is None:
        return findings
    spec, lines = rule.value, ctx.claim.lines
    if spec.ptp and tables.has_ptp and len(lines) > 1:
        findings.extend(_ptp_finding(spec, tables, *hit) for hit in _ptp_hits(ctx, tables, lines))
    if spec.mue and tables.has_mue:
        _check_mue(spec, tables, lines, findings)
    return findings


def _ptp_hits(
    ctx: RuleContext, tables: NcciTables, lines: tuple[ServiceLine, ...]
) -> list[tuple[PtpEdit, ServiceLine, ServiceLine]]:
    """(edit, column 1 line, column 2 line) per denied line: one each, the most restrictive edit (0 before 1)."""
    hits: list[tuple[PtpEdit, ServiceLine, ServiceLine]] = []
    for col2 in lines:
        day = col2.date_of_service
        best: tuple[PtpEdit, ServiceLine, ServiceLine] | None = None
        for col1 in lines:
            if col1.code == col2.code or col1.date_of_service != day:
                continue
            edit = tables.ptp_in_force(col1.code, col2.code, day)
            if edit is None or edit.indicator == 9 or (edit.indicator == 1 and _bypassed(col1, col2, day)):
                continue
            reported = _bundling_lines(ctx)
            if col2.number in reported or (col1.number in reported and _bundling_pair(col1.code, col2.code)):
                continue  # one finding per problem: the bundling rule already denies this pair
            if best is None or edit.indicator < best[0].indicator:
                best = (edit, col1, col2)
        if best is not None:
            hits.append(best)
    return hits


def _mue_finding(spec: Ncci, edit: MueEdit, quarter: MueQuarter, lines: list[ServiceLine], units: float) -> Finding:
    first = lines[0]
    where = f"line {first.number}" if len(lines) == 1 else f"lines {', '.join(str(ln.number) for ln in lines)}"
    per = "on one line" if edit.mai == 1 else f"on {first.date_of_service}"
    if edit.mai == 1:
        fix = (
            f"bill at most {plural(edit.value, 'unit')} on the line; medically necessary units beyond it go on another "
            "line with 76, 77, an anatomic modifier or XE/XS/XP/XU (59)"
        )
    else:
        fix = f"bill at most {plural(edit.value, 'unit')} of {edit.code} for the day, over all its lines"
    return finding(
        "units.mue",
        "error",
        f"{where}: {units_text(units)} units of {edit.code} {per} exceed the CMS MUE of {edit.value} "
        f"(MAI {edit.mai}, {_MAI_TEXT[edit.mai]})",
        mue_source(edit, quarter),
        line=first.number,
        carc=spec.mue_carc,
        rarc=spec.mue_rarc,
        fix=fix,
    )


def _table(ctx: RuleContext) -> tuple[Ncci, NcciTables] | None:
    """The payer's NCCI section and the imported MUE table, when both apply to this claim."""
    tables = ctx.codes.ncci
    if tables is None or not tables.has_mue:
        return None
    rule = ctx.claim_rule("ncci", Ncci)
    return (rule.value, tables) if rule is not None and rule.value.mue else None


def table_mue_governs(ctx: RuleContext, line: ServiceLine) -> bool:
    """True when an imported CMS MUE row judges this line: a policy's own units.mue then gives way to it."""
    applies = _table(ctx)
    return applies is not None and applies[1].mue(line.code, line.date_of_service) is not None


def _check_mue(spec: Ncci, tables: NcciTables, lines: tuple[ServiceLine, ...], findings: list[Finding]) -> None:
    """Units above the imported CMS MUE: per line for MAI 1, per code and date of service for MAI 2 and 3."""
    per_day: dict[tuple[str, dt.date], tuple[MueEdit, MueQuarter, list[ServiceLine]]] = {}
    for line in lines:
        found = tables.mue(line.code, line.date_of_service)
        if found is None:
            continue
        edit, quarter = found
        if edit.mai == 1:
            if line.units > edit.value:
                findings.append(_mue_finding(spec, edit, quarter, [line], line.units))
        else:
            per_day.setdefault((line.code, line.date_of_service), (edit, quarter, []))[2].append(line)
    for edit, quarter, same_day in per_day.values():
        total = sum(ln.units for ln in same_day)
        if total > edit.value:
            findings.append(_mue_finding(spec, edit, quarter, same_day, total))


# It needs imported tables: the engine runs it only then (rules.rules_for), so a check without tables costs
# nothing more than before. A policy's own MUE is checked with the units (ndc_units.check_units).
RULES: tuple[Rule, ...] = (check_ncci,)
