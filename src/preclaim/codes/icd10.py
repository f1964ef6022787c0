"""ICD-10-CM lookups over the simple-icd-10-cm package, as a dictionary the engine can read per claim.

Importing simple-icd-10-cm parses its XML (seconds), so the derived table (code -> description, leaf flag) is
cached on disk per package version and loads in milliseconds; single lookups are also memoised.
"""

from __future__ import annotations

import importlib.util
import mmap
import os
import re
import struct
from bisect import bisect_left
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path

from preclaim.codes.types import Icd10Entry
from preclaim.domain.report import Source
from preclaim.paths import cache_home

PACKAGE = "simple-icd-10-cm"
ICD10_SOURCE = Source(
    "icd-10-cm", "ICD-10-CM (CDC/NCHS) via the simple-icd-10-cm package", "https://www.cdc.gov/nchs/icd/icd-10-cm/"
)


def normalize_icd10(code: str) -> str:
    """ "d510" -> "D51.0": upper case, no spaces, a dot after the third character."""
    text = code.strip().upper().replace(" ", "").replace(".", "")
    return text if len(text) <= 3 else f"{text[:3]}.{text[3:]}"


def package_version() -> str:
    return metadata.version(PACKAGE)


@cache
def release() -> str:
    """The ICD-10-CM release the package carries (e.g. "April 2026"), read from its source without importing it."""
    spec = importlib.util.find_spec("simple_icd_10_cm.simple_icd_10_cm")
    text = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
    found = re.search(r"code-list-([A-Za-z]+)-(\d{4})\.txt", text)
    return f"{found.group(1)} {found.group(2)}" if found else "unknown release"


def _cache_path() -> Path:
    return cache_home() / f"icd10cm-{package_version()}.v4.table"


# The cached table's layout (little-endian): magic, then code count, code width and description bytes, then the
# codes (ASCII, in order, NUL-padded to the width), a flag byte per code, where each description starts (uint32,
# one more entry: where the last ends) and the descriptions (UTF-8).
_MAGIC = b"PCICD\x00\x04\x00"
_HEADER = struct.Struct("<8sIII")
_Buffer = bytes | mmap.mmap


class Table:
    """Every ICD-10-CM code (with dot), in code order, with its description and whether it is a category (not a
    leaf: cannot be billed).

    Read in place from the cache file, mapped into memory: a check looks up a few hundred codes, so only the
    pages it touches are read and none is copied. A dict of 98,000 descriptions and a set of the categories took
    44 MB of every checking process; a list of the codes with the descriptions as one string still took 14 MB,
    and loading it 8 MB more for a moment, at the start of the checks, when a big file's history and claims are
    all in memory (issue 14)."""

    __slots__ = ("_buffer", "_codes", "_count", "_flags", "_starts", "_texts", "_width")

    def __init__(self, buffer: _Buffer) -> None:
        """`buffer`: a table as `_encode` writes it; ValueError when it is not one."""
        if len(buffer) < _HEADER.size:
            raise ValueError("ICD-10-CM table too short")
        magic: bytes
        count: int
        width: int
        text_bytes: int
        magic, count, width, text_bytes = _HEADER.unpack_from(buffer)
        codes = _HEADER.size
        flags = codes + count * width
        starts = flags + count
        texts = starts + 4 * (count + 1)
        if magic != _MAGIC or width == 0 or len(buffer) != texts + text_bytes:
            raise ValueError("not an ICD-10-CM table of this version")
        self._buffer: _Buffer = buffer  # keeps the mapping open while the table lives
        self._count: int = count
        self._width: int = width
        self._codes: int = codes  # where each part starts in the buffer
        self._flags: int = flags
        self._starts: int = starts
        self._texts: int = texts
        if self._start(count) != text_bytes:
            raise ValueError("inconsistent ICD-10-CM table")

    def __len__(self) -> int:
        return self._count

    def find(self, code: str) -> tuple[str, bool] | None:
        """(description, billable) of `code` (with dot), or None when no such code exists."""
        at = self._first(code)
        if at < self._count and self._code(at) == code:
            return self._text(at), self._billable(at)
        return None

    def billable_between(self, low: str, high: str) -> list[str]:
        """The billable codes from `low` on, up to `high` or starting with it, in code order: one run of the
        sorted codes, so it starts where `low` would be and stops at the first code past it."""
        found: list[str] = []
        for at in range(self._first(low), self._count):
            code = self._code(at)
            if code > high and not code.startswith(high):
                break
            if self._billable(at):
                found.append(code)
        return found

    def rows(self) -> Iterator[tuple[str, str, bool]]:
        """(code, description, billable) in code order."""
        for at in range(self._count):
            yield self._code(at), self._text(at), self._billable(at)

    def _first(self, code: str) -> int:
        """Where `code` is or would be: compared as text (a lookup is memoised; a few decodes do not matter)."""
        return bisect_left(range(self._count), code, key=self._code)

    def _code(self, at: int) -> str:
        where = self._codes + at * self._width
        return self._buffer[where : where + self._width].rstrip(b"\x00").decode("ascii")

    def _billable(self, at: int) -> bool:
        return self._buffer[self._flags + at] == 0

    def _start(self, at: int) -> int:
        where = self._starts + 4 * at
        return int.from_bytes(self._buffer[where : where + 4], "little")

    def _text(self, at: int) -> str:
        # each description is followed by a line break
        return self._buffer[self._texts + self._start(at) : self._texts + self._start(at + 1) - 1].decode("utf-8")


def _encode(rows: list[tuple[str, str, bool]]) -> bytes:
    rows = sorted(rows)
    width = max(len(code) for code, _, _ in rows)
    texts = [f"{text}\n".encode() for _, text, _ in rows]
    starts = [0]
    for text in texts:
        starts.append(starts[-1] + len(text))
    return b"".join(
        (
            _HEADER.pack(_MAGIC, len(rows), width, starts[-1]),
            *(code.encode("ascii").ljust(width, b"\x00") for code, _, _ in rows),
            bytes(0 if billable else 1 for _, _, billable in rows),
            struct.pack(f"<{len(starts)}I", *starts),
            *texts,
        )
    )


def _mapped(path: Path) -> Table:
    """The table in the cache file, mapped read-only (the file is replaced whole, never written in place)."""
    with path.open("rb") as file:
        buffer = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        return Table(buffer)
    except ValueError:
        buffer.close()
        raise


def _build() -> tuple[Table, bytes]:
    import simple_icd_10_cm as icd  # slow import (parses XML), only when the cache is missing

    codes = list(icd.get_all_codes(True))  # a few codes come twice: the last description counts
    descriptions = {c: " ".join(icd.get_description(c).split()) for c in codes}
    categories = {c for c in codes if not icd.is_leaf(c)}
    raw = _encode([(c, text, c not in categories) for c, text in descriptions.items()])
    return Table(raw), raw


@cache
def table() -> Table:
    """Every ICD-10-CM code (with dot): description and whether it is a category (not billable)."""
    path = _cache_path()
    try:
        return _mapped(path)
    except (OSError, ValueError):
        pass
    built, raw = _build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(raw)
        tmp.replace(path)
        _remove_superseded(path.parent)
        return _mapped(path)
    except (OSError, ValueError):
        return built  # a read-only home still works, just slower to start


# The table's earlier cache files (MessagePack: unversioned, v2, v3), which no longer are read: 8 MB each.
_SUPERSEDED = re.compile(r"icd10cm-\d[\w.]*?(\.v[23])?\.msgpack")


def _remove_superseded(folder: Path) -> None:
    """Delete the table's cache files in older formats (not the web search's icd10cm-inclusion-* file)."""
    for old in folder.glob("icd10cm-*.msgpack"):
        if _SUPERSEDED.fullmatch(old.name):
            old.unlink(missing_ok=True)


@lru_cache(maxsize=65536)
def lookup(code: str) -> Icd10Entry | None:
    normal = normalize_icd10(code)
    found = table().find(normal)
    return Icd10Entry(normal, *found) if found is not None else None


def billable_between(first: str, last: str) -> list[str]:
    """Billable codes from `first` to `last` inclusive (an MCD range such as D51.0-D51.9), in code order."""
    return table().billable_between(normalize_icd10(first), normalize_icd10(last))
