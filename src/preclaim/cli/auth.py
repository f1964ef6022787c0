"""`preclaim auth add|list|show|import|request|record`: prior authorizations on file, requests out, decisions in."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from preclaim.cli import AsOf, Format, OutputFormat, as_of_date, err, out, run_guarded
from preclaim.cli.history import Db
from preclaim.domain import Authorization, Claim
from preclaim.drug_choice import DEFAULT_CODE
from preclaim.errors import InputError
from preclaim.store import Store
from preclaim.store.auth import claims_using, expiring, list_authorizations, upsert_authorization

auth_app = typer.Typer(help="Prior authorizations: on file, units used, expiry; PAS/278 requests and decisions.")
Number = Annotated[str, typer.Argument(help="Authorization (certification) number, as sent in 837 REF*G1.")]
Payer = Annotated[str | None, typer.Option("--payer", help="Payer id.")]
Patient = Annotated[str | None, typer.Option("--patient", help="Pseudonymous patient key.")]


def _day(value: dt.datetime | None, name: str) -> dt.date:
    if value is None:
        raise InputError(f"{name} is required (YYYY-MM-DD)")
    return value.date()


def _known_code(code: str) -> None:
    """An authorization for a code preclaim does not know would never match a claim line: refuse it."""
    from preclaim.codes import load_codes
    from preclaim.paths import Settings

    codes = load_codes(Settings.from_env().home)
    if codes.drugs.drug(code) is None and codes.hcpcs(code.strip().upper()) is None and codes.cpt(code) is None:
        known = ", ".join(d.hcpcs for d in codes.drugs.all())
        raise InputError(f"{code!r} is not a code preclaim knows (catalog drugs: {known})", where="--code")


@auth_app.command("add")
def add(
    number: Number,
    payer: Annotated[str, typer.Option("--payer", help="Payer id.")],
    start: Annotated[dt.datetime, typer.Option("--start", formats=["%Y-%m-%d"], help="First covered day.")],
    end: Annotated[dt.datetime, typer.Option("--end", formats=["%Y-%m-%d"], help="Last covered day.")],
    patient: Patient = None,
    code: Annotated[
        str, typer.Option("--code", help="HCPCS code authorized: a catalog drug (J3420, J1885, J1071, ...).")
    ] = DEFAULT_CODE,
    units: Annotated[float | None, typer.Option("--units", help="Approved units (none: no unit cap).")] = None,
    status: Annotated[str, typer.Option("--status", help="approved, partial, denied, pended, ...")] = "approved",
    db: Db = None,
) -> None:
    """Put an authorization on file (or update the one with the same payer, number and code)."""

    def action() -> int:
        if end < start:
            raise InputError(f"--end {end.date()} is before --start {start.date()}")
        _known_code(code)
        auth = msgspec.convert(
            {
                "number": number,
                "payer_id": payer,
                "code": code.upper(),
                "start": start.date(),
                "end": end.date(),
                "approved_units": units,
                "patient_key": patient,
                "status": status,
            },
            Authorization,
            strict=False,
        )
        with Store.open(db) as store, store.transaction() as session:
            _, outcome = upsert_authorization(session, auth, source="manual")
        out.print(f"authorization {number} ({payer}, {auth.code}): {outcome}", soft_wrap=True)
        return 0

    def guarded() -> int:
        try:
            return action()
        except msgspec.ValidationError as exc:
            problem, _, path = str(exc).rpartition(" - at ")
            option = _OPTIONS.get(path.strip("`").removeprefix("$."), "--status")
            raise InputError(f"{option}: {problem or exc}") from None

    run_guarded(guarded)


# The Authorization field each `auth add` option fills, for errors that name the option.
_OPTIONS = {"number": "NUMBER", "payer_id": "--payer", "code": "--code", "approved_units": "--units",
            "patient_key": "--patient", "status": "--status"}  # fmt: skip


def _left(auth: Authorization) -> str:
    return "no cap" if auth.units_left is None else f"{auth.units_left:g}"


def _auth_json(auth: Authorization, warning: str | None) -> dict[str, object]:
    data = msgspec.to_builtins(auth)
    data["units_left"] = auth.units_left
    data["warning"] = warning
    return data  # type: ignore[no-any-return]


def _warning(auth: Authorization, day: dt.date, soon: set[str]) -> str | None:
    if auth.number in soon:
        return f"expires in {(auth.end - day).days} day(s)"
    if auth.status in ("approved", "partial") and auth.end < day:
        return "expired"
    if auth.units_left is not None and auth.units_left <= 0 and auth.status in ("approved", "partial"):
        return "no units left"
    return None


@auth_app.command("list")
def list_command(
    patient: Patient = None, payer: Payer = None, as_of: AsOf = None, fmt: Format = OutputFormat.text, db: Db = None
) -> None:
    """Authorizations on file with units used and left; warns about those expiring within 30 days."""

    def action() -> int:
        day = as_of_date(as_of)
        with Store.open(db) as store, store.transaction(write=False) as session:
            auths = list_authorizations(session, patient_key=patient, payer_id=payer)
        soon = {a.number for a in expiring(auths, day)}
        if fmt is OutputFormat.json:
            rows = [_auth_json(a, _warning(a, day, soon)) for a in auths]
            sys.stdout.write(json.dumps({"as_of": day.isoformat(), "authorizations": rows}, default=str) + "\n")
            return 0
        table = Table(
            "number",
            "payer",
            "patient",
            "code",
            "valid",
            "status",
            "used/approved",
            "left",
            "note",
            box=None,
            pad_edge=False,
        )
        for a in auths:
            units = f"{a.used_units:g}/" + ("-" if a.approved_units is None else f"{a.approved_units:g}")
            table.add_row(
                a.number,
                a.payer_id,
                a.patient_key or "-",
                a.code,
                f"{a.start}..{a.end}",
                a.status,
                units,
                _left(a),
                _warning(a, day, soon) or "",
            )
        # Piped output is not cut to 80 columns: a row per authorization is what scripts and people grep.
        wide = out if out.is_terminal else Console(highlight=False, width=200)
        wide.print(table if auths else "no authorizations on file")
        for a in auths:
            if a.number in soon:
                err.print(
                    f"[yellow]warning:[/] authorization {a.number} ({a.payer_id}) expires on {a.end}", soft_wrap=True
                )
        return 0

    run_guarded(action)


@auth_app.command("show")
def show(number: Number, payer: Payer = None, db: Db = None) -> None:
    """One authorization: dates, units, and the stored claims that used it."""

    def action() -> int:
        from preclaim.store.auth import get_authorization

        with Store.open(db) as store, store.transaction(write=False) as session:
            for auth in get_authorization(session, number, payer):
                out.print(
                    f"[bold]{auth.number}[/] payer {auth.payer_id}, patient {auth.patient_key or '-'}, "
                    f"{auth.code}, {auth.start} to {auth.end}, {auth.status}",
                    soft_wrap=True,
                )
                approved = "no cap" if auth.approved_units is None else f"{auth.approved_units:g}"
                out.print(f"  units: approved {approved}, used {auth.used_units:g}, left {_left(auth)}", soft_wrap=True)
                for claim_id, day, units, counted in claims_using(session, auth):
                    note = "" if counted else " (not counted: outside the dates, voided or denied)"
                    out.print(f"  claim {claim_id} on {day}: {units:g} unit(s){note}", soft_wrap=True)
        return 0

    run_guarded(action)


@auth_app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(help="CSV: number,payer_id,code,start,end[,patient_key,approved_units,status]")
    ],
    db: Db = None,
) -> None:
    """Import authorizations from a CSV file (all rows or none)."""

    def action() -> int:
        from preclaim.store.auth_csv import import_authorizations

        with Store.open(db) as store:
            result = import_authorizations(store, file)
        out.print(
            f"{file}: {result.added} added, {result.updated} updated, {result.unchanged} unchanged", soft_wrap=True
        )
        return 0

    run_guarded(action)


def _pick_claim(file: Path, claim_id: str | None) -> Claim:
    from preclaim.io.claim_json import load_claims
    from preclaim.io.sniff import read_head, sniff

    if file.is_file() and sniff(read_head(file)) == "x12":
        from preclaim.edi.x12.read837 import iter_claims

        claims = [c for c in iter_claims(file) if isinstance(c, Claim)]
    else:
        claims = load_claims(file)
    chosen = [c for c in claims if claim_id is None or c.id == claim_id]
    if len(chosen) != 1:
        ids = ", ".join(c.id for c in claims[:10]) or "none"
        wanted = f"claim {claim_id!r}" if claim_id else "exactly one claim"
        raise InputError(f"expected {wanted}; the file holds: {ids} (choose with --claim)", where=str(file))
    return chosen[0]


@auth_app.command("request")
def request(
    file: Annotated[Path, typer.Argument(help="Claim JSON or 837P holding the services to authorize.")],
    form: Annotated[str, typer.Option("--as", help="pas (Da Vinci PAS Bundle, JSON) or 278 (X12).")] = "pas",
    claim_id: Annotated[str | None, typer.Option("--claim", help="Which claim of the file.")] = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Build a prior-authorization request for a claim: a validated PAS Bundle or an X12 278."""

    def action() -> int:
        from preclaim.cli.auth_io import build_request

        text = build_request(_pick_claim(file, claim_id), form, dt.datetime.now(dt.UTC).replace(microsecond=0))
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text)
            out.print(f"wrote {form} request to {output}", soft_wrap=True)
        return 0

    run_guarded(action)


@auth_app.command("record")
def record(
    file: Annotated[Path, typer.Argument(help="PAS response Bundle (JSON) or X12 278 response.")],
    patient: Patient = None,
    payer: Payer = None,
    code: Annotated[str | None, typer.Option("--code", help="Service code when the response names none.")] = None,
    as_of: AsOf = None,
    db: Db = None,
) -> None:
    """Record the payer's decision(s) as authorizations on file."""

    def action() -> int:
        from preclaim.cli.auth_io import read_decisions
        from preclaim.store.decisions import record_decisions

        source, decisions = read_decisions(file)
        with Store.open(db) as store:
            recorded = record_decisions(
                store,
                decisions,
                source=source,
                where=str(file),
                received=as_of_date(as_of),
                patient_key=patient,
                payer_id=payer,
                code=code,
            )
        for item in recorded:
            if item.authorization is None:
                err.print(f"[yellow]skipped:[/] {item.skipped}", soft_wrap=True)
            else:
                a = item.authorization
                units = "no cap" if a.approved_units is None else f"{a.approved_units:g} unit(s)"
                out.print(
                    f"{item.action} {a.status}: {a.number} ({a.payer_id}, {a.code}) {a.start} to {a.end}, "
                    f"{units}: {item.outcome}",
                    soft_wrap=True,
                )
        return 0

    run_guarded(action)


def register(app: typer.Typer) -> None:
    app.add_typer(auth_app, name="auth")
