"""`preclaim check --jobs N`: one 837P checked by N processes, with the reports of one process, in file order.

The file is cut at transaction sets (ST) into parts, big ones first and smaller ones towards the end, so that
the processes run out of work together (`guided_targets`). The processes are forked once, at the start, and
each does both phases. Phase 1: each part goes to the first process free as soon as the parent's scan of the
envelope has reached where it starts; the process reads it once, holds its claims (its share of MEMORY_CLAIMS
in memory, the rest parked on disk) and writes the part's history facts to a file. Phase 2:
every process records every part's facts in file order into its own BatchHistory, the same a single process
holds, then checks parts as the parent hands them out (the first left of its own, or of those another process
parked on disk whole; with none left, it may read again one of the file's last parts left to a busier process),
writing each part's reports as JSON to its own file and adding up its summary; the
parent copies the JSON in order and adds the summaries up. Forking fresh processes for phase 2
instead (sharing the parent's history) meant handing every claim from a reading process to a checking one,
pickled and read back: that cost more than recording the whole file's history in each process (callgrind,
check + JSON, cost of one more claim from 10,000 to 20,000 claims, all processes: 299,700 instructions against
233,700; one process: 208,700).

One process's answer is the reference, so anything unusual falls back to it (`check_in_parts` returns
None): a file that does not start with its ISA or is wrapped, an envelope error anywhere (the parent checks
the envelope segments it finds; each part checks all its own segments, and the envelope state at the end of
a part must be the one the next part started from, which also catches blank segments that would shift the
segment numbers), a file too small to be worth it, or a platform without fork.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import gc
import io
import multiprocessing
import os
import re
import shutil
import tempfile
import threading
import weakref
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import msgspec

from preclaim.domain.history import EMPTY_HISTORY, History, PatientHistories
from preclaim.domain.report import Report
from preclaim.edi import check
from preclaim.edi.check import (
    CLAIM_LINES,
    MEMORY_CLAIMS,
    MEMORY_HELD,
    YOUNG_WHILE_CHECKING,
    BatchHistory,
    CheckSummary,
    ClaimChecker,
    Fact,
    dose_codes_of,
    fact_of,
)
from preclaim.edi.history_spill import SpilledHistory
from preclaim.edi.spool import ClaimSpool, stripped
from preclaim.edi.x12.envelope import EnvelopeChecker
from preclaim.edi.x12.loops import ClaimItem, ParsedClaim
from preclaim.edi.x12.read837 import read_837
from preclaim.edi.x12.tokenizer import ISA_LENGTH, Resume, Segment, Tokenizer
from preclaim.errors import X12Error
from preclaim.io.report_json import ReportArrayWriter

MIN_PART_BYTES = 1 << 20  # a smaller part is not worth a process
MAX_PART_BYTES = 16 << 20  # a bigger file gets more parts: a part's history facts are read whole by each process
_SCAN = 1 << 20  # bytes the parent reads at a time looking for envelope segments (16 MB: 105 MB more RSS)
_ENVELOPE = ("ISA", "GS", "ST", "SE", "GE", "IEA", "TA1")
# A process that has checked its own parts reads one left to another again and checks it, when that one's work
# left is longer: reading a part again and checking it takes about AGAIN times as long as checking it
# (100,000 claims: 0.85 s of reading, writing facts included, against 1.3 s of checks a process).
AGAIN = 1.6
SHARED_TAIL = 2  # x jobs: the last parts, whose patients' history every process records, so any can check them
T = TypeVar("T")


@dataclass(slots=True)
class Part:
    """A byte range of the file that starts at the ISA (the first part) or at an ST."""

    start: int
    end: int
    resume: Resume | None  # None for the first part
    envelope: EnvelopeChecker  # as it stood at `start`
    ends: bool  # the part runs to the end of the file


@dataclass
class PartResult:
    """What a part's check gives the parent: its reports' JSON (comma-separated, in a file), its summary
    and its first reports that are not clean (for the text output)."""

    json: Path | None
    summary: CheckSummary
    flagged: list[tuple[Report, int]] = field(default_factory=list)  # (report, fix + deny up to it)


def plan_for_jobs(path: Path, jobs: int) -> tuple[bytes, list[Part]] | None:
    """The parts for `jobs` forked processes (`cut_for_jobs`), all cut; None when one process should do it."""
    cut = cut_for_jobs(path, jobs)
    return _whole(cut) if cut is not None else None


def cut_for_jobs(path: Path, jobs: int) -> tuple[bytes, Iterator[Part]] | None:
    """The file's ISA (with its line break) and its parts for `jobs` forked processes, each given as soon as the
    scan of the envelope has reached where it starts (the scan overlaps the first parts' work); None when one
    process should do it: fewer than two jobs, no fork on this platform, or a file not worth cutting. The parts
    shrink towards the end of the file (`guided_targets`). Iterating raises X12Error at an envelope error."""
    size = path.stat().st_size
    if jobs < 2 or size < 2 * MIN_PART_BYTES or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return _cut(path, guided_targets(size, jobs))


def guided_targets(size: int, jobs: int) -> list[int]:
    """Where parts should start: each about a (4 x jobs)-th of the bytes left, within half MIN_PART_BYTES and
    MAX_PART_BYTES (a part's history facts are read whole by each process). Big parts first, small ones last:
    the processes run out of parts at about the same time. A process checks the parts it read, so the small
    parts at the end balance both phases: with a (2 x jobs)-th, one process finished its checks up to 0.2 s
    after the other on 100,000 claims; with a (4 x jobs)-th, within 0.03 s."""
    least = MIN_PART_BYTES // 2
    targets: list[int] = []
    at = 0
    while True:
        at += min(MAX_PART_BYTES, max(least, (size - at) // (4 * jobs)))
        if size - at < least:  # the rest joins the last part
            return targets
        targets.append(at)


def plan_parts(path: Path, parts: int) -> tuple[bytes, list[Part]] | None:
    """The file's ISA (with its line break) and `parts` parts of about equal size; None when the file is not
    one to cut."""
    size = path.stat().st_size
    parts = min(parts, size // MIN_PART_BYTES)
    if parts < 2:
        return None
    cut = _cut(path, [size * k // parts for k in range(1, parts)])
    return _whole(cut) if cut is not None else None


def _whole(cut: tuple[bytes, Iterator[Part]]) -> tuple[bytes, list[Part]] | None:
    head, parts = cut
    try:
        plan = list(parts)
    except X12Error:
        return None
    return (head, plan) if plan else None


def _cut(path: Path, targets: list[int]) -> tuple[bytes, Iterator[Part]] | None:
    """The file's ISA and its parts, cut at the first ST at or after each target offset; None for a file that is
    not written one segment a line (or terminator) from a readable ISA. No part at all when no ST falls past
    the first target."""
    if not targets:
        return None
    with open(path, "rb") as handle:
        head = handle.read(1 << 13)
        try:
            tokenizer = Tokenizer(io.BytesIO(head), source=str(path))
        except X12Error:
            return None
    delimiters, ending = tokenizer.delimiters, tokenizer.line_ending
    if not tokenizer.plain or delimiters.segment in "\r\n" or ending not in ("", "\n", "\r\n"):
        return None
    after = delimiters.segment + ending
    parts = _parts(path, path.stat().st_size, tokenizer.isa, targets, after, delimiters.element)
    return head[:ISA_LENGTH] + ending.encode("ascii"), parts


def _parts(path: Path, size: int, isa: Segment, targets: list[int], after: str, element: str) -> Iterator[Part]:
    """Each part as soon as the scan knows the envelope where it starts: the first ST at or after its target
    (the first part: the file's start). Where it ends, the next part's start, is found by a search near the
    next target, which the scan confirms when it gets there (it raises X12Error if it does not): the parts
    go to work while the parent scans on."""
    source = str(path)
    checker = EnvelopeChecker(source)
    ahead = iter(targets)
    target = next(ahead, None)  # where the part after the last one given should start
    end = _next_st(path, target, after, element) if target is not None else size
    if end == size:  # no ST past the first target: one part, not worth cutting
        return
    yield Part(0, end, None, EnvelopeChecker(source), False)
    gs: Segment = []
    for at, number, segment in _envelope_segments(path, after, element):
        tag = segment[0]
        if tag == "ST" and target is not None and at >= target:
            if at != end:
                raise X12Error("the scan and the search found different transaction sets", source=source)
            while target is not None and target <= at:
                target = next(ahead, None)
            state = copy.copy(checker)
            state.known = set()
            end = _next_st(path, target, after, element) if target is not None else size
            yield Part(at, end, Resume(number - 1, isa, gs), state, end == size)
        checker.check(segment, number)
        if tag == "ISA":
            isa = segment
        elif tag == "GS":
            gs = segment
    if end != size:
        raise X12Error("the search found a transaction set the scan did not", source=source)


def _next_st(path: Path, target: int, after: str, element: str) -> int:
    """The offset of the first ST segment that starts at or after `target`, or the file's size if none does."""
    needle = (after + "ST" + element).encode("ascii")
    skip = len(after)
    with open(path, "rb") as handle:
        handle.seek(max(target - skip, 0))
        base = handle.tell()
        data = b""
        while True:
            more = handle.read(1 << 16)
            data += more
            found = data.find(needle)
            if found >= 0:
                return base + found + skip
            if not more:
                return base + len(data)
            keep = len(needle) - 1  # a needle may straddle two reads
            base += len(data) - keep
            data = data[-keep:]


def _envelope_segments(path: Path, after: str, element: str) -> Iterator[tuple[int, int, Segment]]:
    """(byte offset, segment number, segment) of each envelope segment, in file order, for a file written
    one terminator (+ line break) per segment. Reads the file in pieces that end after a terminator."""
    prefix = after.encode("ascii")
    term = prefix[:1]
    tags = b"|".join(tag.encode("ascii") for tag in _ENVELOPE)
    # One regex, not a find per tag: its scan for the literal prefix is several times faster here.
    needle = re.compile(re.escape(prefix) + b"(?:" + tags + b")" + re.escape(element.encode("ascii")))
    base = 0  # file offset of the piece's first byte
    terms = 0  # terminators before the piece
    rest = b""
    with open(path, "rb") as handle:
        while True:
            data = handle.read(_SCAN)
            piece = rest + data
            cut = piece.rfind(prefix) + len(prefix) if data else len(piece)
            if data and cut < len(prefix):
                rest = piece
                continue
            piece, rest = piece[:cut], piece[cut:]
            buffer = prefix + piece  # the piece starts at a segment: as if after a terminator
            counted, count = len(prefix), terms
            for at in map(_start, needle.finditer(buffer)):
                start = at + len(prefix)
                count += buffer.count(term, counted, start)
                counted = start
                end = buffer.find(term, start)
                text = buffer[start : end if end >= 0 else len(buffer)].decode("ascii", "replace")
                yield base + at, count + 1, text.split(element)
            terms = count + buffer.count(term, counted)  # the piece's terminators, each counted once
            base += len(piece)
            if not data:
                return


def _start(match: re.Match[bytes]) -> int:
    return match.start()


class _PartStream:
    """The file's ISA, then the bytes of one part: what a part's tokenizer reads."""

    def __init__(self, path: Path, head: bytes, start: int, end: int) -> None:
        self._head = head
        self._file = open(path, "rb")  # noqa: SIM115  # closed by close()
        self._file.seek(start)
        self._left = end - start
        self.name = str(path)

    def read(self, size: int = -1) -> bytes:
        out = self._head[:size]
        self._head = self._head[len(out) :]
        want = min(self._left, size - len(out))
        if want > 0:
            data = self._file.read(want)
            self._left -= len(data)
            out += data
        return out

    def close(self) -> None:
        self._file.close()


def _state(checker: EnvelopeChecker) -> dict[str, object]:
    return {k: v for k, v in vars(checker).items() if k not in ("known", "source")}


@dataclass
class _Job:
    """What every process of one `check_in_parts` knows from its fork."""

    path: Path
    head: bytes  # the file's ISA, read before a part that starts at an ST
    folder: Path  # each part's history facts and reports' JSON
    engine: ClaimChecker
    as_of: dt.date
    json: bool
    show: int
    history: PatientHistories  # inherited as it is: BatchHistory knows EMPTY_HISTORY by identity, not a copy
    keys: bool  # send each part's patient keys back: the parent fetches their stored history
    room: int  # claims a process holds in memory at most: the processes together hold what one process would
    held: int  # its share of check.MEMORY_HELD: past it, its claims move to disk (as in one process)


# What a process says of a part it has read: (claims, envelope state at its end, patient keys if asked, service
# lines, claims held in memory), or None when the part cannot be read the way one process would.
_Answer = tuple[int, dict[str, object], list[str], int, int]
_Read = _Answer | None


class _Worker:
    """A forked process that reads parts, keeps their claims, then checks them; the parent's end of its pipe."""

    def __init__(self, fork: Any, job: _Job) -> None:
        self.conn, child = fork.Pipe()
        self.process = fork.Process(target=_work, args=(child, job), daemon=True)
        self.process.start()
        child.close()
        self.reading = False  # a part to read has been handed over and not yet answered
        self.held: list[int] = []  # the parts it read (it holds their claims)
        self.checking: int | None = None  # the part it is checking

    def send(self, message: tuple[Any, ...]) -> None:
        try:
            self.conn.send(message)
        except OSError:
            raise self._broken() from None

    def receive(self) -> tuple[Any, ...]:
        try:
            message: tuple[Any, ...] = self.conn.recv()
        except (EOFError, OSError):
            raise self._broken() from None
        if message[0] == "error":
            raise message[1]
        return message

    def _broken(self) -> BrokenProcessPool:
        self.process.join(1)
        return BrokenProcessPool(f"a --jobs process ended abruptly (exit code {self.process.exitcode})")

    def stop(self) -> None:
        if self.conn.closed:
            return
        with contextlib.suppress(OSError):
            self.conn.send(("stop",))
        self.conn.close()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _start_crew(fork: Any, count: int, job: _Job) -> list[_Worker]:
    """`count` processes forked from this one. The parent's objects are frozen out of the cyclic GC meanwhile, so
    the children's collections neither walk them nor copy their pages."""
    gc.freeze()
    try:
        return [_Worker(fork, job) for _ in range(count)]
    finally:
        gc.unfreeze()


def _answers(workers: list[_Worker], block: bool) -> Iterator[tuple[_Worker, tuple[Any, ...]]]:
    """The messages waiting from `workers` (waiting for one at least when `block`)."""
    by_conn = {worker.conn: worker for worker in workers}
    for conn in wait(list(by_conn), None if block else 0):
        worker = by_conn[conn]
        yield worker, worker.receive()


def _work(conn: Any, job: _Job) -> None:
    """A process: read the parts it is given, holding their claims (up to its share of MEMORY_CLAIMS, the rest
    parked on disk as one process parks them), then check them all against the whole file's history."""
    held: dict[int, ClaimSpool] = {}
    room = job.room
    own: dict[int, list[Fact]] = {}  # the facts of the parts it read, while few: not read back from their files
    own_lines = 0
    history: tuple[BatchHistory, list[int], list[int]] | None = None  # with each part's claims and first index
    lines = 0  # service lines of the parts it read
    # Reading makes claims and history facts, no cycles: as in one process, no collections meanwhile.
    gc.disable()
    try:
        while True:
            message = conn.recv()
            if message[0] == "read":
                k, part = message[1], message[2]
                read = _read_part(job, k, part, room)
                if read is None:
                    conn.send(("read", k, None))
                    continue
                spool, facts, answer = read
                held[k] = spool
                room -= len(spool.kept)
                lines += answer[3]
                if room and lines + CLAIM_LINES * (job.room - room) > job.held:
                    for spool in held.values():
                        spool.park()  # the file is too big to hold: as one process would, hold none
                    room = 0
                if own_lines + answer[3] <= check.MEMORY_LINES // 2:
                    own[k] = facts
                    own_lines += answer[3]
                del facts
                conn.send(("read", k, answer))
            elif message[0] == "check":
                counts, fetched, spilled, anyone, tail = message[1:]
                offsets = [sum(counts[:k]) for k in range(len(counts))]
                # It checks its own parts and perhaps the last ones (the tail), read again, unless a part was
                # parked on disk whole (then any process may check any part: it records the whole history).
                mine = None if anyone or spilled is not None else _patients(job, own, held, tail)
                history = _history_of(job, own, offsets, fetched, spilled, mine), counts, offsets
            elif message[0] in ("part", "again") and history is not None:
                batch, counts, offsets = history
                k = message[1]
                items: ClaimSpool | Generator[ClaimItem, None, None]
                if message[0] == "again":  # another process's part, read again: that one is still busy
                    items = _read_again(job, message[2])
                else:  # a part of its own, or one another process read and parked on disk whole (that one is idle)
                    items = held.pop(k) if k in held else _parked(job, k, counts[k])
                conn.send(("checked", k, _check_part(job, k, items, batch, offsets[k])))
            else:
                return
    except (EOFError, KeyboardInterrupt):
        return  # the parent has gone or is going: nothing to tell it
    except BaseException as exc:  # the parent raises it
        try:
            conn.send(("error", exc))
        except Exception:  # e.g. an exception that does not pickle
            conn.send(("error", RuntimeError(f"a --jobs process failed: {exc!r}")))
    finally:
        for spool in held.values():
            spool.close()
        if history is not None:
            history[0].close()
        conn.close()


def _read_part(job: _Job, k: int, part: Part, room: int) -> tuple[ClaimSpool, list[Fact], _Answer] | None:
    """Read part k: its claims held (the first `room` in memory), its history facts written for every process;
    None when the part cannot be read the way one process would."""
    facts: list[Fact] = []
    # In the shared folder: a part parked on disk whole can be checked by whichever process is free.
    spool = ClaimSpool(open(job.folder / f"part-{k}.spool", "w+b"), memory=room)  # noqa: SIM115
    try:
        for index, item in enumerate(_items(job, part)):
            if isinstance(item, ParsedClaim):
                facts.append(fact_of(item.claim, index))
            spool.add(item)
        spool.flush()
        if spool.file is not None:
            spool.file.flush()
    except X12Error:
        spool.close()
        return None
    (job.folder / f"part-{k}.facts").write_bytes(_encode_facts(facts))
    keys = list(dict.fromkeys(fact[1] for fact in facts)) if job.keys else []
    lines = sum(len(fact[5]) for fact in facts)
    return spool, facts, (spool.count, _state(part.envelope), keys, lines, len(spool.kept))


def _items(job: _Job, part: Part) -> Iterator[ClaimItem]:
    """The items of a part, as one process reads them."""
    stream = _PartStream(job.path, job.head if part.resume is not None else b"", part.start, part.end)
    try:
        yield from read_837(stream, resume=part.resume, ends=part.ends, envelope=part.envelope)  # type: ignore[arg-type]
    finally:
        stream.close()


def _read_again(job: _Job, part: Part) -> Generator[ClaimItem, None, None]:
    """The items of a part another process read, read again as they are checked (none held: a part may be big),
    as that process would hand them over (without raw segments)."""
    return (stripped(item) for item in _items(job, part))


def _parked(job: _Job, k: int, count: int) -> ClaimSpool:
    """Part k's claims as another process parked them, all on disk."""
    spool = ClaimSpool(open(job.folder / f"part-{k}.spool", "rb"))  # noqa: SIM115  # closed when read
    spool.count = count
    return spool


# A part's history facts in its file: MessagePack, written 2.5 times as fast as a pickle and read as fast
# (100,000 claims' facts: 61 ms against 151 ms, then 93 ms against 97 ms). Units keep int or float as read.
_encode_facts = msgspec.msgpack.Encoder().encode
_FactsFile = list[tuple[int, str, str, str, str, list[tuple[dt.date, str, int | float]], str | None]]
_decode_facts = msgspec.msgpack.Decoder(_FactsFile).decode


def _facts_of(folder: Path, k: int) -> list[Fact]:
    return _decode_facts((folder / f"part-{k}.facts").read_bytes())


def _patients(job: _Job, own: dict[int, list[Fact]], held: Iterable[int], tail: Iterable[int]) -> set[str]:
    """The patients of the claims a process may check: those of the parts it `held` and of the `tail`, from
    their facts (`own`, else read back; a tail part's kept in `own` for the history to record)."""
    found: set[str] = set()
    for k in held:
        found.update([fact[1] for fact in (own[k] if k in own else _facts_of(job.folder, k))])
    for k in tail:
        if k not in own:
            own[k] = _facts_of(job.folder, k)  # small: the tail's parts are the file's last
        found.update([fact[1] for fact in own[k]])
    return found


def _history_of(
    job: _Job,
    own: dict[int, list[Fact]],
    offsets: list[int],
    fetched: PatientHistories | None,
    spilled: Path | None,
    patients: set[str] | None,
) -> BatchHistory:
    """Every part's history facts recorded in file order (the BatchHistory one process holds; `offsets`: the
    index in the file of each part's first claim), or the one the parent spilled to disk at `spilled`.
    `fetched`: the stored history the parent fetched, if any; `patients`: only these patients' facts are
    recorded (those of the claims the process will check: each process then records about its share of the
    file's history, not all of it)."""
    batch = BatchHistory(job.history if fetched is None else fetched, dose_codes=dose_codes_of(job.engine))
    if spilled is not None:
        batch.attach(SpilledHistory.reading(spilled))
    else:
        batch.start_file()
        for k, offset in enumerate(offsets):
            batch.record_facts(own.pop(k) if k in own else _facts_of(job.folder, k), offset, patients)
        batch.end_file()
    own.clear()
    # The claims held and the history live until the last check: frozen, as in one process, the collections
    # the checks trigger do not walk them again and again.
    gc.freeze()
    gc.enable()  # young collections as rare as in one process's checks
    gc.set_threshold(YOUNG_WHILE_CHECKING, *gc.get_threshold()[1:])
    return batch


def _check_part(
    job: _Job, k: int, spool: ClaimSpool | Generator[ClaimItem, None, None], batch: BatchHistory, offset: int
) -> PartResult:
    """Check part k's claims (held, parked or read again: closed at the end) against the whole file's history:
    reports' JSON to its own file, its summary."""
    engine, as_of, show = job.engine, job.as_of, job.show
    summary = CheckSummary()
    result = PartResult(job.folder / f"part-{k}.json" if job.json else None, summary)
    out = open(result.json, "wb") if result.json is not None else None  # noqa: SIM115
    reports = ReportArrayWriter(out) if out is not None else None
    flagged = 0
    try:
        for index, item in enumerate(spool, offset):
            if not isinstance(item, ParsedClaim):
                summary.add(item, None)
                continue
            claim = item.claim
            report = engine.check(claim, batch.for_claim(claim, index), as_of=as_of)
            summary.add(item, report)
            if reports is not None:
                reports.add(report)
            if report.verdict != "clean" and flagged <= show:
                flagged = summary.verdicts["fix"] + summary.verdicts["deny"]
                if flagged <= show:
                    result.flagged.append((report, flagged))
    finally:
        spool.close()
        if out is not None:
            if reports is not None:
                reports.flush()
            out.close()
    return result


def check_in_parts(
    path: Path,
    engine: ClaimChecker,
    as_of: dt.date,
    *,
    jobs: int,
    history: PatientHistories = EMPTY_HISTORY,
    json: bool = False,
    show: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Iterator[PartResult] | None:
    """The file's parts checked by `jobs` processes, in file order; None: check it in one process instead.

    Phase 1 runs before this returns (an unreadable part means None); the parts' results then come as the
    processes finish them. A `history` that is not a plain History (the store) is asked here, once per
    patient of the file, so the processes share no connection. `json`: each result has its reports' JSON;
    `show`: the reports that are not clean, while fix + deny so far stays within `show`, come as Reports.
    `progress` is called with a count of bytes out of the file's size: each part counts half when it has been
    read (phase 1) and half when it has been checked (phase 2)."""
    cut = cut_for_jobs(path, jobs)
    if cut is None:
        return None
    head, cuts = cut
    folder = Path(tempfile.mkdtemp(prefix="preclaim-jobs-"))
    _warm(engine)  # before the fork: the tables the checks load, loaded once and shared
    count = min(jobs, len(guided_targets(path.stat().st_size, jobs)) + 1)
    asks = not isinstance(history, History)
    room, held = MEMORY_CLAIMS // count, MEMORY_HELD // count
    job = _Job(path, head, folder, engine, as_of, json, show, history, asks, room, held)
    crew = _start_crew(multiprocessing.get_context("fork"), count, job)
    parts: list[Part] = []
    big = _BigHistory(folder, dose_codes_of(engine))
    try:
        read = _read_all(crew, _numbered(cuts, parts), parts, progress, big)
        if read is not None:
            counts, keys, parked = read
            spilled = big.finish()
            # Any process may take the last parts: unless the whole history is recorded, those whose patients
            # each records beside its own.
            tail = 0 if parked or spilled is not None else max(0, len(parts) - SHARED_TAIL * len(crew))
            # The store is asked here, once per patient, so the processes share no connection.
            fetched = None if isinstance(history, History) else _Prefetched(history, keys)
            for worker in crew:
                worker.send(("check", counts, fetched, spilled, bool(parked), range(tail, len(parts))))
    except BaseException:
        _stop(crew, folder, big)
        raise
    if read is None:
        _stop(crew, folder, big)
        return None
    checked = _checked(crew, parts, counts, tail, parked, folder, big)
    results = _advancing(checked, parts, progress, parts[-1].end // 2)
    # Results never iterated (the caller failed first) would otherwise leave the processes waiting and the folder.
    weakref.finalize(results, _stop, crew, folder, big)
    return results


class _BigHistory:
    """The history of a file too big for memory, recorded once by the parent as the parts are read and spilled
    to disk (which every process then reads), rather than by each process from the facts: with each process
    recording and spilling it, two jobs took 43.2 s on 1,000,000 claims against 40.3 s for one recording."""

    def __init__(self, folder: Path, dose_codes: frozenset[str] | None) -> None:
        self.folder = folder
        self.dose_codes = dose_codes
        self.lines = 0  # service lines of the parts read so far, in file order
        self.recorded = 0  # parts recorded so far
        self.batch: BatchHistory | None = None

    def add(self, k: int, lines: int, offsets: list[int]) -> None:
        """Part k has been read (parts before it too): once the file's lines pass what one process would hold
        in memory, record every part read so far, and each next one as it comes."""
        self.lines += lines
        if self.batch is None and self.lines <= check.MEMORY_LINES:
            return
        if self.batch is None:
            # Straight to disk: it is too big for memory already (held first, its 250,000 lines took 52 MB more
            # of the parent's memory for a moment, 170 MB on 1,000,000 claims).
            self.batch = BatchHistory(EMPTY_HISTORY, memory_lines=0, dose_codes=self.dose_codes)
            self.batch.start_file()
        collecting = gc.isenabled()
        gc.disable()  # the facts are small tuples and lists without cycles
        try:
            while self.recorded <= k:
                self.batch.record_facts(_facts_of(self.folder, self.recorded), offsets[self.recorded])
                self.recorded += 1
        finally:
            if collecting:
                gc.enable()

    def finish(self) -> Path | None:
        """The spilled history's file, or None when it stayed small (each process records it then)."""
        if self.batch is None:
            return None
        self.batch.end_file()
        if self.batch.spilled is None:
            self.close()
            return None
        return self.batch.spilled.path

    def close(self) -> None:
        if self.batch is not None:
            self.batch.close()
            self.batch = None


def _read_all(
    crew: list[_Worker],
    cuts: Iterator[tuple[int, Part]],
    parts: list[Part],
    progress: Callable[[int], None] | None,
    big: _BigHistory,
) -> tuple[list[int], list[str], set[int]] | None:
    """Phase 1: each part to the first process free as soon as it is cut (the parent scans on meanwhile); the
    parts' claim counts in file order and their patients' keys, or None when a part cannot be read as one
    process would, does not end where the next part starts (its envelope state there), or the envelope is
    wrong anywhere (one process reports it)."""
    waiting: deque[tuple[int, Part]] = deque()
    answers: dict[int, _Read] = {}
    counts: list[int] = []
    offsets: list[int] = []  # the index in the file of each part's first claim
    parked: set[int] = set()  # the parts parked on disk whole: any process can check them
    keys: list[str] = []
    scanned = False
    while True:
        if not scanned:
            try:
                cut = next(cuts, None)
            except X12Error:
                return None
            if cut is None:
                scanned = True
            else:
                waiting.append(cut)
        for worker in crew:
            if waiting and not worker.reading:
                k, part = waiting.popleft()
                worker.send(("read", k, part))
                worker.reading = True
                worker.held.append(k)
        busy = [worker for worker in crew if worker.reading]
        if scanned and not busy:
            break
        # While the scan goes on, only look; once it is done, wait for an answer.
        for worker, (_, k, answer) in _answers(busy, block=scanned):
            worker.reading = False
            answers[k] = answer
        while len(counts) in answers and (scanned or len(counts) + 1 < len(parts)):
            k = len(counts)
            answer = answers.pop(k)
            if answer is None:
                return None
            count, state, part_keys, lines, in_memory = answer
            if k + 1 < len(parts) and state != _state(parts[k + 1].envelope):
                return None
            offsets.append(offsets[-1] + counts[-1] if counts else 0)
            counts.append(count)
            keys.extend(part_keys)
            if not in_memory:
                parked.add(k)
            big.add(k, lines, offsets)
            if progress is not None:
                progress(parts[k].end // 2)
    return (counts, keys, parked) if len(parts) >= 2 else None


def _checked(
    crew: list[_Worker],
    parts: list[Part],
    counts: list[int],
    tail: int,
    parked: set[int],
    folder: Path,
    big: _BigHistory,
) -> Iterator[PartResult]:
    """Phase 2: the parts' results in file order, as they come (a process that dies raises BrokenProcessPool).
    A process free takes the first part left of its own or parked on disk whole; with none left, it reads again
    and checks the last part of the tail (parts from `tail` on) left to the process with the most work left,
    when that ends the checks sooner (`_taken`). The processes then finish within a small part of each other,
    even when one read faster than the other (it then holds more claims to check)."""
    left = set(range(len(parts)))

    def hand_out(worker: _Worker) -> None:
        mine = [k for k in left if k in parked or k in worker.held]
        worker.checking = min(mine) if mine else _taken(worker, crew, left, counts, tail)
        if worker.checking is not None:
            left.discard(worker.checking)
            worker.send(("part", worker.checking) if mine else ("again", worker.checking, parts[worker.checking]))

    try:
        for worker in crew:
            hand_out(worker)
        done: dict[int, PartResult] = {}
        for k in range(len(parts)):
            while k not in done:
                for worker, (_, j, result) in _answers([w for w in crew if w.checking is not None], block=True):
                    done[j] = result
                    hand_out(worker)
            yield done.pop(k)
    finally:
        _stop(crew, folder, big)


def _taken(worker: _Worker, crew: list[_Worker], left: set[int], counts: list[int], tail: int) -> int | None:
    """The part an idle `worker` should read again and check: the last of the tail left to the busiest other
    process (counting half of the part it is checking), if reading and checking it (AGAIN times its claims)
    takes less time than that process's work left; None if no such part."""
    best: int | None = None
    most = 0.0
    for other in crew:
        if other is worker or other.checking is None:
            continue
        queue = [k for k in left if k in other.held]
        last = max(queue, default=-1)
        if last < tail:
            continue
        work = counts[other.checking] / 2 + sum(counts[k] for k in queue)
        if AGAIN * counts[last] < work and work > most:
            best, most = last, work
    return best


def _stop(crew: list[_Worker], folder: Path, big: _BigHistory) -> None:
    for worker in crew:
        worker.stop()
    big.close()
    shutil.rmtree(folder, ignore_errors=True)


def _numbered(cuts: Iterator[Part], parts: list[Part]) -> Iterator[tuple[int, Part]]:
    """(k, part k) as the parts are cut, each also appended to `parts`."""
    for part in cuts:
        parts.append(part)
        yield len(parts) - 1, part


def _warm(engine: ClaimChecker) -> None:
    """Load what an engine loads on its first check (Engine.warm), if it says how."""
    warm: Callable[[], None] | None = getattr(engine, "warm", None)
    if warm is not None:
        warm()


def _advancing(
    results: Iterator[T], parts: list[Part], progress: Callable[[int], None] | None, base: int
) -> Iterator[T]:
    """The parts' results in order, calling `progress` after each: `base` + half the bytes up to its end."""
    for result, part in zip(results, parts, strict=False):  # results first: it runs to its end (and clean-up)
        yield result
        if progress is not None:
            progress(base + part.end // 2)


class _Prefetched:
    """The stored history of every patient of the file, fetched by the parent before it forks."""

    def __init__(self, source: PatientHistories, keys: Iterable[str]) -> None:
        self.found: dict[str, History] = {}
        for key in keys:
            if key not in self.found:
                self.found[key] = source.for_patient(key)

    def for_patient(self, patient_key: str) -> History:
        return self.found[patient_key]


def take_results(
    results: Iterator[PartResult],
    summary: CheckSummary,
    json_out: BinaryIO | None,
    show: Callable[[Report], None],
    limit: int,
) -> None:
    """Add the parts up in file order, as one process's loop would: the summary, the JSON reports
    (comma-separated, appended to `json_out`) and `show` for the reports the text output details."""
    wrote = False
    removing: list[threading.Thread] = []
    for result in results:
        before = summary.verdicts["fix"] + summary.verdicts["deny"]
        for report, flagged in result.flagged:
            if before + flagged <= limit:
                show(report)
        part = result.summary
        summary.claims += part.claims
        summary.verdicts.update(part.verdicts)
        summary.problems.update(part.problems)
        summary.rejected.extend(part.rejected)
        if json_out is not None and result.json is not None:
            with open(result.json, "rb") as handle:
                if wrote and os.fstat(handle.fileno()).st_size:
                    json_out.write(b",")
                wrote = _copy(handle, json_out) or wrote
            # Deleting a big file frees its pages in the kernel: in a thread, while the next part is copied.
            removing.append(threading.Thread(target=result.json.unlink))
            removing[-1].start()
    for thread in removing:
        thread.join()


def _copy(source: BinaryIO, target: BinaryIO) -> bool:
    """Copy; True when anything was copied. File to file in the kernel (copy_file_range): the copy is the
    parent's share of the work, and a user-space copy of the reports' JSON was most of it."""
    size = os.fstat(source.fileno()).st_size
    if not size:
        return False
    try:
        into = target.fileno()
        target.flush()
    except (AttributeError, OSError, io.UnsupportedOperation):
        shutil.copyfileobj(source, target, 1 << 20)  # e.g. an in-memory stream
        return True
    done = 0
    try:
        while done < size:
            step = os.copy_file_range(source.fileno(), into, size - done)
            if not step:
                break
            done += step
    except OSError:  # a file system or kernel without it: copy the rest through user space
        source.seek(done)
        shutil.copyfileobj(source, target, 1 << 20)
    target.seek(0, os.SEEK_END)  # the buffered object learns where the file now ends
    return True
