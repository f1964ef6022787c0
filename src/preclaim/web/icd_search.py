"""ICD-10-CM search by code prefix or words in the description, over the package's table (about 74,000 codes)."""

from __future__ import annotations

from functools import cache
from typing import Any

from preclaim.codes.icd10 import normalize_icd10, table

LIMIT = 20
Row = tuple[str, str, str, bool]  # code, description, description lower-cased, billable


@cache
def _index() -> tuple[Row, ...]:
    found: Any = table()
    if hasattr(found, "descriptions"):  # Table(descriptions, categories)
        pairs = ((c, d, c not in found.categories) for c, d in found.descriptions.items())
    else:  # older shape: code -> (description, billable)
        pairs = ((c, d, bool(b)) for c, (d, b) in found.items())
    return tuple((c, d, d.lower(), b) for c, d, b in pairs)


def _looks_like_code(text: str) -> bool:
    return " " not in text and len(text) <= 8 and text[0].isalpha() and text[1].isdigit()


def search_icd10(query: str, limit: int = LIMIT) -> list[dict[str, object]]:
    """Codes first (prefix match), then descriptions containing every word; billable codes before categories."""
    text = query.strip()
    if len(text) < 2:
        return []
    if _looks_like_code(text):
        prefix = normalize_icd10(text).rstrip(".")
        hits = [row for row in _index() if row[0].startswith(prefix)]
    else:
        words = text.lower().split()
        hits = [row for row in _index() if all(w in row[2] for w in words)]
    hits.sort(key=lambda row: (not row[3], len(row[0]), row[0]))
    return [{"code": c, "description": d, "billable": b} for c, d, _, b in hits[:limit]]
