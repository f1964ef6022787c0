"""Import the CMS Medicare NCCI practitioner MUE table (`preclaim codes import-mue`).

Layout of the CSV in the CMS zip (e.g. MCR_MUE_PractitionerServices_Eff_07-01-2026.csv, Latin-1): a first
record holding the AMA notice (quoted, over several lines), a header record "HCPCS/<newline>CPT Code",
"Practitioner Services MUE Values", "MUE Adjudication Indicator", "MUE Rationale", then one code a line:

    0009U,2,3 Date of Service Edit: Clinical,Nature of Analyte

The adjudication indicator cell carries the MAI digit and its text. The table has no dates: it is the quarter
in the file name (Eff_07-01-2026 is 2026 Q3), or --quarter.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec

from preclaim.codes import ncci_store as store
from preclaim.codes.ncci_files import (
    Member,
    effective_of,
    members,
    parse_quarter,
    quarter_of,
    quarter_start,
    read_error,
)
from preclaim.codes.ncci_tables import code_number
from preclaim.errors import CodeSetError

_HEADER_SEARCH = 10  # records before the header


@dataclass(frozen=True, slots=True)
class MueResult:
    quarter: str
    start: dt.date
    rows: int
    target: Path
    replaced: bool  # the quarter had been imported before


def _records(member: Member) -> Iterator[tuple[int, list[str]]]:
    """(line number of the record's last line, cells) for each CSV record, streamed."""
    line = 0
    try:
        with member.open() as raw, io.TextIOWrapper(raw, encoding="latin-1", newline="") as text:
            reader = csv.reader(text)
            for cells in reader:
                line = reader.line_num
                yield line, cells
    except csv.Error as exc:
        raise CodeSetError(f"not a readable CSV record: {exc}", where=f"{member.where}:{line + 1}") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:  # a damaged download
        raise read_error(member, line + 1, exc) from None


def _words(cell: str) -> str:
    return " ".join(cell.split()).lower()


def _is_header(cells: list[str]) -> bool:
    return len(cells) >= 4 and "hcpcs" in _words(cells[0]) and "mue" in _words(cells[1])


def _check_header(member: Member, line: int, cells: list[str]) -> None:
    setting = _words(cells[1])
    if "practitioner" not in setting:
        raise CodeSetError(
            f"this is the {cells[1].strip()!r} table; preclaim checks practitioner claims (837P): import the "
            "Practitioner Services MUE table",
            where=f"{member.where}:{line}",
        )
    if "adjudication" not in _words(cells[2]) or "rationale" not in _words(cells[3]):
        raise CodeSetError(
            "expected the columns HCPCS/CPT Code, Practitioner Services MUE Values, MUE Adjudication Indicator, "
            f"MUE Rationale; found {', '.join(c.strip() for c in cells[:4])}",
            where=f"{member.where}:{line}",
        )


def _quarter(member: Member, given: str | None) -> tuple[str, dt.date]:
    if given:
        chosen = parse_quarter(given)
        return chosen, quarter_start(chosen)
    for name in (member.name, *reversed(member.names)):
        if (start := effective_of(name)) is not None:
            return quarter_of(name) or f"{start.year}Q{(start.month - 1) // 3 + 1}", start
        if found := quarter_of(name):
            return found, quarter_start(found)
    raise CodeSetError(
        "cannot tell the quarter from the file name (like MCR_MUE_PractitionerServices_Eff_07-01-2026.csv); "
        "give --quarter 2026Q3",
        where=member.where,
    )


class _Table:
    def __init__(self, member: Member) -> None:
        self.member = member
        self.rows: list[store.MueRow] = []
        self.seen: dict[str, int] = {}
        self.rationales: dict[str, int] = {}
        self.mai_texts: dict[str, str] = {}

    def fail(self, line: int, column: str, problem: str) -> CodeSetError:
        return CodeSetError(f"column {column}: {problem}", where=f"{self.member.where}:{line}")

    def add(self, line: int, cells: list[str]) -> None:
        if len(cells) < 3:
            raise self.fail(line, "MUE Adjudication Indicator", f"found {len(cells)} columns, expected 4")
        code, value, mai_text = cells[0].strip(), cells[1].strip(), " ".join(cells[2].split())
        if code_number(code) is None:
            raise self.fail(line, "HCPCS/CPT Code", f"found {code!r}, expected a 5-character HCPCS/CPT code")
        if code in self.seen:
            raise self.fail(line, "HCPCS/CPT Code", f"{code} is listed twice (also line {self.seen[code]})")
        if not value.isdigit():
            raise self.fail(line, "Practitioner Services MUE Values", f"found {value!r}, expected whole units")
        mai = mai_text[:1]
        if mai not in ("1", "2", "3") or (len(mai_text) > 1 and mai_text[1] != " "):
            raise self.fail(line, "MUE Adjudication Indicator", f"found {mai_text!r}, expected 1, 2 or 3 and its text")
        self.mai_texts.setdefault(mai, mai_text)
        rationale = cells[3].strip() if len(cells) > 3 else ""
        index = self.rationales.setdefault(rationale, len(self.rationales))
        self.seen[code] = line
        self.rows.append(store.MueRow(code, int(value), int(mai), index, line))


def _read(member: Member) -> _Table:
    table = _Table(member)
    header = False
    for line, cells in _records(member):
        if not any(c.strip() for c in cells):
            continue
        if not header:
            if _is_header(cells):
                _check_header(member, line, cells)
                header = True
            elif line > _HEADER_SEARCH * 5:  # the notice record spans several lines
                break
            continue
        table.add(line, cells)
    if not header:
        raise CodeSetError(
            "no 'HCPCS/CPT Code, … MUE Values, MUE Adjudication Indicator, MUE Rationale' header; is this the CMS "
            "MUE table?",
            where=member.where,
        )
    if not table.rows:
        raise CodeSetError("the table holds no MUE rows", where=member.where)
    return table


def import_mue(path: Path, user_dir: Path, *, quarter: str | None = None) -> MueResult:
    """Read the practitioner MUE table in `path` (zip or CSV) and store it for its quarter."""
    with members(path, (".csv",), "NCCI MUE") as found:
        if len(found) > 1:
            raise CodeSetError(
                f"the download holds {len(found)} CSV tables ({', '.join(m.name for m in found)}); give one",
                where=str(path),
            )
        member = found[0]
        if any("medicaid" in name.lower() for name in member.names):
            raise CodeSetError(
                "this is a Medicaid NCCI file; preclaim imports the Medicare practitioner MUE table",
                where=member.where,
            )
        chosen, start = _quarter(member, quarter)
        table = _read(member)
    record = store.MueImport(
        quarter=chosen,
        start=start,
        file=member.where,
        member=member.name,
        imported_at=dt.datetime.now(dt.UTC),
        mai_texts=table.mai_texts,
        rationales=list(table.rationales),
        rows=table.rows,
    )
    base = store.folder(user_dir)
    target = base / f"mue-{chosen}.json"
    try:
        base.mkdir(parents=True, exist_ok=True)
        replaced = target.exists()
        store.write_atomic(target, msgspec.json.encode(record))
    except OSError as exc:
        raise CodeSetError(f"cannot save the MUE table: {exc}", where=str(base)) from None
    return MueResult(chosen, start, len(table.rows), target, replaced)
