"""The audit work folder: torn records and foreign work are handled, never trusted."""

from __future__ import annotations

from pathlib import Path

import pytest

from preclaim.batch.manifest import ChunkResult, WorkDir
from preclaim.errors import InputError


def _done_chunk(work: WorkDir, chunk: int) -> None:
    for kind in ("findings", "claims"):
        work.part(kind, chunk).write_bytes(b"part")
    work.record(ChunkResult(chunk, 10, 4, 2, {"fix": 4}))


def test_a_torn_last_record_is_cut_and_the_next_record_stays_readable(tmp_path: Path) -> None:
    work = WorkDir(tmp_path)
    work.prepare({"inputs": 1}, restart=False)
    work.save_staging({"fingerprint": {"inputs": 1}, "staged": {}})
    _done_chunk(work, 0)
    with (work.root / "done.jsonl").open("a") as handle:
        handle.write('{"chunk": 1, "lin')  # killed mid-append
    again = WorkDir(tmp_path)
    assert again.prepare({"inputs": 1}, restart=False) is not None
    assert set(again.done()) == {0}
    _done_chunk(again, 2)
    assert set(again.done()) == {0, 2}


def test_a_recorded_chunk_whose_part_is_missing_is_redone(tmp_path: Path) -> None:
    work = WorkDir(tmp_path)
    work.prepare({"inputs": 1}, restart=False)
    _done_chunk(work, 0)
    _done_chunk(work, 1)
    work.part("claims", 1).unlink()
    assert set(work.done()) == {0}


def test_work_of_other_inputs_is_refused_unless_restart(tmp_path: Path) -> None:
    work = WorkDir(tmp_path)
    work.prepare({"inputs": 1}, restart=False)
    work.save_staging({"fingerprint": {"inputs": 1}, "staged": {}})
    _done_chunk(work, 0)
    with pytest.raises(InputError, match="pass --restart"):
        WorkDir(tmp_path).prepare({"inputs": 2}, restart=False)
    fresh = WorkDir(tmp_path)
    assert fresh.prepare({"inputs": 2}, restart=True) is None
    assert fresh.done() == {}
