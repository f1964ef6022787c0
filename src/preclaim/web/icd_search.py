"""ICD-10-CM search by code prefix or words, over the package's table (about 74,000 codes) and the codes'
inclusion terms, so "pernicious" finds D51.0 (whose title says "intrinsic factor deficiency" while the
tabular list includes "Pernicious (congenital) anemia" under it)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import msgspec

from preclaim.codes.icd10 import normalize_icd10, package_version, table
from preclaim.paths import cache_home

LIMIT = 20
Row = tuple[str, str, str, bool, str]  # code, description, searchable text (lower case), billable, inclusion terms


def _terms_path() -> Path:
    return cache_home() / f"icd10cm-inclusion-{package_version()}.msgpack"


@cache
def inclusion_terms() -> dict[str, str]:
    """code -> its inclusion terms joined with '; ' (cached next to the code table: the XML parse is slow)."""
    path = _terms_path()
    try:
        found: dict[str, str] = msgspec.msgpack.decode(path.read_bytes(), type=dict[str, str])
        return found
    except (OSError, msgspec.DecodeError):
        pass
    import simple_icd_10_cm as icd

    built = {c: "; ".join(t) for c in icd.get_all_codes(True) if (t := icd.get_inclusion_term(c))}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        temp.write_bytes(msgspec.msgpack.encode(built))
        temp.replace(path)
    except OSError:
        pass  # a read-only home still works, just slower to start
    return built


@cache
def _index() -> tuple[Row, ...]:
    terms = inclusion_terms()
    return tuple((c, d, f"{d} {terms.get(c, '')}".lower(), b, terms.get(c, "")) for c, d, b in table().rows())


def _looks_like_code(text: str) -> bool:
    return " " not in text and len(text) <= 8 and text[0].isalpha() and text[1].isdigit()


def _also(words: list[str], description: str, terms: str) -> str:
    """The inclusion terms that matched a word the title lacks (shown so the pick makes sense)."""
    lowered = description.lower()
    if all(w in lowered for w in words):
        return ""
    return "; ".join(t for t in terms.split("; ") if any(w in t.lower() for w in words if w not in lowered))


def search_icd10(query: str, limit: int = LIMIT) -> list[dict[str, object]]:
    """Codes first (prefix match), then titles or inclusion terms holding every word; billable codes first."""
    text = query.strip()
    if len(text) < 2:
        return []
    words: list[str] = []
    if _looks_like_code(text):
        prefix = normalize_icd10(text).rstrip(".")
        hits = [row for row in _index() if row[0].startswith(prefix)]
    else:
        words = text.lower().split()
        hits = [row for row in _index() if all(w in row[2] for w in words)]
    hits.sort(key=lambda row: (not row[3], len(row[0]), row[0]))
    return [
        {"code": c, "description": d, "billable": b, "also": _also(words, d, t) if words else ""}
        for c, d, _, b, t in hits[:limit]
    ]
