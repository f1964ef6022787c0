"""Sign-in, roles and request plumbing shared by every page: who may see it, and form posts only from our pages."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from preclaim.web.deps import EngineMissing, WebDeps, allowed, deps, identity
from preclaim.web.render import page

F = TypeVar("F", bound=Callable[..., Awaitable[Response]])
MAX_FORM_FIELDS = 80
ROLE_WORDS = {"front-desk": "front desk", "biller": "billing", "admin": "administrator"}


@overload
def guarded(handler: F) -> F: ...


@overload
def guarded(*, role: str = ...) -> Callable[[F], F]: ...


def guarded(handler: F | None = None, *, role: str = "front-desk") -> F | Callable[[F], F]:
    """Resolve WebDeps, send a visitor who is not signed in to /login, refuse a role below `role`, and refuse
    state-changing requests that do not come from our own pages."""

    def wrap(inner: F) -> F:
        @functools.wraps(inner)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> Response:
            try:
                web = deps(request)
            except EngineMissing as exc:
                return page(request, "message.html", 503, title="Engine unavailable", message=str(exc))
            if request.method not in ("GET", "HEAD") and not same_origin(request, web):
                return refused(request)
            who = identity(request, web)
            if who is None:
                target = request.url.path if request.method == "GET" else "/"
                return RedirectResponse(f"/login?next={target}", status_code=303)
            request.state.who = who
            if not allowed(who, role):
                needed = ROLE_WORDS[role]
                mine = ROLE_WORDS.get(who.role, who.role)
                message = f"This page needs the {needed} role; you are signed in with the {mine} role."
                return page(request, "message.html", 403, title="Not allowed", message=message)
            return await inner(request, web, *args, **kwargs)

        # FastAPI reads the signature: hide the injected `web` parameter from it.
        sig = inspect.signature(inner)
        params = [p for name, p in sig.parameters.items() if name != "web"]
        wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return wrap(handler) if handler is not None else wrap


def refused(request: Request) -> Response:
    return page(
        request,
        "message.html",
        403,
        title="Refused",
        message="This form did not come from a preclaim page (no matching Origin or Referer). Open the page and "
        "send it again.",
    )


def _hosts(request: Request, web: WebDeps) -> set[str]:
    hosts = {request.headers.get("host", "").lower()}
    if web.public_url:
        hosts.add(urlsplit(web.public_url).netloc.lower())
    return hosts - {""}


def same_origin(request: Request, web: WebDeps) -> bool:
    """A state-changing request must say where it comes from (Origin, else Referer) and that must be us.

    Browsers send Origin on every POST; a request with neither header is refused too, so a client that
    strips them (or an old plug-in) cannot post on a signed-in user's behalf.
    """
    origin = request.headers.get("origin")
    if origin == "null":  # a sandboxed frame or a file: never one of our pages
        return False
    source = origin or request.headers.get("referer")
    if not source:
        return False
    parts = urlsplit(source)
    return parts.scheme in ("http", "https") and parts.netloc.lower() in _hosts(request, web)


async def read_form(request: Request) -> dict[str, str]:
    data = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    return {k: v for k, v in data.items() if isinstance(v, str)}
