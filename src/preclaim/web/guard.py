"""Sign-in and request plumbing shared by every page: the dependency bundle, the sign-in check, form reading."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from preclaim.web.deps import EngineMissing, deps, signed_in
from preclaim.web.render import page

F = TypeVar("F", bound=Callable[..., Awaitable[Response]])
MAX_FORM_FIELDS = 80


def guarded(handler: F) -> F:
    """Resolve WebDeps, send a visitor who is not signed in to /login, and refuse cross-site form posts."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            web = deps(request)
        except EngineMissing as exc:
            return page(request, "message.html", 503, title="Engine unavailable", message=str(exc))
        if not signed_in(request, web):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if request.method == "POST" and not same_origin(request):
            return page(request, "message.html", 403, title="Refused", message="form posted from another site")
        return await handler(request, web, *args, **kwargs)

    # FastAPI reads the signature: hide the injected `web` parameter from it.
    import inspect

    sig = inspect.signature(handler)
    params = [p for name, p in sig.parameters.items() if name != "web"]
    wrapper.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


async def read_form(request: Request) -> dict[str, str]:
    data = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    return {k: v for k, v in data.items() if isinstance(v, str)}
