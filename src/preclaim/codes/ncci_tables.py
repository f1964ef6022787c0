"""The CMS NCCI tables in memory: procedure-to-procedure (PTP) edits and medically unlikely edits (MUEs).

Built at the edge (preclaim.codes.ncci_store reads what `preclaim codes import-ncci/import-mue` saved) and handed
to the engine inside CodeSets; rules only look things up here. A full practitioner PTP table holds millions of
rows, so each imported part is kept as flat typed arrays sorted by the (column 1, column 2) pair, about 23
bytes a row, searched by bisection; answers are memoised per pair because claims repeat a few code pairs.
"""

from __future__ import annotations

import datetime as dt
from array import array
from bisect import bisect_left
from dataclasses import dataclass

from preclaim.domain.report import Source

PTP_URL = (
    "https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/"
    "medicare-ncci-procedure-procedure-ptp-edits"
)
MUE_URL = (
    "https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/"
    "medicare-ncci-medically-unlikely-edits-mues"
)
NO_DELETION = 2**31 - 1  # '*' in the Deletion Date column: the edit is still in force
_DIGITS = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
_CODE_BITS = 26  # 36**5 < 2**26: two codes fit one signed 64-bit key
_MEMO_LIMIT = 100_000
# Most restrictive first: a pair listed twice (CMS does this) is judged by the row that allows least.
_STRICTNESS = {0: 0, 1: 1, 9: 2}


def code_number(code: str) -> int | None:
    """A 5-character HCPCS/CPT code as a number that sorts like the text; None for anything else."""
    if len(code) != 5:
        return None
    value = 0
    for char in code:
        digit = _DIGITS.get(char)
        if digit is None:
            return None
        value = value * 36 + digit
    return value


def pair_key(column1: str, column2: str) -> int | None:
    first, second = code_number(column1), code_number(column2)
    if first is None or second is None:
        return None
    return first << _CODE_BITS | second


@dataclass(frozen=True, slots=True)
class PtpEdit:
    """One row of the CMS PTP table, with where it was read (part and line of the part file)."""

    column1: str
    column2: str
    effective: dt.date
    deleted: dt.date | None  # last date of service the edit applies to; None = still in force
    indicator: int  # 0 no modifier allowed, 1 NCCI-associated modifier allowed, 9 not applicable
    rationale: str
    member: str  # the part file, e.g. ccipra-v322r0-f1.TXT
    line: int

    def in_force(self, day: dt.date) -> bool:
        return self.effective <= day and (self.deleted is None or day <= self.deleted)


@dataclass(frozen=True, slots=True)
class MueEdit:
    code: str
    value: int  # practitioner units of service per line (MAI 1) or per date of service (MAI 2, 3)
    mai: int  # MUE adjudication indicator 1, 2 or 3
    mai_text: str  # as CMS prints it: "2 Date of Service Edit: Policy"
    rationale: str
    member: str
    line: int


@dataclass(frozen=True, slots=True)
class PtpPart:
    """One imported part file: parallel arrays sorted by pair key."""

    name: str  # f1..f4
    member: str
    keys: array  # type: ignore[type-arg]  # 'q' pair keys
    effective: array  # type: ignore[type-arg]  # 'i' date ordinals
    deleted: array  # type: ignore[type-arg]  # 'i' date ordinals, NO_DELETION when none
    indicator: array  # type: ignore[type-arg]  # 'b'
    rationale: array  # type: ignore[type-arg]  # 'H' index into rationales
    line: array  # type: ignore[type-arg]  # 'I' line number in the part file
    rationales: tuple[str, ...]

    def rows(self, key: int, column1: str, column2: str) -> list[PtpEdit]:
        keys = self.keys
        if not keys or key < keys[0] or key > keys[-1]:
            return []
        found: list[PtpEdit] = []
        i = bisect_left(keys, key)
        while i < len(keys) and keys[i] == key:
            deleted = self.deleted[i]
            found.append(
                PtpEdit(
                    column1,
                    column2,
                    dt.date.fromordinal(self.effective[i]),
                    None if deleted == NO_DELETION else dt.date.fromordinal(deleted),
                    self.indicator[i],
                    self.rationales[self.rationale[i]],
                    self.member,
                    self.line[i],
                )
            )
            i += 1
        return found


@dataclass(frozen=True, slots=True)
class MueQuarter:
    quarter: str  # "2026Q3"
    start: dt.date
    file: str
    edits: dict[str, MueEdit]


def quarter_label(quarter: str | None) -> str:
    """ "2026Q3" -> "2026 Q3"."""
    return f"{quarter[:4]} {quarter[4:]}" if quarter else "quarter unknown"


class NcciTables:
    """What a check needs from the imported CMS NCCI files. Either table may be absent."""

    def __init__(
        self,
        ptp_version: str | None = None,
        ptp_quarter: str | None = None,
        ptp_parts: tuple[PtpPart, ...] = (),
        mue_quarters: tuple[MueQuarter, ...] = (),
    ) -> None:
        self.ptp_version = ptp_version
        self.ptp_quarter = ptp_quarter
        self.ptp_parts = ptp_parts
        self.mue_quarters = tuple(sorted(mue_quarters, key=lambda q: q.start))
        self.has_ptp = bool(ptp_parts)
        self.has_mue = bool(self.mue_quarters)
        self._memo: dict[tuple[str, str], tuple[PtpEdit, ...]] = {}

    @property
    def ptp_rows(self) -> int:
        return sum(len(p.keys) for p in self.ptp_parts)

    def ptp(self, column1: str, column2: str) -> tuple[PtpEdit, ...]:
        """Every row CMS lists for this (column 1, column 2) pair, whatever its dates."""
        pair = (column1, column2)
        try:
            return self._memo[pair]
        except KeyError:
            pass
        key = pair_key(column1, column2)
        rows: list[PtpEdit] = []
        if key is not None:
            for part in self.ptp_parts:
                rows.extend(part.rows(key, column1, column2))
        if len(self._memo) > _MEMO_LIMIT:
            self._memo.clear()
        found = self._memo[pair] = tuple(rows)
        return found

    def ptp_in_force(self, column1: str, column2: str, day: dt.date) -> PtpEdit | None:
        """The row that governs the pair on this date of service (the most restrictive one in force), if any."""
        best: PtpEdit | None = None
        for row in self.ptp(column1, column2):
            if row.in_force(day) and (best is None or _STRICTNESS[row.indicator] < _STRICTNESS[best.indicator]):
                best = row
        return best

    def mue_quarter(self, day: dt.date) -> MueQuarter | None:
        """The imported MUE table in effect on `day`; the oldest one for earlier days (cited as such)."""
        quarters = self.mue_quarters
        if len(quarters) < 2:  # the usual case: one quarter imported
            return quarters[0] if quarters else None
        chosen = quarters[0]
        for quarter in quarters:
            if quarter.start <= day:
                chosen = quarter
        return chosen

    def mue(self, code: str, day: dt.date) -> tuple[MueEdit, MueQuarter] | None:
        quarter = self.mue_quarter(day)
        if quarter is None:
            return None
        edit = quarter.edits.get(code)
        return (edit, quarter) if edit is not None else None

    def ptp_source(self, edit: PtpEdit) -> Source:
        return Source(
            "cms-ncci-ptp-practitioner",
            f"CMS NCCI procedure-to-procedure edits, practitioner, {quarter_label(self.ptp_quarter)} "
            f"({self.ptp_version})",
            PTP_URL,
            f"{self.ptp_version}, {edit.member} line {edit.line}",
        )


def mue_source(edit: MueEdit, quarter: MueQuarter) -> Source:
    return Source(
        "cms-ncci-mue-practitioner",
        f"CMS NCCI medically unlikely edits, practitioner services, {quarter_label(quarter.quarter)}",
        MUE_URL,
        f"{quarter.quarter} (effective {quarter.start.isoformat()}), {edit.member} line {edit.line}",
    )
