"""The claim/encounter form, the ICD-10-CM search behind it, and the letter of medical necessity from it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from preclaim.domain.report import Report
from preclaim.facade import check
from preclaim.web import form as claim_form
from preclaim.web.checklist import plan_key, plans
from preclaim.web.deps import WebDeps, allowed, who
from preclaim.web.guard import guarded, read_form
from preclaim.web.icd_search import search_icd10
from preclaim.web.render import page, pdf

router = APIRouter(include_in_schema=False)
DEFAULTS = {"code": "J3420", "units": "1", "place_of_service": "11", "admin_96372": "1", "ndc_unit": "ML"}


def _payers(web: WebDeps) -> list[dict[str, str]]:
    out = []
    for policy in plans(web.engine.policies):
        key = plan_key(policy)
        if key.payer_id:
            out.append({"id": key.payer_id, "label": policy.payer_label or policy.title})
    return out


def _drugs(web: WebDeps, chosen: str) -> list[tuple[str, str]]:
    """The form's drug picker: every catalog drug with its billing unit, and the claim's own code when it is
    not one of them (an unclassified J3490, a code being fixed), so editing a claim never loses its code."""
    options = [
        (d.hcpcs, f"{d.hcpcs} {d.substance} ({'up to' if d.up_to else 'per'} {d.per_unit})")
        for d in web.engine.codes.drugs.all()
    ]
    if chosen and chosen not in {code for code, _ in options}:
        options.insert(0, (chosen, f"{chosen} (not a catalog drug)"))
    return options


def _context(web: WebDeps, values: dict[str, str], **extra: Any) -> dict[str, Any]:
    codes = web.engine.codes
    described = []
    for name in claim_form.DIAGNOSIS_FIELDS:
        entry = codes.icd10(values[name]) if values.get(name) else None
        if entry is not None:
            described.append((entry.code, entry.description))
    return {
        "values": values,
        "errors": {},
        "by_field": {},
        "report": None,
        "payers": _payers(web),
        "drugs": _drugs(web, (values.get("code") or "").strip().upper()),
        "dx_descriptions": described,
        "filing_indicators": list(claim_form.FILING_INDICATORS.items()),
        "ndc_units": [(u, u) for u in claim_form.NDC_UNITS],
        "vials": [(v, v) for v in claim_form.VIALS],
        "routes": [(r, r) for r in claim_form.ROUTES],
        "phases": [(p, p) for p in claim_form.PHASES],
        "yes_no": [("yes", "yes"), ("no", "no")],
        "has_store": web.store is not None,
        "labels": claim_form.LABELS,
        "kept": None,
        **extra,
    }


def _item_values(web: WebDeps, item_id: int) -> dict[str, str] | None:
    from preclaim.web.claim_edit import claim_values
    from preclaim.web.letter_pack import item_claim
    from preclaim.web.routes_item import load_item

    found = load_item(web, item_id)
    pair = item_claim(found[0]) if found else None
    return {**claim_values(pair[0]), "item": str(item_id)} if pair else None


@router.get("/")
@guarded
async def claim_page(request: Request, web: WebDeps) -> Response:
    item = request.query_params.get("item", "")
    if item.isdigit() and allowed(who(request), "biller"):
        values = await run_in_threadpool(_item_values, web, int(item))
        if values is None:
            return page(
                request, "message.html", 404, title="No such claim", message=f"The worklist has no claim {item}."
            )
        return page(request, "claim.html", **_context(web, values))
    values = {**DEFAULTS, **{k: v for k, v in request.query_params.items() if len(v) < 200 and k != "item"}}
    return page(request, "claim.html", **_context(web, values))


def _save_item(web: WebDeps, actor: str, item_id: int, parsed: claim_form.ParsedForm, today: dt.date) -> Report | None:
    """A worklist claim fixed in the form: merge the edits, check again, and update its row."""
    from preclaim.store.people import audit
    from preclaim.store.worklist import replace_check
    from preclaim.web.claim_edit import merge
    from preclaim.web.letter_pack import item_claim
    from preclaim.web.routes_item import load_item

    found = load_item(web, item_id)
    pair = item_claim(found[0]) if found else None
    if pair is None or parsed.claim is None:
        return None
    claim = merge(pair[0], parsed.claim)
    parsed.claim = claim
    report = _check(web, parsed, today)
    from preclaim.store.models_web import WorkItemRow

    with web.desk.transaction() as session:
        item = session.get_one(WorkItemRow, item_id)
        before = item.verdict
        replace_check(session, item, claim, report)
        audit(session, actor, "re-checked", f"claim {item_id}", f"{claim.id}: {before} -> {report.verdict}")
    return report


def _check(web: WebDeps, parsed: claim_form.ParsedForm, today: dt.date) -> Report:
    assert parsed.claim is not None
    (report,) = check(
        parsed.claim, engine=web.engine, history=parsed.history, stored=web.stored, as_of=parsed.as_of or today
    )
    return report


@router.post("/check")
@guarded
async def check_form(request: Request, web: WebDeps) -> Response:
    parsed = claim_form.parse_form(await read_form(request), web.engine.codes.drugs)
    if parsed.claim is None:
        return page(request, "claim.html", 422, **_context(web, parsed.values, errors=parsed.errors))
    kept = None
    if parsed.values.get("keep") and web.store is not None and not parsed.values.get("claim_id"):
        errors = {"claim_id": "a claim number (CLM01) is needed to keep the claim in history"}
        return page(request, "claim.html", 422, **_context(web, parsed.values, errors=errors))
    item = parsed.values.get("item", "")
    me = who(request)
    if item.isdigit() and allowed(me, "biller"):
        saved = await run_in_threadpool(_save_item, web, me.actor, int(item), parsed, web.today())
        if saved is None:
            return page(
                request, "message.html", 404, title="No such claim", message=f"The worklist has no claim {item}."
            )
        report = saved
    else:
        report = await run_in_threadpool(_check, web, parsed, web.today())
        await run_in_threadpool(web.audit, me.actor, "checked", f"form claim {parsed.values.get('claim_id', '')}"[:200])
    if parsed.values.get("keep") and web.store is not None:
        from preclaim.store import record_check

        claim = parsed.claim
        await run_in_threadpool(lambda: record_check(web.store, claim, report, as_history=True))
        kept = parsed.values["claim_id"]
    by_field = claim_form.findings_by_field(report.findings)
    general = [f.rule for f in by_field.get(claim_form.GENERAL, [])]
    context = _context(web, parsed.values, report=report, by_field=by_field, general_rules=general, kept=kept)
    context["saved_item"] = int(item) if item.isdigit() and allowed(me, "biller") else None
    return page(request, "claim.html", field_of=claim_form.field_of, **context)


@router.post("/letters/necessity.pdf")
@guarded
async def necessity_pdf(request: Request, web: WebDeps) -> Response:
    from preclaim.letters import necessity_letter, render_pdf

    parsed = claim_form.parse_form(await read_form(request), web.engine.codes.drugs)
    if parsed.claim is None:
        return page(request, "claim.html", 422, **_context(web, parsed.values, errors=parsed.errors))
    today = web.today()
    report = await run_in_threadpool(_check, web, parsed, today)
    from preclaim.store.letterhead import load_practice, payer_address

    practice = await run_in_threadpool(load_practice, web.desk)
    payer = await run_in_threadpool(payer_address, web.desk, parsed.claim.payer.id)
    letter = necessity_letter(parsed.claim, report, web.engine.codes, today, practice=practice, payer=payer)
    await run_in_threadpool(web.audit, who(request).actor, "letter", "form claim", f"necessity: {parsed.claim.id}")
    return pdf(await run_in_threadpool(render_pdf, letter), letter.filename)


@router.get("/web-api/icd10")
@guarded
async def icd10(request: Request, web: WebDeps, q: str = Query("", max_length=60)) -> Response:
    return JSONResponse(search_icd10(q), headers={"cache-control": "max-age=3600"})
