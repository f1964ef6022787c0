"""Import the CMS Medicare NCCI practitioner PTP edits (`preclaim codes import-ncci`).

Layout of each part file (ccipra-vNNNrN-fN.TXT, tab-delimited, Latin-1), as published by CMS: an AMA notice
line, a title line ("Column1/Column2 Edits"), a header wrapped over four lines (Column 1 | Column 2 |
*=in existence prior to 1996 | Effective Date | Deletion Date *=no data | Modifier 0=not allowed 1=allowed
9=not applicable | PTP Edit Rationale), then one edit a line:

    0001U<TAB>0030U<TAB><TAB>20180701<TAB>*<TAB>1<TAB>Misuse of Column Two code with Column One code

Rows are parsed one line at a time into typed arrays (one part in memory at a time) and written to the user's
data folder; a malformed row stops the import with the file, part, line and column, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from array import array
from dataclasses import dataclass
from pathlib import Path

import msgspec

from preclaim.codes import ncci_store as store
from preclaim.codes.ncci_files import (
    Member,
    members,
    parse_quarter,
    part_of,
    quarter_of,
    text_lines,
    version_of,
    version_quarter,
)
from preclaim.codes.ncci_tables import NO_DELETION, code_number
from preclaim.errors import CodeSetError

_INDICATORS = {"0": 0, "1": 1, "9": 9}
_HEADER_SEARCH = 40
_CMS_NAME = re.compile(r"cci(pra|oph)", re.IGNORECASE)  # lines to look through for the "Column 1 / Column 2" header


@dataclass(frozen=True, slots=True)
class PtpResult:
    version: str
    quarter: str | None
    parts: tuple[store.PtpPartRecord, ...]
    replaced: str | None  # the version the import replaced, if another one was in use

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts)


class _Part:
    """The arrays of one part while it is read."""

    def __init__(self) -> None:
        self.columns = {name: array(code) for name, code in store.COLUMNS}
        self.rationales: dict[str, int] = {}
        self.sorted = True
        self.last = -1

    def add(self, key: int, effective: int, deleted: int, indicator: int, rationale: str, line: int) -> None:
        index = self.rationales.get(rationale)
        if index is None:
            index = self.rationales[rationale] = len(self.rationales)
        c = self.columns
        c["keys"].append(key)
        c["effective"].append(effective)
        c["deleted"].append(deleted)
        c["indicator"].append(indicator)
        c["rationale"].append(index)
        c["line"].append(line)
        if key < self.last:
            self.sorted = False
        self.last = key

    def write(self, target: Path) -> int:
        columns = self.columns
        if not self.sorted:  # CMS files come sorted by pair; anything else is sorted here, rows of a pair in file order
            keys = columns["keys"]
            order = sorted(range(len(keys)), key=keys.__getitem__)
            self.columns = columns = {n: array(c.typecode, (c[i] for i in order)) for n, c in columns.items()}
        with target.open("wb") as handle:
            for name, _ in store.COLUMNS:
                columns[name].tofile(handle)
        return len(columns["keys"])


class _Reader:
    """Parses the lines of one part file; caches the few thousand distinct codes and dates it meets."""

    def __init__(self, member: Member, part: str) -> None:
        self.member, self.part = member, part
        self.codes: dict[str, int] = {}
        self.dates: dict[str, int] = {}

    def fail(self, line: int, column: str, problem: str) -> CodeSetError:
        return CodeSetError(f"part {self.part}, column {column}: {problem}", where=f"{self.member.where}:{line}")

    def code(self, text: str, line: int, column: str) -> int:
        number = self.codes.get(text)
        if number is None:
            found = code_number(text)
            if found is None:
                raise self.fail(line, column, f"found {text!r}, expected a 5-character HCPCS/CPT code")
            number = self.codes[text] = found
        return number

    def date(self, text: str, line: int, column: str) -> int:
        ordinal = self.dates.get(text)
        if ordinal is None:
            try:
                if len(text) != 8 or not text.isdigit():
                    raise ValueError
                ordinal = dt.date(int(text[:4]), int(text[4:6]), int(text[6:])).toordinal()
            except ValueError:
                raise self.fail(line, column, f"found {text!r}, expected a date YYYYMMDD") from None
            self.dates[text] = ordinal
        return ordinal

    def read(self) -> _Part:
        part = _Part()
        header_at = 0
        for number, line in text_lines(self.member):
            cells = line.split("\t")
            first = cells[0].strip()
            if not header_at:
                if first == "Column 1" and len(cells) > 1 and cells[1].strip() == "Column 2":
                    header_at = number
                elif number >= _HEADER_SEARCH:
                    raise CodeSetError(
                        f"part {self.part}: no 'Column 1 / Column 2' header in the first {_HEADER_SEARCH} lines; "
                        "is this a CMS NCCI PTP file?",
                        where=self.member.where,
                    )
                continue
            if not first:
                if part.last < 0 or not line.strip():
                    continue  # the rest of the wrapped header, or a blank line
                raise self.fail(number, "Column 1", "empty, expected a 5-character HCPCS/CPT code")
            self.row(part, cells, number)
        if not header_at:
            raise CodeSetError(f"part {self.part}: no 'Column 1 / Column 2' header found", where=self.member.where)
        if part.last < 0:
            raise CodeSetError(f"part {self.part}: the file holds no PTP edits", where=self.member.where)
        return part

    def row(self, part: _Part, cells: list[str], number: int) -> None:
        if len(cells) < 6:
            raise self.fail(number, "Modifier", f"found {len(cells)} tab-separated columns, expected 7")
        column1, column2, before_1996, effective, deletion, modifier = (c.strip() for c in cells[:6])
        key = self.code(column1, number, "Column 1") << 26 | self.code(column2, number, "Column 2")
        if before_1996 not in ("", "*"):
            raise self.fail(number, "*=in existence prior to 1996", f"found {before_1996!r}, expected '*' or nothing")
        start = self.date(effective, number, "Effective Date")
        end = NO_DELETION if deletion == "*" else self.date(deletion, number, "Deletion Date")
        indicator = _INDICATORS.get(modifier)
        if indicator is None:
            raise self.fail(number, "Modifier", f"found {modifier!r}, expected 0, 1 or 9")
        rationale = cells[6].strip() if len(cells) > 6 else ""
        part.add(key, start, end, indicator, rationale, number)


def _version_of(member: Member) -> str:
    """The PTP version from the part's own name, else from the zip it came in."""
    for name in (member.name, *reversed(member.names)):
        if found := version_of(name):
            return found
    raise CodeSetError(
        "cannot tell the PTP version from the file names (like ccipra-v322r0-f1); give --version", where=member.where
    )


def _part_files(found: list[Member]) -> list[Member]:
    """The PTP part files among the text files: when some are named like CMS parts (ccipra-…), any other text file
    in the download (a readme) is left alone."""
    named = [m for m in found if _CMS_NAME.search(m.name)]
    return named or found


def _check_kind(member: Member) -> None:
    names = " ".join(member.names).lower()
    if "ccioph" in names or "hospital" in names:
        raise CodeSetError(
            "this is the outpatient hospital PTP table; preclaim checks practitioner claims (837P): import the "
            "practitioner table (ccipra-…)",
            where=member.where,
        )
    if "medicaid" in names:
        raise CodeSetError(
            "this is a Medicaid NCCI file; preclaim imports the Medicare practitioner PTP table", where=member.where
        )


def import_ptp(
    paths: list[Path], user_dir: Path, *, version: str | None = None, quarter: str | None = None
) -> PtpResult:
    """Read every part in `paths` and make them the PTP table checks use. Errors name file, part, line, column."""
    quarter = parse_quarter(quarter) if quarter else None
    base = store.folder(user_dir)
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CodeSetError(f"cannot create the folder for NCCI tables: {exc}", where=str(base)) from None
    current = store.read_ptp_manifest(user_dir)
    chosen: str | None = None
    written: list[tuple[Path, store.PtpPartRecord]] = []
    try:
        for path in paths:
            with members(path, (".txt",), "NCCI PTP") as found:
                for member in _part_files(found):
                    _check_kind(member)
                    own = version or _version_of(member)
                    if chosen is None:
                        chosen = own
                        _check_not_older(chosen, current, member)
                    elif own != chosen:
                        raise CodeSetError(
                            f"this part is of version {own} but the others are {chosen}; import one version at a time",
                            where=member.where,
                        )
                    quarter = quarter or next((q for n in member.names if (q := quarter_of(n))), None)
                    written.append(_read_member(member, base, chosen))
        if chosen is None:
            raise CodeSetError("no PTP file given", where="import-ncci")
        return _commit(user_dir, current, chosen, quarter or version_quarter(chosen), written)
    except OSError as exc:
        raise CodeSetError(f"cannot save the PTP table: {exc}", where=str(base)) from None
    finally:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)


def _check_not_older(version: str, current: store.PtpManifest | None, member: Member) -> None:
    if current is not None and _number(version) < _number(current.version):
        raise CodeSetError(
            f"version {version} is older than the imported {current.version}, which already carries the earlier "
            "edits with their dates; nothing was changed",
            where=member.where,
        )


def _read_member(member: Member, base: Path, version: str) -> tuple[Path, store.PtpPartRecord]:
    part_name = part_of(member.name)
    part = _Reader(member, part_name).read()
    final = f"ptp-{version}-{part_name}-{secrets.token_hex(4)}.bin"
    tmp = base / f".{final}.tmp"
    rows = part.write(tmp)
    record = store.PtpPartRecord(
        name=part_name,
        file=final,
        member=member.name,
        source=member.where,
        rows=rows,
        rationales=list(part.rationales),
        imported_at=dt.datetime.now(dt.UTC),
    )
    return tmp, record


def _commit(
    user_dir: Path,
    current: store.PtpManifest | None,
    version: str,
    quarter: str | None,
    written: list[tuple[Path, store.PtpPartRecord]],
) -> PtpResult:
    base = store.folder(user_dir)
    replaced = current.version if current is not None and current.version != version else None
    kept = current.parts if current is not None and replaced is None else []
    parts = {p.name: p for p in kept}
    for _, record in written:
        parts[record.name] = record  # the same part imported again replaces it: idempotent
    for tmp, record in written:
        tmp.replace(base / record.file)
    manifest = store.PtpManifest(version, quarter, sorted(parts.values(), key=lambda p: p.name))
    store.write_atomic(base / store.PTP_MANIFEST, msgspec.json.encode(manifest))
    store.remove_stale(user_dir, {p.file for p in manifest.parts}, "ptp-")
    return PtpResult(version, quarter, tuple(record for _, record in written), replaced)


def _number(version: str) -> tuple[int, ...]:
    found = version_of(version)
    return tuple(int(x) for x in found[1:].split("r")) if found else (0,)
