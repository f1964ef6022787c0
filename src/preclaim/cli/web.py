"""`preclaim checklist` (one-page plan checklist: text, HTML or PDF) and `preclaim letter` (PDF letters)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from preclaim.cli import AsOf, Policies, as_of_date, out, run_guarded
from preclaim.errors import InputError

Out = Annotated[Path | None, typer.Option("--out", "-o", help="Write here: .pdf or .html (checklist); .pdf (letter).")]


def write_atomic(path: Path, data: bytes) -> None:
    """Nothing half-written: a temporary file next to the target, then one rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write: {exc.strerror or exc}", where=str(path)) from None


def checklist(
    policy: Annotated[str | None, typer.Option("--policy", help="Policy id (see `preclaim policies`).")] = None,
    payer: Annotated[str | None, typer.Option("--payer", help="Payer id or name, when not using --policy.")] = None,
    plan: Annotated[str | None, typer.Option("--plan")] = None,
    filing_indicator: Annotated[str | None, typer.Option("--filing-indicator", help="SBR09: MB, MC, CI...")] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="Billing provider state (Medicare jurisdiction).")
    ] = None,
    code: Annotated[str, typer.Option("--code", help="HCPCS code of a catalog drug (J3420 if none).")] = "J3420",
    as_of: AsOf = None,
    policies: Policies = None,
    output: Out = None,
) -> None:
    """One-page checklist for a payer plan (what to verify before billing a drug injection), each line cited."""

    def action() -> int:
        from preclaim.paths import Settings
        from preclaim.policy import PayerKey, load_library
        from preclaim.web.checklist import plan_key, plan_sheet

        settings = Settings.from_env()
        library = load_library([*settings.policy_dirs, *(policies or ())], home=settings.home)
        if policy:
            chosen = library.get(policy)
            if chosen is None:
                known = ", ".join(p.id for p in library.policies)
                raise InputError(f"no policy {policy!r}; known: {known}", where="--policy")
            key = plan_key(chosen)
        elif payer:
            up = (filing_indicator or "").upper() or None
            key = PayerKey(payer, payer, up, (state or "").upper() or None, plan)
        else:
            raise InputError("give --policy ID or --payer ID", where="checklist")
        sheet = plan_sheet(library, key, as_of_date(as_of), code.upper())
        if output is None:
            _print_sheet(sheet)
        elif output.suffix.lower() == ".pdf":
            from preclaim.web.checklist_pdf import render_checklist_pdf

            write_atomic(output, render_checklist_pdf(sheet))
        elif output.suffix.lower() in (".html", ".htm"):
            write_atomic(output, standalone_html(sheet).encode())
        else:
            raise InputError("expected a .pdf or .html file name", where="--out")
        return 0

    run_guarded(action)


def standalone_html(sheet: object) -> str:
    """The checklist page as one file: stylesheet inline, no script, no navigation (it opens from disk)."""
    from preclaim.web.render import env, static_file

    html = env().get_template("checklist.html").render(path="", sheet=sheet, q={}, plans=[], query="", standalone=True)
    css = static_file("app.css")
    style = f"<style>{css[0].decode()}</style>" if css else ""
    html = html.replace('<link rel="stylesheet" href="/static/app.css">', style)
    return html.replace('<script src="/static/app.js" defer></script>', "")


def _print_sheet(sheet: object) -> None:
    from preclaim.web.checklist import PlanSheet

    assert isinstance(sheet, PlanSheet)
    out.print(f"[bold]{sheet.title}[/]  (as of {sheet.as_of})", soft_wrap=True)
    numbers = {(s.id, s.title): n for n, s in enumerate(sheet.sources, start=1)}
    for group in sheet.groups:
        out.print(f"\n[bold]{group.heading}[/]")
        for item in group.items:
            ref = f" [{numbers[(item.source.id, item.source.title)]}]" if item.source else ""
            out.print(f"  [ ] {item.text}{ref}", soft_wrap=True, markup=False)
    out.print("\n[bold]Sources[/]")
    for n, src in enumerate(sheet.sources, start=1):
        out.print(f"  [{n}] {src.title}" + (f" {src.url}" if src.url else ""), soft_wrap=True, markup=False)


def letter(
    kind: Annotated[str, typer.Argument(help="necessity (PA request / medical necessity) or appeal.")],
    claim_file: Annotated[Path | None, typer.Option("--claim", help="Claim JSON (with encounter facts).")] = None,
    remit: Annotated[Path | None, typer.Option("--remit", help="appeal: the 835 holding the denial.")] = None,
    claim_id: Annotated[str | None, typer.Option("--claim-id", help="appeal: which denied claim (CLP01).")] = None,
    as_of: AsOf = None,
    policies: Policies = None,
    output: Out = None,
) -> None:
    """Write a letter as PDF from the facts on file; missing facts are printed as blanks to fill in."""

    def action() -> int:
        from preclaim.cli.web_letters import appeal_pdf, necessity_pdf

        if output is None or output.suffix.lower() != ".pdf":
            raise InputError("give --out FILE.pdf", where="--out")
        day = as_of_date(as_of)
        if kind == "necessity":
            if claim_file is None:
                raise InputError("a necessity letter needs --claim CLAIM.json", where="--claim")
            data, blanks = necessity_pdf(claim_file, day, policies or ())
        elif kind == "appeal":
            if remit is None:
                raise InputError("an appeal letter needs --remit FILE.835", where="--remit")
            data, blanks = appeal_pdf(remit, claim_id, claim_file, day, policies or ())
        else:
            raise InputError(f"unknown letter {kind!r}; expected necessity or appeal", where="KIND")
        write_atomic(output, data)
        out.print(f"wrote {output} ({blanks} blank(s) to fill in by hand)")
        return 0

    run_guarded(action)


def register(app: typer.Typer) -> None:
    app.command("checklist")(checklist)
    app.command("letter")(letter)
