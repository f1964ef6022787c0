"""Bring claims and checks stored by other means (`preclaim history import`, `preclaim check`, the claim form)
onto the worklist: only what is newer than the last sync is read, so a page load with nothing new costs two
indexed look-ups.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import exists, func, select

from preclaim.domain.claim import Claim
from preclaim.domain.report import Report
from preclaim.store.claims import decode_claim_document
from preclaim.store.db import Store
from preclaim.store.models import CheckRow, ClaimRow
from preclaim.store.models_web import WorkItemRow, WorklistSyncRow
from preclaim.store.worklist import add_items, item_values, replace_check

CHUNK = 1000


def sync_history(store: Store) -> int:
    """Add stored claims the worklist has not seen, and take in newer checks; returns rows added or updated."""
    with store.transaction(write=False) as session:
        newest_claim = session.scalar(select(func.max(ClaimRow.id))) or 0
        newest_check = session.scalar(select(func.max(CheckRow.id))) or 0
        mark = session.get(WorklistSyncRow, 1)
        if mark is not None and (mark.claims_upto, mark.checks_upto) == (newest_claim, newest_check):
            return 0
    changed = 0
    with store.transaction() as session:
        mark = session.get(WorklistSyncRow, 1) or WorklistSyncRow(id=1, claims_upto=0, checks_upto=0)
        session.add(mark)
        changed += _new_claims(session, mark.claims_upto)
        changed += _new_checks(session, mark.checks_upto)
        mark.claims_upto, mark.checks_upto = newest_claim, newest_check
    return changed


def _latest_checks(session: Any, claim_pks: list[int]) -> dict[int, CheckRow]:
    found: dict[int, CheckRow] = {}
    rows = session.scalars(select(CheckRow).where(CheckRow.claim_pk.in_(claim_pks)).order_by(CheckRow.id))
    for row in rows:
        found[row.claim_pk] = row  # the last one wins
    return found


def _new_claims(session: Any, after: int) -> int:
    linked = exists().where(WorkItemRow.claim_pk == ClaimRow.id)
    query = select(ClaimRow.id, ClaimRow.document).where(ClaimRow.id > after, ~linked).order_by(ClaimRow.id)
    added = 0
    pending: list[tuple[int, str]] = []
    for pk, document in session.execute(query):
        pending.append((pk, document))
        if len(pending) >= CHUNK:
            added += _add(session, pending)
            pending = []
    return added + _add(session, pending)


def _add(session: Any, pending: list[tuple[int, str]]) -> int:
    if not pending:
        return 0
    checks = _latest_checks(session, [pk for pk, _ in pending])
    rows = []
    for pk, document in pending:
        claim = decode_claim_document(document)
        check = checks.get(pk)
        extra = {"claim_pk": pk, "check_id": check.id if check else None}
        if check is not None:
            report = msgspec.json.decode(check.report, type=Report)
            rows.append(item_values(claim, report, checked_at=check.checked_at, **extra))
        else:
            rows.append(_unchecked(claim, extra))
    add_items(session, rows)
    return len(rows)


def _unchecked(claim: Claim, extra: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A stored claim no check was kept for: on the worklist as 'not checked' until someone checks it."""
    from preclaim.domain.report import PriorAuthDecision

    report = Report(claim.id, "clean", PriorAuthDecision("unknown", ()), (), ())
    values, _ = item_values(claim, report, **extra)
    values.update(verdict="unchecked", pa_status="", status="to-fix", report="")
    return values, []


def _new_checks(session: Any, after: int) -> int:
    """Checks newer than the last sync, for claims already on the worklist: the row shows the newest."""
    query = select(CheckRow).where(CheckRow.id > after, CheckRow.claim_pk.is_not(None)).order_by(CheckRow.id)
    newest: dict[int, CheckRow] = {}
    for check in session.scalars(query):
        newest[check.claim_pk] = check
    updated = 0
    for claim_pk, check in newest.items():
        item = session.scalars(select(WorkItemRow).where(WorkItemRow.claim_pk == claim_pk)).one_or_none()
        if item is None or item.check_id == check.id:
            continue
        document = item.document or session.scalar(select(ClaimRow.document).where(ClaimRow.id == claim_pk))
        replace_check(session, item, decode_claim_document(document), msgspec.json.decode(check.report, type=Report))
        item.check_id, item.checked_at = check.id, check.checked_at
        updated += 1
    return updated
