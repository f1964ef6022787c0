"""837P writer: claims back to X12 with HL numbering, SE/GE/IEA counts and control numbers recomputed.

Parent loops (billing provider, subscriber, patient) are written once for consecutive claims that share
them, so reading a file and writing every claim back reproduces it segment for segment.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from preclaim.edi.x12.loops import ClaimItem, Loop, Transaction
from preclaim.edi.x12.tokenizer import Segment


class X12Writer:
    """Writes segments with one set of delimiters, keeping the envelope counts."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._txn: Transaction | None = None
        self._isa: Segment | None = None
        self._gs: Segment | None = None
        self._loops: list[Loop | None] = [None, None, None]
        self._hl = [0, 0, 0]
        self._next_hl = 0
        self._set_count = 0
        self._sets = 0
        self._groups = 0

    def write_claim(self, item: ClaimItem) -> None:
        self._open(item.transaction)
        for depth, loop in enumerate((item.billing, item.subscriber, item.patient)):
            if loop is not None and loop is not self._loops[depth]:
                self._write_loop(depth, loop)
        self._write_all(item.segments)

    def close(self) -> None:
        self._close_set()
        self._close_group()
        self._close_interchange()

    def _open(self, txn: Transaction) -> None:
        if txn is self._txn:
            return
        self._close_set()
        if txn.isa is not self._isa:
            self._close_group()
            self._close_interchange()
            self._txn = txn
            self._isa = txn.isa
            self._segment(txn.isa)
        if txn.gs is not self._gs:
            self._close_group()
            self._gs = txn.gs
            self._segment(txn.gs)
        self._txn = txn
        self._set_count = 0
        self._loops = [None, None, None]
        self._next_hl = 0
        self._write_all(txn.header)

    def _write_loop(self, depth: int, loop: Loop) -> None:
        self._next_hl += 1
        self._hl[depth] = self._next_hl
        for deeper in range(depth, 3):
            self._loops[deeper] = None
        self._loops[depth] = loop
        hl = [*loop.segments[0]]
        while len(hl) < 4:
            hl.append("")
        hl[1] = str(self._next_hl)
        hl[2] = str(self._hl[depth - 1]) if depth else ""
        self._write_all([hl, *loop.segments[1:]])

    def _write_all(self, segments: list[Segment]) -> None:
        assert self._txn is not None
        d = self._txn.delimiters
        tail = d.segment + self._txn.line_ending
        self.out.write("".join(d.element.join(seg) + tail for seg in segments))
        self._set_count += len(segments)

    def _segment(self, seg: Segment) -> None:
        assert self._txn is not None
        self.out.write(self._txn.delimiters.element.join(seg) + self._txn.delimiters.segment)
        self.out.write(self._txn.line_ending)

    def _close_set(self) -> None:
        if self._txn is not None and self._set_count:
            st02 = self._txn.header[0][2]
            self._segment(["SE", str(self._set_count + 1), st02])
            self._sets += 1
            self._set_count = 0

    def _close_group(self) -> None:
        if self._gs is not None:
            self._segment(["GE", str(self._sets), self._gs[6]])
            self._groups += 1
            self._sets = 0
            self._gs = None

    def _close_interchange(self) -> None:
        if self._isa is not None:
            self._segment(["IEA", str(self._groups), self._isa[13]])
            self._groups = 0
            self._isa = None


def write_837(items: Iterable[ClaimItem], out: TextIO) -> int:
    """Write claims to a text stream; returns how many were written."""
    writer = X12Writer(out)
    count = 0
    for item in items:
        writer.write_claim(item)
        count += 1
    writer.close()
    return count


def write_837_file(items: Iterable[ClaimItem], path: str | Path) -> int:
    """Write to a temporary file beside `path` and rename it into place: never a half-written file."""
    target = Path(path)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(handle, "w", encoding="ascii", newline="") as out:
            count = write_837(items, out)
        os.replace(temp, target)
    except BaseException:
        os.unlink(temp)
        raise
    return count
