"""One claim on the worklist: what was found, its status history, its letter, and its corrected 837P."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from preclaim.errors import PreclaimError
from preclaim.store.models_web import STATUSES, BatchRow, WorkItemRow
from preclaim.web.deps import WebDeps, who
from preclaim.web.guard import guarded
from preclaim.web.letter_pack import choose, item_claim, letter_pdf, stored_denial
from preclaim.web.render import HEADERS, page, pdf

router = APIRouter(include_in_schema=False)


def load_item(web: WebDeps, item_id: int) -> tuple[WorkItemRow, BatchRow | None] | None:
    with web.desk.transaction(write=False) as session:
        item = session.get(WorkItemRow, item_id)
        if item is None:
            return None
        batch = session.get(BatchRow, item.batch_id) if item.batch_id else None
        return item, batch


def _missing(request: Request, item_id: int) -> Response:
    return page(request, "message.html", 404, title="No such claim", message=f"The worklist has no claim {item_id}.")


def _details(web: WebDeps, item_id: int) -> dict[str, Any] | None:
    from preclaim.store.people import recent_audit

    found = load_item(web, item_id)
    if found is None:
        return None
    item, batch = found
    context: dict[str, Any] = {"item": item, "batch": batch, "claim": None, "report": None, "choice": None}
    pair = item_claim(item)
    if pair is not None:
        claim, report = pair
        choice, denial = choose(web, claim, report)
        context.update(claim=claim, report=report, choice=choice, denial=denial)
    context["history"] = recent_audit(web.desk, 50, target=f"claim {item_id}")
    context["can_replace"] = bool(batch and item.segment_number is not None and Path(batch.path).is_file())
    return context


@router.get("/worklist/{item_id:int}")
@guarded(role="biller")
async def item_page(request: Request, web: WebDeps, item_id: int) -> Response:
    context = await run_in_threadpool(_details, web, item_id)
    if context is None:
        return _missing(request, item_id)
    return page(request, "item.html", statuses=STATUSES, **context)


@router.get("/worklist/{item_id:int}/letter.pdf")
@guarded(role="biller")
async def item_letter(request: Request, web: WebDeps, item_id: int) -> Response:
    found = await run_in_threadpool(load_item, web, item_id)
    pair = item_claim(found[0]) if found else None
    if pair is None:
        return _missing(request, item_id)
    claim, report = pair
    choice, denial = await run_in_threadpool(choose, web, claim, report)
    if choice.kind not in ("necessity", "appeal"):
        return page(request, "message.html", 409, title="No letter for this claim", message=choice.reason)
    data, name = await run_in_threadpool(letter_pdf, web, claim, report, choice, denial)
    await run_in_threadpool(web.audit, who(request).actor, "letter", f"claim {item_id}", f"{choice.kind}: {claim.id}")
    return pdf(data, name)


def _corrected(web: WebDeps, item_id: int) -> tuple[str, str] | str:
    from preclaim.edi.x12.replace837 import corrected_837, find_claim

    found = load_item(web, item_id)
    pair = item_claim(found[0]) if found else None
    if found is None or pair is None:
        return "This claim is not on the worklist, or it could not be read."
    item, batch = found
    if batch is None or item.segment_number is None or not Path(batch.path).is_file():
        return (
            "Only claims uploaded as an 837P can be written back as one "
            "(the file carries names and addresses preclaim never stores)."
        )
    claim = pair[0]
    parsed = find_claim(batch.path, item.segment_number)
    if parsed is None:
        return f"Claim {claim.id} is no longer readable in {batch.filename}."
    denial = stored_denial(web.store, claim)
    number = claim.payer_claim_control_number or (denial.payment.payer_claim_number if denial else None)
    try:
        text = corrected_837(parsed, claim, number)
    except PreclaimError as exc:
        return f"The corrected claim could not be written: {exc}"
    return text, f"corrected-{claim.id}.837"


@router.get("/worklist/{item_id:int}/corrected.837")
@guarded(role="biller")
async def corrected(request: Request, web: WebDeps, item_id: int) -> Response:
    made = await run_in_threadpool(_corrected, web, item_id)
    if isinstance(made, str):
        return page(request, "message.html", 409, title="No corrected 837P", message=made)
    text, name = made
    await run_in_threadpool(web.audit, who(request).actor, "corrected 837P", f"claim {item_id}", name)
    headers = {**HEADERS, "content-disposition": f'attachment; filename="{name}"'}
    return Response(text.encode("latin-1"), media_type="application/edi-x12", headers=headers)
