"""Settings for administrators: users and roles, the practice profile, the payer address book, the audit trail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import delete
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from preclaim.errors import InputError
from preclaim.store.models_web import ROLES, UserRow, WebSessionRow
from preclaim.web.deps import WebDeps, who
from preclaim.web.guard import guarded, read_form
from preclaim.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/settings")
@guarded(role="admin")
async def settings(request: Request, web: WebDeps) -> Response:
    return page(request, "settings.html")


def _users_context(web: WebDeps, **extra: Any) -> dict[str, Any]:
    from preclaim.store.people import list_users

    return {"users": list_users(web.desk), "roles": ROLES, "values": {}, "error": None, **extra}


@router.get("/settings/users")
@guarded(role="admin")
async def users(request: Request, web: WebDeps) -> Response:
    return page(request, "users.html", **await run_in_threadpool(_users_context, web))


def _add_user(web: WebDeps, actor: str, values: dict[str, str]) -> str | None:
    from preclaim.store.people import add_user, audit

    try:
        with web.desk.transaction() as session:
            user = add_user(
                session, values.get("username", ""), values.get("role", ""), values.get("password", ""),
                values.get("display_name", "").strip(),
            )  # fmt: skip
            audit(session, actor, "user added", f"user {user.username}", user.role)
    except InputError as exc:
        labels = {"username": "User name", "password": "Password", "role": "Role"}
        return f"{labels.get(exc.where or '', exc.where)}: {exc.message}."
    return None


@router.post("/settings/users")
@guarded(role="admin")
async def add(request: Request, web: WebDeps) -> Response:
    values = await read_form(request)
    error = await run_in_threadpool(_add_user, web, who(request).actor, values)
    if error:
        context = await run_in_threadpool(_users_context, web, values=values, error=error)
        return page(request, "users.html", 422, **context)
    return RedirectResponse("/settings/users", status_code=303)


def _change_user(web: WebDeps, actor: str, user_id: int, values: dict[str, str]) -> str | None:
    from preclaim.store.people import audit

    with web.desk.transaction() as session:
        user = session.get(UserRow, user_id)
        if user is None:
            return "No such user."
        role, active = values.get("role", user.role), values.get("active") == "1"
        if role not in ROLES:
            return f"Role: one of {', '.join(ROLES)}."
        if user.username == actor and (role != "admin" or not active):
            return "You cannot take away your own administrator role or sign-in."
        user.role, user.active = role, active
        if not active:  # signed-in browsers of a disabled user stop working now
            session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))
        audit(session, actor, "user changed", f"user {user.username}", f"{role}, {'active' if active else 'disabled'}")
    return None


@router.post("/settings/users/{user_id:int}")
@guarded(role="admin")
async def change(request: Request, web: WebDeps, user_id: int) -> Response:
    values = await read_form(request)
    error = await run_in_threadpool(_change_user, web, who(request).actor, user_id, values)
    if error:
        return page(request, "users.html", 422, **await run_in_threadpool(_users_context, web, error=error))
    return RedirectResponse("/settings/users", status_code=303)


@router.get("/settings/practice")
@guarded(role="admin")
async def practice(request: Request, web: WebDeps) -> Response:
    from preclaim.store.letterhead import load_practice

    found = await run_in_threadpool(load_practice, web.desk)
    return page(request, "practice.html", values=found.__dict__, errors={}, saved=False)


@router.post("/settings/practice")
@guarded(role="admin")
async def save_practice(request: Request, web: WebDeps) -> Response:
    from preclaim.store.letterhead import check_practice, save_practice

    values = await read_form(request)
    found, errors = check_practice(values)
    if errors:
        return page(request, "practice.html", 422, values=values, errors=errors, saved=False)
    await run_in_threadpool(save_practice, web.desk, found)
    await run_in_threadpool(web.audit, who(request).actor, "practice profile saved", "practice")
    return page(request, "practice.html", values=found.__dict__, errors={}, saved=True)


@router.get("/settings/payers")
@guarded(role="admin")
async def payers(request: Request, web: WebDeps) -> Response:
    from preclaim.store.letterhead import list_payers

    found = await run_in_threadpool(list_payers, web.desk)
    return page(request, "payers.html", payers=found, values={}, error=None)


@router.post("/settings/payers")
@guarded(role="admin")
async def save_payer(request: Request, web: WebDeps) -> Response:
    from preclaim.store.letterhead import list_payers, save_payer

    values = await read_form(request)
    try:
        saved = await run_in_threadpool(save_payer, web.desk, values)
    except InputError as exc:
        labels = {"payer_id": "Payer ID", "name": "Payer name"}
        error = f"{labels.get(exc.where or '', exc.where)}: {exc.message}."
        found = await run_in_threadpool(list_payers, web.desk)
        return page(request, "payers.html", 422, payers=found, values=values, error=error)
    await run_in_threadpool(web.audit, who(request).actor, "payer address saved", f"payer {saved.payer_id}")
    return RedirectResponse("/settings/payers", status_code=303)


@router.get("/settings/audit")
@guarded(role="admin")
async def audit_trail(request: Request, web: WebDeps) -> Response:
    from preclaim.store.people import recent_audit

    actor = request.query_params.get("actor", "")[:80]
    rows = await run_in_threadpool(recent_audit, web.desk, 300, actor)
    return page(request, "audit.html", rows=rows, actor=actor)
