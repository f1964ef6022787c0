"""Plain words for codes the pages show: prior-authorization statuses, verdicts, worklist statuses, 835 claim
statuses, one date format (YYYY-MM-DD) and money. Templates get these as filters (render.env)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

PRIOR_AUTH = {
    "required": "required",
    "not-required": "not required",
    "conditional": "required in some cases",
    "on-file": "on file",
    "unknown": "unknown: ask the plan",
    "": "",
}
VERDICT = {
    "clean": "ready to send",
    "fix": "fix before sending",
    "deny": "will deny as billed",
    "rejected": "unreadable",
    "unchecked": "not checked",
}
STATUS = {
    "to-fix": "to fix",
    "ready": "ready",
    "sent": "sent",
    "denied": "denied",
    "appealed": "appealed",
    "resolved": "resolved",
}
CHECKLIST = {"met": "on file", "missing": "missing", "unknown": "not known"}
CLAIM_STATUS = {  # 835 CLP02
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded",
    "20": "processed as secondary, forwarded",
    "21": "processed as tertiary, forwarded",
    "22": "reversal of an earlier payment",
    "23": "not this payer's claim, forwarded",
    "25": "predetermination only, not paid",
}


def day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()


def when(value: dt.datetime | None) -> str:
    """A timestamp in UTC: 2026-03-20 14:05 UTC."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def money(value: Decimal | float | None) -> str:
    return "" if value is None else f"${value:,.2f}"


def count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def batch_words(p: dict[str, Any]) -> str:
    """The progress line: what is done, how much of the file, and the time left."""
    done = count(p["claims_done"], "claim")
    if p["status"] == "queued":
        return "Waiting for the file before it to finish."
    if p["status"] == "failed":
        return f"Stopped after {done}."
    unreadable = f" ({count(p['unreadable'], 'claim')} could not be read)" if p["unreadable"] else ""
    if p["status"] == "done":
        return f"Done: {done} checked{unreadable}."
    eta = p["eta_seconds"]
    left = "" if eta is None else f", about {eta // 60} min {eta % 60} s left" if eta >= 60 else f", about {eta} s left"
    return f"Checking: {done} checked{unreadable}, {p['percent']}% of the file{left}."


FILTERS = {
    "pa_words": lambda v: PRIOR_AUTH.get(v or "", v),
    "verdict_words": lambda v: VERDICT.get(v, v),
    "status_words": lambda v: STATUS.get(v, v),
    "checklist_words": lambda v: CHECKLIST.get(v, v),
    "claim_status": lambda v: CLAIM_STATUS.get(v, f"status {v}"),
    "day": day,
    "when": when,
    "money": money,
}


def payer_label(names: dict[str, str], payer_id: str | None) -> str:
    from preclaim.web.payer_names import label

    return label(names, payer_id)


GLOBALS = {
    "payer_label": payer_label,
    "batch_words": batch_words,
    "claim_status": FILTERS["claim_status"],
    "count": count,
}
