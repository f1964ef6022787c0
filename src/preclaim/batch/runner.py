"""`preclaim audit` locally: stage with DuckDB, audit chunks in worker processes, resume after a kill.

OUT/findings.(parquet|csv), OUT/claims.(parquet|csv) and OUT/summary.json appear only when the whole audit is
done (summary.json last: its presence means complete). Until then the work lives in OUT/_work (see manifest).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from preclaim.batch.manifest import ChunkResult, WorkDir
from preclaim.batch.output import finish, write_summary
from preclaim.batch.patient import AuditOptions
from preclaim.batch.source import stage
from preclaim.batch.worker import ChunkTask, run_chunk
from preclaim.errors import InputError
from preclaim.policy import policy_dirs

Progress = Callable[[str, int, int | None], None]  # (phase, done, total)
OutputFormat = Literal["parquet", "csv"]


@dataclass(frozen=True, slots=True)
class AuditConfig:
    inputs: tuple[Path, ...]
    out: Path
    options: AuditOptions = field(default_factory=AuditOptions)
    policy_dirs: tuple[Path, ...] = ()
    home: Path | None = None  # the data folder (imported code sets, the user's policies), resolved by the caller
    workers: int = 1
    chunk_lines: int = 20_000
    output_format: OutputFormat = "parquet"
    restart: bool = False
    keep_work: bool = False


def fingerprint(config: AuditConfig) -> dict[str, Any]:
    """What the results depend on: the inputs as they are now, and every option that changes findings."""
    files = []
    for path in config.inputs:
        stat = path.stat()
        files.append([str(path.resolve()), stat.st_size, stat.st_mtime_ns])
    return {
        "inputs": files,
        "policy_dirs": [str(p.resolve()) for p in policy_dirs(config.policy_dirs, home=config.home)],
        "as_of": config.options.as_of.isoformat() if config.options.as_of else None,
        "lookback_days": config.options.lookback_days,
        "chunk_lines": config.chunk_lines,
        "format": config.output_format,
    }


def _finished(config: AuditConfig, mark: dict[str, Any]) -> dict[str, Any] | None:
    path = config.out / "summary.json"
    if not path.exists():
        return None
    summary: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if summary.get("fingerprint") == mark:
        return summary | {"already_complete": True}
    if not config.restart:
        raise InputError(
            "this output folder holds a finished audit of other inputs or options; "
            "pass --restart to replace it, or choose another folder",
            where=str(config.out),
        )
    path.unlink()
    return None


def _tasks(config: AuditConfig, work: WorkDir, chunks: int, done: dict[int, ChunkResult]) -> list[ChunkTask]:
    return [
        ChunkTask(
            chunk=n,
            files=tuple(work.chunk_files(n)),
            findings_part=work.part("findings", n),
            claims_part=work.part("claims", n),
            options=config.options,
            policy_dirs=config.policy_dirs,
            home=config.home,
        )
        for n in range(chunks)
        if n not in done
    ]


def _execute(tasks: list[ChunkTask], workers: int) -> Iterator[ChunkResult]:
    if workers <= 1 or len(tasks) <= 1:
        yield from map(run_chunk, tasks)
        return
    # spawn, not fork: the parent holds DuckDB and thread state a forked child must not inherit
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(run_chunk, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


def run_audit(config: AuditConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Run (or resume, or just report) the audit described by config; returns the summary."""
    report: Progress = progress or (lambda _phase, _done, _total: None)
    started = time.perf_counter()
    mark = fingerprint(config)
    config.out.mkdir(parents=True, exist_ok=True)
    complete = _finished(config, mark)
    if complete is not None:
        return complete
    work = WorkDir(config.out)
    record = work.prepare(mark, config.restart)
    if record is None:
        report("reading", 0, None)
        staged = stage(
            config.inputs, work.staging, work.scratch, config.chunk_lines, config.workers, jobs=config.workers
        )
        record = {"fingerprint": mark, "staged": asdict(staged)}
        work.save_staging(record)
    staged_info: dict[str, Any] = record["staged"]
    done = work.done()
    resumed = len(done)
    tasks = _tasks(config, work, int(staged_info["chunks"]), done)
    total_lines = int(staged_info["lines"])
    finished_lines = sum(r.lines for r in done.values())
    report("auditing", finished_lines, total_lines)
    for result in _execute(tasks, config.workers):
        work.record(result)
        done[result.chunk] = result
        finished_lines += result.lines
        report("auditing", finished_lines, total_lines)
    report("writing", 0, None)
    seconds = time.perf_counter() - started
    summary = finish(config.out, work, config.output_format, staged_info, list(done.values()), mark)
    summary["run"] = {"seconds": round(seconds, 3), "chunks_resumed": resumed, "workers": config.workers,
                      "pid": os.getpid()}  # fmt: skip
    summary["run"]["lines_per_second"] = round(total_lines / seconds) if seconds else None
    write_summary(config.out, summary)
    if not config.keep_work:
        work.remove()
    return summary
