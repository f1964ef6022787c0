"""A check reads an 837P once, or in parts with --jobs, and gives the reports of reading it twice in one process."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest
from x12_builders import b12_claim, interchange, subscriber

from preclaim.domain.claim import Claim
from preclaim.domain.history import EMPTY_HISTORY, Administration, History
from preclaim.domain.report import Report
from preclaim.edi import check, parallel
from preclaim.edi.check import CheckSummary, check_items, check_x12_file
from preclaim.edi.spool import ClaimSpool
from preclaim.edi.x12.loops import ParsedClaim, RejectedClaim
from preclaim.edi.x12.read837 import read_837, scan_services
from preclaim.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import edi_generate

AS_OF = dt.date(2026, 1, 15)
SHOWN = 20


def _mutated(text: str) -> str:
    """Replacements (same id and REF*F8), voids, dates moved a year back (later in the file, earlier in
    time) and unreadable units: what makes a claim's history depend on claims after it."""
    out: list[str] = []
    ids: list[str] = []
    for line in text.splitlines(keepends=True):
        n = len(ids) - 1
        if line.startswith("CLM*"):
            parts = line.rstrip("~\n").split("*")
            ids.append(parts[1])
            n += 1
            if n % 37 == 5 and n > 10:
                parts[1], parts[5] = ids[n - 4], "11:B:7"
            elif n % 53 == 7:
                parts[5] = "11:B:8"
            elif n % 41 == 3:
                parts[5] = "11:B:7"
            line = "*".join(parts) + "~\n"
        elif line.startswith("REF*G1*") and n % 5 == 1 and n > 3:
            line = f"REF*F8*{ids[n - 2]}~\n"
        elif line.startswith("DTP*472*D8*") and n % 11 == 0:
            line = line.replace("*D8*2025", "*D8*2024").replace("*D8*2026", "*D8*2025")
        elif line.startswith("SV1*HC:J") and n % 97 == 0:
            line = line.replace("*UN*1*", "*UN*0*")
        out.append(line)
    return "".join(out)


def _generated(tmp: Path, claims: int, seed: int, per_set: int) -> str:
    saved = edi_generate.CLAIMS_PER_SET
    edi_generate.CLAIMS_PER_SET = per_set  # several transaction sets: the places a file can be cut
    try:
        edi_generate.generate(claims, tmp / "g.837", seed=seed)
    finally:
        edi_generate.CLAIMS_PER_SET = saved
    return (tmp / "g.837").read_text()


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 mutated claims in sets of 300, then a second interchange of 600 (ids repeat across them)."""
    tmp = tmp_path_factory.mktemp("one-pass")
    path = tmp / "batch.837"
    path.write_text(_mutated(_generated(tmp, 3000, 7, 300)) + _generated(tmp, 600, 8, 200))
    return path


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


def _outcomes(path: Path, engine: Engine, raw: bool) -> list[object]:
    """Each claim's report as JSON, or a rejected claim's id, segment number and reason."""
    found: list[object] = []
    for item, report in check_items(path, engine, AS_OF, raw=raw):
        if report is not None:
            found.append(msgspec.json.encode(report))
        else:
            assert isinstance(item, RejectedClaim)
            found.append((item.claim_id, item.number, item.reason))
    return found


def test_one_pass_gives_the_reports_of_two_passes(batch: Path, engine: Engine) -> None:
    once = _outcomes(batch, engine, raw=False)
    assert once == _outcomes(batch, engine, raw=True)
    assert len(once) == 3600 and sum(isinstance(o, tuple) for o in once) >= 25  # rejected claims among them
    rules = b"".join(o for o in once if isinstance(o, bytes))
    assert b"frequency.too-soon" in rules and b"frequency.duplicate" in rules  # in-file history at work


@pytest.mark.parametrize("memory", [0, 1_001])
def test_claims_waiting_on_disk_give_the_reports_of_claims_waiting_in_memory(
    batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, memory: int
) -> None:
    """A big file's claims past MEMORY_CLAIMS wait in a pickle file: every claim on disk, or the boundary inside
    a spool batch, changes no report, rejection or order (the batch fixture fits in memory by default)."""
    assert check.MEMORY_CLAIMS > 3_600
    in_memory = _outcomes(batch, engine, raw=False)
    monkeypatch.setattr(check, "MEMORY_CLAIMS", memory)
    assert _outcomes(batch, engine, raw=False) == in_memory


def _counting_parks(monkeypatch: pytest.MonkeyPatch, marks: Path) -> Callable[[], list[int]]:
    """Count the claims each ClaimSpool.park moves to disk (through a file: --jobs processes are forked)."""
    park = ClaimSpool.park

    def counted(spool: ClaimSpool) -> None:
        with marks.open("a") as out:
            out.write(f"{len(spool.kept)}\n")
        park(spool)

    monkeypatch.setattr(ClaimSpool, "park", counted)
    return lambda: [int(n) for n in marks.read_text().split()] if marks.exists() else []


@pytest.mark.parametrize(("held", "lines"), [(0, 250_000), (4_000, 250_000), (4_000, 3_000)])
def test_a_file_too_big_to_hold_parks_its_claims_and_gives_the_same_reports(
    batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, held: int, lines: int
) -> None:
    """Past MEMORY_HELD (history lines plus two per claim held) the claims held move to disk and the rest
    follow: at once, part-way through the file, or part-way and then with the history spilled too."""
    assert check.MEMORY_HELD > 4 * 3_600  # the batch fixture is held whole by default
    in_memory = _outcomes(batch, engine, raw=False)
    parks = _counting_parks(monkeypatch, tmp_path / "parked")
    monkeypatch.setattr(check, "MEMORY_HELD", held)
    monkeypatch.setattr(check, "MEMORY_LINES", lines)
    assert _outcomes(batch, engine, raw=False) == in_memory
    parked = parks()
    assert len(parked) == 1 and (parked[0] > 500) == (held > 0)


def test_one_pass_items_carry_the_claim_and_its_segment_number(batch: Path, engine: Engine) -> None:
    raw = [(i.number, i.claim_id) for i, _ in check_items(batch, engine, AS_OF, raw=True)]
    light = list(check_items(batch, engine, AS_OF, raw=False))
    assert [(i.number, i.claim_id) for i, _ in light] == raw
    parsed = next(i for i, _ in light if isinstance(i, ParsedClaim))
    assert parsed.segments == [] and parsed.claim.lines


def test_one_pass_leaves_the_garbage_collector_as_it_found_it(batch: Path, engine: Engine) -> None:
    """The check tunes the collector while it runs (off while reading, rarer while checking); a caller's
    program must get it back as it was, also when it stops reading the reports early."""
    import gc

    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    seen = check_items(batch, engine, AS_OF, raw=False)
    next(seen)
    assert gc.get_threshold()[0] > before[1][0]  # checking: young collections are rarer
    seen.close()
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before
    for _ in check_items(batch, engine, AS_OF, raw=False):
        pass
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before


def test_one_pass_progress_follows_the_checks(batch: Path, engine: Engine) -> None:
    seen: list[int] = []
    for _ in check_items(batch, engine, AS_OF, raw=False, progress=seen.append):
        pass
    assert len(seen) == 8 and seen == sorted(seen) and 0 < seen[-1] <= batch.stat().st_size


def _facts(summary: CheckSummary) -> tuple[object, ...]:
    """A summary as the output shows it (counts in order of first appearance; rejected claims' places)."""
    rejected = [(r.claim_id, r.number, r.reason, r.error.segment_number, r.error.element) for r in summary.rejected]
    return summary.claims, list(summary.verdicts.items()), list(summary.problems.items()), rejected


def _one_process(path: Path, engine: Engine) -> tuple[bytes, CheckSummary, list[Report]]:
    """What `preclaim check` does in one process: JSON of the reports, the summary, the reports shown."""
    summary, parts, shown = CheckSummary(), [], list[Report]()
    for item, report in check_items(path, engine, AS_OF, raw=False):
        summary.add(item, report)
        if report is not None:
            parts.append(msgspec.json.encode(report))
            if report.verdict != "clean" and summary.verdicts["fix"] + summary.verdicts["deny"] <= SHOWN:
                shown.append(report)
    return b",".join(parts), summary, shown


def _in_parts(path: Path, engine: Engine, jobs: int) -> tuple[bytes, CheckSummary, list[Report]] | None:
    results = parallel.check_in_parts(path, engine, AS_OF, jobs=jobs, json=True, show=SHOWN)
    if results is None:
        return None
    summary, out, shown = CheckSummary(), io.BytesIO(), list[Report]()
    parallel.take_results(results, summary, out, shown.append, SHOWN)
    return out.getvalue(), summary, shown


def test_parts_give_the_reports_of_one_process(batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 60_000)
    planned = parallel.plan_parts(batch, 8)
    assert planned is not None and len(planned[1]) == 8
    second = batch.read_bytes().find(b"\nISA*") + 1
    assert any(p.start > second for p in planned[1])  # a part starts in the second interchange
    json, summary, shown = _one_process(batch, engine)
    parts = _in_parts(batch, engine, jobs=2)
    assert parts is not None
    assert parts[0] == json and _facts(parts[1]) == _facts(summary) and parts[2] == shown
    assert len(shown) == SHOWN and summary.rejected


def test_a_file_that_cannot_be_cut_exactly_is_checked_in_one_process(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 60_000)
    text = _generated(tmp_path, 1200, 7, 200)
    blank = tmp_path / "blank.837"  # a doubled terminator: the reader skips it, so counting would be off by one
    blank.write_text(text.replace("~\nST*837*0004*", "~\n~\nST*837*0004*", 1))
    assert _in_parts(blank, engine, jobs=2) is None
    wrong = tmp_path / "wrong-count.837"  # an envelope error: one process says which, and where
    wrong.write_text(text.replace("GE*6*1~", "GE*5*1~"))
    assert _in_parts(wrong, engine, jobs=2) is None
    assert _in_parts(tmp_path / "g.837", engine, jobs=2) is not None


def test_parts_shrink_towards_the_end_of_a_file() -> None:
    for size, jobs in ((46_000_000, 2), (460_000_000, 2), (46_000_000, 4), (2_500_000, 2)):
        targets = parallel.guided_targets(size, jobs)
        sizes = [b - a for a, b in zip([0, *targets], [*targets, size], strict=True)]
        assert len(sizes) >= 2 and sum(sizes) == size
        assert all(s <= parallel.MAX_PART_BYTES for s in sizes)
        assert all(s >= parallel.MIN_PART_BYTES // 2 for s in sizes)
        body = sizes[:-1]  # the last part also takes what is left over
        assert body == sorted(body, reverse=True)
        if size > 10 * parallel.MIN_PART_BYTES:
            assert sizes[0] >= 4 * sizes[-2], sizes  # the processes finish on small parts


def test_a_cut_the_scan_does_not_confirm_is_checked_in_one_process(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 60_000)
    _generated(tmp_path, 1200, 7, 200)
    path = tmp_path / "g.837"
    search = parallel._next_st
    # Parts go to work before the scan reaches their ends: a search that skipped an ST would make them overlap.
    monkeypatch.setattr(parallel, "_next_st", lambda path, at, *rest: search(path, search(path, at, *rest) + 1, *rest))
    assert _in_parts(path, engine, jobs=2) is None
    assert parallel.plan_parts(path, 4) is None
    monkeypatch.setattr(parallel, "_next_st", search)
    assert _in_parts(path, engine, jobs=2) is not None


def _cli(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-c", "from preclaim.cli import main; main()", *map(str, args)]
    return subprocess.run(command, capture_output=True, timeout=300)


def test_check_with_two_jobs_prints_what_one_process_prints(tmp_path: Path) -> None:
    source = tmp_path / "big.837"  # over 2 MB: two parts of at least 1 MB
    source.write_text(_mutated(_generated(tmp_path, 5000, 7, 500)))
    for fmt in ("json", "text"):
        one = _cli("check", source, "--as-of", "2026-01-15", "--no-store", "--format", fmt)
        two = _cli("check", source, "--as-of", "2026-01-15", "--no-store", "--format", fmt, "--jobs", "2")
        assert one.returncode == two.returncode == 1, two.stderr
        assert one.stdout == two.stdout and len(one.stdout) > 1000, fmt


def test_check_jobs_0_takes_one_process_per_core(tmp_path: Path) -> None:
    source = tmp_path / "big.837"
    source.write_text(_generated(tmp_path, 5000, 7, 500))
    # The command as a user runs it, on a machine said to have 3 cores; the processes asked for are printed.
    code = (
        "import os, sys; os.cpu_count = lambda: 3\n"
        "from preclaim.edi import parallel\n"
        "cut = parallel.cut_for_jobs\n"
        "def noted(path, jobs):\n"
        "    print('jobs', jobs, file=sys.stderr)\n"
        "    return cut(path, jobs)\n"
        "parallel.cut_for_jobs = noted\n"
        "from preclaim.cli import main; main()"
    )
    args = [str(source), "--as-of", "2026-01-15", "--no-store", "--format", "json"]
    zero = subprocess.run([sys.executable, "-c", code, "check", *args, "-j", "0"], capture_output=True, timeout=300)
    one = _cli("check", *args)
    assert b"jobs 3" in zero.stderr, zero.stderr[-2000:]
    assert zero.returncode == one.returncode == 1 and zero.stdout == one.stdout


class _Stored:
    """Stored history asked patient by patient, as the store is (not a plain History)."""

    def __init__(self, known: dict[str, History]) -> None:
        self.known = known
        self.asked: list[str] = []

    def for_patient(self, patient_key: str) -> History:
        self.asked.append(patient_key)
        return self.known.get(patient_key, History())


def test_parts_see_the_stored_history_too(batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 60_000)
    claims = [item.claim for item, _ in check_items(batch, engine, AS_OF, raw=False) if isinstance(item, ParsedClaim)]
    later = claims[-1]  # a patient of the last part, given an injection two days before its claim
    day = later.lines[0].date_of_service - dt.timedelta(days=2)
    stored = {later.patient.key: History(administrations=(Administration(later.patient.key, day, "J3420", 1),))}
    one = [r for _, r in check_items(batch, engine, AS_OF, raw=False, history=_Stored(stored)) if r is not None]
    results = parallel.check_in_parts(batch, engine, AS_OF, jobs=2, json=True, history=_Stored(stored))
    assert results is not None
    out = io.BytesIO()
    parallel.take_results(results, CheckSummary(), out, lambda report: None, -1)
    assert out.getvalue() == b",".join(map(msgspec.json.encode, one))
    alone = [r for _, r in check_items(batch, engine, AS_OF, raw=False) if r is not None]
    assert one != alone and one[:-5] == alone[:-5]  # the stored injection changed the last patient's reports


class _OneShot(io.BytesIO):
    def seekable(self) -> bool:
        return False


def _spill_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("preclaim-history-*")}


class _EveryLine:
    """A checker that does not say which codes its rules read as doses: its in-file history holds every line."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def check(self, claim: Claim, history: History = EMPTY_HISTORY, *, as_of: dt.date) -> Report:
        return self.engine.check(claim, history, as_of=as_of)


def test_history_of_the_drug_lines_alone_gives_the_reports_of_every_line(batch: Path, engine: Engine) -> None:
    codes = check.dose_codes_of(engine)
    assert codes is not None and "J3420" in codes and "96372" not in codes
    assert check.dose_codes_of(_EveryLine(engine)) is None
    # The mutated batch holds replacements by id and by REF*F8, voids, and dates that go back in the file.
    assert _outcomes(batch, engine, raw=False) == _outcomes(batch, _EveryLine(engine), raw=False)
    # A claim's history leaves out the injection lines, unless it names its original by REF*F8 (the original
    # is then looked for among every line).
    later = [*b12_claim("B", day="20260202")]
    named = [*b12_claim("R", day="20260302", extra=["REF*F8*A"])]
    claims = [
        item.claim
        for item in read_837(io.BytesIO(interchange([*subscriber(2), *b12_claim("A"), *later, *named])))
        if isinstance(item, ParsedClaim)
    ]
    history = check.BatchHistory(dose_codes=codes)
    for index, claim in enumerate(claims):
        history.take(claim, index)
    assert [adm.code for adm in history.for_claim(claims[1], 1).administrations] == ["J3420"]
    assert sorted(adm.code for adm in history.for_claim(claims[2], 2).administrations) == [
        "96372", "96372", "J3420", "J3420"
    ]  # fmt: skip


@pytest.fixture
def tiny_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """History of more than 500 service lines moves to disk: the 3,600-claim batch spills early."""
    monkeypatch.setattr(check, "MEMORY_LINES", 500)


def test_history_spilled_to_disk_gives_the_reports_kept_in_memory(batch: Path, engine: Engine) -> None:
    in_memory = _outcomes(batch, engine, raw=False)
    before = _spill_folders()
    spilled = check.BatchHistory(memory_lines=500)
    with batch.open("rb") as source:
        spilled.prescan(scan_services(source))
    assert spilled.spilled is not None and spilled.spilled.path.exists()
    spilled.close()
    assert not spilled.spilled.path.exists()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(check, "MEMORY_LINES", 500)
        assert _outcomes(batch, engine, raw=False) == in_memory  # one pass
        assert _outcomes(batch, engine, raw=True) == in_memory  # two passes (--fix-out)
    assert _spill_folders() == before  # the disk copy is deleted after the check


def test_history_spilled_while_reading_standard_input_gives_the_same_reports(batch: Path, engine: Engine) -> None:
    def unseekable() -> list[object]:  # a pipe: claims checked as they come
        stream = _OneShot(batch.read_bytes())
        return [msgspec.json.encode(r) for _, r in check_items(stream, engine, AS_OF) if r is not None]

    in_memory = unseekable()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(check, "MEMORY_LINES", 500)
        assert unseekable() == in_memory
    assert b"frequency.duplicate" in b"".join(in_memory)


def test_parts_with_the_history_on_disk_give_the_reports_of_one_process(
    batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, tiny_bound: None
) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 60_000)
    json, summary, shown = _one_process(batch, engine)
    before = _spill_folders()
    parts = _in_parts(batch, engine, jobs=2)
    assert parts is not None
    assert parts[0] == json and _facts(parts[1]) == _facts(summary) and parts[2] == shown
    assert _spill_folders() == before


@pytest.mark.parametrize("stream", [io.BytesIO, _OneShot])
def test_voids_and_replacements_drop_their_claim_from_a_history_on_disk(
    stream: type[io.BytesIO], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    void = [s.replace("11:B:1", "11:B:8") for s in b12_claim("A")]
    replacement = [s.replace("11:B:1", "11:B:7") for s in b12_claim("A-R", extra=["REF*F8*A"])]
    voided = [*subscriber(2), *b12_claim("A"), *subscriber(3), *void, *subscriber(4), *b12_claim("B")]
    replaced = [*subscriber(2), *b12_claim("A"), *subscriber(3), *replacement, *subscriber(4), *b12_claim("B")]

    def duplicates(body: list[str]) -> list[list[str]]:
        reports = [r for r in check_x12_file(stream(interchange(body)), engine, AS_OF) if isinstance(r, Report)]
        return [[f.message for f in r.findings if f.rule == "frequency.duplicate"] for r in reports]

    monkeypatch.setattr(check, "MEMORY_LINES", 0)  # every line on disk from the first claim
    assert duplicates(voided) == [[], [], []]  # A was voided before B: B repeats no claim that counts
    assert duplicates(replaced) == [
        [], [], ["line 2: 2026-01-02 was already billed or recorded for this patient (claim A-R)"]
    ]  # fmt: skip
    monkeypatch.setattr(check, "MEMORY_LINES", 1_000)
    assert duplicates(voided) == [[], [], []]


def test_parts_report_progress_as_they_are_read_then_checked(
    batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 60_000)
    seen: list[int] = []
    results = parallel.check_in_parts(batch, engine, AS_OF, jobs=2, progress=seen.append)
    assert results is not None
    size = batch.stat().st_size
    read = len(seen)  # one call per part read
    assert read >= 8 and seen[-1] == size // 2  # every part read: half the way
    parallel.take_results(results, CheckSummary(), None, lambda report: None, -1)
    assert len(seen) == 2 * read and seen == sorted(seen) and size - 1 <= seen[-1] <= size


def test_a_big_file_is_cut_into_more_parts_than_jobs_need_with_the_same_reports(
    batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 60_000)
    monkeypatch.setattr(parallel, "MAX_PART_BYTES", batch.stat().st_size // 12)  # parts of at most 1/12 of it
    seen: list[int] = []
    results = parallel.check_in_parts(batch, engine, AS_OF, jobs=2, json=True, show=SHOWN, progress=seen.append)
    assert results is not None and len(seen) >= 12  # one call per part read: 12 or 13 parts, not 2 x 4
    summary, out, shown = CheckSummary(), io.BytesIO(), list[Report]()
    parallel.take_results(results, summary, out, shown.append, SHOWN)
    json, one, first = _one_process(batch, engine)
    assert out.getvalue() == json and _facts(summary) == _facts(one) and shown == first


def test_parts_with_claims_parked_on_disk_give_the_reports_of_one_process(
    batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 60_000)
    monkeypatch.setattr(parallel, "MEMORY_CLAIMS", 500)  # each of the 2 processes holds 250 claims, parks the rest
    parts = _in_parts(batch, engine, jobs=2)
    json, summary, shown = _one_process(batch, engine)
    assert parts is not None
    assert parts[0] == json and _facts(parts[1]) == _facts(summary) and parts[2] == shown


def test_processes_that_hold_too_much_park_their_claims_and_give_the_reports_of_one_process(
    batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Past its share of MEMORY_HELD a process moves the claims it holds to disk, as one process would, and
    the parts it read are still its own to check (each process also records only its own patients' history)."""
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 60_000)
    monkeypatch.setattr(parallel, "MEMORY_HELD", 6_000)  # 3,000 each: about 750 two-line claims held, then parked
    parks = _counting_parks(monkeypatch, tmp_path / "parked")
    parts = _in_parts(batch, engine, jobs=2)
    json, summary, shown = _one_process(batch, engine)
    assert parts is not None
    assert parts[0] == json and _facts(parts[1]) == _facts(summary) and parts[2] == shown
    assert sum(parks()) > 500  # claims did move from memory to disk


_SLOW: list[bool] = []  # set in the forked process that checks part 0


def test_a_process_done_early_reads_again_and_checks_a_part_left_to_the_other(
    batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process that checks part 0 is slowed down: the other one, done with its own parts, takes the last
    parts of the file left to it (reading them again), with the history of their patients recorded too."""
    import time

    check_part = parallel._check_part

    def slowed(job: parallel._Job, k: int, *rest: object) -> parallel.PartResult:
        if k == 0:
            _SLOW.append(True)  # in this forked process only
        if _SLOW:
            time.sleep(0.15)
        return check_part(job, k, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_check_part", slowed)
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 60_000)
    sent: list[tuple[str, int]] = []
    send = parallel._Worker.send

    def noted(worker: parallel._Worker, message: tuple[object, ...]) -> None:
        if message[0] in ("part", "again"):
            sent.append((str(message[0]), int(message[1])))  # type: ignore[call-overload]
        send(worker, message)

    monkeypatch.setattr(parallel._Worker, "send", noted)
    parts = _in_parts(batch, engine, jobs=2)
    json, summary, shown = _one_process(batch, engine)
    assert parts is not None
    assert parts[0] == json and _facts(parts[1]) == _facts(summary) and parts[2] == shown
    taken = [k for tag, k in sent if tag == "again"]
    assert taken and len(sent) == len({k for _, k in sent})  # parts were taken, and each checked once
    assert min(taken) >= len(sent) - parallel.SHARED_TAIL * 2  # only parts of the tail


def _jobs_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("preclaim-jobs-*")}


def _processes_and_folders() -> tuple[set[object], set[str]]:
    """The child processes running and the --jobs folders there are: a check must leave both as it found them."""
    import multiprocessing

    return set(multiprocessing.active_children()), _jobs_folders()


def _started(
    batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> tuple[tuple[set[object], set[str]], Iterator[parallel.PartResult]]:
    """The processes and folders there were, and a two-process check of the batch in small parts, started."""
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 60_000)
    found = _processes_and_folders()
    results = parallel.check_in_parts(batch, engine, AS_OF, jobs=2, json=True)
    assert results is not None
    return found, results


def _left_as_found(found: tuple[set[object], set[str]]) -> bool:
    running, folders = _processes_and_folders()
    return running <= found[0] and folders == found[1]


def _dies(*args: object) -> None:
    import os

    os._exit(3)


def _fails(*args: object) -> None:
    raise ValueError("a rule failed on part 1")


@pytest.mark.parametrize(("work", "raised"), [(_dies, parallel.BrokenProcessPool), (_fails, ValueError)])
def test_a_process_that_dies_or_fails_stops_the_check_and_leaves_nothing_behind(
    batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, work: object, raised: type[BaseException]
) -> None:
    monkeypatch.setattr(parallel, "_check_part", work)  # the forked processes inherit it
    found, results = _started(batch, engine, monkeypatch)
    with pytest.raises(raised):
        parallel.take_results(results, CheckSummary(), io.BytesIO(), lambda report: None, -1)
    assert _left_as_found(found)


def test_a_check_in_parts_left_early_stops_its_processes(
    batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    found, results = _started(batch, engine, monkeypatch)
    assert _processes_and_folders()[0] - found[0]  # its processes run
    first = next(results)
    assert first.summary.claims > 0
    results.close()  # e.g. the output could not be written
    assert _left_as_found(found)


def test_results_never_taken_leave_no_process_or_folder(
    batch: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    found, results = _started(batch, engine, monkeypatch)
    assert _processes_and_folders()[1] != found[1]  # its folder is there
    del results  # e.g. the output file could not be opened
    gc.collect()
    assert _left_as_found(found)
