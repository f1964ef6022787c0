"""Appeal of a denied claim (for Medicare fee-for-service: a request for redetermination, its first level), from
its 835 payment and, when on file, the claim. Whether an appeal is the remedy at all: letters.choose."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from preclaim.codes import CodeSets
from preclaim.domain.claim import Claim
from preclaim.domain.report import Report, Source
from preclaim.edi.denials import classify, denial_table
from preclaim.edi.x12.remit import Adjustment, ClaimPayment
from preclaim.letters.choose import MEDICARE_REDETERMINATION, for_denial, is_medicare, redetermination_deadline
from preclaim.letters.model import Blank, Letter, Section, Text, fact, text, unique_sources
from preclaim.letters.necessity import clinical_facts, diagnosis_rows, documentation_section
from preclaim.letters.parties import recipient, sender, signature


def denial_adjustments(payment: ClaimPayment) -> list[Adjustment]:
    """Adjustments that deny (not contractual write-downs or the patient's share), as `preclaim denials` tells."""
    found = [a for a in payment.adjustments if classify(a, payment, None) == "denial"]
    for service in payment.services:
        found += [a for a in service.adjustments if classify(a, payment, service.paid) == "denial"]
    return found


def _remarks(payment: ClaimPayment) -> list[str]:
    found = list(payment.remarks) + [r for s in payment.services for r in s.remarks]
    return list(dict.fromkeys(found))


def _reason_lines(payment: ClaimPayment, codes: CodeSets) -> tuple[list[Text], list[Source]]:
    table = denial_table()
    lines: list[Text] = []
    sources: list[Source] = []
    totals: dict[str, Adjustment] = {}
    for adj in denial_adjustments(payment):  # one line per code, amounts added up over the service lines
        seen = totals.get(adj.code)
        totals[adj.code] = adj if seen is None else msgspec.structs.replace(seen, amount=seen.amount + adj.amount)
    for adj in totals.values():
        entry = codes.carc(adj.reason)
        meaning = entry.meaning if entry else "reason code not in preclaim's CARC list"
        lines.append(text(f"{adj.code} (${adj.amount:,.2f}): {meaning}."))
        if entry:
            sources.append(entry.source)
        advice = table.carcs.get(adj.reason)
        if advice:  # the table's advice names what to show; the table itself is our notes, not a payer source
            lines.append(text(f"What the records show for {adj.code}: ", Blank(advice.prevent.rstrip("."))))
    for remark in _remarks(payment):
        entry = codes.rarc(remark)
        lines.append(text(f"Remark {remark}: {entry.meaning if entry else 'see the X12 RARC list'}."))
        if entry:
            sources.append(entry.source)
    return lines, sources


def _service_rows(payment: ClaimPayment, claim: Claim | None) -> tuple[tuple[str, Text], ...]:
    days = [d for s in payment.services for d in (s.service_date, s.start) if d]
    day = min(days) if days else payment.statement_start
    services = ", ".join(f"{s.code} {' '.join(s.modifiers)}".strip() for s in payment.services)
    return (
        ("Claim number", text(payment.claim_id)),
        ("Payer claim number", text(fact(payment.payer_claim_number, "payer claim control number"))),
        ("Date of service", text(fact(day.isoformat() if day else None, "date of service"))),
        ("Services", text(fact(services, "services billed"))),
        ("Billed / paid", text(f"${payment.charge:,.2f} / ${payment.paid:,.2f}")),
        ("Member ID", text(fact(payment.member_id or (claim.patient.member_id if claim else None), "member ID"))),
    )


def _deadline(notice: dt.date | None, medicare: bool) -> Section | None:
    if not medicare:
        return None
    if notice is None:
        when = text(
            "Filed within 120 days of receiving the initial determination (date of the remittance: ",
            Blank("remittance date"),
            ").",
        )
    else:
        due = redetermination_deadline(notice)
        when = text(
            f"Initial determination: remittance advice dated {notice.isoformat()}. This request is filed within "
            f"120 days of receiving it (by {due.isoformat()})."
        )
    return Section("Redetermination", (when,), "bullets")


def appeal_letter(
    payment: ClaimPayment,
    payer_name: str | None,
    codes: CodeSets,
    today: dt.date,
    *,
    payer_id: str | None = None,
    claim: Claim | None = None,
    report: Report | None = None,
    practice: Any = None,
    payer: Any = None,
    notice_date: dt.date | None = None,
) -> Letter:
    """An appeal of a denied claim; for Medicare fee-for-service, a request for redetermination (its first level).

    `practice` and `payer` (store.letterhead) prefill the letterhead and the appeals address; `notice_date` is
    the remittance's date, from which the 120-day redetermination limit runs.
    """
    reasons, sources = _reason_lines(payment, codes)
    medicare = is_medicare(claim, payment)
    kind = "redetermination" if medicare else "reconsideration"
    opening = text(
        f"We request {kind} of claim {payment.claim_id}, which was "
        + ("denied" if payment.status == "4" or payment.paid == 0 else "reduced")
        + " with the adjustments listed below. Please review it again with the information that follows."
    )
    deadline = _deadline(notice_date, medicare)
    if medicare:
        sources.append(MEDICARE_REDETERMINATION)
    sections = [
        Section("", (opening,)),
        *((deadline,) if deadline else ()),
        Section("Claim", style="rows", rows=_service_rows(payment, claim)),
        Section("Denial reasons on the remittance", tuple(reasons) or (text(Blank("denial reason")),), "bullets"),
    ]
    if claim is not None:
        sections.append(Section("Diagnoses", diagnosis_rows(claim, codes), "bullets"))
        sections.append(Section("Clinical findings", clinical_facts(claim, codes), "bullets"))
    else:
        sections.append(Section("Diagnoses", (text(Blank("diagnoses, ICD-10-CM codes")),), "bullets"))
        sections.append(Section("Clinical findings", (text(Blank("serum B12 result and date")),), "bullets"))
    if report is not None:
        sections.append(documentation_section(report))
        sources += [item.source for item in report.checklist]
    sections.append(
        Section(
            "",
            (
                text(
                    "Enclosed are the remittance advice, the signed order, the injection record and the chart notes "
                    "that support the service. Please reprocess the claim for payment."
                ),
            ),
        )
    )
    subject: tuple[tuple[str, Text], ...] = (
        ("Patient", text(Blank("patient name"), f"  (reference {claim.patient.key})" if claim else "")),
        ("Claim", text(payment.claim_id)),
    )
    title = (
        "Request for redetermination (Medicare first level of appeal)"
        if medicare
        else "Request for reconsideration (appeal) of a denied claim"
    )
    name = (payer.name if payer and payer.name else None) or payer_name
    return Letter(
        kind="appeal",
        title=title,
        date=today,
        sender=sender(claim, practice),
        recipient=recipient(
            name,
            payer_id,
            "Redeterminations" if medicare else "Appeals / Reconsideration",
            payer.appeals_address if payer else "",
        ),
        subject=subject,
        salutation="To the Redetermination reviewer:" if medicare else "To the Appeals reviewer:",
        sections=tuple(sections),
        closing=signature(claim, practice),
        citations=unique_sources(sources),
        notes=for_denial(payment, claim).warnings,
    )
