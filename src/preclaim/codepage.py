"""A code page generated from data: seven sections a coder expects, each statement from the code sets and policies.

Sections: definition, clinical context, common modifiers, documentation requirements, common denial reasons,
special considerations for commercial insurers, similar codes. Every statement comes from the code sets and
policies on file and carries their sources.
"""

from __future__ import annotations

import msgspec

from preclaim.codes import CodeSets, HcpcsCode
from preclaim.domain.report import Source
from preclaim.policy import PolicyLibrary, source_of
from preclaim.policy.schema import Policy

WASTE_AND_LIABILITY = ("JZ", "JW", "GA", "GZ", "GY", "GX", "25", "59", "JA", "JB", "KX")
# Codes a biller confuses with J3420, and the administration code that goes with it.
SIMILAR = ("J3420", "J3424", "J3425", "J3490", "J3430", "96372")
# For any other catalog drug: the unclassified code and the administration code.
SIMILAR_OTHER = ("J3490", "96372")
DENIALS = (
    ("CO-181", "code not valid on the date of service (for example J3424 before 2024-04-01)"),
    (
        "CO-16 M51",
        "a code for another drug (J3424, hydroxocobalamin IV) or an unclassified code for a drug with its own code",
    ),
    ("CO-16 M53", "more units than the dose: {unit} (fewer units are simply paid less)"),
    ("CO-16 M119", "NDC missing, malformed (not 11 digits 5-4-2) or not matching the drug"),
    ("CO-4", "JW/JZ missing or wrong for the vial type; GA/GZ/GY conflict"),
    ("CO-50 N115", "diagnosis not on the LCD/article covered list (medical necessity)"),
    ("CO-11", "the drug line points to a diagnosis that does not support it"),
    (
        "CO-151",
        "injections more often than the policy allows{frequency} without a documented reason, on medical review",
    ),
    ("CO-97", "99211 billed with 96372, or an E/M without modifier 25"),
    ("CO-197 / CO-15", "prior authorization missing, or its number missing or wrong"),
    ("OA-18", "duplicate of an injection already billed"),
    ("CO-29 N211", "sent after the timely-filing limit"),
)


class Section(msgspec.Struct, frozen=True):
    title: str
    lines: tuple[str, ...]
    sources: tuple[Source, ...] = ()


class CodePage(msgspec.Struct, frozen=True):
    code: str
    status: str
    headline: str
    sections: tuple[Section, ...]


def _definition(entry: HcpcsCode) -> Section:
    lines = [f"{entry.code}: {entry.long}"]
    if entry.unit_amount:
        amount, measure = entry.unit_amount, entry.unit_measure
        lines.append(
            f"Billing unit: up to {amount:g} {measure}; units = dose / {amount:g}, rounded up ({amount / 10:g} "
            f"{measure} = 1 unit, {amount:g} {measure} = 1 unit, {amount * 1.5:g} {measure} = 2 units)."
        )
    if entry.effective:
        lines.append(
            f"Effective {entry.effective.isoformat()}"
            + (f", terminated {entry.terminated.isoformat()}" if entry.terminated else "")
        )
    if entry.note:
        lines.append(entry.note)
    return Section("Definition", tuple(lines), (entry.source,))


def _policies_for(library: PolicyLibrary, code: str) -> list[Policy]:
    return [p for p in library.policies if code in p.drugs]


def _clinical(library: PolicyLibrary, code: str) -> Section:
    """Covered diagnoses by payer; the general-welfare exclusion only where a policy lists non-covered uses."""
    lines: list[str] = []
    sources: list[Source] = []
    for policy in _policies_for(library, code):
        coverage = policy.drugs[code].coverage
        if coverage is None or policy.illustrative:
            continue
        labels = [e.label or e.code for e in coverage.covered][:8]
        if labels:
            lines.append(f"{policy.payer_label or policy.title}: covered for " + "; ".join(labels) + ".")
            sources.append(source_of(policy, coverage.source))
    noncovered = any(
        (coverage := p.drugs[code].coverage) is not None and coverage.noncovered and not p.illustrative
        for p in _policies_for(library, code)
    )
    if noncovered:
        lines.append("Not covered anywhere as a general tonic, for fatigue alone or for weight loss (general welfare).")
    elif not lines:
        lines.append(f"No payer policy on file lists covered diagnoses for {code}: coverage follows the plan.")
    return Section("Clinical context", tuple(lines), tuple(sources))


def _modifiers(codes: CodeSets, code: str) -> Section:
    lines, sources = [], []
    for mod in WASTE_AND_LIABILITY:
        entry = codes.modifier(mod)
        if entry is not None:
            lines.append(f"{mod}: {entry.meaning}")
            sources.append(entry.source)
    lines.append(_vials(codes, code))
    lines.append(
        "PO/PN belong on hospital institutional claims only; there is no 'B' modifier for ambulatory surgical centers."
    )
    return Section("Common modifiers", tuple(lines), tuple(dict.fromkeys(sources)))


def _vials(codes: CodeSets, code: str) -> str:
    """What the drug catalog's packages say about JW/JZ for this drug."""
    drug = codes.drugs.drug(code)
    if code == "J3420":
        return "Most cyanocobalamin vials are multi-dose: JW/JZ then do not apply."
    if drug is None or not drug.packages:
        return "JW/JZ apply to single-dose containers only: check the vial's label."
    kinds = [p.vial for p in drug.packages]
    counts = ", ".join(f"{kinds.count(k)} {k}" for k in ("single-dose", "multi-dose", "unknown") if k in kinds)
    return (
        f"{drug.substance} packages on file: {counts}. JW/JZ apply to single-dose containers only; "
        "the NDC on the line tells preclaim which."
    )


def _documentation(library: PolicyLibrary, code: str) -> Section:
    lines: list[str] = []
    sources: list[Source] = []
    for policy in _policies_for(library, code):
        items = policy.drugs[code].documentation
        for item in items or ():
            text = f"{item.item} ({policy.payer_label or policy.id})"
            if text not in lines:
                lines.append(text)
                sources.append(source_of(policy, item.source))
    return Section("Documentation requirements", tuple(lines), tuple(dict.fromkeys(sources)))


def _denials(entry: HcpcsCode) -> Section:
    unit = (
        f"1 unit per {entry.unit_amount:g} {entry.unit_measure} or part of it"
        if entry.unit_amount
        else "units as the code's descriptor defines them"
    )
    frequency = " (monthly maintenance, in calendar months)" if entry.code == "J3420" else ""
    return Section(
        "Common denial reasons",
        tuple(f"{carc}: {text.format(unit=unit, frequency=frequency)}" for carc, text in DENIALS),
    )


def _commercial(library: PolicyLibrary, code: str) -> Section:
    lines: list[str] = []
    sources: list[Source] = []
    for policy in _policies_for(library, code):
        medicare = "MB" in policy.match.filing_indicators or "medicare-ffs" in policy.match.programs
        if medicare or policy.layer == 0:
            continue
        pa = policy.drugs[code].prior_auth
        label = policy.payer_label or policy.title
        tag = " [ILLUSTRATIVE]" if policy.illustrative else ""
        lines.append(
            f"{label}{tag}: prior authorization {pa.requirement if pa else 'not stated'}"
            + (f" - {pa.reason}" if pa else "")
            + "."
        )
        if pa:
            sources.append(source_of(policy, pa.source))
    lines.append(
        f"Medicare fee-for-service has no prior authorization for {code}; Medicare Advantage and "
        "commercial plans set their own rules: check the plan."
        if _medicare_ffs_no_pa(library, code)
        else "Medicare Advantage and commercial plans set their own prior-authorization rules: check the plan."
    )
    return Section("Special considerations for commercial insurers", tuple(lines), tuple(sources))


def _medicare_ffs_no_pa(library: PolicyLibrary, code: str) -> bool:
    return any(
        "medicare-ffs" in p.match.programs and (pa := p.drugs[code].prior_auth) is not None and pa.requirement == "none"
        for p in _policies_for(library, code)
    )


def _similar(codes: CodeSets, code: str) -> Section:
    lines = []
    for other in SIMILAR if code in SIMILAR else SIMILAR_OTHER:
        if other == code:
            continue
        entry = codes.hcpcs(other) or codes.cpt(other)
        if entry is None:
            continue
        text = entry.long if isinstance(entry, HcpcsCode) else entry.description
        status = f" [{entry.status}]" if isinstance(entry, HcpcsCode) and entry.status != "active" else ""
        lines.append(f"{other}{status}: {text}")
    return Section("Similar codes", tuple(lines))


def code_page(code: str, codes: CodeSets, library: PolicyLibrary) -> CodePage | None:
    code = code.strip().upper()
    entry = codes.hcpcs(code)
    if entry is None:
        cpt = codes.cpt(code)
        if cpt is None:
            return None
        return CodePage(code, "active", cpt.description, (Section("Definition", (cpt.description,), (cpt.source,)),))
    if entry.status in ("invalid", "deleted"):
        target = f" Bill {entry.replacement} instead." if entry.replacement else ""
        headline = f"{code} is not a valid HCPCS code.{target}"
        sections = [_definition(entry)]
        if entry.replacement and (replacement := codes.hcpcs(entry.replacement)):
            sections.append(
                Section(
                    f"Use {replacement.code}",
                    (f"{replacement.code}: {replacement.long}",),
                    (replacement.source,),
                )
            )
        return CodePage(code, entry.status, headline, tuple(sections))
    headline = (
        entry.long if entry.status == "active" else f"{entry.long} (status: {entry.status}; verify before billing)"
    )
    if not _policies_for(library, code):
        # The other sections speak of the drugs the policies cover; for any other code they would mislead.
        none = Section(
            "Payer rules",
            (
                f"No payer policy on file covers {code} yet: preclaim checks that the code is valid on the date "
                "of service and the NDC's format, not units, coverage or frequency.",
            ),
        )
        return CodePage(code, entry.status, headline, (_definition(entry), none))
    return CodePage(
        code,
        entry.status,
        headline,
        (
            _definition(entry),
            _clinical(library, code),
            _modifiers(codes, code),
            _documentation(library, code),
            _denials(entry),
            _commercial(library, code),
            _similar(codes, code),
        ),
    )
