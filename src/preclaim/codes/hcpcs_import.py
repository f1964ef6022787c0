"""Import the CMS quarterly HCPCS Level II file (the ANWEB release, CSV export of its workbook).

Columns used (header names as CMS prints them, case and spacing ignored): HCPC, SEQNUM, RECID,
LONG DESCRIPTION, SHORT DESCRIPTION, ADD DT, ACT EFF DT, TERM DT. Long descriptions continue over
several records of the same code (RECID 4); modifier records (RECID 7/8, two-character codes) are skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import msgspec

from preclaim.codes.registry import IMPORTED_HCPCS
from preclaim.codes.types import HcpcsCode
from preclaim.domain.report import Source
from preclaim.errors import CodeSetError

REQUIRED = ("hcpc", "long description", "short description")
CODE_RECORDS = {"3", "4"}  # 3: first record of a procedure code, 4: its continuation


def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").strip().lower().split())


def _date(value: str, where: str) -> dt.date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise CodeSetError(f"date {text!r} is not YYYYMMDD", where=where) from None


def _open_text(path: Path) -> io.TextIOBase:
    if zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
        if not names:
            raise CodeSetError("the zip holds no CSV export of the HCPCS file", where=str(path))
        return io.TextIOWrapper(archive.open(names[0]), encoding="latin-1", newline="")
    return open(path, encoding="latin-1", newline="")


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        header = [_key(h) for h in next(reader, [])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise CodeSetError(
                f"missing column(s): {', '.join(missing)}; is this the CMS HCPCS file?", where=f"{path}:1"
            )
        for number, values in enumerate(reader, start=2):
            if any(v.strip() for v in values):
                yield number, dict(zip(header, values, strict=False))


def import_hcpcs_file(path: Path) -> list[HcpcsCode]:
    """Read every procedure code of the file. Errors name the file, line and column."""
    source = Source("cms-hcpcs-import", f"CMS HCPCS quarterly file {path.name}", None, path.stem)
    codes: dict[str, dict[str, object]] = {}
    for number, row in _rows(path):
        code = row.get("hcpc", "").strip().upper()
        record = row.get("recid", "3").strip() or "3"
        if len(code) != 5 or record not in CODE_RECORDS:
            continue
        long = row.get("long description", "").strip()
        entry = codes.get(code)
        if entry is None or (record == "3" and not entry["long"]):
            where = f"{path}:{number}"
            codes[code] = {
                "long": long,
                "short": row.get("short description", "").strip(),
                "effective": _date(row.get("act eff dt", "") or row.get("add dt", ""), f"{where} (ACT EFF DT)"),
                "terminated": _date(row.get("term dt", ""), f"{where} (TERM DT)"),
            }
        else:
            entry["long"] = f"{entry['long']} {long}".strip()
    return [
        HcpcsCode(
            code=code,
            short=str(data["short"]),
            long=str(data["long"]),
            status="active",
            source=source,
            effective=data["effective"],  # type: ignore[arg-type]
            terminated=data["terminated"],  # type: ignore[arg-type]
        )
        for code, data in sorted(codes.items())
    ]


def save_imported(codes: list[HcpcsCode], user_dir: Path) -> Path:
    """Write the imported codes where load_codes(user_dir) finds them (atomically: no half file)."""
    user_dir.mkdir(parents=True, exist_ok=True)
    target = user_dir / IMPORTED_HCPCS
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(msgspec.json.encode(codes))
    tmp.replace(target)
    return target
