"""RFC 9457 problem details: every error the service returns, with the field at fault when there is one.

{"type": "https://preclaim.dev/problems/invalid-input", "title": "Invalid input", "status": 422,
 "detail": "Expected `float`, got `str`", "instance": "/v1/check", "request_id": "...",
 "errors": [{"field": "$.lines[0].units", "pointer": "/lines/0/units", "detail": "..."}]}
"""

from __future__ import annotations

import re

import msgspec
from starlette.responses import Response

from preclaim.errors import PreclaimError, X12Error

PROBLEM_BASE = "https://preclaim.dev/problems/"
PROBLEM_MEDIA = "application/problem+json"
_FIELD = re.compile(r"(\$[^\s`]*)")


class FieldError(msgspec.Struct, frozen=True, omit_defaults=True):
    detail: str
    field: str | None = None
    pointer: str | None = None


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: tuple[FieldError, ...] = ()


class ApiError(Exception):
    """Raised anywhere in a request; the app turns it into a problem response."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        errors: tuple[FieldError, ...] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.errors = errors
        self.headers = headers or {}


def pointer_of(field: str) -> str:
    """`$.lines[0].units` -> `/lines/0/units` (RFC 6901), `$` -> `` (the whole document)."""
    body = field[1:] if field.startswith("$") else field
    parts = [p for p in re.split(r"\.|\[|\]", body) if p]
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def field_error(detail: str, field: str | None) -> FieldError:
    return FieldError(detail=detail, field=field, pointer=pointer_of(field) if field else None)


def from_validation(exc: msgspec.ValidationError | msgspec.DecodeError) -> ApiError:
    problem, sep, path = str(exc).rpartition(" - at ")
    if isinstance(exc, msgspec.ValidationError):
        field = path.strip("`") if sep else "$"
        text = problem if sep else str(exc)
        return ApiError(422, "invalid-input", "Invalid input", text, errors=(field_error(text, field),))
    return ApiError(400, "malformed-json", "Malformed JSON", f"not valid JSON: {exc}")


def from_preclaim(exc: PreclaimError) -> ApiError:
    if isinstance(exc, X12Error):
        field = exc.where or None
        return ApiError(422, "invalid-x12", "Invalid X12", str(exc), errors=(FieldError(exc.message, field),))
    match = _FIELD.search(exc.where or "")
    field = match.group(1) if match else None
    title = type(exc).__name__.removesuffix("Error") + " error"
    return ApiError(422, "invalid-input", title, exc.message, errors=(field_error(exc.message, field),))


def too_deep(exc: PreclaimError) -> ApiError:
    return ApiError(400, "json-too-deep", "JSON nested too deep", str(exc))


def problem_response(exc: ApiError, instance: str, request_id: str | None) -> Response:
    body = Problem(
        type=PROBLEM_BASE + exc.slug,
        title=exc.title,
        status=exc.status,
        detail=exc.detail,
        instance=instance,
        request_id=request_id,
        errors=exc.errors,
    )
    return Response(msgspec.json.encode(body), exc.status, exc.headers, media_type=PROBLEM_MEDIA)
