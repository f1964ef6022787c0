"""preclaim from Python (preclaim.check and friends): the same reports as `preclaim check`, whatever the source."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

import preclaim
from preclaim.domain.claim import Claim
from preclaim.domain.report import Report
from preclaim.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
AS_OF = dt.date(2026, 3, 20)


def cli_reports(*args: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "preclaim", "check", *args, "--format", "json", "--no-store"],
        capture_output=True,
        timeout=180,
        cwd=ROOT,
    )
    assert result.returncode in (0, 1), result.stderr.decode()
    claims: list[dict[str, Any]] = json.loads(result.stdout)["claims"]
    return claims


def as_json(reports: list[Report]) -> list[dict[str, Any]]:
    return json.loads(msgspec.json.encode(reports))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def batch_837(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic 837P whose later claims repeat or follow earlier ones of the same patients."""
    path = tmp_path_factory.mktemp("x12") / "batch.837"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "edi_generate.py"), "60", str(path), "--seed", "7"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return path


def test_json_claims_with_and_without_history_match_the_cli(engine: Any) -> None:
    claims = EXAMPLES / "all-claims.json"
    history = EXAMPLES / "history.json"
    with_history = preclaim.check(claims, history=history, as_of=AS_OF, engine=engine)
    assert as_json(with_history) == cli_reports(str(claims), "--history", str(history), "--as-of", "2026-03-20")
    alone = preclaim.check(str(claims), as_of=AS_OF, engine=engine)
    assert as_json(alone) == cli_reports(str(claims), "--as-of", "2026-03-20")
    # the example history is what makes the 10-day-old maintenance dose too soon
    too_soon = {r.claim_id for r in with_history if any(f.rule == "frequency.too-soon" for f in r.findings)}
    assert too_soon and not {r.claim_id for r in alone if any(f.rule == "frequency.too-soon" for f in r.findings)}


def test_an_837p_path_matches_the_cli_and_its_claims_are_history_for_each_other(engine: Any, batch_837: Path) -> None:
    reports = preclaim.check(batch_837, as_of=AS_OF, engine=engine)
    assert len(reports) == 60
    assert as_json(reports) == cli_reports(str(batch_837), "--as-of", "2026-03-20")
    # each claim alone (no in-file history) misses the injections the file itself shows too close together
    alone = [r for claim in preclaim.claims_of(batch_837) for r in preclaim.check(claim, as_of=AS_OF, engine=engine)]
    in_file = {r.claim_id for r in reports if any(f.rule == "frequency.too-soon" for f in r.findings)}
    assert in_file and not {r.claim_id for r in alone if any(f.rule == "frequency.too-soon" for f in r.findings)}


def test_x12_text_or_bytes_with_a_byte_order_mark_is_read_as_the_file(engine: Any, batch_837: Path) -> None:
    from_path = preclaim.check(batch_837, as_of=AS_OF, engine=engine)
    text = "\ufeff" + batch_837.read_text(encoding="ascii")
    assert preclaim.check(text, as_of=AS_OF, engine=engine) == from_path
    assert preclaim.check(text.encode("utf-8"), as_of=AS_OF, engine=engine) == from_path


def test_a_claim_object_gives_the_report_of_its_json(engine: Any) -> None:
    claim = msgspec.json.decode((EXAMPLES / "jz-missing.json").read_bytes(), type=Claim)
    (report,) = preclaim.check(claim, as_of=AS_OF, engine=engine)
    assert as_json([report]) == cli_reports(str(EXAMPLES / "jz-missing.json"), "--as-of", "2026-03-20")
    assert any(f.rule == "modifiers.jz-missing" for f in report.findings)
    history = msgspec.json.decode((EXAMPLES / "history.json").read_bytes(), type=preclaim.History)
    assert preclaim.check(claim, history=history, as_of=AS_OF, engine=engine) == preclaim.check(
        claim, history=EXAMPLES / "history.json", as_of=AS_OF, engine=engine
    )


def test_stored_history_counts_but_a_claim_checked_again_is_not_its_own_duplicate(engine: Any, tmp_path: Path) -> None:
    from preclaim.store import Store, StoreHistory, record_check

    claim = msgspec.json.decode((EXAMPLES / "clean.json").read_bytes(), type=Claim)
    later = msgspec.structs.replace(
        claim,
        id="CLEAN-LATER",
        lines=tuple(msgspec.structs.replace(line, date_of_service=dt.date(2026, 3, 26)) for line in claim.lines),
    )
    with Store.open(f"sqlite:///{tmp_path / 'h.db'}") as store:
        stored = StoreHistory(store)
        (first,) = preclaim.check(claim, as_of=AS_OF, engine=engine, stored=stored)
        record_check(store, claim, first, as_history=True)
        (again,) = preclaim.check(claim, as_of=AS_OF, engine=engine, stored=stored)
        (next_one,) = preclaim.check(later, as_of=dt.date(2026, 3, 27), engine=engine, stored=stored)
    assert first.verdict == again.verdict == "clean"
    assert ("frequency.too-soon", "CO-151") in {(f.rule, f.carc) for f in next_one.findings}


def test_prior_auth_and_bad_input(engine: Any, tmp_path: Path) -> None:
    ((claim_id, decision),) = preclaim.prior_auth(EXAMPLES / "no-authorization.json", as_of=AS_OF, engine=engine)
    assert claim_id and decision.status == "required"
    with pytest.raises(InputError) as bad:
        preclaim.check(b'{"id": "X"}', as_of=AS_OF, engine=engine)
    assert "input" in str(bad.value)
    missing = tmp_path / "nowhere.json"
    with pytest.raises(InputError, match=r"nowhere\.json"):
        preclaim.check(missing, engine=engine)


def test_import_preclaim_stays_cheap() -> None:
    code = "import sys, preclaim; print(sorted(m for m in sys.modules if m.startswith('preclaim')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    # preclaim.native only picks the compiled or the pure-Python engine (a few stat calls): nothing heavy loads.
    assert result.stdout.strip() == "['preclaim', 'preclaim.native']"
