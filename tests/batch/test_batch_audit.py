"""`preclaim audit` on the local engine: per-patient history, outputs, input errors, reruns."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from batch_fixtures import medicare_fl_claim, write_csv
from typer.testing import CliRunner

from preclaim.batch import AuditConfig, AuditOptions, claims_of_patient, run_audit
from preclaim.batch.source import kind_of
from preclaim.cli import _register_extensions, app
from preclaim.domain import History
from preclaim.edi.x12.read837 import iter_claims
from preclaim.engine import Engine
from preclaim.errors import InputError

_register_extensions()


def _findings(out: Path) -> list[dict[str, object]]:
    return pq.read_table(out / "findings.parquet").to_pylist()


def test_each_claim_sees_the_patients_earlier_claims(tmp_path: Path, engine: Engine) -> None:
    # the later claim comes first in the file: the audit orders by date of service, not by file order
    rows = [
        *medicare_fl_claim("B-2", "PT-A", "2026-01-15"),
        *medicare_fl_claim("B-1", "PT-A", "2026-01-05"),
        *medicare_fl_claim("C-1", "PT-B", "2026-01-15"),
    ]
    src = write_csv(tmp_path / "lines.csv", rows)
    summary = run_audit(AuditConfig(inputs=(src,), out=tmp_path / "out"))
    assert summary["claims"] == 3 and summary["lines"] == 6 and summary["patients"] == 2
    too_soon = [f for f in _findings(tmp_path / "out") if f["rule"] == "frequency.too-soon"]
    assert [(f["patient_key"], f["claim_id"]) for f in too_soon] == [("PT-A", "B-2")]
    # the same engine, called directly with the earlier claim as history, gives the same findings
    first, second = claims_of_patient(r for r in _typed(rows) if r["patient_key"] == "PT-A")
    direct = engine.check(second, History(claims=(first,)), as_of=dt.date(2026, 1, 15))
    audited = [f["rule"] for f in _findings(tmp_path / "out") if f["claim_id"] == "B-2"]
    assert sorted(audited) == sorted(f.rule for f in direct.findings)
    claims = pq.read_table(tmp_path / "out" / "claims.parquet").to_pylist()
    assert [(c["claim_id"], c["history_claims"]) for c in claims] == [("B-1", 0), ("B-2", 1), ("C-1", 0)]
    assert not (tmp_path / "out" / "_work").exists()


def _typed(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    typed = []
    for row in rows:
        t = {k: (v if v != "" else None) for k, v in row.items()}
        t["date_of_service"] = dt.date.fromisoformat(str(row["date_of_service"]))
        t["birth_date"] = dt.date.fromisoformat(str(row["birth_date"]))
        t["units"] = float(row["units"])  # type: ignore[arg-type]
        typed.append(t)
    return typed


def test_lookback_limits_the_history_fed(tmp_path: Path) -> None:
    rows = [*medicare_fl_claim("B-1", "PT-A", "2026-01-05"), *medicare_fl_claim("B-2", "PT-A", "2026-01-15")]
    src = write_csv(tmp_path / "lines.csv", rows)
    run_audit(AuditConfig(inputs=(src,), out=tmp_path / "out", options=AuditOptions(lookback_days=5)))
    assert not [f for f in _findings(tmp_path / "out") if f["rule"] == "frequency.too-soon"]


def test_csv_and_parquet_inputs_give_the_same_findings(tmp_path: Path, synthetic_parquet: Path) -> None:
    csv_copy = tmp_path / "lines.csv"
    pacsv.write_csv(pq.read_table(synthetic_parquet), csv_copy)
    a = run_audit(AuditConfig(inputs=(synthetic_parquet,), out=tmp_path / "a", chunk_lines=400))
    b = run_audit(AuditConfig(inputs=(csv_copy,), out=tmp_path / "b", chunk_lines=10_000, output_format="csv"))
    assert a["chunks"] == 4 and b["chunks"] == 1
    from_csv = pacsv.read_csv(tmp_path / "b" / "findings.csv").to_pylist()
    assert len(from_csv) == a["findings"] == b["findings"] > 0
    assert [(f["claim_id"], f["rule"]) for f in from_csv] == [
        (f["claim_id"], f["rule"]) for f in _findings(tmp_path / "a")
    ]


def test_two_workers_give_the_same_outputs_as_one(tmp_path: Path, synthetic_parquet: Path) -> None:
    one = run_audit(AuditConfig(inputs=(synthetic_parquet,), out=tmp_path / "one", chunk_lines=500))
    two = run_audit(AuditConfig(inputs=(synthetic_parquet,), out=tmp_path / "two", chunk_lines=500, workers=2))
    assert one["verdicts"] == two["verdicts"] and one["rules"] == two["rules"]
    assert _findings(tmp_path / "one") == _findings(tmp_path / "two")


def test_837p_files_are_audited_claim_by_claim(tmp_path: Path, samples: Path) -> None:
    files = sorted((samples / "x12" / "837p").iterdir())
    expected = [c for f in files for c in iter_claims(f)]
    summary = run_audit(AuditConfig(inputs=tuple(files), out=tmp_path / "out"))
    readable = [c for c in expected if not hasattr(c, "reason")]
    assert summary["claims"] == len(readable) > 0
    assert summary["rejected"]["claims"] == len(expected) - len(readable)
    claims = pq.read_table(tmp_path / "out" / "claims.parquet").to_pylist()
    assert sorted(c["claim_id"] for c in claims) == sorted(c.id for c in readable)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("edit", "where", "says"),
    [
        ({"units": "two"}, ":3", "column 'units': found 'two', expected a number > 0"),
        ({"units": "0"}, ":3", "column 'units': found '0'"),
        ({"date_of_service": "03/16/2026"}, ":3", "expected a date YYYY-MM-DD"),
        ({"patient_key": ""}, ":3", "column 'patient_key' is empty"),
        ({"diagnosis_pointers": "1 13"}, ":3", "expected numbers 1-12"),
    ],
)
def test_a_bad_row_stops_the_audit_naming_file_row_and_column(
    tmp_path: Path, edit: dict[str, str], where: str, says: str
) -> None:
    rows = [*medicare_fl_claim("B-1", "PT-A", "2026-01-05"), *medicare_fl_claim("B-2", "PT-A", "2026-02-15")]
    rows[1] = rows[1] | edit
    src = write_csv(tmp_path / "lines.csv", rows)
    with pytest.raises(InputError) as caught:
        run_audit(AuditConfig(inputs=(src,), out=tmp_path / "out"))
    assert caught.value.where == f"{src}{where}"
    assert says in caught.value.message
    assert not (tmp_path / "out" / "summary.json").exists()


def test_a_claim_under_two_patients_is_refused(tmp_path: Path) -> None:
    rows = medicare_fl_claim("B-1", "PT-A", "2026-01-05")
    rows[1]["patient_key"] = "PT-Z"
    with pytest.raises(InputError, match="claim B-1 of payer 09102 has lines under two patients"):
        run_audit(AuditConfig(inputs=(write_csv(tmp_path / "l.csv", rows),), out=tmp_path / "out"))


def test_cli_reports_bad_input_in_one_line_and_exit_2(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "lines.csv", medicare_fl_claim("B-1", "PT-A", "2026-01-05"), header=("claim_id",))
    result = CliRunner().invoke(app, ["audit", str(src), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2
    assert "missing column(s) payer_id, patient_key, date_of_service, code, units" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(InputError, match="unknown input kind"):
        kind_of(tmp_path / "claims.xlsx")


def test_cli_audit_then_rerun_reports_already_complete(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "lines.csv", medicare_fl_claim("B-1", "PT-A", "2026-01-05"))
    args = ["audit", str(src), "--out", str(tmp_path / "out"), "-j", "1", "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["claims"] == 1
    again = CliRunner().invoke(app, args)
    assert json.loads(again.output)["already_complete"] is True
    other = write_csv(tmp_path / "other.csv", medicare_fl_claim("B-9", "PT-A", "2026-01-05"))
    refused = CliRunner().invoke(app, ["audit", str(other), "--out", str(tmp_path / "out")])
    assert refused.exit_code == 2 and "pass --restart" in refused.output
    replaced = CliRunner().invoke(app, [*args[:1], str(other), *args[2:], "--restart"])
    assert replaced.exit_code == 0 and json.loads(replaced.output)["claims"] == 1
