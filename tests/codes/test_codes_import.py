"""Importers for the CMS HCPCS quarterly file and the MCD article download, on small invented files in
those layouts, end to end through the CLI: the imported data changes what a check says."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from preclaim.codes.hcpcs_import import import_hcpcs_file
from preclaim.codes.mcd_import import import_mcd_article_icd10
from preclaim.errors import CodeSetError

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION", "ADD DT", "ACT EFF DT", "TERM DT"]


def _hcpcs_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_hcpcs_file_joins_continuations_and_reads_dates(tmp_path: Path) -> None:
    path = _hcpcs_csv(
        tmp_path / "HCPC2026_JAN_ANWEB.csv",
        [
            [
                "J9999",
                "00010",
                "3",
                "Injection, an invented drug for this test,",
                "Invented drug",
                "20250101",
                "20250101",
                "",
            ],
            ["J9999", "00020", "4", "per 10 mg", "", "", "", ""],
            [
                "J8888",
                "00010",
                "3",
                "Injection, retired invented drug",
                "Retired drug",
                "20100101",
                "20100101",
                "20201231",
            ],
            ["GA", "00010", "7", "Waiver of liability statement", "Waiver", "", "", ""],
        ],
    )
    codes = {c.code: c for c in import_hcpcs_file(path)}
    assert set(codes) == {"J9999", "J8888"}
    assert codes["J9999"].long == "Injection, an invented drug for this test, per 10 mg"
    assert codes["J8888"].terminated is not None and codes["J8888"].terminated.year == 2020


def test_hcpcs_file_errors_name_line_and_column(tmp_path: Path) -> None:
    path = _hcpcs_csv(tmp_path / "bad.csv", [["J9999", "1", "3", "x", "x", "2025-01-01", "2025-01-01", ""]])
    with pytest.raises(CodeSetError, match=r"bad.csv:2 \(ACT EFF DT\).*YYYYMMDD"):
        import_hcpcs_file(path)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("code,desc\nJ1,x\n")
    with pytest.raises(CodeSetError, match="missing column"):
        import_hcpcs_file(wrong)


def _mcd_zip(path: Path) -> Path:
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["article_id", "article_version", "icd10_code_id", "icd10_covered_group", "description"])
    writer.writerow(["57755", "17", "D51.0", "1", "old version row"])
    writer.writerow(["57755", "18", "D51.0", "1", "Vitamin B12 deficiency anemia due to intrinsic factor deficiency"])
    writer.writerow(["57755", "18", "R53.83", "2", "Other fatigue (invented for this test)"])
    writer.writerow(["99999", "1", "Z00.00", "1", "another article"])
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("article_x_icd10_covered.csv", table.getvalue())
    with zipfile.ZipFile(path, "w") as outer:
        outer.writestr("current_article_csv.zip", inner.getvalue())
    return path


def test_mcd_import_takes_the_newest_article_version(tmp_path: Path) -> None:
    rows = import_mcd_article_icd10(_mcd_zip(tmp_path / "current_article.zip"), "A57755")
    assert [(r["code"], r["version"]) for r in rows] == [("D51.0", "18"), ("R53.83", "18")]
    with pytest.raises(CodeSetError, match="article A12345 is not in"):
        import_mcd_article_icd10(tmp_path / "current_article.zip", "A12345")


def test_imported_article_list_changes_the_check(tmp_path: Path) -> None:
    env = {**os.environ, "PRECLAIM_HOME": str(tmp_path / "home")}
    download = _mcd_zip(tmp_path / "current_article.zip")
    claim = json.loads((ROOT / "examples" / "fatigue-only.json").read_text())
    claim_path = tmp_path / "claim.json"
    claim_path.write_text(json.dumps(claim))

    def check() -> dict:  # type: ignore[type-arg]
        result = subprocess.run(
            [sys.executable, "-m", "preclaim", "check", str(claim_path), "--format", "json", "--as-of", "2026-03-20"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        return json.loads(result.stdout)["claims"][0]  # type: ignore[no-any-return]

    assert check()["verdict"] == "deny"
    result = subprocess.run(
        [sys.executable, "-m", "preclaim", "codes", "import-mcd", str(download), "--article", "A57755"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "imported 2 covered ICD-10-CM codes" in result.stdout
    # The invented "official" list covers R53.83, so the LCD policy no longer denies the line.
    after = check()
    assert "diagnosis.not-covered" not in {f["rule"] for f in after["findings"]}
    assert after["verdict"] != "deny"
