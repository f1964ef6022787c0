"""Mechanical fixes on a parsed 837P claim, driven by the engine's findings (Finding.correction).

Only fixes that need no human judgement are applied (the rule catalog's mechanical fixes: units, JZ, modifier
order, NDC format); everything else stays a finding. The raw segments are copied, edited, and the domain Claim
is rebuilt from them so the written file and the reported claim cannot drift apart.
"""

from __future__ import annotations

from dataclasses import replace

from preclaim.domain.report import Correction, Report
from preclaim.edi.x12.build837 import BillingInfo, SubscriberInfo
from preclaim.edi.x12.claim837 import build_claim
from preclaim.edi.x12.loops import ParsedClaim
from preclaim.edi.x12.tokenizer import Segment
from preclaim.rules.catalog import catalog


def mechanical_corrections(report: Report) -> list[tuple[int, str, Correction]]:
    """(line number, rule, correction) for the findings this writer may apply on its own: those whose rule the
    catalog marks mechanical, with the correction action the catalog names (anything else needs a person)."""
    mechanical = catalog().mechanical_fixes()
    return [
        (f.line, f.rule, f.correction)
        for f in report.findings
        if f.correction is not None and f.line is not None and mechanical.get(f.rule) == f.correction.action
    ]


def apply_fixes(parsed: ParsedClaim, report: Report) -> ParsedClaim:
    """A copy of the claim with the mechanical corrections applied (the original is left untouched)."""
    corrections = mechanical_corrections(report)
    if not corrections:
        return parsed
    comp = parsed.transaction.delimiters.component
    segments = [list(seg) for seg in parsed.segments]
    changed = False
    for line_number, _rule, correction in corrections:
        span = _line_span(segments, line_number)
        if span is not None:
            changed |= _apply(segments, span, correction, comp)
    if not changed:
        return parsed
    billing, subscriber = parsed.billing.info, parsed.subscriber.info
    assert isinstance(billing, BillingInfo) and isinstance(subscriber, SubscriberInfo)
    claim = build_claim(segments, comp, billing, subscriber, parsed.claim.patient, parsed.claim.submitted_on)
    return replace(parsed, claim=claim, segments=segments)


def _line_span(segments: list[Segment], number: int) -> range | None:
    """Indexes of the 2400 loop whose LX01 is `number`."""
    start = None
    for index, seg in enumerate(segments):
        if seg[0] == "LX":
            if start is not None:
                return range(start, index)
            if len(seg) > 1 and seg[1].strip() == str(number):
                start = index
    return range(start, len(segments)) if start is not None else None


def _apply(segments: list[Segment], span: range, correction: Correction, comp: str) -> bool:
    sv1 = next((segments[i] for i in span if segments[i][0] == "SV1"), None)
    if correction.action == "set-ndc":
        lin = next((segments[i] for i in span if segments[i][0] == "LIN"), None)
        if lin is None or len(lin) < 4 or lin[3] == correction.value:
            return False
        lin[3] = correction.value
        return True
    if sv1 is None or len(sv1) < 5:
        return False
    if correction.action == "set-units":
        if sv1[4] == correction.value:
            return False
        sv1[4] = correction.value
        return True
    parts = sv1[1].split(comp)
    while len(parts) < 6:
        parts.append("")
    modifiers = [m for m in parts[2:6] if m]
    if correction.action == "add-modifier" and correction.value not in modifiers and len(modifiers) < 4:
        modifiers.append(correction.value)
    elif correction.action == "set-modifiers":
        modifiers = [m for m in correction.value.replace(",", ":").split(":") if m][:4]
    elif correction.action == "remove-modifier" and correction.value in modifiers:
        modifiers.remove(correction.value)
    else:
        return False
    parts[2:6] = [*modifiers, "", "", "", ""][:4]
    sv1[1] = comp.join(parts).rstrip(comp) if len(parts) == 6 or not any(parts[6:]) else comp.join(parts)
    return True
