"""The claim worklist: filter, search, sort and page in SQL; statuses with a note; export of the current view."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select, update
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from preclaim.store.models import utcnow
from preclaim.store.models_web import STATUSES, BatchRow, WorkItemRow
from preclaim.store.worklist import WorkFilter, WorkPage, facets, query_page
from preclaim.web.deps import WebDeps, who
from preclaim.web.guard import guarded
from preclaim.web.render import page
from preclaim.web.worklist_view import VERDICTS, pages, parse_filter, query_of

router = APIRouter(include_in_schema=False)
MAX_SELECTED = 500


def _load(web: WebDeps, chosen: WorkFilter) -> tuple[WorkPage, dict[str, Any], list[BatchRow]]:
    if web.store is not None:
        from preclaim.store.worklist_sync import sync_history

        sync_history(web.store)
    with web.desk.transaction(write=False) as session:
        found = query_page(session, chosen)
        menus = facets(session)
        batches = list(session.scalars(select(BatchRow).order_by(BatchRow.id.desc()).limit(30)))
    return found, menus, batches


@router.get("/worklist")
@guarded(role="biller")
async def worklist(request: Request, web: WebDeps) -> Response:
    chosen, errors = parse_filter(request.query_params)
    found, menus, batches = await run_in_threadpool(_load, web, chosen)
    last = max(1, (found.total + chosen.per_page - 1) // chosen.per_page)
    current = min(chosen.page, last)
    return page(
        request,
        "worklist.html",
        422 if errors else 200,
        f=chosen,
        errors=errors,
        found=found,
        menus=menus,
        batches=batches,
        verdicts=VERDICTS,
        statuses=STATUSES,
        page_no=current,
        last_page=last,
        page_links=pages(current, last),
        query=query_of(chosen),
        link=lambda **changes: "/worklist?" + query_of(chosen, **changes),
        message=request.query_params.get("done", "")[:200],
    )


def selected_ids(form: Any) -> list[int]:
    ids = [int(v) for v in form.getlist("id") if isinstance(v, str) and v.isdigit()]
    return list(dict.fromkeys(ids))[:MAX_SELECTED]


def back_to(form: Any, fallback: str = "/worklist") -> str:
    target = re.sub(r"[?&]done=[^&]*", "", str(form.get("back") or ""))
    return target if target.startswith("/worklist") and "//" not in target else fallback


def set_status(web: WebDeps, actor: str, ids: list[int], status: str, note: str) -> int:
    from preclaim.store.people import audit

    with web.desk.transaction() as session:
        rows = list(session.execute(select(WorkItemRow.id, WorkItemRow.claim_id).where(WorkItemRow.id.in_(ids))))
        session.execute(
            update(WorkItemRow)
            .where(WorkItemRow.id.in_([r.id for r in rows]))
            .values(status=status, status_note=note, status_by=actor, status_at=utcnow())
        )
        for row in rows:
            audit(
                session, actor, "status", f"claim {row.id}", f"{row.claim_id}: {status}" + (f": {note}" if note else "")
            )
    return len(rows)


@router.post("/worklist/status")
@guarded(role="biller")
async def change_status(request: Request, web: WebDeps) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_SELECTED + 10)
    ids, status = selected_ids(form), str(form.get("status") or "")
    note = str(form.get("note") or "").strip()[:500]
    target = back_to(form)
    if status not in STATUSES or not ids:
        problem = "Choose a status." if status not in STATUSES else "Select at least one claim."
        return page(request, "message.html", 422, title="Nothing changed", message=problem, back=target)
    changed = await run_in_threadpool(set_status, web, who(request).actor, ids, status, note)
    joiner = "&" if "?" in target else "?"
    words = f"{changed} claim{'s' if changed != 1 else ''} set to {status.replace('-', ' ')}"
    return RedirectResponse(f"{target}{joiner}done={words.replace(' ', '+')}", status_code=303)
