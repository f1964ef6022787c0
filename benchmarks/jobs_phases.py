"""Wall and CPU seconds of each phase of `preclaim check --format json --jobs N` against one process.

    python benchmarks/jobs_phases.py /tmp/claims-100k.837 [--jobs 2] [--repeat 3]

Phase 1: the parts read and held by the processes, their history facts written (check_in_parts returns);
phase 2: each process records the whole file's history, checks its parts and writes their JSON, which the
parent copies in order (take_results). CPU seconds are the parent's in each phase and the worker processes'
for both (getrusage of the children, reaped at the end); the load average is printed with each run, since
the machine is shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from pathlib import Path

import msgspec

from preclaim.edi.check import CheckSummary, check_items
from preclaim.edi.parallel import check_in_parts, take_results
from preclaim.engine import Engine

AS_OF = dt.date(2026, 1, 15)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def one_process(path: Path, engine: Engine) -> tuple[float, float]:
    start, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
    encode = msgspec.json.Encoder().encode
    summary = CheckSummary()
    with tempfile.TemporaryFile() as out:
        for item, report in check_items(path, engine, AS_OF, raw=False):
            summary.add(item, report)
            if report is not None:
                out.write(encode(report) + b",")
    return time.perf_counter() - start, _cpu(resource.RUSAGE_SELF) - cpu


def in_parts(path: Path, engine: Engine, jobs: int) -> dict[str, float]:
    marks = [(time.perf_counter(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN))]
    summary = CheckSummary()
    with tempfile.TemporaryFile() as out:
        parts = check_in_parts(path, engine, AS_OF, jobs=jobs, json=True)
        if parts is None:
            raise SystemExit(f"{path} cannot be cut into parts")
        marks.append((time.perf_counter(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)))
        take_results(parts, summary, out, lambda report: None, -1)
    marks.append((time.perf_counter(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)))
    (w0, p0, c0), (w1, p1, c1), (w2, p2, c2) = marks
    return {"wall": w2 - w0, "wall 1": w1 - w0, "parent 1": p1 - p0, "workers 1": c1 - c0,
            "wall 2": w2 - w1, "parent 2": p2 - p1, "workers 2": c2 - c1}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    engine = Engine.default()
    for run in range(args.repeat):
        wall, cpu = one_process(args.file, engine)
        load = os.getloadavg()[0]
        print(f"run {run + 1}: one process {wall:.2f} s wall, {cpu:.2f} CPU s (load {load:.2f})")
        got = in_parts(args.file, engine, args.jobs)
        load = os.getloadavg()[0]
        workers = got["workers 1"] + got["workers 2"]
        print(f"       jobs {args.jobs}: {got['wall']:.2f} s wall ({wall / got['wall']:.2f}x), load {load:.2f}; "
              f"phase 1 {got['wall 1']:.2f} s wall, phase 2 {got['wall 2']:.2f} s wall; CPU parent "
              f"{got['parent 1']:.2f} + {got['parent 2']:.2f}, workers {workers:.2f} (both phases)")  # fmt: skip


if __name__ == "__main__":
    main()
