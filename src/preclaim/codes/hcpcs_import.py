"""Import the CMS quarterly HCPCS Level II file ("Alpha-Numeric HCPCS", e.g. HCPC2026_JAN_ANWEB).

CMS ships a zip holding the file as fixed-width text, an Excel workbook and a record layout. Accepted here:
- the zip itself (its .txt member is read, else a .csv member);
- the fixed-width .txt: HCPC 1-5, SEQNUM 6-10, RECID 11, LONG DESCRIPTION 12-91, SHORT DESCRIPTION 92-119,
  ADD DT 269-276, ACT EFF DT 277-284, TERM DT 285-292, ACTION CD 293 (1-based columns, CMS record layout);
- a CSV export of the workbook with a header row naming HCPC, RECID, LONG DESCRIPTION, SHORT DESCRIPTION and
  optionally SEQNUM, ADD DT, ACT EFF DT, TERM DT (case, spaces and underscores ignored).
RECID 3 starts a procedure code, 4 continues its long description; modifier records (7, 8) are skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import msgspec

from preclaim.codes.registry import FORMAT, IMPORTED_HCPCS, HcpcsImport
from preclaim.codes.types import HcpcsCode
from preclaim.domain.report import Source
from preclaim.errors import CodeSetError

REQUIRED = ("hcpc", "recid", "long description", "short description")
CODE_RECORDS = {"3", "4"}
# (field, first column, last column), 1-based inclusive, from the CMS record layout.
FIXED = (
    ("hcpc", 1, 5),
    ("seqnum", 6, 10),
    ("recid", 11, 11),
    ("long description", 12, 91),
    ("short description", 92, 119),
    ("add dt", 269, 276),
    ("act eff dt", 277, 284),
    ("term dt", 285, 292),
)
_RECORD = re.compile(r"^[A-Z0-9]{5}\d{5}\d")
_UNIT = re.compile(r"(?:up to|per)?\s*(\d+(?:\.\d+)?)\s*(mcg|mg|g|ml|units?|i\.u\.)\s*$", re.IGNORECASE)
_NOC = re.compile(r"unclassified|not otherwise (classified|specified)", re.IGNORECASE)
Row = tuple[str, dict[str, str]]  # (place for errors "file:line", fields)


def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").strip().lower().split())


def _date(value: str, where: str, column: str) -> dt.date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise CodeSetError(f"{column} {text!r} is not a date YYYYMMDD", where=f"{where} ({column})") from None


def _fixed_rows(name: str, lines: list[str]) -> Iterator[Row]:
    started = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if not _RECORD.match(line):
            if started:
                raise CodeSetError(
                    f"not a HCPCS record: expected a 5-character code, a 5-digit sequence number and a record id "
                    f"in columns 1-11, found {line[:11]!r}",
                    where=f"{name}:{number}",
                )
            continue  # title lines before the first record
        started = True
        yield f"{name}:{number}", {field: line[a - 1 : b] for field, a, b in FIXED}
    if not started:
        raise CodeSetError("no HCPCS records found; is this the CMS Alpha-Numeric HCPCS file?", where=name)


def _csv_rows(name: str, text: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text))
    header = [_key(h) for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CodeSetError(
            f"missing column(s) {', '.join(c.upper() for c in missing)}; is this the CMS HCPCS file?",
            where=f"{name}:1",
        )
    for values in reader:
        if any(v.strip() for v in values):
            yield f"{name}:{reader.line_num}", dict(zip(header, values, strict=False))


def _load(path: Path) -> tuple[str, str]:
    """(display name, text) of the file to read, looking inside the CMS zip when given one."""
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            raise CodeSetError(
                "Excel workbooks are not read: give the CMS zip, its .txt file or a CSV export", where=str(path)
            )
        if not zipfile.is_zipfile(path):
            return str(path), path.read_bytes().decode("latin-1")
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.startswith("__MACOSX")]
            picks = [n for n in names if n.lower().endswith(".txt") and "layout" not in n.lower()]
            picks += [n for n in names if n.lower().endswith(".csv")]
            if not picks:
                raise CodeSetError("the zip holds no .txt or .csv HCPCS file", where=str(path))
            return f"{path}!{picks[0]}", archive.read(picks[0]).decode("latin-1")
    except (OSError, zipfile.BadZipFile) as exc:
        raise CodeSetError(f"cannot read the HCPCS file: {exc}", where=str(path)) from None


def _rows(path: Path) -> Iterator[Row]:
    name, text = _load(path)
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if name.lower().endswith(".csv") or ("," in first and not _RECORD.match(first)):
        return _csv_rows(name, text.lstrip("\ufeff"))
    return _fixed_rows(name, text.splitlines())


def _entry(code: str, data: dict[str, object], source: Source) -> HcpcsCode:
    long, short = str(data["long"]), str(data["short"])
    unit = _UNIT.search(long) if code.startswith("J") else None
    return HcpcsCode(
        code=code,
        short=short,
        long=long,
        status="active",
        source=source,
        effective=data["effective"],  # type: ignore[arg-type]
        terminated=data["terminated"],  # type: ignore[arg-type]
        unit_amount=float(unit.group(1)) if unit else None,
        unit_measure=unit.group(2).lower() if unit else None,
        not_otherwise_classified=bool(_NOC.search(long)),
    )


def import_hcpcs_file(path: Path) -> list[HcpcsCode]:
    """Every procedure code of the file, its long description joined from continuation records.

    Errors (CodeSetError) name the file, line and column."""
    source = Source("cms-hcpcs-import", f"CMS HCPCS quarterly file {path.name}", None, path.stem)
    codes: dict[str, dict[str, object]] = {}
    for where, row in _rows(path):
        code = row.get("hcpc", "").strip().upper()
        record = row.get("recid", "").strip()
        if record not in CODE_RECORDS or len(code) != 5:
            continue
        long = row.get("long description", "").strip()
        entry = codes.get(code)
        if entry is not None and record == "4":
            entry["long"] = f"{entry['long']} {long}".strip()
            continue
        codes[code] = {
            "long": long,
            "short": row.get("short description", "").strip(),
            "effective": _date(row.get("act eff dt", ""), where, "ACT EFF DT")
            or _date(row.get("add dt", ""), where, "ADD DT"),
            "terminated": _date(row.get("term dt", ""), where, "TERM DT"),
        }
    if not codes:
        raise CodeSetError("the file holds no procedure code records (RECID 3)", where=str(path))
    return [_entry(code, data, source) for code, data in sorted(codes.items())]


def save_imported(codes: list[HcpcsCode], user_dir: Path, file: str = "") -> Path:
    """Write the codes where load_codes(user_dir) finds them, atomically: a failed write keeps the old import."""
    record = HcpcsImport(file=file or "CMS HCPCS file", imported_at=dt.datetime.now(dt.UTC), codes=codes, format=FORMAT)
    try:
        user_dir.mkdir(parents=True, exist_ok=True)
        target = user_dir / IMPORTED_HCPCS
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(msgspec.json.encode(record))
        tmp.replace(target)
    except OSError as exc:
        raise CodeSetError(f"cannot save the imported codes: {exc}", where=str(user_dir)) from None
    return target
