"""Import an article's covered ICD-10-CM list from the CMS Medicare Coverage Database (MCD) download.

The download (current_article.zip / all_article.zip, which may nest current_article_csv.zip) holds
article_x_icd10_covered.csv with columns article_id, article_version, icd10_code_id, icd10_code_version,
icd10_covered_group, range, sort_order, description, asterisk (only the first three are required here).
The newest version of the article is taken. A code id written as a range ("D51.0-D51.9") is expanded to the
billable ICD-10-CM codes it spans.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from preclaim.codes.icd10 import billable_between, normalize_icd10
from preclaim.errors import CodeSetError

TABLE = "article_x_icd10_covered.csv"
GROUP_TABLE = "article_x_icd10_covered_group.csv"
_TAG = re.compile(r"<[^>]+>")
COLUMNS = ("article_id", "article_version", "icd10_code_id")
_FALSE = {"", "0", "n", "no", "false", "f"}


def _find_table(path: Path, table: str = TABLE) -> tuple[str, bytes]:
    try:
        if path.is_dir():
            found = next(iter(path.rglob(table)), None)
            if found is None:
                raise CodeSetError(f"no {table} in this folder", where=str(path))
            return str(found), found.read_bytes()
        if not zipfile.is_zipfile(path):
            state = "does not exist" if not path.exists() else "is not a zip"
            raise CodeSetError(
                f"{state}: expected the MCD article download (zip) or a folder holding {TABLE}", where=str(path)
            )
        with zipfile.ZipFile(path) as archive:
            return _from_zip(archive, str(path), table)
    except (OSError, zipfile.BadZipFile) as exc:
        raise CodeSetError(f"cannot read the MCD download: {exc}", where=str(path)) from None


def _from_zip(archive: zipfile.ZipFile, where: str, table: str) -> tuple[str, bytes]:
    for name in archive.namelist():
        if name.rsplit("/", 1)[-1].lower() == table:
            return f"{where}!{name}", archive.read(name)
    for name in archive.namelist():  # CMS nests the CSV zip inside the download zip
        if name.lower().endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(archive.read(name))) as inner:
                try:
                    return _from_zip(inner, f"{where}!{name}", table)
                except CodeSetError:
                    continue
    raise CodeSetError(f"no {table} in the download", where=where)


def _rows(where: str, data: bytes, columns: tuple[str, ...] = COLUMNS) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig", errors="replace")))
    fields = [f.strip().lower() for f in reader.fieldnames or ()]
    missing = [c for c in columns if c not in fields]
    if missing:
        raise CodeSetError(f"missing column(s) {', '.join(missing)}; found {', '.join(fields)}", where=f"{where}:1")
    reader.fieldnames = fields
    for row in reader:
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}


def _article_number(article_id: str) -> str:
    text = article_id.strip().upper().removeprefix("A")
    if not text.isdigit():
        raise CodeSetError(f"article id {article_id!r} is not like A57755 or 57755")
    return str(int(text))


def _codes(raw: str, where: str) -> tuple[list[str], str | None]:
    if "-" not in raw:
        return [normalize_icd10(raw)], None
    first, _, last = raw.partition("-")
    codes = billable_between(first, last)
    if not codes:
        raise CodeSetError(f"range {raw!r} spans no billable ICD-10-CM code", where=where)
    return codes, raw


def import_mcd_article_icd10(path: Path, article_id: str) -> list[dict[str, str]]:
    """Covered codes of the article's newest version: code, description, group, version, article, and range
    (the MCD range value or the code range a row was expanded from) when present. `article_id`: A57755 or 57755."""
    wanted = _article_number(article_id)
    where, data = _find_table(path)
    by_version: dict[int, list[dict[str, str]]] = {}
    for line, row in _rows(where, data):
        if row["article_id"].upper().removeprefix("A").lstrip("0") != wanted:
            continue
        place = f"{where}:{line}"
        try:
            version = int(row["article_version"] or 0)
        except ValueError:
            raise CodeSetError(f"article_version {row['article_version']!r} is not a number", where=place) from None
        if not row["icd10_code_id"]:
            raise CodeSetError("empty icd10_code_id", where=place)
        codes, expanded_from = _codes(row["icd10_code_id"], place)
        flag = row.get("range", "")
        for code in codes:
            entry = {
                "code": code,
                "description": row.get("description", ""),
                "group": row.get("icd10_covered_group", ""),
                "version": str(version),
                "article": f"A{wanted}",
            }
            if expanded_from or flag.lower() not in _FALSE:
                entry["range"] = expanded_from or flag
            by_version.setdefault(version, []).append(entry)
    if not by_version:
        raise CodeSetError(f"article A{wanted} is not in {TABLE}", where=where)
    return by_version[max(by_version)]


def import_mcd_article_groups(path: Path, article_id: str) -> dict[str, str]:
    """Group number -> the article's paragraph for that covered-code group (HTML stripped), newest version.

    The paragraphs say how groups combine (e.g. a code that needs a secondary diagnosis from another group).
    Empty when the download has no article_x_icd10_covered_group.csv."""
    wanted = _article_number(article_id)
    try:
        where, data = _find_table(path, GROUP_TABLE)
    except CodeSetError:
        return {}
    versions: dict[int, dict[str, str]] = {}
    for _line, row in _rows(where, data, ("article_id", "article_version", "icd10_covered_group")):
        if row["article_id"].upper().removeprefix("A").lstrip("0") != wanted or not row["article_version"].isdigit():
            continue
        text = html.unescape(_TAG.sub(" ", row.get("paragraph", "")))
        versions.setdefault(int(row["article_version"]), {})[row["icd10_covered_group"]] = " ".join(text.split())
    return versions[max(versions)] if versions else {}


def write_code_list_csv(rows: list[dict[str, str]], dest: Path, article_id: str | None = None) -> Path:
    """Write a policy code list (code, description, group, verified, source) atomically."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["code", "description", "group", "verified", "source"])
            for row in rows:
                article = article_id or row.get("article", "")
                source = f"CMS MCD article {article} version {row['version']} (article_x_icd10_covered)"
                writer.writerow([row["code"], row["description"], row["group"], "true", source])
        tmp.replace(dest)
    except OSError as exc:
        raise CodeSetError(f"cannot write the code list: {exc}", where=str(dest)) from None
    return dest
