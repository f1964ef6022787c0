"""The preclaim command as a user runs it: real processes, real files, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
AS_OF = ["--as-of", "2026-03-20"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preclaim", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def report(*args: str) -> dict:  # type: ignore[type-arg]
    result = run("check", *args, "--format", "json", "--history", str(EXAMPLES / "history.json"), *AS_OF)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_clean_example_is_clean_and_exits_0() -> None:
    result = run("check", str(EXAMPLES / "clean.json"), "--history", str(EXAMPLES / "history.json"), *AS_OF)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CLEAN" in result.stdout


@pytest.mark.parametrize(
    ("example", "verdict", "severity", "carc", "fix"),
    [
        ("j3424", "fix", "error", "CO-16", "J3420"),  # J3424 is IV hydroxocobalamin (CMS, 2024-04)
        ("units-1500mcg", "fix", "warning", None, "bill 2 units"),  # under-billed: lost revenue, not a denial
        ("jz-missing", "fix", "error", "CO-4", "JZ"),
        ("fatigue-only", "deny", "error", "CO-50", "D51.0"),
        ("too-soon", "fix", "warning", "CO-151", "hold the injection"),  # a medical-review risk, not a hard limit
        ("no-authorization", "fix", "error", "CO-197", "REF*G1"),
        ("99211-with-96372", "fix", "error", "CO-97", "99211"),
    ],
)
def test_each_planted_problem_is_reported(
    example: str, verdict: str, severity: str, carc: str | None, fix: str
) -> None:
    claim = report(str(EXAMPLES / f"{example}.json"))["claims"][0]
    assert claim["verdict"] == verdict
    problems = [f for f in claim["findings"] if f["severity"] != "info"]
    assert [(f["severity"], f["carc"]) for f in problems] == [(severity, carc)], problems
    assert fix in problems[0]["fix"]
    assert problems[0]["source"]["title"] and problems[0]["source"]["id"]


def test_json_contract_shape() -> None:
    doc = report(str(EXAMPLES / "all-claims.json"))
    assert len(doc["claims"]) == 8
    claim = doc["claims"][2]
    assert set(claim) >= {"claim_id", "verdict", "prior_auth", "findings", "checklist"}
    assert set(claim["prior_auth"]) >= {"status", "reasons"}
    finding = claim["findings"][0]
    assert set(finding) >= {"rule", "severity", "line", "message", "carc", "rarc", "fix", "source"}
    assert set(finding["source"]) >= {"id", "title", "url", "version"}
    assert all(item["status"] in ("met", "missing", "unknown") for item in claim["checklist"])


def test_text_summary_for_a_batch_exits_1() -> None:
    result = run("check", str(EXAMPLES / "all-claims.json"), "--history", str(EXAMPLES / "history.json"), *AS_OF)
    assert result.returncode == 1
    assert "8 claims: 1 clean, 6 to fix, 1 will deny" in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('{"id": "X"}', "Object missing required field"),
        (json.dumps({**json.loads((EXAMPLES / "clean.json").read_text()), "colour": "red"}), "unknown field `colour`"),
        ((EXAMPLES / "clean.json").read_text().replace('"units": 1,', '"units": "one",', 1), "$.lines[0].units"),
        ((EXAMPLES / "clean.json").read_text().replace("2026-03-16", "2026-02-30", 1), "$.lines[0].date_of_service"),
        ((EXAMPLES / "clean.json").read_text().replace("1951-04-12", "2027-04-12"), "patient.birth_date"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, content: str, expected: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = run("check", str(bad), *AS_OF)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    assert str(bad) in result.stderr.replace("\n", "")
    assert result.stdout == ""


def test_missing_file_is_exit_2() -> None:
    result = run("check", "no-such-claim.json")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def page_sections(code: str) -> list[dict[str, object]]:
    sections: list[dict[str, object]] = json.loads(run("code", code, "--format", "json").stdout)["sections"]
    return sections


def test_code_page_has_seven_sections_and_j3424_is_hydroxocobalamin() -> None:
    page = json.loads(run("code", "J3420", "--format", "json").stdout)
    assert [s["title"] for s in page["sections"]] == [
        "Definition",
        "Clinical context",
        "Common modifiers",
        "Documentation requirements",
        "Common denial reasons",
        "Special considerations for commercial insurers",
        "Similar codes",
    ]
    j3424 = run("code", "J3424", "--format", "json")
    assert j3424.returncode == 0
    page = json.loads(j3424.stdout)
    assert "hydroxocobalamin" in page["headline"] and "2024-04-01" in json.dumps(page["sections"][0])
    assert "J3420" in json.dumps(page["sections"][0])  # the note names the B12 code a biller meant
    assert "25 mg = 1 unit" in json.dumps(page["sections"][0])
    # Another catalog drug the policies now cover: the same seven sections, in its own units and vials, and no B12
    # advice dressed up as its own.
    ketorolac = json.loads(run("code", "J1885", "--format", "json").stdout)
    assert [s["title"] for s in ketorolac["sections"]] == [s["title"] for s in page_sections("J3420")]
    text = json.dumps(ketorolac)
    assert "15 mg" in ketorolac["headline"] and "1 unit per 15 mg" in text
    assert "cyanocobalamin" not in text.lower() and "b12" not in text.lower() and "1000 mcg" not in text
    assert "single-dose" in json.dumps(ketorolac["sections"][2])  # its vials, from the drug catalog
    # A code with no catalog drug and no policy: its definition, and no drug advice.
    pyridoxine = json.loads(run("code", "J3415", "--format", "json").stdout)
    assert [s["title"] for s in pyridoxine["sections"]] == ["Definition", "Payer rules"]
    unknown = run("code", "J3999")
    assert unknown.returncode != 0


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["--payer-id", "DEMO1"], "required"),
        (["--payer-id", "09102", "--filing", "MB", "--state", "FL"], "not-required"),
        (
            ["--payer-id", "WHA", "--payer-name", "Western Health Advantage", "--dose", "2000", "--dx", "D51.0"],
            "required",
        ),
        # Florida Medicaid fee-for-service: office-administered J3420 PA is not confirmed by a public source.
        (["--payer-id", "77027", "--filing", "MC", "--state", "FL"], "unknown"),
        (["--payer-id", "77027", "--filing", "MC", "--state", "FL", "--dialysis"], "not-required"),
        (["--payer-id", "NOBODY"], "unknown"),
    ],
)
def test_pa_answers(args: list[str], status: str) -> None:
    result = run("pa", *args, "--format", "json", *AS_OF)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["claims"][0]["prior_auth"]["status"] == status


@pytest.mark.parametrize(
    ("args", "program", "status"),
    [
        (["--program", "medicaid-ffs", "--state", "FL", "--dx", "N18.6"], "medicaid-ffs", "not-required"),
        (["--program", "medicaid-ffs", "--state", "FL"], "medicaid-ffs", "unknown"),
        (["--payer-id", "61101", "--payer-name", "Humana Gold Plus", "--state", "FL"], "medicare-advantage", "unknown"),
        (["--program", "medicare-advantage", "--state", "GA"], "medicare-advantage", "unknown"),
        (["--program", "medicare-ffs", "--state", "GA"], "medicare-ffs", "not-required"),
    ],
)
def test_pa_front_desk_asks_about_an_ma_or_medicaid_plan(args: list[str], program: str, status: str) -> None:
    result = run("pa", *args, "--format", "json", *AS_OF)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)["claims"][0]
    assert answer["program"]["id"] == program and answer["program"]["reason"]
    assert answer["prior_auth"]["status"] == status
    text = run("pa", *args, *AS_OF)
    assert "Program: " in text.stdout and "Prior authorization: " + status in text.stdout


def test_pa_program_that_contradicts_the_payer_is_one_line_exit_2() -> None:
    result = run("pa", "--program", "medicaid-ffs", "--payer-name", "Sunshine Health", *AS_OF)
    assert result.returncode == 2
    assert "medicaid-managed-care" in result.stderr and "Traceback" not in result.stderr
    unknown_state = run("pa", "--program", "medicaid-ffs", "--state", "ZZ", *AS_OF)
    assert unknown_state.returncode == 2 and "--payer-id" in unknown_state.stderr


def test_policies_list_show_validate(tmp_path: Path) -> None:
    listed = run("policies", "list")
    assert "lcd-l33967" in listed.stdout and "ILLUSTRATIVE" in listed.stdout
    shown = run("policies", "show", "lcd-l33967")
    assert "A57755" in shown.stdout
    (tmp_path / "bad.yaml").write_text(
        "id: x\ntitle: t\nversion: '1'\neffective: {start: 2024-01-01}\nsources: {}\n"
        "drugs: {J3420: {prior_auth: {requirement: none, source: s, reason: r}}}\n"
    )
    bad = run("policies", "validate", str(tmp_path))
    assert bad.returncode == 2 and "unknown source 's'" in bad.stdout
    assert run("policies", "validate").returncode == 0


def test_user_policy_folder_changes_the_answer(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(
        "id: acme\ntitle: Acme Health (test)\nversion: '1'\neffective: {start: 2020-01-01}\n"
        "match: {payer_ids: [ACME]}\nsources: {p: {title: Acme policy}}\n"
        "drugs: {J3420: {prior_auth: {requirement: always, source: p, reason: Acme requires PA}}}\n"
    )
    result = run("pa", "--payer-id", "ACME", "--policies", str(tmp_path), "--format", "json", *AS_OF)
    assert json.loads(result.stdout)["claims"][0]["prior_auth"]["status"] == "required"


@pytest.mark.parametrize(
    ("code", "dose", "units"),
    [("J1885", "30 mg", 2), ("J1885", "60 mg", 4), ("J1071", "200 mg", 200), ("J0696", "1 g", 4), ("J3411", "100", 1)],
)
def test_pa_units_come_from_the_catalog(code: str, dose: str, units: int) -> None:
    result = run("pa", "--program", "medicare-ffs", "--code", code, "--dose", dose, "--format", "json")
    claim = json.loads(result.stdout)["claims"][0]
    assert claim["drug_lines"] == [{"code": code, "units": units}]
    assert claim["prior_auth"]["status"] == "not-required"  # Medicare FFS has no PA program for these codes


def test_pa_code_names_the_drug_and_its_plan_rule() -> None:
    text = run("pa", "--payer-id", "DEMO1", "--code", "J1071", "--dose", "200 mg", "--dx", "E29.1").stdout
    assert "J1071 testosterone cypionate, 200 units" in text and "testosterone" in text and "required" in text
    volume = run("pa", "--payer-id", "DEMO1", "--code", "J1885", "--dose", "2 mL")
    assert volume.returncode == 2 and "not a volume" in volume.stderr and "Traceback" not in volume.stderr
    unknown = run("pa", "--payer-id", "DEMO1", "--code", "J9999")
    assert unknown.returncode == 2 and "J1885" in unknown.stderr  # the error lists the catalog's codes
