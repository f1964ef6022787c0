"""Import an article's covered ICD-10-CM list from the CMS Medicare Coverage Database download.

The download (current_article.zip, which may hold current_article_csv.zip) contains
article_x_icd10_covered.csv with columns article_id, article_version, icd10_code_id,
icd10_covered_group, description. The newest version of the article is taken.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

from preclaim.codes.registry import normalize_icd10
from preclaim.errors import CodeSetError

TABLE = "article_x_icd10_covered.csv"
COLUMNS = ("article_id", "article_version", "icd10_code_id")


def _find_table(path: Path) -> tuple[str, bytes]:
    if path.is_dir():
        found = next(iter(path.rglob(TABLE)), None)
        if found is None:
            raise CodeSetError(f"no {TABLE} in this folder", where=str(path))
        return str(found), found.read_bytes()
    if not zipfile.is_zipfile(path):
        raise CodeSetError(f"expected the MCD download (a zip) or a folder holding {TABLE}", where=str(path))
    return _from_zip(zipfile.ZipFile(path), str(path))


def _from_zip(archive: zipfile.ZipFile, where: str) -> tuple[str, bytes]:
    for name in archive.namelist():
        if name.rsplit("/", 1)[-1].lower() == TABLE:
            return f"{where}!{name}", archive.read(name)
    for name in archive.namelist():  # CMS nests the CSV zip inside the download zip
        if name.lower().endswith(".zip"):
            inner = zipfile.ZipFile(io.BytesIO(archive.read(name)))
            try:
                return _from_zip(inner, f"{where}!{name}")
            except CodeSetError:
                continue
    raise CodeSetError(f"no {TABLE} in the download", where=where)


def _rows(where: str, data: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig", errors="replace")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise CodeSetError(f"missing column(s): {', '.join(missing)}", where=f"{where}:1")
    for row in reader:
        yield reader.line_num, row


def import_mcd_article_icd10(path: Path, article_id: str) -> list[dict[str, str]]:
    """Rows (code, description, group) of the article's newest version. `article_id` may be 'A57755' or '57755'."""
    wanted = article_id.upper().removeprefix("A")
    where, data = _find_table(path)
    by_version: dict[int, list[dict[str, str]]] = {}
    for line, row in _rows(where, data):
        if row["article_id"].strip().upper().removeprefix("A") != wanted:
            continue
        try:
            version = int(row["article_version"].strip() or 0)
        except ValueError:
            raise CodeSetError(
                f"article_version {row['article_version']!r} is not a number", where=f"{where}:{line}"
            ) from None
        code = row["icd10_code_id"].strip()
        if not code:
            raise CodeSetError("empty icd10_code_id", where=f"{where}:{line}")
        by_version.setdefault(version, []).append(
            {
                "code": normalize_icd10(code),
                "description": (row.get("description") or "").strip(),
                "group": (row.get("icd10_covered_group") or "").strip(),
                "version": str(version),
            }
        )
    if not by_version:
        raise CodeSetError(f"article {article_id} is not in {TABLE}", where=where)
    return by_version[max(by_version)]


def write_code_list_csv(rows: list[dict[str, str]], dest: Path, article_id: str) -> Path:
    """Write a policy code list (code, description, group, verified, source) atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "description", "group", "verified", "source"])
        for row in rows:
            source = f"CMS MCD article {article_id} version {row['version']}"
            writer.writerow([row["code"], row["description"], row["group"], "true", source])
    tmp.replace(dest)
    return dest
