"""`preclaim codes import-ncci` and `import-mue` on the CMS practitioner layouts (fixtures in ncci_fixtures/, real
rows and invented rows labelled there): parts in zips as CMS ships them, re-import, malformed rows, the CLI."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from preclaim.codes import load_codes
from preclaim.codes.ncci_mue_import import import_mue
from preclaim.codes.ncci_ptp_import import import_ptp
from preclaim.codes.ncci_store import folder, load_ncci, read_ptp_manifest
from preclaim.errors import CodeSetError

FIXTURES = Path(__file__).resolve().parent / "ncci_fixtures"
F1, F2 = FIXTURES / "ccipra-v322r0-f1.TXT", FIXTURES / "ccipra-v322r0-f2.TXT"
MUE = FIXTURES / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"
F1_ROWS, F2_ROWS = 16, 7


def zipped(target: Path, *files: Path | tuple[str, bytes]) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in files:
            if isinstance(item, tuple):
                archive.writestr(*item)
            else:
                archive.write(item, item.name)
    return target


def part_zip(tmp_path: Path, part: Path, version: str = "v322r0") -> Path:
    """One part as CMS publishes it: medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f1.zip with the
    .TXT and an .xlsx of the same rows (here a placeholder: the importer reads the text file)."""
    name = part.stem.replace("v322r0", version)
    outer = tmp_path / f"medicare-ncci-2026q3-practitioner-ptp-edits-{name}.zip"
    return zipped(outer, (f"{name}.TXT", part.read_bytes()), (f"{name}.xlsx", b"PK placeholder"))


def malformed(tmp_path: Path, line: int, cells: str, name: str = "ccipra-v322r0-f2.TXT") -> Path:
    rows = F2.read_bytes().decode("latin-1").split("\r\n")
    rows[line - 1] = cells
    path = tmp_path / name
    path.write_bytes("\r\n".join(rows).encode("latin-1"))
    return path


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRECLAIM_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "preclaim", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_parts_from_the_cms_part_zips_are_imported_with_their_lines(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = import_ptp([part_zip(tmp_path, F1), part_zip(tmp_path, F2)], home)
    assert (result.version, result.quarter, result.rows) == ("v322r0", "2026Q3", F1_ROWS + F2_ROWS)
    tables = load_ncci(home)
    assert tables is not None and tables.ptp_rows == F1_ROWS + F2_ROWS
    (row,) = tables.ptp("0001U", "0030U")  # a real row of CMS v322r0 f1
    assert (row.effective, row.deleted, row.indicator, row.line) == (dt.date(2018, 7, 1), None, 1, 19)
    assert row.member == "ccipra-v322r0-f1.TXT"
    (retro,) = tables.ptp("0001A", "90473")  # deleted retroactively: effective = deletion date, indicator 9
    assert (retro.indicator, retro.deleted) == (9, dt.date(2022, 1, 1))
    # The pair CMS lists twice: the indicator-0 row in force wins over the retroactive 9.
    edit = tables.ptp_in_force("13121", "13120", dt.date(2026, 1, 5))
    assert edit is not None and (edit.indicator, edit.line) == (0, 22)


def test_one_zip_holding_several_parts_and_a_zip_of_part_zips(tmp_path: Path) -> None:
    readme = ("README.txt", b"Release notes: not a table")  # left alone next to files named like CMS parts
    both = zipped(tmp_path / "ccipra-v322r0.zip", F1, F2, ("ccipra-v322r0-f1.xlsx", b"PK placeholder"), readme)
    assert import_ptp([both], tmp_path / "a").rows == F1_ROWS + F2_ROWS
    nested = zipped(tmp_path / "all-parts.zip", part_zip(tmp_path, F1), part_zip(tmp_path, F2))
    result = import_ptp([nested], tmp_path / "b")
    assert [p.name for p in result.parts] == ["f1", "f2"]
    assert result.parts[0].source.endswith("ccipra-v322r0-f1.zip!ccipra-v322r0-f1.TXT")


def test_reimport_is_idempotent_and_parts_can_come_one_at_a_time(tmp_path: Path) -> None:
    home = tmp_path / "home"
    import_ptp([part_zip(tmp_path, F1)], home)
    import_ptp([part_zip(tmp_path, F2)], home)  # a later run adds f2
    import_ptp([part_zip(tmp_path, F2)], home)  # and importing f2 again replaces it, not doubles it
    manifest = read_ptp_manifest(home)
    assert manifest is not None and [(p.name, p.rows) for p in manifest.parts] == [("f1", F1_ROWS), ("f2", F2_ROWS)]
    assert sorted(p.name for p in folder(home).iterdir()) == sorted(
        ["ptp.json", *(p.file for p in manifest.parts)]
    )  # the replaced part's file is gone
    tables = load_ncci(home)
    assert tables is not None and len(tables.ptp("96374", "96372")) == 1


@pytest.mark.parametrize(
    ("line", "cells", "where", "problem"),
    [
        (9, "96372\t99211\t\t20200101\t*\t7\tx", ":9", "part f2, column Modifier: found '7', expected 0, 1 or 9"),
        (8, "96366\t96372\t\t2020-01-01\t*\t9\tx", ":8", "column Effective Date: found '2020-01-01', expected a date"),
        (10, "96372\t99213\t\t20200101\t20201399\t1\tx", ":10", "column Deletion Date: found '20201399'"),
        (10, "96372\t99213\t\t+0200101\t*\t1\tx", ":10", "column Effective Date: found '+0200101', expected a date"),
        (7, "9637\t96372\t\t20230101\t*\t0\tx", ":7", "column Column 1: found '9637', expected a 5-character"),
        (11, "96374\t96372\t\t20100101", ":11", "found 4 tab-separated columns, expected 7"),
        (12, "\t96372\t\t20100101\t*\t0\tx", ":12", "column Column 1: empty"),
        (13, "J3420\tJ3430\tY\t20200101\t*\t0\tx", ":13", "found 'Y', expected '*' or nothing"),
    ],
)
def test_a_malformed_row_names_file_part_line_and_column_and_changes_nothing(
    tmp_path: Path, line: int, cells: str, where: str, problem: str
) -> None:
    home = tmp_path / "home"
    import_ptp([part_zip(tmp_path, F1)], home)
    before = sorted(p.name for p in folder(home).iterdir())
    bad = zipped(tmp_path / "medicare-ncci-2026q3-bad.zip", malformed(tmp_path, line, cells))
    with pytest.raises(CodeSetError) as caught:
        import_ptp([part_zip(tmp_path, F2), bad], home)
    assert caught.value.where == f"{bad}!ccipra-v322r0-f2.TXT{where}"
    assert problem in caught.value.message
    assert sorted(p.name for p in folder(home).iterdir()) == before  # no part, no temp file, same manifest
    manifest = read_ptp_manifest(home)
    assert manifest is not None and [p.name for p in manifest.parts] == ["f1"]


def test_files_that_are_not_the_practitioner_ptp_table_are_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    hospital = zipped(tmp_path / "ccioph-v322r0-f1.zip", ("ccioph-v322r0-f1.TXT", F1.read_bytes()))
    with pytest.raises(CodeSetError, match="outpatient hospital PTP table"):
        import_ptp([hospital], home)
    excel = zipped(tmp_path / "ccipra-v322r0-f1.zip", ("ccipra-v322r0-f1.xlsx", b"PK placeholder"))
    with pytest.raises(CodeSetError, match=r"only Excel workbooks \(ccipra-v322r0-f1.xlsx\)"):
        import_ptp([excel], home)
    notes = tmp_path / "ccipra-v322r0-f1.TXT"
    notes.write_text("Release notes\nnothing tabular here\n" * 30)
    with pytest.raises(CodeSetError, match="no 'Column 1 / Column 2' header in the first 40 lines"):
        import_ptp([notes], home)
    unnamed = tmp_path / "edits.txt"
    unnamed.write_bytes(F2.read_bytes())
    with pytest.raises(CodeSetError, match="give --version"):
        import_ptp([unnamed], home)
    assert import_ptp([unnamed], home, version="v322r0", quarter="2026q3").parts[0].name == "edits"
    assert not (folder(home) / "mue-2026Q3.json").exists()


def test_an_older_version_is_refused_and_a_newer_one_replaces_every_part(tmp_path: Path) -> None:
    home = tmp_path / "home"
    import_ptp([part_zip(tmp_path, F1, "v322r0"), part_zip(tmp_path, F2, "v322r0")], home)
    with pytest.raises(CodeSetError, match="v321r0 is older than the imported v322r0"):
        import_ptp([part_zip(tmp_path, F1, "v321r0")], home)
    result = import_ptp([part_zip(tmp_path, F2, "v323r0")], home)
    assert (result.replaced, result.quarter) == ("v322r0", "2026Q3")  # the zip name says 2026q3
    manifest = read_ptp_manifest(home)
    assert manifest is not None and (manifest.version, [p.name for p in manifest.parts]) == ("v323r0", ["f2"])


def test_mue_table_from_the_cms_zip(tmp_path: Path) -> None:
    home = tmp_path / "home"
    download = zipped(
        tmp_path / "medicare-ncci-2026-q3-practitioner-services-mue-table.zip",
        MUE,
        ("MCR_MUE_PractitionerServices_Eff_07-01-2026.xlsx", b"PK placeholder"),
    )
    result = import_mue(download, home)
    assert (result.quarter, result.start, result.rows, result.replaced) == ("2026Q3", dt.date(2026, 7, 1), 8, False)
    assert import_mue(download, home).replaced  # the same quarter again replaces it
    tables = load_codes(home).ncci
    assert tables is not None and len(tables.mue_quarters) == 1
    found = tables.mue("0009U", dt.date(2026, 8, 3))  # a real row
    assert found is not None
    edit, quarter = found
    assert (edit.value, edit.mai, edit.mai_text, edit.rationale, edit.line) == (
        2,
        3,
        "3 Date of Service Edit: Clinical",
        "Nature of Analyte",
        12,  # the notice record spans lines 1-7 and the header 8-9
    )
    assert quarter.quarter == "2026Q3"


def test_mue_quarters_are_kept_and_the_one_in_effect_is_used(tmp_path: Path) -> None:
    home = tmp_path / "home"
    import_mue(MUE, home)
    older = tmp_path / "practitioner-mue.csv"
    older.write_bytes(MUE.read_bytes().replace(b"J3420,3,3", b"J3420,9,3"))
    import_mue(older, home, quarter="2026Q2")
    tables = load_ncci(home)
    assert tables is not None
    for day, value, quarter in ((dt.date(2026, 5, 1), 9, "2026Q2"), (dt.date(2026, 7, 1), 3, "2026Q3")):
        found = tables.mue("J3420", day)
        assert found is not None and (found[0].value, found[1].quarter) == (value, quarter)
    with pytest.raises(CodeSetError, match="give --quarter 2026Q3"):
        import_mue(older, home)


@pytest.mark.parametrize(
    ("old", "new", "line", "problem"),
    [
        (b"J3420,3,3 Date", b"J3420,three,3 Date", 16, "column Practitioner Services MUE Values: found 'three'"),
        (b"J3430,2,2 Date", b"J3430,2,4 Date", 17, "column MUE Adjudication Indicator: found '4 Date of Service"),
        (b"J3430,2,2", b"J343,2,2", 17, "column HCPCS/CPT Code: found 'J343'"),
        (b"J3430,2,2", b"96372,2,2", 17, "96372 is listed twice (also line 15)"),
        (b"Practitioner Services MUE Values", b"Outpatient Hospital Services MUE Values", 9, "'Outpatient Hospital"),
    ],
)
def test_a_malformed_mue_table_names_file_line_and_column(
    tmp_path: Path, old: bytes, new: bytes, line: int, problem: str
) -> None:
    home = tmp_path / "home"
    bad = tmp_path / MUE.name
    bad.write_bytes(MUE.read_bytes().replace(old, new))
    with pytest.raises(CodeSetError) as caught:
        import_mue(zipped(tmp_path / "mue.zip", bad), home)
    assert caught.value.where == f"{tmp_path / 'mue.zip'}!{MUE.name}:{line}"
    assert problem in caught.value.message
    assert not folder(home).exists() or not any(folder(home).iterdir())


def test_cli_imports_report_what_changed_and_exit_2_with_one_line_on_bad_files(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run_cli("codes", "import-ncci", str(part_zip(tmp_path, F1)), str(part_zip(tmp_path, F2)), home=home)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "imported 23 PTP edits of CMS practitioner table v322r0 (2026 Q3)" in text
    assert "part f2: 7 rows from" in text and "checks now use v322r0 parts f1, f2" in text
    done = run_cli("codes", "import-mue", str(MUE), home=home)
    assert done.returncode == 0, done.stderr
    assert "imported 8 MUEs of 2026 Q3 (effective 2026-07-01)" in " ".join(done.stdout.split())

    bad = zipped(tmp_path / "ccipra-v322r0-f2.zip", malformed(tmp_path, 9, "96372\t99211\t\t20200101\t*\t7\tx"))
    failed = run_cli("codes", "import-ncci", str(bad), home=home)
    assert failed.returncode == 2 and failed.stdout == ""
    assert "Traceback" not in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
    assert f"{bad}!ccipra-v322r0-f2.TXT:9" in failed.stderr and "column Modifier" in failed.stderr
    for args in (["import-ncci", str(tmp_path / "missing.zip")], ["import-mue", str(F1)]):
        failed = run_cli("codes", *args, home=home)
        assert failed.returncode == 2 and "Traceback" not in failed.stderr, failed.stderr
    wrong = run_cli("codes", "import-mue", str(MUE), "--quarter", "Q3-26", home=home)
    assert wrong.returncode == 2 and "'Q3-26' is not like 2026Q3" in wrong.stderr


def test_a_damaged_stored_part_is_reported_not_read_as_fewer_rows(tmp_path: Path) -> None:
    home = tmp_path / "home"
    import_ptp([part_zip(tmp_path, F2)], home)
    manifest = read_ptp_manifest(home)
    assert manifest is not None
    stored = folder(home) / manifest.parts[0].file
    stored.write_bytes(stored.read_bytes()[:-3])
    with pytest.raises(CodeSetError, match="part f2 is shorter than its 7 rows; import it again") as caught:
        load_ncci(home)
    assert caught.value.where == str(stored)


def test_a_missing_or_damaged_download_is_one_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with pytest.raises(CodeSetError, match="no such NCCI PTP file"):
        import_ptp([tmp_path / "ccipra-v322r0-f1.zip"], home)
    with pytest.raises(CodeSetError, match="no such NCCI MUE file"):
        import_mue(tmp_path / "mue.zip", home)
    damaged = tmp_path / "ccipra-v322r0-f1.zip"
    with zipfile.ZipFile(damaged, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("ccipra-v322r0-f1.TXT", F1.read_bytes())
    data = damaged.read_bytes()
    at = data.index(b"Misuse of Column Two")
    damaged.write_bytes(data[:at] + b"X" + data[at + 1 :])  # one changed byte: the member's CRC no longer matches
    with pytest.raises(CodeSetError, match="cannot read the file at this line") as caught:
        import_ptp([damaged], home)
    assert caught.value.where is not None and caught.value.where.startswith(f"{damaged}!ccipra-v322r0-f1.TXT:")
    assert not folder(home).exists() or not any(folder(home).iterdir())
