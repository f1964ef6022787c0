"""`preclaim report`: stored predictions against stored 835 outcomes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
import typer
from store_helpers import DENIED_K2, PAID_K1, make_claim, x12_835
from typer.testing import CliRunner

from preclaim.cli.report import register
from preclaim.domain import Finding, PriorAuthDecision, Report, Source
from preclaim.store import Store, import_history_file, record_check
from preclaim.store.outcomes import outcome_report

SOURCE = Source("TEST", "invented test policy")
PAID_CLEAN = ["CLP*CLM-4*1*25.00*25.00**12*ICN0004", "SVC*HC:J3420*25.00*25.00**1", "DTM*472*20260304"]
PAID_REDUCED = ["CLP*CLM-3*1*25.00*20.00**12*ICN0003", "SVC*HC:J3420*25.00*20.00**1", "DTM*472*20260305",
                "CAS*CO*45*5.00"]  # fmt: skip
NOT_CHECKED = ["CLP*CLM-5*1*25.00*25.00**12*ICN0005", "SVC*HC:J3420*25.00*25.00**1", "DTM*472*20260306"]


def _report(claim_id: str, verdict: str, *carcs: str) -> Report:
    findings = tuple(Finding(f"rule-{c}", "error", 1, "invented", c, (), None, SOURCE) for c in carcs)
    return Report(claim_id, verdict, PriorAuthDecision("not-required", ()), findings, ())  # type: ignore[arg-type]


def _fill(store: Store, tmp_path: Path) -> None:
    record_check(store, make_claim("CLM-1"), _report("CLM-1", "clean"))  # paid, but 96372 bundled (CO-97): missed
    # The same claim number used a year earlier (another claim): its check must not be taken for this one.
    record_check(store, make_claim("CLM-1", day=dt.date(2025, 1, 9)), _report("CLM-1", "deny", "CO-50"))
    record_check(store, make_claim("CLM-2"), _report("CLM-2", "deny", "CO-50"))  # denied CO-50: right
    record_check(store, make_claim("CLM-3"), _report("CLM-3", "fix", "CO-16"))  # paid (CO-45 is no denial): wrong
    record_check(store, make_claim("CLM-4"), _report("CLM-4", "clean"))  # paid: right
    record_check(store, make_claim("CLM-6"), _report("CLM-6", "clean"))  # no payment yet
    era = tmp_path / "era.835"
    era.write_text(x12_835([PAID_K1, DENIED_K2, PAID_REDUCED, PAID_CLEAN, NOT_CHECKED], paid="95.00"))
    import_history_file(store, era)


def test_precision_recall_clean_claim_rate_and_missed_causes(store: Store, tmp_path: Path) -> None:
    _fill(store, tmp_path)
    result = outcome_report(store)
    assert (result.compared, result.payments_without_check, result.checks_without_payment) == (4, 1, 1)
    o = result.overall
    assert (o.tp, o.fp, o.fn, o.tn, o.precision, o.recall) == (1, 1, 1, 1, 0.5, 0.5)
    assert (result.clean_claim_rate, result.predicted_clean_rate) == (0.5, 0.5)
    assert {k: (c.tp, c.fp, c.fn) for k, c in result.per_carc.items()} == {
        "16": (0, 1, 0),
        "50": (1, 0, 0),
        "97": (0, 0, 1),
    }
    assert list(result.per_payer) == ["PAYER-A"]
    (missed,) = result.missed
    assert (missed.carc, missed.claims, missed.examples) == ("97", 1, ("CLM-1",))


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:  # keeps `report` a sub-command, as in the real CLI
        pass

    return app


def test_report_cli_text_json_csv(app: typer.Typer, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with Store.open(url) as store:
        _fill(store, tmp_path)
    text = CliRunner().invoke(app, ["report", "--db", url])
    assert text.exit_code == 0, text.output
    assert "4 claim(s) compared" in text.stdout and "clean-claim rate 50%" in text.stdout
    assert "denials: precision 50%, recall 50%" in text.stdout and "CARC 97: 1 claim(s)" in text.stdout
    data = json.loads(CliRunner().invoke(app, ["report", "--db", url, "--format", "json"]).stdout)
    assert data["denials"]["precision"] == 0.5 and data["per_carc"]["50"]["tp"] == 1
    rows = list(csv.DictReader(io.StringIO(CliRunner().invoke(app, ["report", "--db", url, "--format", "csv"]).stdout)))
    assert {(r["scope"], r["key"]) for r in rows} == {("all", "denials"), ("payer", "PAYER-A"), ("carc", "16"),
                                                     ("carc", "50"), ("carc", "97")}  # fmt: skip


def test_report_on_an_empty_store_says_what_to_do(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--db", f"sqlite:///{tmp_path / 'e.db'}"])
    assert result.exit_code == 0 and "nothing to compare" in result.stdout
