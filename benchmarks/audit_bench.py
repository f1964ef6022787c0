"""Audit benchmark: `preclaim audit` on generated claim lines, local (DuckDB + processes) and Spark (local mode).

    .venv/bin/python benchmarks/audit_bench.py [--lines 1000000] [--spark-lines N] [--workers 2] [--no-spark]

Generates invented claim lines (preclaim.batch.synthetic, cached in --data), then runs the real command line
for each configuration and prints wall time, lines/s and the peak resident memory of the whole process tree
(driver + workers + JVM), sampled from /proc every 0.2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from preclaim.batch.synthetic import write_lines

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _tree_sample(session: int, cpu_ticks: dict[int, int]) -> int:
    """Resident memory (kB) of every process in the session (the audit and everything it started); records
    each process's CPU ticks so far in `cpu_ticks`, since Spark's JVM and Python workers are never waited for
    and so are missing from RUSAGE_CHILDREN."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            if os.getsid(pid) != session:
                continue
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE_KB
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            cpu_ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime of the process itself
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
    return total


def run(label: str, args: list[str], lines: int) -> dict[str, object]:
    out = Path(tempfile.mkdtemp(prefix="preclaim-audit-bench-"))
    command = [sys.executable, "-c", "from preclaim.cli import main; main()", "audit", *args, "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen([*command, "-q", "--json"], stdout=subprocess.PIPE, start_new_session=True, text=True)
    peak = 0
    ticks: dict[int, int] = {}
    while proc.poll() is None:
        peak = max(peak, _tree_sample(proc.pid, ticks))
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time of the whole tree, meaningful on a shared machine: what the waited-for processes report, or the
    # sampled sum over every process of the session (JVM and Spark workers included; each process's last
    # 0.2 s may be missed), whichever is larger
    waited = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    cpu = max(waited, sum(ticks.values()) / os.sysconf("SC_CLK_TCK"))
    stdout = proc.stdout.read() if proc.stdout else ""
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"{label}: exit {proc.returncode}")
    summary = json.loads(stdout)
    lines = int(summary["lines"])  # the generator stops at a claim boundary: count what was audited
    result = {
        "run": label,
        "lines": lines,
        "claims": summary["claims"],
        "findings": summary["findings"],
        "seconds": round(seconds, 1),
        "lines_per_s": round(lines / seconds),
        "cpu_seconds": round(cpu, 1),
        "lines_per_cpu_s": round(lines / cpu) if cpu else None,
        "peak_rss_mb": round(peak / 1024),
    }
    print(
        f"{label:24} {lines:>9,} lines {summary['claims']:>8,} claims {summary['findings']:>9,} findings "
        f"{seconds:8.1f} s {result['lines_per_s']:>7,} lines/s  cpu {cpu:7.1f} s "
        f"({result['lines_per_cpu_s']:,} lines/cpu-s)  peak RSS {result['peak_rss_mb']:,} MB",
        flush=True,
    )
    return result


def dataset(folder: Path, lines: int) -> Path:
    path = folder / f"claim-lines-{lines}.parquet"
    if not path.exists():
        started = time.perf_counter()
        written = write_lines(path, lines)
        print(f"generated {written:,} lines in {time.perf_counter() - started:.1f} s -> {path}", flush=True)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--spark-lines", type=int, default=None, help="default: --lines")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "preclaim-audit-bench")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--no-local", action="store_true")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared: see cpu seconds)", flush=True
    )
    results = []
    if not args.no_local:
        data = dataset(args.data, args.lines)
        results.append(run(f"local, {args.workers} workers", [str(data), "-j", str(args.workers)], args.lines))
    if not args.no_spark:
        spark_lines = args.spark_lines or args.lines
        data = dataset(args.data, spark_lines)
        for workers in (1, 2):
            results.append(
                run(f"spark local[{workers}]", [str(data), "--engine", "spark", "-j", str(workers)], spark_lines)
            )
    if len(results) > 1:
        base = results[0]
        for other in results[1:]:
            ratio = int(str(other["lines_per_s"])) / max(1, int(str(base["lines_per_s"])))
            print(f"{other['run']} / {base['run']}: {ratio:.2f}x the lines per second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
