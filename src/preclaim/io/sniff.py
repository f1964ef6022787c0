"""What an input holds, judged by its first bytes, the same way wherever a file or a request body arrives.

The CLI (`check`, `history import`, `auth request|record`), the REST service and the web upload all ask
`sniff`, so an 837P that one of them reads is never "not valid JSON" to another. A UTF-8 byte order mark
(Windows editors and some exports write one) and leading blank space are skipped everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from preclaim.errors import InputError

BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 4096  # enough to see an X12 interchange's ST segment or a CSV header
_BLANK = b" \t\r\n"
_BREAKS = (b"\r", b"\n")
ISA_LENGTH = 106

InputKind = Literal["x12", "json", "other"]


def strip_bom(data: bytes) -> bytes:
    """`data` without a leading UTF-8 byte order mark."""
    return data[len(BOM) :] if data.startswith(BOM) else data


def content_start(data: bytes) -> bytes:
    """`data` from its first character that is not a byte order mark or blank space."""
    return strip_bom(data.lstrip(_BLANK)).lstrip(_BLANK)


def sniff(head: bytes) -> InputKind:
    """ "x12" (an interchange: ISA), "json" (an object or array) or "other" (a CSV, or anything else)."""
    start = content_start(head)
    if start.startswith(b"ISA"):
        return "x12"
    if start[:1] in (b"{", b"["):
        return "json"
    return "other"


def x12_transaction(head: bytes) -> str | None:
    """ST01 of the first transaction set in the head of an interchange ('837', '835', '278' ...), else None.

    A fixed-width export wraps lines inside segments; unless its segment terminator is itself a line
    break, line breaks are not data, so they are dropped before looking.
    """
    start = content_start(head)
    if not start.startswith(b"ISA") or len(start) < ISA_LENGTH:
        return None
    element = start[3:4]
    if start[105:106] in _BREAKS:
        term, text = start[105:106], start
    else:
        text = start.replace(b"\r", b"").replace(b"\n", b"")
        term = text[105:106]
    for segment in text.split(term):
        parts = segment.strip(_BLANK).split(element)
        if parts[0] == b"ST" and len(parts) > 1:
            return parts[1][:3].decode("ascii", "replace")
    return None


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first `size` bytes of a file; InputError naming it when it cannot be read."""
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", where=str(path)) from None


__all__ = ["BOM", "HEAD_BYTES", "InputKind", "content_start", "read_head", "sniff", "strip_bom", "x12_transaction"]
