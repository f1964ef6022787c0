"""`preclaim history import` with the history CSV: idempotent, all-or-nothing on bad input, crash safe."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from preclaim.domain.quantity import Quantity
from preclaim.errors import InputError
from preclaim.store import Store, import_history_file, load_history
from preclaim.store.ingest import sniff
from preclaim.store.models import ClaimRow, ImportRow

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
HEADER = "claim_id,payer_id,patient_key,date_of_service,code,units,modifiers,charge,diagnoses,prior_auth,dose_mcg\n"
GOOD = HEADER + (
    "C-1,PAYER-A,PAT-1,2026-03-02,J3420,1,JZ,25.00,D51.0 E53.8,AUTH-9,1000\n"
    "C-1,PAYER-A,PAT-1,2026-03-02,96372,1,,30.00,,,\n"
    "C-2,PAYER-A,PAT-2,2026-03-03,J3420,1,JZ,25.00,D51.0,,\n"
    ",PAYER-A,PAT-1,2026-02-01,J3420,1,,,,,1000\n"
)


def _write(tmp_path: Path, body: str, name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def test_csv_import_builds_claims_and_chart_and_a_second_run_adds_nothing(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    first = import_history_file(store, path)
    assert [(r.added, r.unchanged) for r in first] == [(2, 0), (1, 0)]
    second = import_history_file(store, path)
    assert [(r.added, r.updated, r.unchanged) for r in second] == [(0, 0, 2), (0, 0, 1)]
    history = load_history(store, "PAT-1", dt.date(2026, 3, 31))
    (claim,) = history.claims
    assert [(ln.number, ln.code, ln.modifiers) for ln in claim.lines] == [
        (1, "J3420", ("JZ",)),
        (2, "96372", ()),
    ]
    assert [d.code for d in claim.diagnoses] == ["D51.0", "E53.8"]
    assert (
        claim.prior_auth == "AUTH-9" and claim.encounter is not None and claim.encounter.dose == Quantity(1000, "mcg")
    )
    assert [(a.date, a.dose) for a in history.administrations] == [(dt.date(2026, 2, 1), Quantity(1000, "mcg"))]
    with store.transaction(write=False) as s:
        runs = s.execute(select(ImportRow.kind, ImportRow.status, ImportRow.added)).all()
    assert sorted(runs) == sorted([("history-csv", "done", 2), ("history-csv", "done", 0),
                                   ("history-csv-administrations", "done", 1),
                                   ("history-csv-administrations", "done", 0)])  # fmt: skip


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "C-3,PAYER-A,PAT-3,03/04/2026,J3420,1,,,,,",
            "history.csv:6: column 'date_of_service': found '03/04/2026'",
        ),
        ("C-3,PAYER-A,PAT-3,2026-03-04,J3420,two,,,,,", "history.csv:6: column 'units': found 'two'"),
        ("C-3,PAYER-A,PAT-3,2026-03-04,J3420,1,,12,5,,,", "history.csv:6: 12 fields, but the header has 11"),
        ("C-1,PAYER-A,PAT-9,2026-03-02,J3420,1,,,,,", "history.csv:6: patient_key differs"),
        ("C-3,PAYER-A,,2026-03-04,J3420,1,,,,,", "history.csv:6: column 'patient_key' is empty"),
    ],
)
def test_a_bad_row_names_its_place_and_nothing_is_stored(store: Store, tmp_path: Path, row: str, message: str) -> None:
    path = _write(tmp_path, GOOD + row + "\n")
    with pytest.raises(InputError) as info:
        import_history_file(store, path)
    assert message in str(info.value)
    with store.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(ClaimRow)) == 0


def test_missing_columns_are_named(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path, "claim_id,payer_id,units\nC-1,P,1\n")
    with pytest.raises(InputError, match=r"history.csv:1: missing column\(s\) patient_key, date_of_service, code"):
        import_history_file(store, path)


def test_format_is_recognised_from_the_envelope(tmp_path: Path) -> None:
    assert sniff(SAMPLES / "x12/837p/demo.example1.837") == "837"
    assert sniff(SAMPLES / "x12/835/managed-care.835") == "835"
    assert sniff(_write(tmp_path, GOOD, "export.txt")) == "csv"
    with pytest.raises(InputError, match="unknown history format"):
        sniff(_write(tmp_path, "hello\n", "notes.txt"))
    with pytest.raises(InputError, match="cannot read file"):
        sniff(tmp_path / "missing.csv")


def _cli(*args: str) -> list[str]:
    code = "import typer; from preclaim.cli.history import register; app = typer.Typer(); register(app); app()"
    return [sys.executable, "-c", code, *args]


def test_cli_reports_counts_and_bad_input_in_one_line(tmp_path: Path) -> None:
    import typer

    from preclaim.cli.history import register

    app = typer.Typer()
    register(app)
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    ok = CliRunner().invoke(app, ["history", "import", str(_write(tmp_path, GOOD)), "--db", db])
    assert ok.exit_code == 0, ok.output
    assert "history-csv: 2 added, 0 updated, 0 unchanged" in ok.output
    bad = CliRunner().invoke(
        app, ["history", "import", str(_write(tmp_path, HEADER + "C,P,K,x,J3420,1\n", "b.csv")), "--db", db]
    )
    assert bad.exit_code == 2
    assert "b.csv:2: column 'date_of_service': found 'x'" in bad.output
    assert "Traceback" not in bad.output
    listed = CliRunner().invoke(app, ["history", "imports", "--db", db])
    assert "history-csv" in listed.stdout and "done" in listed.stdout and "2 added" in listed.stdout
    shown = CliRunner().invoke(app, ["history", "show", "PAT-1", "--db", db, "--as-of", "2026-12-31"])
    assert "chart  2026-02-01  J3420 x 1, 1000 mcg" in shown.stdout
    assert "claim  2026-03-02  C-1 (PAYER-A): J3420 x 1, 96372 x 1" in shown.stdout
    as_json = CliRunner().invoke(
        app, ["history", "show", "PAT-2", "--db", db, "--format", "json", "--as-of", "2026-12-31"]
    )
    assert [c["id"] for c in json.loads(as_json.stdout)["claims"]] == ["C-2"]


def _big_csv(tmp_path: Path, claims: int) -> Path:
    rows = [HEADER]
    for n in range(claims):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=n % 300)
        rows.append(f"K-{n},PAYER-A,PAT-{n % 97},{day},J3420,1,JZ,25.00,D51.0,,1000\n")
        rows.append(f"K-{n},PAYER-A,PAT-{n % 97},{day},96372,1,,30.00,,,\n")
    return _write(tmp_path, "".join(rows), "big.csv")


def _claims_and_half_claims(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        claims = conn.execute(text("SELECT count(*) FROM claims")).scalar_one()
        half = conn.execute(
            text(
                "SELECT count(*) FROM claims c WHERE (SELECT count(*) FROM claim_lines l WHERE l.claim_pk = c.id) != 2"
            )
        ).scalar_one()
    engine.dispose()
    return claims, half


def test_sigkill_mid_import_loses_nothing_and_the_rerun_completes_exactly_once(tmp_path: Path) -> None:
    total = 1500
    path, url = _big_csv(tmp_path, total), f"sqlite:///{tmp_path / 'kill.db'}"
    Store.open(url).close()
    proc = subprocess.Popen(_cli("history", "import", str(path), "--db", url, "-q"), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _claims_and_half_claims(url)[0] < 100 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    committed, half = _claims_and_half_claims(url)
    assert 100 <= committed < total, "the import was not interrupted mid-file"
    assert half == 0
    rerun = subprocess.run(_cli("history", "import", str(path), "--db", url, "-q"), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{total - committed} added, 0 updated, {committed} unchanged" in rerun.stdout
    assert _claims_and_half_claims(url) == (total, 0)
    with Store.open(url) as store, store.transaction(write=False) as s:
        assert sorted(s.scalars(select(ImportRow.status))) == ["done", "running"]  # the killed run shows


def test_837_samples_import_and_a_reused_claim_number_on_another_date_is_another_claim(store: Store) -> None:
    files = sorted((SAMPLES / "x12/837p").glob("*.837"))
    first = [r for path in files for r in import_history_file(store, path)]
    # example10.1 (2004-07-11) and 10.2 (2004-02-01) reuse CLMNO12345; 10.3 corrects 10.2 (same date).
    assert [(r.added, r.updated, r.counts["rejected"]) for r in first] == [(1, 0, 0), (1, 0, 0), (0, 1, 0), (1, 0, 0)]
    again = [r for path in files for r in import_history_file(store, path)]
    assert sum(r.added for r in again) == 0
    with store.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(ClaimRow)) == 3


def test_claim_json_imports_as_history(store: Store, tmp_path: Path) -> None:
    import msgspec
    from store_helpers import make_claim

    path = tmp_path / "claims.json"
    path.write_bytes(msgspec.json.encode([make_claim("J-1"), make_claim("J-2", patient="PAT-2")]))
    assert sniff(path) == "json"
    assert [(r.kind, r.added) for r in import_history_file(store, path)] == [("history-json", 2)]
    assert [(r.added, r.unchanged) for r in import_history_file(store, path)] == [(0, 2)]
    assert [c.id for c in load_history(store, "PAT-2", dt.date(2026, 12, 31)).claims] == ["J-2"]


def test_rejected_837_claims_are_reported_and_exit_1(tmp_path: Path) -> None:
    import typer

    from preclaim.cli.history import register

    app = typer.Typer()
    register(app)
    text = (SAMPLES / "x12/837p/demo.example1.837").read_text().replace("CLM*26463774*100.00", "CLM*26463774*ABC")
    bad = tmp_path / "bad.837"
    bad.write_text(text)
    result = CliRunner().invoke(app, ["history", "import", str(bad), "--db", f"sqlite:///{tmp_path / 'r.db'}"])
    assert result.exit_code == 1
    assert "0 added, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    assert "skipped: claim 26463774:" in result.stderr and "CLM02: invalid amount (found 'ABC'" in result.stderr


def test_two_imports_of_the_same_file_at_once_store_each_claim_once(store_url: str, tmp_path: Path) -> None:
    total = 400
    path = _big_csv(tmp_path, total)
    Store.open(store_url).close()
    procs = [
        subprocess.Popen(
            _cli("history", "import", str(path), "--db", store_url, "-q"), stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=300)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    added = [int(out.split(": history-csv: ")[1].split(" added")[0]) for out in outputs]
    assert sum(added) == total  # every claim added by exactly one of the two
    assert _claims_and_half_claims(store_url) == (total, 0)


def test_a_dose_column_with_its_unit_is_read_for_any_drug(store: Store, tmp_path: Path) -> None:
    body = (
        "claim_id,payer_id,patient_key,date_of_service,code,units,diagnoses,dose\n"
        "K-1,PAYER-A,PAT-K,2026-03-02,J1885,2,M54.50,30 mg\n"
    )
    import_history_file(store, _write(tmp_path, body))
    (claim,) = load_history(store, "PAT-K", dt.date(2026, 3, 31)).claims
    assert claim.encounter is not None and claim.encounter.dose is not None
    assert claim.encounter.dose.to("mg") == Quantity(30, "mg")
    bad = body.replace("30 mg", "thirty")
    with pytest.raises(InputError, match=r"history.csv:2.*column 'dose'.*not an amount"):
        import_history_file(store, _write(tmp_path, bad))
