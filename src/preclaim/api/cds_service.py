"""CDS Hooks services for B12 injection orders: discovery and the evaluation of one hook call.

Only orders for cyanocobalamin/hydroxocobalamin (RxNorm) or J3420 are ours; any other order gets no advice
(`{"cards": []}`) without touching the FHIR server. For ours: prefetch/FHIR data -> Claim -> engine ->
cards + a coverage-information systemAction per order (CRD primary hooks: order-sign, appointment-book).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool

from preclaim.api import crd_options
from preclaim.api.cds_cards import cards_for, dose_for_pa_card
from preclaim.api.cds_models import Action, Card, CardSource, Coding, HookRequest, HookResponse, Service
from preclaim.api.coverage_info import annotate, decide, extension
from preclaim.api.fhir_codes import Resource, dicts, order_drug, ref
from preclaim.api.fhir_fetch import FhirData, FhirGatherer, resources_in
from preclaim.api.fhir_map import to_claim
from preclaim.api.problems import ApiError
from preclaim.api.seams import Checker, HistorySource, NoHistory
from preclaim.domain.claim import Claim
from preclaim.domain.history import EMPTY_HISTORY, History
from preclaim.domain.report import Report
from preclaim.errors import InputError
from preclaim.io.legacy import in_mcg, legacy_amount

SUPPORTING = frozenset({"order-select"})
_ORDER_TYPES = ("MedicationRequest", "ServiceRequest")
_BASE_PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "coverage": "Coverage?patient={{context.patientId}}&status=active",
    "practitioner": "{{context.userId}}",
    "b12Lab": "Observation?patient={{context.patientId}}&code=http://loinc.org|2132-9&_sort=-date&_count=3",
}
_ORDER_PREFETCH = {
    "medicationRequests": "MedicationRequest?_id={{context.draftOrders.MedicationRequest.id}}"
    "&_include=MedicationRequest:medication&_include=MedicationRequest:requester",
    "serviceRequests": "ServiceRequest?_id={{context.draftOrders.ServiceRequest.id}}&_include=ServiceRequest:requester",
}
_OPTIONS = {crd_options.EXTENSION: list(crd_options.OPTIONS)}
SERVICES = {
    "preclaim-b12-order-sign": Service(
        hook="order-sign",
        id="preclaim-b12-order-sign",
        title="preclaim: B12 injection coverage at signing",
        description="Coverage, prior authorization and documentation needs for cyanocobalamin/hydroxocobalamin "
        "(J3420) orders, with a Da Vinci CRD coverage-information annotation.",
        prefetch={**_BASE_PREFETCH, **_ORDER_PREFETCH},
        extension=_OPTIONS,
    ),
    "preclaim-b12-order-select": Service(
        hook="order-select",
        id="preclaim-b12-order-select",
        title="preclaim: B12 injection coverage while ordering",
        description="Early coverage and prior-authorization hints for B12 injection orders (no documentation asks).",
        prefetch={**_BASE_PREFETCH, **_ORDER_PREFETCH},
        extension=_OPTIONS,
    ),
    "preclaim-b12-appointment-book": Service(
        hook="appointment-book",
        id="preclaim-b12-appointment-book",
        title="preclaim: B12 injection visit booking",
        description="Coverage and prior authorization for booked B12 injection visits (J3420).",
        prefetch={
            **_BASE_PREFETCH,
            "appointments": "Appointment?_id={{context.appointments.Appointment.id}}"
            "&_include=Appointment:patient&_include=Appointment:based-on",
        },
        extension=_OPTIONS,
    ),
}


def b12_orders(request: HookRequest) -> list[Resource]:
    """The B12 orders in this call's context (order-select: only the selected ones)."""
    context = request.context
    kinds: tuple[str, ...] = _ORDER_TYPES
    if request.hook == "appointment-book":
        candidates, kinds = resources_in(context.get("appointments")), ("Appointment",)
    else:
        candidates = resources_in(context.get("draftOrders"))
    pool = [*candidates, *(r for v in (request.prefetch or {}).values() for r in resources_in(v))]
    related = {f"{r.get('resourceType')}/{r.get('id')}": r for r in pool}
    if request.hook == "order-select" and isinstance(context.get("selections"), list):
        chosen = {str(s) for s in context["selections"]}
        candidates = [r for r in candidates if f"{r.get('resourceType')}/{r.get('id')}" in chosen]
    return [r for r in candidates if r.get("resourceType") in kinds and order_drug(r, related)]


def pick_coverage(order: Resource, data: FhirData) -> Resource | None:
    for target in [ref(i) for i in dicts(order.get("insurance"))]:
        hit = data.related.get(target) or next(
            (c for c in data.coverages if target.endswith(f"Coverage/{c.get('id')}")), None
        )
        if hit:
            return hit
    active = [c for c in data.coverages if c.get("status", "active") == "active"]
    return active[0] if active else None


def validate_hook(service_id: str, request: HookRequest) -> None:
    service = SERVICES.get(service_id)
    if service is None:
        raise ApiError(404, "unknown-service", "Unknown CDS service", f"no service {service_id!r}; see /cds-services")
    if request.hook != service.hook:
        raise ApiError(
            400, "wrong-hook", "Wrong hook", f"service {service_id} answers {service.hook}, not {request.hook}"
        )
    if request.fhirAuthorization is not None and not request.fhirServer:
        raise ApiError(400, "invalid-request", "Invalid request", "fhirServer is required with fhirAuthorization")


class HookEvaluator:
    def __init__(self, checker: Callable[[], Checker], history: HistorySource, gatherer: FhirGatherer) -> None:
        """`checker` is called only when there is a B12 order to check (other calls need no engine)."""
        self.checker, self.history, self.gatherer = checker, history, gatherer

    async def evaluate(self, service_id: str, request: HookRequest, today: dt.date) -> HookResponse:
        validate_hook(service_id, request)
        orders = b12_orders(request)
        if not orders:
            return HookResponse(cards=())
        data = await self.gatherer.gather(request)
        cards: list[Card] = []
        actions: list[Action] = []
        for order in orders:
            await self._one(request, order, data, today, cards, actions)
        cards, actions = crd_options.apply(crd_options.chosen(request.extension), cards, actions)
        return HookResponse(cards=tuple(cards), systemActions=tuple(actions))

    async def _one(
        self,
        request: HookRequest,
        order: Resource,
        data: FhirData,
        today: dt.date,
        cards: list[Card],
        actions: list[Action],
    ) -> None:
        coverage = pick_coverage(order, data)
        if coverage is None:
            cards.append(_no_coverage_card())
            return
        try:
            claim = to_claim(order, coverage, data.patient, data.related, today, data.observations)
        except InputError as exc:
            raise ApiError(422, "unprocessable", "Cannot map the order", str(exc)) from None
        day = claim.first_date_of_service or today
        if isinstance(self.history, NoHistory):
            history = EMPTY_HISTORY
        else:  # a database round trip (PostgreSQL may be remote): keep it off the event loop
            history = await run_in_threadpool(self.history.history_for, claim.patient.key, day)
        claim = with_authorization_on_file(claim, history)
        report = self.checker().check(claim, history, as_of=today)
        supporting = request.hook in SUPPORTING
        label = claim.payer.name or claim.payer.id
        mine = cards_for(report, claim, order, label, supporting=supporting)
        if self._lower_dose_avoids_pa(claim, history, today, report) and (
            card := dose_for_pa_card(order, label, report.prior_auth)
        ):
            mine.insert(0, card)  # the most actionable answer first
        cards.extend(mine)
        decision = decide(report, claim, history, supporting=supporting)
        order_ref = f"{order.get('resourceType')}/{order.get('id')}"
        ext = extension(decision, claim, f"Coverage/{coverage.get('id')}", order_ref, today)
        kind = str(order.get("resourceType"))  # the annotation answers for the order as written
        actions.append(
            Action(
                type="update",
                description=f"Added coverage information to {kind} resource.",
                resource=annotate(order, ext),
            )
        )

    def _lower_dose_avoids_pa(self, claim: Claim, history: History, today: dt.date, report: Report) -> bool:
        """True when the engine needs a PA for this dose (over 1000 mcg) but none for the same order at 1000."""
        dose = in_mcg(claim.encounter.dose) if claim.encounter else None
        if not any(line.code == "J3420" for line in claim.lines):  # the 1000 mcg alternative is a B12 dose
            return False
        if dose is None or dose <= 1000 or report.prior_auth.status not in ("required", "conditional"):
            return False
        lower = self.checker().prior_auth(at_1000_mcg(claim), history, as_of=today)
        return lower.status in ("not-required", "on-file")


def at_1000_mcg(claim: Claim) -> Claim:
    """The same order at 1000 mcg: one J3420 unit."""
    drug = msgspec.structs.replace(claim.lines[0], units=1)
    encounter = msgspec.structs.replace(claim.encounter, dose=legacy_amount(1000.0)) if claim.encounter else None
    return msgspec.structs.replace(claim, lines=(drug, *claim.lines[1:]), encounter=encounter)


def with_authorization_on_file(claim: Claim, history: History) -> Claim:
    """An order has no REF*G1 yet: when an approved authorization on file covers it, the claim will carry it."""
    day, code = claim.first_date_of_service, claim.lines[0].code
    for auth in history.authorizations:
        if (
            auth.payer_id == claim.payer.id
            and auth.code == code
            and auth.status in ("approved", "partial")
            and auth.patient_key in (None, claim.patient.key)
            and day is not None
            and auth.covers(day)
        ):
            return msgspec.structs.replace(claim, prior_auth=auth.number)
    return claim


def _no_coverage_card() -> Card:
    topic: dict[str, Any] = {
        "system": "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp",
        "code": "insurance",
        "display": "Insurance",
    }
    return Card(
        summary="No active coverage found for this patient: coverage for the B12 injection is unknown",
        indicator="info",
        source=CardSource(label="preclaim", topic=Coding(**topic)),
    )
