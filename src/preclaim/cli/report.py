"""`preclaim report`: were the predictions right? Stored checks against stored 835 outcomes (text, JSON, CSV)."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from preclaim.cli import out, run_guarded
from preclaim.cli.history import Db
from preclaim.store import Store
from preclaim.store.outcomes import Counts, OutcomeReport, outcome_report


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _counts_json(counts: Counts) -> dict[str, Any]:
    return {
        "tp": counts.tp,
        "fp": counts.fp,
        "fn": counts.fn,
        "tn": counts.tn,
        "precision": counts.precision,
        "recall": counts.recall,
    }


def to_json(report: OutcomeReport) -> dict[str, Any]:
    return {
        "compared": report.compared,
        "payments_without_check": report.payments_without_check,
        "checks_without_payment": report.checks_without_payment,
        "clean_claim_rate": report.clean_claim_rate,
        "predicted_clean_rate": report.predicted_clean_rate,
        "denials": _counts_json(report.overall),
        "per_payer": {k: _counts_json(v) for k, v in report.per_payer.items()},
        "per_carc": {k: _counts_json(v) for k, v in report.per_carc.items()},
        "missed": [
            {"carc": m.carc, "claims": m.claims, "examples": list(m.examples), "rarc": list(m.remarks)}
            for m in report.missed
        ],
    }


def write_csv(report: OutcomeReport) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["scope", "key", "tp", "fp", "fn", "tn", "precision", "recall"])
    rows = [("all", "denials", report.overall)]
    rows += [("payer", k, v) for k, v in report.per_payer.items()]
    rows += [("carc", k, v) for k, v in report.per_carc.items()]
    for scope, key, c in rows:
        cells = [c.tp, c.fp, c.fn, c.tn, *("" if x is None else f"{x:.4f}" for x in (c.precision, c.recall))]
        writer.writerow([scope, key, *cells])


def _table(title: str, label: str, rows: dict[str, Counts]) -> Table:
    table = Table(
        label,
        "predicted & denied",
        "predicted, paid",
        "missed",
        "precision",
        "recall",
        title=title,
        box=None,
        pad_edge=False,
        title_justify="left",
    )
    for key, c in rows.items():
        table.add_row(key, str(c.tp), str(c.fp), str(c.fn), _pct(c.precision), _pct(c.recall))
    return table


def render_text(report: OutcomeReport, console: Console) -> None:
    if report.compared == 0:
        console.print(
            f"nothing to compare: {report.payments_without_check} payment(s) without a stored check, "
            f"{report.checks_without_payment} checked claim(s) without a payment "
            "(import 835s with `preclaim history import` and check claims with the store on)",
            soft_wrap=True,
        )
        return
    c = report.overall
    console.print(
        f"[bold]{report.compared} claim(s) compared[/] (checked, then paid or denied); "
        f"clean-claim rate {_pct(report.clean_claim_rate)} (predicted {_pct(report.predicted_clean_rate)})",
        soft_wrap=True,
    )
    console.print(
        f"denials: precision {_pct(c.precision)}, recall {_pct(c.recall)} "
        f"({c.tp} predicted and denied, {c.fp} predicted but paid, {c.fn} missed)",
        soft_wrap=True,
    )
    console.print(_table("per payer", "payer", report.per_payer))
    console.print(_table("per CARC", "CARC", report.per_carc))
    if report.missed:
        console.print("[bold]top missed causes[/]")
        for m in report.missed:
            rarc = f", RARC {' '.join(m.remarks)}" if m.remarks else ""
            console.print(f"  CARC {m.carc}: {m.claims} claim(s){rarc} (e.g. {', '.join(m.examples)})", soft_wrap=True)
    if report.payments_without_check or report.checks_without_payment:
        console.print(
            f"not compared: {report.payments_without_check} payment(s) without a check, "
            f"{report.checks_without_payment} checked claim(s) without a payment yet",
            soft_wrap=True,
        )


def report(
    fmt: Annotated[ReportFormat, typer.Option("--format", help="text, json or csv.")] = ReportFormat.text,
    top: Annotated[int, typer.Option("--top", help="How many missed causes to list.")] = 10,
    db: Db = None,
) -> None:
    """How good were the predictions: denial precision and recall per payer and CARC, clean-claim rate."""

    def action() -> int:
        with Store.open(db) as store:
            result = outcome_report(store, top=top)
        if fmt is ReportFormat.json:
            sys.stdout.write(json.dumps(to_json(result), indent=2) + "\n")
        elif fmt is ReportFormat.csv:
            write_csv(result)
        else:
            render_text(result, out if out.is_terminal else Console(highlight=False, width=160))
        return 0

    run_guarded(action)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
