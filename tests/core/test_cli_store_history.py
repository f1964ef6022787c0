"""`preclaim check` with the history store: what was imported before is history for what is checked now."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run(env: dict[str, str], *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "preclaim", *args], capture_output=True, env=env, input=stdin, timeout=180, cwd=ROOT
    )


def test_imported_claim_makes_a_later_injection_too_soon(tmp_path: Path) -> None:
    env = {**os.environ, "PRECLAIM_HOME": str(tmp_path / "home")}
    env.pop("PRECLAIM_DB", None)
    imported = run(env, "history", "import", str(EXAMPLES / "clean.json"))
    assert imported.returncode == 0, imported.stderr.decode()

    later = json.loads((EXAMPLES / "clean.json").read_text())
    later["id"] = "CLEAN-LATER"
    for line in later["lines"]:
        line["date_of_service"] = "2026-03-26"
    result = run(env, "check", "-", "--format", "json", "--as-of", "2026-03-27", stdin=json.dumps(later).encode())
    report = json.loads(result.stdout)["claims"][0]
    assert ("frequency.too-soon", "CO-151") in {(f["rule"], f["carc"]) for f in report["findings"]}

    alone = run(env, "check", "-", "--no-store", "--format", "json", "--as-of", "2026-03-27",
                stdin=json.dumps(later).encode())  # fmt: skip
    assert json.loads(alone.stdout)["claims"][0]["verdict"] == "clean"


def test_x12_from_stdin(tmp_path: Path, samples: Path) -> None:
    env = {**os.environ, "PRECLAIM_HOME": str(tmp_path / "home")}
    data = (samples / "x12" / "837p" / "demo.drug.example10.1.837").read_bytes()
    result = run(env, "check", "-", "--format", "json", "--as-of", "2004-08-01", stdin=data)
    assert result.returncode in (0, 1), result.stderr.decode()
    assert json.loads(result.stdout)["claims"][0]["claim_id"] == "CLMNO12345"
