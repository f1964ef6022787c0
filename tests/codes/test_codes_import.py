"""Importers for the CMS HCPCS quarterly file and the MCD article download, on small invented files in
those layouts, end to end through the CLI: the imported data changes what a check says."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from preclaim.codes import load_codes
from preclaim.codes.hcpcs_import import import_hcpcs_file, save_imported
from preclaim.codes.mcd_import import import_mcd_article_groups, import_mcd_article_icd10, write_code_list_csv
from preclaim.errors import CodeSetError
from preclaim.policy.code_lists import read_code_list

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION", "ADD DT", "ACT EFF DT", "TERM DT"]


def _hcpcs_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _fixed(code: str, seq: str, recid: str, long: str, short: str = "", add: str = "", eff: str = "") -> str:
    """One record of the CMS fixed-width layout (1-based columns: 1-5, 6-10, 11, 12-91, 92-119, 269-284)."""
    line = list(" " * 320)
    for start, text in ((1, code), (6, seq), (11, recid), (12, long[:80]), (92, short[:28]), (269, add), (277, eff)):
        line[start - 1 : start - 1 + len(text)] = text
    return "".join(line).rstrip()


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preclaim", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_hcpcs_csv_joins_continuations_and_reads_dates(tmp_path: Path) -> None:
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
    assert set(codes) == {"J9999", "J8888"}  # the modifier record is not a procedure code
    assert codes["J9999"].long == "Injection, an invented drug for this test, per 10 mg"
    assert (codes["J9999"].unit_amount, codes["J9999"].unit_measure) == (10.0, "mg")
    assert codes["J8888"].terminated is not None and codes["J8888"].terminated.year == 2020


def test_hcpcs_fixed_width_file_inside_the_cms_zip(tmp_path: Path) -> None:
    lines = [
        "HCPCS 2026 ALPHA-NUMERIC FILE (invented test copy)",
        _fixed(
            "J3425",
            "00100",
            "3",
            "Injection, hydroxocobalamin, invented test descriptor,",
            "Hydroxocobalamin inj",
            "20260101",
            "20260101",
        ),
        _fixed("J3425", "00200", "4", "per 1 mg"),
        _fixed(
            "J3424", "00100", "3", "Invented IV hydroxocobalamin record", "Hydroxocobalamin iv", "20240401", "20240401"
        ),
        _fixed("J3490", "00100", "3", "Unclassified drugs", "Drugs unclassified injection", "20000101", "20000101"),
    ]
    download = tmp_path / "HCPC2026_JAN_ANWEB.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.writestr("HCPC2026_JAN_record_layout.txt", "layout, not data")
        archive.writestr("HCPC2026_JAN_ANWEB.txt", "\r\n".join(lines) + "\r\n")
    codes = {c.code: c for c in import_hcpcs_file(download)}
    assert codes["J3425"].long.endswith("per 1 mg") and codes["J3425"].unit_amount == 1.0
    assert codes["J3490"].not_otherwise_classified
    home = tmp_path / "home"
    save_imported(list(codes.values()), home, download.name)
    merged = load_codes(home)
    j3425 = merged.hcpcs("J3425")
    assert j3425 is not None and j3425.status == "active" and j3425.source.id == "cms-hcpcs-import"
    # Curated facts survive the file's own wording: the drug, 10 mcg a unit, and which code B12 has instead.
    assert j3425.drug == "hydroxocobalamin" and (j3425.unit_amount, j3425.unit_measure) == (10, "mcg")
    j3424 = merged.hcpcs("J3424")
    assert j3424 is not None and j3424.valid_on(dt.date(2026, 3, 1)) and not j3424.valid_on(dt.date(2024, 3, 31))
    assert j3424.use_instead == {"cyanocobalamin": "J3420"}
    assert merged.hcpcs("J3420").status == "active" and merged.hcpcs_complete  # type: ignore[union-attr]
    assert load_codes().hcpcs("J3425").source.id == "cms-opps-addendum-b"  # type: ignore[union-attr]  # bundled alone


def test_hcpcs_file_without_j3425_keeps_the_bundled_entry(tmp_path: Path) -> None:
    path = _hcpcs_csv(
        tmp_path / "q.csv",
        [
            [
                "J3420",
                "1",
                "3",
                "Injection, vitamin b-12 cyanocobalamin, up to 1000 mcg",
                "B12",
                "19900101",
                "19900101",
                "",
            ]
        ],
    )
    save_imported(import_hcpcs_file(path), tmp_path, "q.csv")
    j3425 = load_codes(tmp_path).hcpcs("J3425")
    assert j3425 is not None and j3425.status == "active" and j3425.source.id == "cms-opps-addendum-b"


def test_hcpcs_file_errors_name_line_and_column(tmp_path: Path) -> None:
    path = _hcpcs_csv(tmp_path / "bad.csv", [["J9999", "1", "3", "x", "x", "", "2025-01-01", ""]])
    with pytest.raises(CodeSetError, match=r"bad.csv:2 \(ACT EFF DT\): ACT EFF DT '2025-01-01' is not a date YYYYMMDD"):
        import_hcpcs_file(path)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("code,desc\nJ1,x\n")
    with pytest.raises(CodeSetError, match=r"wrong.csv:1: missing column\(s\) HCPC, RECID, LONG DESCRIPTION"):
        import_hcpcs_file(wrong)
    fixed = tmp_path / "broken.txt"
    fixed.write_text(_fixed("J3420", "00100", "3", "Injection") + "\n" + "garbage line\n")
    with pytest.raises(CodeSetError, match=r"broken.txt:2: not a HCPCS record.*'garbage lin'"):
        import_hcpcs_file(fixed)
    with pytest.raises(CodeSetError, match="cannot read the HCPCS file"):
        import_hcpcs_file(tmp_path / "missing.txt")
    with pytest.raises(CodeSetError, match="Excel workbooks are not read"):
        import_hcpcs_file(tmp_path / "HCPC2026_JAN_ANWEB.xlsx")


def test_hcpcs_cli_bad_file_is_one_line_and_keeps_the_previous_import(tmp_path: Path) -> None:
    env = {**os.environ, "PRECLAIM_HOME": str(tmp_path / "home")}
    good = _hcpcs_csv(
        tmp_path / "good.csv", [["J9999", "1", "3", "Injection, invented", "Inv", "20250101", "20250101", ""]]
    )
    result = _run("codes", "import-hcpcs", str(good), env=env)
    assert result.returncode == 0, result.stderr
    assert "imported 1 HCPCS codes" in result.stdout and "J3425: active" in result.stdout
    stored = (tmp_path / "home" / "hcpcs-imported.json").read_bytes()
    bad = _hcpcs_csv(tmp_path / "bad.csv", [["J9998", "1", "3", "x", "x", "", "13/2025", ""]])
    result = _run("codes", "import-hcpcs", str(bad), env=env)
    assert result.returncode == 2
    assert "bad.csv:2 (ACT EFF DT)" in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "home" / "hcpcs-imported.json").read_bytes() == stored


def test_corrupt_imported_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "hcpcs-imported.json").write_text("{not json")
    with pytest.raises(CodeSetError, match="import the CMS file again"):
        load_codes(tmp_path)


def _covered_csv(rows: list[list[str]]) -> str:
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(
        [
            "article_id",
            "article_version",
            "icd10_code_id",
            "icd10_code_version",
            "icd10_covered_group",
            "range",
            "sort_order",
            "description",
            "asterisk",
        ]
    )
    writer.writerows(rows)
    return table.getvalue()


def _mcd_zip(path: Path) -> Path:
    table = _covered_csv(
        [
            ["57755", "17", "D51.0", "1", "1", "", "1", "old version row", ""],
            [
                "57755",
                "18",
                "D51.0",
                "1",
                "1",
                "",
                "1",
                "Vitamin B12 deficiency anemia due to intrinsic factor deficiency",
                "",
            ],
            ["57755", "18", "R53.83", "1", "2", "", "2", "Other fatigue (invented for this test)", ""],
            ["99999", "1", "Z00.00", "1", "1", "", "1", "another article", ""],
        ]
    )
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("article_x_icd10_covered.csv", table)
        z.writestr(
            "article_x_icd10_covered_group.csv",
            "article_id,article_version,icd10_covered_group,paragraph\n"
            '57755,17,1,"<p>old paragraph</p>"\n'
            '57755,18,1,"<p>Group 1 codes stand alone (invented text).</p>"\n'
            '57755,18,2,"<p>Group 2 codes need a <b>secondary</b> code from Group 1 &amp; a note (invented).</p>"\n',
        )
    with zipfile.ZipFile(path, "w") as outer:
        outer.writestr("current_article_csv.zip", inner.getvalue())
    return path


def test_mcd_import_takes_the_newest_article_version(tmp_path: Path) -> None:
    download = _mcd_zip(tmp_path / "current_article.zip")
    rows = import_mcd_article_icd10(download, "A57755")
    assert [(r["code"], r["version"], r["group"]) for r in rows] == [("D51.0", "18", "1"), ("R53.83", "18", "2")]
    assert import_mcd_article_icd10(download, "57755") == rows
    with pytest.raises(CodeSetError, match=r"article A12345 is not in article_x_icd10_covered\.csv"):
        import_mcd_article_icd10(download, "A12345")
    groups = import_mcd_article_groups(download, "A57755")
    assert groups == {
        "1": "Group 1 codes stand alone (invented text).",
        "2": "Group 2 codes need a secondary code from Group 1 & a note (invented).",
    }
    with pytest.raises(CodeSetError, match="not like A57755"):
        import_mcd_article_icd10(download, "L33967")


def test_mcd_ranges_folders_and_errors(tmp_path: Path) -> None:
    folder = tmp_path / "unzipped"
    folder.mkdir()
    (folder / "article_x_icd10_covered.csv").write_text(
        _covered_csv([["57755", "18", "D51.0-D51.3", "1", "1", "Y", "1", "Vitamin B12 deficiency anemias", ""]])
    )
    rows = import_mcd_article_icd10(folder, "A57755")
    assert [r["code"] for r in rows] == ["D51.0", "D51.1", "D51.2", "D51.3"]
    assert {r["range"] for r in rows} == {"D51.0-D51.3"}
    assert import_mcd_article_groups(folder, "A57755") == {}  # the group table is optional
    (folder / "article_x_icd10_covered.csv").write_text(
        _covered_csv([["57755", "eighteen", "D51.0", "", "", "", "", "", ""]])
    )
    with pytest.raises(
        CodeSetError, match=r"article_x_icd10_covered.csv:2: article_version 'eighteen' is not a number"
    ):
        import_mcd_article_icd10(folder, "A57755")
    (folder / "article_x_icd10_covered.csv").write_text("article,code\n57755,D51.0\n")
    with pytest.raises(CodeSetError, match=r":1: missing column\(s\) article_id, article_version, icd10_code_id"):
        import_mcd_article_icd10(folder, "A57755")
    with pytest.raises(CodeSetError, match="does not exist"):
        import_mcd_article_icd10(tmp_path / "nowhere.zip", "A57755")


def test_code_list_csv_reads_back_as_a_policy_list(tmp_path: Path) -> None:
    rows = import_mcd_article_icd10(_mcd_zip(tmp_path / "current_article.zip"), "A57755")
    dest = write_code_list_csv(rows, tmp_path / "lists" / "A57755.csv")
    header = dest.read_text().splitlines()[0]
    assert header == "code,description,group,verified,source"
    assert "CMS MCD article A57755 version 18" in dest.read_text()
    entries = read_code_list(dest)
    assert [(e.code, e.verified) for e in entries] == [("D51.0", True), ("R53.83", True)]


def test_imported_article_list_changes_the_check(tmp_path: Path) -> None:
    env = {**os.environ, "PRECLAIM_HOME": str(tmp_path / "home")}
    download = _mcd_zip(tmp_path / "current_article.zip")
    claim_path = tmp_path / "claim.json"
    claim_path.write_text((ROOT / "examples" / "fatigue-only.json").read_text())

    def check() -> dict:  # type: ignore[type-arg]
        result = _run("check", str(claim_path), "--format", "json", "--as-of", "2026-03-20", env=env)
        return json.loads(result.stdout)["claims"][0]  # type: ignore[no-any-return]

    assert check()["verdict"] == "deny"
    result = _run("codes", "import-mcd", str(download), "--article", "A57755", env=env)
    assert result.returncode == 0, result.stderr
    assert "imported 2 covered ICD-10-CM codes" in result.stdout
    assert "group 2: Group 2 codes need a secondary code from Group 1" in result.stdout
    # The invented "official" list covers R53.83, so the LCD policy no longer denies the line.
    after = check()
    assert "diagnosis.not-covered" not in {f["rule"] for f in after["findings"]}
    assert after["verdict"] != "deny"
    result = _run("codes", "import-mcd", str(tmp_path / "nowhere.zip"), env=env)
    assert result.returncode == 2 and "does not exist" in result.stderr and "Traceback" not in result.stderr
