"""The audit's work folder: what makes a killed audit resumable with nothing lost and nothing counted twice.

    OUT/_work/staging.json      written (atomically) once staging is complete; holds the input fingerprint
    OUT/_work/staging/chunk=N/  typed lines of chunk N
    OUT/_work/parts/            findings-N.parquet and claims-N.parquet, each renamed into place when whole
    OUT/_work/done.jsonl        one line per finished chunk, appended and fsynced after its parts exist

A chunk counts as done only when its line is in done.jsonl, so a kill between writing a part and recording it
redoes that chunk (same input, same output: the part is simply replaced). A torn last line is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from preclaim.errors import InputError


@dataclass(slots=True)
class ChunkResult:
    chunk: int
    lines: int
    claims: int
    findings: int
    verdicts: dict[str, int] = field(default_factory=dict)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary sibling, fsync, rename over `path`: a reader sees the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def commit(tmp: Path, path: Path) -> None:
    """Make a fully written temporary file the real one."""
    with tmp.open("rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


class WorkDir:
    def __init__(self, out: Path) -> None:
        self.root = out / "_work"
        self.staging = self.root / "staging"
        self.parts = self.root / "parts"
        self.scratch = self.root / "scratch"
        self._staging_json = self.root / "staging.json"
        self._done = self.root / "done.jsonl"

    def prepare(self, fingerprint: dict[str, Any], restart: bool) -> dict[str, Any] | None:
        """The staging record when it matches this fingerprint; clears stale work; refuses foreign work."""
        record = self._read_json(self._staging_json)
        if record is not None and record.get("fingerprint") != fingerprint:
            if not restart:
                raise InputError(
                    "this output folder holds an unfinished audit of other inputs or options; "
                    "pass --restart to discard it, or choose another folder",
                    where=str(self.root.parent),
                )
            record = None
        if record is None:
            self._clear()
        for folder in (self.root, self.parts, self.scratch):
            folder.mkdir(parents=True, exist_ok=True)
        self._drop_torn_line()
        return record

    def _drop_torn_line(self) -> None:
        """A kill mid-append leaves a partial last line; cut it so the next record starts on its own line."""
        if not self._done.exists():
            return
        data = self._done.read_bytes()
        if data and not data.endswith(b"\n"):
            with self._done.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)
                os.fsync(handle.fileno())

    def _clear(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)

    def save_staging(self, record: dict[str, Any]) -> None:
        write_atomic(self._staging_json, json.dumps(record, sort_keys=True).encode())

    def chunk_files(self, chunk: int) -> list[Path]:
        return sorted((self.staging / f"chunk={chunk}").glob("*.parquet"))

    def part(self, kind: str, chunk: int) -> Path:
        return self.parts / f"{kind}-{chunk:05d}.parquet"

    def done(self) -> dict[int, ChunkResult]:
        results: dict[int, ChunkResult] = {}
        if not self._done.exists():
            return results
        for text in self._done.read_text(encoding="utf-8").splitlines():
            try:
                result = ChunkResult(**json.loads(text))
            except (ValueError, TypeError):
                continue  # torn last line of a killed run: that chunk is redone
            if self.part("findings", result.chunk).exists() and self.part("claims", result.chunk).exists():
                results[result.chunk] = result
        return results

    def record(self, result: ChunkResult) -> None:
        with self._done.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(result), sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def remove(self) -> None:
        self._clear()

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any] | None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            data = json.loads(path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else None
        return None
