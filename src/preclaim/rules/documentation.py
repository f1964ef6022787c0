"""What the chart must show, per policy, as a checklist: met, missing, or unknown.

A fact the input cannot carry (an 837P has no lab values) is `unknown` and does not make a claim unclean;
only a fact known to be missing produces a warning finding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import NamedTuple, cast

from preclaim.domain.encounter import Encounter
from preclaim.domain.report import ChecklistItem, ChecklistStatus, Finding
from preclaim.policy.intervals import longest_gap, next_allowed
from preclaim.policy.schema import DocumentationItem
from preclaim.rules.base import RuleContext, finding
from preclaim.rules.facts import any_holds, earlier_doses
from preclaim.rules.modifiers import vial_type

# Serum B12 bands (pg/mL) and confirmatory tests: Independence Blue Cross policy 06.02.54c (low < 200,
# borderline 200-300, then MMA/homocysteine); MMA normal < 400 nmol/L, homocysteine normal < 14 umol/L
# (secondary sources). Used only when a policy item gives no threshold of its own.
B12_LOW, B12_BORDERLINE = 200.0, 300.0
MMA_HIGH, HCY_HIGH = 400.0, 14.0

Status = tuple[ChecklistStatus, str | None]


def _flag(value: bool | None, missing: str) -> Status:
    return ("unknown", None) if value is None else (("met", None) if value else ("missing", missing))


def _serum_b12(enc: Encounter, item: DocumentationItem, day: dt.date) -> Status:
    lab = enc.latest_lab("serum_b12")
    if lab is None:
        return "unknown", None
    if item.within_days is not None and (day - lab.date).days > item.within_days:
        return "missing", f"latest serum B12 is from {lab.date}, older than {item.within_days} days"
    limit = item.below if item.below is not None else B12_BORDERLINE
    if lab.value >= limit:
        return "missing", f"serum B12 {lab.value:g} {lab.unit} is not below {limit:g}"
    return "met", f"serum B12 {lab.value:g} {lab.unit} on {lab.date}"


def _deficiency(enc: Encounter) -> Status:
    lab = enc.latest_lab("serum_b12")
    mma, hcy = enc.latest_lab("methylmalonic_acid"), enc.latest_lab("homocysteine")
    if lab is not None and lab.value < B12_LOW:
        return "met", f"serum B12 {lab.value:g} {lab.unit} (low)"
    confirmed = (mma is not None and mma.value > MMA_HIGH) or (hcy is not None and hcy.value > HCY_HIGH)
    if lab is not None and lab.value < B12_BORDERLINE:
        if confirmed:
            return "met", "borderline serum B12 confirmed by methylmalonic acid or homocysteine"
        return (
            ("unknown", "borderline serum B12: add methylmalonic acid or homocysteine")
            if mma is hcy is None
            else ("missing", "borderline serum B12 without raised methylmalonic acid or homocysteine")
        )
    if lab is not None:
        return (
            "missing",
            f"serum B12 {lab.value:g} {lab.unit} is not low; document the deficiency-causing condition",
        )
    return ("met", "raised methylmalonic acid or homocysteine") if confirmed else ("unknown", None)


def _phase_applies(ctx: RuleContext, code: str) -> bool:
    cited = ctx.drug(code).frequency
    day = ctx.first_day
    if cited is None or day is None:
        return False
    interval = cited.value.maintenance_interval or cited.value.interval
    if interval is None:
        return False
    prior = [d for d in earlier_doses(ctx, code, day) if d.date < day]
    if not prior or (day - prior[-1].date).days >= longest_gap(interval):
        return False
    return day < next_allowed(prior[-1].date, interval)


def _status(ctx: RuleContext, code: str, item: DocumentationItem) -> Status | None:
    """None when the item does not apply to this claim."""
    enc = ctx.claim.encounter or Encounter()
    day = ctx.first_day or ctx.as_of
    need = item.requires
    if need == "waste_amount":
        kinds = {vial_type(ctx, line) for line in ctx.drug_lines}
        if kinds == {"multi-dose"}:
            return None
        return ("met", f"{enc.wasted_mcg:g} mcg discarded") if enc.wasted_mcg is not None else ("unknown", None)
    if need == "abn":
        if not any("GA" in line.modifiers for line in ctx.claim.lines):
            return None
        return _flag(enc.abn_on_file, "GA billed but no signed ABN on file")
    if need == "phase":
        if not _phase_applies(ctx, code):
            return None
        return (
            ("unknown", None)
            if enc.phase is None
            else (
                ("met", None)
                if enc.phase == "loading"
                else ("missing", "injections more often than monthly in maintenance")
            )
        )
    simple: dict[str, Status] = {
        "order_on_file": _flag(enc.order_on_file, "no signed order on file"),
        "dose": ("met", f"{enc.dose_mcg:g} mcg") if enc.dose_mcg is not None else ("unknown", None),
        "failed_oral_therapy": _flag(enc.failed_oral_therapy, "no documented failure of oral B12"),
        "chemo_schedule": ("met", f"{enc.chemo.drug} from {enc.chemo.first_dose}") if enc.chemo else ("unknown", None),
    }
    if need in simple:
        return simple[need]
    if need == "route":
        if enc.route is None:
            return "unknown", None
        ok = not item.routes or enc.route in item.routes
        return ("met", enc.route) if ok else ("missing", f"route {enc.route}; expected {' or '.join(item.routes)}")
    if need == "serum_b12":
        return _serum_b12(enc, item, day)
    return _deficiency(enc)


def _applies(ctx: RuleContext, code: str, item: DocumentationItem) -> bool:
    if not item.only_if_any:
        return True
    units = ctx.drug(code).units
    holds, _ = any_holds(ctx, code, item.only_if_any, units.value if units else None)
    return holds is not False


Entry = tuple[ChecklistItem, DocumentationItem, str]


def _chart_free(ctx: RuleContext, codes: tuple[str, ...]) -> bool:
    """True when the items of these codes depend on nothing but the claim's diagnoses (per policy, memoised)."""
    key = ("checklist-chart-free", codes)
    known = ctx.shared.get(key)
    if known is None:
        known = ctx.shared[key] = not any(
            c.fact != "diagnosis"
            for code in codes
            if (cited := ctx.drug(code).documentation)
            for item in cited.value
            for c in item.only_if_any
        )
    return known is True


class Documented(NamedTuple):
    """A claim's checklist entries, the items a report shows, and the warnings for what is missing."""

    entries: list[Entry]
    items: tuple[ChecklistItem, ...]
    findings: tuple[Finding, ...]


def documented(ctx: RuleContext) -> Documented:
    codes = ctx.drug_codes
    if ctx.claim.encounter is not None or not _chart_free(ctx, codes):
        return _document(_evaluate(ctx, codes))
    # Checklists of claims that carry no chart facts (X12 input) repeat: memoised, per policy, on all they
    # depend on.
    key = (
        "checklist",
        codes,
        tuple([dx.code for dx in ctx.claim.diagnoses]),
        frozenset([vial_type(ctx, line) for line in ctx.drug_lines]),
        any("GA" in line.modifiers for line in ctx.claim.lines),
        tuple([_phase_applies(ctx, code) for code in codes]),
    )
    memo = ctx.shared
    cached = memo.get(key)
    if cached is None:
        if len(memo) > 8192:
            memo.clear()
        cached = memo[key] = _document(_evaluate(ctx, codes))
    return cast("Documented", cached)


def _document(entries: list[Entry]) -> Documented:
    return Documented(entries, tuple([entry for entry, _, _ in entries]), tuple(documentation_findings(entries)))


def _evaluate(ctx: RuleContext, codes: tuple[str, ...]) -> list[Entry]:
    items: list[Entry] = []
    for code in codes:
        cited = ctx.drug(code).documentation
        if cited is None:
            continue
        for item in cited.value:
            if not _applies(ctx, code, item):
                continue
            status = _status(ctx, code, item)
            if status is None:
                continue
            source = cited.cite(item.source)
            items.append((ChecklistItem(item.item, status[0], source, item.id, status[1]), item, code))
    return items


def documentation_findings(items: list[tuple[ChecklistItem, DocumentationItem, str]]) -> Iterator[Finding]:
    for entry, item, code in items:
        # The frequency rule already reports injections sooner than maintenance allows.
        if entry.status == "missing" and item.requires != "phase":
            yield finding(
                f"documentation.{item.id}",
                "warning",
                f"{code}: the chart does not show: {entry.item}" + (f" ({entry.detail})" if entry.detail else ""),
                entry.source,
                cure="documentation",
                fix=f"document before billing: {entry.item}",
            )
