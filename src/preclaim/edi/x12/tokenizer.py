"""Streaming X12 tokenizer: delimiters from the ISA, segments as lists of strings, constant memory.

The file is read in chunks (64 KiB), each chunk is decoded and split on the segment terminator and every
segment on the element separator; nothing else happens per segment on the hot path except one set lookup
in the envelope checker. A segment is a plain ``list[str]`` whose item 0 is the segment id, so element
``n`` (1-based, as the implementation guides number them) is ``segment[n]``. The 837 reader asks for shared
segments (`batches(shared=SharedSegments())`): a segment text seen recently gives the same list again,
read-only.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any, BinaryIO, Final, TypeVar

from preclaim.edi.x12.envelope import EnvelopeChecker
from preclaim.edi.x12.wrapped import (
    Unwrapped,
    joined_isa,
    not_intact,
    regular_lines,
    terminator_is_a_break,
    wrap_width,
)
from preclaim.errors import X12Error

Segment = list[str]

ISA_LENGTH = 106
CHUNK_SIZE = 1 << 16  # small batches keep few segment lists alive: the cyclic GC stays cheap
MAX_SEGMENT = 1 << 20  # a longer segment is garbage, not a claim: stop before it eats memory
# Offsets of the element separators inside the fixed-width ISA (ISA01..ISA16).
_ISA_SEPARATORS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
_LEADING_JUNK = b"\xef\xbb\xbf \t\r\n"
SHARED_SEGMENTS: Final = 4096  # distinct segment texts kept by batches(share=True): a few MB at most
_HEAD = 1 << 13  # the first read: the ISA and, in a wrapped file, the first two lines to measure


@dataclass(slots=True)
class Resume:
    """Where a part of a file starts, for a process that reads one part (it starts at an ST): the number of
    segments before it and the ISA and GS in effect."""

    before: int
    isa: list[str]
    gs: list[str]


class SharedSegments:
    """What `batches(shared=...)` keeps from batch to batch: the segment texts met recently, each with its list
    (handed out again, the same object: read-only), and `fresh`, the offsets in the last batch of the segments
    split anew. Every other segment of that batch repeats the text of one split before it in this read, so a
    caller that has looked at every fresh segment has seen every segment id of the read."""

    def __init__(self, never_kept: frozenset[str] = frozenset()) -> None:
        self.texts: dict[str, Segment] = {}
        self.fresh: list[int] = []
        # Ids whose segments are split anew every time, so always fresh: texts that never repeat (CLM, HL) would
        # only push out those that do, and a caller may need to see some ids every time (envelope segments).
        self.never_kept = never_kept


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    repetition: str = "^"
    component: str = ":"
    segment: str = "~"

    def __reduce__(self) -> tuple[type[Delimiters], tuple[str, str, str, str]]:
        # Rebuilt through __init__: compiled (mypyc), a frozen dataclass refuses the setattr pickle would use
        # (a parallel check sends rejected claims, which carry their delimiters, between processes).
        return Delimiters, (self.element, self.repetition, self.component, self.segment)


def parse_isa(head: str, source: str | None = None) -> Delimiters:
    """Delimiters from the first 106 characters, checking the fixed-width ISA layout."""
    if not head.startswith("ISA"):
        raise X12Error("not an X12 interchange", segment_number=1, found=head[:3], expected="'ISA'", source=source)
    if len(head) < ISA_LENGTH:
        raise X12Error(
            "file ends inside the ISA segment",
            segment_number=1,
            segment_id="ISA",
            found=f"{len(head)} characters",
            expected=f"{ISA_LENGTH}",
            source=source,
        )
    sep = head[3]
    for position, offset in enumerate(_ISA_SEPARATORS, start=1):
        if head[offset] != sep:
            raise X12Error(
                "ISA is not fixed width: element separator missing",
                segment_number=1,
                segment_id="ISA",
                element=position,
                found=head[offset],
                expected=f"{sep!r} at character {offset + 1}",
                source=source,
            )
    delimiters = Delimiters(sep, head[82], head[104], head[105])
    used = [delimiters.element, delimiters.component, delimiters.segment]
    if len(set(used)) != 3 or any(c.isalnum() or c == " " for c in used):
        raise X12Error(
            "ISA delimiters are not distinct punctuation",
            segment_number=1,
            segment_id="ISA",
            element=16,
            found=f"element {sep!r} component {head[104]!r} terminator {head[105]!r}",
            expected="three different non-alphanumeric characters",
            source=source,
        )
    return delimiters


class Tokenizer:
    """Segments of one X12 file or stream. Iterate it, or call `batches()` for the fast path."""

    def __init__(
        self,
        stream: BinaryIO,
        *,
        source: str | None = None,
        chunk_size: int = CHUNK_SIZE,
        max_segment: int = MAX_SEGMENT,
        resume: Resume | None = None,
        ends: bool = True,
        envelope: EnvelopeChecker | None = None,
    ) -> None:
        """`resume`: the stream is the file's ISA followed by a part of the file that starts at an ST;
        ends=False: the stream stops before the end of the file (at an ST), so the envelope stays open;
        `envelope`: the checker to use (for a part: as it stood where the part starts)."""
        self.source = source
        self.resume = resume
        self._ends = ends
        self._stream = stream
        self._chunk_size = chunk_size
        self._max_segment = max_segment
        self._offset = 0  # bytes consumed before the current chunk
        first = stream.read(max(chunk_size, _HEAD))
        skipped = len(first) - len(first.lstrip(_LEADING_JUNK))
        first = first[skipped:]
        self._skipped = self._offset = skipped
        width = wrap_width(first) if resume is None else None  # a part is cut only from a file that is not
        self._unwrapped: Unwrapped | None = None
        if width and not self._wrapped_isa(first, width):
            width = None  # a short ISA on a line of its own, not a wrapped file: parse_isa says what is wrong
        if width:  # a fixed-width export: its ISA is intact once joined; the breaks are dropped as it streams
            self._unwrapped = Unwrapped(stream, first, width, source)
            self._stream = self._unwrapped  # type: ignore[assignment]  # read() is all the tokenizer uses
            first = self._unwrapped.read(max(chunk_size, ISA_LENGTH))
        head = self._decode(first[:ISA_LENGTH], "", 0)
        self.delimiters = parse_isa(head, source)
        rest = first[ISA_LENGTH:]
        self.line_ending = _line_ending(rest)
        self._offset += ISA_LENGTH
        self._carry = self._decode(rest, "", 1)
        self._offset += len(rest)
        self.isa: Segment = head[: ISA_LENGTH - 1].split(self.delimiters.element)
        self.envelope = envelope if envelope is not None else EnvelopeChecker(source)
        self.segment_count = 0

    @property
    def plain(self) -> bool:
        """True when the file starts with its ISA and is not a fixed-width (wrapped) export."""
        return self._skipped == 0 and self._unwrapped is None

    def _wrapped_isa(self, first: bytes, width: int) -> bool:
        """True when the head is wrapped at `width` with an intact ISA and a terminator that is not a line
        break; False when it is not wrapped after all; else one error that says the file is wrapped."""
        head = self._decode(joined_isa(first, width), "", 0)
        try:
            delimiters = parse_isa(head, self.source)
        except X12Error:
            if width < ISA_LENGTH - 1 and not regular_lines(first, width):
                return False
            raise not_intact(width, self.source, _preview(head)) from None
        if delimiters.segment in "\r\n":
            raise terminator_is_a_break(width, self.source)
        return True

    def __iter__(self) -> Iterator[Segment]:
        for _, batch in self.batches():
            yield from batch

    def batches(
        self, *, checked: bool = True, shared: SharedSegments | None = None
    ) -> Iterator[tuple[int, list[Segment]]]:
        """Yield (number of the batch's first segment, segments); numbers are 1-based in the file.

        With checked=False the caller takes over the envelope duty: it must pass every segment whose id
        it has not validated before to `self.envelope.check(segment, number)` (the 837 reader does, to
        save a second pass over each batch).

        With `shared`, a segment text seen before (recently) gives the same list object again: a file repeats
        most of its segments (SV1, DTP, NM1, N3, N4, DMG, HI), and one dictionary lookup costs less than a
        split and later freeing the list and its strings. The caller must not change a segment in place
        (the 837 reader hands segments out read-only; its writers and fixes edit copies), and may read
        `shared.fresh` after each batch (see SharedSegments).
        """
        sep = self.delimiters.element
        term = self.delimiters.segment
        envelope = self.envelope
        if self.resume is None:
            envelope.scan([self.isa], 0)
            self.segment_count = 1
            if shared is not None:
                shared.fresh = [0]
            yield 1, [self.isa]
        else:
            self.segment_count = self.resume.before
        carry = self._carry
        read = self._stream.read
        while True:
            chunk = read(self._chunk_size)
            eof = not chunk
            text = carry + self._decode(chunk, carry, self.segment_count) if chunk else carry
            self._offset += len(chunk)
            # With a shared cache the split is checked segment by segment, and only for texts not met before (a
            # text in the cache is a clean segment); without one, by counting breaks and terminators.
            parts = _one_segment_a_line(text, term, verify=shared is None)
            segments: list[Segment] | None = None
            if parts is not None and shared is not None:
                segments = _collecting_off(_split_checked, parts, sep, term, shared)
                if segments is None:
                    parts = None  # a break or a terminator inside a segment: the general path below
            inside = False  # line breaks left inside segments
            if parts is None:
                if "\n" in text or "\r" in text:
                    text = _drop_line_breaks(text, term)
                parts = text.split(term)
                if "\n" in text or "\r" in text:  # blank lines, or breaks inside segments
                    parts = [p.strip("\r\n") for p in parts]
                    inside = True
            carry = parts.pop()
            if segments is None:
                if "" in parts:
                    parts = [p for p in parts if p]  # tolerate blank lines and doubled terminators
                if inside:
                    self._no_breaks_inside(parts)
            if len(carry) > self._max_segment:
                self._too_long(carry, self.segment_count + len(parts if segments is None else segments) + 1)
            if segments is None:
                if shared is not None:
                    segments = _collecting_off(_split_shared, parts, sep, shared)
                else:
                    segments = _collecting_off(_split_all, parts, sep)
            base = self.segment_count + 1
            if checked:
                envelope.scan(segments, self.segment_count)
            self.segment_count += len(segments)
            if segments:
                yield base, segments
            if eof:
                break
        if carry.strip():
            raise X12Error(
                "file is truncated: the last segment has no terminator",
                segment_number=self.segment_count + 1,
                segment_id=carry.split(sep, 1)[0][:3],
                found=_preview(carry),
                expected=f"a segment ending with {term!r}",
                source=self.source,
            )
        if self._ends:
            envelope.finish(self.segment_count)

    def _no_breaks_inside(self, parts: list[str]) -> None:
        """A line break inside a segment is a segment cut in two (or missing its terminator): refuse it
        rather than glue a line break, or the next segment, into an id."""
        for index, part in enumerate(parts):
            if "\n" in part or "\r" in part:
                before = part.replace("\r", "\n").split("\n", 1)[0]
                raise X12Error(
                    "line break inside a segment (a segment cut in two, or one missing its terminator)",
                    segment_number=self.segment_count + index + 1,
                    segment_id=part.split(self.delimiters.element, 1)[0][:3],
                    element=before.count(self.delimiters.element) or None,
                    found=_preview(part.replace("\r", "\\r").replace("\n", "\\n")),
                    expected=f"line breaks only after the segment terminator {self.delimiters.segment!r}",
                    source=self.source,
                )

    def _decode(self, data: bytes, carry: str, segments_before: int) -> str:
        try:
            return data.decode("ascii")
        except UnicodeDecodeError as err:
            before = carry + data[: err.start].decode("ascii")
            term = self.delimiters.segment if hasattr(self, "delimiters") else "~"
            number = segments_before + before.count(term) + 1
            current = before.rsplit(term, 1)[-1].strip("\r\n")
            sep = self.delimiters.element if hasattr(self, "delimiters") else "*"
            offset = self._offset + err.start
            if self._unwrapped is not None:
                offset = self._skipped + self._unwrapped.raw_offset(offset - self._skipped)
            raise X12Error(
                f"non-ASCII byte 0x{data[err.start]:02X} at byte offset {offset}",
                segment_number=number,
                segment_id=current.split(sep, 1)[0][:3] or None,
                found=_preview(current),
                expected="X12 basic or extended character set (ASCII)",
                source=self.source,
            ) from None

    def _too_long(self, carry: str, number: int) -> None:
        raise X12Error(
            f"segment longer than {self._max_segment} characters without a terminator "
            f"(reading stopped at byte offset {self._offset})",
            segment_number=number,
            segment_id=carry.split(self.delimiters.element, 1)[0][:3],
            found=_preview(carry),
            expected=f"segments ending with {self.delimiters.segment!r}",
            source=self.source,
        )


_R = TypeVar("_R")


def _collecting_off(split: Callable[..., _R], *args: Any) -> _R:
    """split(*args) with the cyclic GC off: no collection can find garbage among lists made this instant."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return split(*args)
    finally:
        if collecting:
            gc.enable()


def _split_all(parts: list[str], sep: str) -> list[Segment]:
    return list(map(str.split, parts, repeat(sep)))  # the loop in C: no bytecode per segment


def _split_shared(parts: list[str], sep: str, shared: SharedSegments) -> list[Segment]:
    """Each text split on `sep`, a text met before answered from the cache (the same list object)."""
    cache = shared.texts
    fresh: list[int] = []
    segments: list[Segment] = []
    for part in parts:
        segment = cache.get(part)
        if segment is None:
            fresh.append(len(segments))
            segment = _split_new(part, sep, shared)
        segments.append(segment)
    shared.fresh = fresh
    return segments


def _split_new(part: str, sep: str, shared: SharedSegments) -> Segment:
    """A text not in the cache, split, and kept unless its id is never kept."""
    segment = part.split(sep)
    if segment[0] not in shared.never_kept:
        cache = shared.texts
        if len(cache) >= SHARED_SEGMENTS:  # full: start again (a dict has no cheap way to drop the oldest)
            cache.clear()
        cache[part] = segment
    return segment


def _split_checked(parts: list[str], sep: str, term: str, shared: SharedSegments) -> list[Segment] | None:
    """_split_shared for the parts of an unverified one-segment-a-line split (the last part is the carry, not
    split), skipping blank ones; None when the carry or a text not met before holds a line break or the
    terminator (then the split was wrong)."""
    last = len(parts) - 1
    carry = parts[last]
    if "\n" in carry or term in carry:
        return None
    cache = shared.texts
    fresh: list[int] = []
    segments: list[Segment] = []
    for index in range(last):
        part = parts[index]
        segment = cache.get(part)
        if segment is None:
            if not part:
                continue  # a blank line or a doubled terminator
            if "\n" in part or term in part:
                # The texts kept so far were never handed out: forgotten, or the next split would take them
                # for segments seen before (not fresh) and a caller could miss a new id among them.
                cache.clear()
                return None
            fresh.append(len(segments))
            segment = _split_new(part, sep, shared)
        segments.append(segment)
    shared.fresh = fresh
    return segments


def _one_segment_a_line(text: str, term: str, verify: bool = True) -> list[str] | None:
    """The split when every terminator, and nothing else, is followed by LF (the usual file): one C-level
    split instead of a replace and a split. None when the text is anything else (verify=False: the caller
    checks that instead, part by part)."""
    if term in "\r\n" or "\n" not in text or "\r" in text:
        return None
    text = text.lstrip("\n")
    parts = text.split(term + "\n")
    breaks = len(parts) - 1
    if verify and (text.count("\n") != breaks or text.count(term) != breaks):
        return None
    return parts


def _drop_line_breaks(text: str, term: str) -> str:
    """Drop CR/LF written after terminators with C-level replaces (the usual one-segment-a-line files)."""
    text = text.lstrip("\r\n")
    for ending in ("\r\n", "\n", "\r"):
        if term + ending in text:
            text = text.replace(term + ending, term)
    return text


def _line_ending(rest: bytes) -> str:
    if rest.startswith(b"\r\n"):
        return "\r\n"
    return rest[:1].decode("ascii", "replace") if rest[:1] in (b"\n", b"\r") else ""


def _preview(text: str) -> str:
    return text[:40] + ("..." if len(text) > 40 else "")


def open_source(path: str | Path | BinaryIO) -> tuple[BinaryIO, str, bool]:
    """(binary stream, name for messages, whether the caller must close it); '-' is standard input."""
    if isinstance(path, str | Path):
        if str(path) == "-":
            return sys.stdin.buffer, "<stdin>", False
        try:
            return open(path, "rb"), str(path), True  # closed by the caller
        except OSError as err:
            raise X12Error(f"cannot open: {err.strerror}", source=str(path)) from None
    return path, getattr(path, "name", "<stream>"), False


def tokenize(
    path: str | Path | BinaryIO, *, chunk_size: int = CHUNK_SIZE, max_segment: int = MAX_SEGMENT
) -> Iterator[Segment]:
    """All segments of a file, envelope-checked; closes the file when done."""
    stream, name, owned = open_source(path)
    try:
        yield from Tokenizer(stream, source=name, chunk_size=chunk_size, max_segment=max_segment)
    finally:
        if owned:
            stream.close()
