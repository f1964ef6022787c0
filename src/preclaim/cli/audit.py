"""`preclaim audit FILE... --out DIR`: check years of claims (837P, CSV or Parquet line exports) per patient."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from preclaim.cli import Policies, err, out, per_core, run_guarded


class AuditEngine(StrEnum):
    local = "local"
    spark = "spark"


class TableFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


def _render(summary: dict[str, Any]) -> None:
    run = summary.get("run", {})
    head = "already complete: " if summary.get("already_complete") else ""
    out.print(
        f"{head}{summary['lines']:,} lines, {summary['claims']:,} claims, {summary['patients']:,} patients; "
        f"{summary['findings']:,} findings"
        + (f" in {run['seconds']:.1f} s ({run['lines_per_second']:,} lines/s)" if run.get("seconds") else "")
    )
    out.print("verdicts: " + ", ".join(f"{k} {v:,}" for k, v in summary["verdicts"].items()))
    if summary["rejected"]["claims"]:
        out.print(f"[yellow]{summary['rejected']['claims']} claim(s) could not be read[/]; see summary.json")
    table = Table("rule", "severity", "carc", "findings", "claims", title="findings by rule")
    for row in summary["rules"][:15]:
        table.add_row(row["rule"], row["severity"], row["carc"] or "", f"{row['findings']:,}", f"{row['claims']:,}")
    out.print(table)


def _progress(enabled: bool) -> tuple[Progress | None, Any]:
    if not enabled:
        return None, None
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("lines"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("reading", total=None)

    def update(phase: str, done: int, total: int | None) -> None:
        bar.update(task, description=phase, completed=done, total=total)

    return bar, update


def audit(
    files: Annotated[list[Path], typer.Argument(help="837P files and CSV/Parquet claim-line exports (docs/audit.md).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for findings, claims and summary.json.")],
    engine: Annotated[AuditEngine, typer.Option("--engine", help="local (DuckDB + processes) or spark.")] = (
        AuditEngine.local
    ),
    workers: Annotated[
        int, typer.Option("--workers", "--jobs", "-j", min=0, help="Worker processes (0: one per core).")
    ] = 0,
    table_format: Annotated[TableFormat, typer.Option("--format", help="Findings/claims file format.")] = (
        TableFormat.parquet
    ),
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="Send date for every claim (default: each claim's submitted_on, else its last date of service).",
        ),
    ] = None,
    lookback_days: Annotated[int, typer.Option("--lookback-days", min=0, help="History fed per claim.")] = 731,
    chunk_lines: Annotated[int, typer.Option("--chunk-lines", min=1, help="Lines per resumable chunk.")] = 20_000,
    policies: Policies = None,
    restart: Annotated[bool, typer.Option("--restart", help="Discard an audit of other inputs in --out.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json instead of a table.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Audit claims per patient in date order, each claim checked with the earlier ones as history.

    An interrupted audit resumes where it stopped when run again with the same inputs and --out."""

    def action() -> int:
        from preclaim.batch import AuditConfig, AuditOptions, run_audit
        from preclaim.paths import Settings

        settings = Settings.from_env()
        config = AuditConfig(
            inputs=tuple(files),
            out=out_dir,
            options=AuditOptions(as_of=as_of.date() if as_of else None, lookback_days=lookback_days),
            policy_dirs=(*settings.policy_dirs, *(policies or ())),
            home=settings.home,
            workers=per_core(workers),
            chunk_lines=chunk_lines,
            output_format=table_format.value,
            restart=restart,
        )
        if engine is AuditEngine.spark:
            from preclaim.batch.spark import run_spark_audit

            runner = run_spark_audit
        else:
            runner = run_audit
        bar, update = _progress(not quiet and err.is_terminal)
        if bar is None:
            summary = runner(config)
        else:
            with bar:
                summary = runner(config, update)
        if as_json:  # plain stdout: rich would wrap long lines and break the JSON
            sys.stdout.write(json.dumps(summary, indent=2, default=str) + "\n")
        else:
            _render(summary)
        return 0

    run_guarded(action)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
