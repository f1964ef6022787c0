"""Fixed-width wrapped X12: a line break every N characters wherever it falls (a mainframe export).

Such a file is read when joining its lines gives an intact ISA and its segment terminator is not a line
break (then no line break can be data); anything else is refused with one line saying the file is wrapped.
`Unwrapped` takes the breaks out while the file streams, checking every line has the width of the first.
"""

from __future__ import annotations

from typing import BinaryIO

from preclaim.errors import X12Error

ISA_LENGTH = 106
_BREAKS = b"\r\n"
_FIX = "export the file without line wrapping"


def wrap_width(first: bytes) -> int | None:
    """The line width when the head of a file is wrapped (line breaks not at segment ends), else None.

    `first` is the head of the file (a few KiB: the first two lines must be in it).
    """
    at = _first_break(first)
    if at < 0 or (at == ISA_LENGTH - 1 and first[at : at + 1] in (b"\r", b"\n")):
        return None  # no line break, or the segment terminator is one (ISA16 is followed by it)
    if at < ISA_LENGTH - 1:
        return at  # a break inside the fixed-width ISA: wrapped, or a short ISA (see regular_lines)
    term = first[ISA_LENGTH - 1 : ISA_LENGTH]
    second = _second_line(first, at)
    if first[at - 1 : at] == term:  # one segment (or several) a line, unless the next line is cut alike
        return at if second is not None and len(second) == at and not second.endswith(term) else None
    # A line ending inside a segment: wrapped when the next line is as long (or the last); otherwise a
    # segment cut in two, which the tokenizer refuses.
    return at if regular_lines(first, at) else None


def regular_lines(first: bytes, width: int) -> bool:
    """Whether the second line of the head is `width` long too (or is the last line)."""
    second = _second_line(first, width)
    return second is None or len(second) == width


def _second_line(first: bytes, at: int) -> bytes | None:
    """The line after the break at `at`; None when it is the last line."""
    rest = first[at + (2 if first[at : at + 2] == b"\r\n" else 1) :]
    after = _first_break(rest)
    if after < 0 or not rest[after:].strip(_BREAKS):
        return None
    return rest[:after]


def joined_isa(first: bytes, width: int) -> bytes:
    """The first 106 characters once the wrapping breaks (one after every `width` characters) are taken out;
    any other line break stays, so a terminator that is a line break shows as one."""
    head, at = b"", 0
    while len(head) < ISA_LENGTH and at < len(first):
        head += first[at : at + min(width, ISA_LENGTH - len(head))]
        at += width
        at += 2 if first[at : at + 2] == b"\r\n" else 1 if first[at : at + 1] in (b"\r", b"\n") else 0
    return head


def _first_break(data: bytes) -> int:
    found = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
    return min(found) if found else -1


def not_intact(width: int, source: str | None, found: str) -> X12Error:
    return X12Error(
        f"the file is wrapped at {width} characters (a line break every {width}, as a fixed-width export writes) "
        "and its ISA segment does not read as fixed width once the lines are joined",
        segment_number=1,
        segment_id="ISA",
        found=found,
        expected=f"an intact 106-character ISA; {_FIX}",
        source=source,
    )


def terminator_is_a_break(width: int, source: str | None) -> X12Error:
    return X12Error(
        f"the file is wrapped at {width} characters and its segment terminator is a line break, so the ends of "
        "lines cannot be told from the ends of segments",
        segment_number=1,
        segment_id="ISA",
        element=16,
        found="a line break as terminator",
        expected=f"a terminator such as '~', or {_FIX}",
        source=source,
    )


class Unwrapped:
    """A wrapped stream with its line breaks taken out; every line but the last must be `width` long."""

    def __init__(self, stream: BinaryIO, first: bytes, width: int, source: str | None) -> None:
        self._stream = stream
        self._pending = first
        self.width = width
        self.newline = 2 if b"\r\n" in first[width : width + 2] else 1
        self.source = source
        self._head = b""  # the first 106 bytes handed out: the ISA, whose last byte is the terminator
        self.terminator = b""
        self.terminators = 0  # terminators handed out so far: numbers the segment in an error
        self._column = 0
        self._line = 1
        self._ended_short: tuple[int, int] | None = None  # (line, length) of a short line: only the last may be

    def read(self, size: int) -> bytes:
        pieces: list[bytes] = []
        total = 0
        while total < size:
            raw = self._pending or self._stream.read(size)
            self._pending = b""
            if not raw:
                break
            if raw.endswith(b"\r"):  # its "\n" may start the next read
                more = self._stream.read(1)
                raw += more
            piece = self._join(raw)
            pieces.append(piece)
            total += len(piece)
        return b"".join(pieces)

    def raw_offset(self, offset: int) -> int:
        """Byte offset in the file of byte `offset` of the joined text (every line before it is full)."""
        return offset + offset // self.width * self.newline

    def _join(self, raw: bytes) -> bytes:
        lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        width = self.width
        for index, line in enumerate(lines):
            if index:  # a line break ended the line before
                if self._column != width and self._ended_short is None:
                    self._ended_short = (self._line, self._column)
                self._column = 0
                self._line += 1
            if line:
                if self._ended_short is not None:
                    self._fail(self._ended_short, lines[:index])
                self._column += len(line)
                if self._column > width:
                    self._fail((self._line, self._column), lines[:index])
        joined = b"".join(lines)
        if not self.terminator:
            self._head += joined[: ISA_LENGTH - len(self._head)]
            self.terminator = self._head[ISA_LENGTH - 1 :]
        if self.terminator:
            self.terminators += joined.count(self.terminator)
        return joined

    def _fail(self, bad: tuple[int, int], before: list[bytes]) -> None:
        line, length = bad
        done = b"".join(before)
        term = self.terminator or (self._head + done)[ISA_LENGTH - 1 : ISA_LENGTH]
        number = self.terminators + done.count(term) + 1 if term else 1
        raise X12Error(
            f"the file is wrapped at {self.width} characters (a fixed-width export) but line {line} has {length}: "
            "a line break that is not the wrapping",
            segment_number=number,
            found=f"line {line} of {length} characters",
            expected=f"every line but the last {self.width} characters, or {_FIX}",
            source=self.source,
        )
