"""ICD-10-CM lookups over the simple-icd-10-cm package, as a dictionary the engine can read per claim.

Importing simple-icd-10-cm parses its XML (seconds), so the derived table (code -> description, leaf flag) is
cached on disk per package version and loads in milliseconds; single lookups are also memoised.
"""

from __future__ import annotations

import importlib.util
import os
import re
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
    return cache_home() / f"icd10cm-{package_version()}.v2.msgpack"


class Table(msgspec.Struct, frozen=True):
    descriptions: dict[str, str]  # code with dot -> description
    categories: frozenset[str]  # codes that are not leaves (cannot be billed)


def _decode(raw: bytes) -> Table:
    # Three newline-joined strings decode several times faster than ~100,000 small msgpack entries.
    codes, texts, categories = msgspec.msgpack.decode(raw, type=tuple[str, str, str])
    return Table(dict(zip(codes.split("\n"), texts.split("\n"), strict=True)), frozenset(categories.split("\n")))


def _build() -> tuple[Table, bytes]:
    import simple_icd_10_cm as icd  # slow import (parses XML), only when the cache is missing

    codes = list(icd.get_all_codes(True))
    texts = [" ".join(icd.get_description(c).split()) for c in codes]
    categories = [c for c in codes if not icd.is_leaf(c)]
    raw = msgspec.msgpack.encode(("\n".join(codes), "\n".join(texts), "\n".join(categories)))
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
    data = table()
    text = data.descriptions.get(normal)
    return Icd10Entry(normal, text, normal not in data.categories) if text is not None else None


def billable_between(first: str, last: str) -> list[str]:
    """Billable codes from `first` to `last` inclusive (an MCD range such as D51.0-D51.9), in code order."""
    low, high = normalize_icd10(first), normalize_icd10(last)
    data = table()
    return sorted(
        code
        for code in data.descriptions
        if code not in data.categories and low <= code and (code <= high or code.startswith(high))
    )
