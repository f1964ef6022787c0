"""Jinja2 templates (autoescaped), static files, and the security headers every page carries."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from preclaim.policy.intervals import maintenance_text
from preclaim.web.words import FILTERS, GLOBALS

# Pages load their own script and stylesheet only; inline SVG charts need no script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


@cache
def env() -> Environment:
    environment = Environment(
        loader=PackageLoader("preclaim.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["pct"] = lambda v: "-" if v is None else f"{v:.0%}"
    environment.filters["num"] = lambda v: "-" if v is None else f"{v:g}"
    environment.filters["maintenance"] = maintenance_text
    environment.filters.update(FILTERS)
    environment.globals.update(GLOBALS)
    return environment


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("me", getattr(request.state, "who", None))
    html = env().get_template(template).render(request=request, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def pdf(body: bytes, filename: str) -> Response:
    headers = {**HEADERS, "content-disposition": f'inline; filename="{filename}"'}
    return Response(body, media_type="application/pdf", headers=headers)


@cache
def static_file(name: str) -> tuple[bytes, str] | None:
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or name.startswith(".") or suffix not in STATIC_TYPES:
        return None
    item = resources.files("preclaim.web").joinpath("static", name)
    if not item.is_file():
        return None
    return item.read_bytes(), STATIC_TYPES[suffix]


def not_found(request: Request) -> HTMLResponse:
    return page(
        request,
        "message.html",
        404,
        title="Page not found",
        message=f"There is no page at {request.url.path[:200]}. Use the menu above, or go back to the claim form.",
    )
