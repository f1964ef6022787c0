"""Diagnosis code lists referenced by policies (e.g. the covered ICD-10-CM list of article A57755).

A list is a CSV with columns code, description, group, verified, source. Bundled lists live in
data/policies/lists; a user's policy folder may hold a lists/ folder whose files replace bundled ones.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from preclaim.domain.limits import ICD_CODE, out_of_bounds, preview
from preclaim.errors import PolicyError
from preclaim.policy.schema import DiagnosisEntry

REQUIRED_COLUMNS = ("code", "description")


def read_code_list(path: Path) -> tuple[DiagnosisEntry, ...]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise PolicyError(f"missing column(s) {', '.join(missing)}", where=f"{path}:1")
            entries = []
            for row in reader:
                code = (row.get("code") or "").strip()
                if not code:
                    raise PolicyError("empty code", where=f"{path}:{reader.line_num}")
                if expected := out_of_bounds(code, ICD_CODE):
                    raise PolicyError(f"code {preview(code)!r}: expected {expected}", where=f"{path}:{reader.line_num}")
                verified = (row.get("verified") or "true").strip().lower() in ("true", "yes", "1")
                entries.append(DiagnosisEntry(code=code, label=row.get("description"), verified=verified))
    except OSError as exc:
        raise PolicyError(f"cannot read code list: {exc}", where=str(path)) from None
    except csv.Error as exc:  # a field over the csv module's size limit
        raise PolicyError(f"not a readable CSV row: {exc}", where=f"{path}:{reader.line_num + 1}") from None
    except UnicodeDecodeError as exc:
        raise PolicyError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=str(path)) from None
    return tuple(entries)


def load_code_lists(directories: Iterable[Path]) -> dict[str, tuple[DiagnosisEntry, ...]]:
    lists: dict[str, tuple[DiagnosisEntry, ...]] = {}
    for directory in directories:
        folder = directory / "lists"
        if folder.is_dir():
            for path in sorted(folder.glob("*.csv")):
                lists[path.stem] = read_code_list(path)
    return lists
