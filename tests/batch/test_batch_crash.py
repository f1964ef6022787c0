"""Crash safety: SIGKILL an audit part-way, run it again: nothing lost, nothing counted twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from preclaim.batch import AuditConfig, run_audit

CHUNK_LINES = "150"


def _cli(src: Path, out: Path, workers: int) -> list[str]:
    code = "from preclaim.cli import main; main()"
    args = ["audit", str(src), "--out", str(out), "--chunk-lines", CHUNK_LINES, "-j", str(workers), "-q", "--json"]
    return [sys.executable, "-c", code, *args]


def _kill_after_chunks(command: list[str], done: Path, chunks: int) -> None:
    """Start the audit in its own process group and SIGKILL the group once `chunks` chunks are recorded."""
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if done.exists() and done.read_text().count("\n") >= chunks:
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkilled_audit_resumes_with_nothing_lost_or_doubled(
    tmp_path: Path, synthetic_parquet: Path, workers: int
) -> None:
    out = tmp_path / "killed"
    _kill_after_chunks(_cli(synthetic_parquet, out, workers), out / "_work" / "done.jsonl", chunks=2)
    assert not (out / "summary.json").exists()  # killed before the end: no half-made outputs
    assert not (out / "findings.parquet").exists()

    rerun = subprocess.run(_cli(synthetic_parquet, out, workers), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert 2 <= summary["run"]["chunks_resumed"] < summary["chunks"]

    reference = tmp_path / "reference"
    expected = run_audit(AuditConfig(inputs=(synthetic_parquet,), out=reference, chunk_lines=int(CHUNK_LINES)))
    assert summary["lines"] == expected["lines"] == 1500
    assert (summary["claims"], summary["findings"], summary["verdicts"]) == (
        expected["claims"],
        expected["findings"],
        expected["verdicts"],
    )
    claims = pq.read_table(out / "claims.parquet").to_pylist()
    assert len({(c["payer_id"], c["claim_id"]) for c in claims}) == len(claims)  # none twice
    assert claims == pq.read_table(reference / "claims.parquet").to_pylist()
    assert pq.read_table(out / "findings.parquet").equals(pq.read_table(reference / "findings.parquet"))
