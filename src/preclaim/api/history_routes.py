"""REST over the history store: a patient's history, authorizations on file, recording an authorization."""

from __future__ import annotations

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from preclaim.api.openapi import body_schema, responses
from preclaim.api.problems import ApiError, FieldError
from preclaim.api.query_guard import single_valued_query
from preclaim.api.rest_routes import _as_of, _state
from preclaim.api.state import ServiceState, decode_body
from preclaim.api.store_seam import StoreHistory
from preclaim.domain.history import Authorization, History

router = APIRouter(prefix="/v1", tags=["History"], dependencies=[Depends(single_valued_query)])
_encode = msgspec.json.Encoder().encode


class Stored(msgspec.Struct, frozen=True):
    outcome: str
    number: str


def _store(state: ServiceState) -> StoreHistory:
    if not isinstance(state.history, StoreHistory):
        raise ApiError(
            503,
            "store-unavailable",
            "History store not configured",
            "set store_url in the service config (or $PRECLAIM_DB) to enable history endpoints",
        )
    return state.history


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status, media_type="application/json")


@router.get(
    "/patients/{patient_key}/history",
    summary="A patient's injections, claims and authorizations",
    responses=responses(History, 401, 503),
)
async def history(
    patient_key: str, request: Request, before: str | None = Query(None, description="YYYY-MM-DD (default today)")
) -> Response:
    state = _state(request)
    await state.rest_client(request)
    store = _store(state)
    day = _as_of(before, state)
    found = await run_in_threadpool(store.history_for, patient_key, day)
    return _json(_encode(found))


@router.get(
    "/authorizations",
    summary="Authorizations on file, with units used",
    responses=responses(list[Authorization], 401, 503),
)
async def authorizations(
    request: Request,
    patient: str | None = Query(None, max_length=100),
    payer: str | None = Query(None, max_length=100),
    number: str | None = Query(None, max_length=100),
) -> Response:
    state = _state(request)
    await state.rest_client(request)
    found = await run_in_threadpool(_store(state).authorizations, patient, payer, number)
    return _json(_encode(found))


@router.post(
    "/authorizations",
    summary="Record an authorization decision",
    openapi_extra=body_schema(Authorization),
    responses=responses(Stored, 401, 413, 503),
)
async def add_authorization(request: Request) -> Response:
    state = _state(request)
    client = await state.rest_client(request)
    store = _store(state)
    auth: Authorization = decode_body(await request.body(), Authorization)
    if auth.end < auth.start:
        raise ApiError(
            422,
            "invalid-input",
            "Invalid input",
            "end is before start",
            errors=(FieldError("end is before start", "$.end", "/end"),),
        )
    outcome = await run_in_threadpool(store.add_authorization, auth, f"api:{client}")
    return _json(_encode(Stored(outcome, auth.number)), 201 if outcome == "added" else 200)
