"""NCCI checks from imported tables (fixtures: tests/codes/ncci_fixtures, invented rows labelled there): PTP pairs
on one date of service with the modifier indicator and the edit's dates honoured, MUEs per line (MAI 1) and per
day (MAI 2/3), the policy's own MUE, and no second finding for what the bundling rule already reports."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import msgspec
import pytest

from preclaim.codes import load_codes
from preclaim.codes.ncci_mue_import import import_mue
from preclaim.codes.ncci_ptp_import import import_ptp
from preclaim.domain.claim import Claim
from preclaim.domain.report import Finding
from preclaim.engine import Engine
from preclaim.policy import load_library
from preclaim.rules import ncci as rules_ncci

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "codes" / "ncci_fixtures"
CLEAN = json.loads((ROOT / "examples" / "clean.json").read_text())  # Medicare Part B, 96372 + J3420 on 2026-03-16
DOS = "2026-03-16"
NCCI_RULES = ("ncci.ptp", "ncci.ptp-modifier", "units.mue")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("ncci-home")
    import_ptp([FIXTURES / "ccipra-v322r0-f1.TXT", FIXTURES / "ccipra-v322r0-f2.TXT"], home)
    import_mue(FIXTURES / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv", home, quarter="2026Q1")
    return home


@pytest.fixture(scope="module")
def engine(home: Path) -> Engine:
    return Engine(load_library(()), load_codes(home))


def claim(*extra: dict[str, Any], payer: str = "MB", **edits: Any) -> Claim:
    """The clean Medicare example plus lines; `edits` change line 1 (96372) or line 2 (J3420) fields."""
    doc = copy.deepcopy(CLEAN)
    doc["filing_indicator"] = payer
    if payer != "MB":
        doc["payer"] = {"id": "60054", "name": "Aetna"}
    for key, value in edits.items():
        index, field = key.split("_", 1)
        doc["lines"][int(index[1:]) - 1][field] = value
    for number, line in enumerate(extra, start=3):
        doc["lines"].append({"number": number, "units": 1, "date_of_service": DOS, "diagnosis_pointers": [1], **line})
    return msgspec.convert(doc, Claim)


def ncci(engine: Engine, subject: Claim) -> list[Finding]:
    report = engine.check(subject, as_of=dt.date(2026, 3, 20))
    # bundling.injection-units (96372 units above the drug lines) is its own rule, not an NCCI or same-day pair edit.
    return [
        f
        for f in report.findings
        if f.rule in NCCI_RULES or (f.rule.startswith("bundling.") and f.rule != "bundling.injection-units")
    ]


def test_indicator_0_denies_the_column_2_line_whatever_the_modifiers(engine: Engine) -> None:
    for modifiers in ([], ["XU"], ["59"]):
        (found,) = ncci(engine, claim({"code": "96401"}, l1_modifiers=modifiers))
        assert (found.rule, found.line, found.carc, found.severity) == ("ncci.ptp", 1, "CO-97", "error")
        assert "96372 is not paid with 96401 (line 3) on 2026-03-16" in found.message
        assert found.fix == "remove the 96372 line: its payment is included in 96401"


def test_finding_cites_the_file_quarter_and_row(engine: Engine) -> None:
    (found,) = ncci(engine, claim({"code": "96401"}))
    assert found.source.id == "cms-ncci-ptp-practitioner"
    assert found.source.title == "CMS NCCI procedure-to-procedure edits, practitioner, 2026 Q3 (v322r0)"
    assert found.source.version == "v322r0, ccipra-v322r0-f2.TXT line 12"
    assert found.source.url is not None and "medicare-ncci-procedure-procedure-ptp-edits" in found.source.url


def test_indicator_1_needs_an_ncci_associated_modifier(engine: Engine) -> None:
    (found,) = ncci(engine, claim({"code": "96374"}))
    assert (found.rule, found.line, found.carc) == ("ncci.ptp-modifier", 1, "CO-236")
    assert found.fix is not None and found.fix.startswith("add XE, XS, XP or XU (or 59) to line 1")
    for modifiers in (["XU"], ["59"], ["XE"], ["RT"]):  # on the column 2 line
        assert ncci(engine, claim({"code": "96374"}, l1_modifiers=modifiers)) == []
    assert ncci(engine, claim({"code": "96374", "modifiers": ["XS"]})) == []  # column 1 line, from 2019-07-01
    assert len(ncci(engine, claim({"code": "96374", "modifiers": ["RT"]}))) == 1  # only 59/X{EPSU} go on either line


def test_a_line_that_is_column_2_of_two_edits_is_reported_once_by_the_stricter(engine: Engine) -> None:
    (found,) = ncci(engine, claim({"code": "96374"}, {"code": "96401"}))  # 96374/96372 is 1, 96401/96372 is 0
    assert (found.rule, found.line) == ("ncci.ptp", 1) and "with 96401 (line 4)" in found.message


def test_59_on_the_column_1_line_does_not_bypass_before_july_2019(engine: Engine) -> None:
    early = "2019-06-28"
    subject = claim({"code": "96374", "modifiers": ["59"], "date_of_service": early}, l1_date_of_service=early)
    (found,) = [f for f in ncci(engine, subject) if f.rule.startswith("ncci.")]
    assert found.rule == "ncci.ptp-modifier"


def test_indicator_9_and_other_dates_of_service_are_not_flagged(engine: Engine) -> None:
    assert ncci(engine, claim({"code": "96366"})) == []  # 96366/96372 has modifier indicator 9
    assert ncci(engine, claim({"code": "96401", "date_of_service": "2026-03-17"})) == []  # another day


@pytest.mark.parametrize(
    ("day", "flagged"),
    [("2022-12-31", False), ("2023-01-01", True), ("2024-12-31", True), ("2025-01-01", False)],
)
def test_effective_and_deletion_dates_are_honoured(engine: Engine, day: str, flagged: bool) -> None:
    """96365/96372 (invented row) is in force from 2023-01-01 through its deletion date 2024-12-31."""
    subject = claim({"code": "96365", "date_of_service": day}, l1_date_of_service=day, l2_date_of_service=day)
    assert [f.rule for f in ncci(engine, subject) if f.rule.startswith("ncci.")] == (["ncci.ptp"] if flagged else [])


def test_a_pair_cms_lists_twice_is_judged_by_the_row_in_force(engine: Engine) -> None:
    (found,) = ncci(engine, claim({"code": "13121"}, {"code": "13120"}))  # real rows: a retroactive 9 and a 0
    assert (found.rule, found.line, found.carc) == ("ncci.ptp", 4, "CO-97")
    assert found.source.version == "v322r0, ccipra-v322r0-f1.TXT line 22"


def test_99211_with_96372_is_reported_once(engine: Engine) -> None:
    """The invented edit 96372/99211 (indicator 0) and Medicare's CR 3631 bundling describe the same problem."""
    (found,) = ncci(engine, claim({"code": "99211"}))
    assert (found.rule, found.line, found.carc) == ("bundling.99211-with-injection", 3, "CO-97")


def test_em_with_96372_needs_25_once_and_25_lets_it_pay(engine: Engine) -> None:
    (found,) = ncci(engine, claim({"code": "99213"}))
    assert found.rule == "bundling.em-needs-25"
    assert [f.rule for f in ncci(engine, claim({"code": "99213", "modifiers": ["25"]}))] == ["bundling.em-25-audit"]


def test_a_payer_without_the_ncci_policy_section_gets_no_ncci_findings(engine: Engine) -> None:
    assert ncci(engine, claim({"code": "96401"}, payer="CI", l2_units=9)) == []


def test_mai_1_is_per_line(engine: Engine) -> None:
    """96372 (invented row): MUE 4, MAI 1. Two lines of 3 are fine; one line of 5 is not."""
    assert ncci(engine, claim({"code": "96372", "units": 3}, l1_units=3)) == []
    (found,) = ncci(engine, claim(l1_units=5))
    assert (found.rule, found.line, found.carc, found.rarc) == ("units.mue", 1, "CO-96", ("N362",))
    assert "5 units of 96372 on one line exceed the CMS MUE of 4 (MAI 1, a claim-line edit)" in found.message
    assert found.source.version == (
        "2026Q1 (effective 2026-01-01), MCR_MUE_PractitionerServices_Eff_07-01-2026.csv line 15"
    )


def test_mai_3_counts_every_line_of_the_day_and_reports_once(engine: Engine) -> None:
    """J3420 (invented row): MUE 3, MAI 3. 2 + 2 units on one day exceed it; the same on two days do not."""
    second = {"code": "J3420", "units": 2, "ndc": CLEAN["lines"][1]["ndc"]}
    (found,) = ncci(engine, claim(second, l2_units=2))
    assert (found.rule, found.line) == ("units.mue", 2)
    assert found.message.startswith("lines 2, 3: 4 units of J3420 on 2026-03-16 exceed the CMS MUE of 3 (MAI 3")
    assert ncci(engine, claim({**second, "date_of_service": "2026-03-17"}, l2_units=2)) == []


def test_mai_2_is_a_per_day_limit_policy_says_cannot_be_appealed(engine: Engine) -> None:
    findings = ncci(engine, claim({"code": "J3430", "units": 2}, {"code": "J3430", "units": 1}))
    (found,) = [f for f in findings if f.rule == "units.mue"]
    assert found.line == 3 and "3 units of J3430 on 2026-03-16" in found.message
    assert "(MAI 2, a date-of-service edit set by policy" in found.message
    # Both J3430 lines are also column 2 of the invented J3420/J3430 edit (indicator 0): one finding each.
    assert sorted(f.line for f in findings if f.rule == "ncci.ptp") == [3, 4]


def _policy_dir(tmp_path: Path, mue: int) -> Path:
    """An illustrative policy that states its own J3420 MUE, for Medicare claims."""
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "mue.yaml").write_text(
        "id: test-own-mue\ntitle: Test policy with its own MUE\nversion: '1'\nlayer: 60\nillustrative: true\n"
        "match: {filing_indicators: [MB]}\neffective: {start: 2015-01-01}\n"
        "sources: {own: {title: Invented MUE for a test, confidence: illustrative}}\n"
        f"drugs:\n  J3420:\n    units: {{source: own, amount_per_unit: 1000, mue: {mue}, mue_carc: CO-151}}\n"
    )
    return folder


def test_a_policy_mue_still_works_and_the_imported_table_wins(tmp_path: Path, home: Path) -> None:
    library = load_library([_policy_dir(tmp_path, 1)])
    subject = claim(l2_units=2)
    without_tables = Engine(library, load_codes(tmp_path / "empty-home"))
    (found,) = ncci(without_tables, subject)
    assert (found.rule, found.carc, found.source.id) == ("units.mue", "CO-151", "own")
    assert found.message == "line 2: 2 units exceed the MUE of 1"
    with_tables = Engine(library, load_codes(home))
    assert ncci(with_tables, subject) == []  # CMS row J3420: MUE 3 per day governs
    (found,) = ncci(with_tables, claim(l2_units=4))
    assert (found.carc, found.source.id) == ("CO-96", "cms-ncci-mue-practitioner")


def test_cli_check_with_imported_tables(home: Path, tmp_path: Path) -> None:
    doc = copy.deepcopy(CLEAN)
    doc["lines"].append({"number": 3, "code": "96401", "units": 1, "date_of_service": DOS, "diagnosis_pointers": [1]})
    path = tmp_path / "claim.json"
    path.write_text(json.dumps(doc))
    env = {**os.environ, "PRECLAIM_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "preclaim", "check", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["claims"][0]["findings"]
    ptp = [f for f in findings if f["rule"] == "ncci.ptp"]
    assert ptp and ptp[0]["source"]["version"] == "v322r0, ccipra-v322r0-f2.TXT line 12"


def test_no_tables_no_findings_and_the_table_rules_are_not_run(tmp_path: Path, engine: Engine) -> None:
    codes = load_codes(tmp_path)
    assert codes.ncci is None
    bare = Engine(load_library(()), codes)
    assert not set(rules_ncci.RULES) & set(bare.rules)  # a check without tables costs what it did before
    assert set(rules_ncci.RULES) <= set(engine.rules)
    assert ncci(bare, claim({"code": "96401"}, l1_units=9)) == []


def test_zip_fixture_roundtrip_matches_direct_files(tmp_path: Path, home: Path) -> None:
    """The engine answers the same from the CMS zips as from the bare part files."""
    zipped = tmp_path / "medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f2.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(FIXTURES / "ccipra-v322r0-f2.TXT", "ccipra-v322r0-f2.TXT")
    other = tmp_path / "home"
    import_ptp([zipped], other)
    subject = claim({"code": "96374"})
    assert ncci(Engine(load_library(()), load_codes(other)), subject) == ncci(
        Engine(load_library(()), load_codes(home)), subject
    )
