"""Read-only REST: the policy library, per-plan checklists and code pages (JSON, or HTML by Accept)."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any, cast

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import HTMLResponse, Response

from preclaim.api.openapi import responses
from preclaim.api.problems import ApiError
from preclaim.api.query_guard import single_valued_query
from preclaim.api.rest_routes import _as_of, _state, library
from preclaim.domain.report import PolicyRef, Source
from preclaim.policy import PayerKey, source_of

router = APIRouter(prefix="/v1", tags=["REST"], dependencies=[Depends(single_valued_query)])
_encode = msgspec.json.Encoder().encode


class PolicySummary(msgspec.Struct, frozen=True):
    id: str
    title: str
    version: str
    layer: int
    illustrative: bool
    effective_start: dt.date
    effective_end: dt.date | None
    summary: str | None
    drugs: tuple[str, ...]


class ChecklistEntry(msgspec.Struct, frozen=True):
    id: str
    item: str
    source: Source


class PriorAuthRule(msgspec.Struct, frozen=True):
    requirement: str
    reason: str
    source: Source


class Checklist(msgspec.Struct, frozen=True):
    payer: str
    plan: str | None
    code: str
    as_of: dt.date
    policies: tuple[PolicyRef, ...]
    prior_auth: PriorAuthRule | None
    items: tuple[ChecklistEntry, ...]


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


@router.get("/policies", summary="The policy library", responses=responses(list[PolicySummary], 401, 503))
async def policies(request: Request) -> Response:
    state = _state(request)
    await state.rest_client(request)
    out = [
        PolicySummary(
            p.id,
            p.title,
            p.version,
            p.layer,
            p.illustrative,
            p.effective.start,
            p.effective.end,
            p.summary,
            tuple(sorted(p.drugs)),
        )
        for p in library(state).policies
    ]
    return _json(_encode(out))


@router.get("/policies/{policy_id}", summary="One policy, as data", responses=responses(None, 401, 404, 503))
async def policy(policy_id: str, request: Request) -> Response:
    state = _state(request)
    await state.rest_client(request)
    found = library(state).get(policy_id)
    if found is None:
        raise ApiError(404, "not-found", "No such policy", f"no policy {policy_id!r}; see /v1/policies")
    return _json(_encode(found))


@router.get(
    "/checklist",
    summary="Documentation checklist and prior-auth rule for a payer plan",
    responses=responses(Checklist, 401, 503),
)
async def checklist(
    request: Request,
    payer: str = Query(..., min_length=1, max_length=100, description="payer id or name"),
    plan: str | None = Query(None, max_length=100),
    filing_indicator: str | None = Query(None, max_length=2, description="837 SBR09, e.g. MB, MC, CI"),
    state: str | None = Query(None, max_length=2, description="billing provider state"),
    code: str = Query("J3420", max_length=5, description="HCPCS code of a catalog drug (J3420, J1885, J1071, ...)"),
    as_of: str | None = Query(None, description="YYYY-MM-DD"),
) -> Response:
    svc = _state(request)
    await svc.rest_client(request)
    day = _as_of(as_of, svc)
    drugs = svc.engine().codes.drugs  # type: ignore[attr-defined]
    if drugs.drug(code) is None:
        known = ", ".join(d.hcpcs for d in drugs.all())
        raise ApiError(404, "not-found", "Unknown drug", f"{code!r} is not a drug in the catalog (known: {known})")
    key = PayerKey(
        payer, payer, filing_indicator.upper() if filing_indicator else None, state.upper() if state else None, plan
    )
    resolved = library(svc).resolve(key, day)
    pa = resolved.drug_section(code.upper(), "prior_auth")
    docs = resolved.drug_section(code.upper(), "documentation")
    items = (
        tuple(ChecklistEntry(i.id, i.item, source_of(docs.policy, i.source)) for i in cast(tuple[Any, ...], docs.value))
        if docs
        else ()
    )
    rule = PriorAuthRule(pa.value.requirement, pa.value.reason, pa.source) if pa else None
    body = Checklist(payer, plan, code.upper(), day, resolved.refs, rule, items)
    return _json(_encode(body))


@router.get(
    "/codes/{code}",
    summary="Code page (JSON, or HTML with Accept: text/html)",
    responses=responses(None, 401, 404, 503),
)
async def code(code: str, request: Request) -> Response:
    svc = _state(request)
    await svc.rest_client(request)
    engine = svc.engine()
    from preclaim.codepage import code_page

    page = code_page(code.strip().upper(), engine.codes, engine.policies)  # type: ignore[attr-defined]
    if page is None:
        raise ApiError(404, "not-found", "Unknown code", f"{code!r} is not a code preclaim knows")
    if "text/html" in request.headers.get("accept", "") and "json" not in request.headers.get("accept", ""):
        return HTMLResponse(render_page(msgspec.to_builtins(page)))
    return _json(_encode(page))


def render_page(page: dict[str, Any]) -> str:
    esc = html.escape
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(page['code'])}</title></head><body>",
        f"<h1>{esc(page['code'])}: {esc(page['headline'])}</h1>",
        f"<p>Status: {esc(page['status'])}</p>",
    ]
    for section in page["sections"]:
        parts.append(f"<h2>{esc(section['title'])}</h2><ul>")
        parts += [f"<li>{esc(line)}</li>" for line in section["lines"]]
        parts.append("</ul>")
        for src in section.get("sources", []):
            label = esc(src["title"])
            parts.append(
                f"<p>Source: <a href='{esc(src['url'])}'>{label}</a></p>"
                if src.get("url")
                else f"<p>Source: {label}</p>"
            )
    parts.append("</body></html>")
    return "".join(parts)
