"""`preclaim check --jobs N`: one 837P checked by N processes, with the reports of one process, in file order.

The file is cut at transaction sets (ST) into parts, big ones first and smaller ones towards the end, so that
the processes run out of work together (`guided_targets`). Phase 1: each part goes to a process as soon as
the parent's scan of the envelope has reached where it starts; the process reads it once, parks its claims
in its own file and returns their history facts; the parent records the facts in file order into one
BatchHistory, the same a single process holds. Phase 2: processes forked after that share the history
(copy-on-write) and check their parts; each writes its reports as JSON to its own file and adds up its own
summary; the parent copies the JSON in order and adds the summaries up.

One process's answer is the reference, so anything unusual falls back to it (`check_in_parts` returns
None): a file that does not start with its ISA or is wrapped, an envelope error anywhere (the parent checks
the envelope segments it finds; each part checks all its own segments, and the envelope state at the end of
a part must be the one the next part started from, which also catches blank segments that would shift the
segment numbers), a file too small to be worth it, or a platform without fork.
"""

from __future__ import annotations

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
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from preclaim.domain.history import EMPTY_HISTORY, History, PatientHistories
from preclaim.domain.report import Report
from preclaim.edi.check import (
    YOUNG_WHILE_CHECKING,
    BatchHistory,
    CheckSummary,
    ClaimChecker,
    Fact,
    dose_codes_of,
    fact_of,
)
from preclaim.edi.spool import ClaimSpool
from preclaim.edi.x12.envelope import EnvelopeChecker
from preclaim.edi.x12.loops import ParsedClaim
from preclaim.edi.x12.read837 import read_837
from preclaim.edi.x12.tokenizer import ISA_LENGTH, Resume, Segment, Tokenizer
from preclaim.errors import X12Error
from preclaim.io.report_json import ReportArrayWriter

MIN_PART_BYTES = 1 << 20  # a smaller part is not worth a process
MAX_PART_BYTES = 16 << 20  # a bigger file gets more parts: a part's history facts pass through the parent's memory
_SCAN = 1 << 20  # bytes the parent reads at a time looking for envelope segments (16 MB: 105 MB more RSS)
_ENVELOPE = ("ISA", "GS", "ST", "SE", "GE", "IEA", "TA1")
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
    """Where parts should start: each about a (2 x jobs)-th of the bytes left, within half MIN_PART_BYTES and
    MAX_PART_BYTES (a part's history facts pass through the parent's memory). Big parts first, small ones last:
    the processes run out of parts at about the same time, in each phase (equal parts left one process idle
    for up to a part's time at each phase's end)."""
    least = MIN_PART_BYTES // 2
    targets: list[int] = []
    at = 0
    while True:
        at += min(MAX_PART_BYTES, max(least, (size - at) // (2 * jobs)))
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


# What the forked processes inherit (set by the parent just before it forks them).
_shared: dict[str, Any] = {}


def _read_part(k: int, part: Part) -> tuple[int, list[Fact], dict[str, object]] | None:
    """Phase 1 in a worker: park part k's claims in its spool file; (claims, history facts, envelope at
    its end), or None when the part cannot be read the way one process would."""
    # Reading makes parked claims and history facts, no cycles: as in one process, no collections meanwhile
    # (the worker was forked with the parent's GC off; its pool is for phase 1 alone).
    gc.disable()
    path: Path = _shared["path"]
    head = _shared["head"] if part.resume is not None else b""
    stream = _PartStream(path, head, part.start, part.end)
    facts: list[Fact] = []
    spool = ClaimSpool(open(_shared["folder"] / f"part-{k}.spool", "wb"))  # noqa: SIM115
    try:
        items = read_837(stream, resume=part.resume, ends=part.ends, envelope=part.envelope)  # type: ignore[arg-type]
        for index, item in enumerate(items):
            if isinstance(item, ParsedClaim):
                facts.append(fact_of(item.claim, index))
            spool.add(item)
        spool.flush()
    except X12Error:
        return None
    finally:
        spool.close()
        stream.close()
    return spool.count, facts, _state(part.envelope)


def _check_part(k: int) -> PartResult:
    """Phase 2 in a worker: check part k's parked claims against the whole file's history."""
    gc.enable()  # young collections as rare as in one process's checks (the pool is for phase 2 alone)
    gc.set_threshold(YOUNG_WHILE_CHECKING, *gc.get_threshold()[1:])
    folder: Path = _shared["folder"]
    engine: ClaimChecker = _shared["engine"]
    as_of: dt.date = _shared["as_of"]
    batch: BatchHistory = _shared["history"]
    offset: int = _shared["offsets"][k]
    show: int = _shared["show"]
    spool = ClaimSpool(open(folder / f"part-{k}.spool", "rb"))  # noqa: SIM115  # closed when read
    spool.count = _shared["counts"][k]
    summary = CheckSummary()
    result = PartResult(folder / f"part-{k}.json" if _shared["json"] else None, summary)
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
        if out is not None:
            if reports is not None:
                reports.flush()
            out.close()
    (folder / f"part-{k}.spool").unlink()  # here, not in the parent: freeing its pages takes the kernel a while
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
    fork = multiprocessing.get_context("fork")
    _shared.clear()
    _shared.update(path=path, head=head, folder=folder)
    batch = BatchHistory(history, dose_codes=dose_codes_of(engine))
    parts: list[Part] = []
    counts: list[int] | None = None
    collecting = gc.isenabled()
    # The facts arrive as many small tuples and lists that make no cycles: without this, the cyclic GC walks
    # the growing history again and again while they are unpickled and recorded (about half of the parent's
    # phase-1 CPU at 100,000 claims, taken from the two workers' cores).
    gc.disable()
    try:
        most = len(guided_targets(path.stat().st_size, jobs)) + 1
        with ProcessPoolExecutor(min(jobs, most), mp_context=fork) as pool:
            try:  # each part is read as soon as it is cut, while the parent scans on for the next cut
                futures = _submit(pool, _read_part, _numbered(cuts, parts))
            except X12Error:  # an envelope error: one process reports it
                parts.clear()
            if len(parts) < 2:  # that, or no ST past the first cut: nothing to share out
                pool.shutdown(cancel_futures=True)
            else:
                _warm(engine)  # the checking processes fork from this one: the tables they load, loaded once
                # Each part's facts are recorded as soon as it is read, while the processes read the next parts.
                counts = _chain(_advancing(_in_turn(futures), parts, progress, 0), parts, batch)
                if counts is None:  # one process will read the file: the parts not started are not read
                    pool.shutdown(cancel_futures=True)
        if counts is None:
            batch.close()
            shutil.rmtree(folder, ignore_errors=True)
            return None
    except BaseException:
        batch.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        if counts is not None:
            # The history's objects are all young (collections were off): frozen, the first collection does not
            # walk them all (about 50 ms at 100,000 claims). The fork for phase 2 unfreezes them (_submit).
            gc.freeze()
        if collecting:
            gc.enable()
    if not isinstance(history, History):  # e.g. the store: queried here, not over a connection forked processes share
        batch.base = _Prefetched(history, batch.patients())
    offsets = [sum(counts[:k]) for k in range(len(counts))]
    _shared.update(engine=engine, as_of=as_of, history=batch, offsets=offsets, counts=counts, json=json, show=show)
    return _advancing(_results(fork, jobs, len(parts), folder), parts, progress, parts[-1].end // 2)


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


def _in_turn(futures: list[Future[T]]) -> Iterator[T]:
    """The futures' results in order, each let go once taken: a part's facts are not kept after they are
    recorded (holding every part's facts cost 500 MB at 1,000,000 claims)."""
    futures.reverse()
    while futures:
        yield futures.pop().result()


def _advancing(
    results: Iterator[T], parts: list[Part], progress: Callable[[int], None] | None, base: int
) -> Iterator[T]:
    """The parts' results in order, calling `progress` after each: `base` + half the bytes up to its end."""
    for result, part in zip(results, parts, strict=False):  # results first: it runs to its end (and clean-up)
        yield result
        if progress is not None:
            progress(base + part.end // 2)


def _chain(
    read: Iterable[tuple[int, list[Fact], dict[str, object]] | None], parts: list[Part], batch: BatchHistory
) -> list[int] | None:
    """Record every part's facts in file order; the parts' claim counts, or None when a part failed or does
    not end where the next part starts (its envelope state there)."""
    batch.start_file()
    counts: list[int] = []
    offset = 0
    for k, result in enumerate(read):
        if result is None:
            return None
        count, facts, state = result
        if k + 1 < len(parts) and state != _state(parts[k + 1].envelope):
            return None
        batch.record_facts(facts, offset)
        offset += count
        counts.append(count)
    batch.end_file()
    return counts


def _submit(pool: ProcessPoolExecutor, work: Callable[..., T], tasks: Iterable[tuple[Any, ...]]) -> list[Future[T]]:
    """One task per item of `tasks` (the arguments of `work`). The processes fork at the first; the parent's
    objects are frozen out of the cyclic GC meanwhile, so the children's collections neither walk them nor copy
    their pages."""
    futures: list[Future[T]] = []
    for task in tasks:
        if futures:
            futures.append(pool.submit(work, *task))
            continue
        gc.freeze()
        try:
            futures.append(pool.submit(work, *task))
        finally:
            gc.unfreeze()
    return futures


class _Prefetched:
    """The stored history of every patient of the file, fetched by the parent before it forks."""

    def __init__(self, source: PatientHistories, keys: Iterable[str]) -> None:
        self.found: dict[str, History] = {}
        for key in keys:
            if key not in self.found:
                self.found[key] = source.for_patient(key)

    def for_patient(self, patient_key: str) -> History:
        return self.found[patient_key]


def _results(fork: Any, jobs: int, parts: int, folder: Path) -> Iterator[PartResult]:
    """Phase 2: the parts' results in file order, as they come (a process that dies raises BrokenProcessPool)."""
    try:
        with ProcessPoolExecutor(min(jobs, parts), mp_context=fork) as pool:
            futures = _submit(pool, _check_part, ((k,) for k in range(parts)))
            _shared["history"].let_go()
            for future in futures:
                yield future.result()
    finally:
        history: BatchHistory | None = _shared.get("history")
        if history is not None:
            history.close()
        _shared.clear()
        shutil.rmtree(folder, ignore_errors=True)


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
