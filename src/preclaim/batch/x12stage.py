"""837P files for staging: one Parquet row per claim, carrying the whole claim as JSON.

With several jobs, a big file is converted by parts: the parts `preclaim check --jobs` plans (edi/parallel.py,
cut at transaction sets), each converted by its own process into its own Parquet file, read back in file
order. One process's conversion is the reference, so anything unusual gives None and the caller converts in
one process (which raises the file's own error): a file too small or not written the usual way (plan_parts
decides), a platform without fork, a part the reader refuses, or a part whose envelope state at its end is
not the one the next part started from.
"""

from __future__ import annotations

import io
import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from preclaim.batch.schema import CLAIM_JSON, REQUIRED
from preclaim.domain import Claim
from preclaim.edi.parallel import Part, plan_for_jobs
from preclaim.edi.x12.envelope import EnvelopeChecker
from preclaim.edi.x12.loops import ParsedClaim, RejectedClaim
from preclaim.edi.x12.read837 import iter_claims, read_837
from preclaim.errors import X12Error

MAX_REJECTED_KEPT = 100
SCHEMA = pa.schema([(n, pa.string()) for n in (*REQUIRED, CLAIM_JSON)])


@dataclass(slots=True)
class Converted:
    """An 837P's claims as Parquet files (together in file order) and the claims the reader refused."""

    files: list[Path]
    rejected: int = 0
    rejected_examples: list[str] = field(default_factory=list)

    def refused(self, path: Path, item: RejectedClaim) -> None:
        self.rejected += 1
        if len(self.rejected_examples) < MAX_REJECTED_KEPT:
            self.rejected_examples.append(f"{path}: claim {item.claim_id or '?'}: {item.reason}")


def _x12_row(claim: Claim) -> dict[str, object]:
    line = claim.lines[0]
    return {
        "claim_id": claim.id,
        "payer_id": claim.payer.id,
        "patient_key": claim.patient.key,
        "date_of_service": (claim.first_date_of_service or line.date_of_service).isoformat(),
        "code": line.code,
        "units": str(line.units),
        CLAIM_JSON: msgspec.json.encode(claim).decode(),
    }


def _write(items: Iterable[Claim | RejectedClaim], path: Path, target: Path, batch: int = 5000) -> Converted:
    """Claims to `target` in batches (a file of any size streams through); refused claims are counted."""
    converted = Converted([target])
    rows: list[dict[str, object]] = []
    with pq.ParquetWriter(target, SCHEMA) as writer:
        for item in items:
            if isinstance(item, Claim):
                rows.append(_x12_row(item))
            else:
                converted.refused(path, item)
            if len(rows) >= batch:
                writer.write_table(pa.Table.from_pylist(rows, schema=SCHEMA))
                rows = []
        writer.write_table(pa.Table.from_pylist(rows, schema=SCHEMA))
    return converted


def x12_to_parquet(path: Path, target: Path) -> Converted:
    """The 837P converted in this process."""
    return _write(iter_claims(path), path, target)


def _state(checker: EnvelopeChecker) -> dict[str, object]:
    """What must match where one part ends and the next begins (as parallel.py compares it)."""
    return {k: v for k, v in vars(checker).items() if k not in ("known", "source")}


class _Named(io.BytesIO):
    """A part's bytes, named as the file is: the reader names its source in the reasons it gives."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


def _convert_part(path: Path, head: bytes, part: Part, target: Path) -> tuple[Converted, dict[str, object]] | None:
    """In a worker: the part's claims to `target` and the envelope state at the part's end; None when the
    reader refuses the part."""
    with open(path, "rb") as handle:  # a part is at most about MAX_PART_BYTES
        handle.seek(part.start)
        data = handle.read(part.end - part.start)
    stream = _Named((head if part.resume is not None else b"") + data, str(path))
    items = read_837(stream, resume=part.resume, ends=part.ends, envelope=part.envelope)
    try:
        converted = _write((i.claim if isinstance(i, ParsedClaim) else i for i in items), path, target)
    except X12Error:
        return None
    return converted, _state(part.envelope)


def convert_in_parts(path: Path, folder: Path, name: str, jobs: int) -> Converted | None:
    """`path` converted by `jobs` processes into folder/<name>-part-K.parquet; None: convert it in one."""
    planned = plan_for_jobs(path, jobs)
    if planned is None:
        return None
    head, parts = planned
    files = [folder / f"{name}-part-{k}.parquet" for k in range(len(parts))]
    # fork: the children inherit the loaded reader; the caller opens no DuckDB connection before this
    with ProcessPoolExecutor(min(jobs, len(parts)), mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_convert_part, path, head, part, file) for part, file in zip(parts, files, strict=True)]
        results = [future.result() for future in futures]
    whole = Converted(files)
    for k, result in enumerate(results):
        if result is None or (k + 1 < len(parts) and result[1] != _state(parts[k + 1].envelope)):
            for file in files:
                file.unlink(missing_ok=True)
            return None
        part = result[0]
        whole.rejected += part.rejected
        whole.rejected_examples += part.rejected_examples[: MAX_REJECTED_KEPT - len(whole.rejected_examples)]
    return whole
