"""Store 835 claim payments with their adjustments, linked to the claims they answer (CLP01 = CLM01).

One transaction per CLP. Keyed on (payer, CLP01, payer claim number, status, trace number): the same
file again adds nothing, and a reversal (CLP02 22) followed by a corrected payment are separate rows.
Linking works in both orders: a payment is linked when it arrives after its claim, and a claim imported
later picks up payments that were waiting for it (claims.upsert_claim).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from preclaim.edi.x12.remit import ClaimPayment, Remittance
from preclaim.store.claims import Outcome
from preclaim.store.db import Store
from preclaim.store.import_run import ImportResult, Progress, run_import
from preclaim.store.models import AdjustmentRow, ClaimRow, RemittanceLineRow, RemittanceRow


def first_service_date(payment: ClaimPayment) -> dt.date | None:
    days = [d for s in payment.services for d in (s.service_date, s.start) if d is not None]
    return min(days) if days else payment.statement_start


def payer_key(remittance: Remittance) -> str:
    return remittance.payer.id or remittance.payer.name or "unknown-payer"


def find_answered_claim(session: Session, claim_id: str, day: dt.date | None) -> int | None:
    """The stored claim a payment answers: same CLM01 and, when several share it, the same first date."""
    rows = session.execute(
        select(ClaimRow.id, ClaimRow.first_date_of_service).where(ClaimRow.claim_id == claim_id)
    ).all()
    if day is not None and len(rows) > 1:
        rows = [r for r in rows if r.first_date_of_service == day]
    return int(rows[0].id) if len(rows) == 1 else None


def _row(remittance: Remittance, payment: ClaimPayment) -> RemittanceRow:
    row = RemittanceRow(
        claim_id=payment.claim_id,
        payer_id=payer_key(remittance),
        status=payment.status,
        charge=payment.charge,
        paid=payment.paid,
        patient_responsibility=payment.patient_responsibility,
        payer_claim_number=payment.payer_claim_number or "",
        trace_number=remittance.trace_number or "",
        paid_on=remittance.payment_date or remittance.production_date,
        first_date_of_service=first_service_date(payment),
        source="835",
    )
    for adj in payment.adjustments:
        row.adjustments.append(_adjustment(adj.group, adj.reason, adj.amount, adj.quantity))
    for number, service in enumerate(payment.services, start=1):
        line = RemittanceLineRow(
            number=number,
            code=service.code,
            modifiers=":".join(service.modifiers),
            charge=service.charge,
            paid=service.paid,
            units=None if service.units is None else float(service.units),
            date_of_service=service.service_date or service.start,
            remarks=" ".join(service.remarks),
        )
        row.lines.append(line)
        for adj in service.adjustments:
            adjustment = _adjustment(adj.group, adj.reason, adj.amount, adj.quantity)
            adjustment.line = line
            row.adjustments.append(adjustment)
    return row


def _adjustment(group: str, reason: str, amount: Decimal, quantity: Decimal | None) -> AdjustmentRow:
    return AdjustmentRow(
        group_code=group,
        reason=reason,
        amount=amount,
        quantity=None if quantity is None else float(quantity),
    )


def store_payment(session: Session, remittance: Remittance, payment: ClaimPayment) -> tuple[Outcome, bool]:
    """(outcome, linked to a claim)."""
    row = _row(remittance, payment)
    existing = session.execute(
        select(RemittanceRow.id, RemittanceRow.claim_pk).where(
            RemittanceRow.payer_id == row.payer_id,
            RemittanceRow.claim_id == row.claim_id,
            RemittanceRow.payer_claim_number == row.payer_claim_number,
            RemittanceRow.status == row.status,
            RemittanceRow.trace_number == row.trace_number,
        )
    ).first()
    if existing is not None:
        return "unchanged", existing.claim_pk is not None
    row.claim_pk = find_answered_claim(session, row.claim_id, row.first_date_of_service)
    session.add(row)
    session.flush()
    return "added", row.claim_pk is not None


def import_835(store: Store, path: Path, *, progress: Progress | None = None, digest: str = "") -> ImportResult:
    from preclaim.edi.x12.read835 import iter_remittances

    result = ImportResult(kind="history-835", source=str(path))
    result.counts["linked"] = 0

    def payments() -> Iterator[tuple[Remittance, ClaimPayment]]:
        for remittance in iter_remittances(path):
            for payment in remittance.claims:
                yield remittance, payment

    def write(session: Session, item: tuple[Remittance, ClaimPayment]) -> Outcome:
        outcome, linked = store_payment(session, *item)
        result.counts["linked"] += int(linked and outcome == "added")
        return outcome

    return run_import(store, payments(), write, result, progress=progress, digest=digest)
