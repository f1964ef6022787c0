"""Import X12 837P claims and 835 payments through the streaming readers in preclaim.edi.x12.

A claim the 837 reader rejects (bad segment) is skipped and reported with its place; the claims around
it are still imported, each in its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from preclaim.domain import Claim
from preclaim.errors import StoreError
from preclaim.store.db import Store
from preclaim.store.import_run import ImportResult, Progress, import_claims
from preclaim.store.remits import import_835


def import_x12(
    store: Store, path: Path, kind: str, *, progress: Progress | None = None, digest: str = ""
) -> ImportResult:
    if kind == "837":
        return import_837(store, path, progress=progress, digest=digest)
    if kind == "835":
        return import_835(store, path, progress=progress, digest=digest)
    raise StoreError(f"X12 {kind} files are not history (expected an 837P or an 835)")


def import_837(store: Store, path: Path, *, progress: Progress | None = None, digest: str = "") -> ImportResult:
    from preclaim.edi.x12.read837 import iter_claims

    rejected: list[str] = []

    def claims() -> Iterator[Claim]:
        for item in iter_claims(path):
            if isinstance(item, Claim):
                yield item
            else:
                rejected.append(f"claim {item.claim_id or '?'}: {item.reason}")

    result = import_claims(store, claims(), source=str(path), kind="837", progress=progress, digest=digest)
    result.counts["rejected"] = len(rejected)
    result.problems.extend(rejected)
    return result
