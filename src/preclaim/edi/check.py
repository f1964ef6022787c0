"""Check every claim of an 837P file with the engine, streaming, with the file's own claims as history.

The other claims of the same patient in the file count as history (in date-of-service order), so
duplicates and too-frequent injections inside one batch are caught, whatever order the file is in.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, Final, Protocol, cast

from preclaim.domain.claim import Claim
from preclaim.domain.history import EMPTY_HISTORY, Administration, History, PatientHistories
from preclaim.domain.report import Report
from preclaim.edi.history_spill import Entry, SpilledHistory
from preclaim.edi.spool import ClaimSpool
from preclaim.edi.x12.claim837 import Service
from preclaim.edi.x12.loops import ClaimItem, ParsedClaim, RejectedClaim
from preclaim.edi.x12.read837 import PatientServices, read_837, scan_services
from preclaim.edi.x12.tokenizer import open_source
from preclaim.rules.base import first_day_of

Progress = Callable[[int], None]  # called with the number of bytes read so far
_PROGRESS_EVERY = 500  # claims


class ClaimChecker(Protocol):
    def check(self, claim: Claim, history: History = ..., *, as_of: dt.date) -> Report: ...


_Entry = Entry  # (date of service, index of the claim in the file, code, units, claim id, payer id)
# The same, as this module handles it. Compiled (mypyc), a field typed int or float is unboxed when read and a
# new object boxed when it is stored again: one more int and float per entry, megabytes on a big file. Read as
# Any, each entry shares the claim's index and the line's units object, as it does in pure Python.
_Shared = tuple[dt.date, Any, str, Any, str, str]
_Read = tuple[dt.date, int, str, Any, str, str]  # to compare indexes unboxed, without storing one
# Service lines of history held in memory before they move to disk: about 45 MB of entries; a file of
# 125,000 two-line claims fits (edi/history_spill.py)
MEMORY_LINES = 250_000
_NO_HISTORY: Final = EMPTY_HISTORY  # Final: a C static when compiled, not a dictionary lookup per claim
# A one-pass check holds the file's claims as objects until it checks them (edi/spool.py), while they and the
# history fit in memory: pickling a claim and reading it back costs about 50,000 instructions, an eighth of a
# check (100,000 claims: 29,000 claims/s held against 25,500 with only the first 32,000 held). A held claim
# takes about 430 bytes when its service lines repeat (the reader shares them: a clinic's day), about two lines
# of history (210 bytes). Past MEMORY_HELD lines, counting CLAIM_LINES per held claim (a file of 112,000
# two-line claims, about 95 MB), the claims held move to disk (ClaimSpool.park) and the rest follow them, so
# the history can grow into their room until it spills too: peak memory stays flat whatever the file's size.
CLAIM_LINES = 2
MEMORY_HELD = 450_000
MEMORY_CLAIMS = MEMORY_HELD // (1 + CLAIM_LINES)  # the most a --jobs process holds is its share of these
YOUNG_WHILE_CHECKING = 20_000  # allocations between young collections while claims are checked (default 700)


class BatchHistory:
    """The services billed in this file, per patient, on top of an optional stored history.

    Kept as compact entries (one per service line) and handed to the engine as Administration records,
    which is what its history rules read: a full Claim per line would not fit 100,000 claims in a small
    memory budget. A replacement (CLM05-3 = 7) supersedes the claim it corrects (the same claim id, or the id
    its REF*F8 names); a void (8) removes it. Past MEMORY_LINES lines the entries move to a temporary SQLite
    file (edi/history_spill.py) and are read back per patient: memory stays flat on files of any size.

    Two modes. After `prescan` (a first pass over a file), a claim's history is every other claim of the
    patient billed earlier in the file or dated earlier, whatever the file order: history is ordered by
    date of service. Without it (standard input can be read once), only claims earlier in the file count.
    """

    def __init__(
        self,
        base: PatientHistories = EMPTY_HISTORY,
        *,
        memory_lines: int | None = None,
        dose_codes: frozenset[str] | None = None,
    ) -> None:
        """`dose_codes`: the codes whose earlier lines the checker reads as doses (`dose_codes_of`); a claim's
        history then leaves out the file's other lines (the injection's 96372), unless the claim names an
        original by REF*F8, which is looked for among every line. None hands over every line."""
        self.base = base
        self.dose_codes = dose_codes
        self._seen: dict[str, list[_Entry]] = {}
        self.whole_file = False
        self._in_order = True  # False while a first pass appends lines in file order
        self._bound = MEMORY_LINES if memory_lines is None else memory_lines  # lines to hold before spilling
        self._room = self._bound
        self.spilled: SpilledHistory | None = None  # past the bound: every entry is on disk, none in _seen

    def close(self) -> None:
        """Delete the on-disk entries, if any (the history is of no use after the file's last check)."""
        if self.spilled is not None:
            self.spilled.close()

    def prescan(self, claims: Iterable[PatientServices | None]) -> None:
        """Take every claim of the file first (from `scan_services`: None for a rejected claim)."""
        self.start_file()
        for index, claim in enumerate(claims):
            if claim is not None:
                key, payer_id, (claim_id, frequency_code, services, original) = claim
                self.record(index, key, claim_id, frequency_code, payer_id, services, original)
        self.end_file()

    def start_file(self) -> None:
        """Before taking every claim of a file (`record` or `take`), in file order."""
        self._in_order = False

    def end_file(self) -> None:
        """After the file's last claim: from now on a claim's history is the whole file's."""
        # A stable sort by date gives what inserting each line after the lines of its day would.
        for seen in self._seen.values():
            seen.sort(key=_by_date)
        if self.spilled is not None:
            self.spilled.finish()
        self._in_order = True
        self.whole_file = True

    def attach(self, spilled: SpilledHistory) -> None:
        """Take a whole file's history another process recorded and spilled (`SpilledHistory.reading`): a
        --jobs process checks against it instead of recording the file's facts itself."""
        self._seen = {}
        self.spilled = spilled
        self._in_order = True
        self.whole_file = True

    def lines_held(self) -> int:
        """Service lines of history held in memory (none once they have spilled to disk)."""
        return 0 if self.spilled is not None else self._bound - self._room

    def for_claim(self, claim: Claim, index: int) -> History:
        key = claim.patient.key
        entries = self._seen.get(key) if self.spilled is None else self.spilled.entries(key)
        stored = self.base.for_patient(key) if self.base is not _NO_HISTORY else _NO_HISTORY
        if not entries:
            return stored
        claim_id = claim.id
        first = first_day_of(claim) or dt.date.min
        # A claim naming an original by REF*F8 looks for it among every line (rules/replacements.py).
        codes = self.dose_codes if claim.payer_claim_control_number is None else None
        # Positional arguments: a struct matches keyword names one by one, for every entry of every check. Half
        # the lines of a B12 claim are the injection's 96372: no rule reads them as doses, so none is built.
        wanted = [
            Administration(key, day, code, units, None, None, cid, payer)
            for day, at, code, units, cid, payer in cast("list[_Read]", entries)
            if at != index and cid != claim_id and (at < index or day < first) and (codes is None or code in codes)
        ]
        if not wanted:
            return stored
        # administrations (entries are kept in date order), claims, authorizations
        return History(stored.administrations + tuple(wanted), stored.claims, stored.authorizations)

    def add(self, claim: Claim, index: int) -> None:
        if not self.whole_file:  # else the first pass already holds every claim
            self.take(claim, index)

    def take(self, claim: Claim, index: int) -> None:
        """Record the claim at `index` of the file."""
        at, key, claim_id, frequency_code, payer_id, services, original = fact_of(claim, index)
        self.record(at, key, claim_id, frequency_code, payer_id, services, original)

    def record(
        self,
        index: int,
        key: str,
        claim_id: str,
        frequency_code: str,
        payer_id: str,
        services: list[Service],
        original: str | None = None,
    ) -> None:
        """Add the lines of the claim at `index` of the file (a replacement or void first drops its target:
        the claim with its id, or with the id its REF*F8 `original` names)."""
        if frequency_code in ("7", "8"):  # replacement or void: the earlier version no longer counts
            self._drop(key, (claim_id, original))
            if frequency_code == "8":
                return
        if self.spilled is None:
            self._room -= len(services)
            if self._room < 0:
                self._spill()
        if self.spilled is not None:
            self.spilled.add_claim(key, index, claim_id, payer_id, services)
            return
        seen = cast("list[_Shared]", self._seen.setdefault(key, []))
        at: Any = index  # one int object for every line of the claim
        for day, code, units in cast("list[tuple[dt.date, str, Any]]", services):
            entry = (day, at, code, units, claim_id, payer_id)
            if self._in_order:
                bisect.insort(seen, entry, key=_by_date)  # after the lines of the same day: file order
            else:
                seen.append(entry)

    def record_facts(self, facts: list[Fact], offset: int, patients: set[str] | None = None) -> None:
        """`record` each claim of a part of the file (`--jobs`) whose first claim is claim `offset` of the file:
        one compiled loop, not a call per claim from Python. `patients`: only the claims of these patients (a
        --jobs process that checks only their claims needs no other history)."""
        for index, key, claim_id, frequency_code, payer_id, services, original in facts:
            if patients is None or key in patients:
                self.record(offset + index, key, claim_id, frequency_code, payer_id, services, original)

    def _drop(self, key: str, claim_ids: tuple[str, str | None]) -> None:
        """Forget the lines recorded so far of patient `key` whose claim id is one of `claim_ids`."""
        if self.spilled is not None:
            self.spilled.drop(key, claim_ids)
            return
        seen = self._seen.setdefault(key, [])
        seen[:] = [e for e in seen if e[4] not in claim_ids]

    def _spill(self) -> None:
        """Move every entry to disk: from now on the history lives there (memory stays flat)."""
        spilled = self.spilled = SpilledHistory(indexed=self._in_order)
        for key, seen in self._seen.items():
            spilled.add(key, seen)
        self._seen = {}


# What the history keeps of a claim, as `record` takes it (a --jobs process sends these for its part):
# (index, patient key, claim id, CLM05-3, payer id, services, REF*F8)
Fact = tuple[int, str, str, str, str, list[Service], str | None]


def dose_codes_of(engine: ClaimChecker) -> frozenset[str] | None:
    """The codes whose earlier lines the engine's rules read as doses (an Engine's `dose_codes`: its policies'
    drug codes); None for a checker that does not say, which then gets every line."""
    codes = getattr(engine, "dose_codes", None)
    return codes if isinstance(codes, frozenset) else None


def fact_of(claim: Claim, index: int) -> Fact:
    """The history facts of the claim at `index`."""
    # Lines read as Any: the entries keep each line's own units object (see _Shared)
    services = [(line.date_of_service, line.code, line.units) for line in cast("tuple[Any, ...]", claim.lines)]
    return (
        index,
        claim.patient.key,
        claim.id,
        claim.frequency_code,
        claim.payer.id,
        services,
        claim.payer_claim_control_number,
    )


_by_date = itemgetter(0)  # an _Entry's date of service (a C-level key for sort and insort)


@dataclass
class CheckSummary:
    claims: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    rejected: list[RejectedClaim] = field(default_factory=list)
    fixed: int = 0

    def add(self, item: ClaimItem, report: Report | None) -> None:
        self.claims += 1
        if report is None:
            assert isinstance(item, RejectedClaim)
            self.rejected.append(item)
            return
        self.verdicts[report.verdict] += 1
        for finding in report.findings:
            if finding.severity != "info":
                self.problems[f"{finding.rule} ({finding.carc})" if finding.carc else finding.rule] += 1

    @property
    def all_clean(self) -> bool:
        return not self.rejected and self.verdicts["clean"] == self.claims


def check_items(
    source: str | Path | BinaryIO,
    engine: ClaimChecker,
    as_of: dt.date,
    *,
    progress: Progress | None = None,
    history: PatientHistories = EMPTY_HISTORY,
    raw: bool = True,
) -> Iterator[tuple[ClaimItem, Report | None]]:
    """Each claim of the file with its report (None for a claim the reader rejected).

    raw=False (what a report or summary needs): the file is read once; every claim is parsed and parked
    in a temporary file while its history facts are kept, then each is checked against the whole file's
    history. The items handed back carry the claim and segment number only (no raw segments or loops).
    raw=True (what a writer needs, e.g. --fix-out): a first pass takes the history facts and a second reads
    the full items (re-reading costs less than parking raw loops). The reports are the same either way. A
    stream that can be read only once is checked as it is read, with the claims before it as history.
    """
    stream, _name, owned = open_source(source)
    batch = BatchHistory(history, dose_codes=dose_codes_of(engine))
    try:
        if not stream.seekable():
            yield from _in_order(stream, engine, as_of, batch)
        elif not raw:
            yield from _one_pass(stream, engine, as_of, progress, batch)
        else:
            start = stream.tell()
            batch.prescan(scan_services(stream))
            stream.seek(start)
            tell = stream.tell if progress is not None else None
            for index, pair in enumerate(_in_order(stream, engine, as_of, batch)):
                yield pair
                if tell is not None and progress is not None and index % _PROGRESS_EVERY == 0:
                    progress(tell())
    finally:
        batch.close()
        if owned:
            stream.close()


def _one_pass(
    stream: BinaryIO,
    engine: ClaimChecker,
    as_of: dt.date,
    progress: Progress | None,
    batch: BatchHistory,
) -> Iterator[tuple[ClaimItem, Report | None]]:
    """Read and park every claim with its history facts, then check them in file order."""
    spool = ClaimSpool(memory=MEMORY_CLAIMS)
    where: list[int] = []  # bytes read when claim 500 * n was parsed: progress follows the checks
    tell = stream.tell if progress is not None else None
    batch.start_file()
    collecting = gc.isenabled()
    # The first pass makes history facts (small tuples and lists, no cycles) and claims that go straight to the
    # spool: a collection could free none of them, so the cyclic GC stays off while it runs.
    gc.disable()
    try:
        for index, item in enumerate(read_837(stream)):
            if isinstance(item, ParsedClaim):
                batch.take(item.claim, index)
            if spool.memory and batch.lines_held() + CLAIM_LINES * len(spool.kept) > MEMORY_HELD:
                spool.park()  # the file is too big to hold: its claims go to disk, its history stays
            spool.add(item)
            if tell is not None and index % _PROGRESS_EVERY == 0:
                where.append(tell())
    except BaseException:
        spool.close()
        raise
    finally:
        if collecting:
            gc.enable()
    batch.end_file()
    # The file's history now lives until the last check: frozen, the collections the checks trigger stop
    # walking it again and again.
    gc.freeze()
    # The checks make short-lived objects without cycles (history records, findings, reports): a young
    # collection every 700 allocations walks them for nothing; one every 20,000 still finds a caller's cycles.
    threshold = gc.get_threshold()
    gc.set_threshold(YOUNG_WHILE_CHECKING, threshold[1], threshold[2])
    try:
        check = engine.check
        for_claim = batch.for_claim
        for index, item in enumerate(spool):
            if isinstance(item, ParsedClaim):
                claim = item.claim
                yield item, check(claim, for_claim(claim, index), as_of=as_of)
            else:
                yield item, None
            if progress is not None and index % _PROGRESS_EVERY == 0:
                progress(where[index // _PROGRESS_EVERY])
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _in_order(
    stream: BinaryIO, engine: ClaimChecker, as_of: dt.date, batch: BatchHistory
) -> Iterator[tuple[ClaimItem, Report | None]]:
    """Check each claim as it is read, with the claims before it in the stream as history."""
    for index, item in enumerate(read_837(stream)):
        if isinstance(item, ParsedClaim):
            claim = item.claim
            report = engine.check(claim, batch.for_claim(claim, index), as_of=as_of)
            batch.add(claim, index)
            yield item, report
        else:
            yield item, None


def check_x12_file(
    source: str | Path | BinaryIO,
    engine: ClaimChecker,
    as_of: dt.date,
    *,
    progress: Progress | None = None,
    history: PatientHistories = EMPTY_HISTORY,
) -> Iterator[Report | RejectedClaim]:
    """Reports for the claims of an 837P, and the claims the reader rejected (without raw segments), in
    file order."""
    for item, report in check_items(source, engine, as_of, progress=progress, history=history, raw=False):
        yield report if report is not None else item  # type: ignore[misc]
