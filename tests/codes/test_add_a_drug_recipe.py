"""docs/add-a-drug.md, followed literally: the files it shows are written to a temporary folder, the commands it
shows are run with the real CLI, and what a user would see is asserted. The test fails when the recipe's steps
stop working or the page and the program part ways."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "docs" / "add-a-drug.md"
FILE = re.compile(r"<!-- recipe-file: (?P<path>\S+) -->\n```\w+\n(?P<body>.*?)```", re.S)
COMMANDS = re.compile(r"<!-- recipe-commands -->\n```bash\n(?P<body>.*?)```", re.S)


def _preclaim(folder: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRECLAIM_HOME": str(folder / "home")}
    env.pop("PRECLAIM_POLICIES", None)
    return subprocess.run(
        [sys.executable, "-m", "preclaim", *args], capture_output=True, text=True, cwd=folder, env=env, timeout=120
    )


@pytest.fixture
def followed(tmp_path: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Write every file the recipe shows and run every command it shows, in order; the results by command."""
    text = RECIPE.read_text()
    files = {m["path"]: m["body"] for m in FILE.finditer(text)}
    assert set(files) == {"home/drugs/J3415.yaml", "my-policies/acme.yaml", "claim.json"}, files.keys()
    for path, body in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(body)
    commands = COMMANDS.search(text)
    assert commands is not None, "the recipe lost its commands block"
    results = {}
    for line in commands["body"].splitlines():
        words = shlex.split(line)
        if words[0] == "export":  # the data folder: what _preclaim sets
            assert words[1] == "PRECLAIM_HOME=$PWD/home"
            continue
        assert words[0] == "preclaim", line
        results[words[1]] = _preclaim(tmp_path, words[1:])
    return results


def test_the_recipe_adds_a_drug_a_user_can_check(followed: dict[str, subprocess.CompletedProcess[str]]) -> None:
    validate = followed["policies"]
    assert validate.returncode == 0, validate.stderr
    assert "ok" in validate.stdout and "acme-drugs" in validate.stdout
    page = followed["code"]
    assert page.returncode == 0, page.stderr
    assert "Injection, pyridoxine hcl, 100 mg" in page.stdout and "1 single-dose" in page.stdout
    check = followed["check"]
    assert check.returncode == 1, check.stdout + check.stderr  # problems found: the claim needs fixing
    shown = " ".join(check.stdout.split())
    for expected in (
        "CO-16 M53 [units.ndc-quantity]",  # the policy's units and the package strength: 2 mL is 2 units
        "NDC quantity 2 ML (200 mg) means 2 units, but 1 billed",
        "CO-4 [modifiers.jz-missing]",  # the drug file's vial type
        "CO-50 [diagnosis.not-covered]",  # the policy's covered list
        "ILLUSTRATIVE",  # the example payer is labelled as invented
    ):
        assert expected in shown, expected


def test_the_fixed_claim_is_clean(followed: dict[str, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    claim = json.loads((tmp_path / "claim.json").read_text())
    claim["lines"][1].update(units=2, modifiers=["JZ"])
    claim["diagnoses"] = [{"code": "E53.1"}]
    (tmp_path / "fixed.json").write_text(json.dumps(claim))
    result = _preclaim(
        tmp_path, ["check", "fixed.json", "--policies", "my-policies", "--as-of", "2026-03-20", "--no-store"]
    )
    assert result.returncode == 0 and "CLEAN" in result.stdout, result.stdout + result.stderr


def test_a_broken_drug_file_stops_with_one_line(
    followed: dict[str, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    drug = tmp_path / "home" / "drugs" / "J3415.yaml"
    drug.write_text(drug.read_text().replace("measure: mg", "measure: mgs"))
    result = _preclaim(tmp_path, ["check", "claim.json", "--policies", "my-policies", "--no-store"])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "J3415.yaml" in result.stderr and "billing_unit.measure" in result.stderr and "'mgs'" in result.stderr
