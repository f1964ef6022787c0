"""What an uploaded 835 shows (denials with causes, an appeal letter per denied claim), keeping a file in history,
and the letters posted from those pages."""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from preclaim.domain.claim import Claim
from preclaim.edi.x12.remit import ClaimPayment, Remittance
from preclaim.io.legacy import upgrade_claim
from preclaim.letters.appeal import denial_adjustments
from preclaim.web.deps import WebDeps
from preclaim.web.guard import guarded, read_form
from preclaim.web.render import page, pdf

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class PaymentRow:
    payment: ClaimPayment
    payer_name: str | None
    payer_id: str | None
    denials: tuple[str, ...]
    remarks: tuple[str, ...]
    causes: tuple[str, ...]
    document: str  # JSON handed back to /letters/appeal.pdf


def x12_kind(data: bytes) -> str | None:
    """'837' or '835' from the first ST segment, None when the bytes are not an X12 interchange."""
    from preclaim.io.sniff import HEAD_BYTES, x12_transaction

    return x12_transaction(data[:HEAD_BYTES])


def read_payments(data: bytes) -> list[PaymentRow]:
    from preclaim.edi.denials import denial_table
    from preclaim.edi.x12.read835 import iter_remittances

    table = denial_table()
    rows = []
    for remittance in iter_remittances(io.BytesIO(data)):
        for payment in remittance.claims:
            rows.append(_payment_row(remittance, payment, table))
    return rows


def _payment_row(remittance: Remittance, payment: ClaimPayment, table: Any) -> PaymentRow:
    denials = tuple(dict.fromkeys(a.code for a in denial_adjustments(payment)))
    remarks = tuple(dict.fromkeys([*payment.remarks, *(r for s in payment.services for r in s.remarks)]))
    causes = tuple(_cause(table.carcs[c.split("-")[1]], remarks) for c in denials if c.split("-")[1] in table.carcs)
    doc = {
        "payment": msgspec.to_builtins(payment),
        "payer_name": remittance.payer.name,
        "payer_id": remittance.payer.id,
    }
    return PaymentRow(
        payment, remittance.payer.name, remittance.payer.id, denials, remarks, causes, msgspec.json.encode(doc).decode()
    )


def _cause(entry: Any, remarks: tuple[str, ...]) -> str:
    """The root cause and its prevention; a remark code with its own advice (CO-16 with M53) is more precise."""
    advice = next((entry.rarc[r] for r in remarks if r in entry.rarc), entry)
    return f"{advice.root_cause}. Prevent: {advice.prevent}"


def keep(web: WebDeps, data: bytes, kind: str) -> str:
    """Import into the history store (a temporary file: the importers read paths); returns a summary."""
    from preclaim.store.x12_ingest import import_x12

    fd, name = tempfile.mkstemp(suffix=f".{kind}")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        result = import_x12(web.store, Path(name), kind)
    finally:
        os.unlink(name)
    parts = [f"{result.added} added", f"{result.updated} updated", f"{result.unchanged} already stored"]
    parts += [f"{v} {k}" for k, v in result.counts.items()]
    return ", ".join(parts) + "".join(f"; {p}" for p in result.problems[:5])


@router.post("/letters/claim-necessity.pdf")
@guarded
async def claim_necessity_pdf(request: Request, web: WebDeps) -> Response:
    """Letter of medical necessity for a claim read from an uploaded 837P (chart facts an 837P lacks are blanks)."""
    from preclaim.letters import necessity_letter, render_pdf

    fields = await read_form(request)
    try:
        claim = msgspec.convert(upgrade_claim(msgspec.json.decode(fields.get("claim", ""))), Claim)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return page(request, "message.html", 422, title="Cannot write the letter", message=f"claim: {exc}")
    today = web.today()
    history = web.history_for(claim.patient.key, claim.first_date_of_service or today)
    report = await run_in_threadpool(lambda: web.engine.check(claim, history, as_of=today))
    letter = necessity_letter(claim, report, web.engine.codes, today)
    return pdf(await run_in_threadpool(render_pdf, letter), letter.filename)


class _AppealDoc(msgspec.Struct):
    payment: ClaimPayment
    payer_name: str | None = None
    payer_id: str | None = None
    claim: Claim | None = None


@router.post("/letters/appeal.pdf")
@guarded
async def appeal_pdf(request: Request, web: WebDeps) -> Response:
    from preclaim.letters import appeal_letter, render_pdf

    fields = await read_form(request)
    try:
        doc = msgspec.json.decode(fields.get("document", ""), type=_AppealDoc)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return page(request, "message.html", 422, title="Cannot write the letter", message=f"document: {exc}")
    claim = doc.claim or stored_claim(web, doc.payment.claim_id)
    today = web.today()
    report = web.engine.check(claim, web.history_for(claim.patient.key, today), as_of=today) if claim else None
    letter = appeal_letter(
        doc.payment, doc.payer_name, web.engine.codes, today, payer_id=doc.payer_id, claim=claim, report=report
    )
    return pdf(await run_in_threadpool(render_pdf, letter), letter.filename)


def stored_claim(web: WebDeps, claim_id: str) -> Claim | None:
    """The claim the payment answers, from the store (its JSON document), when it was imported."""
    if web.store is None:
        return None
    from sqlalchemy import select

    from preclaim.store.models import ClaimRow

    with web.store.transaction(write=False) as session:
        row = session.scalars(
            select(ClaimRow).where(ClaimRow.claim_id == claim_id).order_by(ClaimRow.id.desc())
        ).first()
        document = row.document if row else None
    if not document:
        return None
    try:
        return msgspec.convert(upgrade_claim(msgspec.json.decode(document)), Claim)
    except msgspec.MsgspecError:
        return None
