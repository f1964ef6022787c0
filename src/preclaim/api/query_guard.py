"""Every REST query parameter takes one value: `?patient=A&patient=B` is refused, not read as the last one.

A server that silently keeps one of two values answers a question the client did not ask (a filter on
patient B when the client meant A), so a repeated parameter is a 422 naming it, like any other bad input.
"""

from __future__ import annotations

from fastapi import Request

from preclaim.api.problems import ApiError, FieldError


def single_valued_query(request: Request) -> None:
    """Router dependency: 422 when a query parameter appears more than once."""
    params = request.query_params
    if len(params.multi_items()) == len(params):
        return
    repeated = sorted({key for key, _ in params.multi_items() if len(params.getlist(key)) > 1})
    errors = tuple(
        FieldError(f"query parameter {key!r} is given {len(params.getlist(key))} times; give it once", f"query.{key}")
        for key in repeated
    )
    raise ApiError(422, "invalid-input", "Invalid input", errors[0].detail, errors=errors)
