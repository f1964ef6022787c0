"""Envelope checks: ISA/IEA, GS/GE, ST/SE nesting, counts and control numbers.

Only envelope segments and segment ids never seen before take the slow path; every other segment costs
one set lookup. Segments outside a transaction set are caught without looking at each one: every
envelope segment must directly follow the one that closes the level before it.
"""

from __future__ import annotations

from preclaim.errors import X12Error

_ENVELOPE = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA", "TA1"})


def _valid_id(tag: str) -> bool:
    return 2 <= len(tag) <= 3 and tag.isascii() and tag.isalnum() and tag.isupper() and tag[0].isalpha()


class EnvelopeChecker:
    def __init__(self, source: str | None = None) -> None:
        self.source = source
        self.known: set[str] = set()  # ids validated once: only envelope ids are checked every time
        self.state = "start"  # start -> isa -> gs -> st
        self._isa13 = ""
        self._gs06 = ""
        self._st02 = ""
        self._open_at = 0  # segment number that opened the current level
        self._prev = 0  # segment number after which the next envelope segment must come
        self.groups = 0
        self.sets = 0
        self.interchanges = 0
        self.version = ""  # GS08 of the current group
        self._iea_at = 0

    def scan(self, segments: list[list[str]], number: int) -> int:
        """Check a batch; `number` is the count of segments before it. Returns the new count."""
        known = self.known
        for segment in segments:
            number += 1
            if segment[0] not in known:
                self.check(segment, number)
        return number

    def finish(self, number: int) -> None:
        if self.state != "start" or self.interchanges == 0:
            expected = {"start": "ISA", "isa": "IEA", "gs": "GE", "st": "SE"}[self.state]
            self._fail("file is truncated", number + 1, None, None, "end of file", expected)
        if number != self._iea_at:
            self._fail("segments after IEA", self._iea_at + 1, None, None, "more segments", "end of file")

    def check(self, segment: list[str], number: int) -> None:
        """Check one segment not validated before (an envelope segment or an id not seen yet)."""
        tag = segment[0]
        if tag in _ENVELOPE:
            getattr(self, "_on_" + tag.lower())(segment, number)
            return
        if not _valid_id(tag):
            self._fail("invalid segment id", number, None, None, tag[:20], "a 2-3 character segment id")
        if self.state != "st":
            self._fail("segment outside a transaction set", number, tag, None, tag, "ST before it")
        self.known.add(tag)

    def _expect(self, state: str, segment: list[str], number: int, follows: str) -> None:
        tag = segment[0]
        if self.state != state:
            self._fail(f"{tag} out of place", number, tag, None, tag, f"{tag} only after {follows}")
        if self._prev and number != self._prev + 1:
            self._fail(
                f"segment {self._prev + 1} lies outside a transaction set",
                self._prev + 1,
                None,
                None,
                f"{number - self._prev - 1} segment(s) before {tag}",
                f"{tag} right after {follows}",
            )

    def _on_isa(self, segment: list[str], number: int) -> None:
        if self.state != "start":
            self._fail("ISA inside an open interchange", number, "ISA", None, "ISA", "IEA first")
        if self._iea_at and number != self._iea_at + 1:
            self._fail("segments between IEA and ISA", self._iea_at + 1, None, None, "segments", "ISA")
        if len(segment) != 17:
            self._fail("ISA must have 16 elements", number, "ISA", None, str(len(segment) - 1), "16")
        self._isa13 = segment[13]
        self.groups = 0
        self.state = "isa"
        self._open_at = self._prev = number

    def _on_ta1(self, segment: list[str], number: int) -> None:
        self._expect("isa", segment, number, "ISA or IEA")
        self._prev = number

    def _on_gs(self, segment: list[str], number: int) -> None:
        self._expect("isa", segment, number, "ISA or GE")
        self._gs06 = self._element(segment, 6, number)
        self.version = segment[8] if len(segment) > 8 else ""
        self.sets = 0
        self.state = "gs"
        self._prev = number

    def _on_st(self, segment: list[str], number: int) -> None:
        self._expect("gs", segment, number, "GS or SE")
        self._st02 = self._element(segment, 2, number)
        self.state = "st"
        self._open_at = number

    def _on_se(self, segment: list[str], number: int) -> None:
        if self.state != "st":
            self._fail("SE without ST", number, "SE", None, "SE", "ST before it")
        count = number - self._open_at + 1
        self._match(segment, 1, str(count), number, f"{count} (segments from ST to SE)", numeric=True)
        self._match(segment, 2, self._st02, number, f"ST02 {self._st02!r}")
        self.sets += 1
        self.state = "gs"
        self._prev = number

    def _on_ge(self, segment: list[str], number: int) -> None:
        self._expect("gs", segment, number, "SE or GS")
        self._match(segment, 1, str(self.sets), number, f"{self.sets} (transaction sets)", numeric=True)
        self._match(segment, 2, self._gs06, number, f"GS06 {self._gs06!r}")
        self.groups += 1
        self.state = "isa"
        self._prev = number

    def _on_iea(self, segment: list[str], number: int) -> None:
        self._expect("isa", segment, number, "GE or ISA")
        self._match(segment, 1, str(self.groups), number, f"{self.groups} (functional groups)", numeric=True)
        self._match(segment, 2, self._isa13, number, f"ISA13 {self._isa13!r}")
        self.interchanges += 1
        self.state = "start"
        self._prev = 0
        self._iea_at = number

    def _element(self, segment: list[str], position: int, number: int) -> str:
        if len(segment) <= position or not segment[position]:
            self._fail("required element missing", number, segment[0], position, "nothing", "a value")
        return segment[position]

    def _match(
        self, segment: list[str], position: int, want: str, number: int, expected: str, numeric: bool = False
    ) -> None:
        found = self._element(segment, position, number)
        same = found.strip().lstrip("0") == want.lstrip("0") if numeric else found.strip() == want.strip()
        if not same:
            what = "count" if numeric else "control number"
            self._fail(f"{segment[0]}{position:02d} {what} mismatch", number, segment[0], position, found, expected)

    def _fail(self, message: str, number: int, tag: str | None, element: int | None, found: str, expected: str) -> None:
        raise X12Error(
            message,
            segment_number=number,
            segment_id=tag,
            element=element,
            found=found,
            expected=expected,
            source=self.source,
        )
