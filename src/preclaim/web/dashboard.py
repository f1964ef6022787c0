"""Denials from the stored remittances: rate by month, by CARC, by payer, and predicted (checks) vs actual."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from markupsafe import Markup

from preclaim.store.db import Store
from preclaim.store.outcomes import OutcomeReport, _payments, outcome_report
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


def build(store: Store, carc_meaning: dict[str, str] | None = None) -> Dashboard:
    payments = _payments(store)  # first non-reversal payment per claim, with its denial CARCs
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    payers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    carcs: Counter[str] = Counter()
    denied = 0
    for row, actual, _ in payments:
        is_denied = row.status == "4" or bool(actual)
        day = row.first_date_of_service or row.paid_on
        month = day.strftime("%Y-%m") if day else "undated"
        for bucket in (months[month], payers[row.payer_id]):
            bucket[0] += 1
            bucket[1] += is_denied
        denied += is_denied
        carcs.update(actual)
    outcomes = outcome_report(store)
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
