"""The worklist's query string <-> WorkFilter, with a message per bad value (never a 500 on a typed URL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from urllib.parse import urlencode

from preclaim.store.models_web import STATUSES
from preclaim.store.worklist import PAGE_SIZES, SORTS, WorkFilter

VERDICTS = ("clean", "fix", "deny", "rejected", "unchecked")
FIELDS = ("batch", "verdict", "status", "payer", "code", "provider", "start", "end", "q", "sort", "desc", "per_page")


def parse_filter(params: Mapping[str, str]) -> tuple[WorkFilter, dict[str, str]]:
    raw = {k: (params.get(k) or "").strip()[:80] for k in (*FIELDS, "page")}
    errors: dict[str, str] = {}
    days: dict[str, dt.date | None] = {"start": None, "end": None}
    for name in days:
        if raw[name]:
            try:
                days[name] = dt.date.fromisoformat(raw[name])
            except ValueError:
                errors[name] = "a date, YYYY-MM-DD"
    if raw["verdict"] and raw["verdict"] not in VERDICTS:
        errors["verdict"] = "one of " + ", ".join(VERDICTS)
    if raw["status"] and raw["status"] not in STATUSES:
        errors["status"] = "one of " + ", ".join(STATUSES)
    if raw["batch"] and raw["batch"] != "history" and not raw["batch"].isdigit():
        errors["batch"] = "an upload number, or history"
    page = int(raw["page"]) if raw["page"].isdigit() else 1
    per_page = int(raw["per_page"]) if raw["per_page"].isdigit() and int(raw["per_page"]) in PAGE_SIZES else 50
    chosen = WorkFilter(
        batch="" if "batch" in errors else raw["batch"],
        verdict="" if "verdict" in errors else raw["verdict"],
        status="" if "status" in errors else raw["status"],
        payer=raw["payer"],
        code=raw["code"].upper() if raw["code"][:3].upper() in ("CO-", "PR-", "OA-", "PI-", "CR-") else raw["code"],
        provider=raw["provider"],
        start=days["start"],
        end=days["end"],
        q=raw["q"],
        sort=raw["sort"] if raw["sort"] in SORTS else "date",
        desc=raw["desc"] == "1",
        page=max(1, min(page, 100_000)),
        per_page=per_page,
    )
    return chosen, errors


def query_of(f: WorkFilter, **changes: object) -> str:
    """The query string of this view with some values changed (page links, sort links, exports)."""
    values: dict[str, object] = {
        "batch": f.batch,
        "verdict": f.verdict,
        "status": f.status,
        "payer": f.payer,
        "code": f.code,
        "provider": f.provider,
        "start": f.start.isoformat() if f.start else "",
        "end": f.end.isoformat() if f.end else "",
        "q": f.q,
        "sort": "" if f.sort == "date" else f.sort,
        "desc": "1" if f.desc else "",
        "per_page": "" if f.per_page == 50 else f.per_page,
        "page": "" if f.page == 1 else f.page,
    }
    values.update(changes)
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def pages(current: int, last: int) -> list[int | None]:
    """Page numbers to link: the first, the last, and two either side of the current one (None = a gap)."""
    wanted = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    out: list[int | None] = []
    for n in wanted:
        if out and out[-1] is not None and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out
