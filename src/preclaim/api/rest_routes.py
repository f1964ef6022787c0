"""REST: check claims, prior-auth answers, policies, checklists and code lookups. Auth: API key or OAuth2."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from preclaim.api.log_safe import safe_logger
from preclaim.api.openapi import any_of, body_schema, responses
from preclaim.api.problems import ApiError, FieldError, from_preclaim
from preclaim.api.query_guard import single_valued_query
from preclaim.api.seams import Checker
from preclaim.api.state import ServiceState, guard_depth
from preclaim.domain.claim import Claim
from preclaim.domain.report import PriorAuthDecision, Report, ReportBatch
from preclaim.errors import PreclaimError
from preclaim.facade import (
    Input,
    RejectedClaimError,
    check_many,
    read_input,
    rejected_error,
)
from preclaim.facade import prior_auth as prior_auth_of
from preclaim.io.sniff import HEAD_BYTES, sniff

router = APIRouter(prefix="/v1", tags=["REST"], dependencies=[Depends(single_valued_query)])
log = safe_logger("preclaim.api.rest")
_encode = msgspec.json.Encoder(decimal_format="string").encode
X12_MEDIA = ("application/edi-x12", "application/x12", "text/plain")


class ClaimBatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """`{"claims": [...]}`: the same shape the report contract answers with."""

    claims: list[Claim]


_CLAIMS_BODY = body_schema(
    any_of(Claim, list[Claim], ClaimBatch),
    alternatives={m: {"schema": {"type": "string", "description": "an X12 837P interchange"}} for m in X12_MEDIA[:1]},
)


class PriorAuthAnswer(msgspec.Struct, frozen=True):
    claim_id: str
    prior_auth: PriorAuthDecision


class PriorAuthBatch(msgspec.Struct, frozen=True):
    claims: tuple[PriorAuthAnswer, ...]


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.svc
    return state


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def _as_of(value: str | None, state: ServiceState) -> dt.date:
    if value is None:
        return state.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError(
            422,
            "invalid-input",
            "Invalid input",
            "as_of must be a date (YYYY-MM-DD)",
            errors=(FieldError("expected YYYY-MM-DD", "as_of"),),
        ) from None


async def read_body(request: Request) -> Input:
    """The body, sniffed by preclaim.facade as the CLI's files are: an 837P sent as application/octet-stream (or
    with a byte order mark) is X12; the media type only picks the reader whose error explains a body that is
    neither."""
    body = await request.body()
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    sniffed = sniff(body[:HEAD_BYTES])
    if sniffed == "other" and kind in X12_MEDIA:
        return read_input(body, name="body", kind="x12")
    if sniffed == "other" and kind not in ("application/json", "") and not kind.endswith("+json"):
        raise ApiError(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f'send application/json (a claim, a list or {{"claims": [...]}}) or {X12_MEDIA[0]}',
        )
    read = read_input(body, name="body")
    if read.kind == "json":
        guard_depth(body)
    return read


def _invalid_x12(detail: str) -> ApiError:
    return ApiError(422, "invalid-x12", "Invalid X12", detail, errors=(FieldError(detail),))


@router.post(
    "/check",
    summary="Check claims (JSON or X12 837P); the JSON report contract back",
    openapi_extra=_CLAIMS_BODY,
    responses=responses(ReportBatch, 401, 413, 415, 503),
)
async def check(request: Request, as_of: str | None = Query(None, description="YYYY-MM-DD")) -> Response:
    state = _state(request)
    await state.rest_client(request)
    day = _as_of(as_of, state)
    engine = state.engine()
    read = await read_body(request)
    reports = await run_in_threadpool(_check_all, engine, state, read, day)
    return _json(_encode(ReportBatch(claims=tuple(reports))))


def _check_all(engine: Checker, state: ServiceState, read: Input, day: dt.date) -> list[Report]:
    """Off the event loop: a big 837P must not stall CDS calls waiting on the same worker.

    The CLI's check (preclaim.facade): an 837P's claims are history for each other, on top of the store's."""
    reports: list[Report] = []
    try:
        for done in check_many(read, engine=engine, stored=state.history, as_of=day):
            if done.report is None:
                raise _invalid_x12(rejected_error(done.item).message)
            reports.append(done.report)
    except PreclaimError as exc:
        raise from_preclaim(exc) from None
    if not reports and read.kind == "x12":
        raise ApiError(422, "invalid-x12", "Invalid X12", "the interchange holds no claim")
    return reports


@router.post(
    "/prior-auth",
    summary="Does this claim need prior authorization?",
    openapi_extra=_CLAIMS_BODY,
    responses=responses(PriorAuthBatch, 401, 413, 415, 503),
)
async def prior_auth(request: Request, as_of: str | None = Query(None, description="YYYY-MM-DD")) -> Response:
    state = _state(request)
    await state.rest_client(request)
    day = _as_of(as_of, state)
    engine = state.engine()
    read = await read_body(request)
    try:
        decided = prior_auth_of(read, engine=engine, stored=state.history, as_of=day)
    except RejectedClaimError as exc:
        raise _invalid_x12(exc.message) from None
    except PreclaimError as exc:
        raise from_preclaim(exc) from None
    if not decided and read.kind == "x12":
        raise ApiError(422, "invalid-x12", "Invalid X12", "the interchange holds no claim")
    answers = [PriorAuthAnswer(claim_id, decision) for claim_id, decision in decided]
    return _json(_encode(PriorAuthBatch(claims=tuple(answers))))


def library(state: ServiceState) -> Any:
    engine = state.engine()
    policies = getattr(engine, "policies", None)
    if policies is None:
        raise ApiError(503, "engine-unavailable", "Policy library unavailable", "the engine has no policy library")
    return policies
