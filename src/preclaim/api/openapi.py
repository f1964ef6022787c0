"""OpenAPI for routes that decode bodies with msgspec themselves: schemas come from msgspec.json.schema.

Routes declare `openapi_extra=body_schema(T)` and `responses=responses(T, 4xx...)`; `install(app)` adds every
type used as a component so clients (and schemathesis) see the exact shapes the service decodes.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from preclaim.api.problems import Problem

REF = "#/components/schemas/{name}"
_TYPES: dict[str, Any] = {"Problem": Problem}
_STATUS_TEXT = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    412: "Precondition failed",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    503: "Engine unavailable",
}


_INLINE: dict[str, Any] = {}


def _ref(kind: Any) -> dict[str, Any]:
    """A $ref for a Struct (registered as a component); an inline schema for anything else (list[T], unions)."""
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        _TYPES[kind.__name__] = kind
        return {"$ref": REF.format(name=kind.__name__)}
    (schema,), components = msgspec.json.schema_components([kind], ref_template=REF)
    _INLINE.update(components)
    return dict(schema)


def any_of(*kinds: Any) -> dict[str, Any]:
    """A JSON body that may be any of these (msgspec cannot schema an untagged union of Structs)."""
    return {"anyOf": [_ref(k) for k in kinds]}


def body_schema(kind: Any, *, alternatives: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    schema = kind if isinstance(kind, dict) else _ref(kind)
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    content.update(alternatives or {})
    return {"requestBody": {"required": True, "content": content}}


def responses(kind: Any, *statuses: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    if kind is not None:
        out[200] = {"description": "OK", "content": {"application/json": {"schema": _ref(kind)}}}
    for status in (*statuses, 400, 422, 429):
        out[status] = {
            "description": _STATUS_TEXT.get(status, "Error"),
            "content": {"application/problem+json": {"schema": _ref(Problem)}},
        }
    return out


def install(app: FastAPI) -> None:
    def custom() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        types = [t for t in _TYPES.values() if t is not None]
        _, components = msgspec.json.schema_components(types, ref_template=REF)
        schema.setdefault("components", {}).setdefault("schemas", {}).update({**_INLINE, **components})
        schema["components"]["securitySchemes"] = {
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT or API key"},
        }
        schema["security"] = [{"apiKey": []}, {"bearer": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = custom  # type: ignore[method-assign]
