"""837P read speed: preclaim (parse only, full check) against LinuxForHealth x12, pyx12 and a naive split.

Every measurement runs in its own subprocess, which reports the seconds of its work loop (imports, engine
set-up and file generation excluded) and its peak RSS (getrusage: its own, or a worker process's if larger).
All tools read the same generated files (benchmarks/edi_generate.py, invented data, seed 7).

    .venv/bin/python benchmarks/edi_bench.py [--dir /tmp/preclaim-bench] [--sizes 10000 100000] [--no-peers]
        [--repeat 3]
    .venv/bin/python benchmarks/edi_bench.py --callgrind [--callgrind-claims 2000] [--marginal]

"preclaim check" reads the file once (what the command runs); "check, two passes" is the raw-item path
(--fix-out) that reads it twice; "check, no engine" is the one-pass check with a do-nothing engine, which is
what the X12 side of a check costs; "check + JSON" adds the JSON of every report, and its "jobs 2" row does the
same work in two processes (check_in_parts). --rss-sizes prints the peak RSS of "preclaim check" as the file
grows. --repeat keeps each tool's fastest run, the peers' too (the
machine is shared: the slower runs measure the neighbours), and runs them in rounds, each tool once then each
again, so that a machine slowing down meanwhile slows them all. --callgrind counts CPU instructions per claim
under valgrind instead of seconds, a figure that does not move with the load: each tool's run minus a run
that only imports and sets up (PYTHONHASHSEED=0, bytecode cached beforehand so compiling is not counted).
That count still holds what a check does once per process on its first claims (loading the ICD-10-CM table,
filling the parse caches); --marginal prints instead (count on 2N claims - count on N claims) / N, what one
more claim costs in a big file. With --marginal the "jobs 2" row counts every process (valgrind follows the
forks; what each worker inherits from the parent is counted again in each, the same on both files, so it
cancels): the work two jobs do in all, against one process's.

LinuxForHealth x12 (PyPI: linuxforhealth-x12 0.57) needs pydantic 1, which cannot share preclaim's
environment (pydantic 2), so it runs from its own virtualenv, created on first use under --dir. pyx12 and
LinuxForHealth are slow: they run on the 10,000-claim file (pyx12 on a 2,000-claim file from the same
generator); their figures for 100,000 claims are not measured, and the table says so.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


Work = Callable[[str], int]  # reads one file, returns the number of claims


def child(tool: str, path: str, dry: bool = False) -> None:
    """Run one tool over one file and print {"seconds", "claims", "rss_mb", "cpu"} as JSON (dry: set up
    only). cpu: user CPU seconds of the work loop, this process and the processes it waited for."""
    work = RUNNERS[tool]()
    cpu = _user_cpu()
    start = time.perf_counter()
    claims = work(path) if not dry else 0
    seconds = time.perf_counter() - start
    # The largest of this process and the processes it waited for (the jobs row's workers hold claims).
    rss = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    print(json.dumps({"seconds": seconds, "claims": claims, "rss_mb": rss, "cpu": _user_cpu() - cpu}))


def _user_cpu() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime


def load_naive() -> Work:
    def naive(path: str) -> int:
        """Read the file, split segments and elements, count CLM: the floor any reader pays."""
        with open(path, encoding="ascii") as handle:
            data = handle.read()
        term = data[105]
        count = 0
        for segment in data.split(term):
            elements = segment.strip().split("*")
            if elements[0] == "CLM":
                count += 1
        return count

    return naive


def load_preclaim_parse() -> Work:
    from preclaim.edi.x12.read837 import iter_claims

    return lambda path: sum(1 for _ in iter_claims(path))


def load_preclaim_check() -> Work:
    """The check as `preclaim check` runs it: the file read once (claims without their raw segments)."""
    import datetime as dt

    from preclaim.edi.check import check_items
    from preclaim.engine import Engine

    engine = Engine.default()
    return lambda path: sum(1 for _ in check_items(path, engine, dt.date(2026, 1, 15), raw=False))


def load_preclaim_check_two_passes() -> Work:
    """The check with raw items (what --fix-out needs): a first pass for the history, a second for claims."""
    import datetime as dt

    from preclaim.edi.check import check_items
    from preclaim.engine import Engine

    engine = Engine.default()
    return lambda path: sum(1 for _ in check_items(path, engine, dt.date(2026, 1, 15), raw=True))


def load_preclaim_check_no_engine() -> Work:
    import datetime as dt

    from preclaim.edi.check import check_items

    class NoEngine:
        def check(self, claim: Any, history: Any = None, *, as_of: dt.date) -> Any:
            return None

    engine = NoEngine()
    return lambda path: sum(1 for _ in check_items(path, engine, dt.date(2026, 1, 15), raw=False))


def load_check_json(jobs: int) -> Callable[[], Work]:
    """`preclaim check --format json [--jobs N]` without the CLI: reports as JSON into a temporary file."""

    def load() -> Work:
        import datetime as dt
        import tempfile

        from preclaim.edi.check import CheckSummary, check_items
        from preclaim.edi.parallel import check_in_parts, take_results
        from preclaim.engine import Engine
        from preclaim.io.report_json import ReportArrayWriter

        engine = Engine.default()
        day = dt.date(2026, 1, 15)

        def run(path: str) -> int:
            summary = CheckSummary()
            with tempfile.TemporaryFile() as out:
                parts = check_in_parts(Path(path), engine, day, jobs=jobs, json=True) if jobs > 1 else None
                if jobs > 1 and parts is None:
                    raise SystemExit(f"{path} cannot be cut into parts")
                if parts is not None:
                    take_results(parts, summary, out, lambda report: None, -1)
                    return summary.claims
                reports = ReportArrayWriter(out)  # what `preclaim check --format json` writes with
                for item, report in check_items(path, engine, day, raw=False):
                    summary.add(item, report)
                    if report is not None:
                        reports.add(report)
                reports.flush()
            return summary.claims

        return run

    return load


def load_pyx12() -> Work:
    import io
    import logging

    import pyx12.params
    import pyx12.x12n_document

    def validate(path: str) -> int:
        logging.getLogger("pyx12").setLevel(logging.CRITICAL)
        pyx12.x12n_document.x12n_document(pyx12.params.params(), path, None, None, fd_json=io.StringIO())
        return _count_claims(path)

    return validate


def load_lfh() -> Work:
    from linuxforhealth.x12.io import X12ModelReader  # type: ignore[import-not-found]

    def read(path: str) -> int:
        with X12ModelReader(path) as reader:
            for _model in reader.models():
                pass
        return _count_claims(path)

    return read


def _count_claims(path: str) -> int:
    with open(path, encoding="ascii") as handle:
        return sum(1 for line in handle if line.startswith("CLM*"))


RUNNERS: dict[str, Callable[[], Work]] = {
    "naive split": load_naive,
    "preclaim parse": load_preclaim_parse,
    "preclaim check": load_preclaim_check,
    "check, two passes": load_preclaim_check_two_passes,
    "check, no engine": load_preclaim_check_no_engine,
    "check + JSON": load_check_json(1),
    "check + JSON, jobs 2": load_check_json(2),
    "pyx12 validate": load_pyx12,
    "LinuxForHealth x12": load_lfh,
}
OURS = ("naive split", "preclaim parse", "check, no engine", "check, two passes", "preclaim check", "check + JSON",
        "check + JSON, jobs 2")  # fmt: skip
CALLGRIND = ("naive split", "preclaim parse", "check, no engine", "check, two passes", "preclaim check", "check + JSON")
FORKING = ("check + JSON, jobs 2",)  # counted with --marginal only: each process's count holds the parent's before it


def lfh_python(folder: Path) -> Path | None:
    venv = folder / "lfh-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} for linuxforhealth-x12 (needs pydantic 1) ...", file=sys.stderr)
        made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True)
        pip = [str(python), "-m", "pip", "install", "-q", "linuxforhealth-x12==0.57.0", "pydantic<2"]
        if made.returncode != 0 or subprocess.run(pip, capture_output=True).returncode != 0:
            print("could not install linuxforhealth-x12: skipped", file=sys.stderr)
            return None
    return python


def measure(python: Path | str, tool: str, path: Path, repeat: int = 1) -> dict[str, float]:
    """The fastest of `repeat` runs (peak RSS of that run)."""
    return measure_rounds([(python, tool, path)], repeat)[0]


def measure_rounds(runs: list[tuple[Path | str, str, Path]], repeat: int) -> list[dict[str, float]]:
    """The fastest of `repeat` runs of each (python, tool, file), run in rounds (each once, then each again): a
    machine that slows down or speeds up meanwhile does so for all of them, so their ratios stay fair."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    best: list[dict[str, float] | None] = [None] * len(runs)
    for _ in range(repeat):
        for i, (python, tool, path) in enumerate(runs):
            done = subprocess.run(
                [str(python), str(Path(__file__)), "--child", tool, str(path)], capture_output=True, text=True, env=env
            )
            if done.returncode != 0:
                raise SystemExit(f"{tool} on {path.name} failed:\n{done.stderr[-2000:]}")
            result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
            result["mb"] = path.stat().st_size / 1e6
            kept = best[i]
            if kept is None or result["seconds"] < kept["seconds"]:
                best[i] = result
    return [r for r in best if r is not None]


def callgrind(tools: tuple[str, ...], path: Path, claims: int, bigger: Path | None = None) -> None:
    """CPU instructions per claim of each tool (valgrind callgrind), set-up and imports subtracted; with a
    `bigger` file (twice the claims) the marginal cost of a claim instead."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONHASHSEED": "0", "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # compile once here, not inside the counted runs

        def count(tool: str, dry: bool, file: Path = path) -> int:
            command = [sys.executable, str(Path(__file__)), "--child", tool, str(file), *(["--dry"] if dry else [])]
            subprocess.run(command, capture_output=True, env=env, check=True)  # warms the bytecode cache
            done = subprocess.run(
                ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                capture_output=True,
                text=True,
                env=env,
            )
            found = re.findall(r"Collected : (\d+)", done.stderr)  # one line a process: the forked ones too
            if done.returncode != 0 or not found:
                raise SystemExit(f"callgrind of {tool} failed:\n{done.stderr[-2000:]}")
            return sum(map(int, found))

        if bigger is not None:
            print(f"{'tool':<20} {'instructions/claim':>18}   (marginal: {2 * claims:,} claims - {claims:,} claims)")
            for tool in tools:
                print(f"{tool:<20} {(count(tool, False, bigger) - count(tool, False)) / claims:>18,.0f}")
            return
        print(f"{'tool':<20} {'instructions/claim':>18}   ({claims:,}-claim file, set-up and imports subtracted)")
        for tool in tools:
            print(f"{tool:<20} {(count(tool, False) - count(tool, True)) / claims:>18,.0f}")


def ensure_file(folder: Path, claims: int) -> Path:
    sys.path.insert(0, str(HERE))
    from edi_generate import generate

    path = folder / f"claims-{claims}.837"
    if not path.exists():
        generate(claims, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/preclaim-bench"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--peer-claims", type=int, default=10_000, help="file size LinuxForHealth reads")
    parser.add_argument("--pyx12-claims", type=int, default=2_000, help="file size pyx12 validates")
    parser.add_argument("--no-peers", action="store_true", help="skip pyx12 and LinuxForHealth (slow)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is kept")
    parser.add_argument("--callgrind", action="store_true", help="instructions per claim instead of seconds")
    parser.add_argument("--callgrind-claims", type=int, default=2_000, help="file size for --callgrind")
    parser.add_argument("--marginal", action="store_true", help="--callgrind: cost of one more claim (N and 2N)")
    parser.add_argument("--tools", nargs="+", choices=OURS, default=list(OURS), help="preclaim rows to run")
    parser.add_argument("--rss-sizes", type=int, nargs="*", default=[],
                        help="peak RSS of `preclaim check` on these file sizes too (100000 1000000)")  # fmt: skip
    parser.add_argument("--child", nargs=2, metavar=("TOOL", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--dry", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        tool, file = args.child
        child(tool, file, dry=args.dry)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    if args.callgrind:
        n = args.callgrind_claims
        bigger = ensure_file(args.dir, 2 * n) if args.marginal else None
        callgrind(CALLGRIND + FORKING if args.marginal else CALLGRIND, ensure_file(args.dir, n), n, bigger)
        return
    # Every row, the peers' too, is the fastest of --repeat runs, taken in rounds over all of them.
    runs: list[tuple[Path | str, str, Path]] = []
    sizes: list[int] = []
    for size in args.sizes:
        runs += [(sys.executable, tool, ensure_file(args.dir, size)) for tool in args.tools]
        sizes += [size] * len(args.tools)
    if not args.no_peers:
        runs.append((sys.executable, "pyx12 validate", ensure_file(args.dir, args.pyx12_claims)))
        sizes.append(args.pyx12_claims)
        python = lfh_python(args.dir)
        if python is not None:
            runs.append((python, "LinuxForHealth x12", ensure_file(args.dir, args.peer_claims)))
            sizes.append(args.peer_claims)
    results = measure_rounds(runs, args.repeat)
    print_table([(tool, size, r) for (_, tool, _), size, r in zip(runs, sizes, results, strict=True)])
    if args.rss_sizes:
        print_rss(args.dir, args.rss_sizes)


def print_rss(folder: Path, sizes: list[int]) -> None:
    """Peak RSS of the one-pass check (one process) as the file grows: what stays in memory is the history."""
    print(f"\n{'preclaim check':<20} {'claims':>9} {'seconds':>8} {'peak RSS MB':>11}")
    for size in sizes:
        r = measure(sys.executable, "preclaim check", ensure_file(folder, size))
        print(f"{'':<20} {size:>9,} {r['seconds']:>8.1f} {r['rss_mb']:>11.0f}")


def print_table(rows: list[tuple[str, int, dict[str, float]]]) -> None:
    rate = {(tool, size): r["claims"] / r["seconds"] for tool, size, r in rows}
    naive = {size: rate[("naive split", size)] for _, size, _ in rows if ("naive split", size) in rate}
    parse = {size: rate[("preclaim parse", size)] for _, size, _ in rows if ("preclaim parse", size) in rate}
    print(f"{'tool':<20} {'claims':>8} {'seconds':>8} {'user CPU s':>10} {'claims/s':>9} {'MB/s':>6} "
          f"{'peak RSS MB':>11} {'vs naive':>8} {'preclaim parse / tool':>22}")  # fmt: skip
    for tool, size, r in rows:
        per_second = r["claims"] / r["seconds"]
        base = naive.get(size) or next(iter(naive.values()), math.nan)
        ours = parse.get(size) or next(iter(parse.values()), math.nan)
        print(f"{tool:<20} {int(r['claims']):>8} {r['seconds']:>8.2f} {r.get('cpu', 0):>10.2f} {per_second:>9.0f} "
              f"{r['mb'] / r['seconds']:>6.1f} {r['rss_mb']:>11.0f} {per_second / base:>8.2f} "
              f"{ours / per_second:>21.1f}x")  # fmt: skip
    print("vs naive = claims/s divided by the naive split on the same file size (or the first size measured);")
    print("peers are measured on the sizes shown only; nothing is extrapolated. user CPU s counts the worker")
    print("processes of the jobs row too; its peak RSS is the largest of the parent and its workers.")


if __name__ == "__main__":
    main()
