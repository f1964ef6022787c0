"""One-page checklist for a payer plan: what the desk verifies before a drug injection is billed, each line cited.

Built from the resolved policy layers (the same resolution the engine uses), so the sheet never says more
than the policies on file. HTML (templates/checklist.html) and PDF (checklist_pdf.py) render this data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from preclaim.codes.drugs import bundled_catalog
from preclaim.domain.report import PolicyRef, Source
from preclaim.policy import PayerKey, Policy, PolicyLibrary, ResolvedPolicy, source_of
from preclaim.policy.intervals import maintenance_text
from preclaim.policy.resolver import Cited
from preclaim.policy.schema import (
    Coverage,
    DiagnosisEntry,
    DocumentationItem,
    Frequency,
    PriorAuth,
    TimelyFiling,
    Units,
)

MAX_DIAGNOSES = 14


@dataclass(frozen=True, slots=True)
class SheetItem:
    text: str
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class SheetGroup:
    heading: str
    items: tuple[SheetItem, ...]


@dataclass(frozen=True, slots=True)
class PlanSheet:
    title: str
    code: str
    as_of: dt.date
    key: PayerKey
    policies: tuple[PolicyRef, ...]
    groups: tuple[SheetGroup, ...]

    @property
    def illustrative(self) -> bool:
        return any(p.illustrative for p in self.policies)

    @property
    def sources(self) -> tuple[Source, ...]:
        found = {(i.source.id, i.source.title): i.source for g in self.groups for i in g.items if i.source}
        return tuple(found.values())


def plan_key(policy: Policy) -> PayerKey:
    """A payer key that selects this policy: its first payer id/name, filing indicator, state and plan."""
    m = policy.match
    payer = m.payer_ids[0] if m.payer_ids else (m.payer_names[0] if m.payer_names else "")
    name = policy.payer_label or (m.payer_names[0] if m.payer_names else None)
    filing = m.filing_indicators[0] if m.filing_indicators else None
    if filing is None and m.programs:  # a filing indicator of the policy's first program, so the key selects it
        filing = _PROGRAM_FILING.get(m.programs[0])
    return PayerKey(payer, name, filing, m.states[0] if m.states else None, m.plans[0] if m.plans else None)


# SBR09 codes of each program (X12 claim filing indicator); unknown has none.
_PROGRAM_FILING = {
    "medicare-ffs": "MB",
    "medicare-advantage": "16",
    "medicaid-ffs": "MC",
    "medicaid-managed-care": "MC",
    "commercial": "CI",
}


def plans(library: PolicyLibrary) -> list[Policy]:
    """Policies a desk picks a checklist by: every payer-specific one (the baseline is in all of them)."""
    return [p for p in library.policies if p.layer > 0 and p.drugs]


def _cited(resolved: ResolvedPolicy, code: str, name: str) -> Cited[Any] | None:
    return resolved.drug_section(code, name)


def _prior_auth(resolved: ResolvedPolicy, code: str) -> SheetGroup:
    cited = _cited(resolved, code, "prior_auth")
    if cited is None:
        return SheetGroup("Prior authorization", (SheetItem("No prior-authorization rule on file: ask the plan."),))
    pa = cast(PriorAuth, cited.value)
    words = {"none": "Not required", "always": "Required", "conditional": "Required when", "unknown": "Unknown"}
    items = [SheetItem(f"{words[pa.requirement]}: {pa.reason.rstrip('.')}.", cited.source)]
    items += [
        SheetItem(f"Required if {c.describe or f'{c.fact} {c.op} {c.value}'}.", cited.source) for c in pa.when_any
    ]
    items += [
        SheetItem(f"Not required if {c.describe or f'{c.fact} {c.op} {c.value}'}.", cited.source) for c in pa.unless_any
    ]
    if pa.requirement in ("always", "conditional"):
        items.append(
            SheetItem("Put the authorization number on the claim (2300 REF*G1) and check units left.", cited.source)
        )
    return SheetGroup("Prior authorization", tuple(items))


def _diagnoses(resolved: ResolvedPolicy, code: str) -> SheetGroup:
    cited = _cited(resolved, code, "coverage")
    if cited is None:
        return SheetGroup("Covered diagnoses", (SheetItem("No coverage list on file for this plan."),))
    cov = cast(Coverage, cited.value)
    entries: tuple[DiagnosisEntry, ...] = cov.covered or resolved.code_lists.get(cov.covered_list or "", ())
    if len(entries) <= MAX_DIAGNOSES:
        shown = ", ".join(f"{e.code}" + (f" {e.label}" if e.label else "") for e in entries)
    else:  # every code still printed; the descriptions are in the cited source, whose address works on paper
        shown = ", ".join(e.code for e in entries) + " (descriptions: see the source)"
    items = [SheetItem(f"Covered: {shown}." if entries else "Covered list not on file.", cited.source)]
    if cov.noncovered:
        items.append(
            SheetItem(
                "Not covered: "
                + ", ".join(f"{e.code} {e.label or ''}".strip() for e in cov.noncovered)
                + f" (deny {cov.denial_carc}).",
                cited.source,
            )
        )
    if not cov.list_verified:
        items.append(
            SheetItem(
                "This list is not verified against the payer's own list: confirm before relying on it.", cited.source
            )
        )
    items.append(SheetItem("Point the drug line (SV107) at the covered diagnosis.", cited.source))
    return SheetGroup("Covered diagnoses", tuple(items))


def _documentation(resolved: ResolvedPolicy, code: str) -> SheetGroup:
    cited = _cited(resolved, code, "documentation")
    docs = cast("tuple[DocumentationItem, ...]", cited.value) if cited else ()
    items = tuple(SheetItem(d.item, source_of(cited.policy, d.source)) for d in docs) if cited else ()
    return SheetGroup("In the chart", items or (SheetItem("No documentation list on file."),))


def _frequency_units(resolved: ResolvedPolicy, code: str) -> SheetGroup:
    items: list[SheetItem] = []
    if (cited := _cited(resolved, code, "frequency")) is not None:
        freq = cast(Frequency, cited.value)
        if freq.interval is not None:
            items.append(SheetItem(f"Maintenance: {maintenance_text(freq)}.", cited.source))
        if freq.max_per_year:
            items.append(
                SheetItem(f"At most {freq.max_per_year} injections a year ({freq.benefit_carc}).", cited.source)
            )
        if freq.loading_phase_allowed:
            items.append(SheetItem("Loading phase may be more frequent when documented as such.", cited.source))
    if (cited := _cited(resolved, code, "units")) is not None:
        units = cast(Units, cited.value)
        drug = bundled_catalog().drug(code)
        if drug is not None:
            example = drug.per_unit.times(1.5)
            items.append(
                SheetItem(
                    f"Units = dose / {drug.per_unit}, rounded up ({example} = 2 units).",
                    cited.source,
                )
            )
        if units.mue:
            items.append(SheetItem(f"No more than {units.mue} units a day (MUE).", cited.source))
    return SheetGroup("Frequency and units", tuple(items) or (SheetItem("No frequency rule on file."),))


def _claim(resolved: ResolvedPolicy) -> SheetGroup:
    items: list[SheetItem] = []
    rules = resolved.claim_rules
    if (c := rules.get("ndc")) is not None:
        ndc = cast(Any, c.value)
        need = "required on every drug line" if ndc.required else "required for unlisted codes (J3490)"
        items.append(SheetItem(f"NDC (11 digits, 5-4-2) {need}; unit {'/'.join(ndc.allowed_units)}.", c.source))
    if (c := rules.get("waste_modifiers")) is not None:
        since = f" since {c.value.required_from.isoformat()}" if getattr(c.value, "required_from", None) else ""  # type: ignore[attr-defined]
        items.append(
            SheetItem(
                f"Single-dose vial: JZ (none wasted) or JW waste line{since}; multi-dose vials: neither.", c.source
            )
        )
    if (c := rules.get("liability_modifiers")) is not None and getattr(c.value, "enabled", False):
        items.append(
            SheetItem("GA only with a signed ABN on file; GZ when no ABN; GY for statutory exclusions.", c.source)
        )
    if (c := rules.get("bundling")) is not None:
        if getattr(c.value, "no_99211_with_injection", False):
            items.append(SheetItem("Do not bill 99211 with 96372 on the same day.", c.source))
        if getattr(c.value, "em_with_injection_needs_25", False):
            items.append(SheetItem("A separate E/M visit with the injection needs modifier 25.", c.source))
    if (c := rules.get("timely_filing")) is not None:
        limit = c.value.describe() if isinstance(c.value, TimelyFiling) else "the plan's limit"
        items.append(SheetItem(f"File within {limit} of the date of service.", c.source))
    return SheetGroup("On the claim", tuple(items))


def plan_sheet(library: PolicyLibrary, key: PayerKey, day: dt.date, code: str = "J3420") -> PlanSheet:
    resolved = library.resolve(key, day)
    top = resolved.layers[-1] if resolved.layers else None
    label = (top.payer_label or top.title) if top and top.layer > 0 else (key.payer_name or key.payer_id)
    plan = f", plan {key.plan}" if key.plan else ""
    groups = (
        _prior_auth(resolved, code),
        _diagnoses(resolved, code),
        _documentation(resolved, code),
        _frequency_units(resolved, code),
        _claim(resolved),
    )
    return PlanSheet(f"{label}{plan}: {code} checklist", code, day, key, resolved.refs, groups)
