"""`preclaim auth ...` end to end on a SQLite store: request out, decision in, units consumed, expiry warning."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import msgspec
import pytest
import typer
from pas_helpers import make_pa_claim
from typer.testing import CliRunner

from preclaim.cli.auth import register as register_auth
from preclaim.cli.history import register as register_history
from preclaim.domain import Claim
from preclaim.fhir.pas_validate import validate_pas

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PRECLAIM_DB", raising=False)
    monkeypatch.setenv("PRECLAIM_HOME", str(tmp_path / "home"))
    app = typer.Typer()
    register_auth(app)
    register_history(app)

    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, list(args))
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_authorization_round_trip(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    claim_file = tmp_path / "claim.json"
    claim_file.write_bytes(msgspec.json.encode(make_pa_claim()))
    code, stdout, _ = run("auth", "request", str(claim_file), "--as", "pas")
    assert code == 0 and validate_pas(json.loads(stdout), "request")
    code, stdout, _ = run("auth", "request", str(claim_file), "--as", "278", "-o", str(tmp_path / "req.x12"))
    assert code == 0 and (tmp_path / "req.x12").read_text().startswith("ISA*")

    code, stdout, stderr = run("auth", "record", str(FIXTURES / "278_response_partial.x12"), "--patient", "PAT-77",
                               "--as-of", "2026-03-02")  # fmt: skip
    assert code == 0, stderr
    assert "A2 partial: AUTH-278-0002 (INVENTED-PAYER, J3420) 2026-03-03 to 2026-05-31, 3 unit(s): added" in stdout
    assert "skipped: decision 2 (A3, 96372) carries no authorization number" in stderr

    history = tmp_path / "claims.csv"
    history.write_text(
        "claim_id,payer_id,patient_key,date_of_service,code,units,prior_auth\n"
        "PA-1,INVENTED-PAYER,PAT-77,2026-03-03,J3420,1,AUTH-278-0002\n"
        "PA-2,INVENTED-PAYER,PAT-77,2026-04-03,J3420,1,AUTH-278-0002\n"
    )
    assert run("history", "import", str(history))[0] == 0
    code, stdout, stderr = run("auth", "list", "--as-of", "2026-05-10")
    assert code == 0
    assert "AUTH-278-0002" in stdout and "2/3" in stdout and "expires in 21 day(s)" in stdout
    assert "warning: authorization AUTH-278-0002 (INVENTED-PAYER) expires on 2026-05-31" in stderr
    code, stdout, _ = run("auth", "list", "--format", "json", "--as-of", "2026-05-10")
    (auth,) = json.loads(stdout)["authorizations"]
    assert (auth["used_units"], auth["units_left"], auth["status"]) == (2, 1, "partial")
    code, stdout, _ = run("auth", "show", "AUTH-278-0002")
    assert "claim PA-1 on 2026-03-03: 1 unit(s)" in stdout and "left 1" in stdout


def test_auth_add_import_and_errors_exit_2_with_one_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert (
        run("auth", "add", "A-1", "--payer", "P", "--start", "2026-01-01", "--end", "2026-06-30", "--units", "6")[0]
        == 0
    )
    code, _, stderr = run("auth", "add", "A-2", "--payer", "P", "--start", "2026-02-01", "--end", "2026-01-01")
    assert code == 2 and "--end 2026-01-01 is before --start 2026-02-01" in stderr and "Traceback" not in stderr
    good = tmp_path / "auths.csv"
    good.write_text(
        "number,payer_id,code,start,end,approved_units,patient_key\nA-3,P,J3420,2026-01-01,2026-12-31,12,K\n"
    )
    code, stdout, _ = run("auth", "import", str(good))
    assert code == 0 and "1 added" in stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("number,payer_id,code,start,end,status\nA-4,P,J3420,2026-01-01,2026-12-31,approved\n"
                   "A-5,P,J3420,2026-01-01,2026-12-31,maybe\n")  # fmt: skip
    code, _, stderr = run("auth", "import", str(bad))
    assert code == 2 and "bad.csv:3: column 'status': found 'maybe'" in stderr
    code, stdout, _ = run("auth", "list", "--format", "json", "--as-of", "2026-03-01")
    assert sorted(a["number"] for a in json.loads(stdout)["authorizations"]) == ["A-1", "A-3"]  # A-4 not stored
    code, _, stderr = run("auth", "record", str(bad))
    assert code == 2 and "expected a PAS response Bundle (JSON) or an X12 278 response" in stderr
    code, _, stderr = run("auth", "record", str(FIXTURES / "278_response_rejected.x12"))
    assert code == 2 and "AAA03: the payer rejected the request" in stderr


def test_check_sees_the_authorization_on_file_and_its_units(tmp_path: Path) -> None:
    """The real `preclaim` CLI: 278 decision recorded, a claim carrying the number consumes units, and a
    later claim asking for more units than are left gets CO-198 from the engine."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PRECLAIM_HOME": str(tmp_path / "home")}
    env.pop("PRECLAIM_DB", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        code = "from preclaim.cli import main; main()"
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)

    # The demo plan's (illustrative) policy requires authorization for J3420; the example claim is for it.
    example = msgspec.json.decode((EXAMPLES / "no-authorization.json").read_bytes(), type=Claim)
    recorded = cli("auth", "record", str(FIXTURES / "278_response_approved.x12"), "--patient", example.patient.key,
                   "--payer", example.payer.id)  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr  # AUTH-278-0001: 6 units, 2026-03-03..2026-08-31
    claim = msgspec.structs.replace(example, prior_auth="AUTH-278-0001")
    first = tmp_path / "first.json"
    first.write_bytes(msgspec.json.encode(claim))
    assert cli("check", str(first), "--as-of", "2026-03-20").returncode == 0  # the authorization on file: clean
    assert cli("history", "import", str(first)).returncode == 0  # sent: it now uses 1 unit
    listed = cli("auth", "list", "--format", "json", "--as-of", "2026-03-20")
    (auth,) = json.loads(listed.stdout)["authorizations"]
    assert (auth["used_units"], auth["units_left"]) == (1, 5)
    later = [msgspec.structs.replace(ln, date_of_service=dt.date(2026, 4, 16)) for ln in claim.lines]
    lines = tuple(msgspec.structs.replace(ln, units=6) if ln.code == "J3420" else ln for ln in later)
    second = tmp_path / "second.json"
    second.write_bytes(msgspec.json.encode(msgspec.structs.replace(claim, id="PA-0002", lines=lines)))
    checked = cli("check", str(second), "--format", "json", "--as-of", "2026-04-20")
    carcs = [f["carc"] for f in json.loads(checked.stdout)["claims"][0]["findings"]]
    assert "CO-198" in carcs, checked.stdout
