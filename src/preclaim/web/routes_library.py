"""Read-only pages over the library: policies with sources and dates, code pages, and plan checklists."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from preclaim.policy import PayerKey
from preclaim.policy import source_of as cite_source
from preclaim.web.checklist import PlanSheet, plan_key, plan_sheet, plans
from preclaim.web.deps import WebDeps
from preclaim.web.guard import guarded
from preclaim.web.render import page, pdf

router = APIRouter(include_in_schema=False)


@router.get("/policies")
@guarded
async def policies(request: Request, web: WebDeps) -> Response:
    return page(request, "policies.html", policies=web.engine.policies.policies)


@router.get("/policies/{policy_id}")
@guarded
async def policy(request: Request, web: WebDeps, policy_id: str) -> Response:
    found = web.engine.policies.get(policy_id)
    if found is None:
        return page(request, "message.html", 404, title="No such policy", message=f"no policy {policy_id!r}")
    sources = {sid: cite_source(found, sid) for sid in found.sources}
    lists = web.engine.policies.code_lists
    catalog = web.engine.codes.drugs
    per_unit = {
        code: f"{'up to ' if drug.up_to else ''}{drug.per_unit}"
        for code in found.drugs
        if (drug := catalog.drug(code)) is not None
    }
    return page(
        request, "policy.html", policy=found, sources=sources, docs=found.sources, code_lists=lists, per_unit=per_unit
    )


@router.get("/codes/{code}")
@guarded
async def code(request: Request, web: WebDeps, code: str) -> Response:
    from preclaim.codepage import code_page

    found = code_page(code[:12], web.engine.codes, web.engine.policies)
    if found is None:
        return page(
            request, "message.html", 404, title="Unknown code", message=f"{code[:12]!r} is not a code preclaim knows"
        )
    return page(request, "code.html", page=found)


def _sheet(request: Request, web: WebDeps) -> tuple[PlanSheet | None, dict[str, str]]:
    q = {k: v[:100] for k, v in request.query_params.items()}
    day = web.today()
    if q.get("as_of"):
        try:
            day = dt.date.fromisoformat(q["as_of"])
        except ValueError:
            q["error"] = "as_of: expected YYYY-MM-DD"
    library = web.engine.policies
    if q.get("policy"):
        chosen = library.get(q["policy"])
        if chosen is None:
            q["error"] = f"no policy {q['policy']!r}"
            return None, q
        return plan_sheet(library, plan_key(chosen), day, q.get("code", "J3420").upper()), q
    if q.get("payer"):
        up = {k: (q.get(k) or "").upper() or None for k in ("filing_indicator", "state")}
        key = PayerKey(
            q["payer"], q.get("payer_name") or q["payer"], up["filing_indicator"], up["state"], q.get("plan") or None
        )
        return plan_sheet(library, key, day, q.get("code", "J3420").upper()), q
    return None, q


@router.get("/checklist")
@guarded
async def checklist(request: Request, web: WebDeps) -> Response:
    sheet, q = _sheet(request, web)
    query = request.url.query
    return page(request, "checklist.html", sheet=sheet, q=q, plans=plans(web.engine.policies), query=query)


@router.get("/checklist.pdf")
@guarded
async def checklist_pdf(request: Request, web: WebDeps) -> Response:
    from preclaim.web.checklist_pdf import render_checklist_pdf

    sheet, q = _sheet(request, web)
    if sheet is None:
        return page(request, "message.html", 422, title="Choose a plan", message=q.get("error") or "pick a plan first")
    name = f"checklist-{(sheet.key.payer_id or 'plan').lower()}-{sheet.as_of.isoformat()}.pdf"
    return pdf(await run_in_threadpool(render_checklist_pdf, sheet), name)
