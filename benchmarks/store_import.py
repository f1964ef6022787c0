"""History import speed: claims per second into SQLite (and PostgreSQL when PRECLAIM_TEST_PG_URL is set).

Compares, in the same run, the shipped import (one transaction per claim: crash safe) with writing the same
claims in one single transaction (the peer: fastest possible, but a crash loses everything), then the
re-import of an unchanged file and load_history latency.

    .venv/bin/python benchmarks/store_import.py [CLAIMS]
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from preclaim.store import Store, import_history_file, load_history
from preclaim.store.claims import upsert_claim
from preclaim.store.csv_history import read_history_csv

HEADER = "claim_id,payer_id,patient_key,date_of_service,code,units,modifiers,charge,diagnoses,prior_auth,dose_mcg\n"


def write_csv(path: Path, claims: int) -> None:
    rows = [HEADER]
    for n in range(claims):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=n % 360)
        rows.append(f"B-{n},PAYER-A,PAT-{n % 500},{day},J3420,1,JZ,25.00,D51.0,,1000\n")
        rows.append(f"B-{n},PAYER-A,PAT-{n % 500},{day},96372,1,,30.00,,,\n")
    path.write_text("".join(rows))


def bench(url: str, csv_path: Path, claims: int, label: str) -> None:
    with Store.open(url) as store:
        start = time.perf_counter()
        import_history_file(store, csv_path)
        per_claim = time.perf_counter() - start
        start = time.perf_counter()
        import_history_file(store, csv_path)
        unchanged = time.perf_counter() - start
        start = time.perf_counter()
        for n in range(200):
            load_history(store, f"PAT-{n}", dt.date(2026, 1, 1))
        history_ms = (time.perf_counter() - start) / 200 * 1000
    bulk_url = url if "postgresql" in url else url.replace("bench.db", "bulk.db")
    with Store.open(bulk_url) as store:
        parsed, _ = read_history_csv(csv_path)
        if "postgresql" in url:  # same database: clear the claims the first run wrote
            with store.transaction() as session:
                session.execute(text("TRUNCATE claims, claim_lines, patients CASCADE"))
        start = time.perf_counter()
        with store.transaction() as session:
            for claim in parsed:
                upsert_claim(session, claim, "csv")
        bulk = time.perf_counter() - start
    print(f"{label}: {claims / per_claim:,.0f} claims/s with one transaction per claim "
          f"({claims / bulk:,.0f} claims/s in one transaction: ratio {per_claim / bulk:.2f}x); "
          f"re-import of the unchanged file {claims / unchanged:,.0f} claims/s; "
          f"load_history {history_ms:.2f} ms per patient ({claims // 500} claims each)")  # fmt: skip


def main() -> None:
    claims = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "history.csv"
        write_csv(csv_path, claims)
        bench(f"sqlite:///{Path(tmp) / 'bench.db'}", csv_path, claims, "SQLite")
        pg = os.environ.get("PRECLAIM_TEST_PG_URL")
        if pg:
            from sqlalchemy import create_engine

            engine = create_engine(pg)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS bench CASCADE"))
                conn.execute(text("CREATE SCHEMA bench"))
            bench(f"{pg}?options=-csearch_path%3Dbench", csv_path, claims, "PostgreSQL")
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA bench CASCADE"))


if __name__ == "__main__":
    main()
