"""Audit one staged chunk: read its lines, run the engine per patient, write its two parts atomically.

Runs in a worker process (or in-process with one worker). The engine is built once per process.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from preclaim.batch.manifest import ChunkResult, commit, temp_path
from preclaim.batch.patient import AuditOptions, Row, audit_patient
from preclaim.batch.schema import CLAIMS, FINDINGS
from preclaim.engine import Engine

_ENGINES: dict[tuple[str, ...], Engine] = {}


@dataclass(frozen=True, slots=True)
class ChunkTask:
    chunk: int
    files: tuple[Path, ...]
    findings_part: Path
    claims_part: Path
    options: AuditOptions
    policy_dirs: tuple[Path, ...] = ()
    home: Path | None = None  # the data folder, resolved where the audit started (workers read no environment)


def engine_for(policy_dirs: tuple[Path, ...], home: Path | None = None) -> Engine:
    key = (*(str(p) for p in policy_dirs), f"home={home}")
    if key not in _ENGINES:
        _ENGINES[key] = Engine.default(policy_dirs=policy_dirs, codes_dir=home)
    return _ENGINES[key]


def read_rows(files: tuple[Path, ...]) -> list[Row]:
    rows: list[Row] = []
    for path in files:
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def by_patient(rows: list[Row]) -> list[list[Row]]:
    """Rows grouped per patient, patients in key order (the output order does not depend on the input's)."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row["patient_key"], []).append(row)
    return [groups[key] for key in sorted(groups)]


def write_part(rows: list[Row], schema: pa.Schema, path: Path) -> None:
    tmp = temp_path(path)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
    commit(tmp, path)


def run_chunk(task: ChunkTask) -> ChunkResult:
    engine = engine_for(task.policy_dirs, task.home)
    rows = read_rows(task.files)
    claims: list[Row] = []
    findings: list[Row] = []
    for patient_rows in by_patient(rows):
        claim_rows, finding_rows = audit_patient(engine, patient_rows, task.options)
        claims.extend(claim_rows)
        findings.extend(finding_rows)
    write_part(findings, FINDINGS, task.findings_part)
    write_part(claims, CLAIMS, task.claims_part)
    verdicts = Counter(str(c["verdict"]) for c in claims)
    lines = sum(int(c["lines"]) for c in claims)
    return ChunkResult(task.chunk, lines, len(claims), len(findings), dict(sorted(verdicts.items())))
