"""Parse one CMS NCCI practitioner PTP part file into typed arrays (see ncci_ptp_import for the layout).

One line at a time: the few thousand distinct codes and dates are converted once and cached; a malformed row
raises CodeSetError naming the file, line, part and column.
"""

from __future__ import annotations

import datetime as dt
from array import array
from pathlib import Path

from preclaim.codes import ncci_store as store
from preclaim.codes.ncci_files import Member, text_lines
from preclaim.codes.ncci_tables import NO_DELETION, code_number
from preclaim.errors import CodeSetError

_INDICATORS = {"0": 0, "1": 1, "9": 9}
_HEADER_SEARCH = 40  # lines to look through for the "Column 1 / Column 2" header


class PartArrays:
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


class PartReader:
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

    def read(self) -> PartArrays:
        part = PartArrays()
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

    def row(self, part: PartArrays, cells: list[str], number: int) -> None:
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
