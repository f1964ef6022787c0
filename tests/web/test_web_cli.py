"""`preclaim checklist` and `preclaim letter` as a user runs them (real processes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pdf_check import pages, text
from x835 import b12_835

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preclaim", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_checklist_text_and_one_page_pdf(tmp_path: Path) -> None:
    shown = run("checklist", "--policy", "demo-health-plan", "--as-of", "2026-03-20", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Prior authorization" in shown.stdout and "Required" in shown.stdout and "[1]" in shown.stdout
    made = run(
        "checklist", "--payer", "09102", "--filing-indicator", "MB", "--state", "FL", "-o", "fl.pdf", cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    data = (tmp_path / "fl.pdf").read_bytes()
    assert pages(data) == 1 and "LCD L33967" in text(data)
    page = run("checklist", "--policy", "aetna-cpb-0536", "-o", "aetna.html", cwd=tmp_path)
    assert page.returncode == 0, page.stderr
    html = (tmp_path / "aetna.html").read_text()
    assert "<style>" in html and "/static/" not in html and "Aetna" in html  # opens from disk as it prints


def test_letters_from_a_claim_and_from_an_835(tmp_path: Path) -> None:
    claim = ROOT / "examples" / "no-authorization.json"
    made = run("letter", "necessity", "--claim", str(claim), "-o", "pa.pdf", "--as-of", "2026-03-20", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "blank(s) to fill in" in made.stdout
    assert "Serum B12 142 pg/mL" in text((tmp_path / "pa.pdf").read_bytes())
    (tmp_path / "remit.835").write_bytes(b12_835())
    several = run("letter", "appeal", "--remit", "remit.835", "-o", "appeal.pdf", cwd=tmp_path)
    assert several.returncode == 2 and "DX-005, UNITS-003" in several.stderr and "Traceback" not in several.stderr
    assert not (tmp_path / "appeal.pdf").exists()  # nothing written on an error
    # CO-16 with M53 (units) is cured by a corrected claim: no appeal letter is written for it
    units = run("letter", "appeal", "--remit", "remit.835", "--claim-id", "UNITS-003", "-o", "appeal.pdf", cwd=tmp_path)
    assert units.returncode == 2 and "corrected claim" in units.stderr and "Traceback" not in units.stderr
    assert not (tmp_path / "appeal.pdf").exists()
    one = run("letter", "appeal", "--remit", "remit.835", "--claim-id", "DX-005", "-o", "appeal.pdf", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    body = " ".join(text((tmp_path / "appeal.pdf").read_bytes()).split())
    assert "CO-50" in body and "Request for redetermination" in body  # Medicare Part B: its first level of appeal
    assert "2026-04-01" in body and "2026-08-04" in body  # the remittance's date and the 120-day limit after receipt


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("checklist", "--policy", "nope"), "no policy 'nope'"),
        (("checklist",), "give --policy ID or --payer ID"),
        (("checklist", "--policy", "lcd-l33967", "-o", "x.docx"), "expected a .pdf or .html"),
        (("letter", "memo", "-o", "x.pdf"), "unknown letter 'memo'"),
        (("letter", "necessity", "-o", "x.pdf"), "needs --claim"),
        (("letter", "necessity", "--claim", "missing.json", "-o", "x.pdf"), "missing.json"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
