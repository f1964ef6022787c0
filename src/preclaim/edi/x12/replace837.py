"""A corrected claim as an 837P replacement (CLM05-3 = 7), written from the claim as it was sent.

The original claim's segments are kept (names, addresses and loops preclaim never stores), and what billing
staff changed is written over them: the diagnoses (HI), the authorization (REF*G1), the payer's claim number
(REF*F8, required on a replacement), and each service line by its number (SV1 code, modifiers, charge, units;
DTP*472 date; LIN NDC and CTP quantity and unit). CLM02 is recomputed from the lines. The result is read back with the
same reader before it is handed out, so a corrected file that would not parse is never written.
"""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from preclaim.domain.claim import Claim, ServiceLine
from preclaim.edi.x12.loops import ParsedClaim
from preclaim.edi.x12.read837 import read_837
from preclaim.edi.x12.tokenizer import Segment
from preclaim.edi.x12.write837 import write_837
from preclaim.errors import X12Error

_BEFORE_REF = ("CLM", "DTP", "PWK", "CN1", "AMT")  # 2300 segments that come before the REF segments


def find_claim(path: str | Path, segment_number: int) -> ParsedClaim | None:
    """The claim whose CLM is segment `segment_number` of the file (as the reader numbered it)."""
    for item in read_837(path):
        if item.number == segment_number:
            return item if isinstance(item, ParsedClaim) else None
        if item.number > segment_number:
            return None
    return None


def _money(value: Decimal) -> str:
    text = f"{value:.2f}"
    return text[:-3] if text.endswith(".00") else text.rstrip("0")


def _spans(segs: list[Segment]) -> list[tuple[int, int]]:
    """(start, end) of each 2400 loop: from its LX to the next LX (or the end of the claim)."""
    starts = [i for i, seg in enumerate(segs) if seg[0] == "LX"]
    return [(start, (starts[n + 1] if n + 1 < len(starts) else len(segs))) for n, start in enumerate(starts)]


def _set_refs(segs: list[Segment], refs: list[Segment]) -> list[Segment]:
    """The claim with its REF*F8 and REF*G1 replaced by `refs`, placed where the guide puts 2300 REFs."""
    first_line = next((i for i, seg in enumerate(segs) if seg[0] == "LX"), len(segs))
    head = [seg for seg in segs[:first_line] if not (seg[0] == "REF" and len(seg) > 1 and seg[1] in ("F8", "G1"))]
    at = 1
    while at < len(head) and head[at][0] in _BEFORE_REF:
        at += 1
    return head[:at] + refs + head[at:] + segs[first_line:]


def _diagnoses(segs: list[Segment], claim: Claim, comp: str) -> list[Segment]:
    codes = [dx.code.replace(".", "").upper() for dx in claim.diagnoses if dx.system == "icd10"][:12]
    hi = ["HI", *[f"{'ABK' if n == 0 else 'ABF'}{comp}{code}" for n, code in enumerate(codes)]]
    out: list[Segment] = []
    placed = False
    for seg in segs:
        is_dx = seg[0] == "HI" and len(seg) > 1 and seg[1].split(comp)[0] in ("ABK", "ABF", "BK", "BF")
        if is_dx:
            if not placed and codes:
                out.append(hi)
            placed = True
            continue
        out.append(seg)
    return out


def _drug_line(segs: list[Segment], span: tuple[int, int], line: ServiceLine, comp: str) -> None:
    """SV1 code, modifiers, charge and units; DTP*472; LIN NDC and CTP quantity/unit: from the corrected line."""
    for index in range(*span):
        seg = segs[index]
        if seg[0] == "SV1":
            parts = seg[1].split(comp)
            segs[index] = [*seg]
            segs[index][1] = comp.join([parts[0], line.code, *line.modifiers[:4]])
            if line.charge is not None:
                segs[index][2] = _money(line.charge)
            segs[index][4] = f"{line.units:g}"
        elif seg[0] == "DTP" and len(seg) > 3 and seg[1] == "472" and seg[2] == "D8":
            segs[index] = ["DTP", "472", "D8", line.date_of_service.strftime("%Y%m%d")]
        elif seg[0] == "LIN" and line.ndc is not None and len(seg) > 3:
            segs[index] = [*seg[:3], line.ndc.code, *seg[4:]]
        elif seg[0] == "CTP" and line.ndc is not None and line.ndc.quantity is not None:
            unit = line.ndc.unit or (seg[5].split(comp)[0] if len(seg) > 5 else "UN")
            segs[index] = ["CTP", "", "", "", f"{line.ndc.quantity:g}", unit]


def _total(segs: list[Segment]) -> Decimal:
    return sum((Decimal(seg[2]) for seg in segs if seg[0] == "SV1" and len(seg) > 2 and seg[2]), Decimal(0))


def replacement(parsed: ParsedClaim, claim: Claim, payer_claim_number: str | None) -> ParsedClaim:
    """The claim as a replacement (CLM05-3 = 7) with the corrections in `claim` written over its segments."""
    comp = parsed.transaction.delimiters.component
    segs = [list(seg) for seg in parsed.segments]
    by_number = {line.number: line for line in claim.lines}
    for span in _spans(segs):  # each 2400 loop takes its line's corrections (LX01 = the line number)
        lx = segs[span[0]]
        line = by_number.get(int(lx[1])) if len(lx) > 1 and lx[1].strip().isdigit() else None
        if line is not None:
            _drug_line(segs, span, line, comp)
    segs = _diagnoses(segs, claim, comp)
    refs: list[Segment] = []
    if payer_claim_number:
        refs.append(["REF", "F8", payer_claim_number[:50]])
    if claim.prior_auth:
        refs.append(["REF", "G1", claim.prior_auth[:50]])
    segs = _set_refs(segs, refs)
    clm = segs[0]
    position = clm[5].split(comp)
    while len(position) < 3:
        position.append("")
    position[2] = "7"
    clm[5] = comp.join(position)
    clm[2] = _money(_total(segs))
    return replace(parsed, segments=segs)


def corrected_837(parsed: ParsedClaim, claim: Claim, payer_claim_number: str | None) -> str:
    """The replacement as a whole interchange (the original envelope and parent loops), read back to be sure."""
    out = io.StringIO()
    write_837([replacement(parsed, claim, payer_claim_number)], out)
    text = out.getvalue()
    items = list(read_837(io.BytesIO(text.encode("latin-1"))))
    if len(items) != 1 or not isinstance(items[0], ParsedClaim):
        reason = getattr(items[0], "reason", "no claim") if items else "no claim"
        raise X12Error(f"the corrected claim does not read back: {reason}")
    return text
