"""Worklist filter latency on 100,000 stored claims in SQLite (target: under 300 ms per page).

Generates an invented 837P (benchmarks/edi_generate.py), checks every claim with the engine as an upload does
(preclaim.web.jobs.run_batch: the same rows, indexes and SQL), then times the queries a worklist page runs for
typical filters: counts and dollars by verdict plus one sorted page. Each filter runs --repeat times; the
median and the worst are printed, with the page's row count and the matching total.

    python benchmarks/worklist_bench.py [--claims 100000] [--repeat 5] [--dir /tmp/preclaim-worklist]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from edi_generate import generate

from preclaim.engine import Engine
from preclaim.store import Store
from preclaim.store.models_web import BatchRow
from preclaim.store.worklist import WorkFilter, facets, query_page
from preclaim.web.deps import WebDeps
from preclaim.web.jobs import run_batch

TARGET_MS = 300
FILTERS = {
    "everything, by date": WorkFilter(),
    "verdict fix": WorkFilter(verdict="fix"),
    "verdict fix, page 100": WorkFilter(verdict="fix", page=100),
    "payer + date range": WorkFilter(payer="09102", start=dt.date(2025, 3, 1), end=dt.date(2025, 6, 30)),
    "rule/CARC CO-16": WorkFilter(code="CO-16"),
    "search claim id prefix": WorkFilter(q="C0000123"),
    "search member id": WorkFilter(q="M000004711"),
    "status to fix, by charge desc": WorkFilter(status="to-fix", sort="charge", desc=True),
    "provider + verdict deny": WorkFilter(provider="1000000012", verdict="deny"),
    "last page, by patient": WorkFilter(sort="patient", page=2000),
}


def load(store: Store, claims: int, folder: Path) -> float:
    path = folder / f"claims-{claims}.837"
    if not path.exists():
        generate(claims, path)
    with store.transaction() as session:
        batch = BatchRow(filename=path.name, path=str(path), size=path.stat().st_size, as_of=dt.date(2026, 3, 20))
        batch.message = ""
        session.add(batch)
        session.flush()
        batch_id = batch.id
    web = WebDeps(engine=Engine.default(), store=store, data_dir=folder)
    started = time.perf_counter()
    run_batch(web, batch_id)
    return time.perf_counter() - started


def time_filter(store: Store, chosen: WorkFilter, repeat: int) -> tuple[float, float, int, int]:
    seconds = []
    rows = total = 0
    for _ in range(repeat):
        started = time.perf_counter()
        with store.transaction(write=False) as session:
            page = query_page(session, chosen)
        seconds.append(time.perf_counter() - started)
        rows, total = len(page.rows), page.total
    return statistics.median(seconds) * 1000, max(seconds) * 1000, rows, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/preclaim-worklist"))
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    db = args.dir / f"worklist-{args.claims}.db"
    fresh = not db.exists()
    with Store.open(f"sqlite:///{db}") as store:
        if fresh:
            took = load(store, args.claims, args.dir)
            print(f"stored {args.claims:,} checked claims in {took:.0f} s ({args.claims / took:,.0f} claims/s)")
        with store.engine.connect() as conn:
            count = conn.exec_driver_sql("SELECT count(*) FROM worklist").scalar_one()
        print(f"worklist rows: {count:,} (SQLite {db})")
        started = time.perf_counter()
        with store.transaction(write=False) as session:
            facets(session)
        print(f"{'filter menus (payers, providers)':36} {1000 * (time.perf_counter() - started):7.1f} ms")
        worst = 0.0
        for name, chosen in FILTERS.items():
            median, slowest, rows, total = time_filter(store, chosen, args.repeat)
            worst = max(worst, median)
            print(f"{name:36} {median:7.1f} ms median {slowest:7.1f} ms worst  {rows:3} rows of {total:,}")
    verdict = "met" if worst < TARGET_MS else "NOT met"
    print(f"slowest median {worst:.1f} ms: target under {TARGET_MS} ms {verdict}")
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
