"""Check every claim of an 837P file with the engine, streaming, with the file's own claims as history.

Claims earlier in the file count as history for later ones of the same patient (handed to the engine in
date-of-service order), so duplicates and too-frequent injections inside one batch are caught.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from preclaim.domain.claim import Claim
from preclaim.domain.history import EMPTY_HISTORY, Administration, History
from preclaim.domain.report import Report
from preclaim.edi.x12.loops import ClaimItem, ParsedClaim, RejectedClaim
from preclaim.edi.x12.read837 import read_837
from preclaim.edi.x12.tokenizer import open_source

Progress = Callable[[int], None]  # called with the number of bytes read so far


class ClaimChecker(Protocol):
    def check(self, claim: Claim, history: History = ..., *, as_of: dt.date) -> Report: ...


class BatchHistory:
    """Per-patient memory of the services already billed in this file, on top of an optional stored history.

    Earlier claims are kept as Administration records (one per service line: patient, date, code, units,
    claim id), which is what the engine's history rules read; a full Claim per line of history would not
    fit 100,000 claims in a small memory budget. A void (CLM05-3 = 8) removes the claim it voids.
    """

    def __init__(self, base: History = EMPTY_HISTORY) -> None:
        self.base = base
        self._seen: dict[str, list[Administration]] = {}

    def for_claim(self, claim: Claim) -> History:
        key = claim.patient.key
        earlier = self._seen.get(key)
        stored = self.base.for_patient(key) if self.base is not EMPTY_HISTORY else EMPTY_HISTORY
        if not earlier:
            return stored
        return History(
            administrations=stored.administrations + tuple(earlier),  # kept in date order by add()
            claims=stored.claims,
            authorizations=stored.authorizations,
        )

    def add(self, claim: Claim) -> None:
        key = claim.patient.key
        seen = self._seen.setdefault(key, [])
        if claim.frequency_code in ("7", "8"):  # replacement or void: the earlier version no longer counts
            seen[:] = [a for a in seen if a.claim_id != claim.id]
            if claim.frequency_code == "8":
                return
        payer = claim.payer.id
        for line in claim.lines:
            adm = Administration(key, line.date_of_service, line.code, line.units, claim_id=claim.id, payer_id=payer)
            bisect.insort(seen, adm, key=_by_date)


def _by_date(administration: Administration) -> dt.date:
    return administration.date


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
    history: History = EMPTY_HISTORY,
) -> Iterator[tuple[ClaimItem, Report | None]]:
    """Each claim of the file with its report (None for a claim the reader rejected)."""
    stream, _name, owned = open_source(source)
    batch = BatchHistory(history)
    tell = stream.tell if progress is not None and stream.seekable() else None
    try:
        for count, item in enumerate(read_837(stream), start=1):
            if isinstance(item, ParsedClaim):
                claim = item.claim
                report = engine.check(claim, batch.for_claim(claim), as_of=as_of)
                batch.add(claim)
                yield item, report
            else:
                yield item, None
            if tell is not None and progress is not None and count % 500 == 0:
                progress(tell())
    finally:
        if owned:
            stream.close()


def check_x12_file(
    source: str | Path | BinaryIO,
    engine: ClaimChecker,
    as_of: dt.date,
    *,
    progress: Progress | None = None,
    history: History = EMPTY_HISTORY,
) -> Iterator[Report | RejectedClaim]:
    """Reports for the claims of an 837P, and the claims the reader rejected, in file order."""
    for item, report in check_items(source, engine, as_of, progress=progress, history=history):
        yield report if report is not None else item  # type: ignore[misc]
