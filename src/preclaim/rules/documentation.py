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
from preclaim.policy.schema import DocumentationItem
from preclaim.rules.base import UNKNOWN, RuleContext, finding
from preclaim.rules.facts import any_holds, earlier_doses, maintenance_of, next_due
from preclaim.rules.modifiers import vial_type

Status = tuple[ChecklistStatus, str | None]


def _flag(value: bool | None, missing: str) -> Status:
    return ("unknown", None) if value is None else (("met", None) if value else ("missing", missing))


def _lab(ctx: RuleContext, code: str, enc: Encounter, item: DocumentationItem, day: dt.date) -> Status:
    """A lab drawn recently enough and below the item's threshold (else the catalog's borderline band)."""
    loinc = item.loinc or ""
    lab = enc.latest_lab(loinc)
    if lab is None:
        return "unknown", None
    drug = ctx.catalog_drug(code)
    test = drug.lab(loinc) if drug is not None else None
    name = test.label if test is not None else f"LOINC {loinc}"
    if item.within_days is not None and (day - lab.date).days > item.within_days:
        return "missing", f"latest {name} is from {lab.date}, older than {item.within_days} days"
    limit = item.below if item.below is not None else (test.borderline if test is not None else None)
    if limit is not None and lab.value >= limit:
        return "missing", f"{name} {lab.value:g} {lab.unit} is not below {limit:g}"
    return "met", f"{name} {lab.value:g} {lab.unit} on {lab.date}"


def _deficiency(ctx: RuleContext, code: str, enc: Encounter) -> Status:
    """The deficiency the drug treats, from the catalog's lab bands: the marker test low; or borderline and
    confirmed by a raised confirming test; else a documented condition that causes it."""
    drug = ctx.catalog_drug(code)
    marker = drug.marker_lab if drug is not None else None
    confirming = drug.confirming_labs if drug is not None else ()
    results = [(test, enc.latest_lab(test.loinc)) for test in confirming]
    names = " or ".join(test.label for test in confirming)
    confirmed = any(r is not None and t.high is not None and r.value > t.high for t, r in results)
    lab = enc.latest_lab(marker.loinc) if marker is not None else None
    if marker is not None and lab is not None:
        if marker.low is not None and lab.value < marker.low:
            return "met", f"{marker.label} {lab.value:g} {lab.unit} (low)"
        if marker.borderline is not None and lab.value < marker.borderline:
            if confirmed:
                return "met", f"borderline {marker.label} confirmed by {names}"
            return (
                ("unknown", f"borderline {marker.label}: add {names}")
                if all(r is None for _, r in results)
                else ("missing", f"borderline {marker.label} without raised {names}")
            )
        return (
            "missing",
            f"{marker.label} {lab.value:g} {lab.unit} is not low; document the deficiency-causing condition",
        )
    return ("met", f"raised {names}") if confirmed else ("unknown", None)


def _phase_applies(ctx: RuleContext, code: str) -> bool:
    day = ctx.first_day
    found = maintenance_of(ctx, code)
    if found is None or day is None:
        return False
    interval, longest = found
    last: dt.date | None = None
    for dose in reversed(earlier_doses(ctx, code, day)):  # by date: the first one before `day` is the last dose
        if dose.date < day:
            last = dose.date
            break
    if last is None or (day - last).days >= longest:
        return False
    return day < next_due(ctx, code, interval, last)


def _status(ctx: RuleContext, code: str, item: DocumentationItem) -> Status | None:
    """None when the item does not apply to this claim."""
    enc = ctx.claim.encounter or Encounter()
    day = ctx.first_day or ctx.as_of
    need = item.requires
    if need == "waste_amount":
        kinds = {vial_type(ctx, line) for line in ctx.drug_lines}
        if kinds == {"multi-dose"}:
            return None
        return ("met", f"{enc.wasted} discarded") if enc.wasted is not None else ("unknown", None)
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
        "dose": ("met", f"{enc.dose}") if enc.dose is not None else ("unknown", None),
        "failed_oral_therapy": _flag(enc.failed_oral_therapy, f"no documented failure of oral {ctx.label(code)}"),
        "chemo_schedule": ("met", f"{enc.chemo.drug} from {enc.chemo.first_dose}") if enc.chemo else ("unknown", None),
    }
    if need in simple:
        return simple[need]
    if need == "route":
        if enc.route is None:
            return "unknown", None
        ok = not item.routes or enc.route in item.routes
        return ("met", enc.route) if ok else ("missing", f"route {enc.route}; expected {' or '.join(item.routes)}")
    if need == "lab":
        return _lab(ctx, code, enc, item, day)
    return _deficiency(ctx, code, enc)


def _applies(ctx: RuleContext, code: str, item: DocumentationItem) -> bool:
    if not item.only_if_any:
        return True
    units = ctx.drug(code).units
    holds, _ = any_holds(ctx, code, item.only_if_any, units.value if units else None)
    return holds is not False


Entry = tuple[ChecklistItem, DocumentationItem, str]


# What a chart-free checklist of a policy's codes depends on besides them: (the claim's diagnoses, its vial
# types, GA on a line, the loading phase applying); each True when an item needs it.
_Needs = tuple[bool, bool, bool, bool]


def _chart_free_needs(ctx: RuleContext, codes: tuple[str, ...]) -> _Needs | None:
    """What the items of these codes depend on, when that is nothing a chart says (per policy, memoised); None
    when an item depends on a chart fact."""
    key = ("checklist-chart-free", codes)
    known = ctx.shared.get(key, UNKNOWN)
    if known is UNKNOWN:
        items = [item for code in codes if (cited := ctx.drug(code).documentation) for item in cited.value]
        needs: _Needs | None = (
            any(item.only_if_any for item in items),
            any(item.requires == "waste_amount" for item in items),
            any(item.requires == "abn" for item in items),
            any(item.requires == "phase" for item in items),
        )
        if any(c.fact != "diagnosis" for item in items for c in item.only_if_any):
            needs = None
        known = ctx.shared[key] = needs
    return cast("_Needs | None", known)


class Documented(NamedTuple):
    """A claim's checklist entries, the items a report shows, and the warnings for what is missing."""

    entries: list[Entry]
    items: tuple[ChecklistItem, ...]
    findings: tuple[Finding, ...]


def documented(ctx: RuleContext) -> Documented:
    codes = ctx.drug_codes
    needs = _chart_free_needs(ctx, codes) if ctx.claim.encounter is None else None
    if needs is None:
        return _document(_evaluate(ctx, codes))
    # Checklists of claims that carry no chart facts (X12 input) repeat: memoised, per policy, on all they
    # depend on (what no item of the policy needs is left out of the key, and not worked out).
    diagnoses, waste, abn, phase = needs
    key = (
        "checklist",
        codes,
        tuple([dx.code for dx in ctx.claim.diagnoses]) if diagnoses else None,
        frozenset([vial_type(ctx, line) for line in ctx.drug_lines]) if waste else None,
        any("GA" in line.modifiers for line in ctx.claim.lines) if abn else None,
        tuple([_phase_applies(ctx, code) for code in codes]) if phase else None,
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
