"""Pages over the history store: authorizations (list, add) and the denial dashboard; static files."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from preclaim.domain.history import Authorization
from preclaim.errors import PreclaimError
from preclaim.web.deps import WebDeps
from preclaim.web.guard import guarded, read_form
from preclaim.web.payer_names import payer_names
from preclaim.web.render import HEADERS, page, static_file

router = APIRouter(include_in_schema=False)
NO_STORE = "No history store is configured: set PRECLAIM_DB (or use_store = true in the service config) and restart."


def _authorizations(web: WebDeps) -> list[Authorization]:
    from preclaim.store.auth import list_authorizations

    with web.store.transaction(write=False) as session:
        found: list[Authorization] = list_authorizations(session)
    return found


@router.get("/authorizations")
@guarded
async def authorizations(request: Request, web: WebDeps) -> Response:
    if web.store is None:
        return page(request, "authorizations.html", auths=None, message=NO_STORE, values={}, errors={})
    auths = await run_in_threadpool(_authorizations, web)
    soon = web.today() + dt.timedelta(days=30)
    names = await run_in_threadpool(payer_names, web)
    return page(
        request, "authorizations.html", auths=auths, soon=soon, today=web.today(), values={}, errors={}, names=names
    )


def _parse_authorization(values: dict[str, str]) -> tuple[Authorization | None, dict[str, str]]:
    errors: dict[str, str] = {}
    for name in ("number", "payer_id", "start", "end"):
        if not values.get(name):
            errors[name] = "required"
    days: dict[str, dt.date] = {}
    for name in ("start", "end"):
        if values.get(name):
            try:
                days[name] = dt.date.fromisoformat(values[name])
            except ValueError:
                errors[name] = "expected YYYY-MM-DD"
    units = None
    if values.get("approved_units"):
        try:
            units = float(values["approved_units"])
        except ValueError:
            errors["approved_units"] = "expected a number"
    if len(days) == 2 and days["end"] < days["start"]:
        errors["end"] = "ends before it starts"
    if errors:
        return None, errors
    return Authorization(
        number=values["number"],
        payer_id=values["payer_id"],
        code=(values.get("code") or "J3420").upper(),
        start=days["start"],
        end=days["end"],
        approved_units=units,
        patient_key=values.get("patient_key") or None,
    ), {}


@router.post("/authorizations")
@guarded
async def add_authorization(request: Request, web: WebDeps) -> Response:
    values = await read_form(request)
    if web.store is None:
        return page(request, "authorizations.html", 503, auths=None, message=NO_STORE, values=values, errors={})
    auth, errors = _parse_authorization(values)
    if auth is None:
        auths = await run_in_threadpool(_authorizations, web)
        return page(
            request,
            "authorizations.html",
            422,
            auths=auths,
            values=values,
            errors=errors,
            today=web.today(),
            soon=web.today(),
        )
    from preclaim.store.auth import upsert_authorization

    def write() -> None:
        with web.store.transaction() as session:
            upsert_authorization(session, auth, source="web")

    try:
        await run_in_threadpool(write)
    except PreclaimError as exc:
        auths = await run_in_threadpool(_authorizations, web)
        return page(
            request,
            "authorizations.html",
            422,
            auths=auths,
            values=values,
            errors={"number": str(exc)},
            today=web.today(),
            soon=web.today(),
        )
    return RedirectResponse("/authorizations", status_code=303)


@router.get("/dashboard")
@guarded
async def dashboard(request: Request, web: WebDeps) -> Response:
    if web.store is None:
        return page(request, "dashboard.html", board=None, message=NO_STORE, q={}, payers=[])
    from preclaim.web.dashboard import Filter, build, payers_on_file

    q = {k: request.query_params.get(k, "")[:80] for k in ("payer", "start", "end")}
    months_ok = all(
        not q[k] or (len(q[k]) == 7 and q[k][4] == "-" and q[k].replace("-", "").isdigit()) for k in ("start", "end")
    )
    if not months_ok:
        return page(
            request, "dashboard.html", 422, board=None, q=q, payers=[], message="From and to: a month, YYYY-MM."
        )
    only = Filter(q["payer"] or None, q["start"] or None, q["end"] or None)
    board = await run_in_threadpool(build, web.store, only)
    payers = await run_in_threadpool(payers_on_file, web.store)
    names = await run_in_threadpool(payer_names, web)
    return page(request, "dashboard.html", board=board, q=q, payers=payers, names=names)


@router.get("/patients/{key}")
@guarded
async def patient(request: Request, web: WebDeps, key: str) -> Response:
    from preclaim.web.patient import patient_view

    view = await run_in_threadpool(patient_view, web, key[:64])
    return page(request, "patient.html", view=view, today=web.today())


@router.get("/codes")
async def code_search(request: Request) -> Response:
    code = request.query_params.get("code", "J3420").strip()[:12] or "J3420"
    return RedirectResponse(f"/codes/{quote(code)}", status_code=303)


@router.get("/favicon.ico")
async def favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    found = static_file(name)
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    body, media = found
    return Response(body, media_type=media, headers={**HEADERS, "cache-control": "max-age=3600"})
