"""835 writer: remittances back to X12 with SE/GE/IEA counts and control numbers recomputed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from preclaim.edi.x12.read835 import ParsedRemittance
from preclaim.edi.x12.tokenizer import Segment


def write_835(items: Iterable[ParsedRemittance], out: TextIO) -> int:
    isa: Segment | None = None
    gs: Segment | None = None
    sets = groups = count = 0
    item: ParsedRemittance | None = None

    def put(seg: Segment) -> None:
        assert item is not None
        d = item.delimiters
        out.write(d.element.join(seg) + d.segment + item.line_ending)

    for item in items:
        if item.isa is not isa or item.gs is not gs:
            if gs is not None:
                put(["GE", str(sets), gs[6]])
                groups, sets = groups + 1, 0
            if item.isa is not isa:
                if isa is not None:
                    put(["IEA", str(groups), isa[13]])
                    groups = 0
                isa = item.isa
                put(isa)
            gs = item.gs
            put(gs)
        body = item.segments[:-1]  # SE is recomputed
        for seg in body:
            put(seg)
        put(["SE", str(len(body) + 1), body[0][2]])
        sets += 1
        count += 1
    if item is not None and gs is not None and isa is not None:
        put(["GE", str(sets), gs[6]])
        put(["IEA", str(groups + 1), isa[13]])
    return count
