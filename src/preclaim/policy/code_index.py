"""An index over a diagnosis list: exact codes and category prefixes, for lookups in O(length of the code).

The resolver builds one per list a resolved policy uses (covered and excluded diagnoses, condition values), so
rules never index a list per call and nothing is cached by object identity.
"""

from __future__ import annotations

from collections.abc import Sequence

from preclaim.codes import normalize_icd10
from preclaim.policy.schema import DiagnosisEntry

Entry = DiagnosisEntry | str
_FOUND_LIMIT = 4096  # claims repeat a few hundred diagnosis codes; bound the odd flood


class CodeIndex:
    """Normalised exact codes and category prefixes of a list ("D51" covers "D51.0")."""

    __slots__ = ("_found", "by_code", "entries", "longest")

    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = tuple(entries)
        self.by_code: dict[str, Entry] = {}
        for entry in self.entries:
            target = normalize_icd10(entry.code if isinstance(entry, DiagnosisEntry) else entry)
            self.by_code.setdefault(target, entry)
        self.longest = max(map(len, self.by_code), default=0)
        self._found: dict[str, Entry | None] = {}  # answers so far, owned by this index

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, code: str) -> Entry | None:
        """The entry that covers `code`: an exact code or a category prefix."""
        if not self.by_code:
            return None
        try:
            return self._found[code]
        except KeyError:
            pass
        if len(self._found) > _FOUND_LIMIT:
            self._found.clear()
        hit = self._found[code] = self._find(code)
        return hit

    def _find(self, code: str) -> Entry | None:
        normal = normalize_icd10(code)
        # "D51" covers "D51.0"; "K90.8" covers "K90.89": try the code, then each shorter prefix. Only
        # prefixes as long as the longest entry can match, so a huge code costs one pass, not one per prefix.
        hit = self.by_code.get(normal)
        if hit is not None:
            return hit
        for end in range(min(len(normal) - 1, self.longest), 2, -1):
            hit = self.by_code.get(normal[:end].rstrip("."))
            if hit is not None:
                return hit
        return None


EMPTY_INDEX = CodeIndex(())
