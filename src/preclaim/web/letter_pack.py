"""Letters for worklist claims: which one each claim calls for (letters.choose), prefilled from the practice
profile and the payer address book, one PDF per claim or a zip for a selection (with a list of what was
left out and why)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select

from preclaim.domain.claim import Claim
from preclaim.domain.report import Report
from preclaim.edi.x12.remit import Adjustment, ClaimPayment, ServicePayment
from preclaim.io.legacy import upgrade_claim
from preclaim.letters.choose import Choice, for_claim, for_denial
from preclaim.store.models_web import WorkItemRow

NOT_DENIALS = ("1", "2", "3", "23", "45", "253", "A2", "94")  # patient share and contractual write-downs


@dataclass(frozen=True)
class Denial:
    payment: ClaimPayment
    payer_id: str
    notice: Any  # the remittance's date


def stored_denial(store: Any, claim: Claim) -> Denial | None:
    """The payer's latest denial of this claim from stored 835s (CLP01 = CLM01 and the first date of service)."""
    if store is None:
        return None
    from preclaim.store.models import RemittanceRow

    with store.transaction(write=False) as session:
        rows = session.scalars(
            select(RemittanceRow)
            .where(RemittanceRow.claim_id == claim.id, RemittanceRow.status != "22")
            .order_by(RemittanceRow.id.desc())
        ).all()
        row = next((r for r in rows if r.first_date_of_service in (None, claim.first_date_of_service)), None)
        if row is None:
            return None
        payment = _payment(row)
    denied = payment.status == "4" or any(a.reason not in NOT_DENIALS for a in payment.all_adjustments())
    return Denial(payment, row.payer_id, row.paid_on) if denied else None


def _payment(row: Any) -> ClaimPayment:
    by_line: dict[int | None, list[Adjustment]] = {}
    for adj in row.adjustments:
        by_line.setdefault(adj.line_id, []).append(Adjustment(adj.group_code, adj.reason, adj.amount))
    services = tuple(
        ServicePayment(
            "HC",
            line.code,
            line.charge or Decimal(0),
            line.paid or Decimal(0),
            modifiers=tuple(m for m in line.modifiers.split(":") if m),
            service_date=line.date_of_service,
            adjustments=tuple(by_line.get(line.id, ())),
            remarks=tuple(line.remarks.split()),
        )
        for line in row.lines
    )
    return ClaimPayment(
        claim_id=row.claim_id,
        status=row.status,
        charge=row.charge or Decimal(0),
        paid=row.paid or Decimal(0),
        payer_claim_number=row.payer_claim_number or None,
        adjustments=tuple(by_line.get(None, ())),
        services=services,
    )


def item_claim(item: Any) -> tuple[Claim, Report] | None:
    if not item.document or not item.report or item.verdict in ("rejected", "unchecked"):
        return None
    return msgspec.convert(upgrade_claim(msgspec.json.decode(item.document)), Claim), msgspec.json.decode(
        item.report, type=Report
    )


def choose(web: Any, claim: Claim, report: Report) -> tuple[Choice, Denial | None]:
    denial = stored_denial(web.store, claim)
    return (for_denial(denial.payment, claim), denial) if denial else (for_claim(claim, report), None)


def letter_pdf(web: Any, claim: Claim, report: Report, choice: Choice, denial: Denial | None) -> tuple[bytes, str]:
    from preclaim.letters import appeal_letter, necessity_letter, render_pdf
    from preclaim.store.letterhead import load_practice, payer_address

    practice = load_practice(web.desk)
    payer = payer_address(web.desk, claim.payer.id)
    today = web.today()
    if choice.kind == "appeal" and denial is not None:
        letter = appeal_letter(
            denial.payment, claim.payer.name, web.engine.codes, today, payer_id=denial.payer_id, claim=claim,
            report=report, practice=practice, payer=payer, notice_date=denial.notice,
        )  # fmt: skip
    else:
        letter = necessity_letter(claim, report, web.engine.codes, today, practice=practice, payer=payer)
    return render_pdf(letter), f"{letter.kind}-{_safe(claim.id)}.pdf"


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:40] or "claim"


def letters_for_items(web: Any, ids: list[int]) -> tuple[bytes, int]:
    """A zip with one letter per claim that calls for one, and LEFT-OUT.txt saying why the others have none."""
    with web.desk.transaction(write=False) as session:
        items = list(session.scalars(select(WorkItemRow).where(WorkItemRow.id.in_(ids)).order_by(WorkItemRow.id)))
    buffer, made, skipped = io.BytesIO(), 0, []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            found = item_claim(item)
            if found is None:
                skipped.append(f"{item.claim_id}: not checked or unreadable; fix and check it first.")
                continue
            claim, report = found
            choice, denial = choose(web, claim, report)
            if choice.kind not in ("necessity", "appeal"):
                skipped.append(f"{claim.id}: {choice.reason}")
                continue
            data, name = letter_pdf(web, claim, report, choice, denial)
            archive.writestr(name if name not in archive.namelist() else f"{item.id}-{name}", data)
            made += 1
            skipped += [f"{claim.id} (letter included): {w}" for w in choice.warnings]
        if skipped:
            archive.writestr("LEFT-OUT.txt", "Claims without a letter, and warnings:\n" + "\n".join(skipped) + "\n")
    return buffer.getvalue(), made
