"""`preclaim history import FILE...`: claims (837P, CSV), chart administrations (CSV), payments (835)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from preclaim.cli import AsOf, Format, OutputFormat, as_of_date, err, out, run_guarded
from preclaim.domain import History
from preclaim.store import ImportResult, Store, import_history_file
from preclaim.store.ingest import Progress as ProgressCallback

history_app = typer.Typer(help="The history store: claims, administrations, payments (SQLite or PostgreSQL).")
Db = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: $PRECLAIM_DB, else SQLite in the data dir)."),
]


@contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[ProgressCallback]:
    """A rich progress bar on stderr; the callback takes (done, total-or-None)."""
    if not enabled:
        yield lambda _done, _total: None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _summary(result: ImportResult) -> str:
    extra = "".join(f", {n} {name}" for name, n in result.counts.items())
    return f"{result.kind}: {result.added} added, {result.updated} updated, {result.unchanged} unchanged{extra}"


@history_app.command("import")
def import_command(
    files: Annotated[
        list[Path], typer.Argument(help="837P, 835, claim JSON or history CSV files (see docs/store.md).")
    ],
    db: Db = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Import history; importing the same file again adds nothing, and an interrupted import can be re-run."""

    def action() -> int:
        skipped = 0
        with Store.open(db) as store:
            for path in files:
                try:
                    with progress_bar(path.name, not quiet and err.is_terminal) as update:
                        results = import_history_file(store, path, progress=update)
                except KeyboardInterrupt:
                    err.print(
                        f"{path}: interrupted; every claim imported so far is kept, run the same command "
                        "again to finish",
                        soft_wrap=True,
                    )
                    return 130
                for result in results:
                    out.print(f"{path}: {_summary(result)}", soft_wrap=True)
                    for problem in result.problems[:5]:
                        err.print(f"[yellow]skipped:[/] {escape(problem)}", soft_wrap=True)
                    if len(result.problems) > 5:
                        err.print(f"... and {len(result.problems) - 5} more skipped", soft_wrap=True)
                    skipped += len(result.problems)
        return 1 if skipped else 0  # 1: imported what could be read, some claims need fixing

    run_guarded(action)


@history_app.command("show")
def show_command(
    patient: Annotated[str, typer.Argument(help="Pseudonymous patient key.")],
    as_of: AsOf = None,
    fmt: Format = OutputFormat.text,
    db: Db = None,
) -> None:
    """What the store knows about a patient up to a date: what `preclaim check` passes to the rules."""

    def action() -> int:
        import msgspec

        from preclaim.store import load_history

        with Store.open(db) as store:
            history = load_history(store, patient, as_of_date(as_of))
        if fmt is OutputFormat.json:
            sys.stdout.buffer.write(msgspec.json.encode(history) + b"\n")
            return 0
        for adm in history.administrations:
            dose = f", {adm.dose}" if adm.dose is not None else ""
            out.print(f"chart  {adm.date}  {adm.code} x {adm.units:g}{dose}", soft_wrap=True)
        for claim in history.claims:
            lines = ", ".join(f"{ln.code} x {ln.units:g}" for ln in claim.lines)
            out.print(f"claim  {claim.first_date_of_service}  {claim.id} ({claim.payer.id}): {lines}", soft_wrap=True)
        for auth in history.authorizations:
            left = "no cap" if auth.units_left is None else f"{auth.units_left:g} left"
            out.print(
                f"auth   {auth.start}..{auth.end}  {auth.number} ({auth.payer_id}, {auth.code}) {auth.status}, "
                f"{auth.used_units:g} used, {left}",
                soft_wrap=True,
            )
        if history == History():
            out.print(f"nothing on file for {patient}", soft_wrap=True)
        return 0

    run_guarded(action)


@history_app.command("imports")
def imports_command(db: Db = None, limit: Annotated[int, typer.Option("--limit")] = 20) -> None:
    """Recent imports (history files, authorizations, policies, code lists); `running` = interrupted."""

    def action() -> int:
        from preclaim.store import list_imports

        with Store.open(db) as store:
            runs = list_imports(store, limit)
        for run in runs:
            when = run.started_at.strftime("%Y-%m-%d %H:%M")
            counts = f"{run.added} added, {run.updated} updated, {run.unchanged} unchanged"
            status = "interrupted or running" if run.status == "running" else run.status
            out.print(f"{when}  {run.kind:<28} {status:<10} {counts}  {run.source}", soft_wrap=True)
        if not runs:
            out.print("no imports yet")
        return 0

    run_guarded(action)


def register(app: typer.Typer) -> None:
    app.add_typer(history_app, name="history")
