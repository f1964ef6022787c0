"""Denials from the stored remittances: rate by month, by CARC, by payer, and predicted (checks) vs actual."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import msgspec
from markupsafe import Markup

from preclaim.edi.denials import denial_table
from preclaim.store.db import Store
from preclaim.store.outcomes import NOT_DENIALS, Compared, OutcomeReport, _payments, compare, summarize
from preclaim.web.charts import bars, paired, rate_line


@dataclass(frozen=True)
class Dashboard:
    claims: int
    denied: int
    outcomes: OutcomeReport
    by_month: Markup
    by_carc: Markup
    by_payer: Markup
    predicted: Markup

    @property
    def rate(self) -> float | None:
        return self.denied / self.claims if self.claims else None


def not_denials() -> frozenset[str]:
    """CARCs that adjust without denying: the store's list plus the contractual and patient-share codes of the
    denial table `preclaim denials` uses (e.g. A2 contractual adjustment), so both views agree."""
    table = denial_table()
    return NOT_DENIALS | {c for c, e in table.carcs.items() if e.kind in ("contractual", "patient-share")}


@dataclass(frozen=True)
class Filter:
    """Which payments the dashboard counts: one payer, and months of service from..to (YYYY-MM, inclusive)."""

    payer: str | None = None
    start: str | None = None
    end: str | None = None

    def keeps(self, payer: str, month: str) -> bool:
        if self.payer and payer != self.payer:
            return False
        return not ((self.start and month < self.start) or (self.end and month > self.end))


def _month(row: Any) -> str:
    day = row.first_date_of_service or row.paid_on
    return day.strftime("%Y-%m") if day else "undated"


def _outcomes(store: Store, skip: frozenset[str], claim_ids: set[str]) -> OutcomeReport:
    compared, unchecked, unpaid = compare(store)
    kept: list[Compared] = []
    for item in (c for c in compared if c.claim_id in claim_ids):
        actual = item.actual - skip
        denied = bool(actual) or (item.denied and not item.actual)  # no denial CARC: denied by status (CLP02 4)
        kept.append(msgspec.structs.replace(item, actual=actual, denied=denied))
    return summarize(kept, unchecked, unpaid)


def payers_on_file(store: Store) -> list[str]:
    return sorted({row.payer_id for row, _, _ in _payments(store)})


def build(store: Store, only: Filter = Filter()) -> Dashboard:
    skip = not_denials()
    payments = [  # first non-reversal payment per claim, within the filter
        (r, a - skip, m) for r, a, m in _payments(store) if only.keeps(r.payer_id, _month(r))
    ]
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    payers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    carcs: Counter[str] = Counter()
    denied = 0
    for row, actual, _ in payments:
        is_denied = row.status == "4" or bool(actual)
        for bucket in (months[_month(row)], payers[row.payer_id]):
            bucket[0] += 1
            bucket[1] += is_denied
        denied += is_denied
        carcs.update(actual)
    outcomes = _outcomes(store, skip, {row.claim_id for row, _, _ in payments})
    line = [(m, d / n, n) for m, (n, d) in sorted(months.items())]
    total = len(payments)
    carc_rows = [(f"CARC {c}", float(n), f"{n} ({n / total:.0%})") for c, n in carcs.most_common(10)]
    payer_rows = [(p, d / n, f"{d / n:.0%} of {n}") for p, (n, d) in sorted(payers.items(), key=lambda kv: -kv[1][1])]
    pred = [(f"CARC {c}", k.tp + k.fp, k.tp + k.fn) for c, k in outcomes.per_carc.items()][:10]
    return Dashboard(
        claims=total,
        denied=denied,
        outcomes=outcomes,
        by_month=rate_line(line, "Denial rate by month of service", "by-month"),
        by_carc=bars(carc_rows, "Denied claims by adjustment reason (CARC)", "by-carc"),
        by_payer=bars(payer_rows, "Denial rate by payer", "by-payer", scale=1.0),
        predicted=paired(
            pred, "Predicted by checks vs denied by the payer, per CARC", "predicted", ("predicted", "denied")
        ),
    )
