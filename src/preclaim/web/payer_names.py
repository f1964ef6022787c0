"""Payer names for pages that hold payer ids (authorizations, the denial dashboard): the address book first,
then the names claims carried onto the worklist, then the policy library's payer labels; else the id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from preclaim.store.models_web import PayerAddressRow, WorkItemRow


def payer_names(web: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    for policy in web.engine.policies.policies:
        for payer_id in policy.match.payer_ids:
            if policy.payer_label:
                names.setdefault(payer_id, policy.payer_label)
    with web.desk.transaction(write=False) as session:
        seen = select(WorkItemRow.payer_id, func.max(WorkItemRow.payer_name)).where(WorkItemRow.payer_name != "")
        names.update({p: n for p, n in session.execute(seen.group_by(WorkItemRow.payer_id).limit(500)) if n})
        book = select(PayerAddressRow.payer_id, PayerAddressRow.name).where(PayerAddressRow.name != "")
        names.update({p: n for p, n in session.execute(book)})
    return names


def label(names: dict[str, str], payer_id: str | None) -> str:
    if not payer_id:
        return ""
    name = names.get(payer_id)
    return f"{name} ({payer_id})" if name and name != payer_id else payer_id
