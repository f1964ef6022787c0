"""ICD-10-CM lookups over the simple-icd-10-cm package, as a dictionary the engine can read per claim.

Importing simple-icd-10-cm parses its XML (seconds), so the derived table (code -> description, leaf flag) is
cached on disk per package version and loads in milliseconds; single lookups are also memoised.
"""

from __future__ import annotations

import importlib.util
import os
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path

import msgspec

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
    return cache_home() / f"icd10cm-{package_version()}.v3.msgpack"


class Table:
    """Every ICD-10-CM code (with dot), in code order, with its description and whether it is a category (not a
    leaf: cannot be billed).

    Kept compact: a sorted list of the codes, their descriptions as one string (cut at recorded offsets) and a
    flag byte per code. A dict of 98,000 descriptions and a set of the categories took 44 MB of every checking
    process and 50 ms to load; this takes about a third of that memory and loads several times faster."""

    __slots__ = ("_flags", "_starts", "_texts", "codes")

    def __init__(self, codes: list[str], texts: str, starts: array[int], flags: bytes) -> None:
        self.codes = codes  # sorted
        self._texts = texts  # the descriptions, each followed by a line break
        self._starts = starts  # where description i starts in _texts; one more entry: where the last one ends
        self._flags = flags  # 1: a category

    def __len__(self) -> int:
        return len(self.codes)

    def find(self, code: str) -> tuple[str, bool] | None:
        """(description, billable) of `code` (with dot), or None when no such code exists."""
        at = bisect_left(self.codes, code)
        if at < len(self.codes) and self.codes[at] == code:
            return self._text(at), self._flags[at] == 0
        return None

    def billable_between(self, low: str, high: str) -> list[str]:
        """The billable codes from `low` on, up to `high` or starting with it, in code order: one run of the
        sorted codes, so it starts where `low` would be and stops at the first code past it."""
        found: list[str] = []
        codes = self.codes
        for at in range(bisect_left(codes, low), len(codes)):
            code = codes[at]
            if code > high and not code.startswith(high):
                break
            if self._flags[at] == 0:
                found.append(code)
        return found

    def rows(self) -> Iterator[tuple[str, str, bool]]:
        """(code, description, billable) in code order."""
        for at, code in enumerate(self.codes):
            yield code, self._text(at), self._flags[at] == 0

    def _text(self, at: int) -> str:
        return self._texts[self._starts[at] : self._starts[at + 1] - 1]


def _encode(rows: list[tuple[str, str, bool]]) -> bytes:
    rows = sorted(rows)
    texts = "".join(f"{text}\n" for _, text, _ in rows)
    starts = array("I", [0])
    for _, text, _ in rows:
        starts.append(starts[-1] + len(text) + 1)
    flags = bytes(0 if billable else 1 for _, _, billable in rows)
    return msgspec.msgpack.encode(("\n".join(code for code, _, _ in rows), texts, starts.tobytes(), flags))


def _decode(raw: bytes) -> Table:
    codes, texts, offsets, flags = msgspec.msgpack.decode(raw, type=tuple[str, str, bytes, bytes])
    starts = array("I")
    starts.frombytes(offsets)
    table = Table(codes.split("\n"), texts, starts, flags)
    if len(starts) != len(table.codes) + 1 or len(flags) != len(table.codes) or starts[-1] != len(texts):
        raise ValueError("inconsistent ICD-10-CM cache")
    return table


def _build() -> tuple[Table, bytes]:
    import simple_icd_10_cm as icd  # slow import (parses XML), only when the cache is missing

    codes = list(icd.get_all_codes(True))  # a few codes come twice: the last description counts
    descriptions = {c: " ".join(icd.get_description(c).split()) for c in codes}
    categories = {c for c in codes if not icd.is_leaf(c)}
    raw = _encode([(c, text, c not in categories) for c, text in descriptions.items()])
    return _decode(raw), raw


@cache
def table() -> Table:
    """Every ICD-10-CM code (with dot): description and whether it is a category (not billable)."""
    path = _cache_path()
    try:
        return _decode(path.read_bytes())
    except (OSError, msgspec.DecodeError, ValueError):
        pass
    built, raw = _build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(raw)
        tmp.replace(path)
    except OSError:
        pass  # a read-only home still works, just slower to start
    return built


@lru_cache(maxsize=65536)
def lookup(code: str) -> Icd10Entry | None:
    normal = normalize_icd10(code)
    found = table().find(normal)
    return Icd10Entry(normal, *found) if found is not None else None


def billable_between(first: str, last: str) -> list[str]:
    """Billable codes from `first` to `last` inclusive (an MCD range such as D51.0-D51.9), in code order."""
    return table().billable_between(normalize_icd10(first), normalize_icd10(last))
