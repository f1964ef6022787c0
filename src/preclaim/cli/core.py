"""Core commands: check, pa, code, policies."""

from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.markup import escape

from preclaim.cli import AsOf, Format, OutputFormat, Policies, as_of_date, out, per_core, run_guarded
from preclaim.cli.pa import pa as pa_command
from preclaim.cli.render import render_report, render_summary
from preclaim.cli.store_link import open_link
from preclaim.codepage import code_page
from preclaim.errors import InputError, PreclaimError
from preclaim.facade import check_many, given_history, load_engine, read_input
from preclaim.io.report_json import reports_to_json
from preclaim.paths import Settings
from preclaim.policy import load_library, load_policy_file, policy_dirs
from preclaim.policy.loader import hcpcs_codes, policy_files


def _stdin_to_file() -> Path:
    """Standard input, spooled to a temporary file (an 837P is read twice: history first, then checks)."""
    spool = tempfile.NamedTemporaryFile(prefix="preclaim-stdin-", delete=False)  # noqa: SIM115
    with spool:
        shutil.copyfileobj(sys.stdin.buffer, spool)
    return Path(spool.name)


def check(
    file: Annotated[
        Path,
        typer.Argument(help="Claim JSON (one claim, a list, or {'claims': [...]}) or an 837P file; '-' reads stdin."),
    ],
    history: Annotated[
        Path | None, typer.Option("--history", help="History JSON: administrations, claims, authorizations.")
    ] = None,
    as_of: AsOf = None,
    fmt: Format = OutputFormat.text,
    policies: Policies = None,
    fix_out: Annotated[
        Path | None, typer.Option("--fix-out", help="837P only: write the claims with mechanical fixes.")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="837P only: also validate with pyx12.")] = False,
    use_store: Annotated[
        bool, typer.Option("--store/--no-store", help="Read history from and keep reports in the history store.")
    ] = True,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", min=0, help="837P only: processes that share the file (same reports; 0: one per core)."
        ),
    ] = 1,
) -> None:
    """Check claims: verdict clean/fix/deny, findings with CARC/RARC, fix and source, prior auth, checklist."""

    def action() -> int:
        source = _stdin_to_file() if str(file) == "-" else file
        try:
            return _check_file(source, "-" if str(file) == "-" else str(file))
        finally:
            if source is not file:
                source.unlink(missing_ok=True)

    def _check_file(source: Path, name: str) -> int:
        settings = Settings.from_env()
        engine = load_engine(policies or (), settings)
        past = given_history(history)
        day = as_of_date(as_of)
        read = read_input(source, name=name)
        if read.kind == "x12":
            x12 = importlib.import_module("preclaim.cli.x12")  # an edge module; imported only for X12 input
            with open_link(use_store, False, settings) as link:
                stored = link.stored if link else None
                processes = per_core(jobs)
                code: int = x12.run_x12_check(source, engine, day, fmt.value, fix_out, strict, past, stored, processes)
                return code
        if fix_out is not None or strict:
            raise InputError("--fix-out and --strict apply to 837P files only", where=name)
        reports = []
        with open_link(use_store, True, settings) as link:
            for done in check_many(read, engine=engine, history=past, stored=link.stored if link else None, as_of=day):
                assert done.claim is not None and done.report is not None  # JSON: every claim is read or none is
                reports.append(done.report)
                if link:
                    link.keep(done.claim, done.report)
        if fmt is OutputFormat.json:
            sys.stdout.buffer.write(reports_to_json(reports) + b"\n")
        else:
            for report in reports:
                render_report(out, report)
            if len(reports) > 1:
                render_summary(out, reports)
        return 0 if all(r.verdict == "clean" for r in reports) else 1

    run_guarded(action)


def code(
    value: Annotated[str, typer.Argument(help="HCPCS/CPT code, e.g. J3420")],
    fmt: Format = OutputFormat.text,
    policies: Policies = None,
) -> None:
    """A code page: definition, clinical context, modifiers, documentation, denials, commercial plans, similar codes."""

    def action() -> int:
        engine = load_engine(policies or ())
        page = code_page(value, engine.codes, engine.policies)
        if page is None:
            raise InputError(
                f"{value!r} is not in the bundled code sets; import the CMS HCPCS file to look it up",
                where="code",
            )
        if fmt is OutputFormat.json:
            sys.stdout.buffer.write(msgspec.json.encode(page) + b"\n")
            return 0
        out.rule(f"[bold]{page.code}[/]  {page.headline}")
        for section in page.sections:
            out.print(f"\n[bold underline]{section.title}[/]")
            for line in section.lines:
                out.print(f"  - {line}")
            for source in section.sources:
                out.print(f"    source: {source.title}" + (f" <{source.url}>" if source.url else ""), style="dim")
        return 0 if page.status == "active" else 1

    run_guarded(action)


class PolicyAction(StrEnum):
    list = "list"
    show = "show"
    validate = "validate"


def policies_cmd(
    action_name: Annotated[PolicyAction, typer.Argument(metavar="list|show|validate")],
    target: Annotated[str | None, typer.Argument(help="show: policy id; validate: file or folder")] = None,
    policies: Policies = None,
    fmt: Format = OutputFormat.text,
) -> None:
    """List the policies on file, show one with its sources, or validate policy files."""

    def action() -> int:
        if action_name is PolicyAction.validate:
            return _validate(target)
        settings = Settings.from_env()
        library = load_library([*settings.policy_dirs, *(policies or ())], home=settings.home)
        if action_name is PolicyAction.list:
            rows = [
                {
                    "id": p.id,
                    "title": p.title,
                    "version": p.version,
                    "layer": p.layer,
                    "effective": p.effective.start.isoformat(),
                    "illustrative": p.illustrative,
                }
                for p in library.policies
            ]
            if fmt is OutputFormat.json:
                sys.stdout.buffer.write(msgspec.json.encode(rows) + b"\n")
            for row in rows if fmt is OutputFormat.text else ():
                tag = " [ILLUSTRATIVE]" if row["illustrative"] else ""
                out.print(f"{row['id']:<24} {row['title']}{tag}  (v{row['version']}, from {row['effective']})")
            return 0
        found = library.get(target or "")
        if found is None:
            raise InputError(f"no policy with id {target!r}; see `preclaim policies list`", where="policies show")
        if fmt is OutputFormat.json:
            sys.stdout.buffer.write(msgspec.json.encode(found) + b"\n")
        else:
            out.print(msgspec.yaml.encode(found).decode())
        return 0

    run_guarded(action)


def _validate(target: str | None) -> int:
    settings = Settings.from_env()
    paths = [Path(target)] if target else policy_dirs(settings.policy_dirs, home=settings.home)
    files: list[Path] = []
    for path in paths:
        files.extend(policy_files(path) if path.is_dir() else [path])
    problems = 0
    known = hcpcs_codes(home=settings.home)  # bundled codes and any CMS file imported into the data folder
    for file in files:
        try:
            policy = load_policy_file(file, known)
            out.print(f"[green]ok[/]  {file}  ({policy.id})")
        except PreclaimError as exc:
            problems += 1
            out.print(f"[red]bad[/] {escape(str(exc))}", soft_wrap=True)
    if problems:
        raise typer.Exit(2)
    return 0


def register(app: typer.Typer) -> None:
    app.command()(check)
    app.command()(pa_command)
    app.command()(code)
    app.command(name="policies")(policies_cmd)


__all__ = ["register"]
