"""Import X12 837P claims and 835 payments through the readers in preclaim.edi.x12."""

from __future__ import annotations

from pathlib import Path

from preclaim.errors import StoreError
from preclaim.store.db import Store
from preclaim.store.ingest import ImportResult, Progress


def import_x12(
    store: Store, path: Path, kind: str, *, progress: Progress | None = None, digest: str = ""
) -> ImportResult:
    raise StoreError(f"X12 {kind} import is not available yet in this build; import a CSV (see docs/store.md)")
