"""Sign-in (user name and password, or an API key), sign-out, and the signed-in user's own API key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from preclaim.errors import InputError
from preclaim.identity import Identity
from preclaim.web.deps import WebDeps, deps, who
from preclaim.web.guard import guarded, read_form, refused, same_origin
from preclaim.web.render import page
from preclaim.web.sessions import COOKIE

router = APIRouter(include_in_schema=False)


def _next(value: str | None) -> str:
    """Only local paths: never an open redirect."""
    ok = value and value.startswith("/") and not value.startswith("//") and "\\" not in value
    return value if ok else "/"  # type: ignore[return-value]


@router.get("/login")
async def login_page(request: Request) -> Response:
    return page(request, "login.html", next=_next(request.query_params.get("next")), error=None, users=True)


def _by_key(web: WebDeps, key: str) -> Identity | None:
    client = web.key_check(key) if web.key_check else None
    if client is not None:
        return Identity(client, "admin")  # a key from the service config is the operator's
    from preclaim.store.people import user_for_key

    with web.desk.transaction(write=False) as session:
        return user_for_key(session, key)


def _by_password(web: WebDeps, username: str, password: str) -> Identity | None:
    from preclaim.store.people import password_sign_in

    with web.desk.transaction(write=False) as session:
        return password_sign_in(session, username, password)


def _audit(web: WebDeps, actor: str, action: str, target: str = "", detail: str = "") -> None:
    web.audit(actor, action, target, detail)


@router.post("/login")
async def login(request: Request) -> Response:
    web = deps(request)
    if not same_origin(request, web):
        return refused(request)
    values = await read_form(request)
    target = _next(values.get("next"))
    key, username = values.get("api_key", "").strip(), values.get("username", "").strip()
    if key:
        found = await run_in_threadpool(_by_key, web, key)
    elif username:
        found = await run_in_threadpool(_by_password, web, username, values.get("password", ""))
    else:
        found = None
    if found is None:
        await run_in_threadpool(_audit, web, username or "api-key", "sign-in refused")
        error = "That user name and password, or that key, is not valid."
        return page(request, "login.html", 401, next=target, error=error, users=True)
    token = await run_in_threadpool(web.sessions.start, found)
    await run_in_threadpool(_audit, web, found.actor, "sign-in")
    response = RedirectResponse(target, status_code=303)
    secure = request.url.scheme == "https" or web.https
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure, max_age=12 * 3600, path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    web = deps(request)
    if not same_origin(request, web):
        return refused(request)
    token = request.cookies.get(COOKIE)
    if token and not web.open:
        found = await run_in_threadpool(web.sessions.find, token)
        await run_in_threadpool(web.sessions.end, token)
        if found is not None:
            await run_in_threadpool(_audit, web, found.actor, "sign-out")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", secure=request.url.scheme == "https" or web.https, httponly=True)
    return response


@router.get("/account")
@guarded
async def account(request: Request, web: WebDeps) -> Response:
    return page(request, "account.html", me=who(request), key=None, error=None)


@router.post("/account/api-key")
@guarded
async def new_key(request: Request, web: WebDeps) -> Response:
    me = who(request)
    if me.user_id is None:
        error = "Only users of the pages have their own API key; keys from the service config are managed there."
        return page(request, "account.html", 422, me=me, key=None, error=error)
    from preclaim.store.people import audit, new_api_key

    def make() -> str:
        with web.desk.transaction() as session:
            key = new_api_key(session, me.user_id)  # type: ignore[arg-type]
            audit(session, me.actor, "new API key", f"user {me.actor}")
            return key

    key = await run_in_threadpool(make)
    return page(request, "account.html", me=me, key=key, error=None)


@router.post("/account/password")
@guarded
async def change_password(request: Request, web: WebDeps) -> Response:
    me = who(request)
    values = await read_form(request)
    if me.user_id is None:
        return page(request, "account.html", 422, me=me, key=None, error="No password to change.")
    from preclaim.store.models_web import UserRow
    from preclaim.store.people import audit, hash_password, verify_password

    def change() -> str | None:
        with web.desk.transaction() as session:
            user = session.get_one(UserRow, me.user_id)
            if not verify_password(user.password_hash, values.get("current", "")):
                return "Current password: not correct."
            try:
                user.password_hash = hash_password(values.get("new", ""))
            except InputError as exc:
                return f"New password: {exc.message}."
            audit(session, me.actor, "password changed", f"user {me.actor}")
            return None

    error = await run_in_threadpool(change)
    return page(request, "account.html", 422 if error else 200, me=me, key=None, error=error, changed=not error)
