"""CDS Hooks 2.0 endpoints: discovery, invocation and feedback. Every call carries the EHR's signed JWT."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Request
from starlette.responses import Response

from preclaim.api.cds_models import Feedback, HookRequest, HookResponse, Service
from preclaim.api.cds_service import SERVICES, HookEvaluator
from preclaim.api.fhir_fetch import FhirGatherer
from preclaim.api.log_safe import safe_logger
from preclaim.api.openapi import body_schema, responses
from preclaim.api.problems import ApiError, field_error
from preclaim.api.seams import NoHistory
from preclaim.api.state import ServiceState, decode_body

router = APIRouter(tags=["CDS Hooks"])
log = safe_logger("preclaim.api.cds")
_encode = msgspec.json.Encoder().encode


class Discovery(msgspec.Struct, frozen=True):
    services: tuple[Service, ...]


_DISCOVERY = _encode(Discovery(services=tuple(SERVICES.values())))


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.svc
    return state


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status, media_type="application/json")


@router.get("/cds-services", summary="CDS Hooks discovery", responses=responses(Discovery))
async def discovery(request: Request) -> Response:
    state = _state(request)
    if not state.settings.public_discovery:
        await state.cds_client(request)
    return _json(_DISCOVERY)


@router.post(
    "/cds-services/{service_id}",
    summary="Call a CDS service (order-sign, order-select, appointment-book)",
    openapi_extra=body_schema(HookRequest),
    responses=responses(HookResponse, 412, 401),
)
async def call_service(service_id: str, request: Request) -> Response:
    state = _state(request)
    fhir_servers = await state.cds_client(request)
    hook = decode_body(await request.body(), HookRequest)
    gatherer = FhirGatherer(state.http, state.settings.fhir_timeout_s, fhir_servers)
    evaluator = HookEvaluator(state.engine, state.history or NoHistory(), gatherer)
    answer = await evaluator.evaluate(service_id, hook, state.today())
    log.info(
        "hook %s service=%s cards=%d actions=%d", hook.hook, service_id, len(answer.cards), len(answer.systemActions)
    )
    return _json(_encode(answer))


@router.post(
    "/cds-services/{service_id}/feedback",
    summary="Record accepted or overridden cards",
    openapi_extra=body_schema(Feedback),
    responses=responses(None, 401),
)
async def feedback(service_id: str, request: Request) -> Response:
    state = _state(request)
    await state.cds_client(request)
    if service_id not in SERVICES:
        raise ApiError(404, "unknown-service", "Unknown CDS service", f"no service {service_id!r}")
    body: Feedback = decode_body(await request.body(), Feedback)
    for n, item in enumerate(body.feedback):
        if item.outcome == "accepted" and not item.acceptedSuggestions:
            raise ApiError(
                422,
                "invalid-input",
                "Invalid input",
                "accepted feedback needs acceptedSuggestions",
                errors=(field_error("required when outcome is accepted", f"$.feedback[{n}].acceptedSuggestions"),),
            )
    items: list[dict[str, Any]] = [msgspec.to_builtins(i) for i in body.feedback]
    stored = state.feedback.record(service_id, items)
    log.info("feedback service=%s items=%d", service_id, stored)
    return _json(_encode({"stored": stored}))
