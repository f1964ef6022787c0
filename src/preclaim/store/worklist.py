"""The claim worklist in SQL: rows from checked claims, filters, sort, pages, and counts and dollars by verdict.

Everything a filter touches is a column (or a row of worklist_codes), so a page of a 100,000-claim worklist
is one indexed query plus one GROUP BY, never a decode of stored JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from preclaim.domain.claim import Claim
from preclaim.domain.report import Finding, Report
from preclaim.store.models_web import WorkCodeRow, WorkDocRow, WorkItemRow

W = WorkItemRow
SORTS: dict[str, Any] = {
    "date": W.first_date_of_service,
    "claim": W.claim_id,
    "patient": W.patient_key,
    "payer": W.payer_id,
    "charge": W.charge,
    "verdict": W.verdict,
    "status": W.status,
}
PAGE_SIZES = (25, 50, 100)
LIST_COLUMNS = tuple(W.__table__.columns)
DOC_FIELDS = ("document", "report")
_SEVERITY = {"error": 0, "warning": 1, "info": 2}
_encoder = msgspec.json.Encoder(decimal_format="string")


@dataclass(frozen=True)
class WorkFilter:
    """What the worklist shows: every field optional; `batch` is a batch id, "history", or "" for all."""

    batch: str = ""
    verdict: str = ""
    status: str = ""
    payer: str = ""
    code: str = ""  # a rule id (units.dose) or a CARC (CO-16)
    provider: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    q: str = ""  # claim number, patient reference or member id (exact or prefix)
    sort: str = "date"
    desc: bool = False
    page: int = 1
    per_page: int = 50


@dataclass
class VerdictTotal:
    claims: int = 0
    dollars: Decimal = Decimal(0)


@dataclass
class WorkPage:
    rows: list[Any]
    total: int
    by_verdict: dict[str, VerdictTotal] = field(default_factory=dict)

    @property
    def dollars(self) -> Decimal:
        return sum((t.dollars for t in self.by_verdict.values()), Decimal(0))


def conditions(f: WorkFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if f.batch == "history":
        found.append(W.batch_id.is_(None))
    elif f.batch.isdigit():
        found.append(W.batch_id == int(f.batch))
    for column, value in ((W.verdict, f.verdict), (W.status, f.status), (W.payer_id, f.payer)):
        if value:
            found.append(column == value)
    if f.provider:
        found.append(W.provider_npi == f.provider)
    if f.start:
        found.append(W.first_date_of_service >= f.start)
    if f.end:
        found.append(W.first_date_of_service <= f.end)
    if f.code:
        found.append(W.id.in_(select(WorkCodeRow.item_id).where(WorkCodeRow.code == f.code)))
    if f.q:
        found.append(_search(f.q.strip()))
    return found


def _search(q: str) -> ColumnElement[bool]:
    """Claim number, patient reference or member id starting with `q` (as typed, or in capitals): ranges on the
    three indexed columns, so the database reads three index ranges instead of every row."""
    tried = {q, q.upper()}
    ranges = [
        (column >= text) & (column < text + "\U0010ffff")
        for column in (W.claim_id, W.patient_key, W.member_id)
        for text in tried
    ]
    return or_(*ranges)


def query_page(session: Session, f: WorkFilter) -> WorkPage:
    where = conditions(f)
    totals: dict[str, VerdictTotal] = {}
    grouped = select(W.verdict, func.count(), func.sum(W.charge)).where(*where).group_by(W.verdict)
    for verdict, count, dollars in session.execute(grouped):
        totals[verdict] = VerdictTotal(int(count), Decimal(dollars or 0))
    total = sum(t.claims for t in totals.values())
    column = SORTS.get(f.sort, W.first_date_of_service)
    order = [column.desc(), W.id.desc()] if f.desc else [column, W.id]
    size = f.per_page if f.per_page in PAGE_SIZES else 50
    page = max(1, min(f.page, (total + size - 1) // size or 1))
    # The page's ids first (often from an index alone), then only those rows: a deferred join.
    ids = list(session.scalars(select(W.id).where(*where).order_by(*order).limit(size).offset((page - 1) * size)))
    found = {row.id: row for row in session.execute(select(*LIST_COLUMNS).where(W.id.in_(ids)))} if ids else {}
    return WorkPage([found[i] for i in ids], total, totals)


def iter_view(session: Session, f: WorkFilter, chunk: int = 2000) -> Iterator[Any]:
    """Every row of the current view in its order (for exports), read in chunks without holding them all."""
    column = SORTS.get(f.sort, W.first_date_of_service)
    order = [column.desc(), W.id.desc()] if f.desc else [column, W.id]
    result = session.execute(
        select(*LIST_COLUMNS).where(*conditions(f)).order_by(*order).execution_options(yield_per=chunk)
    )
    yield from result


def top_finding(report: Report) -> Finding | None:
    """The finding billing staff act on first: the most severe, then the first in the report."""
    if not report.findings:
        return None
    return min(report.findings, key=lambda f: _SEVERITY.get(f.severity, 3))


def item_values(claim: Claim, report: Report, **extra: Any) -> tuple[dict[str, Any], list[str]]:
    """The worklist row of a checked claim, and its codes (rules and CARCs) for the code filter."""
    top = top_finding(report)
    codes = sorted({f.rule for f in report.findings} | {f.carc for f in report.findings if f.carc})
    values = {
        "claim_id": claim.id[:38],
        "patient_key": claim.patient.key[:64],
        "member_id": (claim.patient.member_id or "")[:80],
        "payer_id": claim.payer.id[:80],
        "payer_name": (claim.payer.name or "")[:120],
        "provider_npi": (claim.billing_provider.npi or "")[:20],
        "first_date_of_service": claim.first_date_of_service,
        "charge": claim.charge if claim.charge is not None else _line_total(claim),
        "verdict": report.verdict,
        "top_carc": (top.carc or "") if top else "",
        "top_message": (top.message[:400]) if top else "",
        "pa_status": report.prior_auth.status,
        "status": "ready" if report.verdict == "clean" else "to-fix",
        "document": _encoder.encode(claim).decode(),
        "report": _encoder.encode(report).decode(),
        **extra,
    }
    return values, [c[:64] for c in codes]


def rejected_values(claim_id: str | None, reason: str, **extra: Any) -> dict[str, Any]:
    """A claim the 837 reader could not read: on the worklist so it is not forgotten, with the reason."""
    return {
        "claim_id": (claim_id or "?")[:38],
        "patient_key": "",
        "payer_id": "",
        "verdict": "rejected",
        "top_message": reason[:400],
        "status": "to-fix",
        "report": reason,
        **extra,
    }


def _line_total(claim: Claim) -> Decimal | None:
    charges = [line.charge for line in claim.lines if line.charge is not None]
    return sum(charges, Decimal(0)) if charges else None


def add_items(session: Session, rows: Sequence[tuple[dict[str, Any], list[str]]]) -> list[int]:
    """Insert worklist rows (one statement for all) and their codes; returns the new row ids in order."""
    if not rows:
        return []
    plain = [{k: v for k, v in values.items() if k not in DOC_FIELDS} for values, _ in rows]
    result = session.execute(insert(W).returning(W.id, sort_by_parameter_order=True), plain)
    ids = [int(i) for i in result.scalars()]
    docs = [
        {"item_id": item, "document": values.get("document", ""), "report": values.get("report", "")}
        for item, (values, _) in zip(ids, rows, strict=True)
    ]
    session.execute(insert(WorkDocRow), docs)
    codes = [{"item_id": item, "code": code} for item, (_, found) in zip(ids, rows, strict=True) for code in found]
    if codes:
        session.execute(insert(WorkCodeRow), codes)
    return ids


def replace_check(session: Session, item: WorkItemRow, claim: Claim, report: Report) -> None:
    """A claim edited and checked again: the row takes the new claim, verdict, finding and codes."""
    values, codes = item_values(claim, report)
    keep_status = item.status not in ("to-fix", "ready")  # sent, denied, appealed, resolved stay as set
    for name, value in values.items():
        if name in DOC_FIELDS or (name == "status" and keep_status):
            continue
        setattr(item, name, value)
    if item.doc is None:
        item.doc = WorkDocRow(item_id=item.id)
    item.doc.document, item.doc.report = values["document"], values["report"]
    session.execute(delete(WorkCodeRow).where(WorkCodeRow.item_id == item.id))
    session.add_all(WorkCodeRow(item_id=item.id, code=code) for code in codes)


def facets(session: Session) -> dict[str, list[tuple[str, str]]]:
    """Choices for the filter menus: payers (id, name) and billing NPIs on the worklist. Distinct values come
    from their indexes; a payer's name is one look-up per payer."""
    payer_ids = session.scalars(select(W.payer_id).where(W.payer_id != "").distinct().limit(200)).all()
    payers = []
    for payer_id in payer_ids:
        name = session.scalar(select(W.payer_name).where(W.payer_id == payer_id, W.payer_name != "").limit(1))
        payers.append((payer_id, name or payer_id))
    providers = session.scalars(select(W.provider_npi).where(W.provider_npi != "").distinct().limit(200)).all()
    return {"payers": sorted(payers, key=lambda x: x[1].lower()), "providers": [(n, n) for n in sorted(providers)]}
