"""preclaim from Python: check claims from a file, text, bytes or a Claim, with their history, in one call.

    import preclaim
    reports = preclaim.check("batch.837", history="history.json", as_of=datetime.date(2026, 3, 20))

The CLI (`preclaim check`), the REST service (`POST /v1/check`, `/v1/prior-auth`) and the web pages (the
form's check, the background check of an uploaded 837P) all come through here, so what a claim's input is
(format sniffing) and what its history is (stored + given + in-file) is decided in this one place:

- an X12 interchange (ISA, with or without a byte order mark) is read as an 837P, streaming; the file's own
  claims are history for each other (preclaim.edi.check), on top of the given and the stored history;
- JSON (one claim, a list or {"claims": [...]}) and Claim objects are checked one by one, each with the
  given history plus its patient's stored history up to its date of service (the claim itself left out).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from preclaim.domain.claim import Claim
from preclaim.domain.history import EMPTY_HISTORY, History, PatientHistories
from preclaim.domain.report import PriorAuthDecision, Report
from preclaim.errors import InputError
from preclaim.io.sniff import HEAD_BYTES, content_start, read_head, sniff
from preclaim.paths import Settings

if TYPE_CHECKING:
    from preclaim.edi.check import ClaimChecker
    from preclaim.edi.x12.loops import ClaimItem
    from preclaim.engine import Engine

Source = Claim | bytes | str | os.PathLike[str]
HistoryInput = History | str | os.PathLike[str] | None
Kind = Literal["x12", "json", "claim"]
Progress = Callable[[int], None]  # X12 files: bytes read so far


class StoredHistory(Protocol):
    """Earlier records of a patient kept somewhere (the history store): preclaim.store.StoreHistory."""

    def history_for(self, patient_key: str, before: dt.date, *, exclude_claim: str | None = None) -> History: ...


class Checker(Protocol):
    def check(self, claim: Claim, history: History = ..., *, as_of: dt.date) -> Report: ...

    def prior_auth(self, claim: Claim, history: History = ..., *, as_of: dt.date) -> PriorAuthDecision: ...


@dataclass(frozen=True, slots=True)
class Input:
    """What a source holds, sniffed once: X12 (a path or the bytes), JSON bytes, or a Claim."""

    kind: Kind
    name: str  # for messages: the file name, or "input"
    path: Path | None = None
    data: bytes | None = None
    claim: Claim | None = None


@dataclass(frozen=True, slots=True)
class Checked:
    """One claim of a source and its report. X12: `item` is the reader's ParsedClaim or RejectedClaim (segment
    numbers, the raw segments a corrected 837P is written from); a rejected claim has no claim and no report."""

    claim: Claim | None
    report: Report | None
    item: ClaimItem | None = None


def _looks_like_text(text: str) -> bool:
    start = content_start(text[:HEAD_BYTES].encode("utf-8", "replace"))
    return start.startswith(b"ISA") or start[:1] in (b"{", b"[")


def read_input(source: Source, *, name: str | None = None, kind: Kind | None = None) -> Input:
    """Sniff `source`: a Claim; bytes or text (an interchange starting ISA, or JSON); else a path to a file.

    `kind` skips the sniffing (a service told by its media type that a body is X12). A byte order mark and
    leading blank space are ignored, the same as everywhere else (preclaim.io.sniff).
    """
    if isinstance(source, Claim):
        return Input("claim", name or source.id, claim=source)
    if isinstance(source, str) and _looks_like_text(source):
        source = source.encode("utf-8")
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        found = kind or ("x12" if sniff(data[:HEAD_BYTES]) == "x12" else "json")
        return Input(found, name or "input", data=data)
    path = Path(source)
    label = name or str(path)
    found = kind or ("x12" if sniff(read_head(path)) == "x12" else "json")
    if found == "x12":
        return Input("x12", label, path=path)
    try:
        return Input("json", label, path=path, data=path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", where=label) from None


def merge(*histories: History) -> History:
    """One history holding every record of the given ones, in order (given before stored)."""
    parts = [h for h in histories if h is not EMPTY_HISTORY]
    if not parts:
        return EMPTY_HISTORY
    if len(parts) == 1:
        return parts[0]
    return History(
        administrations=tuple(a for h in parts for a in h.administrations),
        claims=tuple(c for h in parts for c in h.claims),
        authorizations=tuple(a for h in parts for a in h.authorizations),
    )


def given_history(history: HistoryInput) -> History:
    """A History as it is, a history JSON file read (administrations, claims, authorizations), or none."""
    if history is None:
        return EMPTY_HISTORY
    if isinstance(history, History):
        return history
    from preclaim.io.claim_json import load_history

    return load_history(Path(history))


class PerPatient:
    """Per-patient history for streamed files: the given history plus the patient's stored records (all of
    them: the engine itself ignores records of the claim being checked), cached per patient."""

    def __init__(self, stored: StoredHistory, base: History = EMPTY_HISTORY, cache_size: int = 4096) -> None:
        self.stored = stored
        self.base = base
        self.cache: dict[str, History] = {}
        self.cache_size = cache_size

    def for_patient(self, patient_key: str) -> History:
        found = self.cache.get(patient_key)
        if found is None:
            if len(self.cache) >= self.cache_size:
                self.cache.clear()
            stored = self.stored.history_for(patient_key, dt.date.max)
            found = self.cache[patient_key] = merge(self.base.for_patient(patient_key), stored)
        return found


def claim_history(claim: Claim, given: History, stored: StoredHistory | None, as_of: dt.date) -> History:
    """One claim's history: the given records, then its patient's stored records up to its date of service
    (the claim itself left out, so a claim checked again is not its own duplicate)."""
    if stored is None:
        return given
    day = claim.first_date_of_service or as_of
    return merge(given, stored.history_for(claim.patient.key, day, exclude_claim=claim.id))


def load_engine(policies: Sequence[str | os.PathLike[str]] = (), settings: Settings | None = None) -> Engine:
    """The engine with the bundled policies and code sets, those in the data folder, $PRECLAIM_POLICIES and
    `policies` (folders of YAML policies). Build it once and pass it as `engine=` to check many times."""
    from preclaim.engine import Engine

    found = settings or Settings.from_env()
    return Engine.default([*found.policy_dirs, *(Path(p) for p in policies)], codes_dir=found.home)


def _claims(read: Input) -> list[Claim]:
    if read.claim is not None:
        return [read.claim]
    from preclaim.io.claim_json import decode_claims

    return decode_claims(read.data or b"", read.name)


def check_many(
    source: Source | Input,
    *,
    history: HistoryInput = None,
    as_of: dt.date | None = None,
    policies: Sequence[str | os.PathLike[str]] = (),
    engine: ClaimChecker | None = None,
    stored: StoredHistory | None = None,
    name: str | None = None,
    kind: Kind | None = None,
    progress: Progress | None = None,
    raw: bool = True,
) -> Iterator[Checked]:
    """Every claim of `source` with its report, in order (streaming for X12: any size of file).

    A claim the X12 reader rejects comes back with no report (the others are still checked); bad JSON raises
    InputError naming the file and the field. `as_of` defaults to today; `engine` to load_engine(policies);
    `stored`: a store of earlier records (preclaim.store.StoreHistory). `source` may be an Input read_input
    gave already (an edge that needed to know the kind first). X12 with raw=False: the file is read once and
    the items carry the claim and segment number only, not the raw segments (see edi.check.check_items).
    """
    read = source if isinstance(source, Input) else read_input(source, name=name, kind=kind)
    day = as_of or dt.date.today()
    given = given_history(history)
    checker = engine or load_engine(policies)
    if read.kind == "x12":
        from preclaim.edi.check import check_items

        known: PatientHistories = given if stored is None else PerPatient(stored, given)
        x12 = read.path if read.path is not None else io.BytesIO(read.data or b"")
        for item, report in check_items(x12, checker, day, progress=progress, history=known, raw=raw):
            yield Checked(getattr(item, "claim", None) if report is not None else None, report, item)
        return
    for claim in _claims(read):
        yield Checked(claim, checker.check(claim, claim_history(claim, given, stored, day), as_of=day))


def check(
    source: Source,
    *,
    history: HistoryInput = None,
    as_of: dt.date | None = None,
    policies: Sequence[str | os.PathLike[str]] = (),
    engine: ClaimChecker | None = None,
    stored: StoredHistory | None = None,
    name: str | None = None,
    kind: Kind | None = None,
) -> list[Report]:
    """The reports for every claim of `source` (a path, X12 or JSON text or bytes, or a Claim).

    Every claim must be readable: a claim the X12 reader rejects raises InputError naming its segment and
    what was expected (use check_many to get the others' reports anyway).
    """
    reports = []
    for done in check_many(
        source, history=history, as_of=as_of, policies=policies, engine=engine, stored=stored, name=name, kind=kind
    ):
        if done.report is None:
            raise rejected_error(done.item)
        reports.append(done.report)
    return reports


class RejectedClaimError(InputError):
    """A claim of an 837P the X12 reader could not read (its segment, element and what was expected)."""


def rejected_error(item: object) -> RejectedClaimError:
    """The error for a claim the X12 reader rejected: its id, segment and element, and the reason."""
    error = getattr(item, "error", None)
    claim_id = getattr(item, "claim_id", None)
    return RejectedClaimError(str(error or item), where=f"claim {claim_id}" if claim_id else "837P")


def claims_of(source: Source | Input, *, name: str | None = None, kind: Kind | None = None) -> list[Claim]:
    """The claims of `source`, read but not checked; an X12 claim the reader rejects raises RejectedClaimError."""
    read = source if isinstance(source, Input) else read_input(source, name=name, kind=kind)
    if read.kind != "x12":
        return _claims(read)
    from preclaim.edi.x12.read837 import iter_claims

    found: list[Claim] = []
    for item in iter_claims(read.path if read.path is not None else io.BytesIO(read.data or b"")):
        if not isinstance(item, Claim):
            raise rejected_error(item)
        found.append(item)
    return found


def prior_auth(
    source: Source | Input,
    *,
    history: HistoryInput = None,
    as_of: dt.date | None = None,
    policies: Sequence[str | os.PathLike[str]] = (),
    engine: Checker | None = None,
    stored: StoredHistory | None = None,
    name: str | None = None,
    kind: Kind | None = None,
) -> list[tuple[str, PriorAuthDecision]]:
    """(claim id, prior-authorization decision) for every claim of `source`: each claim with the given history
    and its stored records, as in check (an 837P's other claims are not consulted, as before in the service)."""
    day = as_of or dt.date.today()
    given = given_history(history)
    checker: Checker = engine or load_engine(policies)
    return [
        (claim.id, checker.prior_auth(claim, claim_history(claim, given, stored, day), as_of=day))
        for claim in claims_of(source, name=name, kind=kind)
    ]


__all__ = [
    "Checked",
    "Input",
    "PerPatient",
    "RejectedClaimError",
    "StoredHistory",
    "check",
    "check_many",
    "claim_history",
    "claims_of",
    "given_history",
    "load_engine",
    "merge",
    "prior_auth",
    "read_input",
]
